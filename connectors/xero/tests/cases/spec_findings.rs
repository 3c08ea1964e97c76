//! One test per finding of the review against Xero's OpenAPI spec
//! (`shared/reference/wire-review-xero.md`); each fails on the code before the fix.

use chrono::NaiveDate;
use connector_core::model::StockLevel;
use connector_core::model::{Currency, DocumentLine, EntityRef, Money, Order, OrderKind};
use connector_core::sink::{LookupKey, Outcome, Sink, WriteAction, WriteRequest};
use connector_core::source::{ChangeDetection, ReadMode, Source};
use connector_testkit::simulator::Method;
use connector_xero::simulator::XeroSimulator;
use connector_xero::{XeroSink, XeroSource};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::support::{assert_conforms, connect, read};

fn nzd(s: &str) -> Money {
    Money::new(s.parse::<Decimal>().unwrap(), Currency::NZD)
}

fn order(number: &str, kind: OrderKind) -> Order {
    Order {
        number: Some(number.into()),
        kind,
        currency: Currency::NZD,
        order_date: NaiveDate::from_ymd_opt(2026, 11, 2),
        party: connector_core::model::DocumentParty {
            customer: EntityRef::by_id("5b96e86b-418e-48e8-8949-308c14aec278"),
            ..Default::default()
        },
        lines: vec![DocumentLine {
            sku: Some("UMB-1".into()),
            quantity: "2".parse().unwrap(),
            unit_price: Some(nzd("19.9875")),
            ..Default::default()
        }],
        ..Default::default()
    }
}

/// A request as the flow makes it: its idempotency key follows the content.
fn req(o: Order, target_id: Option<&str>) -> WriteRequest<Order> {
    let key = o.number.clone().unwrap();
    let content = serde_json::to_string(&o).unwrap();
    WriteRequest {
        idempotency_key: format!("{key}:{:x}", xxhash(&content)),
        key,
        target_id: target_id.map(str::to_owned),
        is_create: target_id.is_none(),
        action: WriteAction::Upsert(o),
    }
}

fn xxhash(s: &str) -> u64 {
    s.bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

fn created(out: &[connector_core::sink::WriteOutcome], key: &str) -> String {
    match &out.iter().find(|o| o.key == key).unwrap().outcome {
        Outcome::Created { target_id } => target_id.clone(),
        other => panic!("{key}: {other:?}"),
    }
}

/// Finding 1: `GET /Quotes` has no `where`; Xero ignores it and answers every quote. An
/// order with no invoice must not be "found" as the organisation's first quote.
#[tokio::test]
async fn an_order_is_never_found_as_an_unrelated_quote() {
    let sim = XeroSimulator::start().await.unwrap();
    assert_eq!(sim.quotes().len(), 1, "the demo organisation has a quote (QU-0001)");
    let sink = XeroSink::new(connect(&sim).await);
    let none = Sink::<Order>::find(&sink, &LookupKey::new("number", "SO-404")).await.unwrap();
    assert!(none.is_none(), "{none:?}");
    // A quote is found by its number (QuoteNumber is the order number).
    let out = Sink::<Order>::write(&sink, vec![req(order("SQ-41", OrderKind::Quote), None)])
        .await
        .unwrap();
    let id = created(&out, "SQ-41");
    let found =
        Sink::<Order>::find(&sink, &LookupKey::new("number", "SQ-41")).await.unwrap().unwrap();
    assert_eq!(found.target_id, id);
    assert_eq!(found.matched, "SQ-41");
    let lookups: Vec<_> = sim
        .journal()
        .entries()
        .into_iter()
        .filter(|e| e.method == Method::GET && e.path.ends_with("/Quotes"))
        .collect();
    assert!(lookups.iter().all(|e| e.query("where").is_none()));
    assert!(lookups.iter().any(|e| e.query("QuoteNumber") == Some("SQ-41")));
    assert_conforms(&sim);
}

/// Finding 2: the batch's `Idempotency-Key` follows the records' content. A change of the
/// same record within Xero's six minutes is a new request, not a refused reuse of the key.
#[tokio::test]
async fn a_record_written_twice_with_other_content_gets_another_key() {
    let sim = XeroSimulator::start().await.unwrap();
    let sink = XeroSink::new(connect(&sim).await);
    let first = order("SO-2", OrderKind::Order);
    let out = Sink::<Order>::write(&sink, vec![req(first.clone(), None)]).await.unwrap();
    let id = created(&out, "SO-2");
    let mut changed = first.clone();
    changed.lines[0].quantity = "3".parse().unwrap();
    let out = Sink::<Order>::write(&sink, vec![req(changed, Some(&id))]).await.unwrap();
    assert_eq!(out[0].outcome, Outcome::Updated { target_id: id.clone() });
    let inv = sim.invoices().get(&id).unwrap().value;
    assert_eq!(inv["LineItems"][0]["Quantity"].to_string(), "3");
    // The same content again: the same key, answered from Xero's cache; nothing doubles.
    let before = sim.invoices().len();
    Sink::<Order>::write(&sink, vec![req(first, None)]).await.unwrap();
    assert_eq!(sim.invoices().len(), before);
    let keys: Vec<String> = sim
        .journal()
        .entries()
        .iter()
        .filter(|e| e.method == Method::POST)
        .filter_map(|e| e.header("idempotency-key").map(str::to_owned))
        .collect();
    assert_eq!(keys.len(), 3);
    assert_ne!(keys[0], keys[1]);
    assert_eq!(keys[0], keys[2]);
    assert_conforms(&sim);
}

/// Finding 3: quotes spell `LineAmountTypes` upper case; an `INCLUSIVE` quote is read as
/// tax-inclusive.
#[tokio::test]
async fn quotes_use_upper_case_line_amount_types_both_ways() {
    let sim = XeroSimulator::start().await.unwrap();
    let client = connect(&sim).await;
    let sink = XeroSink::new(client.clone());
    let mut q = order("SQ-3", OrderKind::Quote);
    q.tax_inclusive = true;
    let out = Sink::<Order>::write(&sink, vec![req(q, None)]).await.unwrap();
    let id = created(&out, "SQ-3");
    assert_eq!(sim.quotes().get(&id).unwrap().value["LineAmountTypes"], "INCLUSIVE");
    let source = XeroSource::new(client);
    let quotes = read::<Order>(&source, ReadMode::Full).await;
    let back = quotes.upserts.iter().find(|o| o.number.as_deref() == Some("SQ-3")).unwrap();
    assert!(back.tax_inclusive);
    let line = &back.lines[0];
    // 2 × 19.9875 = 39.98 including 15 % GST of 5.21.
    assert_eq!(line.gross_amount.unwrap().amount.to_string(), "39.98");
    assert_eq!(line.net_amount.unwrap().amount.to_string(), "34.77");
    assert_conforms(&sim);
}

/// Finding 4: deactivating an order deletes a draft invoice, voids an approved one, and
/// deletes a quote through `/Quotes`.
#[tokio::test]
async fn deactivation_deletes_drafts_voids_approved_invoices_and_deletes_quotes() {
    let sim = XeroSimulator::start().await.unwrap();
    let sink = XeroSink::new(connect(&sim).await);
    let out = Sink::<Order>::write(
        &sink,
        vec![
            req(order("SO-D", OrderKind::Order), None),
            req(order("SO-A", OrderKind::Order), None),
            req(order("SQ-D", OrderKind::Quote), None),
        ],
    )
    .await
    .unwrap();
    let (draft, approved, quote) =
        (created(&out, "SO-D"), created(&out, "SO-A"), created(&out, "SQ-D"));
    sim.invoices().update(&approved, &json!({"Status": "AUTHORISED"})).unwrap();
    let deactivate = |key: &str, id: &str| WriteRequest::<Order> {
        key: key.into(),
        target_id: Some(id.into()),
        action: WriteAction::Deactivate,
        idempotency_key: format!("{key}:deactivate"),
        is_create: false,
    };
    let out = Sink::<Order>::write(
        &sink,
        vec![deactivate("SO-D", &draft), deactivate("SO-A", &approved), deactivate("SQ-D", &quote)],
    )
    .await
    .unwrap();
    assert!(out.iter().all(|o| matches!(o.outcome, Outcome::Deactivated { .. })), "{out:?}");
    assert_eq!(sim.invoices().get(&draft).unwrap().value["Status"], "DELETED");
    assert_eq!(sim.invoices().get(&approved).unwrap().value["Status"], "VOIDED");
    assert_eq!(sim.quotes().get(&quote).unwrap().value["Status"], "DELETED");
    // Gone documents no longer answer for their order.
    for number in ["SO-D", "SO-A", "SQ-D"] {
        let found = Sink::<Order>::find(&sink, &LookupKey::new("number", number)).await.unwrap();
        assert!(found.is_none(), "{number}: {found:?}");
    }
    // A paid invoice is left alone, with the reason.
    let paid = "b0a1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d";
    let out = Sink::<Order>::write(&sink, vec![deactivate("INV-0002", paid)]).await.unwrap();
    assert!(matches!(&out[0].outcome, Outcome::Skipped { reason, .. } if reason.contains("PAID")));
    assert_conforms(&sim);
}

/// Finding 5: an update does not send a status, so an invoice approved in Xero meanwhile
/// stays approved instead of the update being refused.
#[tokio::test]
async fn an_update_never_moves_an_approved_invoice_back_to_draft() {
    let sim = XeroSimulator::start().await.unwrap();
    let sink = XeroSink::new(connect(&sim).await);
    let o = order("SO-5", OrderKind::Order);
    let out = Sink::<Order>::write(&sink, vec![req(o.clone(), None)]).await.unwrap();
    let id = created(&out, "SO-5");
    sim.invoices().update(&id, &json!({"Status": "AUTHORISED"})).unwrap();
    let mut changed = o;
    changed.lines[0].quantity = "5".parse().unwrap();
    let out = Sink::<Order>::write(&sink, vec![req(changed, Some(&id))]).await.unwrap();
    assert_eq!(out[0].outcome, Outcome::Updated { target_id: id.clone() });
    let inv = sim.invoices().get(&id).unwrap().value;
    assert_eq!(inv["Status"], "AUTHORISED");
    assert_eq!(inv["LineItems"][0]["Quantity"].to_string(), "5");
    assert_conforms(&sim);
}

/// Finding 6: `LineAmount` is left for Xero to compute from quantity, unit amount and
/// discount; a line total that differs by a cent (an order-level discount spread over the
/// lines, a rounding) would refuse the whole invoice.
#[tokio::test]
async fn line_amounts_are_left_for_xero_to_compute() {
    let sim = XeroSimulator::start().await.unwrap();
    let sink = XeroSink::new(connect(&sim).await);
    let mut o = order("SO-6", OrderKind::Order);
    o.lines[0].discount_percent = Some("10".parse().unwrap());
    o.lines[0].net_amount = Some(nzd("35.97"));
    let out = Sink::<Order>::write(&sink, vec![req(o, None)]).await.unwrap();
    let id = created(&out, "SO-6");
    let line = &sim.invoices().get(&id).unwrap().value["LineItems"][0];
    assert_eq!(line["LineAmount"].to_string(), "35.98", "2 × 19.9875 less 10 %");
    let post = sim
        .journal()
        .entries()
        .into_iter()
        .find(|e| e.method == Method::POST && e.path.ends_with("/Invoices"))
        .unwrap();
    let body: Value = serde_json::from_slice(&post.body).unwrap();
    assert!(body["Invoices"][0]["LineItems"][0].get("LineAmount").is_none());
    assert_conforms(&sim);
}

/// The simulator refuses a line total that does not add up, as Xero does.
#[tokio::test]
async fn a_line_total_that_does_not_add_up_is_refused() {
    let sim = XeroSimulator::start().await.unwrap();
    let client = connect(&sim).await;
    let body = json!({"Invoices": [{
        "Type": "ACCREC", "Contact": {"ContactID": "5b96e86b-418e-48e8-8949-308c14aec278"},
        "Date": "2026-11-02", "LineAmountTypes": "Exclusive",
        "LineItems": [{"ItemCode": "UMB-1", "Quantity": 2, "UnitAmount": 19.9875,
                       "DiscountRate": 10, "LineAmount": 35.97}]
    }]});
    let answer: Value = client
        .http()
        .await
        .unwrap()
        .post("Invoices")
        .query("summarizeErrors", "false")
        .json(&body)
        .idempotent(false)
        .send_json()
        .await
        .unwrap();
    let el = &answer["Invoices"][0];
    assert_eq!(el["HasErrors"], true);
    assert_eq!(
        el["ValidationErrors"][0]["Message"],
        "The line total 35.97 does not match the expected line total 35.98"
    );
}

/// Finding 9: a `page_size` over Xero's 1,000 is sent as 1,000, so a page of 1,000 is not
/// taken for the last one.
#[tokio::test]
async fn a_page_size_over_a_thousand_reads_every_page() {
    let sim = XeroSimulator::builder().generated_invoices(2_500).start().await.unwrap();
    let mut config = sim.config();
    config.page_size = 5_000;
    let source = XeroSource::new(connector_xero::XeroClient::connect(config, None).await.unwrap());
    let invoices = read::<connector_core::model::Invoice>(&source, ReadMode::Full).await;
    assert_eq!(invoices.upserts.len(), 2_500);
    let sizes: Vec<String> = sim
        .journal()
        .entries()
        .iter()
        .filter(|e| e.path.ends_with("/Invoices"))
        .filter_map(|e| e.query("pageSize").map(str::to_owned))
        .collect();
    assert!(sizes.iter().all(|s| s == "1000"), "{sizes:?}");
}

/// Finding 11 (safe reading): stock moves through transactions, which may not touch an
/// item's `UpdatedDateUTC`; stock levels are read in full in every mode.
#[tokio::test]
async fn stock_levels_are_read_in_full_whatever_the_mode() {
    let sim = XeroSimulator::start().await.unwrap();
    let source = XeroSource::new(connect(&sim).await);
    assert_eq!(Source::<StockLevel>::capabilities(&source).changes, ChangeDetection::None);
    let all = read::<StockLevel>(&source, ReadMode::Full).await;
    let since = Some(connector_core::source::Cursor::new("2100-01-01T00:00:00Z"));
    let changes = read::<StockLevel>(&source, ReadMode::Changes { since }).await;
    assert_eq!(changes.upserts.len(), all.upserts.len());
    assert!(sim.journal().entries().iter().all(|e| e.header("if-modified-since").is_none()));
}

/// Finding 12: `unitdp` goes to Invoices and Items only.
#[tokio::test]
async fn unitdp_goes_only_where_xero_takes_it() {
    let sim = XeroSimulator::start().await.unwrap();
    let source = XeroSource::new(connect(&sim).await);
    read::<Order>(&source, ReadMode::Full).await;
    read::<connector_core::model::Customer>(&source, ReadMode::Full).await;
    read::<connector_core::model::Invoice>(&source, ReadMode::Full).await;
    for e in sim.journal().entries() {
        let takes = e.path.ends_with("/Invoices") || e.path.ends_with("/Items");
        assert!(takes || e.query("unitdp").is_none(), "{} {}", e.method, e.path);
    }
    assert_conforms(&sim);
}
