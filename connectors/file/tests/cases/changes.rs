//! Changes mode: the file is append-only, the cursor counts rows or lines consumed, and
//! checkpoints come every 1,000 records and at the end.

use std::io::Write;

use connector_core::model::{Invoice, Product};
use connector_core::{Change, Cursor, ErrorKind, ReadMode, Source};
use connector_file::{CHECKPOINT_EVERY, FileConfig, FileSource};
use futures_util::StreamExt;

use crate::support::{keys, read_all, split};

fn since(cursor: Option<&str>) -> ReadMode {
    ReadMode::Changes { since: cursor.map(Cursor::new) }
}

fn product_line(i: usize) -> String {
    format!(
        "{{\"sku\":\"P-{i:05}\",\"name\":\"Product {i}\",\"sales_price\":{{\"amount\":\"{i}.10\",\"currency\":\"EUR\"}}}}\n"
    )
}

fn append(path: &std::path::Path, text: &str) {
    let mut f = std::fs::OpenOptions::new().append(true).open(path).unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

#[tokio::test]
async fn a_read_resumes_after_its_cursor_and_checkpoints_every_thousand_records() {
    assert_eq!(CHECKPOINT_EVERY, 1_000);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("products.jsonl");
    std::fs::write(&path, (0..2_500).map(product_line).collect::<String>()).unwrap();
    let source = FileSource::<Product>::new(FileConfig::new(&path).unwrap());

    let changes = read_all(&source, since(None)).await;
    assert!(matches!(&changes[1_000], Change::Checkpoint(c) if c.as_str() == "1000"));
    assert!(matches!(changes.last(), Some(Change::Checkpoint(c)) if c.as_str() == "2500"));
    let first = split(changes);
    assert_eq!(first.upserts.len(), 2_500);
    assert_eq!(first.checkpoints, ["1000", "2000", "2500"]);
    assert!(!first.snapshot_complete, "changes mode never claims a complete snapshot");

    // A crashed run that saved the checkpoint at 1000 resumes there.
    let resumed = split(read_all(&source, since(Some("1000"))).await);
    assert_eq!(resumed.upserts.len(), 1_500);
    assert_eq!(resumed.upserts[0].sku, "P-01000");
    assert_eq!(resumed.checkpoints, ["2000", "2500"]);

    // Nothing new: no record, the same cursor.
    let idle = split(read_all(&source, since(Some("2500"))).await);
    assert!(idle.upserts.is_empty());
    assert_eq!(idle.checkpoints, ["2500"]);

    // Appended lines, a blank line, a bad line, and a line still being written.
    append(
        &path,
        &format!(
            "{}\n{{\"name\":\"no sku\"}}\n{}{{\"sku\":\"P-09",
            product_line(2_500),
            product_line(2_501)
        ),
    );
    let next = split(read_all(&source, since(Some("2500"))).await);
    assert_eq!(keys(&next.upserts), ["P-02500", "P-02501"]);
    assert_eq!(next.rejected.len(), 1);
    assert_eq!(next.rejected[0].error.message(), "line 2503: sku: missing field `sku`");
    assert_eq!(next.checkpoints, ["2504"], "the unfinished line is left for the next run");

    append(&path, "999\"}\n");
    let last = split(read_all(&source, since(Some("2504"))).await);
    assert_eq!(keys(&last.upserts), ["P-09999"]);
    assert_eq!(last.checkpoints, ["2505"]);

    // A full read takes everything, with no checkpoint.
    let full = split(read_all(&source, ReadMode::Full).await);
    assert_eq!(full.upserts.len(), 2_503);
    assert!(full.checkpoints.is_empty() && full.snapshot_complete);
}

#[tokio::test]
async fn csv_cursors_count_data_rows_and_stop_between_documents() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("invoices.csv");
    std::fs::write(
        &path,
        "number,currency,lines.sku,lines.quantity\n\
         A-1,EUR,X,1\n\
         A-1,EUR,Y,2\n\
         A-2,EUR,X,5\n",
    )
    .unwrap();
    let source = FileSource::<Invoice>::new(FileConfig::new(&path).unwrap());
    let first = split(read_all(&source, since(None)).await);
    assert_eq!(keys(&first.upserts), ["A-1", "A-2"]);
    assert_eq!(first.checkpoints, ["3"]);

    append(&path, "A-3,EUR,Z,1\nA-3,EUR,X,2\nA-3,EUR,Y,3\nA-4,EUR,Z,1\n");
    let next = split(read_all(&source, since(Some("3"))).await);
    assert_eq!(keys(&next.upserts), ["A-3", "A-4"]);
    assert_eq!(next.upserts[0].lines.len(), 3);
    assert_eq!(next.checkpoints, ["7"]);
}

#[tokio::test]
async fn a_cursor_past_the_end_or_not_a_number_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.jsonl");
    std::fs::write(&path, product_line(1)).unwrap();
    let source = FileSource::<Product>::new(FileConfig::new(&path).unwrap());

    let items: Vec<_> = source.read(since(Some("5"))).collect().await;
    let [Err(err)] = &items[..] else { panic!("{items:?}") };
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert!(err.message().contains("truncated or replaced"), "{err}");

    let items: Vec<_> = source.read(since(Some("2026-03-01T00:00:00Z"))).collect().await;
    let [Err(err)] = &items[..] else { panic!("{items:?}") };
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}
