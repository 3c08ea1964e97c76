//! Engine overhead at scale, for peak-memory measurement:
//! `cargo bench --bench engine_rss -- 1000000` (or run the built binary under
//! `/usr/bin/time -v`). Streams N customers from an in-memory source through the SQLite
//! ledger into a no-op sink, twice (create, then unchanged), and prints records per second
//! and the peak RSS the kernel reports (VmHWM).
//!
//! Measured 2026-12-06 (2-core VM, nothing else running, three runs at 1,000,000): create
//! 116,300 / 97,500 / 74,100 records/s, unchanged 167,000 / 123,000 / 142,900; peak RSS
//! 11.3 MiB at 10,000 and 12.2 to 12.4 MiB at 1,000,000. `engine_rss_mimalloc` (the same on
//! mimalloc): create 150,700 / 182,800 / 172,700, unchanged 209,500 / 221,700 / 204,100;
//! peak RSS 24.7 MiB at 10,000 and 25.3 to 25.5 MiB at 1,000,000.

#[path = "common/proc_stats.rs"]
mod proc_stats;
#[path = "support.rs"]
mod support;

use std::sync::Arc;
use std::time::Instant;

use connector_sdk::flow::RunMode;
use connector_sdk::state::{MemoryStore, SqliteStore, StateStore};

use proc_stats::peak_rss_kib;

/// Runs the measurement (also the body of `engine_rss_mimalloc`).
pub fn main() {
    let n: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(1_000_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    // `STATE=memory` measures the engine without SQLite.
    let state: Arc<dyn StateStore> = if std::env::var("STATE").as_deref() == Ok("memory") {
        Arc::new(MemoryStore::new())
    } else if std::env::var("STATE").as_deref() == Ok("sqlite-memory") {
        Arc::new(SqliteStore::open_in_memory().expect("state"))
    } else {
        Arc::new(SqliteStore::open(dir.path().join("state.sqlite")).expect("state"))
    };
    let flow = support::flow(n, state);
    // `PASSES=create` runs the first pass alone (for a profiler).
    let passes = std::env::var("PASSES").unwrap_or_else(|_| "create,unchanged".into());
    for label in ["create", "unchanged"].into_iter().filter(|p| passes.contains(p)) {
        let t = Instant::now();
        let report = rt.block_on(flow.run(RunMode::Full));
        let secs = t.elapsed().as_secs_f64();
        assert!(report.is_ok(), "{report:?}");
        println!(
            "{label}: {n} records in {secs:.2} s = {:.0} records/s; peak RSS {} KiB",
            n as f64 / secs,
            peak_rss_kib()
        );
    }
}
