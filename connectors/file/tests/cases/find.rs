//! `find`: a scan of the file for the last record matching a natural key or field.

use connector_core::model::{Customer, Invoice};
use connector_core::{LookupKey, Sink};
use connector_file::{FileConfig, FileSink};

#[tokio::test]
async fn find_returns_the_latest_version_by_key_or_field() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("customers.jsonl");
    std::fs::write(
        &path,
        "{\"number\":\"C-1\",\"name\":\"Müller GmbH\",\"emails\":[{\"address\":\"Info@Mueller.example\"}]}\n\
         {\"number\":\"C-2\",\"name\":\"Åsa Öberg\",\"tax_number\":\"SE556\"}\n\
         not json\n\
         {\"number\":\"C-1\",\"name\":\"Müller GmbH & Co. KG\",\"emails\":[{\"address\":\"info@mueller.example\"}]}\n",
    )
    .unwrap();
    let sink = FileSink::<Customer>::new(FileConfig::new(&path).unwrap());

    let found = sink.find(&LookupKey::new("number", "C-1")).await.unwrap().unwrap();
    assert_eq!(found.target_id, "C-1");
    assert_eq!(
        found.record.unwrap().name.as_deref(),
        Some("Müller GmbH & Co. KG"),
        "the last version wins"
    );

    let by_email =
        sink.find(&LookupKey::new("email", "INFO@mueller.example")).await.unwrap().unwrap();
    assert_eq!(by_email.target_id, "C-1");
    let by_field = sink.find(&LookupKey::new("tax_number", "SE556")).await.unwrap().unwrap();
    assert_eq!(by_field.target_id, "C-2");
    assert!(sink.find(&LookupKey::new("number", "C-404")).await.unwrap().is_none());

    let nowhere = FileSink::<Customer>::new(FileConfig::new(dir.path().join("none.csv")).unwrap());
    assert!(nowhere.find(&LookupKey::new("number", "C-1")).await.unwrap().is_none());
}

#[tokio::test]
async fn find_reads_documents_one_line_per_row() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("invoices.csv");
    std::fs::write(
        &path,
        "number,currency,party.customer.key,lines.sku,lines.quantity\n\
         INV-1,EUR,C-1,A,1\n\
         INV-1,EUR,C-1,B,2\n\
         INV-2,EUR,C-2,A,3\n",
    )
    .unwrap();
    let sink = FileSink::<Invoice>::new(FileConfig::new(&path).unwrap());
    let found = sink.find(&LookupKey::new("number", "INV-1")).await.unwrap().unwrap();
    assert_eq!(found.record.unwrap().lines.len(), 2);
    let by_customer =
        sink.find(&LookupKey::new("party.customer.key", "C-2")).await.unwrap().unwrap();
    assert_eq!(by_customer.target_id, "INV-2");
}
