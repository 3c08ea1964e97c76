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

// The orders flow of the example, with its section of the mapping file.
#[allow(dead_code)]
#[path = "../examples/partspim_accountview/flows.rs"]
mod flows;

mod orders {
    use connector_sdk::flow::RunMode;
    use serde_json::{Value, json};

    use super::*;

    fn pim_order(number: &str, customer: Value, sku: &str, term: &str, method: &str) -> Value {
        json!({"number": number, "employee_number": "999999", "currency": "EUR", "order_date": "2024-05-01",
               "updated_at": "2024-05-01T10:00:00Z", "payment_term": term, "payment_method": method,
               "customer": customer, "note": "Graag achterom leveren",
               "lines": [{"sku": sku, "quantity": "2", "unit_price": "4.95", "description": "Fietsbel"}]})
    }

    fn debtor_of(av: &AccountViewSimulator, ext_id: &str) -> Option<String> {
        av.orders()
            .into_iter()
            .find(|o| o["EXT_ID"] == ext_id)
            .and_then(|o| o["SUB_NR"].as_str().map(str::to_owned))
    }

    #[tokio::test]
    async fn orders_land_with_their_debtors_and_an_existing_order_is_skipped() {
        let av = AccountViewSimulator::builder().demo_data().start().await.unwrap();
        let pim = PartsPimSimulator::start().await.unwrap();
        let company = json!({"number": "20001", "company_name": "Rijwielhandel Noord", "first_name": "Piet",
                             "last_name": "Bakker", "email": "piet@noord.example"});
        let private = json!({"number": "20002", "first_name": "Sanne", "last_name": "Visser",
                             "email": "sanne@visser.example"});
        let known = json!({"number": "20003", "first_name": "Anna", "last_name": "de Vries",
                           "email": "Anna@DeVries.example"});
        let unknown_product =
            json!({"number": "20004", "email": "kees@example.nl", "first_name": "Kees"});
        pim.put_order(pim_order("700001", company, "100200", "30 dagen", "iDEAL"));
        pim.put_order(pim_order("700002", private, "100300", "14 dagen", "Incasso"));
        pim.put_order(pim_order("700003", known, "100400", "contant", "bank transfer"));
        pim.put_order(pim_order("700004", unknown_product, "424242", "30 dagen", "iDEAL"));
        let client = accountview(&av);
        let state: Arc<dyn StateStore> = Arc::new(MemoryStore::new());

        let flow = flows::orders_flow(pim.config(), client.clone(), None, state.clone()).unwrap();
        let r = flow.run(RunMode::Full).await;
        assert_eq!((r.counts.created, r.counts.quarantined), (3, 1), "{r:?}");

        // A company order makes a company debtor with its contact person; a private one a
        // person debtor; a known e-mail address finds the debtor there is.
        let noord = av.contact("20001").expect("a company debtor");
        assert_eq!(noord["ACCT_NAME"], "Rijwielhandel Noord");
        assert_eq!(noord["MAIN_CONT"], "Piet Bakker");
        assert_eq!(noord["MC_MAILB"], "piet@noord.example");
        let visser = av.contact("20002").expect("a person debtor");
        assert_eq!(visser["ACCT_NAME"], "Sanne Visser");
        assert!(visser.get("MAIN_CONT").is_none_or(Value::is_null), "no contact person");
        assert!(av.contact("20003").is_none(), "found by e-mail, not created");
        assert_eq!(debtor_of(&av, "700001").as_deref(), Some("20001"));
        assert_eq!(debtor_of(&av, "700002").as_deref(), Some("20002"));
        assert_eq!(debtor_of(&av, "700003").as_deref(), Some("1002"));

        // Payment terms and methods through the mapping's value maps.
        let header = |ext: &str| av.orders().into_iter().find(|o| o["EXT_ID"] == ext).unwrap();
        assert_eq!(
            (header("700001")["DISC_CODE"].clone(), header("700001")["DD_ACT"].clone()),
            (json!("30"), json!(false))
        );
        assert_eq!(
            (header("700002")["DISC_CODE"].clone(), header("700002")["DD_ACT"].clone()),
            (json!("14"), json!(true))
        );
        assert_eq!(header("700003")["DISC_CODE"], "00");
        let lines = av.order_lines(header("700001")["REC_ID"].as_str().unwrap());
        assert_eq!(
            (lines[0]["ART_QTY"].to_string(), lines[0]["ART_PX"].to_string()),
            ("2".into(), "4.95".into())
        );

        // The order naming an unknown product is quarantined naming the SKU, never placed.
        let q = state.quarantine_list(&Default::default()).await.unwrap();
        assert_eq!(q.len(), 1);
        assert_eq!(q[0].key, "700004");
        assert!(q[0].error.to_string().contains("\"424242\" does not exist"), "{}", q[0].error);
        assert!(debtor_of(&av, "700004").is_none());

        // With a state that does not know them (a new worker, a lost ledger), the orders
        // AccountView has are skipped, not placed again.
        let fresh: Arc<dyn StateStore> = Arc::new(MemoryStore::new());
        let flow = flows::orders_flow(pim.config(), client, None, fresh).unwrap();
        let r = flow.run(RunMode::Full).await;
        assert_eq!((r.counts.created, r.counts.skipped), (0, 3), "{r:?}");
        assert_eq!(av.orders().len(), 3);
        let breaches =
            connector_sdk::accountview::simulator::api_spec().check_journal(av.journal());
        assert!(breaches.is_empty(), "{breaches:#?}");
        let breaches = connector_sdk::parts_pim::simulator::api_spec().check_journal(pim.journal());
        assert!(breaches.is_empty(), "{breaches:#?}");
    }

    #[tokio::test]
    async fn a_default_debtor_takes_the_orders_of_customers_accountview_does_not_know() {
        let av = AccountViewSimulator::builder().demo_data().start().await.unwrap();
        let pim = PartsPimSimulator::start().await.unwrap();
        let walk_in = json!({"first_name": "Bram", "email": "bram@example.nl"});
        pim.put_order(pim_order("700010", walk_in, "100200", "contant", "iDEAL"));
        let state: Arc<dyn StateStore> = Arc::new(MemoryStore::new());
        let flow =
            flows::orders_flow(pim.config(), accountview(&av), Some("1001".into()), state).unwrap();
        let r = flow.run(RunMode::Full).await;
        assert_eq!(r.counts.created, 1, "{r:?}");
        assert_eq!(debtor_of(&av, "700010").as_deref(), Some("1001"));
        assert!(av.orders().len() == 1 && av.contact("bram").is_none());
    }
}

mod orders_out {
    use connector_sdk::flow::RunMode;
    use connector_sdk::parts_pim::PartsPimConfig;
    use serde_json::json;

    use super::*;

    fn av_order(
        number: &str,
        sku: &str,
        ext_id: Option<&str>,
    ) -> (serde_json::Value, Vec<serde_json::Value>) {
        let mut h = json!({"ORD_NR": number, "SUB_NR": "1001", "ORD_DATE": "2024-05-02T00:00:00", "CUR_CODE": "EUR",
                           "DISC_CODE": "30", "DD_ACT": false, "EMP_NR": "JDV"});
        if let Some(e) = ext_id {
            h["EXT_ID"] = json!(e);
        }
        (
            h,
            vec![
                json!({"ART_CODE": sku, "ART_DESC1": "Fietsbel", "ART_QTY": 3, "ART_PX": 4.95, "DISC_PCT": 0}),
            ],
        )
    }

    #[tokio::test]
    async fn accountview_orders_reach_parts_pim_with_the_employee_number_once() {
        let av = AccountViewSimulator::builder().demo_data().start().await.unwrap();
        let pim = PartsPimSimulator::start().await.unwrap();
        pim.put_product("100200", "Fietsbel chroom");
        for (number, sku, ext) in [
            ("240101", "100200", None),
            ("240102", "100300", None),
            ("240103", "100200", Some("700001")),
        ] {
            let (h, l) = av_order(number, sku, ext);
            av.put_order(h, l);
        }
        let client = accountview(&av);
        let state: Arc<dyn StateStore> = Arc::new(MemoryStore::new());
        let r = flows::orders_to_pim_flow(client.clone(), pim.config(), state.clone())
            .unwrap()
            .run(RunMode::Full)
            .await;
        assert_eq!((r.counts.created, r.counts.quarantined, r.counts.skipped), (1, 1, 1), "{r:?}");
        let placed = pim.orders();
        assert_eq!(placed.len(), 1);
        assert_eq!(placed[0]["number"], "240101");
        assert_eq!(
            placed[0]["employee_number"], "999999",
            "AccountView's employee code JDV is not a PIM number"
        );
        assert_eq!(placed[0]["customer"]["number"], "1001");
        assert_eq!(
            (
                placed[0]["lines"][0]["quantity"].clone(),
                placed[0]["lines"][0]["unit_price"].clone()
            ),
            (json!("3"), json!("4.95"))
        );
        let q = state.quarantine_list(&Default::default()).await.unwrap();
        assert_eq!(q[0].key, "240102");
        assert!(
            q[0].error.to_string().contains("\"100300\" does not exist in parts-pim"),
            "{}",
            q[0].error
        );

        // Again with a fresh state: the order Parts PIM has is skipped, not placed twice.
        let fresh: Arc<dyn StateStore> = Arc::new(MemoryStore::new());
        let r = flows::orders_to_pim_flow(client, pim.config(), fresh)
            .unwrap()
            .run(RunMode::Full)
            .await;
        assert_eq!(r.counts.created, 0, "{r:?}");
        assert_eq!(pim.orders().len(), 1);
        assert!(
            connector_sdk::parts_pim::simulator::api_spec().check_journal(pim.journal()).is_empty()
        );
        assert!(
            connector_sdk::accountview::simulator::api_spec()
                .check_journal(av.journal())
                .is_empty()
        );
    }

    #[tokio::test]
    async fn the_employee_number_setting_is_on_every_order() {
        let av = AccountViewSimulator::builder().demo_data().start().await.unwrap();
        let pim = PartsPimSimulator::start().await.unwrap();
        pim.put_product("100200", "Fietsbel chroom");
        let (h, l) = av_order("240201", "100200", None);
        av.put_order(h, l);
        let mut options = std::collections::BTreeMap::new();
        options.insert("base_url".to_owned(), pim.api_url());
        options
            .insert("api_key".to_owned(), connector_sdk::parts_pim::simulator::API_KEY.to_owned());
        options.insert("employee_number".to_owned(), "4711".to_owned());
        let config = PartsPimConfig::from_options(&options).unwrap();
        let state: Arc<dyn StateStore> = Arc::new(MemoryStore::new());
        let r = flows::orders_to_pim_flow(accountview(&av), config, state)
            .unwrap()
            .run(RunMode::Full)
            .await;
        assert_eq!(r.counts.created, 1, "{r:?}");
        assert_eq!(pim.orders()[0]["employee_number"], "4711");
    }

    #[tokio::test]
    async fn over_the_file_transport_orders_go_as_a_dropped_file_and_come_as_exported_ones() {
        let av = AccountViewSimulator::builder().demo_data().start().await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let (h, l) = av_order("240301", "100200", None);
        av.put_order(h, l);
        // One client: AccountView's refresh tokens rotate.
        let client = accountview(&av);
        let state: Arc<dyn StateStore> = Arc::new(MemoryStore::new());
        let config = PartsPimConfig::file_drop(dir.path());
        let r = flows::orders_to_pim_flow(client.clone(), config, state)
            .unwrap()
            .run(RunMode::Full)
            .await;
        assert_eq!(r.counts.created, 1, "{r:?}");
        let dropped: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
            .filter(|n| n.starts_with("orders-") && n.ends_with(".csv"))
            .collect();
        assert_eq!(dropped.len(), 1);
        assert!(dir.path().join(format!("{}.done", dropped[0])).exists(), "with its marker");
        let text = std::fs::read_to_string(dir.path().join(&dropped[0])).unwrap();
        assert!(
            text.lines().nth(1).unwrap().starts_with("240301,2024-05-02,,EUR,999999,30,"),
            "{text}"
        );

        // The PIM's own export of orders, the other way: into AccountView.
        // (Its payment terms are the PIM's own words.)
        let pim_file = text
            .replace("240301", "700301")
            .replace(",1001,", ",20031,")
            .replace(",999999,30,", ",999999,30 dagen,");
        std::fs::create_dir_all(dir.path().join("orders")).unwrap();
        std::fs::write(dir.path().join("orders/orders-0001.csv"), pim_file).unwrap();
        let mut config = PartsPimConfig::file_drop(dir.path());
        config.settle = std::time::Duration::ZERO;
        let state: Arc<dyn StateStore> = Arc::new(MemoryStore::new());
        let r = flows::orders_flow(config, client, Some("1001".into()), state)
            .unwrap()
            .run(RunMode::Full)
            .await;
        assert_eq!(r.counts.created, 1, "{r:?}");
        assert!(av.orders().iter().any(|o| o["EXT_ID"] == "700301"));
    }
}
