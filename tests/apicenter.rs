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
