//! One test per finding of the review against Salesforce's published reference
//! (`../shared/reference/wire-review-exact-salesforce.md`, findings 4 to 12): each failed on
//! the connector as it was, against a simulator that starts as a standard org.

use std::time::Duration;

use connector_core::ErrorKind;
use connector_core::model::{Address, AddressKind, Customer, Order, Product, StockLevel};
use connector_core::sink::{Outcome, Sink};
use connector_core::source::{ReadMode, Source};
use connector_salesforce::simulator::SalesforceSimulator;
use connector_salesforce::{SalesforceClient, SalesforceSink, SalesforceSource};
use connector_testkit::simulator::{Fault, FaultRule, Method, SimResponse};
use rust_decimal::Decimal;

use crate::read::{hold, read};
use crate::support::{product, req};

fn soql(sim: &SalesforceSimulator, from: &str) -> Vec<String> {
    sim.journal()
        .entries()
        .into_iter()
        .filter_map(|e| e.query("q").map(str::to_owned))
        .filter(|q| q.contains(&format!("FROM {from} ")) || q.ends_with(&format!("FROM {from}")))
        .collect()
}

/// Finding 4: the defaults named custom fields a standard org lacks (`ERP_Id__c`,
/// `SKU__c`), so the first query failed. On the defaults, a standard org reads and writes on
/// `AccountNumber` and `ProductCode`: found by them, then updated or created.
#[tokio::test(start_paused = true)]
async fn a_standard_org_is_read_and_written_on_standard_fields() {
    let _io = hold();
    let sim = SalesforceSimulator::start().await.unwrap();
    let client = SalesforceClient::connect(sim.config(), None).await.unwrap();
    let source = SalesforceSource::new(client.clone());
    let customers = read::<Customer>(&source, ReadMode::Full).await;
    assert!(customers.error.is_none(), "{:?}", customers.error);
    assert!(customers.upserts.iter().any(|c| c.number.as_deref() == Some("1068")));
    let sink = SalesforceSink::new(client);
    let out = Sink::<Product>::write(
        &sink,
        vec![
            req("BIKE-CITY-M", product("BIKE-CITY-M", "549")),
            req("NEW-1", product("NEW-1", "5")),
        ],
    )
    .await
    .unwrap();
    let of = |k: &str| &out.iter().find(|o| o.key == k).unwrap().outcome;
    assert!(matches!(of("BIKE-CITY-M"), Outcome::Updated { .. }), "by ProductCode: {out:?}");
    assert!(matches!(of("NEW-1"), Outcome::Created { .. }), "{out:?}");
    assert_eq!(sim.object("Product2").len(), 3, "no duplicate of the existing product");
    let j = sim.journal();
    assert_eq!(j.count(|e| e.path.contains("/composite/sobjects/Product2/")), 0, "no upsert");
    assert_eq!(j.count_client_errors(), 0);
}

/// Finding 4: `check()` names every configured field the org lacks, instead of the first
/// query failing; stock and shipments need a setting a standard org cannot satisfy.
#[tokio::test(start_paused = true)]
async fn check_names_the_configured_fields_the_org_lacks() {
    let _io = hold();
    let sim = SalesforceSimulator::start().await.unwrap();
    let mut config = sim.config();
    config.account_number_field = "ERP_Id__c".into();
    config.product_sku_field = "SKU__c".into();
    let client = SalesforceClient::connect(config, None).await.unwrap();
    let e = Source::<Customer>::check(&SalesforceSource::new(client.clone())).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    assert!(e.message().contains("Account.ERP_Id__c"), "{e}");
    let sink = SalesforceSink::new(client);
    let e = Sink::<Product>::check(&sink).await.unwrap_err();
    assert!(e.message().contains("Product2.SKU__c"), "{e}");
    let e = Sink::<StockLevel>::check(&sink).await.unwrap_err();
    assert!(e.message().contains("stock_field"), "{e}");
    let e = Sink::<connector_core::model::Shipment>::check(&sink).await.unwrap_err();
    assert!(e.message().contains("shipment_object"), "{e}");
    // Once the admin adds them, the same checks pass.
    sim.add_erp_fields();
    let client = SalesforceClient::connect(sim.erp_config(), None).await.unwrap();
    let sink = SalesforceSink::new(client.clone());
    Source::<Customer>::check(&SalesforceSource::new(client)).await.unwrap();
    Sink::<StockLevel>::check(&sink).await.unwrap();
    Sink::<connector_core::model::Shipment>::check(&sink).await.unwrap();
}

/// Finding 6: `BillingCountryCode` exists only with country picklists: without them the
/// account is read and written with `BillingCountry`.
#[tokio::test(start_paused = true)]
async fn country_codes_are_used_only_where_the_org_has_country_picklists() {
    let _io = hold();
    for (picklists, field) in [(false, "BillingCountry"), (true, "BillingCountryCode")] {
        let builder = SalesforceSimulator::builder();
        let builder = if picklists { builder.country_picklists() } else { builder };
        let sim = builder.start().await.unwrap();
        let client = SalesforceClient::connect(sim.config(), None).await.unwrap();
        let r = read::<Customer>(&SalesforceSource::new(client.clone()), ReadMode::Full).await;
        assert!(r.error.is_none(), "{:?}", r.error);
        let ketting = r.upserts.iter().find(|c| c.number.as_deref() == Some("1068")).unwrap();
        assert_eq!(ketting.addresses[0].country.as_deref(), Some("NL"));
        assert!(soql(&sim, "Account").iter().all(|q| q.contains(&format!(" {field},"))));
        let o = read::<Order>(&SalesforceSource::new(client.clone()), ReadMode::Full).await;
        assert!(o.error.is_none(), "{:?}", o.error);
        let customer = Customer {
            number: Some("3001".into()),
            name: Some("Nieuw BV".into()),
            addresses: vec![Address {
                kind: AddressKind::Billing,
                city: Some("Utrecht".into()),
                country: Some("NL".into()),
                ..Address::default()
            }],
            ..Customer::default()
        };
        let sink = SalesforceSink::new(client);
        let out = Sink::<Customer>::write(&sink, vec![req("3001", customer)]).await.unwrap();
        let Outcome::Created { target_id } = &out[0].outcome else { panic!("{out:?}") };
        assert_eq!(sim.object("Account").get(target_id).unwrap().value[field], "NL");
        assert_eq!(sim.journal().count_client_errors(), 0);
    }
}

/// Finding 7: Salesforce pages a child subquery on its own beyond about 200 rows: an order
/// with 250 items keeps every line.
#[tokio::test(start_paused = true)]
async fn an_order_with_250_items_keeps_every_line() {
    let _io = hold();
    let sim = SalesforceSimulator::start().await.unwrap();
    let account = sim.object("Account").all()[0].id.clone();
    let items: Vec<(String, String, String)> =
        (0..250).map(|i| ("LOCK-CHAIN".to_owned(), format!("{}", i + 1), "1".to_owned())).collect();
    let items: Vec<(&str, &str, &str)> =
        items.iter().map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_str())).collect();
    let number = sim.add_order(&account, None, "Activated", &items);
    let source =
        SalesforceSource::new(SalesforceClient::connect(sim.config(), None).await.unwrap());
    let r = read::<Order>(&source, ReadMode::Full).await;
    assert!(r.error.is_none(), "{:?}", r.error);
    let big = r.upserts.iter().find(|o| o.number.as_deref() == Some(number.as_str())).unwrap();
    assert_eq!(big.lines.len(), 250);
    assert_eq!(big.lines[249].quantity, Decimal::from(250));
    assert_eq!(sim.journal().count(|e| e.path.contains("/query/")), 1, "the child's next page");
}

/// Finding 10: `REQUEST_LIMIT_EXCEEDED` for concurrent requests is waited out; only
/// `TotalRequests` ends the run (tested in `write.rs`).
#[tokio::test(start_paused = true)]
async fn a_concurrency_limit_is_waited_out_not_taken_for_a_spent_day() {
    let _io = hold();
    let sim = SalesforceSimulator::start().await.unwrap();
    let busy = SimResponse::raw_json(
        403,
        r#"[{"message":"ConcurrentRequests (Concurrent API Requests) Limit exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}]"#,
    );
    sim.faults().add(
        FaultRule::new(Fault::Respond(busy))
            .on_method(Method::GET)
            .on_path("/services/data/v59.0/query")
            .next(2),
    );
    let source =
        SalesforceSource::new(SalesforceClient::connect(sim.config(), None).await.unwrap());
    let start = tokio::time::Instant::now();
    let r = read::<Customer>(&source, ReadMode::Full).await;
    assert!(r.error.is_none(), "{:?}", r.error);
    assert_eq!(r.upserts.len(), 2);
    assert_eq!(sim.journal().count_status(403), 2);
    assert!(start.elapsed() >= Duration::from_secs(10), "waited out: {:?}", start.elapsed());
}

/// Finding 11: the connection test needs no "View Setup and Configuration": it reads the
/// version's resources, not `/limits`.
#[tokio::test(start_paused = true)]
async fn the_connection_test_reads_the_versions_resources_not_limits() {
    let _io = hold();
    let sim = SalesforceSimulator::start().await.unwrap();
    let client = SalesforceClient::connect(sim.config(), None).await.unwrap();
    client.check().await.unwrap();
    let j = sim.journal();
    assert_eq!(j.count(|e| e.path == "/services/data/v59.0/"), 1);
    assert_eq!(j.count(|e| e.path.contains("limits")), 0);
}

/// Finding 12: orders and customers use the same customer key: an order carries its
/// account's configured number field, not `AccountNumber`.
#[tokio::test(start_paused = true)]
async fn an_orders_customer_key_is_the_accounts_number_field() {
    let _io = hold();
    let sim = SalesforceSimulator::start().await.unwrap();
    sim.add_erp_fields();
    let accounts = sim.object("Account");
    let ketting = accounts.find(|r| r.value["AccountNumber"] == "1068").unwrap();
    accounts.update(&ketting.id, &serde_json::json!({"ERP_Id__c": "D-1068"})).unwrap();
    let source =
        SalesforceSource::new(SalesforceClient::connect(sim.erp_config(), None).await.unwrap());
    let customers = read::<Customer>(&source, ReadMode::Full).await;
    assert!(customers.upserts.iter().any(|c| c.number.as_deref() == Some("D-1068")));
    let orders = read::<Order>(&source, ReadMode::Full).await;
    assert!(orders.error.is_none(), "{:?}", orders.error);
    let theirs: Vec<_> = orders
        .upserts
        .iter()
        .filter(|o| o.party.company_name.as_deref() == Some("Fietsenwinkel De Ketting BV"))
        .collect();
    assert!(!theirs.is_empty());
    assert!(theirs.iter().all(|o| o.party.customer.key.as_deref() == Some("D-1068")));
}

/// From review: on a key field that is no External ID, a record the flow wrote before is
/// updated by its id (not looked up by a number that, after an upgrade from the custom-field
/// defaults, lives in another field), and a key twice in one batch is created once.
#[tokio::test(start_paused = true)]
async fn known_records_are_updated_by_id_and_a_batch_key_is_created_once() {
    let _io = hold();
    let sim = SalesforceSimulator::start().await.unwrap();
    let accounts = sim.object("Account");
    let old = accounts.insert(serde_json::json!({"Name": "Written by ERP_Id__c"})).unwrap();
    let sink = SalesforceSink::new(SalesforceClient::connect(sim.config(), None).await.unwrap());
    let customer = Customer {
        number: Some("7001".into()),
        name: Some("Renamed".into()),
        ..Customer::default()
    };
    let mut request = req("7001", customer);
    request.target_id = Some(old.id.clone());
    let before = accounts.len();
    let out = Sink::<Customer>::write(&sink, vec![request]).await.unwrap();
    assert_eq!(out[0].outcome, Outcome::Updated { target_id: old.id.clone() });
    assert_eq!(accounts.len(), before, "no second account");
    assert_eq!(accounts.get(&old.id).unwrap().value["AccountNumber"], "7001");
    // The same SKU twice (in two cases) in one batch: one product.
    let products = sim.object("Product2").len();
    let out = Sink::<Product>::write(
        &sink,
        vec![req("NEW-A", product("NEW-A", "1")), req("new-a", product("new-a", "1"))],
    )
    .await
    .unwrap();
    assert_eq!(out.iter().filter(|o| matches!(o.outcome, Outcome::Created { .. })).count(), 1);
    let Some(Outcome::Failed { error }) = out.iter().find(|o| o.key == "new-a").map(|o| &o.outcome)
    else {
        panic!("{out:?}")
    };
    assert_eq!(error.kind(), ErrorKind::Conflict);
    assert_eq!(sim.object("Product2").len(), products + 1);
}

/// From review: an order line's SKU is its product's configured SKU field, as products are
/// keyed.
#[tokio::test(start_paused = true)]
async fn order_lines_carry_the_products_sku_field() {
    let _io = hold();
    let sim = SalesforceSimulator::start().await.unwrap();
    sim.add_erp_fields();
    let products = sim.object("Product2");
    let bike = products.find(|r| r.value["ProductCode"] == "BIKE-CITY-M").unwrap();
    products.update(&bike.id, &serde_json::json!({"SKU__c": "ERP-BIKE-1"})).unwrap();
    let source =
        SalesforceSource::new(SalesforceClient::connect(sim.erp_config(), None).await.unwrap());
    let orders = read::<Order>(&source, ReadMode::Full).await;
    assert!(orders.error.is_none(), "{:?}", orders.error);
    let skus: Vec<_> =
        orders.upserts.iter().flat_map(|o| &o.lines).filter_map(|l| l.sku.clone()).collect();
    assert!(skus.contains(&"ERP-BIKE-1".to_owned()), "{skus:?}");
    assert!(!skus.contains(&"BIKE-CITY-M".to_owned()), "{skus:?}");
}

/// The simulator refuses what Salesforce refuses: an unknown column in SOQL or in a record,
/// and an upsert by a field that is no External ID.
#[tokio::test(start_paused = true)]
async fn the_simulator_refuses_columns_a_standard_org_lacks() {
    let _io = hold();
    let sim = SalesforceSimulator::start().await.unwrap();
    let client = SalesforceClient::connect(sim.config(), None).await.unwrap();
    let e = client.query_one("SELECT Id, ERP_Id__c FROM Account".into()).await.unwrap_err();
    assert!(e.message().contains("INVALID_FIELD"), "{e}");
    assert!(e.message().contains("No such column 'ERP_Id__c' on entity 'Account'"), "{e}");
    let body = serde_json::json!({"allOrNone": false, "records": [
        {"attributes": {"type": "Account"}, "Name": "X", "ERP_Id__c": "1"}]});
    let answer: Vec<serde_json::Value> = client
        .http()
        .await
        .unwrap()
        .post("composite/sobjects")
        .json(&body)
        .send_json()
        .await
        .unwrap();
    assert_eq!(answer[0]["errors"][0]["statusCode"], "INVALID_FIELD");
    let e = client
        .http()
        .await
        .unwrap()
        .patch("composite/sobjects/Account/AccountNumber")
        .json(&body)
        .send_json::<serde_json::Value>()
        .await
        .unwrap_err();
    assert!(e.message().contains("not an External ID"), "{e}");
}
