//! JSON Lines reading: one canonical record per line, blank lines skipped, bad lines rejected
//! with their line number.

use connector_core::model::{CustomValue, Customer, Product, ProductKind};
use connector_core::{ErrorKind, ReadMode};
use connector_file::{FileConfig, FileSource};

use crate::support::{fixture, keys, read_all, split};

#[tokio::test]
async fn every_good_line_arrives_and_bad_lines_name_their_line() {
    let source = FileSource::<Product>::new(FileConfig::new(fixture("products.jsonl")).unwrap());
    let s = split(read_all(&source, ReadMode::Full).await);
    assert!(s.snapshot_complete);
    assert_eq!(keys(&s.upserts), ["00123", "00456", "C-1"]);

    let [broken, no_sku] = &s.rejected[..] else { panic!("{:?}", s.rejected) };
    assert_eq!(broken.key.as_deref(), Some("line 4"));
    assert_eq!(broken.error.kind(), ErrorKind::Decode);
    assert_eq!(
        broken.error.message(),
        "line 4: not valid JSON at column 29: EOF while parsing a value"
    );
    assert_eq!(broken.payload.as_deref(), Some(r#"{"sku":"B-1","name":"Broken","#));
    assert_eq!(no_sku.key.as_deref(), Some("line 5"));
    assert_eq!(no_sku.error.kind(), ErrorKind::InvalidInput);
    assert_eq!(no_sku.error.field(), Some("sku"));
    assert_eq!(no_sku.error.message(), "line 5: sku: missing field `sku`");

    let [coffee, tea, beijing] = &s.upserts[..] else { unreachable!() };
    assert_eq!(coffee.sales_price.unwrap().amount.to_string(), "19.9900");
    assert_eq!(tea.sales_price.unwrap().amount.to_string(), "4.50", "a JSON number, exactly");
    assert_eq!(tea.kind, ProductKind::Inventory);
    assert_eq!(beijing.name.as_deref(), Some("北京"));
    assert_eq!(beijing.weight_kg.unwrap().to_string(), "0.1000000000000000055511");
}

#[tokio::test]
async fn crlf_a_byte_order_mark_and_lenient_scalars_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("customers.ndjson");
    std::fs::write(
        &path,
        "\u{feff}{\"number\":1001,\"name\":\"Müller GmbH\",\"emails\":[{\"address\":\"a@x.example\",\"primary\":\"true\"}]}\r\n\
         \r\n\
         {\"number\":\"C-2\",\"meta\":{\"custom\":{\"vip\":{\"value\":{\"type\":\"bool\",\"value\":true}}}}}\r\n\
         [1,2]\r\n",
    )
    .unwrap();
    let s = split(
        read_all(&FileSource::<Customer>::new(FileConfig::new(&path).unwrap()), ReadMode::Full)
            .await,
    );
    assert_eq!(keys(&s.upserts), ["1001", "C-2"]);
    assert!(s.upserts[0].emails[0].primary);
    assert_eq!(s.upserts[1].meta.custom["vip"].value, CustomValue::Bool(true));
    let [array] = &s.rejected[..] else { panic!("{:?}", s.rejected) };
    assert_eq!(array.error.message(), "line 4: a line must hold one JSON object");
}
