//! Rate budgets under a paused clock: short windows wait, long windows fail fast, and
//! server headers feed the budget.

use std::time::Duration;

use connector_core::ErrorKind;
use connector_core::http::{
    HeaderMap, RateBudget, RateFeedback, RetryPolicy, Window, WindowFeedback, header_str,
    header_u64, now_utc, parse_retry_after, until,
};
use futures_util::future::join_all;
use tokio::time::Instant;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::support::{builder, hits, hold};

/// A tenant's budget as Xero's is shaped: 5 at once, 60 a minute, a day the server counts.
fn tenant_budget() -> RateBudget {
    RateBudget::builder()
        .max_concurrency(5)
        .window(Window::per_minute(60))
        .window(Window::per_day_from_server())
        .build()
}

/// An app-wide budget over every tenant.
fn app_budget() -> RateBudget {
    RateBudget::builder()
        .window(Window::new(Window::APP_MINUTE, 10_000, Duration::from_secs(60)))
        .build()
}

/// Rate headers in a made-up scheme (each connector parses its vendor's): `X-Left-Minute` and
/// `X-Left-Day` with `X-Reset-Minute` (epoch milliseconds), and on a `429` `X-Spent` naming
/// the window, with `Retry-After`.
fn feedback(headers: &HeaderMap) -> Option<RateFeedback> {
    let mut fb = RateFeedback::default();
    for (header, window) in [("x-left-minute", Window::MINUTE), ("x-left-day", Window::DAY)] {
        if let Some(n) = header_u64(headers, header) {
            let mut w = WindowFeedback::remaining(window, n);
            if window == Window::MINUTE {
                w.resets_in = header_u64(headers, "x-reset-minute").and_then(|ms| {
                    Some(until(chrono::DateTime::from_timestamp_millis(ms as i64)?))
                });
            }
            fb.windows.push(w);
        }
    }
    if let Some(window) = header_str(headers, "x-spent") {
        let window = if window == "day" { Window::DAY } else { Window::MINUTE };
        fb.windows.retain(|w| w.window != window);
        let mut w = WindowFeedback::remaining(window, 0);
        w.resets_in = header_str(headers, "retry-after").and_then(parse_retry_after);
        fb.windows.push(w);
    }
    (!fb.is_empty()).then_some(fb)
}

#[tokio::test(start_paused = true)]
async fn sixty_per_minute_holds_for_150_concurrent_requests() {
    let _hold = hold();
    let server = MockServer::start().await;
    Mock::given(method("GET")).respond_with(ResponseTemplate::new(200)).mount(&server).await;
    let budget = RateBudget::builder().window(Window::per_minute(60)).max_concurrency(5).build();
    let client = builder(&server).rate_budget(budget.clone()).without_deadline().build().unwrap();

    let start = Instant::now();
    let sent_at = join_all((0..150).map(|i| {
        let client = client.clone();
        async move {
            client.get("Contacts").query("i", i).send().await.unwrap();
            Instant::now()
        }
    }))
    .await;
    let elapsed = start.elapsed();

    assert!(elapsed >= Duration::from_secs(120), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(125), "{elapsed:?}");
    assert_eq!(hits(&server).await, 150);
    assert_eq!(budget.requests_sent(), 150);
    let mut times: Vec<Duration> = sent_at.iter().map(|t| *t - start).collect();
    times.sort();
    // Never more than 60 in any minute: request i and request i + 60 are a minute apart.
    for i in 0..times.len() - 60 {
        assert!(times[i + 60] - times[i] >= Duration::from_secs(60), "{i}: {times:?}");
    }
}

#[tokio::test(start_paused = true)]
async fn a_spent_daily_budget_fails_at_once_without_sending() {
    let _hold = hold();
    let server = MockServer::start().await;
    Mock::given(method("GET")).respond_with(ResponseTemplate::new(200)).mount(&server).await;
    let budget =
        RateBudget::builder().window(Window::per_minute(60)).window(Window::per_day(3)).build();
    let client = builder(&server).rate_budget(budget).build().unwrap();
    for _ in 0..3 {
        client.get("Invoices").send().await.unwrap();
    }

    let start = Instant::now();
    let err = client.get("Invoices").send().await.unwrap_err();
    assert_eq!(start.elapsed(), Duration::ZERO);
    assert_eq!(err.kind(), ErrorKind::BudgetExhausted);
    let refills = err.budget_refills_at().expect("refill time");
    let in_hours = (refills - now_utc()).num_hours();
    assert!((23..=24).contains(&in_hours), "{refills}");
    assert!(!err.is_retryable(true));
    assert_eq!(err.connector(), Some("test"));
    assert_eq!(hits(&server).await, 3);
}

#[tokio::test(start_paused = true)]
async fn response_headers_feed_the_budget() {
    let _hold = hold();
    let server = MockServer::start().await;
    Mock::given(path("/Contacts"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("X-Left-Minute", "59")
                .insert_header("X-Left-Day", "0"),
        )
        .mount(&server)
        .await;
    let budget = tenant_budget();
    let client =
        builder(&server).rate_budget(budget.clone()).rate_feedback(feedback).build().unwrap();
    client.get("Contacts").send().await.unwrap();
    assert_eq!(budget.remaining("minute"), Some(59));
    let err = client.get("Contacts").send().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BudgetExhausted);
    assert_eq!(hits(&server).await, 1);
}

#[tokio::test(start_paused = true)]
async fn a_daily_429_is_budget_exhausted_not_a_retry_loop() {
    let _hold = hold();
    let server = MockServer::start().await;
    Mock::given(path("/Invoices"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "7200")
                .insert_header("X-Spent", "day"),
        )
        .mount(&server)
        .await;
    let client =
        builder(&server).rate_budget(tenant_budget()).rate_feedback(feedback).build().unwrap();
    let start = Instant::now();
    let err = client.get("Invoices").send().await.unwrap_err();
    assert_eq!(start.elapsed(), Duration::ZERO);
    assert_eq!(err.kind(), ErrorKind::BudgetExhausted);
    assert_eq!(err.status(), Some(429));
    assert_eq!(err.retry_after(), Some(Duration::from_secs(7200)));
    assert_eq!(hits(&server).await, 1);
}

#[tokio::test(start_paused = true)]
async fn a_minute_429_holds_back_every_client_of_the_tenant() {
    let _hold = hold();
    let server = MockServer::start().await;
    Mock::given(path("/Items"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "20")
                .insert_header("X-Spent", "minute"),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path("/Items")).respond_with(ResponseTemplate::new(200)).mount(&server).await;
    let budget = tenant_budget();
    let first = builder(&server)
        .rate_budget(budget.clone())
        .rate_feedback(feedback)
        .retry(RetryPolicy::never())
        .build()
        .unwrap();
    let second = builder(&server).rate_budget(budget).rate_feedback(feedback).build().unwrap();

    let err = first.get("Items").send().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RateLimited);
    assert_eq!(err.retry_after(), Some(Duration::from_secs(20)));
    // Another client of the same tenant waits for the minute window instead of hitting it.
    let start = Instant::now();
    second.get("Items").send().await.unwrap();
    assert_eq!(start.elapsed(), Duration::from_secs(20));
    assert_eq!(hits(&server).await, 2);
}

#[tokio::test(start_paused = true)]
async fn a_minute_reset_header_makes_the_next_request_wait_for_it() {
    let _hold = hold();
    let server = MockServer::start().await;
    let reset_ms = now_utc().timestamp_millis() + 30_000;
    Mock::given(path("/first"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("X-Left-Minute", "0")
                .insert_header("X-Reset-Minute", reset_ms.to_string().as_str()),
        )
        .mount(&server)
        .await;
    Mock::given(path("/second")).respond_with(ResponseTemplate::new(200)).mount(&server).await;
    let client = builder(&server)
        .rate_budget(RateBudget::builder().window(Window::per_minute(60)).build())
        .rate_feedback(feedback)
        .build()
        .unwrap();
    client.get("first").send().await.unwrap();
    let start = Instant::now();
    client.get("second").send().await.unwrap();
    let waited = start.elapsed();
    assert!(waited >= Duration::from_secs(29) && waited <= Duration::from_secs(30), "{waited:?}");
}

#[tokio::test(start_paused = true)]
async fn tenant_and_app_budgets_both_count() {
    let _hold = hold();
    let server = MockServer::start().await;
    Mock::given(method("GET")).respond_with(ResponseTemplate::new(200)).mount(&server).await;
    let app = app_budget();
    let a = builder(&server).rate_budget(tenant_budget()).rate_budget(app.clone()).build().unwrap();
    let b = builder(&server).rate_budget(tenant_budget()).rate_budget(app.clone()).build().unwrap();
    a.get("x").send().await.unwrap();
    b.get("x").send().await.unwrap();
    assert_eq!(app.requests_sent(), 2);
    assert_eq!(a.rate_budgets()[0].requests_sent(), 1);
}
