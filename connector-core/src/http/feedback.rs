//! What a server's response headers say about the rate budget, and parsers for the
//! systems that send such headers.

use std::borrow::Cow;
use std::time::Duration;

use reqwest::header::HeaderMap;

use super::clock;
use super::rate_budget::Window;
use super::retry::parse_retry_after;

/// The server's view of one budget window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowFeedback {
    /// The window's name, matching a [`Window`] of the budget ([`Window::MINUTE`],
    /// [`Window::DAY`], [`Window::APP_MINUTE`]). Unknown names are ignored.
    pub window: Cow<'static, str>,
    /// Requests left in the window.
    pub remaining: Option<u64>,
    /// The window's limit, if the server tells it (replaces the configured limit).
    pub limit: Option<u64>,
    /// When the window resets, if the server tells it.
    pub resets_in: Option<Duration>,
}

impl WindowFeedback {
    /// Feedback for `window` with `remaining` requests left.
    pub fn remaining(window: impl Into<Cow<'static, str>>, remaining: u64) -> Self {
        Self { window: window.into(), remaining: Some(remaining), limit: None, resets_in: None }
    }

    /// Sets the limit.
    pub fn with_limit(mut self, limit: u64) -> Self {
        self.limit = Some(limit);
        self
    }

    /// Sets when the window resets.
    pub fn with_reset(mut self, resets_in: Duration) -> Self {
        self.resets_in = Some(resets_in);
        self
    }
}

/// What one response said about the rate budget; fed to every budget of the client.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RateFeedback {
    /// Per-window observations.
    pub windows: Vec<WindowFeedback>,
}

impl RateFeedback {
    /// Whether there is nothing to apply.
    pub fn is_empty(&self) -> bool {
        self.windows.is_empty()
    }

    /// Xero: `X-MinLimit-Remaining` (minute), `X-DayLimit-Remaining` (day),
    /// `X-AppMinLimit-Remaining` (app_minute), and on a `429` `X-Rate-Limit-Problem`
    /// (`minute`, `day`, `appminute`) with `Retry-After`, which marks that window spent
    /// until then.
    pub fn xero(headers: &HeaderMap) -> Option<Self> {
        let mut fb = Self::default();
        for (header, window) in [
            ("x-minlimit-remaining", Window::MINUTE),
            ("x-daylimit-remaining", Window::DAY),
            ("x-appminlimit-remaining", Window::APP_MINUTE),
        ] {
            if let Some(n) = number(headers, header) {
                fb.windows.push(WindowFeedback::remaining(window, n));
            }
        }
        if let Some(problem) = text(headers, "x-rate-limit-problem") {
            let window = match problem.trim().to_ascii_lowercase().as_str() {
                "minute" => Some(Window::MINUTE),
                "day" => Some(Window::DAY),
                "appminute" => Some(Window::APP_MINUTE),
                _ => None,
            };
            if let Some(window) = window {
                fb.windows.retain(|w| w.window != window);
                let mut w = WindowFeedback::remaining(window, 0);
                w.resets_in = text(headers, "retry-after").and_then(parse_retry_after);
                fb.windows.push(w);
            }
        }
        (!fb.is_empty()).then_some(fb)
    }

    /// Exact Online: daily `X-RateLimit-Limit`/`-Remaining`/`-Reset` and minutely
    /// `X-RateLimit-Minutely-Limit`/`-Remaining`/`-Reset`; resets are epoch milliseconds.
    pub fn exact_online(headers: &HeaderMap) -> Option<Self> {
        let mut fb = Self::default();
        for (prefix, window) in
            [("x-ratelimit-", Window::DAY), ("x-ratelimit-minutely-", Window::MINUTE)]
        {
            let remaining = number(headers, &format!("{prefix}remaining"));
            let limit = number(headers, &format!("{prefix}limit"));
            let reset = number(headers, &format!("{prefix}reset")).and_then(|ms| {
                let at = chrono::DateTime::from_timestamp_millis(i64::try_from(ms).ok()?)?;
                Some(clock::until(at))
            });
            if remaining.is_some() || limit.is_some() {
                fb.windows.push(WindowFeedback {
                    window: Cow::Borrowed(window),
                    remaining,
                    limit,
                    resets_in: reset,
                });
            }
        }
        (!fb.is_empty()).then_some(fb)
    }

    /// Salesforce: `Sforce-Limit-Info: api-usage=18/5000` (the org's rolling 24-hour
    /// allocation) feeds the `day` window.
    pub fn salesforce(headers: &HeaderMap) -> Option<Self> {
        let info = text(headers, "sforce-limit-info")?;
        let usage = info.split([';', ',']).find_map(|part| {
            let (k, v) = part.trim().split_once('=')?;
            (k.trim() == "api-usage").then_some(v.trim())
        })?;
        let (used, limit) = usage.split_once('/')?;
        let used: u64 = used.trim().parse().ok()?;
        let limit: u64 = limit.trim().parse().ok()?;
        Some(Self {
            windows: vec![
                WindowFeedback::remaining(Window::DAY, limit.saturating_sub(used))
                    .with_limit(limit),
            ],
        })
    }
}

fn text<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name)?.to_str().ok()
}

fn number(headers: &HeaderMap, name: &str) -> Option<u64> {
    text(headers, name)?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn xero_headers() {
        let fb = RateFeedback::xero(&headers(&[
            ("X-MinLimit-Remaining", "59"),
            ("X-DayLimit-Remaining", "4984"),
            ("X-AppMinLimit-Remaining", "9999"),
        ]))
        .unwrap();
        assert_eq!(fb.windows.len(), 3);
        assert_eq!(fb.windows[0], WindowFeedback::remaining("minute", 59));
        assert_eq!(fb.windows[1], WindowFeedback::remaining("day", 4984));
        let fb = RateFeedback::xero(&headers(&[
            ("X-DayLimit-Remaining", "3"),
            ("X-Rate-Limit-Problem", "day"),
            ("Retry-After", "3600"),
        ]))
        .unwrap();
        assert_eq!(
            fb.windows,
            vec![WindowFeedback::remaining("day", 0).with_reset(Duration::from_secs(3600))]
        );
        assert!(RateFeedback::xero(&HeaderMap::new()).is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn exact_headers() {
        let reset = clock::now_utc().timestamp_millis() + 30_000;
        let fb = RateFeedback::exact_online(&headers(&[
            ("X-RateLimit-Minutely-Limit", "60"),
            ("X-RateLimit-Minutely-Remaining", "0"),
            ("X-RateLimit-Minutely-Reset", &reset.to_string()),
        ]))
        .unwrap();
        assert_eq!(fb.windows.len(), 1);
        let w = &fb.windows[0];
        assert_eq!((w.window.as_ref(), w.remaining, w.limit), ("minute", Some(0), Some(60)));
        let resets_in = w.resets_in.unwrap();
        assert!(resets_in > Duration::from_secs(29) && resets_in <= Duration::from_secs(30));
        let fb = RateFeedback::exact_online(&headers(&[
            ("X-RateLimit-Limit", "5000"),
            ("X-RateLimit-Remaining", "4990"),
        ]))
        .unwrap();
        assert_eq!(fb.windows[0].window, "day");
    }

    #[test]
    fn salesforce_header() {
        let fb = RateFeedback::salesforce(&headers(&[(
            "Sforce-Limit-Info",
            "api-usage=18/5000; per-app-api-usage=17/250(appName=sample)",
        )]))
        .unwrap();
        assert_eq!(fb.windows, vec![WindowFeedback::remaining("day", 4982).with_limit(5000)]);
        assert!(RateFeedback::salesforce(&headers(&[("Sforce-Limit-Info", "junk")])).is_none());
    }
}
