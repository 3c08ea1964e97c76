//! [`SimClock`]: the simulator's wall clock.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use tokio::time::Instant;

use super::lock;

/// A wall clock for simulated records (`updated_at`, `Modified`, `If-Modified-Since`).
///
/// It reads `base + (tokio now − creation) + manual advances`, so it moves with tokio's clock
/// (real or paused and advanced) and can also be pushed forward by hand with
/// [`SimClock::advance`]. It never runs backwards. Clones share the same time.
#[derive(Clone)]
pub struct SimClock {
    inner: Arc<Mutex<ClockState>>,
}

struct ClockState {
    base: DateTime<Utc>,
    origin: Instant,
    offset: Duration,
}

impl SimClock {
    /// A clock that reads `base` now.
    pub fn new(base: DateTime<Utc>) -> Self {
        SimClock {
            inner: Arc::new(Mutex::new(ClockState {
                base,
                origin: Instant::now(),
                offset: Duration::ZERO,
            })),
        }
    }

    /// A clock that reads the same wall time as the HTTP layer's
    /// [`now_utc`](connector_core::http::now_utc), so times the simulator sends (a rate limit's reset
    /// as epoch milliseconds, a token's expiry) agree with the client's clock, paused or not.
    pub fn from_system_time() -> Self {
        Self::new(connector_core::http::now_utc())
    }

    /// The current simulated time.
    pub fn now(&self) -> DateTime<Utc> {
        let state = lock(&self.inner);
        let elapsed = Instant::now().saturating_duration_since(state.origin) + state.offset;
        let delta = TimeDelta::from_std(elapsed).unwrap_or(TimeDelta::MAX);
        state.base.checked_add_signed(delta).unwrap_or(DateTime::<Utc>::MAX_UTC)
    }

    /// Moves the clock forward by `by` (tokio's clock is not touched).
    pub fn advance(&self, by: Duration) {
        let mut state = lock(&self.inner);
        state.offset = state.offset.saturating_add(by);
    }
}

impl Default for SimClock {
    /// A clock that starts at 2025-01-01T00:00:00Z, so fixtures and assertions are stable.
    fn default() -> Self {
        Self::new(Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).single().unwrap_or_default())
    }
}

impl fmt::Debug for SimClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SimClock").field(&self.now()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn agrees_with_the_http_clock() {
        let clock = SimClock::from_system_time();
        tokio::time::advance(Duration::from_secs(90)).await;
        assert_eq!(clock.now(), connector_core::http::now_utc());
    }

    #[tokio::test(start_paused = true)]
    async fn follows_tokio_time_and_manual_advances() {
        let clock = SimClock::default();
        let start = clock.now();
        tokio::time::advance(Duration::from_secs(10)).await;
        clock.advance(Duration::from_secs(5));
        assert_eq!(clock.now() - start, TimeDelta::seconds(15));
        assert_eq!(start.to_rfc3339(), "2025-01-01T00:00:00+00:00");
    }
}
