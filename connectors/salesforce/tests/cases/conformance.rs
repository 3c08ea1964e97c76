//! The connector and its simulator held to the description of Salesforce's REST API
//! (`tests/fixtures/salesforce-api.json`, from Salesforce's developer guides, object
//! reference and describes of real orgs): every request the connector builds, and every
//! answer the simulator serves.

use connector_core::model::{Address, AddressKind, Customer, Order, Product, Shipment, StockLevel};
use connector_core::sink::Sink;
use connector_core::source::{ReadMode, Source};
use connector_salesforce::simulator::{SalesforceSimulator, api_spec};
use connector_salesforce::{SalesforceClient, SalesforceSink, SalesforceSource};
use rust_decimal::Decimal;

use crate::read::{hold, read};
use crate::support::{product, req};

fn customer(number: &str, name: &str) -> Customer {
    Customer {
        number: Some(number.into()),
        name: Some(name.into()),
        addresses: vec![Address {
            kind: AddressKind::Billing,
            lines: vec!["Dorpsstraat 1".into()],
            city: Some("Utrecht".into()),
            country: Some("NL".into()),
            ..Address::default()
        }],
        ..Customer::default()
    }
}

/// Everything the connector does on one org: checks, reads in full and as changes, and
/// writes of every entity it takes.
async fn exercise(config: connector_salesforce::SalesforceConfig) {
    let client = SalesforceClient::connect(config, None).await.unwrap();
    let source = SalesforceSource::new(client.clone());
    let sink = SalesforceSink::new(client);
    Source::<Customer>::check(&source).await.unwrap();
    Sink::<Product>::check(&sink).await.unwrap();
    let customers = read::<Customer>(&source, ReadMode::Full).await;
    assert!(customers.error.is_none(), "{:?}", customers.error);
    let orders = read::<Order>(&source, ReadMode::Full).await;
    assert!(orders.error.is_none(), "{:?}", orders.error);
    let changes = read::<Product>(&source, ReadMode::Changes { since: orders.cursor.clone() });
    assert!(changes.await.error.is_none());
    let out = Sink::<Customer>::write(
        &sink,
        vec![
            req("1068", customer("1068", "De Ketting BV")),
            req("2001", customer("2001", "Nieuw")),
        ],
    )
    .await
    .unwrap();
    assert!(out.iter().all(|o| o.outcome.is_success()), "{out:?}");
    let out = Sink::<Product>::write(
        &sink,
        vec![
            req("BIKE-CITY-M", product("BIKE-CITY-M", "549")),
            req("NEW-1", product("NEW-1", "5")),
        ],
    )
    .await
    .unwrap();
    assert!(out.iter().all(|o| o.outcome.is_success()), "{out:?}");
}

#[tokio::test(start_paused = true)]
async fn every_request_the_connector_builds_keeps_to_the_description() {
    let _io = hold();
    // A standard org: lookups by AccountNumber and ProductCode, then updates and creates.
    let sim = SalesforceSimulator::start().await.unwrap();
    exercise(sim.config()).await;
    let customers = read::<Customer>(
        &SalesforceSource::new(SalesforceClient::connect(sim.config(), None).await.unwrap()),
        ReadMode::Changes { since: None },
    )
    .await;
    assert!(customers.error.is_none(), "{:?}", customers.error);
    // An org with the ERP fields: upserts by External ID, stock and shipments.
    let erp = SalesforceSimulator::builder().country_picklists().start().await.unwrap();
    erp.add_erp_fields();
    exercise(erp.erp_config()).await;
    let sink =
        SalesforceSink::new(SalesforceClient::connect(erp.erp_config(), None).await.unwrap());
    let level = StockLevel {
        sku: "BIKE-CITY-M".into(),
        warehouse: None,
        on_hand: Some(Decimal::from(4)),
        reserved: None,
        available: Some(Decimal::from(4)),
        incoming: None,
        as_of: None,
        meta: Default::default(),
    };
    let out = Sink::<StockLevel>::write(&sink, vec![req("BIKE-CITY-M", level)]).await.unwrap();
    assert!(out[0].outcome.is_success(), "{out:?}");
    let number = erp.object("Order").all()[0].value["OrderNumber"].as_str().unwrap().to_owned();
    let shipment = Shipment {
        number: Some("7001".into()),
        order_number: Some(number),
        carrier: Some("PostNL".into()),
        tracking_code: Some("3S1".into()),
        ..Shipment::default()
    };
    let out = Sink::<Shipment>::write(&sink, vec![req("7001", shipment)]).await.unwrap();
    assert!(out[0].outcome.is_success(), "{out:?}");

    for sim in [&sim, &erp] {
        let sent = api_spec().check_journal(sim.journal());
        assert!(sent.is_empty(), "{}", sent.join("\n"));
        let breaches = api_spec().breaches(sim.journal());
        assert!(breaches.is_empty(), "{}", breaches.join("\n"));
        assert_eq!(sim.journal().count_client_errors(), 0, "nothing was refused");
    }
    let unvisited: Vec<String> = api_spec()
        .unvisited(sim.journal())
        .into_iter()
        .filter(|op| api_spec().unvisited(erp.journal()).contains(op))
        .collect();
    // `query/{cursor}` needs more than 2,000 rows (or 200 children): the read tests do it.
    assert!(
        unvisited.iter().all(|op| op.contains("/query/")),
        "operations no request reached: {unvisited:?}"
    );
}
