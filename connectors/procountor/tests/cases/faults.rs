//! Faults: rate limiting on reads, a failed POST, a concurrent edit during an update.

use std::time::Duration;

use connector_core::sink::{Outcome, Sink};
use connector_core::source::{ReadMode, Source};
use connector_procountor::{CustomerSource, FollowUp, InvoiceSettings};
use connector_testkit::simulator::{Fault, FaultRule, Method, SimResponse};
use futures_util::StreamExt;
use serde_json::json;

use crate::support::*;

#[tokio::test(flavor = "multi_thread")]
async fn a_429_storm_on_reads_is_ridden_out() {
    let sim = sim().await;
    sim.faults().add(
        FaultRule::new(Fault::too_many_requests(Duration::from_millis(10)))
            .next(2)
            .on_path("/api/businesspartners"),
    );
    let source = CustomerSource::new(client(&sim));
    let changes: Vec<_> = source.read(ReadMode::Full).collect().await;
    let customers =
        changes.iter().filter(|c| matches!(c, Ok(connector_core::Change::Upsert(_)))).count();
    assert_eq!(customers, 2, "{changes:?}");
    assert_eq!(sim.journal().count_status(429), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_post_fails_its_record_and_the_next_write_creates_it_once() {
    let sim = sim().await;
    sim.faults().add(
        FaultRule::new(Fault::status(500)).next(1).on_path("/api/invoices").on_method(Method::POST),
    );
    let sink = sink(&sim, InvoiceSettings::default());
    let first =
        sink.write(vec![request(order("F-1"), None), request(order("F-2"), None)]).await.unwrap();
    let e = failed(first[0].outcome.clone());
    assert_eq!(e.status(), Some(500));
    assert_eq!(e.record(), Some("F-1"));
    created(&first[1].outcome);
    let again = write(&sink, order("F-1")).await;
    created(&again);
    assert_eq!(sim.invoices().len(), 2);
    assert_eq!(sim.journal().count_call("POST", "/api/invoices"), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_concurrent_edit_during_an_update_is_read_again_and_retried() {
    let sim = sim().await;
    let sink = sink(&sim, InvoiceSettings::default());
    let id = created(&write(&sink, order("F-3")).await);
    let path = format!("/api/invoices/{id}");
    sim.faults().add(
        FaultRule::new(Fault::Respond(SimResponse::json(
            409,
            json!({ "errors": [ { "status": 409, "field": "version", "message": "CONCURRENT_MODIFICATION" } ] }),
        )))
        .next(1)
        .on_path(&path)
        .on_method(Method::PUT),
    );
    let mut changed = order("F-3");
    changed.lines[0].quantity = dec("5");
    let out = sink.write(vec![request(changed, Some(&id))]).await.unwrap();
    assert_eq!(out[0].outcome, Outcome::Updated { target_id: id.clone() });
    assert_eq!(sim.journal().count_call("PUT", &path), 2);
    assert_eq!(sim.invoices()[0]["invoiceRows"][0]["quantity"].to_string(), "5");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_follow_up_is_resumed_by_the_next_write_without_a_second_invoice() {
    let sim = sim().await;
    // The first invoice gets id 1006 (the demo register holds 1001–1005). A 400 is not
    // retried by the client.
    sim.faults().add(FaultRule::new(Fault::status(400)).next(1).on_path("/api/invoices/1006/send"));
    let settings = InvoiceSettings {
        follow_up: vec![FollowUp::Approve, FollowUp::Send],
        ..Default::default()
    };
    let sink = sink(&sim, settings);
    let e = failed(write(&sink, order("F-4")).await);
    assert_eq!(e.status(), Some(400));
    assert!(e.to_string().contains("send failed"), "{e}");
    assert_eq!(sim.invoices()[0]["status"], "NOT_SENT", "approved, not sent");
    let again = write(&sink, order("F-4")).await;
    assert!(matches!(again, Outcome::Updated { .. }), "{again:?}");
    assert_eq!(sim.invoices().len(), 1);
    assert_eq!(sim.invoices()[0]["status"], "SENT");
}
