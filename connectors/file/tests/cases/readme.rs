//! The README's CSV examples read cleanly, so the documentation cannot drift from the code.

use connector_core::model::{Customer, CustomerKind, Invoice};
use connector_core::{Entity, ReadMode};
use connector_file::{FileConfig, FileSource};

use crate::support::{keys, read_all, split};

/// The ```csv blocks of the README, in order.
fn csv_examples() -> Vec<String> {
    let readme = include_str!("../../README.md");
    readme
        .split("```csv\n")
        .skip(1)
        .map(|block| block.split("```").next().unwrap().to_owned())
        .collect()
}

async fn read_example<E: Entity>(text: &str) -> Vec<E> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("example.csv");
    std::fs::write(&path, text).unwrap();
    let s = split(
        read_all(&FileSource::<E>::new(FileConfig::new(&path).unwrap()), ReadMode::Full).await,
    );
    assert!(s.rejected.is_empty(), "{:?}", s.rejected);
    s.upserts
}

#[tokio::test]
async fn the_readme_examples_read_cleanly() {
    let examples = csv_examples();
    assert_eq!(examples.len(), 2);

    let customers = read_example::<Customer>(&examples[0]).await;
    assert_eq!(keys(&customers), ["C-1", "C-2"]);
    assert_eq!(customers[1].kind, CustomerKind::Person);
    assert!(customers[1].emails[0].primary);
    assert_eq!(customers[0].credit_limit.unwrap().amount.to_string(), "5000.00");

    let invoices = read_example::<Invoice>(&examples[1]).await;
    assert_eq!(keys(&invoices), ["INV-1001", "INV-1002"]);
    assert_eq!(invoices[0].lines.len(), 2);
    assert_eq!(invoices[0].lines[0].unit_price.unwrap().amount.to_string(), "19.9900");
    assert_eq!(invoices[0].lines[1].quantity.to_string(), "1.500");
}
