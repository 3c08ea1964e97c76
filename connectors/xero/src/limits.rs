//! Xero's rate limits: the per-tenant and app-wide budgets and the headers that report them.

use std::time::Duration;

use connector_core::http::{
    HeaderMap, RateBudget, RateFeedback, Window, WindowFeedback, header_str, header_u64,
    parse_retry_after,
};

/// Per tenant: 5 concurrent, 60 per minute, and a daily allowance that depends on the app's
/// tier (1,000 on Starter, 5,000 above), read from `X-DayLimit-Remaining`.
pub fn tenant_budget() -> RateBudget {
    RateBudget::builder()
        .name("xero tenant")
        .max_concurrency(5)
        .window(Window::per_minute(60))
        .window(Window::per_day_from_server())
        .build()
}

/// App-wide (one across all tenants): 10,000 per minute.
pub fn app_budget() -> RateBudget {
    RateBudget::builder()
        .name("xero app")
        .window(Window::new(Window::APP_MINUTE, 10_000, Duration::from_secs(60)))
        .build()
}

/// `X-MinLimit-Remaining` (minute), `X-DayLimit-Remaining` (day), `X-AppMinLimit-Remaining`
/// (app_minute), and on a `429` `X-Rate-Limit-Problem` (`minute`, `day`, `appminute`) with
/// `Retry-After`, which marks that window spent until then.
pub fn feedback(headers: &HeaderMap) -> Option<RateFeedback> {
    let mut fb = RateFeedback::default();
    for (header, window) in [
        ("x-minlimit-remaining", Window::MINUTE),
        ("x-daylimit-remaining", Window::DAY),
        ("x-appminlimit-remaining", Window::APP_MINUTE),
    ] {
        if let Some(n) = header_u64(headers, header) {
            fb.windows.push(WindowFeedback::remaining(window, n));
        }
    }
    if let Some(problem) = header_str(headers, "x-rate-limit-problem") {
        let window = match problem.trim().to_ascii_lowercase().as_str() {
            "minute" => Some(Window::MINUTE),
            "day" => Some(Window::DAY),
            "appminute" => Some(Window::APP_MINUTE),
            _ => None,
        };
        if let Some(window) = window {
            fb.windows.retain(|w| w.window != window);
            let mut w = WindowFeedback::remaining(window, 0);
            w.resets_in = header_str(headers, "retry-after").and_then(parse_retry_after);
            fb.windows.push(w);
        }
    }
    (!fb.is_empty()).then_some(fb)
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
    fn remaining_and_problem_headers() {
        let fb = feedback(&headers(&[
            ("X-MinLimit-Remaining", "59"),
            ("X-DayLimit-Remaining", "4984"),
            ("X-AppMinLimit-Remaining", "9999"),
        ]))
        .unwrap();
        assert_eq!(fb.windows.len(), 3);
        assert_eq!(fb.windows[0], WindowFeedback::remaining("minute", 59));
        assert_eq!(fb.windows[1], WindowFeedback::remaining("day", 4984));
        let fb = feedback(&headers(&[
            ("X-DayLimit-Remaining", "3"),
            ("X-Rate-Limit-Problem", "day"),
            ("Retry-After", "3600"),
        ]))
        .unwrap();
        assert_eq!(
            fb.windows,
            vec![WindowFeedback::remaining("day", 0).with_reset(Duration::from_secs(3600))]
        );
        assert!(feedback(&HeaderMap::new()).is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn the_day_is_the_servers_until_it_says() {
        let b = tenant_budget();
        assert_eq!(b.remaining("day"), Some(u64::MAX), "no assumed 5,000");
        // A Starter-tier organisation: 1,000 a day, 2 left.
        b.apply_feedback(&RateFeedback { windows: vec![WindowFeedback::remaining("day", 2)] });
        b.acquire().await.unwrap();
        b.acquire().await.unwrap();
        assert_eq!(
            b.acquire().await.unwrap_err().kind(),
            connector_core::ErrorKind::BudgetExhausted
        );
    }
}
