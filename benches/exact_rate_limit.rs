//! A rate-limited full sync of `COUNT` Exact Online items (default 100,000) through the real
//! connector (`ExactSource`, the flow engine, a no-op sink) against the Exact simulator
//! under its 60-calls-a-minute division limit, on tokio's paused clock: every wait (the rate
//! budget's, the simulator's windows) passes in virtual time, so the simulated elapsed time
//! is exactly what the rate limit costs.
//!
//! It asserts that no call was answered 429 and that the simulated time is within 5% of the
//! minimum the limit allows, and prints both minima:
//!
//! - the *window minimum*: with at most 60 calls in any minute, call `C` cannot start
//!   before `floor((C - 1) / 60)` minutes after the first (bursts of 60 are allowed);
//! - the *average-rate minimum*: calls ÷ 60 per minute (what a client pacing itself evenly
//!   at one call a second would need).
//!
//! ```text
//! cargo bench --bench exact_rate_limit --features exact-online
//! COUNT=100000 <the built bench binary>
//! ```
//!
//! Measured 2026-12-06 on the shared 2-core build machine (release profile, other builds
//! running), `COUNT=100000`: 100 division calls (`sync/Logistics/Items` pages of 1,000),
//! **simulated 60.0 s against a window minimum of 60 s (+0.0%)**, the average-rate minimum
//! being 100 s (-40%: the budget spends each minute's 60 calls as a burst, then waits for the
//! window); **0 answers 429**. Wall clock 48.0 s for the run plus 1.0 s seeding the
//! simulator (max RSS 654 MB, mostly the simulator's 100,000 items and the ledger), too slow
//! for the test suite, hence a bench. `COUNT=10000` (10 calls, no wait) takes 0.5 s.

use std::sync::Arc;
use std::time::Duration;

use connector_sdk::exact_online::simulator::{DIVISION, ExactSimulator};
use connector_sdk::exact_online::{ExactClient, ExactSource};
use connector_sdk::flow::{ActivityLevel, Flow, RunMode};
use connector_sdk::http::MemoryTokenStore;
use connector_sdk::memory::NullSink;
use connector_sdk::model::Product;
use connector_sdk::sink::Sink;
use connector_sdk::state::MemoryStore;

fn main() {
    let n: usize = std::env::var("COUNT")
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(100_000);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .expect("runtime");
    rt.block_on(async move {
        // A request on the wire keeps the paused clock still (up to 30 s of real time).
        let _io = connector_core::test_util::hold_paused_clock_during_io(Duration::from_secs(30));
        let wall = std::time::Instant::now();
        let eo = ExactSimulator::builder().empty().start().await.expect("simulator");
        eo.seed_items(n);
        let seeded = wall.elapsed();
        let client = ExactClient::connect(eo.config(), Some(Arc::new(MemoryTokenStore::new(None))))
            .await
            .expect("connect");
        let sink = Arc::new(NullSink::new());
        let flow = Flow::builder(
            "exact-items-rate-limited",
            Arc::new(ExactSource::new(client)),
            sink.clone() as Arc<dyn Sink<Product>>,
            Arc::new(MemoryStore::new()),
        )
        .configure(|o| o.activity = ActivityLevel::Off)
        .build();
        eo.journal().clear();
        let started = tokio::time::Instant::now();
        let run_wall = std::time::Instant::now();
        let report = flow.run(RunMode::Full).await;
        let simulated = started.elapsed();
        let run_wall = run_wall.elapsed();
        assert!(report.is_ok(), "{report:?}");
        assert_eq!(report.counts.created as usize, n, "{report:?}");

        let prefix = format!("/api/v1/{DIVISION}/");
        let calls = eo.journal().count(|e| e.path.starts_with(&prefix));
        let too_many = eo.journal().count_status(429);
        let window_min = Duration::from_secs(60 * ((calls as u64).saturating_sub(1) / 60));
        let average_min = Duration::from_secs_f64(calls as f64);
        println!(
            "{n} items in {calls} division calls: simulated {:.1} s; window minimum {:.0} s \
             ({:+.1}%), average-rate minimum {:.0} s ({:+.1}%); 429 answers: {too_many}; \
             wall clock {:.1} s (+ {:.1} s seeding the simulator)",
            simulated.as_secs_f64(),
            window_min.as_secs_f64(),
            pct(simulated, window_min),
            average_min.as_secs_f64(),
            pct(simulated, average_min),
            run_wall.as_secs_f64(),
            seeded.as_secs_f64(),
        );
        assert_eq!(too_many, 0, "no call may be answered 429");
        assert!(
            simulated.as_secs_f64() <= window_min.as_secs_f64().max(1.0) * 1.05,
            "more than 5% over the minimum the limit allows"
        );
    });
}

/// How far `actual` is above `minimum`, in percent.
fn pct(actual: Duration, minimum: Duration) -> f64 {
    if minimum.is_zero() {
        return 0.0;
    }
    (actual.as_secs_f64() / minimum.as_secs_f64() - 1.0) * 100.0
}
