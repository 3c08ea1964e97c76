//! [`RateLimiter`]: a system's rate limits, enforced per key, and limits shared by every key
//! (an app-wide allowance over all tenants).

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
    /// Counted across all keys together rather than per key.
    shared: bool,
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
        self.windows.push(WindowSpec { name: name.to_owned(), limit, period, shared: false });
        self
    }

    /// Allows `limit` calls per `period` over all keys together, in a window called `name`:
    /// an app-wide allowance beside the per-key ones (Xero's `appminute`, 10,000 a minute
    /// over every tenant of an app). Requests without a key are not counted. Snapshots list
    /// it with the key's own windows, so `on_response` can report what is left of it.
    #[must_use]
    pub fn shared_window(mut self, name: &str, limit: u32, period: Duration) -> Self {
        self.windows.push(WindowSpec { name: name.to_owned(), limit, period, shared: true });
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
        let shared = vec![None; self.windows.len()];
        RateLimiter {
            shared: Arc::new(Shared {
                config: self,
                keys: Mutex::new(Keys { per_key: HashMap::new(), shared }),
            }),
        }
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
    keys: Mutex<Keys>,
}

/// A window's start and the calls admitted in it; `None` before the first call.
type WindowState = Option<(Instant, u32)>;

/// The counts of every key, and of the windows all keys share.
#[derive(Debug)]
struct Keys {
    per_key: HashMap<String, KeyState>,
    /// One slot per configured window; only the shared windows' slots are used.
    shared: Vec<WindowState>,
}

#[derive(Debug)]
struct KeyState {
    /// One slot per configured window; only the per-key windows' slots are used.
    windows: Vec<WindowState>,
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
        if let Some(state) = lock(&self.limiter.shared.keys).per_key.get_mut(&self.key) {
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
        let mut guard = lock(&self.shared.keys);
        let keys = &mut *guard;
        let now = Instant::now();
        match keys.per_key.get_mut(key) {
            Some(state) => self.snapshot_of(key, state, &mut keys.shared, now),
            None => self.snapshot_of(key, &mut self.fresh(), &mut keys.shared, now),
        }
    }

    /// Empties every window of every key, and the shared windows (requests in flight stay
    /// counted).
    pub fn reset(&self) {
        let mut keys = lock(&self.shared.keys);
        for state in keys.per_key.values_mut() {
            state.windows.iter_mut().for_each(|w| *w = None);
        }
        keys.shared.iter_mut().for_each(|w| *w = None);
    }

    fn fresh(&self) -> KeyState {
        KeyState { windows: vec![None; self.shared.config.windows.len()], in_flight: 0 }
    }

    fn snapshot_of(
        &self,
        key: &str,
        state: &mut KeyState,
        shared: &mut [WindowState],
        now: Instant,
    ) -> RateLimitSnapshot {
        let config = &self.shared.config;
        let windows = config
            .windows
            .iter()
            .zip(state.windows.iter_mut().zip(shared.iter_mut()))
            .map(|(spec, (own, common))| {
                let window = if spec.shared { common } else { own };
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
        let mut guard = lock(&self.shared.keys);
        let keys = &mut *guard;
        let state = keys.per_key.entry(key.clone()).or_insert_with(|| self.fresh());
        let snapshot = self.snapshot_of(&key, state, &mut keys.shared, now);

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
            drop(guard);
            return Admission::Refused((config.on_limited)(&RateLimitHit {
                window,
                limit,
                retry_after,
                snapshot,
            }));
        }

        for (spec, (own, common)) in
            config.windows.iter().zip(state.windows.iter_mut().zip(keys.shared.iter_mut()))
        {
            let window = if spec.shared { common } else { own };
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
fn expire(window: &mut WindowState, period: Duration, now: Instant) {
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

    #[tokio::test(start_paused = true)]
    async fn a_shared_window_counts_every_key_together() {
        let limiter = RateLimiter::builder()
            .key_header("t")
            .per_minute(2)
            .shared_window("appminute", 3, Duration::from_secs(60))
            .build();
        let req = |t: &str| SimRequest::new(Method::GET, "/").with_header("t", t);
        assert_eq!(status(&limiter.admit(&req("a"))), "ok");
        assert_eq!(status(&limiter.admit(&req("a"))), "ok");
        assert_eq!(status(&limiter.admit(&req("b"))), "ok");
        let snap = limiter.snapshot("c");
        assert_eq!((snap.remaining("minute"), snap.remaining("appminute")), (Some(2), Some(0)));
        tokio::time::advance(Duration::from_secs(20)).await;
        // Key c has its own minute untouched, but the app's is spent: refused by appminute,
        // retry when the shared window (started 20 s ago) ends.
        let Admission::Refused(r) = limiter.admit(&req("c")) else { panic!("expected a refusal") };
        assert_eq!(r.header("retry-after"), Some("40"));
        assert!(r.text_body().contains("appminute"), "{}", r.text_body());
        assert_eq!(status(&limiter.admit(&SimRequest::new(Method::GET, "/"))), "exempt");
        tokio::time::advance(Duration::from_secs(40)).await;
        assert_eq!(limiter.snapshot("a").remaining("appminute"), Some(3));
        assert_eq!(status(&limiter.admit(&req("c"))), "ok");
        limiter.reset();
        assert_eq!(limiter.snapshot("c").remaining("appminute"), Some(3));
    }
}
