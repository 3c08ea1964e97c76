//! The connector and its simulator held to the description of Xero's API
//! (`tests/fixtures/xero-api.json`, from `XeroAPI/Xero-OpenAPI`, MIT): every request the
//! connector builds, every answer the simulator serves, and what Xero refuses or ignores.

use chrono::NaiveDate;
use connector_core::model::{
    Currency, Customer, DocumentLine, Email, EntityRef, Invoice, Money, Order, OrderKind,
    PriceList, Product, StockLevel,
};
use connector_core::sink::{LookupKey, Sink, WriteAction, WriteRequest};
use connector_core::source::ReadMode;
use connector_xero::simulator::{XeroSimulator, api_spec};
use connector_xero::{XeroSink, XeroSource};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::support::{assert_conforms, connect, read};

fn write<E>(key: &str, e: E, target: Option<&str>) -> WriteRequest<E> {
    WriteRequest {
        key: key.into(),
        target_id: target.map(str::to_owned),
        is_create: target.is_none(),
        idempotency_key: format!("{key}:{}", target.unwrap_or("new")),
        action: WriteAction::Upsert(e),
    }
}

fn order(number: &str, kind: OrderKind) -> Order {
    Order {
        number: Some(number.into()),
        kind,
        currency: Currency::NZD,
        order_date: NaiveDate::from_ymd_opt(2026, 11, 2),
        payment_date: NaiveDate::from_ymd_opt(2026, 11, 30),
        party: connector_core::model::DocumentParty {
            customer: EntityRef::by_key("C-1001"),
            ..Default::default()
        },
        sales_rep: Some(EntityRef::by_key("JD")),
        memo: Some("Leave at the gate".into()),
        lines: vec![DocumentLine {
            sku: Some("GB1-WHITE".into()),
            quantity: "12.5".parse().unwrap(),
            unit_price: Some(Money::new("5.9525".parse::<Decimal>().unwrap(), Currency::NZD)),
            discount_percent: Some("5".parse().unwrap()),
            ..Default::default()
        }],
        ..Default::default()
    }
}

#[tokio::test]
async fn every_request_the_connector_builds_keeps_to_the_description() {
    let sim = XeroSimulator::start().await.unwrap();
    let client = connect(&sim).await;
    let sink = XeroSink::new(client.clone());
    Sink::<Order>::check(&sink).await.unwrap();
    let out = Sink::<Order>::write(
        &sink,
        vec![
            write("SO-1", order("SO-1", OrderKind::Order), None),
            write("SQ-1", order("SQ-1", OrderKind::Quote), None),
        ],
    )
    .await
    .unwrap();
    let ids: Vec<String> = out.iter().map(|o| o.outcome.target_id().unwrap().to_owned()).collect();
    let mut changed = order("SO-1", OrderKind::Order);
    changed.lines[0].quantity = "13".parse().unwrap();
    Sink::<Order>::write(&sink, vec![write("SO-1", changed, Some(&ids[0]))]).await.unwrap();
    for (key, id) in [("SO-1", &ids[0]), ("SQ-1", &ids[1])] {
        let gone = WriteRequest::<Order> {
            key: key.into(),
            target_id: Some(id.clone()),
            action: WriteAction::Deactivate,
            idempotency_key: format!("{key}:gone"),
            is_create: false,
        };
        Sink::<Order>::write(&sink, vec![gone]).await.unwrap();
    }
    for number in ["SO-1", "SQ-1", "SO-404"] {
        Sink::<Order>::find(&sink, &LookupKey::new("number", number)).await.unwrap();
    }
    let customer = Customer {
        number: Some("SKY-1".into()),
        name: Some("Harbour Ltd".into()),
        emails: vec![Email {
            address: "ap@harbour.example".into(),
            kind: Default::default(),
            primary: true,
        }],
        ..Default::default()
    };
    Sink::<Customer>::write(&sink, vec![write("SKY-1", customer, None)]).await.unwrap();
    for (field, value) in
        [("email", "AP@harbour.example"), ("name", "Harbour Ltd"), ("number", "C-1001")]
    {
        Sink::<Customer>::find(&sink, &LookupKey::new(field, value)).await.unwrap();
    }
    let source = XeroSource::new(client);
    read::<Customer>(&source, ReadMode::Full).await;
    read::<Customer>(&source, ReadMode::Changes { since: None }).await;
    read::<Product>(&source, ReadMode::Full).await;
    read::<StockLevel>(&source, ReadMode::Full).await;
    read::<PriceList>(&source, ReadMode::Full).await;
    read::<Invoice>(&source, ReadMode::Full).await;
    read::<Order>(&source, ReadMode::Full).await;

    let refused = sim.journal().count(|e| e.is_client_error() && e.status != Some(404));
    assert_eq!(refused, 0, "nothing was refused");
    assert_conforms(&sim);
}

#[tokio::test]
async fn every_answer_the_simulator_serves_keeps_to_the_description() {
    let sim = XeroSimulator::start().await.unwrap();
    let client = connect(&sim).await;
    let h = client.http().await.unwrap();
    let get = |path: &str| h.get(path).send_json::<Value>();
    for path in ["Organisation", "TrackingCategories", "Items", "Contacts", "Invoices", "Quotes"] {
        get(path).await.unwrap();
    }
    get("Contacts/5b96e86b-418e-48e8-8949-308c14aec278").await.unwrap();
    get("Invoices/243216c5-369e-4056-ac67-05388f86dc81").await.unwrap();
    get("Quotes/be59cd2b-7e3a-4f0b-9b1e-2c8f6d3a4b5c").await.unwrap();
    h.get("Quotes/00000000-0000-0000-0000-000000000000").send().await.unwrap_err();
    let post = |path: &str, body: Value| {
        h.post(path)
            .query("summarizeErrors", "false")
            .json(&body)
            .idempotent(false)
            .send_json::<Value>()
    };
    post("Contacts", json!({"Contacts": [{"Name": "New Co", "EmailAddress": "a@new.example"}]}))
        .await
        .unwrap();
    post(
        "Invoices",
        json!({"Invoices": [{"Type": "ACCREC", "Contact": {"ContactID": "5b96e86b-418e-48e8-8949-308c14aec278"},
            "Date": "2026-11-02", "LineAmountTypes": "Exclusive", "Status": "DRAFT",
            "LineItems": [{"ItemCode": "UMB-1", "Quantity": 1, "UnitAmount": 19.9875, "AccountCode": "200"}]}]}),
    )
    .await
    .unwrap();
    post(
        "Quotes",
        json!({"Quotes": [{"Contact": {"ContactID": "5b96e86b-418e-48e8-8949-308c14aec278"},
            "Date": "2026-11-02", "LineAmountTypes": "EXCLUSIVE", "QuoteNumber": "Q-9",
            "LineItems": [{"ItemCode": "UMB-1", "Quantity": 1, "UnitAmount": 19.9875}]}]}),
    )
    .await
    .unwrap();
    // An element refused, answered with its validation errors.
    let bad = post(
        "Invoices",
        json!({"Invoices": [{"Type": "ACCREC", "Date": "2026-11-02",
            "LineItems": [{"ItemCode": "NOPE", "Quantity": 1, "UnitAmount": 1}]}]}),
    )
    .await
    .unwrap();
    assert_eq!(bad["Invoices"][0]["HasErrors"], true);

    let missed = api_spec().unvisited(sim.journal());
    assert!(missed.is_empty(), "operations not exercised: {missed:?}");
    assert_conforms(&sim);
}

#[tokio::test]
async fn what_xero_ignores_passes_and_what_it_refuses_is_refused() {
    let sim = XeroSimulator::start().await.unwrap();
    let client = connect(&sim).await;
    let h = client.http().await.unwrap();
    // `where` on Quotes is ignored: every quote comes back (and the breach is recorded).
    let all: Value =
        h.get("Quotes").query("where", "Reference==\"nothing\"").send_json().await.unwrap();
    assert_eq!(all["Quotes"].as_array().unwrap().len(), 1);
    let recorded = sim.journal().spec_violations();
    assert!(recorded.iter().any(|l| l.contains("query.where")), "{recorded:?}");
    // A wrong enum value is Xero's 400 ValidationException.
    let e = h
        .post("Quotes")
        .json(&json!({"Quotes": [{"Contact": {"ContactID": "5b96e86b-418e-48e8-8949-308c14aec278"},
            "Date": "2026-11-02", "LineAmountTypes": "Inclusive",
            "LineItems": [{"ItemCode": "UMB-1", "Quantity": 1, "UnitAmount": 1}]}]}))
        .idempotent(false)
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(400));
    assert!(e.to_string().contains("LineAmountTypes"), "{e}");
    // An idempotency key used again with another request.
    let body = |qty: u32| json!({"Contacts": [{"Name": format!("Keyed {qty}")}]});
    h.post("Contacts").idempotency_key("k-1").json(&body(1)).send().await.unwrap();
    h.post("Contacts").idempotency_key("k-1").json(&body(1)).send().await.unwrap();
    let e = h.post("Contacts").idempotency_key("k-1").json(&body(2)).send().await.unwrap_err();
    assert_eq!(e.status(), Some(400));
    assert!(e.to_string().contains("is used with a different request"), "{e}");
    assert!(sim.contacts().find(|r| r.value["Name"] == "Keyed 1").is_some());
    assert!(sim.contacts().find(|r| r.value["Name"] == "Keyed 2").is_none());
}
