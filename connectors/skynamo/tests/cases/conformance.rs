//! The connector and its simulator held to the description of Skynamo's API
//! (`tests/fixtures/skynamo-api.json`, written from Skynamo's Swagger spec 1.0.27 and its
//! Python SDK): every request the connector builds, every answer the simulator serves, and
//! the answers Skynamo gives to requests that break it.

use connector_core::model::{
    Currency, Customer, DocumentLine, DocumentParty, EntityRef, Invoice, Money, Order, PriceList,
    Product, StockLevel,
};
use connector_core::sink::{LookupKey, Sink};
use connector_core::source::{ReadMode, Source};
use connector_skynamo::simulator::{API_KEY, INSTANCE, SkynamoSimulator, api_spec};
use connector_skynamo::{OrderStatus, SkynamoClient, SkynamoSource};
use connector_testkit::simulator::Method;
use futures_util::StreamExt;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::support::{assert_conforms, price_list, sink, upsert};

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

#[tokio::test]
async fn every_request_the_connector_builds_keeps_to_the_description() {
    let sim = SkynamoSimulator::start().await.unwrap();
    let s = sink(&sim);
    let mut c = Customer {
        number: Some("C-1".into()),
        name: Some("Bayside".into()),
        sales_rep: Some(EntityRef::by_key("john.doe")),
        ..Default::default()
    };
    c.meta.custom.insert(
        "address".into(),
        connector_core::model::CustomField {
            value: connector_core::model::CustomValue::Text("1 Road\nTown\n\n1234".into()),
            source: None,
        },
    );
    assert!(
        Sink::<Customer>::write(&s, vec![upsert(c.clone())]).await.unwrap()[0].outcome.is_success()
    );
    c.name = Some("Bayside Club".into());
    assert!(Sink::<Customer>::write(&s, vec![upsert(c)]).await.unwrap()[0].outcome.is_success());
    let p = Product { sku: "UMB-1".into(), name: Some("Umbrella".into()), ..Default::default() };
    Sink::<Product>::write(&s, vec![upsert(p.clone())]).await.unwrap();
    Sink::<Product>::write(&s, vec![upsert(p)]).await.unwrap();
    let list = price_list("retail", &[("UMB-1", "19.99")]);
    Sink::<PriceList>::write(&s, vec![upsert(list)]).await.unwrap();
    let level = StockLevel {
        sku: "UMB-1".into(),
        warehouse: Some("MAIN".into()),
        on_hand: Some(d("3")),
        reserved: None,
        available: Some(d("3")),
        incoming: None,
        as_of: None,
        meta: Default::default(),
    };
    Sink::<StockLevel>::write(&s, vec![upsert(level)]).await.unwrap();
    let inv = Invoice {
        number: Some("INV-1".into()),
        currency: Currency::NZD,
        issue_date: chrono::NaiveDate::from_ymd_opt(2026, 11, 1),
        due_date: chrono::NaiveDate::from_ymd_opt(2026, 11, 30),
        party: DocumentParty { customer: EntityRef::by_key("C-1"), ..Default::default() },
        lines: vec![DocumentLine {
            sku: Some("UMB-1".into()),
            quantity: d("2"),
            net_amount: Some(Money::new(d("39.98"), Currency::NZD)),
            ..Default::default()
        }],
        ..Default::default()
    };
    Sink::<Invoice>::write(&s, vec![upsert(inv.clone())]).await.unwrap();
    Sink::<Invoice>::write(&s, vec![upsert(inv)]).await.unwrap();
    let order = sim.place(false, "C-1", 7, &[("UMB-1", "1", "19.99")]);
    let client = SkynamoClient::new(sim.config()).unwrap();
    let source = SkynamoSource::new(client.clone(), Currency::NZD);
    assert_eq!(Source::<Order>::read(&source, ReadMode::Full).count().await, 1);
    let customers = Source::<Customer>::read(&source, ReadMode::Changes { since: None });
    assert!(customers.count().await > 0);
    assert!(Source::<Product>::read(&source, ReadMode::Full).count().await > 0);
    client.acknowledge(order, OrderStatus::Logged, None).await.unwrap();
    Sink::<Customer>::check(&s).await.unwrap();

    // Only the lookup of the invoice before its create answers 404.
    let refused = sim.journal().count(|e| e.is_client_error() && e.status != Some(404));
    assert_eq!(refused, 0, "nothing was refused");
    assert_conforms(&sim);
}

#[tokio::test]
async fn every_answer_the_simulator_serves_keeps_to_the_description() {
    let sim = SkynamoSimulator::start().await.unwrap();
    let client = SkynamoClient::new(sim.config()).unwrap();
    let h = client.http();
    let get = |path: &str| h.get(path).send_json::<Value>();
    let post =
        |path: &str, body: Value| h.post(path).json(&body).idempotent(false).send_json::<Value>();
    for path in ["users", "formdefinitions", "warehouses", "taxrates"] {
        get(path).await.unwrap();
    }
    let created = post("customers", json!([{"code": "C-1", "name": "Bayside"}])).await.unwrap();
    let cid = created["data"][0]["id"].clone();
    h.patch("customers").json(&json!([{"id": cid, "name": "Bayside Club"}])).send().await.unwrap();
    h.put("customers")
        .json(&json!([{"id": cid, "code": "C-1", "name": "Bayside"}]))
        .send()
        .await
        .unwrap();
    get("customers").await.unwrap();
    let product = post(
        "products",
        json!([{"code": "UMB-1", "name": "Umbrella",
                "order_units": [{"name": "Each", "multiplier": 1, "active": true}]}]),
    )
    .await
    .unwrap();
    let pid = product["data"][0]["id"].clone();
    h.patch("products").json(&json!([{"id": pid, "name": "Umbrella XL"}])).send().await.unwrap();
    h.put("products")
        .json(&json!([{"id": pid, "code": "UMB-1", "name": "Umbrella",
                       "order_units": [{"name": "Each", "multiplier": 1}]}]))
        .send()
        .await
        .unwrap();
    get("products").await.unwrap();
    post("pricelists", json!([{"name": "retail", "currency_code": "NZD"}])).await.unwrap();
    let lists: Value = get("pricelists").await.unwrap();
    let lid = lists["data"][0]["id"].clone();
    h.patch("pricelists").json(&json!([{"id": lid, "active": true}])).send().await.unwrap();
    h.put("pricelists").json(&json!([{"id": lid, "name": "retail"}])).send().await.unwrap();
    post(
        "prices",
        json!([{"product_code": "UMB-1", "order_unit_name": "Each", "price_list_id": lid, "price": 19.99}]),
    )
    .await
    .unwrap();
    get("prices").await.unwrap();
    post("stocklevels", json!([{"product_code": "UMB-1", "order_unit_name": "Each", "level": 4}]))
        .await
        .unwrap();
    get("stocklevels").await.unwrap();
    let invoice = post(
        "invoicesbyexternalid",
        json!([{"external_id": "INV-1", "date": "2026-11-01T00:00:00", "customer_code": "C-1",
                "status": "OutStanding", "items": [{"product_code": "UMB-1", "quantity": 1, "value": 19.99}]}]),
    )
    .await
    .unwrap();
    let iid = invoice["data"][0]["id"].clone();
    get("invoicesbyexternalid/INV-1").await.unwrap();
    h.get("invoicesbyexternalid/INV-404").send().await.unwrap_err();
    h.patch("invoicesbyexternalid")
        .json(&json!([{"id": iid, "status": "Paid"}]))
        .send()
        .await
        .unwrap();
    h.put("invoicesbyexternalid")
        .json(&json!([{"id": iid, "date": "2026-11-01T00:00:00", "customer_code": "C-1"}]))
        .send()
        .await
        .unwrap();
    get("invoices").await.unwrap();
    h.delete("invoicesbyexternalid").json(&json!([iid])).send().await.unwrap();
    let order = sim.place(false, "C-1", 3, &[("UMB-1", "2", "19.99")]);
    sim.place(true, "C-1", 3, &[("UMB-1", "1", "19.99")]);
    get("orders").await.unwrap();
    get("quotes").await.unwrap();
    post(
        "orderstatuses",
        json!([{"document_id": order, "date": "2026-11-01T10:00:00", "status": "Logged"}]),
    )
    .await
    .unwrap();
    h.get("orderstatuses")
        .query("filters", json!([format!("equals(document_id,{order})")]).to_string())
        .send()
        .await
        .unwrap();
    h.patch("customfields")
        .json(&json!([{"id": 13, "name": "Account number"}]))
        .send()
        .await
        .unwrap();

    let missed = api_spec().unvisited(sim.journal());
    assert!(missed.is_empty(), "operations not exercised: {missed:?}");
    assert_conforms(&sim);
}

#[tokio::test]
async fn what_breaks_the_description_is_answered_as_skynamo_answers() {
    let sim = SkynamoSimulator::start().await.unwrap();
    let client = SkynamoClient::new(sim.config()).unwrap();
    let h = client.http();
    // No such operation: API Gateway's answer.
    let e = h.get("customfields").send().await.unwrap_err();
    assert_eq!(e.status(), Some(403));
    assert!(e.message().contains("Missing Authentication Token"), "{e}");
    // A filter field /products does not document, a page over 200, an unknown parameter.
    let e = h
        .get("products")
        .query("filters", json!(["equals(code,UMB-1)"]).to_string())
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(400));
    assert!(e.message().contains("not a filter field"), "{e}");
    let e = h.get("customers").query("page_size", 500).send().await.unwrap_err();
    assert!(e.message().contains("query.page_size"), "{e}");
    let e = h.get("orders").query("filters", "[]").send().await.unwrap_err();
    assert!(e.message().contains("query.filters"), "{e}");
    // Body rows refused by index: an unknown field, a wrong enum, a missing required field,
    // a read-only field.
    let e = h
        .post("invoicesbyexternalid")
        .json(&json!([
            {"external_id": "A", "date": "2026-11-01T00:00:00", "customer_code": "C-1", "status": "Outstanding"},
            {"external_id": "B", "customer_code": "C-1", "colour": "red"},
        ]))
        .idempotent(false)
        .send()
        .await
        .unwrap_err();
    let fields: Vec<String> = e.field_errors().iter().map(|f| f.to_string()).collect();
    assert_eq!(fields.len(), 3, "{fields:?}");
    assert!(fields[0].starts_with("[0]") && fields[0].contains("status"), "{fields:?}");
    assert!(fields.iter().any(|f| f.starts_with("[1]") && f.contains("colour")), "{fields:?}");
    assert!(fields.iter().any(|f| f.starts_with("[1]") && f.contains("date")), "{fields:?}");
    let e = h
        .patch("invoicesbyexternalid")
        .json(&json!([{"id": 1, "tax": 5}]))
        .send()
        .await
        .unwrap_err();
    assert!(e.to_string().contains("[0]: tax: is read-only"), "{e}");
    // The headers API Gateway requires.
    let raw = reqwest_get(&sim, "/v1/users", &[("x-api-key", API_KEY)]).await;
    assert_eq!(raw.0, 400);
    assert!(raw.1.contains("x-api-client"), "{}", raw.1);
    let raw = reqwest_get(&sim, "/v1/users", &[("x-api-client", INSTANCE)]).await;
    assert_eq!(raw.0, 403);
    assert!(raw.1.ends_with(r#"{"message":"Forbidden"}"#), "{}", raw.1);
    assert!(sim.journal().count(|e| e.method == Method::POST && e.status == Some(200)) == 0);
}

/// A GET with only these headers, answered as status and body.
async fn reqwest_get(
    sim: &SkynamoSimulator,
    path: &str,
    headers: &[(&str, &str)],
) -> (u16, String) {
    let base = sim.config().api_url;
    let url = format!("{}{}", base.trim_end_matches("/v1"), path);
    let mut req = connector_core::http::HttpClient::builder("raw", &url)
        .build()
        .unwrap()
        .get("")
        .idempotent(false);
    for (k, v) in headers {
        req = req.header(k, v);
    }
    match req.send().await {
        Ok(r) => (r.status(), r.text()),
        Err(e) => (e.status().unwrap_or_default(), e.message().to_owned()),
    }
}

#[tokio::test]
async fn the_invoice_lookup_of_find_keeps_to_the_description() {
    let sim = SkynamoSimulator::start().await.unwrap();
    let s = sink(&sim);
    assert!(
        Sink::<Invoice>::find(&s, &LookupKey::new("external_id", "INV/2026 1"))
            .await
            .unwrap()
            .is_none()
    );
    let call = sim.journal().entries().pop().unwrap();
    assert_eq!(call.path, "/v1/invoicesbyexternalid/INV%2F2026%201");
    assert_conforms(&sim);
}
