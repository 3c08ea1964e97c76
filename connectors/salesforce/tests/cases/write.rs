//! Writes through sObject Collections.

use std::str::FromStr;

use connector_core::ErrorKind;
use connector_core::model::{Currency, Lifecycle, Money, Product, Shipment, StockLevel};
use connector_core::sink::{Outcome, Sink};
use connector_salesforce::simulator::SalesforceSimulator;
use connector_salesforce::{SalesforceClient, SalesforceSink};
use rust_decimal::Decimal;

use crate::read::hold;
use crate::support::req;

fn product(sku: &str, name: Option<&str>, price: &str) -> Product {
    Product {
        sku: sku.into(),
        name: name.map(str::to_owned),
        long_description: Some("Long text".into()),
        sales_price: Some(Money::new(Decimal::from_str(price).unwrap(), Currency::EUR)),
        ..Product::default()
    }
}

async fn sink(sim: &SalesforceSimulator) -> SalesforceSink {
    SalesforceSink::new(SalesforceClient::connect(sim.config(), None).await.unwrap())
}

/// A sink on an org with the usual ERP custom fields (External IDs, stock, shipments).
async fn erp_sink(sim: &SalesforceSimulator) -> SalesforceSink {
    sim.add_erp_fields();
    SalesforceSink::new(SalesforceClient::connect(sim.erp_config(), None).await.unwrap())
}

#[tokio::test(start_paused = true)]
async fn products_upsert_by_an_external_id_sku_with_standard_prices_in_calls_of_200() {
    let _io = hold();
    let sim = SalesforceSimulator::builder().empty().start().await.unwrap();
    let sink = erp_sink(&sim).await;
    let batch: Vec<_> = (0..250)
        .map(|i| req(&format!("P-{i:03}"), product(&format!("P-{i:03}"), Some("Thing"), "9.95")))
        .collect();
    let out = Sink::<Product>::write(&sink, batch).await.unwrap();
    assert_eq!(out.len(), 250);
    assert!(
        out.iter().all(|o| matches!(o.outcome, Outcome::Created { .. })),
        "{:?}",
        out.iter().find(|o| !matches!(o.outcome, Outcome::Created { .. }))
    );
    let upserts = sim.journal().count(|e| {
        e.method.as_str() == "PATCH" && e.path.ends_with("/composite/sobjects/Product2/SKU__c")
    });
    assert_eq!(upserts, 2, "at most 200 records a call");
    assert_eq!(sim.object("Product2").len(), 250);
    assert_eq!(sim.object("PricebookEntry").len(), 250);

    // Again with a new price: updated, the entry's price changes, no duplicate.
    let out = Sink::<Product>::write(&sink, vec![req("P-001", product("P-001", None, "10.50"))])
        .await
        .unwrap();
    let Outcome::Updated { target_id } = &out[0].outcome else { panic!("{:?}", out[0]) };
    assert_eq!(sim.object("Product2").len(), 250);
    let entry =
        sim.object("PricebookEntry").find(|r| r.value["Product2Id"] == target_id.as_str()).unwrap();
    assert_eq!(entry.value["UnitPrice"].to_string(), "10.5");
    assert_eq!(
        sim.object("Product2").get(target_id).unwrap().value["Name"],
        "Thing",
        "a name left out is left alone"
    );

    // Deactivation.
    let mut p = product("P-002", Some("x"), "1");
    p.meta.lifecycle = Lifecycle::Inactive;
    let out = Sink::<Product>::write(&sink, vec![req("P-002", p)]).await.unwrap();
    let id = out[0].outcome.target_id().unwrap().to_owned();
    assert_eq!(sim.object("Product2").get(&id).unwrap().value["IsActive"], false);
}

#[tokio::test(start_paused = true)]
async fn one_bad_record_fails_alone_naming_its_field() {
    let _io = hold();
    let sim = SalesforceSimulator::builder().empty().start().await.unwrap();
    let sink = sink(&sim).await;
    let out = Sink::<Product>::write(
        &sink,
        vec![req("A", product("A", Some("Fine"), "1")), req("B", product("B", None, "1"))],
    )
    .await
    .unwrap();
    assert!(matches!(out[0].outcome, Outcome::Created { .. }));
    let Outcome::Failed { error } = &out[1].outcome else { panic!("{:?}", out[1]) };
    assert_eq!(error.field(), Some("Name"));
    assert_eq!(error.record(), Some("B"));
}

#[tokio::test(start_paused = true)]
async fn stock_goes_to_the_configured_stock_field_and_without_one_fails_naming_it() {
    let _io = hold();
    let sim = SalesforceSimulator::start().await.unwrap();
    let level = |sku: &str| StockLevel {
        sku: sku.into(),
        warehouse: None,
        on_hand: Some(Decimal::from(12)),
        reserved: Some(Decimal::from(3)),
        available: Some(Decimal::from(9)),
        incoming: None,
        as_of: None,
        meta: Default::default(),
    };
    // A standard org has no stock field: nothing is written, the setting is named.
    let off = sink(&sim).await;
    let e = Sink::<StockLevel>::check(&off).await.unwrap_err();
    assert!(e.message().contains("stock_field"), "{e}");
    let out = Sink::<StockLevel>::write(&off, vec![req("BIKE-CITY-M", level("BIKE-CITY-M"))])
        .await
        .unwrap();
    let Outcome::Failed { error } = &out[0].outcome else { panic!("{:?}", out[0]) };
    assert_eq!(error.kind(), ErrorKind::Config);
    let on = erp_sink(&sim).await;
    Sink::<StockLevel>::check(&on).await.unwrap();
    let out = Sink::<StockLevel>::write(
        &on,
        vec![req("BIKE-CITY-M", level("BIKE-CITY-M")), req("NOPE", level("NOPE"))],
    )
    .await
    .unwrap();
    assert!(matches!(
        out.iter().find(|o| o.key == "BIKE-CITY-M").unwrap().outcome,
        Outcome::Updated { .. }
    ));
    let bike = sim.object("Product2").find(|r| r.value["SKU__c"] == "BIKE-CITY-M").unwrap();
    assert_eq!(bike.value["Stock_Quantity__c"].to_string(), "9");
    let Outcome::Failed { error } = &out.iter().find(|o| o.key == "NOPE").unwrap().outcome else {
        panic!()
    };
    assert!(error.message().contains("NOPE"));
    assert_eq!(sim.object("Product2").len(), 2, "stock never creates products");
}

#[tokio::test(start_paused = true)]
async fn two_deliveries_of_one_order_are_two_shipment_records() {
    let _io = hold();
    let sim = SalesforceSimulator::start().await.unwrap();
    let sink = erp_sink(&sim).await;
    Sink::<Shipment>::check(&sink).await.unwrap();
    let order = sim.object("Order").all().into_iter().next().unwrap();
    let number = order.value["OrderNumber"].as_str().unwrap().to_owned();
    let ship = |n: &str, code: &str| Shipment {
        number: Some(n.into()),
        order_number: Some(number.clone()),
        carrier: Some("PostNL".into()),
        tracking_code: Some(code.into()),
        tracking_url: Some(format!("https://track.example/{code}")),
        ..Shipment::default()
    };
    let out = Sink::<Shipment>::write(
        &sink,
        vec![req("7001", ship("7001", "3S1")), req("7002", ship("7002", "3S2"))],
    )
    .await
    .unwrap();
    assert!(out.iter().all(|o| matches!(o.outcome, Outcome::Created { .. })), "{out:?}");
    let recs = sim.object("Shipment__c").all();
    assert_eq!(recs.len(), 2);
    assert!(recs.iter().all(|r| r.value["Order__c"] == order.id.as_str()));
    // Sent again: updated in place, not doubled.
    let out = Sink::<Shipment>::write(&sink, vec![req("7001", ship("7001", "3S1"))]).await.unwrap();
    assert!(matches!(out[0].outcome, Outcome::Updated { .. }));
    assert_eq!(sim.object("Shipment__c").len(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_spent_daily_allowance_is_budget_exhausted_and_not_retried() {
    let _io = hold();
    let sim = SalesforceSimulator::builder().per_day(3).start().await.unwrap();
    let client = SalesforceClient::connect(sim.config(), None).await.unwrap();
    for _ in 0..3 {
        client.check().await.unwrap();
    }
    // Sforce-Limit-Info said 3/3: the client knows the allowance is spent (it refuses
    // locally, or the org answers 403 REQUEST_LIMIT_EXCEEDED once; either way no resend).
    let e = client.check().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::BudgetExhausted, "{e}");
    assert!(sim.journal().count_status(403) <= 1);
    assert!(sim.journal().retried_client_errors().is_empty());
    let info = sim.journal().entries().len();
    assert!(info <= 5, "{info} calls");
}
