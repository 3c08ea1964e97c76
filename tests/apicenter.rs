//! APIcenter, orders Salesforce → Exact Online end to end on both simulators: only paid
//! orders, an order already in Exact skipped and reported so, a company order on an
//! account with its contact person and a private order on a person debtor, an unknown SKU
//! quarantined naming the SKU and replayed once the product exists.

use std::sync::Arc;

use connector_sdk::exact_online::simulator::ExactSimulator;
use connector_sdk::exact_online::{ExactClient, ExactSink};
use connector_sdk::flow::steps::{FindOrCreateCustomer, SkipIfExists};
use connector_sdk::flow::{Flow, RunMode, StepOutcome, filter, step_fn};
use connector_sdk::model::{Customer, Order, OrderStatus};
use connector_sdk::salesforce::simulator::SalesforceSimulator;
use connector_sdk::salesforce::{SalesforceClient, SalesforceSource};
use connector_sdk::sink::{LookupKey, Sink};
use connector_sdk::state::{MemoryStore, StateStore};

async fn orders_flow(
    sf: &SalesforceSimulator,
    eo: &ExactSimulator,
    state: Arc<dyn StateStore>,
    eo_store: Arc<dyn connector_sdk::http::TokenStore>,
) -> Flow<Order> {
    let source = Arc::new(SalesforceSource::new(
        SalesforceClient::connect(sf.config(), None).await.unwrap(),
    ));
    let exact =
        Arc::new(ExactSink::new(ExactClient::connect(eo.config(), Some(eo_store)).await.unwrap()));
    let paid = filter::<Order, _>("paid-only", "the order is not paid", |o: &Order| {
        matches!(&o.status, OrderStatus::Paid)
            || matches!(&o.status, OrderStatus::Other(s) if s == "Paid")
    });
    let skip = SkipIfExists::new(exact.clone() as Arc<dyn Sink<Order>>, |o: &Order| {
        o.number.as_ref().map(|n| LookupKey::new("number", n.clone()))
    });
    let customers =
        FindOrCreateCustomer::new(exact.clone() as Arc<dyn Sink<Customer>>).into_step::<Order>();
    // The party's id is Salesforce's account id: Exact's comes from the customer step.
    let drop_ids = step_fn("drop-source-ids", |mut o: Order, _ctx: &_| {
        o.party.customer.id = None;
        StepOutcome::Continue(o)
    });
    Flow::builder("salesforce-orders-to-exact", source, exact as Arc<dyn Sink<Order>>, state)
        .step(paid)
        .step(drop_ids)
        .step(skip)
        .step(customers)
        .build()
}

fn token_store() -> Arc<dyn connector_sdk::http::TokenStore> {
    Arc::new(connector_sdk::http::MemoryTokenStore::new(None))
}

#[tokio::test(flavor = "multi_thread")]
async fn paid_orders_land_in_exact_with_company_and_person_debtors_and_reruns_skip() {
    let sf = SalesforceSimulator::start().await.unwrap();
    let eo = ExactSimulator::start().await.unwrap();
    let tokens = token_store();
    let flow = orders_flow(&sf, &eo, Arc::new(MemoryStore::new()), tokens.clone()).await;
    let report = flow.run(RunMode::Full).await;
    assert!(report.failure.is_none(), "{:?}", report.failure);
    assert_eq!(report.counts.created, 2, "{report:?}");
    assert_eq!(report.counts.skipped, 1, "the draft order is ignored: {report:?}");
    assert_eq!(eo.orders().len(), 2);

    // The company order went on the existing account (matched by e-mail).
    let ketting =
        eo.orders().find(|r| r.value["OrderedBy"] == "a1b2c3d4-0001-4000-8000-000000000001");
    assert!(ketting.is_some());
    // The private order created a person debtor with the person as contact.
    let maria = eo.accounts().find(|r| r.value["Name"] == "Maria Jansen").expect("a person debtor");
    assert!(
        eo.contacts()
            .find(|r| r.value["Account"] == maria.id.as_str() && r.value["LastName"] == "Jansen")
            .is_some()
    );
    assert!(eo.orders().find(|r| r.value["OrderedBy"] == maria.id.as_str()).is_some());

    // A fresh ledger (a new installation): the orders already in Exact are skipped, saying so.
    let again = orders_flow(&sf, &eo, Arc::new(MemoryStore::new()), tokens).await;
    let report = again.run(RunMode::Full).await;
    assert!(report.failure.is_none(), "{:?}", report.failure);
    assert_eq!(report.counts.created, 0, "{report:?}");
    assert_eq!(report.counts.skipped, 3, "{report:?}");
    assert_eq!(eo.orders().len(), 2, "nothing doubled");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_sku_is_quarantined_naming_it_and_replays_once_the_product_exists() {
    let sf = SalesforceSimulator::start().await.unwrap();
    let eo = ExactSimulator::start().await.unwrap();
    let account = sf.object("Account").find(|r| r.value["ERP_Id__c"] == "1068").unwrap().id;
    let contact =
        sf.object("Contact").find(|r| r.value["AccountId"] == account.as_str()).unwrap().id;
    sf.object("Product2").insert(serde_json::json!({"Name": "E-bike", "ProductCode": "EBIKE-X", "SKU__c": "EBIKE-X", "IsActive": true})).unwrap();
    let number = sf.add_order(&account, Some(&contact), "Paid", &[("EBIKE-X", "1", "1999.00")]);
    let flow = orders_flow(&sf, &eo, Arc::new(MemoryStore::new()), token_store()).await;
    let report = flow.run(RunMode::Full).await;
    assert!(report.failure.is_none(), "{:?}", report.failure);
    assert_eq!(report.counts.quarantined, 1, "{report:?}");
    let (key, error) =
        report.errors.iter().find(|(k, _)| k == &number).expect("the order is named");
    assert_eq!(key, &number);
    assert!(error.to_string().contains("EBIKE-X"), "{error}");

    eo.add_item("EBIKE-X", "E-bike", "1999.00");
    let replay = flow.replay().await;
    assert!(replay.failure.is_none(), "{:?}", replay.failure);
    assert_eq!(replay.counts.created, 1, "{replay:?}");
    let so = eo.orders().find(|r| r.value["YourRef"] == number.as_str()).expect("the order landed");
    assert_eq!(so.value["SalesOrderLines"][0]["ItemCode"], "EBIKE-X");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_split_delivery_gives_two_shipments_with_their_own_tracking_codes_in_salesforce() {
    use connector_sdk::exact_online::ExactSource;
    use connector_sdk::model::Shipment;
    use connector_sdk::salesforce::SalesforceSink;
    let sf = SalesforceSimulator::start().await.unwrap();
    let eo = ExactSimulator::start().await.unwrap();
    let tokens = token_store();
    let orders = orders_flow(&sf, &eo, Arc::new(MemoryStore::new()), tokens.clone()).await;
    assert!(orders.run(RunMode::Full).await.failure.is_none());
    let so = eo
        .orders()
        .find(|r| r.value["SalesOrderLines"].as_array().is_some_and(|l| l.len() == 2))
        .unwrap();
    let number = so.value["OrderNumber"].as_i64().unwrap();
    let your_ref = so.value["YourRef"].as_str().unwrap().to_owned();
    eo.deliver(number, &[("BIKE-CITY-M", "1"), ("LOCK-CHAIN", "2")], "3SABCD0001", "PostNL")
        .unwrap();
    eo.deliver(number, &[("BIKE-CITY-M", "1")], "3SABCD0002", "PostNL").unwrap();

    let source =
        Arc::new(ExactSource::new(ExactClient::connect(eo.config(), Some(tokens)).await.unwrap()));
    let sink =
        Arc::new(SalesforceSink::new(SalesforceClient::connect(sf.config(), None).await.unwrap()));
    let flow = Flow::builder(
        "exact-shipments-to-salesforce",
        source,
        sink as Arc<dyn Sink<Shipment>>,
        Arc::new(MemoryStore::new()),
    )
    .build();
    let report = flow.run(RunMode::Full).await;
    assert!(report.failure.is_none(), "{:?}", report.failure);
    assert_eq!(report.counts.created, 2, "{report:?}");
    let order_id =
        sf.object("Order").find(|r| r.value["OrderNumber"] == your_ref.as_str()).unwrap().id;
    let mut codes: Vec<String> = sf
        .object("Shipment__c")
        .all()
        .into_iter()
        .inspect(|r| assert_eq!(r.value["Order__c"], order_id.as_str()))
        .map(|r| r.value["Tracking_Code__c"].as_str().unwrap().to_owned())
        .collect();
    codes.sort();
    assert_eq!(codes, ["3SABCD0001", "3SABCD0002"]);
    // Run again: nothing changes, nothing doubles.
    let again = flow.run(RunMode::Changes).await;
    assert!(again.failure.is_none(), "{:?}", again.failure);
    assert_eq!(sf.object("Shipment__c").len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn products_keep_the_enriched_description_on_update_and_a_deleted_item_goes_inactive() {
    use connector_sdk::exact_online::ExactSource;
    use connector_sdk::model::{Product, StockLevel};
    use connector_sdk::salesforce::SalesforceSink;
    let sf = SalesforceSimulator::builder().empty().start().await.unwrap();
    let eo = ExactSimulator::start().await.unwrap();
    let tokens = token_store();
    let source =
        Arc::new(ExactSource::new(ExactClient::connect(eo.config(), Some(tokens)).await.unwrap()));
    let sink =
        Arc::new(SalesforceSink::new(SalesforceClient::connect(sf.config(), None).await.unwrap()));
    let flow = Flow::builder(
        "exact-products-to-salesforce",
        source.clone(),
        sink.clone() as Arc<dyn Sink<Product>>,
        Arc::new(MemoryStore::new()),
    )
    .configure(|o| {
        // The long description goes on create only: enrichment in Salesforce stays.
        o.prepare_update = Some(Arc::new(|p: &mut Product| {
            p.long_description = None;
            p.description = None;
        }));
        o.deactivate_absent = true;
        o.max_deactivate_percent = 50;
    })
    .build();
    let report = flow.run(RunMode::Full).await;
    assert!(report.failure.is_none(), "{:?}", report.failure);
    assert_eq!(report.counts.created, 4, "{report:?}");
    let products = sf.object("Product2");
    let bike = products.find(|r| r.value["SKU__c"] == "BIKE-CITY-M").unwrap();
    assert!(bike.value["Description"].as_str().unwrap().starts_with("Aluminium"));
    assert_eq!(sf.object("PricebookEntry").len(), 4);

    products
        .update(&bike.id, &serde_json::json!({"Description": "Enriched by marketing"}))
        .unwrap();
    let item = eo.items().find(|r| r.value["Code"] == "BIKE-CITY-M").unwrap();
    eo.items().update(&item.id, &serde_json::json!({"Description": "City bike, 53 cm (2026)", "Notes": "Changed in Exact"})).unwrap();
    assert!(eo.delete_item("LOCK-CHAIN"));
    let report = flow.run(RunMode::Full).await;
    assert!(report.failure.is_none(), "{:?}", report.failure);
    let bike = products.get(&bike.id).unwrap().value;
    assert_eq!(bike["Name"], "City bike, 53 cm (2026)");
    assert_eq!(bike["Description"], "Enriched by marketing", "left alone on update");
    let lock = products.find(|r| r.value["SKU__c"] == "LOCK-CHAIN").unwrap();
    assert_eq!(
        lock.value["IsActive"], false,
        "deleted in Exact, inactive in Salesforce: {report:?}"
    );

    // Stock: available = on hand − reserved.
    let stock = Flow::builder(
        "exact-stock-to-salesforce",
        source,
        sink as Arc<dyn Sink<StockLevel>>,
        Arc::new(MemoryStore::new()),
    )
    .build();
    let report = stock.run(RunMode::Full).await;
    assert!(report.failure.is_none(), "{:?}", report.failure);
    let bike = products.find(|r| r.value["SKU__c"] == "BIKE-CITY-M").unwrap();
    assert_eq!(bike.value["Stock_Quantity__c"].to_string(), "9");
}

#[tokio::test(flavor = "multi_thread")]
async fn customers_follow_every_change_with_the_mandatory_target_settings() {
    use connector_sdk::exact_online::ExactSource;
    use connector_sdk::model::{CustomField, CustomValue};
    use connector_sdk::salesforce::SalesforceSink;
    let sf = SalesforceSimulator::builder().empty().start().await.unwrap();
    let eo = ExactSimulator::start().await.unwrap();
    let source = Arc::new(ExactSource::new(
        ExactClient::connect(eo.config(), Some(token_store())).await.unwrap(),
    ));
    let sink =
        Arc::new(SalesforceSink::new(SalesforceClient::connect(sf.config(), None).await.unwrap()));
    // A setting the target requires on every account (a posting group, here a picklist).
    let settings = step_fn("target-settings", |mut c: Customer, _ctx: &_| {
        c.meta.custom.insert(
            "salesforce:Posting_Group__c".into(),
            CustomField { value: CustomValue::Choice("DOMESTIC".into()), source: None },
        );
        StepOutcome::Continue(c)
    });
    let flow = Flow::builder(
        "exact-customers-to-salesforce",
        source,
        sink as Arc<dyn Sink<Customer>>,
        Arc::new(MemoryStore::new()),
    )
    .step(settings)
    .build();
    let report = flow.run(RunMode::Full).await;
    assert!(report.failure.is_none(), "{:?}", report.failure);
    assert_eq!(report.counts.created, 3, "{report:?}");
    let accounts = sf.object("Account");
    let ketting = accounts.find(|r| r.value["ERP_Id__c"] == "1068").expect("by the trimmed code");
    assert_eq!(ketting.value["Posting_Group__c"], "DOMESTIC");
    assert_eq!(ketting.value["BillingCity"], "Amsterdam");

    // A change in Exact reaches Salesforce on the next change run, updating in place.
    let acc =
        eo.accounts().find(|r| r.value["Code"].as_str().map(str::trim) == Some("1068")).unwrap();
    eo.accounts().update(&acc.id, &serde_json::json!({"City": "Haarlem"})).unwrap();
    let report = flow.run(RunMode::Changes).await;
    assert!(report.failure.is_none(), "{:?}", report.failure);
    assert_eq!(report.counts.updated, 1, "{report:?}");
    assert_eq!(accounts.len(), 3);
    assert_eq!(accounts.get(&ketting.id).unwrap().value["BillingCity"], "Haarlem");
}

#[tokio::test(flavor = "multi_thread")]
async fn payment_terms_go_through_the_value_map_and_an_unmapped_one_is_quarantined() {
    use connector_sdk::mapping::Loader;
    let sf = SalesforceSimulator::start().await.unwrap();
    let eo = ExactSimulator::start().await.unwrap();
    let orders = sf.object("Order");
    let paid: Vec<_> = orders.query(|r| r.value["Status"] == "Paid");
    orders
        .update(
            &paid[0].id,
            &serde_json::json!({"Payment_Term__c": "Net 30", "Payment_Method__c": "Bank transfer"}),
        )
        .unwrap();
    orders.update(&paid[1].id, &serde_json::json!({"Payment_Term__c": "Net 45"})).unwrap();
    let mut config = sf.config();
    config.order_payment_term_field = Some("Payment_Term__c".into());
    config.order_payment_method_field = Some("Payment_Method__c".into());
    let source =
        Arc::new(SalesforceSource::new(SalesforceClient::connect(config, None).await.unwrap()));
    let exact = Arc::new(ExactSink::new(
        ExactClient::connect(eo.config(), Some(token_store())).await.unwrap(),
    ));
    let mapping = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("examples/mappings/apicenter.toml");
    let mut set = Loader::new().load_file(&mapping).unwrap();
    let plan = Arc::new(set.take("orders").unwrap());
    let drop_ids = step_fn("drop-source-ids", |mut o: Order, _ctx: &_| {
        o.party.customer.id = None;
        StepOutcome::Continue(o)
    });
    let customers =
        FindOrCreateCustomer::new(exact.clone() as Arc<dyn Sink<Customer>>).into_step::<Order>();
    let flow = Flow::builder(
        "orders-with-mapping",
        source,
        exact as Arc<dyn Sink<Order>>,
        Arc::new(MemoryStore::new()),
    )
    .step(plan.step::<Order>().unwrap())
    .step(drop_ids)
    .step(customers)
    .build();
    let report = flow.run(RunMode::Full).await;
    assert!(report.failure.is_none(), "{:?}", report.failure);
    assert_eq!(report.counts.created, 1, "{report:?}");
    assert_eq!(report.counts.skipped, 1, "the draft order, by the mapping's skip rule: {report:?}");
    assert_eq!(report.counts.quarantined, 1, "{report:?}");
    let (_, error) = &report.errors[0];
    assert!(error.to_string().contains("Net 45"), "{error}");
    let so = eo.orders().all().into_iter().next().unwrap().value;
    assert_eq!(so["PaymentCondition"], "30", "Net 30 through the value map");
}

#[tokio::test(flavor = "multi_thread")]
async fn faults_on_both_sides_lose_nothing_and_double_nothing_across_reruns() {
    use connector_sdk::simulator::{Fault, FaultRule, Method};
    let sf = SalesforceSimulator::start().await.unwrap();
    let eo = ExactSimulator::start().await.unwrap();
    let tokens = token_store();
    let state: Arc<dyn StateStore> = Arc::new(MemoryStore::new());
    let flow = orders_flow(&sf, &eo, state.clone(), tokens.clone()).await;
    // Salesforce: a 503 and malformed batches; Exact: the token dies and the
    // first sales-order POST lands but its answer is lost (a 500 after the write).
    sf.faults().fail_next(1, 503);
    sf.faults().malform_every(2);
    eo.faults().expire_tokens();
    eo.faults().add(
        FaultRule::new(Fault::status(500))
            .on_method(Method::POST)
            .on_path(&format!(
                "/api/v1/{}/salesorder/SalesOrders",
                connector_sdk::exact_online::simulator::DIVISION
            ))
            .after_handler()
            .next(1),
    );
    let first = flow.run(RunMode::Full).await;
    // Rerun until settled (a killed or partial run is rerun the same way).
    sf.faults().clear();
    eo.faults().clear();
    let second = flow.run(RunMode::Full).await;
    let third = flow.replay().await;
    assert!(second.failure.is_none(), "{first:?}\n{second:?}");
    assert!(third.failure.is_none(), "{third:?}");
    let mut refs: Vec<String> = eo
        .orders()
        .all()
        .into_iter()
        .map(|r| r.value["YourRef"].as_str().unwrap().to_owned())
        .collect();
    refs.sort();
    let n = refs.len();
    refs.dedup();
    assert_eq!(n, refs.len(), "no order twice in Exact: {refs:?}");
    assert_eq!(n, 2, "both paid orders landed: {first:?}\n{second:?}\n{third:?}");
    // The faults did happen.
    assert_eq!(eo.journal().count_status(500), 1, "the lost answer");
    assert!(eo.journal().count_status(401) >= 1, "the expired token");
    assert!(sf.journal().count_status(503) >= 1, "the Salesforce 503s");
    assert_eq!(
        eo.journal().count(|e| e.is_client_error() && e.status != Some(401)),
        0,
        "no 4xx at Exact but the expired token's 401 (renewed, then sent again)"
    );
}
