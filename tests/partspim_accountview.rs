//! The APIcenter flows between Visma AccountView and Parts PIM, on their simulators: products
//! and stock from AccountView into Parts PIM through `examples/mappings/parts-pim-accountview.toml`.

use std::sync::Arc;

use connector_sdk::Sink;
use connector_sdk::accountview::simulator::AccountViewSimulator;
use connector_sdk::accountview::{AccountViewClient, AccountViewSource};
use connector_sdk::flow::{Flow, RunMode};
use connector_sdk::mapping::{Format, Loader, MappingPlan};
use connector_sdk::model::{Product, StockLevel};
use connector_sdk::parts_pim::PartsPimSink;
use connector_sdk::parts_pim::simulator::PartsPimSimulator;
use connector_sdk::state::{MemoryStore, StateStore};
use serde_json::json;

fn mapping(name: &str) -> Arc<MappingPlan> {
    let text = include_str!("../examples/mappings/parts-pim-accountview.toml");
    let mut set = Loader::new().load_str(text, Format::Toml, "parts-pim-accountview.toml").unwrap();
    Arc::new(set.take(name).unwrap())
}

/// One client per AccountView company: its refresh tokens rotate, so runs share it.
fn accountview(av: &AccountViewSimulator) -> AccountViewClient {
    AccountViewClient::new(av.config(), None).unwrap()
}

fn products_flow(
    av: &AccountViewClient,
    pim: &PartsPimSimulator,
    state: Arc<dyn StateStore>,
) -> Flow<Product> {
    let plan = mapping("products");
    let source = Arc::new(AccountViewSource::new(av.clone()));
    Flow::builder(
        "partspim-products",
        source,
        Arc::new(PartsPimSink::new(pim.config()).unwrap()) as Arc<dyn Sink<Product>>,
        state,
    )
    .step(plan.step::<Product>().unwrap())
    .configure(|o| o.prepare_update = plan.prepare_update::<Product>())
    .build()
}

#[tokio::test]
async fn products_land_with_digit_skus_and_the_long_description_is_written_on_create_only() {
    let av = AccountViewSimulator::builder().demo_data().start().await.unwrap();
    let pim = PartsPimSimulator::start().await.unwrap();
    av.put_article(json!({"REC_ID": "A0009", "ART_CODE": "100A00", "ART_DESC1": "Letter in de code", "SALES_PRC": 1.0, "UNIT": "st"}));
    let state: Arc<dyn StateStore> = Arc::new(MemoryStore::new());
    let client = accountview(&av);

    let r = products_flow(&client, &pim, state.clone()).run(RunMode::Full).await;
    assert_eq!((r.counts.created, r.counts.quarantined), (3, 1), "{r:?}");
    assert_eq!(pim.skus(), ["100200", "100300", "100400"]);
    let q = state.quarantine_list(&Default::default()).await.unwrap();
    assert!(q[0].error.to_string().contains("100A00"), "{:?}", q[0].error);
    assert!(
        !pim.journal()
            .entries()
            .iter()
            .any(|e| String::from_utf8_lossy(&e.body).contains("100A00")),
        "never sent"
    );
    let bell = pim.product("100200").unwrap();
    assert_eq!(
        (bell["long_description"].as_str(), bell["unit"].as_str()),
        (Some("Klassieke bel"), Some("ST"))
    );
    assert_eq!(
        (bell["employee_number"].as_str(), bell["price"].as_str()),
        (Some("999999"), Some("4.95"))
    );

    // Renamed and re-described in AccountView: the name follows, the long description the
    // PIM holds (maybe enriched there) is left alone.
    av.put_article(json!({"REC_ID": "A0001", "ART_CODE": "100200", "ART_DESC1": "Fietsbel chroom XL",
                          "ART_DESC2": "Nieuwe tekst", "SALES_PRC": 5.25, "UNIT": "st", "EAN_CODE": "8712345678906"}));
    let r = products_flow(&client, &pim, state.clone()).run(RunMode::Full).await;
    assert_eq!(r.counts.updated, 1, "{r:?}");
    let bell = pim.product("100200").unwrap();
    assert_eq!(bell["name"], "Fietsbel chroom XL");
    assert_eq!(bell["price"], "5.25");
    assert_eq!(bell["long_description"], "Klassieke bel");
    let breaches = connector_sdk::parts_pim::simulator::api_spec().check_journal(pim.journal());
    assert!(breaches.is_empty(), "{breaches:#?}");
}

#[tokio::test]
async fn stock_is_available_less_reservations_with_the_employee_number() {
    let av = AccountViewSimulator::builder().demo_data().start().await.unwrap();
    let pim = PartsPimSimulator::start().await.unwrap();
    let state: Arc<dyn StateStore> = Arc::new(MemoryStore::new());
    let client = accountview(&av);
    products_flow(&client, &pim, state.clone()).run(RunMode::Full).await;
    let source = Arc::new(AccountViewSource::new(client));
    let sink = Arc::new(PartsPimSink::new(pim.config()).unwrap()) as Arc<dyn Sink<StockLevel>>;
    let r = Flow::builder("partspim-stock", source, sink, state).build().run(RunMode::Full).await;
    assert_eq!(r.counts.updated, 3, "{r:?}");
    let sent: Vec<_> = ["100200", "100300", "100400"]
        .iter()
        .map(|s| pim.stock(s).unwrap()["available"].clone())
        .collect();
    assert_eq!(sent, [json!("105"), json!("0"), json!("40.5")], "8 held, 9 reserved: none to sell");
    assert_eq!(pim.stock("100200").unwrap()["employee_number"], "999999");
}
