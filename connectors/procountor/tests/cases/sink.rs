//! Orders become complete SALES_INVOICEs; bad orders fail with the field named and are
//! never sent.

use connector_core::ErrorKind;
use connector_core::sink::{Outcome, Sink};
use connector_procountor::{FollowUp, InvoiceSettings};
use serde_json::json;

use crate::support::*;

#[tokio::test(flavor = "multi_thread")]
async fn an_order_becomes_an_unfinished_sales_invoice_with_every_required_field() {
    let sim = sim().await;
    let settings = InvoiceSettings {
        bank_account: Some("fi21 1234 5600 0007 85".into()),
        ..InvoiceSettings::default()
    };
    let sink = sink(&sim, settings);
    let mut o = order("ORD-1");
    o.shipping_address = Some(connector_core::model::Address {
        lines: vec!["Varasto 3".into()],
        postal_code: Some("02100".into()),
        city: Some("Espoo".into()),
        country: Some("FI".into()),
        ..Default::default()
    });
    let id = created(&write(&sink, o).await);
    let invoices = sim.invoices();
    assert_eq!(invoices.len(), 1);
    let inv = &invoices[0];
    assert_eq!(inv["id"].to_string(), id);
    assert_eq!(inv["type"], "SALES_INVOICE");
    assert_eq!(inv["status"], "UNFINISHED");
    assert_eq!(inv["date"], "2026-05-04");
    assert_eq!(inv["originalInvoiceNumber"], "ORD-1");
    assert_eq!(inv["language"], "FINNISH");
    assert_eq!(inv["vatStatus"], 1);
    assert_eq!(inv["invoiceChannel"], "EMAIL");
    assert_eq!(inv["discountPercent"], 0);
    assert_eq!(
        inv["extraInfo"],
        json!({ "accountingByRow": false, "unitPricesIncludeVat": false })
    );
    assert_eq!(inv["paymentInfo"]["paymentMethod"], "BANK_TRANSFER");
    assert_eq!(inv["paymentInfo"]["currency"], "EUR");
    assert_eq!(inv["paymentInfo"]["dueDate"], "2026-05-18");
    assert_eq!(inv["paymentInfo"]["currencyRate"], 1);
    assert_eq!(inv["paymentInfo"]["bankAccount"]["accountNumber"], "FI2112345600000785");
    assert_eq!(inv["paymentInfo"]["bankReferenceCode"], "");
    assert_eq!(inv["counterParty"]["identifier"], "0112038-9");
    assert_eq!(inv["counterParty"]["counterPartyAddress"]["country"], "FINLAND");
    assert_eq!(inv["billingAddress"]["street"], "Katu 1");
    assert_eq!(inv["deliveryAddress"]["city"], "Espoo");
    let row = &inv["invoiceRows"][0];
    assert_eq!(row["unit"], "PIECE");
    assert_eq!(row["vatPercent"].to_string(), "25.5");
    assert_eq!(row["unitPrice"].to_string(), "10");
    assert_eq!(row["quantity"].to_string(), "2");
    assert_eq!(row["productCode"], "WID-1");
    assert!(row["productId"].is_i64());
    let partner = &sim.partners()[0];
    assert_eq!(inv["partnerId"], partner["id"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_business_id_fails_on_its_field_and_is_never_sent() {
    let sim = sim().await;
    let sink = sink(&sim, InvoiceSettings::default());
    let mut o = order("ORD-BAD");
    o.party.registration_number = Some("0112038-8".into());
    let e = failed(write(&sink, o).await);
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert_eq!(e.field(), Some("party.registration_number"));
    assert_eq!(e.record(), Some("ORD-BAD"));
    assert_eq!(sim.journal().count_call("POST", "/api/invoices"), 0);
    assert!(sim.invoices().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_six_digit_business_id_gets_its_leading_zero() {
    let sim = sim().await;
    let sink = sink(&sim, InvoiceSettings { match_customers: false, ..Default::default() });
    let mut o = order("ORD-6");
    o.party.registration_number = Some("112038-9".into());
    created(&write(&sink, o).await);
    assert_eq!(sim.invoices()[0]["counterParty"]["identifier"], "0112038-9");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_vat_rate_the_company_does_not_use_fails_on_the_line() {
    let sim = sim().await;
    let sink = sink(&sim, InvoiceSettings::default());
    let mut o = order("ORD-VAT");
    o.lines[0].tax_percent = Some(dec("24"));
    let e = failed(write(&sink, o).await);
    assert_eq!(e.field(), Some("lines[0].tax_percent"));
    assert!(e.message().contains("25.5"), "{}", e.message());
    assert!(sim.invoices().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_country_or_unit_fails_on_its_field() {
    let sim = sim().await;
    let sink = sink(&sim, InvoiceSettings::default());
    let mut o = order("ORD-C");
    o.billing_address.as_mut().unwrap().country = Some("Atlantis".into());
    assert_eq!(failed(write(&sink, o).await).field(), Some("billing_address.country"));
    let mut o = order("ORD-U");
    o.lines[0].unit = Some("furlong".into());
    assert_eq!(failed(write(&sink, o).await).field(), Some("lines[0].unit"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_supplied_bank_reference_is_validated() {
    let sim = sim().await;
    let sink = sink(&sim, InvoiceSettings::default());
    let mut o = order("ORD-REF");
    o.meta.custom.insert(
        "bank_reference".into(),
        connector_core::model::CustomField {
            value: connector_core::model::CustomValue::Text("12345673".into()),
            source: None,
        },
    );
    assert_eq!(failed(write(&sink, o.clone()).await).field(), Some("meta.custom.bank_reference"));
    o.meta.custom.get_mut("bank_reference").unwrap().value =
        connector_core::model::CustomValue::Text("1234 5672".into());
    created(&write(&sink, o).await);
    assert_eq!(sim.invoices()[0]["paymentInfo"]["bankReferenceCode"], "12345672");
}

#[tokio::test(flavor = "multi_thread")]
async fn follow_up_actions_run_after_the_create() {
    let sim = sim().await;
    let settings = InvoiceSettings {
        follow_up: vec![FollowUp::Approve, FollowUp::Send],
        ..Default::default()
    };
    let sink = sink(&sim, settings);
    created(&write(&sink, order("ORD-F")).await);
    assert_eq!(sim.invoices()[0]["status"], "SENT");
    assert_eq!(sim.journal().count(|e| e.path.ends_with("/approve")), 1);
    assert_eq!(sim.journal().count(|e| e.path.ends_with("/verify")), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_update_sends_the_current_version_and_skips_sent_invoices() {
    let sim = sim().await;
    let sink = sink(&sim, InvoiceSettings::default());
    let id = created(&write(&sink, order("ORD-U1")).await);
    // Someone edits the invoice in Procountor: the version moves on.
    sim.touch_invoice(id.parse().unwrap(), "notes", json!("edited"));
    let mut changed = order("ORD-U1");
    changed.lines[0].quantity = dec("3");
    let out = sink.write(vec![request(changed.clone(), Some(&id))]).await.unwrap();
    assert_eq!(out[0].outcome, Outcome::Updated { target_id: id.clone() });
    assert_eq!(sim.invoices()[0]["invoiceRows"][0]["quantity"].to_string(), "3");
    // Once sent, it is no longer updated.
    sim.touch_invoice(id.parse().unwrap(), "status", json!("SENT"));
    let out = sink.write(vec![request(changed, Some(&id))]).await.unwrap();
    assert!(matches!(&out[0].outcome, Outcome::Skipped { reason, .. } if reason.contains("SENT")));
}
