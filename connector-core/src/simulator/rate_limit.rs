//! [`RateLimiter`]: a system's rate limits, enforced per key.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;
use tokio::time::Instant;

use super::{SimRequest, SimResponse, lock};

type KeyFn = Arc<dyn Fn(&SimRequest) -> Option<String> + Send + Sync>;
type LimitedFn = Arc<dyn Fn(&RateLimitHit) -> SimResponse + Send + Sync>;
type DecorateFn = Arc<dyn Fn(&RateLimitSnapshot, SimResponse) -> SimResponse + Send + Sync>;

/// One window's state for a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowStatus {
    /// The window's name (`minute`, `day`).
    pub name: String,
    /// Calls allowed per window.
    pub limit: u32,
    /// Calls admitted in the current window.
    pub used: u32,
    /// Calls left in the current window.
    pub remaining: u32,
    /// Time until the current window ends (the whole period if none has started).
    pub reset_after: Duration,
}

/// The limits of one key after a request was admitted or refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimitSnapshot {
    /// The key (a tenant id, a division).
    pub key: String,
    /// Each window, in the order they were configured.
    pub windows: Vec<WindowStatus>,
    /// Requests of this key being handled now.
    pub in_flight: u32,
    /// The concurrency cap, if any.
    pub max_concurrent: Option<u32>,
}

impl RateLimitSnapshot {
    /// The window called `name`.
    pub fn window(&self, name: &str) -> Option<&WindowStatus> {
        self.windows.iter().find(|w| w.name == name)
    }

    /// Calls left in the window called `name`.
    pub fn remaining(&self, name: &str) -> Option<u32> {
        self.window(name).map(|w| w.remaining)
    }
}

/// A refused request: which limit was hit, handed to [`RateLimiterBuilder::on_limited`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimitHit {
    /// The window that was full, or `concurrent` for the concurrency cap (Xero's
    /// `X-Rate-Limit-Problem` values).
    pub window: String,
    /// That window's limit.
    pub limit: u32,
    /// When the caller may try again.
    pub retry_after: Duration,
    /// All the key's limits.
    pub snapshot: RateLimitSnapshot,
}

impl RateLimitHit {
    /// `retry_after` in whole seconds, rounded up (for `Retry-After`).
    pub fn retry_after_secs(&self) -> u64 {
        let d = self.retry_after;
        d.as_secs() + u64::from(d.subsec_nanos() > 0)
    }
}

#[derive(Debug, Clone)]
struct WindowSpec {
    name: String,
    limit: u32,
    period: Duration,
}

/// Configures a [`RateLimiter`].
#[derive(Clone)]
pub struct RateLimiterBuilder {
    key: KeyFn,
    windows: Vec<WindowSpec>,
    max_concurrent: Option<u32>,
    on_limited: LimitedFn,
    decorate: Option<DecorateFn>,
}

impl fmt::Debug for RateLimiterBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimiterBuilder")
            .field("windows", &self.windows)
            .field("max_concurrent", &self.max_concurrent)
            .finish_non_exhaustive()
    }
}

impl RateLimiterBuilder {
    /// Keys requests by `key`; a request whose key is `None` is not limited (the token
    /// endpoint, say). Without this, all requests share one key, `""`.
    #[must_use]
    pub fn key_by(
        mut self,
        key: impl Fn(&SimRequest) -> Option<String> + Send + Sync + 'static,
    ) -> Self {
        self.key = Arc::new(key);
        self
    }

    /// Keys requests by the value of header `name` (`xero-tenant-id`); requests without it
    /// are not limited.
    #[must_use]
    pub fn key_header(self, name: &str) -> Self {
        let name = name.to_owned();
        self.key_by(move |req| req.header(&name).map(str::to_owned))
    }

    /// Allows `limit` calls per `period` in a window called `name`. A window starts with the
    /// first call after the previous one ended.
    #[must_use]
    pub fn window(mut self, name: &str, limit: u32, period: Duration) -> Self {
        self.windows.push(WindowSpec { name: name.to_owned(), limit, period });
        self
    }

    /// Allows `limit` calls per minute, in a window called `minute`.
    #[must_use]
    pub fn per_minute(self, limit: u32) -> Self {
        self.window("minute", limit, Duration::from_secs(60))
    }

    /// Allows `limit` calls per day, in a window called `day`.
    #[must_use]
    pub fn per_day(self, limit: u32) -> Self {
        self.window("day", limit, Duration::from_secs(24 * 60 * 60))
    }

    /// Allows at most `limit` requests of one key in flight at once.
    #[must_use]
    pub fn max_concurrent(mut self, limit: u32) -> Self {
        self.max_concurrent = Some(limit);
        self
    }

    /// Builds the refusal (the system's own 429). The default answers 429 with `Retry-After`
    /// and `{"error":"rate_limited","window":…,"retry_after_seconds":…}`.
    #[must_use]
    pub fn on_limited(
        mut self,
        answer: impl Fn(&RateLimitHit) -> SimResponse + Send + Sync + 'static,
    ) -> Self {
        self.on_limited = Arc::new(answer);
        self
    }

    /// Changes every admitted request's response, after the handler, to add "remaining"
    /// headers (`X-MinLimit-Remaining`, `X-RateLimit-Minutely-Remaining`).
    #[must_use]
    pub fn on_response(
        mut self,
        decorate: impl Fn(&RateLimitSnapshot, SimResponse) -> SimResponse + Send + Sync + 'static,
    ) -> Self {
        self.decorate = Some(Arc::new(decorate));
        self
    }

    /// The limiter.
    pub fn build(self) -> RateLimiter {
        RateLimiter { shared: Arc::new(Shared { config: self, keys: Mutex::new(HashMap::new()) }) }
    }
}

fn default_refusal(hit: &RateLimitHit) -> SimResponse {
    SimResponse::json(
        429,
        json!({
            "error": "rate_limited",
            "window": hit.window,
            "retry_after_seconds": hit.retry_after_secs(),
        }),
    )
    .with_header("Retry-After", hit.retry_after_secs())
}

/// Enforces fixed windows (N per minute, N per day, ...) and a concurrency cap per key, on
/// tokio's clock. Cheap to clone; clones share the counts. Give it to
/// [`SimServerBuilder::rate_limiter`](super::SimServerBuilder::rate_limiter).
#[derive(Clone)]
pub struct RateLimiter {
    shared: Arc<Shared>,
}

struct Shared {
    config: RateLimiterBuilder,
    keys: Mutex<HashMap<String, KeyState>>,
}

#[derive(Debug)]
struct KeyState {
    windows: Vec<Option<(Instant, u32)>>,
    in_flight: u32,
}

impl fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimiter").field("config", &self.shared.config).finish_non_exhaustive()
    }
}

/// The limiter's verdict on a request.
pub(crate) enum Admission {
    /// The request has no key and is not limited.
    Exempt,
    /// Admitted; the permit counts it as in flight until dropped.
    Admitted(Permit),
    /// Refused with this response.
    Refused(SimResponse),
}

/// A request in flight for a key.
pub(crate) struct Permit {
    limiter: RateLimiter,
    key: String,
}

impl Drop for Permit {
    fn drop(&mut self) {
        if let Some(state) = lock(&self.limiter.shared.keys).get_mut(&self.key) {
            state.in_flight = state.in_flight.saturating_sub(1);
        }
    }
}

impl Permit {
    /// Lets the limiter's `on_response` hook change the response.
    pub(crate) fn decorate(&self, response: SimResponse) -> SimResponse {
        match &self.limiter.shared.config.decorate {
            Some(decorate) => decorate(&self.limiter.snapshot(&self.key), response),
            None => response,
        }
    }
}

impl RateLimiter {
    /// A builder with no windows, no cap and one shared key.
    pub fn builder() -> RateLimiterBuilder {
        RateLimiterBuilder {
            key: Arc::new(|_| Some(String::new())),
            windows: Vec::new(),
            max_concurrent: None,
            on_limited: Arc::new(default_refusal),
            decorate: None,
        }
    }

    /// The current limits of `key`.
    pub fn snapshot(&self, key: &str) -> RateLimitSnapshot {
        let mut keys = lock(&self.shared.keys);
        let now = Instant::now();
        match keys.get_mut(key) {
            Some(state) => self.snapshot_of(key, state, now),
            None => self.snapshot_of(key, &mut self.fresh(), now),
        }
    }

    /// Empties every window of every key (requests in flight stay counted).
    pub fn reset(&self) {
        for state in lock(&self.shared.keys).values_mut() {
            state.windows.iter_mut().for_each(|w| *w = None);
        }
    }

    fn fresh(&self) -> KeyState {
        KeyState { windows: vec![None; self.shared.config.windows.len()], in_flight: 0 }
    }

    fn snapshot_of(&self, key: &str, state: &mut KeyState, now: Instant) -> RateLimitSnapshot {
        let config = &self.shared.config;
        let windows = config
            .windows
            .iter()
            .zip(state.windows.iter_mut())
            .map(|(spec, window)| {
                expire(window, spec.period, now);
                let (used, reset_after) = match window {
                    Some((start, used)) => {
                        (*used, (*start + spec.period).saturating_duration_since(now))
                    }
                    None => (0, spec.period),
                };
                WindowStatus {
                    name: spec.name.clone(),
                    limit: spec.limit,
                    used,
                    remaining: spec.limit.saturating_sub(used),
                    reset_after,
                }
            })
            .collect();
        RateLimitSnapshot {
            key: key.to_owned(),
            windows,
            in_flight: state.in_flight,
            max_concurrent: config.max_concurrent,
        }
    }

    /// Counts `req` against its key's limits, or refuses it.
    pub(crate) fn admit(&self, req: &SimRequest) -> Admission {
        let config = &self.shared.config;
        let Some(key) = (config.key)(req) else { return Admission::Exempt };
        let now = Instant::now();
        let mut keys = lock(&self.shared.keys);
        let state = keys.entry(key.clone()).or_insert_with(|| self.fresh());
        let snapshot = self.snapshot_of(&key, state, now);

        let mut refusal: Option<(String, u32, Duration)> = None;
        if let Some(cap) = config.max_concurrent.filter(|cap| state.in_flight >= *cap) {
            refusal = Some(("concurrent".to_owned(), cap, Duration::from_secs(1)));
        }
        for window in snapshot.windows.iter().filter(|w| w.remaining == 0) {
            if refusal.as_ref().is_none_or(|(_, _, wait)| window.reset_after > *wait) {
                refusal = Some((window.name.clone(), window.limit, window.reset_after));
            }
        }
        if let Some((window, limit, retry_after)) = refusal {
            drop(keys);
            return Admission::Refused((config.on_limited)(&RateLimitHit {
                window,
                limit,
                retry_after,
                snapshot,
            }));
        }

        for window in &mut state.windows {
            match window {
                Some((_, used)) => *used += 1,
                None => *window = Some((now, 1)),
            }
        }
        state.in_flight += 1;
        Admission::Admitted(Permit { limiter: self.clone(), key })
    }
}

/// Ends a window whose period is over.
fn expire(window: &mut Option<(Instant, u32)>, period: Duration, now: Instant) {
    if window.is_some_and(|(start, _)| now >= start + period) {
        *window = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::Method;

    fn status(a: &Admission) -> &'static str {
        match a {
            Admission::Exempt => "exempt",
            Admission::Admitted(_) => "ok",
            Admission::Refused(_) => "refused",
        }
    }

    #[tokio::test(start_paused = true)]
    async fn counts_windows_and_concurrency_per_key() {
        let limiter =
            RateLimiter::builder().key_header("t").per_minute(2).max_concurrent(1).build();
        let a = SimRequest::new(Method::GET, "/").with_header("t", "a");
        let b = SimRequest::new(Method::GET, "/").with_header("t", "b");
        let first = limiter.admit(&a);
        assert_eq!(status(&first), "ok");
        assert_eq!(status(&limiter.admit(&a)), "refused"); // one in flight
        assert_eq!(status(&limiter.admit(&b)), "ok");
        drop(first);
        assert_eq!(status(&limiter.admit(&a)), "ok");
        let Admission::Refused(r) = limiter.admit(&a) else { panic!("expected a refusal") };
        assert_eq!((r.status(), r.header("retry-after")), (429, Some("60")));
        assert_eq!(status(&limiter.admit(&SimRequest::new(Method::GET, "/"))), "exempt");
        tokio::time::advance(Duration::from_secs(60)).await;
        assert_eq!(limiter.snapshot("a").remaining("minute"), Some(2));
        assert_eq!(status(&limiter.admit(&a)), "ok");
    }
}
