//! The connector and its simulator held to the description of Exact Online's API
//! (`tests/fixtures/exact-api.json`, from picqer/exact-php-client's and Exact's .NET
//! client's entity models): every request the connector builds, and every answer the
//! simulator serves.

use connector_core::model::{
    Customer, EntityRef, Invoice, OrderKind, PriceList, Product, Shipment, StockLevel,
};
use connector_core::sink::{LookupKey, Sink};
use connector_core::source::ReadMode;
use connector_exact_online::simulator::{ExactSimulator, api_spec};
use connector_exact_online::{ExactClient, ExactSink, ExactSource, OrderTarget};
use serde_json::Value;

use crate::support::*;

#[tokio::test(start_paused = true)]
async fn every_request_the_connector_builds_keeps_to_the_description() {
    let _io = hold();
    let sim = ExactSimulator::start().await.unwrap();
    let store = token_store();
    let client = ExactClient::connect(sim.config(), Some(store.clone())).await.unwrap();
    let sink = ExactSink::new(client.clone());
    // Customers: found by e-mail, created with a contact person, updated, blocked.
    let found = Sink::<Customer>::find(&sink, &LookupKey::new("email", "jan.devries@example.nl"))
        .await
        .unwrap();
    assert!(found.is_some());
    let mut new = Customer { name: Some("Nieuwe Klant BV".into()), ..Customer::default() };
    new.emails.push(connector_core::model::Email {
        address: "info@nieuw.example".into(),
        kind: Default::default(),
        primary: true,
    });
    new.contacts.push(connector_core::model::ContactPerson {
        first_name: Some("Ria".into()),
        last_name: Some("Smit".into()),
        primary: true,
        ..Default::default()
    });
    let out = Sink::<Customer>::write(&sink, vec![req("c1", new.clone())]).await.unwrap();
    assert!(matches!(out[0].outcome, connector_core::sink::Outcome::Created { .. }), "{out:?}");
    new.name = Some("Nieuwe Klant B.V.".into());
    Sink::<Customer>::write(&sink, vec![req("c1", new)]).await.unwrap();
    // Orders: a sales order with a shipping method by code and a discount, a quote, and a
    // sales invoice; then found by number.
    let mut o = order("SF-100", "inkoop@deketting.example", &[("BIKE-CITY-M", "1", "549")]);
    o.shipping_method = Some(EntityRef::by_key("DHL"));
    o.lines[0].discount_percent = Some(dec("10"));
    let out = Sink::<connector_core::model::Order>::write(&sink, vec![req("SF-100", o)]).await;
    assert!(format!("{out:?}").contains("Created"), "{out:?}");
    let mut q = order("Q-100", "inkoop@deketting.example", &[("LOCK-CHAIN", "2", "24.95")]);
    q.kind = OrderKind::Quote;
    let out = Sink::<connector_core::model::Order>::write(&sink, vec![req("Q-100", q)]).await;
    assert!(format!("{out:?}").contains("Created"), "{out:?}");
    let found =
        Sink::<connector_core::model::Order>::find(&sink, &LookupKey::new("number", "Q-100"))
            .await
            .unwrap();
    assert!(found.is_some());
    let mut config = sim.config();
    config.order_target = OrderTarget::SalesInvoice;
    let invoicing =
        ExactSink::new(ExactClient::connect(config, Some(store.clone())).await.unwrap());
    let i = order("SF-101", "jan.devries@example.nl", &[("SERVICE-TUNE", "1", "45")]);
    let out = Sink::<connector_core::model::Order>::write(&invoicing, vec![req("SF-101", i)]).await;
    assert!(format!("{out:?}").contains("Created"), "{out:?}");
    // A goods delivery of the sales order.
    let number = sim.orders().all()[0].value["OrderNumber"].as_i64().unwrap();
    sim.deliver(number, &[("BIKE-CITY-M", "1")], "3SXYZ1", "DHL Parcel").unwrap();
    sim.delete_item("BIKE-OLD-2019");
    // Every source, in full and as changes.
    let source = ExactSource::new(client);
    assert!(read::<Customer>(&source, ReadMode::Full).await.upserts.len() > 2);
    let changes = read::<Product>(&source, ReadMode::Changes { since: None }).await;
    assert_eq!(changes.deletes.len(), 1, "{:?}", changes.error);
    assert!(
        !read::<StockLevel>(&source, ReadMode::Changes { since: None }).await.upserts.is_empty()
    );
    assert_eq!(read::<PriceList>(&source, ReadMode::Full).await.upserts.len(), 1);
    assert_eq!(read::<Invoice>(&source, ReadMode::Full).await.upserts.len(), 1);
    let shipments = read::<Shipment>(&source, ReadMode::Full).await;
    assert_eq!(shipments.upserts.len(), 1, "{:?}", shipments.error);

    let sent = api_spec().check_journal(sim.journal());
    assert!(sent.is_empty(), "{}", sent.join("\n"));
    assert_conforms(&sim);
    assert_eq!(sim.journal().count_client_errors(), 0, "nothing was refused");
    let unvisited = api_spec().unvisited(sim.journal());
    assert!(unvisited.is_empty(), "operations no request reached: {unvisited:?}");
}

#[tokio::test(start_paused = true)]
async fn every_answer_the_simulator_serves_keeps_to_the_description() {
    let _io = hold();
    let sim = ExactSimulator::start().await.unwrap();
    let store = token_store();
    let client = ExactClient::connect(sim.config(), Some(store.clone())).await.unwrap();
    let sink = ExactSink::new(client.clone());
    let o = order("SF-200", "inkoop@deketting.example", &[("BIKE-CITY-M", "1", "549")]);
    let mut q = order("Q-200", "inkoop@deketting.example", &[("LOCK-CHAIN", "2", "24.95")]);
    q.kind = OrderKind::Quote;
    let out =
        Sink::<connector_core::model::Order>::write(&sink, vec![req("SF-200", o), req("Q-200", q)])
            .await
            .unwrap();
    assert!(out.iter().all(|o| format!("{o:?}").contains("Created")), "{out:?}");
    let number = sim.orders().all()[0].value["OrderNumber"].as_i64().unwrap();
    sim.deliver(number, &[("BIKE-CITY-M", "1")], "3SXYZ1", "DHL Parcel").unwrap();
    let mut config = sim.config();
    config.order_target = OrderTarget::SalesInvoice;
    let invoicing =
        ExactSink::new(ExactClient::connect(config, Some(store.clone())).await.unwrap());
    let i = order("SF-201", "jan.devries@example.nl", &[("SERVICE-TUNE", "1", "45")]);
    Sink::<connector_core::model::Order>::write(&invoicing, vec![req("SF-201", i)]).await.unwrap();
    let h = client.http().await.unwrap();
    // Whole records (no `$select`, `$top=1`) of every standard listing, lines expanded.
    for (p, expand) in [
        ("crm/Accounts", ""),
        ("logistics/Items", ""),
        ("vat/VATCodes", ""),
        ("sales/ShippingMethods", ""),
        ("salesorder/SalesOrders", "SalesOrderLines"),
        ("salesinvoice/SalesInvoices", "SalesInvoiceLines"),
        ("crm/Quotations", "QuotationLines"),
        ("salesorder/GoodsDeliveries", "GoodsDeliveryLines"),
        ("salesorder/SalesOrders", ""),
    ] {
        let mut call = h.get(p).query("$top", 1);
        if !expand.is_empty() {
            call = call.query("$expand", expand);
        }
        let body: Value = call.send_json().await.unwrap();
        assert_eq!(body["d"].as_array().map(Vec::len), Some(1), "{p}: {body}");
    }
    // Pages of the listings (the `{"d":{"results":…}}` shape).
    for (p, select) in [("vat/VATCodes", "Code,Percentage"), ("sales/ShippingMethods", "ID,Code")] {
        let body: Value = h.get(p).query("$select", select).send_json().await.unwrap();
        assert!(body["d"]["results"].is_array(), "{p}: {body}");
    }
    // Every field of every sync entity the description has.
    for (p, schema) in [
        ("sync/CRM/Accounts", "SyncAccount"),
        ("sync/Logistics/Items", "SyncItem"),
        ("sync/Inventory/StockPositions", "SyncStockPosition"),
        ("sync/Logistics/SalesItemPrices", "SyncSalesItemPrice"),
    ] {
        let spec = api_spec();
        let fields: Vec<&str> = spec
            .schema_fields(schema)
            .unwrap()
            .into_iter()
            .filter(|f| *f != "__metadata")
            .collect();
        let body: Value = h
            .get(p)
            .query("$select", fields.join(","))
            .query("$filter", "Timestamp gt 1L")
            .send_json()
            .await
            .unwrap();
        assert!(!body["d"]["results"].as_array().unwrap().is_empty(), "{p}");
    }
    assert_conforms(&sim);
}
