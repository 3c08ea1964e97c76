//! Helpers shared by the test modules.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use connector_core::{Change, Entity, ReadMode, Rejected, Source, WriteAction, WriteRequest};
use futures_util::StreamExt;
use rust_decimal::Decimal;

/// A fixture file.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

/// An exact decimal.
pub fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

/// Every change of a read; a stream error fails the test.
pub async fn read_all<E: Entity>(source: &dyn Source<E>, mode: ReadMode) -> Vec<Change<E>> {
    source.read(mode).map(|c| c.expect("the stream failed")).collect().await
}

/// A read sorted by kind of change, in order.
#[derive(Debug)]
pub struct Split<E> {
    pub upserts: Vec<E>,
    pub rejected: Vec<Rejected>,
    pub checkpoints: Vec<String>,
    pub snapshot_complete: bool,
}

pub fn split<E>(changes: Vec<Change<E>>) -> Split<E> {
    let mut s = Split {
        upserts: Vec::new(),
        rejected: Vec::new(),
        checkpoints: Vec::new(),
        snapshot_complete: false,
    };
    for change in changes {
        match change {
            Change::Upsert(e) => s.upserts.push(e),
            Change::Rejected(r) => s.rejected.push(r),
            Change::Checkpoint(c) => s.checkpoints.push(c.as_str().to_owned()),
            Change::SnapshotComplete => s.snapshot_complete = true,
            Change::Delete { key } => panic!("a file source never deletes ({key})"),
        }
    }
    s
}

/// The keys of records.
pub fn keys<E: Entity>(records: &[E]) -> Vec<String> {
    records.iter().map(|r| r.key().expect("a key").into_owned()).collect()
}

/// An upsert request for a record; `target_id` makes it an update.
pub fn upsert<E: Entity>(record: E, target_id: Option<&str>) -> WriteRequest<E> {
    let key = record.key().map(|k| k.into_owned()).unwrap_or_default();
    WriteRequest {
        idempotency_key: format!("idem-{key}"),
        is_create: target_id.is_none(),
        target_id: target_id.map(str::to_owned),
        key,
        action: WriteAction::Upsert(record),
    }
}
