//! The simulator refuses what the real API refuses, with Procountor's error body: what
//! breaks the description of the API (`tests/fixtures/procountor-api.json`), and the rules
//! the spec states in words.

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
        "counterParty",
        "paymentInfo",
        "extraInfo",
        "discountPercent",
        "invoiceChannel",
        "invoiceRows[0].vatPercent",
        "invoiceRows[0].unit",
    ] {
        assert!(f.iter().any(|x| x == needed), "{needed} missing from {f:?}");
    }
    let mut body = valid();
    body["paymentInfo"] = json!({ "paymentMethod": "BANK_TRANSFER" });
    body["counterParty"]["counterPartyAddress"] = json!({ "street": "Katu 1" });
    let f = fields(&post(&sim, &body).await.unwrap_err());
    for needed in [
        "paymentInfo.currency",
        "paymentInfo.dueDate",
        "paymentInfo.currencyRate",
        "counterParty.counterPartyAddress.name",
    ] {
        assert!(f.iter().any(|x| x == needed), "{needed} missing from {f:?}");
    }
    let mut body = valid();
    body.as_object_mut().unwrap().remove("vatStatus");
    body.as_object_mut().unwrap().remove("language");
    let f = fields(&post(&sim, &body).await.unwrap_err());
    assert_eq!(f, ["vatStatus", "language"], "required by the type, in words");
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
async fn unknown_fields_wrong_enums_iso_countries_and_the_package_unit_are_refused() {
    let sim = sim().await;
    let mut body = valid();
    body["counterParty"]["counterPartyAddress"]["country"] = json!("FI");
    body["invoiceRows"][0]["unit"] = json!("PACKAGE");
    body["invoiceChannel"] = json!("FAX");
    body["counterParty"]["customerNo"] = json!("1001");
    let e = post(&sim, &body).await.unwrap_err();
    assert_eq!(e.status(), Some(400));
    let f = fields(&e);
    assert_eq!(
        f,
        [
            "counterParty.counterPartyAddress.country",
            "counterParty.customerNo",
            "invoiceChannel",
            "invoiceRows[0].unit",
        ]
    );
    assert!(e.message().contains("NotInEnum"), "{}", e.message());
}

#[tokio::test(flavor = "multi_thread")]
async fn vat_for_purchases_only_and_spaced_ibans_are_refused() {
    let sim = sim().await;
    let mut body = valid();
    // 24 % is still in use for purchases, not for sales.
    body["invoiceRows"][0]["vatPercent"] = json!(24);
    body["paymentInfo"]["bankAccount"] = json!({ "accountNumber": "FI21 1234 5600 0007 85" });
    let f = fields(&post(&sim, &body).await.unwrap_err());
    assert_eq!(f, ["invoiceRows[0].vatPercent", "paymentInfo.bankAccount.accountNumber"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn vats_default_answers_percentages_per_country_and_vat_statuses() {
    let sim = sim().await;
    let v: Value = client(&sim).http().get("vats/default").send_json().await.unwrap();
    assert_eq!(v["vatInformation"][0]["country"], "Finland");
    let first = &v["vatInformation"][0]["percentages"][0];
    assert_eq!(first["vatPercent"].to_string(), "25.5");
    assert_eq!(first["sales"], true);
    assert!(v["vatStatuses"][0]["vatStatus"].is_i64());
    assert!(v.get("vatPercentages").is_none());
    assert_conforms(&sim);
}

#[tokio::test(flavor = "multi_thread")]
async fn verify_is_refused_for_a_sales_invoice_and_send_needs_an_approval() {
    let sim = sim().await;
    let id = post(&sim, &valid()).await.unwrap()["id"].as_i64().unwrap();
    let http = client(&sim);
    let e = http.http().put(&format!("invoices/{id}/verify")).send().await.unwrap_err();
    assert_eq!(fields(&e), ["type"]);
    let e = http.http().put(&format!("invoices/{id}/send")).send().await.unwrap_err();
    assert_eq!(fields(&e), ["status"]);
    http.http().put(&format!("invoices/{id}/approve")).send().await.unwrap();
    http.http().put(&format!("invoices/{id}/send")).send().await.unwrap();
    assert_eq!(sim.invoices()[0]["status"], "SENT");
    assert_conforms(&sim);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_operation_or_query_parameter_is_refused() {
    let sim = sim().await;
    let http = client(&sim);
    let e = http.http().get("businesspartners").query("identifier", "0112038-9").send().await;
    assert_eq!(fields(&e.unwrap_err()), ["identifier"]);
    let e = http.http().get("businesspartners").query("orderByVersion", "ASC").send().await;
    assert_eq!(fields(&e.unwrap_err()), ["orderByVersion"]);
    let e = http.http().get("customfields").send().await.unwrap_err();
    assert_eq!(e.status(), Some(404));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stale_version_is_a_conflict() {
    let sim = sim().await;
    let created = post(&sim, &valid()).await.unwrap();
    let id = created["id"].as_i64().unwrap();
    let mut stale = valid();
    stale["version"] = created["version"].clone();
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
