//! The Parts PIM connector against its simulator.

use connector_core::Sink;
use connector_core::model::{Currency, Money, Product};
use connector_core::sink::{Outcome, WriteAction, WriteRequest};
use connector_parts_pim::PartsPimSink;
use connector_parts_pim::simulator::{PartsPimSimulator, api_spec};
use connector_testkit::assert_sink_contract;
use rust_decimal::Decimal;

fn product(sku: &str) -> Product {
    Product {
        sku: sku.into(),
        name: Some(format!("Artikel {sku}")),
        sales_price: Some(Money::new(Decimal::new(1995, 2), Currency::new("EUR").unwrap())),
        ..Default::default()
    }
}

#[tokio::test]
async fn the_product_sink_keeps_the_sink_contract() {
    let pim = PartsPimSimulator::start().await.unwrap();
    let sink = PartsPimSink::new(pim.config()).unwrap();
    let run = assert_sink_contract::<Product>(
        &sink,
        vec![product("100"), product("200"), product("300")],
    )
    .await;
    assert_eq!(run.created, 3);
    assert_eq!(pim.skus(), ["100", "200", "300"], "the retry created nothing twice");
    assert!(api_spec().check_journal(pim.journal()).is_empty());
}

#[tokio::test]
async fn a_letter_in_a_sku_is_refused_before_sending_and_the_rest_land() {
    let pim = PartsPimSimulator::start().await.unwrap();
    let sink = PartsPimSink::new(pim.config()).unwrap();
    let req = |sku: &str| WriteRequest {
        key: sku.into(),
        target_id: None,
        action: WriteAction::Upsert(product(sku)),
        idempotency_key: sku.into(),
        is_create: true,
    };
    let outcomes =
        Sink::<Product>::write(&sink, vec![req("4711"), req("47A1"), req("4712")]).await.unwrap();
    let refused = outcomes.iter().find(|o| o.key == "47A1").unwrap();
    let Outcome::Failed { error } = &refused.outcome else { panic!("{refused:?}") };
    assert!(error.to_string().contains("SKU `47A1` must be digits only"), "{error}");
    assert_eq!(pim.skus(), ["4711", "4712"]);
    assert!(
        pim.journal().entries().iter().all(|e| !String::from_utf8_lossy(&e.body).contains("47A1"))
    );
    // The employee number defaults to 999999.
    assert_eq!(pim.product("4711").unwrap()["employee_number"], "999999");
    assert_eq!(pim.product("4711").unwrap()["price"], "19.95");
}

#[tokio::test]
async fn the_file_transport_drops_whole_csv_files_with_markers_and_refuses_letters_first() {
    use connector_core::model::{Attribute, StockLevel};
    use connector_file::exchange::{Completion, Inbox};
    use connector_parts_pim::PartsPimConfig;
    let dir = tempfile::tempdir().unwrap();
    let sink = PartsPimSink::new(PartsPimConfig::file_drop(dir.path())).unwrap();
    let req = |p: Product| WriteRequest {
        key: p.sku.clone(),
        target_id: None,
        idempotency_key: String::new(),
        is_create: true,
        action: WriteAction::Upsert(p),
    };
    let mut saddle = product("5001");
    saddle.name = Some("Zadel, \"comfort\"".into());
    saddle.attributes = vec![Attribute { name: "kleur".into(), value: "zwart".into() }];
    let outcomes =
        Sink::<Product>::write(&sink, vec![req(saddle), req(product("50O1"))]).await.unwrap();
    let outcome = |k: &str| &outcomes.iter().find(|o| o.key == k).unwrap().outcome;
    assert!(matches!(outcome("5001"), Outcome::Created { .. }), "{outcomes:?}");
    assert!(
        matches!(outcome("50O1"), Outcome::Failed { .. }),
        "the letter O is refused before the file"
    );
    let inbox = Inbox::new(dir.path(), Completion::Marker).unwrap();
    let ready = inbox.ready().unwrap();
    assert_eq!(ready.len(), 1);
    let text = std::fs::read_to_string(&ready[0].path).unwrap();
    assert!(text.starts_with("sku,name,description,long_description,unit,price,gtin,categories,variant_of,attributes,features,employee_number\n"), "{text}");
    assert!(
        text.contains("5001,\"Zadel, \"\"comfort\"\"\",,,,19.95,,,,kleur=zwart,,999999\n"),
        "{text}"
    );
    assert!(!text.contains("50O1"));
    let stock = StockLevel {
        sku: "5001".into(),
        warehouse: None,
        on_hand: Some(Decimal::from(9)),
        reserved: Some(Decimal::from(2)),
        available: Some(Decimal::from(9)),
        incoming: None,
        as_of: None,
        meta: Default::default(),
    };
    let req = WriteRequest {
        key: "5001".into(),
        target_id: None,
        idempotency_key: String::new(),
        is_create: true,
        action: WriteAction::Upsert(stock),
    };
    Sink::<StockLevel>::write(&sink, vec![req]).await.unwrap();
    let files: Vec<String> = inbox
        .ready()
        .unwrap()
        .into_iter()
        .map(|f| std::fs::read_to_string(f.path).unwrap())
        .collect();
    assert!(
        files.iter().any(|t| t == "sku,available,employee_number\n5001,7,999999\n"),
        "{files:?}"
    );
}

#[tokio::test]
async fn updates_go_without_the_long_description_and_bad_numbers_are_refused_first() {
    use connector_core::model::{CustomField, CustomValue};
    use connector_file::exchange::{Completion, Inbox};
    use connector_parts_pim::PartsPimConfig;
    let dir = tempfile::tempdir().unwrap();
    let sink = PartsPimSink::new(PartsPimConfig::file_drop(dir.path())).unwrap();
    let mut bell = product("6001");
    bell.long_description = Some("Lange tekst".into());
    let mut odd = product("6002");
    odd.meta.custom.insert(
        "employee_number".into(),
        CustomField { value: CustomValue::Text("E12".into()), source: None },
    );
    let update = |p: Product| WriteRequest {
        key: p.sku.clone(),
        target_id: Some(p.sku.clone()),
        idempotency_key: String::new(),
        is_create: false,
        action: WriteAction::Upsert(p),
    };
    let out = Sink::<Product>::write(&sink, vec![update(bell), update(odd)]).await.unwrap();
    let failed = out.iter().find(|o| o.key == "6002").unwrap();
    let Outcome::Failed { error } = &failed.outcome else { panic!("{failed:?}") };
    assert!(error.to_string().contains("employee number `E12` must be digits"), "{error}");
    let files = Inbox::new(dir.path(), Completion::Marker).unwrap().ready().unwrap();
    assert_eq!(files.len(), 1);
    assert!(files[0].name.starts_with("products-update-"), "{}", files[0].name);
    let text = std::fs::read_to_string(&files[0].path).unwrap();
    assert!(text.starts_with("sku,name,description,unit,price,"), "{text}");
    assert!(!text.contains("Lange tekst"));
}
