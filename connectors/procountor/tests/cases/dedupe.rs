//! No idempotency key exists: `originalInvoiceNumber` is looked up before every create.

use connector_core::sink::{LookupKey, Outcome, Sink};
use connector_procountor::InvoiceSettings;
use connector_testkit::simulator::{Fault, FaultRule, Method};

use crate::support::*;

#[tokio::test(flavor = "multi_thread")]
async fn writing_the_same_order_twice_creates_one_invoice() {
    let sim = sim().await;
    let sink = sink(&sim, InvoiceSettings::default());
    let id = created(&write(&sink, order("D-1")).await);
    let again = write(&sink, order("D-1")).await;
    assert_eq!(again, Outcome::Unchanged { target_id: id.clone() });
    assert_eq!(sim.invoices().len(), 1);
    let found = sink.find(&LookupKey::new("number", "D-1")).await.unwrap().unwrap();
    assert_eq!(found.target_id, id);
    assert!(sink.find(&LookupKey::new("number", "D-404")).await.unwrap().is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_connection_lost_after_the_post_is_resolved_by_the_lookup() {
    let sim = sim().await;
    sim.faults().add(
        FaultRule::new(Fault::DropConnection)
            .next(1)
            .on_path("/api/invoices")
            .on_method(Method::POST)
            .after_handler(),
    );
    let sink = sink(&sim, InvoiceSettings::default());
    let out = write(&sink, order("D-2")).await;
    let id = created(&out);
    assert_eq!(sim.invoices().len(), 1);
    assert_eq!(sim.invoices()[0]["id"].to_string(), id);
    assert_eq!(sim.journal().count_call("POST", "/api/invoices"), 1, "the POST was not resent");
}
