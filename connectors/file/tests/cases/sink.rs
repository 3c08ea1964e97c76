//! The CSV and JSON Lines sink: headers, per-record failures, outcomes, appending.

use connector_core::model::{Customer, Email, Phone, Product};
use connector_core::{ErrorKind, Outcome, ReadMode, Sink, WriteAction, WriteRequest};
use connector_file::{FileConfig, FileSink, FileSource, MAX_BATCH};

use crate::support::{read_all, split, upsert};

fn customer(number: &str, name: &str) -> Customer {
    Customer { number: Some(number.into()), name: Some(name.into()), ..Default::default() }
}

#[tokio::test]
async fn a_value_without_a_column_fails_its_record_and_the_rest_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.csv");
    let config = FileConfig::new(&path)
        .unwrap()
        .with_columns(["number", "name", "emails.0.address"])
        .unwrap();
    let sink = FileSink::<Customer>::new(config);

    let mut with_phone = customer("C-2", "Phone Oy");
    with_phone.phones.push(Phone { number: "+358 9 123".into(), kind: Default::default() });
    let mut with_email = customer("C-3", "Smith, Jones & Co");
    with_email.emails.push(Email {
        address: "a@x.example".into(),
        kind: Default::default(),
        primary: false,
    });
    let batch = vec![
        upsert(customer("C-1", "Müller GmbH"), None),
        upsert(with_phone, None),
        upsert(with_email, Some("C-3")),
    ];
    let outcomes = sink.write(batch).await.unwrap();

    assert_eq!(outcomes.len(), 3);
    assert_eq!(outcomes[0].outcome, Outcome::Created { target_id: "C-1".into() });
    assert_eq!(outcomes[2].outcome, Outcome::Updated { target_id: "C-3".into() });
    assert_eq!(outcomes[1].key, "C-2");
    let Outcome::Failed { error } = &outcomes[1].outcome else { panic!("{:?}", outcomes[1]) };
    assert_eq!(error.kind(), ErrorKind::InvalidInput);
    assert_eq!(error.record(), Some("C-2"));
    let fields: Vec<&str> = error.field_errors().iter().map(|f| f.field.as_str()).collect();
    assert_eq!(
        fields,
        ["phones.0.number", "phones.0.kind"],
        "defaults such as `kind` are not data: {error}"
    );
    assert!(
        error
            .to_string()
            .contains("phones.0.number: has a value but the file's header has no such column"),
        "{error}"
    );

    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "number,name,emails.0.address\n\
         C-1,Müller GmbH,\n\
         C-3,\"Smith, Jones & Co\",a@x.example\n"
    );
}

#[tokio::test]
async fn an_existing_header_is_reused_and_a_missing_last_newline_added() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("products.csv");
    std::fs::write(
        &path,
        "\u{feff}sku;name;sales_price.amount;sales_price.currency\nA-1;Old;1.00;EUR",
    )
    .unwrap();
    let config = FileConfig::new(&path).unwrap().with_delimiter(b';').unwrap();
    let sink = FileSink::<Product>::new(config.clone());
    let product = serde_json::from_str::<Product>(
        r#"{"sku":"00123","name":"Kaffee; 1 kg","sales_price":{"amount":"19.9900","currency":"EUR"}}"#,
    )
    .unwrap();
    let outcomes = sink.write(vec![upsert(product.clone(), None)]).await.unwrap();
    assert_eq!(outcomes[0].outcome, Outcome::Created { target_id: "00123".into() });
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "\u{feff}sku;name;sales_price.amount;sales_price.currency\nA-1;Old;1.00;EUR\n00123;\"Kaffee; 1 kg\";19.9900;EUR\n"
    );
    let s = split(read_all(&FileSource::<Product>::new(config), ReadMode::Full).await);
    assert_eq!(s.upserts.len(), 2);
    assert_eq!(s.upserts[1], product);
}

#[tokio::test]
async fn a_new_file_takes_the_first_batch_columns_and_later_extra_fields_fail() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("customers.csv");
    let sink = FileSink::<Customer>::new(FileConfig::new(&path).unwrap());
    let mut c2 = customer("C-2", "B");
    c2.tax_number = Some("FI123".into());
    let first =
        sink.write(vec![upsert(customer("C-1", "A"), None), upsert(c2, None)]).await.unwrap();
    assert!(first.iter().all(|o| o.outcome.is_success()), "{first:?}");
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "number,kind,name,tax_number,meta.lifecycle\nC-1,company,A,,active\nC-2,company,B,FI123,active\n"
    );

    let mut c3 = customer("C-3", "C");
    c3.notes = Some("a note".into());
    let second =
        sink.write(vec![upsert(c3, None), upsert(customer("C-4", "D"), None)]).await.unwrap();
    let Outcome::Failed { error } = &second[0].outcome else { panic!("{second:?}") };
    assert_eq!(error.field(), Some("notes"));
    assert_eq!(second[1].outcome, Outcome::Created { target_id: "C-4".into() });

    // A second sink on the same file reads the header from the file.
    let again = FileSink::<Customer>::new(FileConfig::new(&path).unwrap());
    let third = again.write(vec![upsert(customer("C-5", "E"), None)]).await.unwrap();
    assert!(third[0].outcome.is_success());
    assert!(
        std::fs::read_to_string(&path)
            .unwrap()
            .ends_with("C-4,company,D,,active\nC-5,company,E,,active\n")
    );
}

#[tokio::test]
async fn configured_columns_must_match_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("customers.csv");
    std::fs::write(&path, "number,name\n").unwrap();
    let config = FileConfig::new(&path).unwrap().with_columns(["name", "number"]).unwrap();
    let err = FileSink::<Customer>::new(config)
        .write(vec![upsert(customer("C-1", "A"), None)])
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(err.message().contains("differ from the header"), "{err}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "number,name\n", "nothing written");
}

#[tokio::test]
async fn deactivation_is_skipped_and_capabilities_say_so() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("customers.jsonl");
    let sink = FileSink::<Customer>::new(FileConfig::new(&path).unwrap());
    let caps = sink.capabilities();
    assert_eq!((caps.max_batch, caps.max_concurrency, MAX_BATCH), (500, 1, 500));
    assert!(caps.can_find && !caps.can_deactivate && !caps.idempotent_writes);
    assert_eq!(caps.natural_key, "number");

    let deactivate = WriteRequest::<Customer> {
        key: "C-9".into(),
        target_id: Some("C-9".into()),
        action: WriteAction::Deactivate,
        idempotency_key: "i".into(),
        is_create: false,
    };
    let outcomes = sink.write(vec![deactivate, upsert(customer("C-1", "A"), None)]).await.unwrap();
    assert_eq!(
        outcomes[0].outcome,
        Outcome::Skipped {
            reason: "file sink cannot deactivate".into(),
            target_id: Some("C-9".into())
        }
    );
    assert_eq!(outcomes[1].outcome, Outcome::Created { target_id: "C-1".into() });
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "{\"number\":\"C-1\",\"kind\":\"company\",\"name\":\"A\",\"meta\":{\"lifecycle\":\"active\"}}\n"
    );
}
