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
