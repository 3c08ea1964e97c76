//! APIcenter, orders Salesforce → Exact Online end to end on both simulators: only paid
//! orders, an order already in Exact skipped and reported so, a company order on an
//! account with its contact person and a private order on a person debtor, an unknown SKU
//! quarantined naming the SKU and replayed once the product exists.

use std::sync::Arc;
use std::time::Duration;

// The five flows of the example, with their sections of `examples/mappings/apicenter.toml`.
#[path = "../examples/salesforce_to_exact/flows.rs"]
mod flows;

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
        SalesforceClient::connect(sf.erp_config(), None).await.unwrap(),
    ));
    let exact =
        Arc::new(ExactSink::new(ExactClient::connect(eo.config(), Some(eo_store)).await.unwrap()));
    // Activated orders are paid in this org's process; a custom `Paid` status too.
    let paid = filter::<Order, _>("paid-only", "the order is not paid", |o: &Order| {
        matches!(&o.status, OrderStatus::Paid | OrderStatus::Open)
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
    flows::apicenter_org(&sf);
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
    flows::apicenter_org(&sf);
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
    let sf = SalesforceSimulator::start().await.unwrap();
    flows::apicenter_org(&sf);
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
    // The second part goes with another carrier, its code typed in lower case.
    eo.deliver(number, &[("BIKE-CITY-M", "1")], "3sabcd0002", "dhl").unwrap();

    let flow = flows::shipments_flow(
        ExactClient::connect(eo.config(), Some(tokens)).await.unwrap(),
        SalesforceClient::connect(sf.erp_config(), None).await.unwrap(),
    );
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
    assert_eq!(codes, ["3SABCD0001", "3SABCD0002"], "upper-cased by the shipments mapping");
    // The carriers went through the mapping's value map.
    let mut carriers: Vec<String> = sf
        .object("Shipment__c")
        .all()
        .into_iter()
        .map(|r| r.value["Carrier__c"].as_str().unwrap().to_owned())
        .collect();
    carriers.sort();
    assert_eq!(carriers, ["DHL Parcel", "PostNL"]);
    // Run again: nothing changes, nothing doubles.
    let again = flow.run(RunMode::Changes).await;
    assert!(again.failure.is_none(), "{:?}", again.failure);
    assert_eq!(sf.object("Shipment__c").len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn products_keep_the_enriched_description_on_update_and_a_deleted_item_goes_inactive() {
    let sf = SalesforceSimulator::builder().empty().start().await.unwrap();
    flows::apicenter_org(&sf);
    let eo = ExactSimulator::start().await.unwrap();
    // Enough items that deleting one stays under the flow's 10% deactivation guard.
    for n in 1..=7 {
        eo.add_item(&format!("  SPOKE-{n:02} "), &format!("Spoke {n}"), "1.204");
    }
    let tokens = token_store();
    let exact = ExactClient::connect(eo.config(), Some(tokens)).await.unwrap();
    let crm = SalesforceClient::connect(sf.erp_config(), None).await.unwrap();
    let flow = flows::products_flow(exact.clone(), crm.clone());
    let report = flow.run(RunMode::Full).await;
    assert!(report.failure.is_none(), "{:?}", report.failure);
    assert_eq!(report.counts.created, 11, "{report:?}");
    // The report says what the run cost at each end.
    let (eo_calls, sf_calls) = (report.calls["exact-online"], report.calls["salesforce"]);
    assert!(eo_calls.calls >= 3 && eo_calls.bytes > 0, "{eo_calls:?}");
    assert!(sf_calls.calls >= 3 && sf_calls.rate_limited == 0, "{sf_calls:?}");
    assert_eq!(eo_calls.retries + sf_calls.retries, 0);
    let products = sf.object("Product2");
    let bike = products.find(|r| r.value["SKU__c"] == "BIKE-CITY-M").unwrap();
    assert!(bike.value["Description"].as_str().unwrap().starts_with("Aluminium"));
    assert_eq!(sf.object("PricebookEntry").len(), 11);
    // The products mapping: the SKU trimmed, the price rounded to cents.
    let spoke = products.find(|r| r.value["SKU__c"] == "SPOKE-01").expect("a trimmed SKU");
    let entry =
        sf.object("PricebookEntry").find(|r| r.value["Product2Id"] == spoke.id.as_str()).unwrap();
    assert_eq!(entry.value["UnitPrice"].to_string(), "1.2", "1.204 rounded half up to 1.20");

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

    // Stock: available is Exact's free stock (on hand 12, 2 reserved).
    let stock = flows::stock_flow(exact, crm);
    let report = stock.run(RunMode::Full).await;
    assert!(report.failure.is_none(), "{:?}", report.failure);
    let bike = products.find(|r| r.value["SKU__c"] == "BIKE-CITY-M").unwrap();
    assert_eq!(bike.value["Stock_Quantity__c"].to_string(), "10");
}

#[tokio::test(flavor = "multi_thread")]
async fn customers_follow_every_change_with_the_mandatory_target_settings() {
    let sf = SalesforceSimulator::builder().empty().start().await.unwrap();
    flows::apicenter_org(&sf);
    let eo = ExactSimulator::start().await.unwrap();
    // The customers mapping sets the posting group every account needs (a constant).
    let flow = flows::customers_flow(
        ExactClient::connect(eo.config(), Some(token_store())).await.unwrap(),
        SalesforceClient::connect(sf.erp_config(), None).await.unwrap(),
    );
    let report = flow.run(RunMode::Full).await;
    assert!(report.failure.is_none(), "{:?}", report.failure);
    assert_eq!(report.counts.created, 3, "{report:?}");
    let accounts = sf.object("Account");
    let ketting = accounts.find(|r| r.value["ERP_Id__c"] == "1068").expect("by the trimmed code");
    assert!(
        accounts.all().iter().all(|r| r.value["Posting_Group__c"] == "DOMESTIC"),
        "the mapping's constant on every account"
    );
    assert_eq!(ketting.value["BillingCity"], "Amsterdam");

    // A change in Exact reaches Salesforce on the next change run, updating in place.
    let acc =
        eo.accounts().find(|r| r.value["Code"].as_str().map(str::trim) == Some("1068")).unwrap();
    eo.accounts()
        .update(&acc.id, &serde_json::json!({"City": " Haarlem ", "Postcode": "2011 ab"}))
        .unwrap();
    let report = flow.run(RunMode::Changes).await;
    assert!(report.failure.is_none(), "{:?}", report.failure);
    assert_eq!(report.counts.updated, 1, "{report:?}");
    assert_eq!(accounts.len(), 3);
    let ketting = accounts.get(&ketting.id).unwrap().value;
    assert_eq!(ketting["BillingCity"], "Haarlem", "trimmed by the mapping");
    assert_eq!(ketting["BillingPostalCode"], "2011 AB", "upper-cased by the mapping");
    assert_eq!(ketting["Posting_Group__c"], "DOMESTIC");
}

#[tokio::test(flavor = "multi_thread")]
async fn payment_terms_go_through_the_value_map_and_an_unmapped_one_is_quarantined() {
    use connector_sdk::mapping::Loader;
    let sf = SalesforceSimulator::start().await.unwrap();
    flows::apicenter_org(&sf);
    let eo = ExactSimulator::start().await.unwrap();
    sf.add_field("Order", "Payment_Term__c", "picklist", false, None);
    sf.add_field("Order", "Payment_Method__c", "picklist", false, None);
    let orders = sf.object("Order");
    let paid: Vec<_> = orders.query(|r| r.value["Status"] == "Activated");
    orders
        .update(
            &paid[0].id,
            &serde_json::json!({"Payment_Term__c": "Net 30", "Payment_Method__c": "Bank transfer"}),
        )
        .unwrap();
    orders.update(&paid[1].id, &serde_json::json!({"Payment_Term__c": "Net 45"})).unwrap();
    let mut config = sf.erp_config();
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
    let methods = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = methods.clone();
    let drop_ids = step_fn("drop-source-ids", move |mut o: Order, _ctx: &_| {
        o.party.customer.id = None;
        let method = o.payment_method.as_ref().and_then(|m| m.key.clone());
        seen.lock().unwrap().push((o.number.clone().unwrap_or_default(), method));
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
    // "Bank transfer" went through the value map to Exact's code "B"; an order with no
    // method gets the map's default. Exact has no payment-method field on sales orders (the
    // method belongs to the payment condition), so nothing invented is sent.
    let mut methods = methods.lock().unwrap().clone();
    methods.sort();
    let landed = so["YourRef"].as_str().unwrap();
    assert!(methods.contains(&(landed.to_owned(), Some("B".to_owned()))), "{methods:?}");
    assert!(so.get("PaymentMethod").is_none(), "{so}");
}

#[tokio::test(flavor = "multi_thread")]
async fn faults_on_both_sides_lose_nothing_and_double_nothing_across_reruns() {
    use connector_testkit::simulator::{Fault, FaultRule, Method};
    let sf = SalesforceSimulator::start().await.unwrap();
    flows::apicenter_org(&sf);
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

/// The numbers of the paid orders in Salesforce: what must be in Exact, once each.
fn paid_order_numbers(sf: &SalesforceSimulator) -> Vec<String> {
    let mut n: Vec<String> = sf
        .object("Order")
        .query(|r| r.value["Status"] == "Activated")
        .into_iter()
        .map(|r| r.value["OrderNumber"].as_str().unwrap().to_owned())
        .collect();
    n.sort();
    n
}

/// The `YourRef` of every sales order in Exact, sorted, duplicates kept.
fn exact_order_refs(eo: &ExactSimulator) -> Vec<String> {
    let mut refs: Vec<String> = eo
        .orders()
        .all()
        .into_iter()
        .map(|r| r.value["YourRef"].as_str().unwrap().to_owned())
        .collect();
    refs.sort();
    refs
}

/// Reruns (a full run, a replay of what was held back, a full run) and returns the last.
async fn settle(flow: &Flow<Order>) -> connector_sdk::flow::RunReport {
    let _ = flow.run(RunMode::Full).await;
    let _ = flow.replay().await;
    flow.run(RunMode::Full).await
}

// A paused clock: Retry-After, rate-limit resets and timeouts pass in virtual time.
#[tokio::test(start_paused = true)]
async fn a_429_storm_at_both_ends_loses_nothing_doubles_nothing_and_no_4xx_is_resent_to_exact() {
    use connector_sdk::exact_online::simulator::{SpentWindow, rate_limited};
    use connector_testkit::simulator::{Fault, FaultRule};
    let _io = connector_core::test_util::hold_paused_clock_during_io(Duration::from_secs(2));
    let sf = SalesforceSimulator::start().await.unwrap();
    flows::apicenter_org(&sf);
    let eo = ExactSimulator::start().await.unwrap();
    let flow = orders_flow(&sf, &eo, Arc::new(MemoryStore::new()), token_store()).await;
    // Salesforce: three 429s with `Retry-After: 1`; Exact: two of its own minutely 429s
    // (error body, minutely `X-RateLimit-*` headers alone, the reset 1 s ahead in epoch ms).
    sf.faults().storm_429(3, Duration::from_secs(1));
    let minute_spent = rate_limited(SpentWindow::Minute, 60, Duration::from_secs(1));
    eo.faults().add(FaultRule::new(Fault::Respond(minute_spent)).next(2));
    let first = flow.run(RunMode::Full).await;

    assert_eq!(sf.journal().count_status(429), 3, "the Salesforce storm happened");
    assert_eq!(eo.journal().count_status(429), 2, "the Exact storm happened: {first:?}");
    // Both ends' 429s are waited out and the calls sent again: the paid orders land in this
    // run, not the next.
    assert!(first.failure.is_none(), "{first:?}");
    assert!(first.errors.is_empty(), "{first:?}");
    assert_eq!(first.counts.created, 2, "{first:?}");
    let expected = paid_order_numbers(&sf);
    assert_eq!(expected.len(), 2);
    assert_eq!(exact_order_refs(&eo), expected, "every paid order once: {first:?}");
    // A 429 is not among the errors that block Exact's key (400, 401, 403, 404): each was
    // resent once after its reset. No other 4xx is ever sent again.
    let resent = eo.journal().retried_client_errors_except(&[429, 401]);
    assert!(resent.is_empty(), "4xx resent to Exact: {resent:?}");
    let calls = eo.journal().entries();
    for (i, refused) in calls.iter().enumerate().filter(|(_, e)| e.status == Some(429)) {
        let same = |e: &&connector_testkit::simulator::JournalEntry| {
            (&e.method, &e.path, &e.query, &e.body)
                == (&refused.method, &refused.path, &refused.query, &refused.body)
        };
        let resent = calls[i + 1..].iter().find(same);
        assert!(resent.is_some(), "the refused call was sent again: {refused:?}");
    }
    assert!(
        eo.journal().retried_client_errors().iter().any(|e| e.status == Some(200)),
        "a resent call was answered"
    );
    let sf_resent = sf.journal().retried_client_errors();
    assert_eq!(sf_resent.len(), 3, "each Salesforce 429 was resent once");

    // Reruns change nothing.
    let last = settle(&flow).await;
    assert!(last.failure.is_none(), "{first:?}\n{last:?}");
    assert_eq!(exact_order_refs(&eo), expected, "every paid order once: {first:?}\n{last:?}");
    assert_eq!(eo.journal().count_status(429), 2, "no further 429: the budget waited");
}

#[tokio::test(start_paused = true)]
async fn a_hung_upstream_times_out_then_recovers_losing_and_doubling_nothing() {
    use connector_testkit::simulator::{Fault, FaultRule, Faults, Method};
    // A request on the wire keeps the paused clock still for at most 1 s of real time (so a
    // slow machine does not fake a timeout); then it counts as hung and the clock runs on
    // to the client's attempt timeout.
    let _io = connector_core::test_util::hold_paused_clock_during_io(Duration::from_secs(1));
    let sf = SalesforceSimulator::start().await.unwrap();
    flows::apicenter_org(&sf);
    let eo = ExactSimulator::start().await.unwrap();
    let flow = orders_flow(&sf, &eo, Arc::new(MemoryStore::new()), token_store()).await;

    /// Lifts the hang `id` once it has caught `caught` requests and `after` has passed.
    fn release(
        faults: &Faults,
        id: connector_testkit::simulator::FaultId,
        caught: u64,
        after: Duration,
    ) {
        let faults = faults.clone();
        tokio::spawn(async move {
            while faults.fired(id) < caught {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            tokio::time::sleep(after).await;
            faults.remove(id);
        });
    }
    let hang = || FaultRule::new(Fault::Hang(None));
    // Salesforce: the query hangs past the 120 s attempt timeout, is sent again, and the
    // second attempt is answered once the upstream recovers.
    let sf_hang = sf.faults().add(hang().on_path("/services/data"));
    release(sf.faults(), sf_hang, 2, Duration::ZERO);
    // Exact: the first lookup hangs past the 60 s timeout and is sent again (a GET); a
    // sales-order POST hangs past its timeout (uncertain: not resent) and lands later.
    let division = connector_sdk::exact_online::simulator::DIVISION;
    let eo_get =
        eo.faults().add(hang().on_method(Method::GET).on_path(&format!("/api/v1/{division}")));
    release(eo.faults(), eo_get, 2, Duration::ZERO);
    let eo_post = eo.faults().add(
        hang()
            .on_method(Method::POST)
            .on_path(&format!("/api/v1/{division}/salesorder/SalesOrders")),
    );
    release(eo.faults(), eo_post, 1, Duration::from_secs(90));

    let started = tokio::time::Instant::now();
    let first = flow.run(RunMode::Full).await;
    assert!(
        started.elapsed() >= Duration::from_secs(180),
        "the timeouts ran: {:?}",
        started.elapsed()
    );
    assert_eq!(sf.faults().fired(sf_hang), 2, "one Salesforce timeout, then the retry");
    assert_eq!(eo.faults().fired(eo_get), 2, "one Exact GET timeout, then the retry");
    // The hung sales-order POST got no answer (an uncertain write). It was sent again only
    // after a lookup by `YourRef` found nothing (the server never handled it); the second
    // attempt hung until the upstream recovered, then landed.
    let calls: Vec<(Method, String, Option<u16>)> = eo
        .journal()
        .entries()
        .into_iter()
        .filter(|e| e.path.ends_with("/salesorder/SalesOrders"))
        .map(|e| {
            let your_ref = match e.method {
                Method::POST => {
                    serde_json::from_slice::<serde_json::Value>(&e.body).unwrap()["YourRef"]
                        .as_str()
                        .unwrap()
                        .to_owned()
                }
                _ => String::new(),
            };
            (e.method, your_ref, e.status)
        })
        .collect();
    let posts: Vec<&(Method, String, Option<u16>)> =
        calls.iter().filter(|(m, _, _)| *m == Method::POST).collect();
    assert_eq!(eo.faults().fired(eo_post), 2, "{calls:?}");
    assert_eq!(posts[0].2, None, "the first POST timed out: {calls:?}");
    let first_post = calls.iter().position(|c| c.0 == Method::POST).unwrap();
    let resend = calls
        .iter()
        .skip(first_post + 1)
        .position(|c| c.0 == Method::POST && c.1 == posts[0].1)
        .map(|i| i + first_post + 1)
        .expect("the uncertain order was sent again after the lookup");
    assert!(
        calls[first_post + 1..resend].iter().any(|c| c.0 == Method::GET && c.2 == Some(200)),
        "a lookup came between: {calls:?}"
    );
    assert_eq!(first.counts.created, 2, "recovered within the run: {first:?}");
    // Let the hung POST finish on the server before the rerun.
    tokio::time::sleep(Duration::from_secs(120)).await;

    let last = settle(&flow).await;
    assert!(last.failure.is_none(), "{first:?}\n{last:?}");
    let expected = paid_order_numbers(&sf);
    assert_eq!(expected.len(), 2);
    assert_eq!(exact_order_refs(&eo), expected, "every paid order once: {first:?}\n{last:?}");
    let resent = eo.journal().retried_client_errors();
    assert!(resent.is_empty(), "4xx resent to Exact: {resent:?}");
}

#[tokio::test(start_paused = true)]
async fn a_refused_exact_write_is_sent_once_and_quarantined_never_resent() {
    use connector_testkit::simulator::{Fault, FaultRule, Method, SimResponse};
    let _io = connector_core::test_util::hold_paused_clock_during_io(Duration::from_secs(2));
    let sf = SalesforceSimulator::start().await.unwrap();
    flows::apicenter_org(&sf);
    let eo = ExactSimulator::start().await.unwrap();
    let flow = orders_flow(&sf, &eo, Arc::new(MemoryStore::new()), token_store()).await;
    let division = connector_sdk::exact_online::simulator::DIVISION;
    let path = format!("/api/v1/{division}/salesorder/SalesOrders");
    // Every sales-order POST is refused with Exact's 400 while the rule is in force.
    let refuse = eo.faults().add(
        FaultRule::new(Fault::Respond(SimResponse::raw_json(
            400,
            r#"{"error":{"code":"","message":{"lang":"","value":"Mandatory: Warehouse"}}}"#,
        )))
        .on_method(Method::POST)
        .on_path(&path),
    );
    let first = flow.run(RunMode::Full).await;
    assert_eq!(first.counts.created, 0, "{first:?}");
    assert_eq!(eo.journal().count_call("POST", &path), 2, "each order POSTed once: {first:?}");
    assert_eq!(eo.journal().count_status(400), 2);
    let resent = eo.journal().retried_client_errors();
    assert!(resent.is_empty(), "4xx resent to Exact: {resent:?}");
    assert!(
        first.errors.iter().any(|(_, e)| e.to_string().contains("Mandatory: Warehouse")),
        "Exact's message reaches the report: {first:?}"
    );
    // Fixed upstream: the replay lands both, once.
    eo.faults().remove(refuse);
    let last = settle(&flow).await;
    assert!(last.failure.is_none(), "{last:?}");
    assert_eq!(exact_order_refs(&eo), paid_order_numbers(&sf));
}

/// Exact has no variants: the division keeps them in the items' free fields (the simulator's
/// configuration: the configurable product's code in `FreeTextField_01`, size in `_02`,
/// colour in `_03`, the feature country of origin in `_04`). The configurable product and
/// each variant arrive in Salesforce as a `Product2` of their own, each variant pointing at
/// its configurable product with its attributes and features in their fields.
#[tokio::test(flavor = "multi_thread")]
async fn variants_in_exact_free_fields_arrive_as_a_configurable_product_with_its_variants() {
    let sf = SalesforceSimulator::builder().empty().start().await.unwrap();
    flows::apicenter_org(&sf);
    for f in ["Size__c", "Colour__c", "Country_Of_Origin__c"] {
        sf.add_field("Product2", f, "string", false, None);
    }
    let eo = ExactSimulator::start().await.unwrap();
    let item = |code: &str, name: &str, parent: &str, size: &str| {
        serde_json::json!({
            "Code": code, "Description": name, "IsSalesItem": true, "IsStockItem": true,
            "Unit": "pc", "StandardSalesPrice": 19.95, "FreeTextField_01": parent,
            "FreeTextField_02": size, "FreeTextField_03": if size.is_empty() { "" } else { "Navy" },
            "FreeTextField_04": "Portugal",
        })
    };
    // The configurable product (its parent field names itself) and two sizes; a hoodie's
    // variant whose configurable product is no item in Exact.
    for v in [
        item("TSHIRT-BASIC", "T-shirt Basic", "TSHIRT-BASIC", ""),
        item("TSHIRT-BASIC-S", "T-shirt Basic S", "TSHIRT-BASIC", "S"),
        item("TSHIRT-BASIC-M", "T-shirt Basic M", "TSHIRT-BASIC", "M"),
        item("HOODIE-L", "Hoodie L", "HOODIE", "L"),
    ] {
        eo.items().insert(v).unwrap();
    }
    let flow = flows::products_flow(
        ExactClient::connect(eo.config(), Some(token_store())).await.unwrap(),
        SalesforceClient::connect(sf.erp_config(), None).await.unwrap(),
    );
    let report = flow.run(RunMode::Full).await;
    assert!(report.failure.is_none(), "{:?}", report.failure);
    assert!(report.errors.is_empty(), "{report:?}");
    let products = sf.object("Product2");
    let by_sku = |sku: &str| {
        products.find(|r| r.value["SKU__c"] == sku).unwrap_or_else(|| panic!("{sku} is missing"))
    };
    let parent = by_sku("TSHIRT-BASIC");
    assert_eq!(parent.value["Name"], "T-shirt Basic");
    assert!(parent.value.get("Parent_Product__c").is_none(), "{:?}", parent.value);
    for (sku, size) in [("TSHIRT-BASIC-S", "S"), ("TSHIRT-BASIC-M", "M")] {
        let v = by_sku(sku).value;
        assert_eq!(v["Parent_Product__c"], parent.id.as_str(), "{v}");
        assert_eq!(v["Size__c"], size, "{v}");
        assert_eq!(v["Colour__c"], "Navy", "{v}");
        assert_eq!(v["Country_Of_Origin__c"], "Portugal", "a feature: {v}");
        assert_eq!(v["IsActive"], true);
    }
    let tshirts = products.query(|r| r.value["Parent_Product__c"] == parent.id.as_str()).len();
    assert_eq!(tshirts, 2, "two variants of the configurable product");
    // A configurable product that is no item in Exact is created from its code, once.
    let hoodie = by_sku("HOODIE");
    assert_eq!(hoodie.value["Name"], "HOODIE");
    assert_eq!(by_sku("HOODIE-L").value["Parent_Product__c"], hoodie.id.as_str());

    // A rerun doubles nothing; a new size joins the same configurable product.
    eo.items().insert(item("TSHIRT-BASIC-L", "T-shirt Basic L", "TSHIRT-BASIC", "L")).unwrap();
    let report = flow.run(RunMode::Changes).await;
    assert!(report.failure.is_none(), "{:?}", report.failure);
    assert_eq!(report.counts.created, 1, "{report:?}");
    let count = |sku: &str| products.query(|r| r.value["SKU__c"] == sku).len();
    assert_eq!((count("TSHIRT-BASIC"), count("HOODIE")), (1, 1));
    assert_eq!(by_sku("TSHIRT-BASIC-L").value["Parent_Product__c"], parent.id.as_str());
}

/// The example's orders flow runs the `orders` section of apicenter.toml: the payment terms
/// Salesforce holds reach Exact as its payment-condition codes through the value map.
#[tokio::test(flavor = "multi_thread")]
async fn the_example_orders_flow_maps_payment_terms_through_apicenter_toml() {
    let sf = SalesforceSimulator::start().await.unwrap();
    flows::apicenter_org(&sf);
    let eo = ExactSimulator::start().await.unwrap();
    sf.add_field("Order", "Payment_Term__c", "picklist", false, None);
    let orders = sf.object("Order");
    let paid: Vec<_> = orders.query(|r| r.value["Status"] == "Activated");
    assert_eq!(paid.len(), 2);
    for (order, term) in paid.iter().zip(["Net 30", "net 14"]) {
        orders.update(&order.id, &serde_json::json!({ "Payment_Term__c": term })).unwrap();
    }
    let mut config = sf.erp_config();
    config.order_payment_term_field = Some("Payment_Term__c".into());
    let flow = flows::orders_flow(
        SalesforceClient::connect(config, None).await.unwrap(),
        ExactClient::connect(eo.config(), Some(token_store())).await.unwrap(),
    );
    let report = flow.run(RunMode::Full).await;
    assert!(report.failure.is_none(), "{:?}", report.failure);
    assert_eq!((report.counts.created, report.counts.skipped), (2, 1), "{report:?}");
    let mut conditions: Vec<String> = eo
        .orders()
        .all()
        .into_iter()
        .map(|r| r.value["PaymentCondition"].as_str().unwrap_or_default().to_owned())
        .collect();
    conditions.sort();
    assert_eq!(conditions, ["14", "30"], "mapped, case-insensitively");
}
