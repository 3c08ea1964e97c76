//! Retry policy: exponential backoff with full jitter, `Retry-After`, and the rules for what
//! is safe to send again.

use std::time::Duration;

use crate::error::{Error, ErrorKind};

use super::clock;
use super::dates;

/// When and how often a failed request is sent again.
///
/// Only what is safe is retried: rate limits (`429`, the server did not act), and timeouts,
/// transport failures, `5xx` and undecodable `2xx` bodies on idempotent requests. `GET`,
/// `HEAD`, `PUT`, `DELETE` and `OPTIONS` are idempotent by default; `POST` and `PATCH` only
/// with an idempotency key or an explicit `.idempotent(true)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (0 disables retries).
    pub max_retries: u32,
    /// The backoff before the first retry; it doubles with each retry.
    pub initial_backoff: Duration,
    /// The longest backoff. A server's `Retry-After` above it ends the call with the
    /// rate-limit error instead of a sleep.
    pub max_backoff: Duration,
    /// Full jitter: each backoff is drawn uniformly from zero to its exponential value.
    pub jitter: bool,
    /// Whether `4xx` answers may be retried at all. `false` (Exact Online, where ten errors
    /// an hour block the key) means no `4xx` is ever sent again; `429` too unless
    /// [`exempt_rate_limits`](Self::exempt_rate_limits) is set.
    pub retry_client_errors: bool,
    /// Keeps `429` retryable when [`retry_client_errors`](Self::retry_client_errors) is
    /// `false`: the server did not act and says when its budget refills (`Retry-After`, or
    /// the reset a refiner read), so the call waits until then and is sent again. For
    /// systems whose error budget counts other `4xx` only (Exact Online: 400, 401, 403 and
    /// 404). A spent long-window budget ([`ErrorKind::BudgetExhausted`]) is still final.
    pub exempt_rate_limits: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 4,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(60),
            jitter: true,
            retry_client_errors: true,
            exempt_rate_limits: false,
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn never() -> Self {
        Self { max_retries: 0, ..Self::default() }
    }

    /// Sets the number of retries.
    pub fn with_max_retries(mut self, n: u32) -> Self {
        self.max_retries = n;
        self
    }

    /// Sets the initial and the maximum backoff.
    pub fn with_backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_backoff = initial;
        self.max_backoff = max;
        self
    }

    /// Turns jitter on or off.
    pub fn with_jitter(mut self, jitter: bool) -> Self {
        self.jitter = jitter;
        self
    }

    /// Forbids or allows retries of `4xx` answers (`429` included unless
    /// [`with_exempt_rate_limits`](Self::with_exempt_rate_limits)).
    pub fn with_retry_client_errors(mut self, retry: bool) -> Self {
        self.retry_client_errors = retry;
        self
    }

    /// Keeps `429` retryable (after its `Retry-After`) when other `4xx` are never resent.
    pub fn with_exempt_rate_limits(mut self, exempt: bool) -> Self {
        self.exempt_rate_limits = exempt;
        self
    }

    /// The backoff before retry number `retry` (0-based), before jitter is applied.
    pub fn backoff_ceiling(&self, retry: u32) -> Duration {
        let factor = 2u32.saturating_pow(retry.min(30));
        self.initial_backoff.saturating_mul(factor).min(self.max_backoff)
    }

    /// The backoff before retry number `retry` (0-based), with jitter if enabled.
    pub fn backoff(&self, retry: u32) -> Duration {
        let ceiling = self.backoff_ceiling(retry);
        if !self.jitter || ceiling.is_zero() {
            return ceiling;
        }
        let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(fastrand::u64(0..=nanos))
    }

    /// Decides whether `err` is sent again, and after which delay.
    ///
    /// `retries` is how many retries were already made; `remaining` is the time left before
    /// the total deadline, if there is one. Returns `None` to give up.
    pub fn next_delay(
        &self,
        err: &Error,
        idempotent: bool,
        retries: u32,
        remaining: Option<Duration>,
    ) -> Option<Duration> {
        if retries >= self.max_retries || err.kind() == ErrorKind::BudgetExhausted {
            return None;
        }
        if let Some(status) = err.status() {
            let exempt = status == 429 && self.exempt_rate_limits;
            if (400..500).contains(&status) && !self.retry_client_errors && !exempt {
                return None;
            }
        }
        if !err.is_retryable(idempotent) {
            return None;
        }
        let delay = match err.retry_after() {
            Some(advised) if advised > self.max_backoff => return None,
            Some(advised) => advised,
            None => self.backoff(retries),
        };
        match remaining {
            Some(left) if delay >= left => None,
            _ => Some(delay),
        }
    }
}

/// Parses a `Retry-After` value: delay seconds (`120`) or an HTTP-date, relative to
/// [`now_utc`](super::now_utc). A date in the past gives zero.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    if let Ok(secs) = value.parse::<f64>() {
        if secs.is_finite() && secs >= 0.0 {
            return Some(Duration::from_secs_f64(secs.min(1e9)));
        }
    }
    dates::parse_http_date(value).ok().map(clock::until)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::RetryClass;

    #[test]
    fn backoff_grows_and_caps() {
        let p = RetryPolicy::default()
            .with_backoff(Duration::from_millis(100), Duration::from_secs(1))
            .with_jitter(false);
        assert_eq!(p.backoff(0), Duration::from_millis(100));
        assert_eq!(p.backoff(1), Duration::from_millis(200));
        assert_eq!(p.backoff(3), Duration::from_millis(800));
        assert_eq!(p.backoff(4), Duration::from_secs(1));
        assert_eq!(p.backoff(400), Duration::from_secs(1));
        let j = p.with_jitter(true);
        for _ in 0..100 {
            assert!(j.backoff(2) <= Duration::from_millis(400));
        }
    }

    #[test]
    fn decides_what_is_safe() {
        let p = RetryPolicy::default().with_jitter(false);
        let e500 = Error::from_status(500, "boom");
        assert!(p.next_delay(&e500, true, 0, None).is_some());
        assert!(p.next_delay(&e500, false, 0, None).is_none());
        let e429 = Error::from_status(429, "slow").with_retry_after(Duration::from_secs(2));
        assert_eq!(p.next_delay(&e429, false, 0, None), Some(Duration::from_secs(2)));
        assert_eq!(p.next_delay(&e429, false, 0, Some(Duration::from_secs(1))), None);
        let long = Error::from_status(429, "slow").with_retry_after(Duration::from_secs(3600));
        assert_eq!(p.next_delay(&long, true, 0, None), None);
        let strict = p.clone().with_retry_client_errors(false);
        assert_eq!(strict.next_delay(&e429, true, 0, None), None);
        assert!(strict.next_delay(&e500, true, 0, None).is_some());
        // Exempting 429 waits it out; every other 4xx stays final.
        let exempt = strict.with_exempt_rate_limits(true);
        assert_eq!(exempt.next_delay(&e429, false, 0, None), Some(Duration::from_secs(2)));
        for status in [400, 401, 403, 404, 409, 422] {
            let e = Error::from_status(status, "no").with_retry_class(RetryClass::Always);
            assert_eq!(exempt.next_delay(&e, true, 0, None), None, "{status}");
        }
        let spent429 = Error::new(ErrorKind::BudgetExhausted, "day").with_status(429);
        assert_eq!(exempt.next_delay(&spent429, true, 0, None), None);
        assert_eq!(p.next_delay(&Error::from_status(400, "bad"), true, 0, None), None);
        assert_eq!(p.next_delay(&e500, true, 4, None), None);
        let spent = Error::new(ErrorKind::BudgetExhausted, "day");
        assert_eq!(p.next_delay(&spent, true, 0, None), None);
    }

    #[test]
    fn retry_after_forms() {
        assert_eq!(parse_retry_after("120"), Some(Duration::from_secs(120)));
        assert_eq!(parse_retry_after(" 1.5 "), Some(Duration::from_millis(1500)));
        assert_eq!(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT"), Some(Duration::ZERO));
        let future = dates::format_http_date(clock::now_utc() + chrono::TimeDelta::seconds(90));
        let d = parse_retry_after(&future).unwrap();
        assert!(d <= Duration::from_secs(90) && d >= Duration::from_secs(88), "{d:?}");
        assert_eq!(parse_retry_after("soon"), None);
        assert_eq!(parse_retry_after("-3"), None);
    }
}
