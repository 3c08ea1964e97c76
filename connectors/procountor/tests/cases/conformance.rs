//! The connector and its simulator held to the description of Procountor's API
//! (`tests/fixtures/procountor-api.json`, written from Procountor's OpenAPI spec): every
//! request the connector builds, and every answer the simulator serves.

use connector_core::sink::Sink;
use connector_core::source::{ReadMode, Source};
use connector_procountor::simulator::api_spec;
use connector_procountor::{
    CustomerSource, FollowUp, InvoiceSettings, InvoiceSource, ProductSource,
};
use futures_util::StreamExt;
use serde_json::{Value, json};

use crate::support::*;

async fn drain<E: connector_core::Entity>(s: &dyn Source<E>, mode: ReadMode) -> usize {
    s.read(mode).map(|c| c.unwrap()).count().await
}

#[tokio::test(flavor = "multi_thread")]
async fn every_request_the_connector_builds_keeps_to_the_description() {
    let sim = sim().await;
    let settings = InvoiceSettings {
        update_register: true,
        bank_account: Some("FI21 1234 5600 0007 85".into()),
        follow_up: vec![FollowUp::Approve, FollowUp::Send],
        ..InvoiceSettings::default()
    };
    let sink = sink(&sim, settings);
    sink.check().await.unwrap();
    // A matched customer whose details changed (PATCH), a new one (POST), an update (PUT).
    let mut changed = order("C-1");
    changed.party.email = Some("uusi@asiakas.example".into());
    created(&write(&sink, changed).await);
    let mut new = order("C-2");
    new.party.customer.key = Some("2001".into());
    new.party.registration_number = Some("0737546-2".into());
    new.party.company_name = Some("Uusi Oy".into());
    new.shipping_address = new.billing_address.clone();
    created(&write(&sink, new).await);
    let plain = sink_with_defaults(&sim);
    let id = created(&write(&plain, order("C-3")).await);
    let mut more = order("C-3");
    more.lines[0].quantity = dec("4");
    plain.write(vec![request(more, Some(&id))]).await.unwrap();
    let client = client(&sim);
    assert!(drain(&CustomerSource::new(client.clone()), ReadMode::Full).await > 0);
    assert!(
        drain(&CustomerSource::new(client.clone()), ReadMode::Changes { since: None }).await > 0
    );
    assert!(drain(&ProductSource::new(client.clone()), ReadMode::Full).await > 0);
    assert!(drain(&InvoiceSource::new(client.clone()), ReadMode::Full).await > 0);
    assert!(drain(&InvoiceSource::new(client), ReadMode::Changes { since: None }).await > 0);

    let sent = api_spec().check_journal(sim.journal());
    assert!(sent.is_empty(), "{}", sent.join("\n"));
    assert_conforms(&sim);
    assert_eq!(sim.journal().count_client_errors(), 0, "nothing was refused");
}

fn sink_with_defaults(
    sim: &connector_procountor::simulator::ProcountorSimulator,
) -> connector_procountor::ProcountorSink {
    sink(sim, InvoiceSettings::default())
}

#[tokio::test(flavor = "multi_thread")]
async fn every_answer_the_simulator_serves_keeps_to_the_description() {
    let sim = sim().await;
    let http = client(&sim);
    let h = http.http();
    let get = |path: String| h.get(&path).send_json::<Value>();
    let vats: Value = get("vats/default".into()).await.unwrap();
    assert!(vats["vatInformation"].is_array());
    let partners: Value = h
        .get("businesspartners")
        .query("type", "CUSTOMER")
        .query("active", true)
        .header("identifier", "0112038-9")
        .send_json()
        .await
        .unwrap();
    let pid = partners["results"][0]["id"].as_i64().unwrap();
    let partner: Value = get(format!("businesspartners/{pid}")).await.unwrap();
    let created: Value = h
        .post("businesspartners")
        .json(&json!({ "type": "CUSTOMER", "name": "Uusi Oy", "address": { "name": "Uusi Oy" },
                       "paymentInfo": { "paymentMethod": "BANK_TRANSFER" } }))
        .send_json()
        .await
        .unwrap();
    let patched: Value = h
        .patch(&format!("businesspartners/{pid}"))
        .json(&json!({ "name": "Asiakas Oyj", "type": "CUSTOMER",
                       "paymentInfo": partner["paymentInfo"], "version": partner["version"] }))
        .send_json()
        .await
        .unwrap();
    h.put(&format!("businesspartners/{}", created["id"]))
        .json(&json!({ "type": "CUSTOMER", "name": "Uusi Oy", "address": { "name": "Uusi Oy" },
                       "paymentInfo": { "paymentMethod": "CASH" }, "version": created["version"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(patched["name"], "Asiakas Oyj");
    let products: Value = h.get("products").query("code", "WID").send_json().await.unwrap();
    let product = products["results"][0]["id"].as_i64().unwrap();
    get(format!("products/{product}")).await.unwrap();
    let body = json!({
        "type": "SALES_INVOICE", "date": "2026-05-04", "partnerId": pid,
        "counterParty": { "counterPartyAddress": { "name": "Asiakas Oy" }, "email": "a@b.example" },
        "paymentInfo": { "paymentMethod": "BANK_TRANSFER", "currency": "EUR",
                         "dueDate": "2026-05-18", "currencyRate": 1 },
        "extraInfo": { "accountingByRow": false, "unitPricesIncludeVat": false },
        "discountPercent": 0, "vatStatus": 1, "invoiceChannel": "EMAIL", "language": "FINNISH",
        "invoiceRows": [{ "product": "Widget", "quantity": 1, "unit": "PIECE",
                          "unitPrice": 10, "discountPercent": 0, "vatPercent": 25.5 }]
    });
    let invoice: Value =
        h.post("invoices").json(&body).idempotent(false).send_json().await.unwrap();
    let iid = invoice["id"].as_i64().unwrap();
    get(format!("invoices/{iid}")).await.unwrap();
    let mut update = body.clone();
    update["version"] = invoice["version"].clone();
    h.put(&format!("invoices/{iid}")).json(&update).send().await.unwrap();
    h.get("invoices").query("types", "SALES_INVOICE").send().await.unwrap();
    // verify answers Procountor's error body for a sales invoice.
    h.put(&format!("invoices/{iid}/verify")).send().await.unwrap_err();
    h.put(&format!("invoices/{iid}/approve")).send().await.unwrap();
    h.put(&format!("invoices/{iid}/send")).send().await.unwrap();

    let spec = api_spec();
    let missed = spec.unvisited(sim.journal());
    assert!(missed.is_empty(), "operations not exercised: {missed:?}");
    assert_conforms(&sim);
}
