//! Faults: pacing under the limits, 5xx, malformed pages, hangs, a 429 that must not be
//! resent, and a rerun from the last checkpoint.

use std::time::Duration;

use connector_core::ErrorKind;
use connector_core::model::Customer;
use connector_core::simulator::{Fault, FaultRule};
use connector_core::source::ReadMode;
use connector_exact_online::ExactSource;
use connector_exact_online::simulator::{DIVISION, ExactSimulator};

use crate::support::{connect, hold, read};

#[tokio::test(start_paused = true)]
async fn the_client_paces_itself_under_60_a_minute_without_429s() {
    let _io = hold();
    let sim = ExactSimulator::start().await.unwrap();
    let client = connect(&sim).await;
    let start = tokio::time::Instant::now();
    for _ in 0..130 {
        client.check().await.unwrap();
    }
    assert_eq!(sim.journal().count_status(429), 0);
    let calls = sim.journal().count(|e| e.path.starts_with(&format!("/api/v1/{DIVISION}/")));
    assert_eq!(calls, 130);
    // 130 calls at 60 a minute need two full windows.
    assert!(start.elapsed() >= Duration::from_secs(120), "{:?}", start.elapsed());
    assert!(start.elapsed() < Duration::from_secs(185), "{:?}", start.elapsed());
}

/// The full-sync pacing of `benches/exact_rate_limit.rs` (100,000 items at 60 a minute) at
/// test speed: 6,000 items under 2 calls a minute, a limit the client learns from the
/// simulator's `X-RateLimit-Minutely-*` headers (its budget assumes Exact's 60).
#[tokio::test(start_paused = true)]
async fn a_full_item_sync_takes_the_window_minimum_of_the_minute_limit_without_429s() {
    use connector_core::model::Product;
    let _io = hold();
    let sim = ExactSimulator::builder().empty().limits(2, 5_000).start().await.unwrap();
    sim.seed_items(6_000);
    let source = ExactSource::new(connect(&sim).await);
    sim.journal().clear();
    let start = tokio::time::Instant::now();
    let r = read::<Product>(&source, ReadMode::Full).await;
    let elapsed = start.elapsed();
    assert!(r.error.is_none(), "{:?}", r.error);
    assert_eq!(r.upserts.len(), 6_000);
    assert_eq!(sim.journal().count_status(429), 0, "no call answered 429");
    let calls = sim.journal().count(|e| e.path.starts_with(&format!("/api/v1/{DIVISION}/")));
    assert_eq!(calls, 6, "pages of 1,000");
    // At most 2 calls in a minute: call 6 cannot start before 2 minutes have passed.
    let minimum = Duration::from_secs(60 * ((calls as u64 - 1) / 2));
    assert!(elapsed >= minimum, "{elapsed:?} < {minimum:?}");
    assert!(
        elapsed.as_secs_f64() <= minimum.as_secs_f64() * 1.05,
        "{elapsed:?} is more than 5% over the minimum {minimum:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn server_errors_and_malformed_pages_lose_and_double_nothing() {
    let _io = hold();
    let sim = ExactSimulator::builder().empty().start().await.unwrap();
    sim.seed_accounts(4_500);
    let source = ExactSource::new(connect(&sim).await);
    sim.faults().fail_every(3, 503);
    sim.faults().malform_every(4);
    let r = read::<Customer>(&source, ReadMode::Full).await;
    assert!(r.error.is_none(), "{:?}", r.error);
    assert_eq!(r.by_key().len(), 4_500, "no record lost or doubled");
    assert!(sim.journal().count_status(503) > 0);
}

#[tokio::test(start_paused = true)]
async fn a_hanging_upstream_times_out_then_recovers() {
    let _io = hold();
    let sim = ExactSimulator::builder().empty().start().await.unwrap();
    sim.seed_accounts(50);
    let source = ExactSource::new(connect(&sim).await);
    let hang =
        sim.faults().add(FaultRule::new(Fault::Hang(Some(Duration::from_secs(300)))).next(1));
    let r = read::<Customer>(&source, ReadMode::Full).await;
    assert!(r.error.is_none(), "{:?}", r.error);
    assert_eq!(r.by_key().len(), 50);
    assert_eq!(sim.faults().fired(hang), 1);
}

#[tokio::test(start_paused = true)]
async fn a_429_is_not_resent_and_a_rerun_from_the_checkpoint_completes() {
    let _io = hold();
    let sim = ExactSimulator::builder().empty().start().await.unwrap();
    sim.seed_accounts(2_500);
    let source = ExactSource::new(connect(&sim).await);
    // The second page is refused with 429.
    let full = read::<Customer>(&source, ReadMode::Full).await;
    assert!(full.error.is_none());
    let pages_path = format!("/api/v1/{DIVISION}/sync/CRM/Accounts");
    sim.journal().clear();
    sim.faults().add(
        FaultRule::new(Fault::too_many_requests(Duration::from_secs(5)))
            .on_path(&pages_path)
            .every(2),
    );
    let r = read::<Customer>(&source, ReadMode::Changes { since: None }).await;
    let e = r.error.expect("the 429 ends the run");
    assert_eq!(e.kind(), ErrorKind::RateLimited);
    assert_eq!(sim.journal().count_status(429), 1);
    assert!(sim.journal().retried_client_errors().is_empty(), "the 429 was not resent");
    assert_eq!(r.upserts.len(), 1_000, "the first page arrived");
    sim.faults().clear();
    // Rerun from the last checkpoint: the rest, nothing twice.
    let rest = read::<Customer>(&source, ReadMode::Changes { since: r.last_cursor.clone() }).await;
    assert!(rest.error.is_none(), "{:?}", rest.error);
    let mut keys: Vec<String> =
        r.upserts.iter().chain(&rest.upserts).map(|c| c.number.clone().unwrap()).collect();
    keys.sort();
    let n = keys.len();
    keys.dedup();
    assert_eq!((n, keys.len()), (2_500, 2_500));
}
