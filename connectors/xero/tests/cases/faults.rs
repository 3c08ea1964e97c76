//! Faults: 429 storms, 5xx, malformed pages, rate limits.

use std::time::Duration;

use connector_core::model::Customer;
use connector_core::source::ReadMode;
use connector_xero::simulator::XeroSimulator;
use connector_xero::{XeroClient, XeroSource};

use crate::support::{hold, read, seed_contacts};

async fn source(sim: &XeroSimulator, page_size: u32) -> XeroSource {
    let mut config = sim.config();
    config.page_size = page_size;
    XeroSource::new(XeroClient::connect(config, None).await.unwrap())
}

#[tokio::test(start_paused = true)]
async fn a_429_storm_with_retry_after_is_waited_out() {
    let _io = hold();
    let sim = XeroSimulator::builder().empty().start().await.unwrap();
    seed_contacts(&sim, 50);
    let source = source(&sim, 10).await;
    sim.faults().storm_429(3, Duration::from_secs(2));
    let r = read::<Customer>(&source, ReadMode::Full).await;
    assert!(r.error.is_none(), "{:?}", r.error);
    assert_eq!(r.by_key().len(), 50);
    assert_eq!(sim.journal().count_status(429), 3);
}

#[tokio::test(start_paused = true)]
async fn every_7th_call_failing_and_every_11th_page_malformed_lose_nothing() {
    let _io = hold();
    let sim = XeroSimulator::builder().empty().start().await.unwrap();
    seed_contacts(&sim, 120);
    let source = source(&sim, 5).await;
    sim.faults().fail_every(7, 500);
    sim.faults().malform_every(11);
    let r = read::<Customer>(&source, ReadMode::Full).await;
    assert!(r.error.is_none(), "{:?}", r.error);
    assert_eq!(r.by_key().len(), 120, "no record lost or doubled");
    assert!(sim.journal().count_status(500) > 0);
}

#[tokio::test(start_paused = true)]
async fn the_client_paces_itself_under_the_per_minute_limit_without_429s() {
    let _io = hold();
    let sim = XeroSimulator::builder().empty().start().await.unwrap();
    seed_contacts(&sim, 700);
    let source = source(&sim, 10).await;
    let start = tokio::time::Instant::now();
    let r = read::<Customer>(&source, ReadMode::Full).await;
    assert!(r.error.is_none(), "{:?}", r.error);
    assert_eq!(r.by_key().len(), 700);
    assert_eq!(sim.journal().count_status(429), 0);
    // More calls than one minute allows: the budget spreads them over two windows.
    let calls = sim.journal().count(|e| e.path.starts_with("/api.xro"));
    assert!(calls > 60, "{calls}");
    assert!(start.elapsed() >= Duration::from_secs(60), "{:?}", start.elapsed());
    assert!(start.elapsed() < Duration::from_secs(125), "{:?}", start.elapsed());
}

#[tokio::test(start_paused = true)]
async fn a_hanging_upstream_times_out_then_recovers() {
    let _io = hold();
    let sim = XeroSimulator::builder().empty().start().await.unwrap();
    seed_contacts(&sim, 20);
    let source = source(&sim, 10).await;
    let hang = sim.faults().add(
        connector_testkit::simulator::FaultRule::new(connector_testkit::simulator::Fault::Hang(
            Some(Duration::from_secs(300)),
        ))
        .next(1),
    );
    let start = tokio::time::Instant::now();
    let r = read::<Customer>(&source, ReadMode::Full).await;
    assert!(r.error.is_none(), "{:?}", r.error);
    assert_eq!(r.by_key().len(), 20);
    let waited = start.elapsed();
    assert!(waited >= Duration::from_secs(60), "one attempt timed out: {waited:?}");
    assert!(waited < Duration::from_secs(300), "the hang was not waited out: {waited:?}");
    assert_eq!(sim.faults().fired(hang), 1);
    assert_eq!(sim.journal().count_unanswered(), 1, "the hung attempt was abandoned");
}
