//! Sinks: orders to draft invoices, quotes, contacts; per-record outcomes; idempotency.

use chrono::NaiveDate;
use connector_core::model::{
    Currency, Customer, DocumentLine, Email, EntityRef, Money, Order, OrderKind,
};
use connector_core::sink::{LookupKey, Outcome, Sink, WriteAction, WriteRequest};
use connector_xero::XeroSink;
use connector_xero::simulator::XeroSimulator;
use rust_decimal::Decimal;

use crate::support::connect;

fn nzd(s: &str) -> Money {
    Money::new(s.parse::<Decimal>().unwrap(), Currency::NZD)
}

fn order(number: &str, sku: &str, qty: &str, price: &str, rep: &str) -> Order {
    Order {
        number: Some(number.into()),
        kind: OrderKind::Order,
        currency: Currency::NZD,
        order_date: NaiveDate::from_ymd_opt(2026, 11, 2),
        party: connector_core::model::DocumentParty {
            customer: EntityRef::by_id("5b96e86b-418e-48e8-8949-308c14aec278"),
            ..Default::default()
        },
        sales_rep: Some(EntityRef::by_key(rep)),
        memo: Some("Deliver to the back door".into()),
        lines: vec![DocumentLine {
            sku: Some(sku.into()),
            quantity: qty.parse().unwrap(),
            unit_price: Some(nzd(price)),
            ..Default::default()
        }],
        ..Default::default()
    }
}

fn req<E>(key: &str, e: E) -> WriteRequest<E> {
    WriteRequest {
        key: key.into(),
        target_id: None,
        action: WriteAction::Upsert(e),
        idempotency_key: format!("k-{key}"),
        is_create: true,
    }
}

#[tokio::test]
async fn orders_become_draft_invoices_quotes_become_quotes_and_one_bad_line_fails_alone() {
    let sim = XeroSimulator::start().await.unwrap();
    let sink = XeroSink::new(connect(&sim).await);
    let mut quote = order("SQ-7", "UMB-1", "2", "19.9875", "MK");
    quote.kind = OrderKind::Quote;
    let batch = vec![
        req("SO-1", order("SO-1", "GB1-WHITE", "12.5", "5.9525", "JD")),
        req("SO-2", order("SO-2", "NO-SUCH-ITEM", "1", "1", "JD")),
        req("SQ-7", quote),
    ];
    let out = Sink::<Order>::write(&sink, batch.clone()).await.unwrap();
    let get = |k: &str| out.iter().find(|o| o.key == k).unwrap().outcome.clone();
    assert!(matches!(get("SO-1"), Outcome::Created { .. }), "{:?}", get("SO-1"));
    assert!(matches!(get("SQ-7"), Outcome::Created { .. }), "{:?}", get("SQ-7"));
    match get("SO-2") {
        Outcome::Failed { error } => {
            assert_eq!(error.record(), Some("SO-2"));
            assert!(
                error.message().contains("Item code 'NO-SUCH-ITEM' is not valid"),
                "{}",
                error.message()
            );
        }
        other => panic!("{other:?}"),
    }
    let inv = sim.invoices().find(|r| r.value["Reference"] == "SO-1").unwrap().value;
    assert_eq!(inv["Type"], "ACCREC");
    assert_eq!(inv["Status"], "DRAFT");
    assert_eq!(inv["LineItems"][0]["Quantity"].to_string(), "12.5");
    assert_eq!(inv["LineItems"][0]["UnitAmount"].to_string(), "5.9525");
    assert_eq!(inv["LineItems"][0]["LineAmount"].to_string(), "74.41");
    assert_eq!(inv["LineItems"][0]["Tracking"][0]["Option"], "JD");
    assert_eq!(inv["LineItems"][1]["Description"], "Deliver to the back door");
    assert_eq!(inv["Date"], "/Date(1793577600000+0000)/");
    let q = sim.quotes().find(|r| r.value["Reference"] == "SQ-7").unwrap().value;
    assert_eq!(q["Summary"], "Deliver to the back door");
    let post = sim
        .journal()
        .entries()
        .into_iter()
        .find(|e| {
            e.method == connector_testkit::simulator::Method::POST && e.path.ends_with("/Invoices")
        })
        .unwrap();
    assert_eq!(post.query("summarizeErrors"), Some("false"));
    assert_eq!(post.query("unitdp"), Some("4"));
    assert!(post.header("idempotency-key").is_some());

    // The same batch again carries the same Idempotency-Key: Xero replays, nothing doubles.
    let before = sim.invoices().len();
    let again = Sink::<Order>::write(&sink, batch).await.unwrap();
    assert_eq!(sim.invoices().len(), before);
    assert_eq!(again.iter().filter(|o| o.outcome.is_success()).count(), 2);

    // Found by number (the reference).
    let found =
        Sink::<Order>::find(&sink, &LookupKey::new("number", "SO-1")).await.unwrap().unwrap();
    assert_eq!(found.target_id, inv["InvoiceID"].as_str().unwrap());
    assert!(
        Sink::<Order>::find(&sink, &LookupKey::new("number", "SO-1x")).await.unwrap().is_none()
    );
    assert!(Sink::<Order>::find(&sink, &LookupKey::new("number", "SQ-7")).await.unwrap().is_some());
}

#[tokio::test]
async fn without_a_rep_category_the_rep_goes_into_the_reference_and_is_still_found() {
    let sim = XeroSimulator::start().await.unwrap();
    let mut config = sim.config();
    config.rep_tracking_category = None;
    config.order_invoice_status = connector_xero::OrderInvoiceStatus::Submitted;
    let sink = XeroSink::new(connector_xero::XeroClient::connect(config, None).await.unwrap());
    let out = Sink::<Order>::write(
        &sink,
        vec![req("SO-9", order("SO-9", "UMB-1", "1", "19.9875", "JD"))],
    )
    .await
    .unwrap();
    assert!(out[0].outcome.is_success(), "{:?}", out[0]);
    let inv = sim.invoices().find(|r| r.value["Reference"] == "SO-9 / JD").unwrap().value;
    assert_eq!(inv["Status"], "SUBMITTED");
    assert!(inv["LineItems"][0].get("Tracking").is_none());
    assert!(Sink::<Order>::find(&sink, &LookupKey::new("number", "SO-9")).await.unwrap().is_some());
}

#[tokio::test]
async fn customers_are_matched_by_email_then_name_created_otherwise_and_archived() {
    let sim = XeroSimulator::start().await.unwrap();
    let sink = XeroSink::new(connect(&sim).await);
    let by_email = Customer {
        number: Some("SKY-1".into()),
        name: Some("Bayside Club (new name)".into()),
        emails: vec![Email {
            address: "SecretaryBob@bayside.example".into(),
            kind: Default::default(),
            primary: true,
        }],
        ..Default::default()
    };
    let by_name = Customer {
        number: Some("SKY-2".into()),
        name: Some("City Agency".into()),
        ..Default::default()
    };
    let fresh = Customer {
        number: Some("SKY-3".into()),
        name: Some("Brand New Ltd".into()),
        ..Default::default()
    };
    let bad = Customer {
        number: Some("SKY-4".into()),
        name: Some("Bad Mail".into()),
        emails: vec![Email {
            address: "not-an-email".into(),
            kind: Default::default(),
            primary: true,
        }],
        ..Default::default()
    };
    let before = sim.contacts().len();
    let out = Sink::<Customer>::write(
        &sink,
        vec![req("SKY-1", by_email), req("SKY-2", by_name), req("SKY-3", fresh), req("SKY-4", bad)],
    )
    .await
    .unwrap();
    let get = |k: &str| out.iter().find(|o| o.key == k).unwrap().outcome.clone();
    assert_eq!(
        get("SKY-1"),
        Outcome::Updated { target_id: "5b96e86b-418e-48e8-8949-308c14aec278".into() }
    );
    assert_eq!(
        get("SKY-2"),
        Outcome::Updated { target_id: "565acaa9-e7f3-4fbf-80c3-16b081ddae10".into() }
    );
    assert!(matches!(get("SKY-3"), Outcome::Created { .. }));
    assert!(matches!(get("SKY-4"), Outcome::Failed { .. }));
    assert_eq!(sim.contacts().len(), before + 1);
    let id = get("SKY-3").target_id().unwrap().to_owned();
    let out = Sink::<Customer>::write(
        &sink,
        vec![WriteRequest {
            key: "SKY-3".into(),
            target_id: Some(id.clone()),
            action: WriteAction::Deactivate,
            idempotency_key: "d".into(),
            is_create: false,
        }],
    )
    .await
    .unwrap();
    assert_eq!(out[0].outcome, Outcome::Deactivated { target_id: id.clone() });
    assert_eq!(sim.contacts().get(&id).unwrap().value["ContactStatus"], "ARCHIVED");
}
