//! Wall-clock time that follows tokio's clock.
//!
//! The HTTP layer measures every delay with `tokio::time`, so tests can pause and advance the
//! clock. Wall-clock instants (token expiry, `Retry-After` dates, when a budget refills) must
//! move with it, or a paused test would see tokens that never expire. [`now_utc`] anchors the
//! wall clock once per process and advances it by tokio's monotonic clock.

use std::sync::OnceLock;

use chrono::{DateTime, TimeDelta, Utc};
use tokio::time::Instant;

static ANCHOR: OnceLock<(Instant, DateTime<Utc>)> = OnceLock::new();

/// The current UTC time, advanced by tokio's clock (paused and advanced in tests).
///
/// In production this is the system time at the first call plus the monotonic time since,
/// which stays within clock drift of `Utc::now()`.
pub fn now_utc() -> DateTime<Utc> {
    let (anchor, wall) = *ANCHOR.get_or_init(|| (Instant::now(), Utc::now()));
    let now = Instant::now();
    if now >= anchor { wall + delta(now - anchor) } else { wall - delta(anchor - now) }
}

/// Converts a std duration to a chrono delta, saturating.
pub(crate) fn delta(d: std::time::Duration) -> TimeDelta {
    TimeDelta::from_std(d).unwrap_or(TimeDelta::MAX)
}

/// The time from now (by [`now_utc`]) until `at`, zero if `at` is past.
pub fn until(at: DateTime<Utc>) -> std::time::Duration {
    (at - now_utc()).to_std().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn follows_the_paused_clock() {
        let a = now_utc();
        tokio::time::sleep(Duration::from_secs(3600)).await;
        let b = now_utc();
        assert!(b - a >= TimeDelta::seconds(3600), "{a} {b}");
        assert_eq!(until(b + TimeDelta::seconds(5)), Duration::from_secs(5));
        assert_eq!(until(a), Duration::ZERO);
    }
}
