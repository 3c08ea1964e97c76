//! Faults: pacing under the limits, 5xx, malformed pages, hangs, a minutely 429 waited out
//! and sent again, a 400 sent once, a spent day that ends the run, and a rerun from the last
//! checkpoint.

use std::time::Duration;

use connector_core::ErrorKind;
use connector_core::model::Customer;
use connector_core::source::ReadMode;
use connector_exact_online::ExactSource;
use connector_exact_online::simulator::{DIVISION, ExactSimulator, SpentWindow, rate_limited};
use connector_testkit::simulator::{Fault, FaultRule};

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
    // Pages of 1,000 items, the VAT codes, and the items' default prices in pages of 1,000.
    assert_eq!(calls, 6 + 1 + 6);
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

/// Exact's 429 once the minute is spent (minutely headers only, the reset in epoch ms) is
/// not an error that counts towards the key's block: the client waits for the reset and
/// sends the same call again, once; the read completes.
#[tokio::test(start_paused = true)]
async fn a_minutely_429_is_waited_out_until_its_reset_and_sent_again() {
    let _io = hold();
    let sim = ExactSimulator::builder().empty().start().await.unwrap();
    sim.seed_accounts(2_500);
    let source = ExactSource::new(connect(&sim).await);
    let pages_path = format!("/api/v1/{DIVISION}/sync/CRM/Accounts");
    let reset_in = Duration::from_secs(30);
    let spent = sim.faults().add(
        FaultRule::new(Fault::Respond(rate_limited(SpentWindow::Minute, 60, reset_in)))
            .on_path(&pages_path)
            .next(1),
    );
    let start = tokio::time::Instant::now();
    let r = read::<Customer>(&source, ReadMode::Full).await;
    let elapsed = start.elapsed();
    assert!(r.error.is_none(), "{:?}", r.error);
    assert_eq!(r.by_key().len(), 2_500, "nothing lost, nothing doubled");
    assert_eq!(sim.faults().fired(spent), 1);
    assert_eq!(sim.journal().count_status(429), 1);
    // The refused call went again, once, and not before the reset.
    let resent = sim.journal().retried_client_errors();
    assert_eq!(resent.len(), 1, "{resent:?}");
    assert_eq!(resent[0].status, Some(200));
    assert!(elapsed >= reset_in - Duration::from_millis(5), "{elapsed:?}");
    assert!(elapsed < reset_in + Duration::from_secs(5), "{elapsed:?}");
    assert!(sim.journal().retried_client_errors_except(&[429]).is_empty());
    assert_eq!(sim.journal().count_call("GET", &pages_path), 4, "3 pages and one resend");
}

/// A 400 counts towards the ten errors an hour that block the key: sent once, never again,
/// even with the 429 exemption in the retry policy.
#[tokio::test(start_paused = true)]
async fn a_400_on_a_read_is_sent_once() {
    use connector_testkit::simulator::SimResponse;
    let _io = hold();
    let sim = ExactSimulator::builder().empty().start().await.unwrap();
    sim.seed_accounts(10);
    let source = ExactSource::new(connect(&sim).await);
    let pages_path = format!("/api/v1/{DIVISION}/sync/CRM/Accounts");
    sim.faults().add(
        FaultRule::new(Fault::Respond(SimResponse::raw_json(
            400,
            r#"{"error":{"code":"","message":{"lang":"","value":"Invalid filter"}}}"#,
        )))
        .on_path(&pages_path),
    );
    let r = read::<Customer>(&source, ReadMode::Full).await;
    let e = r.error.expect("the 400 ends the read");
    assert_eq!(e.status(), Some(400));
    assert!(e.to_string().contains("Invalid filter"), "{e}");
    assert_eq!(sim.journal().count_call("GET", &pages_path), 1, "sent once");
    assert!(sim.journal().retried_client_errors().is_empty());
}

/// A spent day is final for the run: the 429 is `BudgetExhausted`, not resent, and a rerun
/// (the next day) from the last checkpoint completes without doubling.
#[tokio::test(start_paused = true)]
async fn a_spent_day_ends_the_run_at_once_and_a_rerun_from_the_checkpoint_completes() {
    let _io = hold();
    let sim = ExactSimulator::builder().empty().start().await.unwrap();
    sim.seed_accounts(2_500);
    let source = ExactSource::new(connect(&sim).await);
    let full = read::<Customer>(&source, ReadMode::Full).await;
    assert!(full.error.is_none());
    let pages_path = format!("/api/v1/{DIVISION}/sync/CRM/Accounts");
    sim.journal().clear();
    // The second page finds the day spent (resetting in 20 s, within the retry policy's
    // longest wait: still not waited for).
    sim.faults().add(
        FaultRule::new(Fault::Respond(rate_limited(
            SpentWindow::Day,
            5_000,
            Duration::from_secs(20),
        )))
        .on_path(&pages_path)
        .every(2),
    );
    let start = tokio::time::Instant::now();
    let r = read::<Customer>(&source, ReadMode::Changes { since: None }).await;
    let e = r.error.expect("the spent day ends the run");
    assert_eq!(e.kind(), ErrorKind::BudgetExhausted, "{e}");
    assert!(start.elapsed() < Duration::from_secs(5), "no wait: {:?}", start.elapsed());
    assert_eq!(sim.journal().count_status(429), 1);
    assert!(sim.journal().retried_client_errors().is_empty(), "the 429 was not resent");
    assert_eq!(r.upserts.len(), 1_000, "the first page arrived");
    sim.faults().clear();
    // Until the reset the budget refuses at once, without a call.
    let early = read::<Customer>(&source, ReadMode::Changes { since: r.last_cursor.clone() }).await;
    assert_eq!(early.error.map(|e| e.kind()), Some(ErrorKind::BudgetExhausted));
    assert_eq!(sim.journal().count_call("GET", &pages_path), 2, "no call while the day is spent");
    // After the reset, rerun from the last checkpoint: the rest, nothing twice.
    tokio::time::sleep(Duration::from_secs(21)).await;
    let rest = read::<Customer>(&source, ReadMode::Changes { since: r.last_cursor.clone() }).await;
    assert!(rest.error.is_none(), "{:?}", rest.error);
    let mut keys: Vec<String> =
        r.upserts.iter().chain(&rest.upserts).map(|c| c.number.clone().unwrap()).collect();
    keys.sort();
    let n = keys.len();
    keys.dedup();
    assert_eq!((n, keys.len()), (2_500, 2_500));
}
