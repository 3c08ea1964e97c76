//! CSV reading: coercion, per-row rejections naming row, key and field, and no good row lost.

use connector_core::model::{ContactKind, Customer, CustomerKind, Lifecycle, Product};
use connector_core::{Change, ErrorKind, ReadMode, Source};
use connector_file::{FileConfig, FileSource};
use futures_util::StreamExt;

use crate::support::{dec, fixture, keys, read_all, split};

#[tokio::test]
async fn customers_arrive_and_bad_rows_are_rejected_by_row_key_and_field() {
    let source = FileSource::<Customer>::new(FileConfig::new(fixture("customers.csv")).unwrap());
    let changes = read_all(&source, ReadMode::Full).await;
    assert!(matches!(changes.last(), Some(Change::SnapshotComplete)));
    assert_eq!(changes.len(), 9, "6 customers, 2 rejections, the snapshot end");
    let s = split(changes);
    assert!(s.checkpoints.is_empty(), "a full read emits no checkpoint");
    assert_eq!(keys(&s.upserts), ["C-1", "C-2", "C-4", "C-5", "1006", "C-8"]);

    // Row 4: the malformed amount.
    let bad_amount = &s.rejected[0];
    assert_eq!(bad_amount.key.as_deref(), Some("C-3"));
    assert_eq!(bad_amount.error.kind(), ErrorKind::InvalidInput);
    assert_eq!(bad_amount.error.record(), Some("C-3"));
    assert_eq!(bad_amount.error.field(), Some("credit_limit.amount"));
    assert_eq!(
        bad_amount.error.message(),
        "row 4: credit_limit.amount: not a decimal number: \"12,3x\""
    );
    let payload = bad_amount.payload.as_deref().unwrap();
    assert!(payload.starts_with("number,kind,name,"), "{payload}");
    assert!(payload.ends_with("C-3,company,Virtanen Oy,,,,,,,,,\"12,3x\",EUR,erp,1003,active"));
    // Row 9 (the multi-line cell of C-5 spans rows 6 and 7): an unknown kind.
    let bad_kind = &s.rejected[1];
    assert_eq!(bad_kind.key.as_deref(), Some("C-7"));
    assert_eq!(bad_kind.error.field(), Some("kind"));
    assert!(
        bad_kind.error.message().starts_with("row 9: kind: unknown variant `partnership`"),
        "{}",
        bad_kind.error
    );
    assert_eq!(s.rejected.len(), 2);

    let [c1, c2, c4, c5, c6, c8] = &s.upserts[..] else { unreachable!() };
    assert_eq!(c1.name.as_deref(), Some("Müller GmbH"));
    assert_eq!(c1.emails[0].address, "info@mueller.example");
    assert!(c1.emails[0].primary);
    assert_eq!(c1.emails[0].kind, ContactKind::Work);
    assert_eq!(c1.addresses[0].lines, ["Hauptstraße 5"]);
    let limit = c1.credit_limit.unwrap();
    assert_eq!((limit.amount.to_string().as_str(), limit.currency.as_str()), ("5000.00", "EUR"));
    assert_eq!(c1.meta.refs.id("erp"), Some("1001"));

    assert_eq!(c2.kind, CustomerKind::Person);
    assert_eq!((c2.first_name.as_deref(), c2.last_name.as_deref()), (Some("Åsa"), Some("Öberg")));
    assert!(c2.emails[0].primary, "`1` is true");
    assert_eq!(c2.addresses[0].city.as_deref(), Some("Göteborg"));
    assert_eq!(c2.meta.lifecycle, Lifecycle::Active, "an empty cell keeps the default");
    assert_eq!(c2.tax_number, None, "absent columns stay None");

    assert_eq!(c4.name.as_deref(), Some("北京贸易有限公司"));
    assert_eq!(c4.addresses[0].city.as_deref(), Some("北京"));
    assert_eq!(c4.addresses[0].postal_code.as_deref(), Some("100022"));
    assert_eq!(c4.credit_limit.unwrap().amount, dec("0.50"));
    assert_eq!(c4.credit_limit.unwrap().amount.to_string(), "0.50");
    assert_eq!(c4.meta.lifecycle, Lifecycle::Inactive);
    assert!(!c4.emails[0].primary && c4.emails.len() == 1);

    assert_eq!(c5.name.as_deref(), Some("Smith, Jones & Co"));
    assert_eq!(c5.addresses[0].lines, ["Unit 4\nRiverside Park"]);
    assert_eq!(c5.credit_limit, None);
    assert!(c5.emails.is_empty(), "empty cells give no e-mail");

    assert_eq!(c6.number, None);
    assert_eq!(c6.meta.refs.id("erp"), Some("1006"));

    assert!(!c8.emails[0].primary, "`no` is false");
    assert_eq!(c8.credit_limit.unwrap().amount.to_string(), "250000.125");
}

#[tokio::test]
async fn products_keep_text_skus_and_name_a_missing_sku() {
    let source = FileSource::<Product>::new(FileConfig::new(fixture("products.csv")).unwrap());
    let s = split(read_all(&source, ReadMode::Full).await);
    assert!(s.snapshot_complete);
    assert_eq!(keys(&s.upserts), ["00123", "00456"]);
    assert_eq!(s.rejected.len(), 2);

    let no_sku = &s.rejected[0];
    assert_eq!(no_sku.key.as_deref(), Some("row 3"), "no key to name: the row stands in");
    assert_eq!(no_sku.error.field(), Some("sku"));
    assert_eq!(no_sku.error.message(), "row 3: sku: missing field `sku`");
    assert_eq!(no_sku.error.record(), None);
    let bad_bool = &s.rejected[1];
    assert_eq!(bad_bool.key.as_deref(), Some("A-9"));
    assert_eq!(bad_bool.error.field(), Some("sold"));
    assert!(bad_bool.error.message().starts_with("row 5: sold: invalid value: string \"maybe\""));

    let [coffee, tea] = &s.upserts[..] else { unreachable!() };
    assert_eq!(coffee.sku, "00123");
    assert!(coffee.sold && coffee.stock_tracked);
    assert_eq!(coffee.weight_kg.unwrap().to_string(), "1.000");
    assert_eq!(coffee.sales_price.unwrap().amount.to_string(), "19.9900");
    assert_eq!(coffee.tax_percent, Some(dec("7")));
    assert_eq!(coffee.categories, ["Drinks", "Coffee"]);
    assert!(!tea.sold && !tea.stock_tracked);
    assert_eq!(tea.categories, ["Drinks", "Tea"]);
}

#[tokio::test]
async fn an_unknown_column_or_a_stray_cell_rejects_only_the_rows_that_use_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("products.csv");
    std::fs::write(
        &path,
        "sku;name;colour;sales_price.amount;sales_price.currency\n\
         P-1;Shirt;red;10.00;EUR\n\
         P-2;Mug;;5.00;EUR\n\
         \n\
         P-3;Cap;;3.00;EUR;stray\n\
         P-4;Scarf;;;;\n",
    )
    .unwrap();
    let config = FileConfig::new(&path).unwrap().with_delimiter(b';').unwrap();
    let s = split(read_all(&FileSource::<Product>::new(config), ReadMode::Full).await);
    assert_eq!(keys(&s.upserts), ["P-2", "P-4"]);
    let [colour, stray] = &s.rejected[..] else { panic!("{:?}", s.rejected) };
    assert_eq!(colour.key.as_deref(), Some("P-1"));
    assert_eq!(colour.error.field(), Some("colour"));
    assert_eq!(
        colour.error.message(),
        "row 2: colour: not a field of products: check the column name"
    );
    assert_eq!(stray.key.as_deref(), Some("P-3"));
    assert_eq!(stray.error.kind(), ErrorKind::Decode);
    assert_eq!(
        stray.error.message(),
        "row 5: cell 6 holds \"stray\" but the header has no column name for it"
    );
}

#[tokio::test]
async fn a_bad_header_fails_the_read_before_any_row() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.csv");
    std::fs::write(&path, "sku,name,emails.0,emails.0.address\nA,x,y,z\n").unwrap();
    let source = FileSource::<Product>::new(FileConfig::new(&path).unwrap());
    let items: Vec<_> = source.read(ReadMode::Full).collect().await;
    assert_eq!(items.len(), 1);
    let err = items.into_iter().next().unwrap().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.message().contains("column `emails.0.address` conflicts with column `emails.0`"));
    assert_eq!(err.operation(), Some("read products"));
}

#[tokio::test]
async fn an_empty_file_is_an_empty_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.csv");
    std::fs::write(&path, "").unwrap();
    let changes =
        read_all(&FileSource::<Product>::new(FileConfig::new(&path).unwrap()), ReadMode::Full)
            .await;
    assert!(matches!(&changes[..], [Change::SnapshotComplete]));
}

#[tokio::test]
async fn a_large_file_streams_through_the_bounded_channel() {
    const ROWS: usize = 50_000;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stock.csv");
    let mut text = String::from("sku,warehouse,on_hand,reserved\n");
    for i in 0..ROWS {
        text.push_str(&format!("SKU-{i:06},W{},{i}.5,1\n", i % 3));
    }
    std::fs::write(&path, text).unwrap();
    let source =
        FileSource::<connector_core::model::StockLevel>::new(FileConfig::new(&path).unwrap());
    let mut stream = source.read(ReadMode::Full);
    let mut count = 0;
    let mut last = None;
    while let Some(change) = stream.next().await {
        match change.unwrap() {
            Change::Upsert(level) => {
                count += 1;
                last = Some(level);
            }
            Change::SnapshotComplete => break,
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(count, ROWS);
    let last = last.unwrap();
    assert_eq!(last.sku, "SKU-049999");
    assert_eq!(last.on_hand.unwrap().to_string(), "49999.5");

    // Dropping a stream part-way stops the reading thread instead of blocking it.
    let mut partial = source.read(ReadMode::Full);
    for _ in 0..10 {
        partial.next().await.unwrap().unwrap();
    }
    drop(partial);
}
