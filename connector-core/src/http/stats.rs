//! What the HTTP traffic cost: calls sent, retries, `429`s, bytes received and time spent
//! waiting (for the rate budget or before a retry), per connector.
//!
//! Every [`HttpClient`](super::HttpClient) counts into its connector's process-wide totals
//! ([`totals`]) and into the run it serves, when one is measured: [`measure`] runs a future
//! (a flow run) with its own counters, which every request sent from within it adds to, and
//! answers them by connector. The flow engine measures each run this way, so a run report
//! says what that run cost even when several runs share a process.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The traffic of one connector.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallStats {
    /// Requests sent (every attempt, retries included).
    pub calls: u64,
    /// Attempts that were retries of an earlier one.
    pub retries: u64,
    /// Answers with status `429`.
    pub rate_limited: u64,
    /// Response body bytes received.
    pub bytes: u64,
    /// Time spent waiting for the rate budget or before a retry, in milliseconds.
    pub waited_ms: u64,
}

impl CallStats {
    /// Adds `other` to `self`.
    pub fn add(&mut self, other: &CallStats) {
        self.calls += other.calls;
        self.retries += other.retries;
        self.rate_limited += other.rate_limited;
        self.bytes += other.bytes;
        self.waited_ms += other.waited_ms;
    }

    /// The time waited.
    pub fn waited(&self) -> Duration {
        Duration::from_millis(self.waited_ms)
    }
}

/// Traffic by connector name.
pub type CallsByConnector = BTreeMap<String, CallStats>;

type Counters = Arc<Mutex<CallsByConnector>>;

tokio::task_local! {
    static RUN: Counters;
}

fn global() -> &'static Mutex<CallsByConnector> {
    static TOTALS: OnceLock<Mutex<CallsByConnector>> = OnceLock::new();
    TOTALS.get_or_init(|| Mutex::new(BTreeMap::new()))
}

fn bump(map: &Mutex<CallsByConnector>, connector: &str, change: &impl Fn(&mut CallStats)) {
    let mut m = map.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    match m.get_mut(connector) {
        Some(s) => change(s),
        None => {
            let mut s = CallStats::default();
            change(&mut s);
            m.insert(connector.to_owned(), s);
        }
    }
}

/// Counts traffic of `connector`: into the process totals and the measured run, if any.
pub(crate) fn record(connector: &str, change: impl Fn(&mut CallStats)) {
    bump(global(), connector, &change);
    let _ = RUN.try_with(|run| bump(run, connector, &change));
}

/// The process's traffic so far, by connector.
pub fn totals() -> CallsByConnector {
    global().lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
}

/// The traffic of the run being measured so far ([`measure`]), if there is one.
pub fn current() -> Option<CallsByConnector> {
    RUN.try_with(|run| run.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()).ok()
}

/// Runs `fut` with counters of its own: the traffic of every request sent from within it
/// (not from tasks it spawns), by connector, with its output.
pub async fn measure<F: Future>(fut: F) -> (F::Output, CallsByConnector) {
    let counters: Counters = Arc::new(Mutex::new(BTreeMap::new()));
    let out = RUN.scope(counters.clone(), fut).await;
    let calls = counters.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
    (out, calls)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_measured_future_counts_its_own_calls_and_the_totals_all() {
        let before = totals().get("stats-test").copied().unwrap_or_default();
        record("stats-test", |s| s.calls += 1);
        let ((), run) = measure(async {
            record("stats-test", |s| {
                s.calls += 1;
                s.bytes += 10;
            });
            record("stats-other", |s| s.rate_limited += 1);
            assert_eq!(current().unwrap()["stats-other"].rate_limited, 1);
        })
        .await;
        assert!(current().is_none(), "outside a measured future");
        assert_eq!(run["stats-test"], CallStats { calls: 1, bytes: 10, ..CallStats::default() });
        assert_eq!(run["stats-other"].rate_limited, 1);
        let after = totals()["stats-test"];
        assert_eq!(after.calls - before.calls, 2);
        let mut sum = CallStats::default();
        sum.add(&run["stats-test"]);
        sum.add(&run["stats-test"]);
        assert_eq!(sum.bytes, 20);
    }
}
