//! Exact Online's rate limits: the per-division budget and the headers that report it.

use std::borrow::Cow;

use connector_core::http::{
    HeaderMap, RateBudget, RateFeedback, Window, WindowFeedback, header_u64, until,
};

/// Per division: 60 per minute, 5,000 per day.
pub fn division_budget() -> RateBudget {
    RateBudget::builder()
        .name("exact online division")
        .window(Window::per_minute(60))
        .window(Window::per_day(5_000))
        .build()
}

/// Daily `X-RateLimit-Limit`/`-Remaining`/`-Reset` and minutely
/// `X-RateLimit-Minutely-Limit`/`-Remaining`/`-Reset`; resets are epoch milliseconds.
pub fn feedback(headers: &HeaderMap) -> Option<RateFeedback> {
    let mut fb = RateFeedback::default();
    for (prefix, window) in
        [("x-ratelimit-", Window::DAY), ("x-ratelimit-minutely-", Window::MINUTE)]
    {
        let remaining = header_u64(headers, &format!("{prefix}remaining"));
        let limit = header_u64(headers, &format!("{prefix}limit"));
        let reset = header_u64(headers, &format!("{prefix}reset")).and_then(|ms| {
            let at = chrono::DateTime::from_timestamp_millis(i64::try_from(ms).ok()?)?;
            Some(until(at))
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[tokio::test(start_paused = true)]
    async fn minutely_and_daily_headers() {
        let reset = connector_core::http::now_utc().timestamp_millis() + 30_000;
        let fb = feedback(&headers(&[
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
        let fb =
            feedback(&headers(&[("X-RateLimit-Limit", "5000"), ("X-RateLimit-Remaining", "4990")]))
                .unwrap();
        assert_eq!(fb.windows[0].window, "day");
    }
}
