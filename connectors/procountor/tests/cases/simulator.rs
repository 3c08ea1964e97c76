//! The simulator refuses invoices as the real API does, with Procountor's error body.

use connector_core::ErrorKind;
use serde_json::{Value, json};

use crate::support::*;

fn valid() -> Value {
    json!({
        "type": "SALES_INVOICE", "date": "2026-05-04",
        "counterParty": { "email": "ap@asiakas.example",
            "counterPartyAddress": { "name": "Asiakas Oy", "street": "Katu 1", "zip": "00100",
                                     "city": "Helsinki", "country": "FINLAND" } },
        "billingAddress": { "name": "Asiakas Oy", "street": "Katu 1", "zip": "00100", "city": "Helsinki" },
        "paymentInfo": { "paymentMethod": "BANK_TRANSFER", "currency": "EUR", "dueDate": "2026-05-18",
                         "currencyRate": 1, "bankReferenceCode": "" },
        "extraInfo": { "accountingByRow": false, "unitPricesIncludeVat": false },
        "discountPercent": 0, "vatStatus": 1, "invoiceChannel": "EMAIL", "language": "FINNISH",
        "originalInvoiceNumber": "RAW-1",
        "invoiceRows": [ { "product": "Widget", "quantity": 2, "unit": "PIECE", "unitPrice": 10.00,
                           "discountPercent": 0, "vatPercent": 25.5 } ]
    })
}

async fn post(
    sim: &connector_procountor::simulator::ProcountorSimulator,
    body: &Value,
) -> connector_core::Result<Value> {
    client(sim).http().post("invoices").json(body).idempotent(false).send_json().await
}

fn fields(e: &connector_core::Error) -> Vec<String> {
    e.field_errors().iter().map(|f| f.field.clone()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_valid_invoice_is_created_unfinished() {
    let sim = sim().await;
    let created = post(&sim, &valid()).await.unwrap();
    assert_eq!(created["status"], "UNFINISHED");
    assert!(created["version"].is_string());
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_required_fields_are_listed() {
    let sim = sim().await;
    let e =
        post(&sim, &json!({ "type": "SALES_INVOICE", "invoiceRows": [ {} ] })).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    let f = fields(&e);
    for needed in [
        "date",
        "counterParty.counterPartyAddress.name",
        "paymentInfo.paymentMethod",
        "paymentInfo.currencyRate",
        "extraInfo.accountingByRow",
        "discountPercent",
        "vatStatus",
        "language",
        "invoiceChannel",
        "invoiceRows[0].vatPercent",
        "invoiceRows[0].unit",
    ] {
        assert!(f.iter().any(|x| x == needed), "{needed} missing from {f:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn edifact_and_paper_channels_are_refused() {
    let sim = sim().await;
    for channel in ["EDIFACT", "PAPER_INVOICE"] {
        let mut body = valid();
        body["invoiceChannel"] = json!(channel);
        let e = post(&sim, &body).await.unwrap_err();
        assert_eq!(fields(&e), vec!["invoiceChannel"]);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_einvoice_channel_needs_its_address_and_operator() {
    let sim = sim().await;
    let mut body = valid();
    body["invoiceChannel"] = json!("ELECTRONIC_INVOICE");
    let e = post(&sim, &body).await.unwrap_err();
    let f = fields(&e);
    assert!(f.contains(&"counterParty.einvoiceAddress.address".to_owned()), "{f:?}");
    assert!(f.contains(&"counterParty.einvoiceAddress.operator".to_owned()), "{f:?}");
    body["counterParty"]["einvoiceAddress"] =
        json!({ "operator": "003721291126", "address": "003701120389" });
    post(&sim, &body).await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn iso_countries_unknown_vat_and_spaced_ibans_are_refused() {
    let sim = sim().await;
    let mut body = valid();
    body["counterParty"]["counterPartyAddress"]["country"] = json!("FI");
    body["invoiceRows"][0]["vatPercent"] = json!(24);
    body["paymentInfo"]["bankAccount"] = json!({ "accountNumber": "FI21 1234 5600 0007 85" });
    let e = post(&sim, &body).await.unwrap_err();
    let f = fields(&e);
    for needed in [
        "counterParty.counterPartyAddress.country",
        "invoiceRows[0].vatPercent",
        "paymentInfo.bankAccount.accountNumber",
    ] {
        assert!(f.iter().any(|x| x == needed), "{needed} missing from {f:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stale_version_is_a_conflict() {
    let sim = sim().await;
    let created = post(&sim, &valid()).await.unwrap();
    let id = created["id"].as_i64().unwrap();
    let mut stale = created.clone();
    sim.touch_invoice(id, "notes", json!("edited in Procountor"));
    stale["invoiceRows"][0]["quantity"] = json!(3);
    let e =
        client(&sim).http().put(&format!("invoices/{id}")).json(&stale).send().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Conflict);
    assert_eq!(fields(&e), vec!["version"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn page_sizes_over_200_are_refused() {
    let sim = sim().await;
    let e = client(&sim).http().get("invoices").query("size", 201).send().await.unwrap_err();
    assert_eq!(fields(&e), vec!["size"]);
}
