//! Retry: Retry-After, what is safe to resend, timeouts, deadlines.

use std::time::Duration;

use connector_core::ErrorKind;
use connector_core::http::{RetryPolicy, dates, now_utc};
use serde_json::{Value, json};
use tokio::time::Instant;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::support::{HUNG, builder, hits, hold, hold_hung};

fn ok() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({"ok": true}))
}

#[tokio::test(start_paused = true)]
async fn retry_honours_retry_after_seconds() {
    let _hold = hold();
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "7"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET")).respond_with(ok()).mount(&server).await;
    let client = builder(&server).build().unwrap();

    let start = Instant::now();
    let body: Value = client.get("items").send_json().await.unwrap();
    let elapsed = start.elapsed();

    assert_eq!(body["ok"], true);
    assert!(elapsed >= Duration::from_secs(7), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(8), "{elapsed:?}");
    assert_eq!(hits(&server).await, 2);
}

#[tokio::test(start_paused = true)]
async fn retry_honours_retry_after_http_date_even_for_post() {
    let _hold = hold();
    let server = MockServer::start().await;
    let at = dates::format_http_date(now_utc() + chrono::TimeDelta::seconds(5));
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", at.as_str()))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST")).respond_with(ok()).mount(&server).await;
    let client = builder(&server).build().unwrap();

    let start = Instant::now();
    // A 429 means the server did not act: even a POST without a key is sent again.
    client.post("invoices").json(&json!({"n": 1})).send().await.unwrap();
    let elapsed = start.elapsed();
    assert!(elapsed >= Duration::from_secs(4) && elapsed <= Duration::from_secs(5), "{elapsed:?}");
    assert_eq!(hits(&server).await, 2);
}

#[tokio::test(start_paused = true)]
async fn retry_after_beyond_max_backoff_returns_rate_limited_at_once() {
    let _hold = hold();
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "3600"))
        .mount(&server)
        .await;
    let client = builder(&server).build().unwrap();

    let start = Instant::now();
    let err = client.get("items").send().await.unwrap_err();
    assert_eq!(start.elapsed(), Duration::ZERO);
    assert_eq!(err.kind(), ErrorKind::RateLimited);
    assert_eq!(err.retry_after(), Some(Duration::from_secs(3600)));
    assert_eq!(err.status(), Some(429));
    assert_eq!(hits(&server).await, 1);
}

#[tokio::test(start_paused = true)]
async fn post_without_key_is_not_retried_on_500() {
    let _hold = hold();
    let server = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(500)).mount(&server).await;
    let client = builder(&server).build().unwrap();

    let err = client.post("invoices").json(&json!({"n": 1})).send().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Upstream);
    assert_eq!(err.status(), Some(500));
    assert_eq!(hits(&server).await, 1);
}

#[tokio::test(start_paused = true)]
async fn post_without_key_is_not_retried_on_timeout_and_is_uncertain() {
    let _hold = hold_hung();
    let server = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ok().set_delay(HUNG)).mount(&server).await;
    let client = builder(&server).attempt_timeout(Duration::from_secs(10)).build().unwrap();

    let start = Instant::now();
    let err = client.post("invoices").json(&json!({"n": 1})).send().await.unwrap_err();
    assert!(start.elapsed() >= Duration::from_secs(10));
    assert_eq!(err.kind(), ErrorKind::UncertainWrite, "{err}");
    assert!(!err.is_retryable(false));
    assert_eq!(hits(&server).await, 1);
}

#[tokio::test(start_paused = true)]
async fn post_with_idempotency_key_is_retried_on_500() {
    let _hold = hold();
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(header("Idempotency-Key", "inv-42"))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(header("Idempotency-Key", "inv-42"))
        .respond_with(ok())
        .mount(&server)
        .await;
    let client = builder(&server).build().unwrap();

    client.post("invoices").idempotency_key("inv-42").json(&json!({})).send().await.unwrap();
    assert_eq!(hits(&server).await, 2);
}

#[tokio::test(start_paused = true)]
async fn post_with_key_is_retried_after_timeout_and_patch_can_opt_in() {
    let _hold = hold_hung();
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ok().set_delay(HUNG))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST")).respond_with(ok()).mount(&server).await;
    Mock::given(method("PATCH"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH")).respond_with(ok()).mount(&server).await;
    let client = builder(&server).attempt_timeout(Duration::from_secs(5)).build().unwrap();

    client.post("invoices").idempotency_key("k-1").send().await.unwrap();
    assert_eq!(hits(&server).await, 2);
    client.patch("items/1").idempotent(true).send().await.unwrap();
    assert_eq!(hits(&server).await, 4);
}

#[tokio::test(start_paused = true)]
async fn no_client_error_is_ever_retried_when_forbidden() {
    let _hold = hold();
    let server = MockServer::start().await;
    Mock::given(path("/limited"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "1"))
        .mount(&server)
        .await;
    Mock::given(path("/bad")).respond_with(ResponseTemplate::new(400)).mount(&server).await;
    Mock::given(path("/gone")).respond_with(ResponseTemplate::new(404)).mount(&server).await;
    let strict = builder(&server)
        .retry(RetryPolicy::default().with_jitter(false).with_retry_client_errors(false))
        .build()
        .unwrap();

    let err = strict.get("limited").send().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RateLimited);
    assert_eq!(hits(&server).await, 1);
    strict.get("bad").send().await.unwrap_err();
    assert_eq!(hits(&server).await, 2);
    strict.get("gone").send().await.unwrap_err();
    assert_eq!(hits(&server).await, 3);

    // The default policy does retry the 429.
    let lenient =
        builder(&server).retry(RetryPolicy::default().with_max_retries(1)).build().unwrap();
    lenient.get("limited").send().await.unwrap_err();
    assert_eq!(hits(&server).await, 5);
}

#[tokio::test(start_paused = true)]
async fn hung_upstream_times_out_then_recovers() {
    let _hold = hold_hung();
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ok().set_delay(HUNG))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET")).respond_with(ok()).mount(&server).await;
    let client = builder(&server).attempt_timeout(Duration::from_secs(5)).build().unwrap();

    let start = Instant::now();
    let body: Value = client.get("items").send_json().await.unwrap();
    assert_eq!(body["ok"], true);
    let elapsed = start.elapsed();
    assert!(elapsed >= Duration::from_secs(5) && elapsed < Duration::from_secs(6), "{elapsed:?}");
    assert_eq!(hits(&server).await, 2);
}

#[tokio::test(start_paused = true)]
async fn hung_upstream_without_recovery_is_a_timeout_error() {
    let _hold = hold_hung();
    let server = MockServer::start().await;
    Mock::given(method("GET")).respond_with(ok().set_delay(HUNG)).mount(&server).await;
    let client = builder(&server)
        .attempt_timeout(Duration::from_secs(5))
        .retry(RetryPolicy::default().with_jitter(false).with_max_retries(1))
        .build()
        .unwrap();
    let err = client.get("items").send().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert_eq!(err.connector(), Some("test"));
    assert_eq!(err.operation(), Some("GET /items"));
    assert_eq!(hits(&server).await, 2);
}

#[tokio::test(start_paused = true)]
async fn retries_are_bounded_by_count_and_deadline() {
    let _hold = hold();
    let server = MockServer::start().await;
    Mock::given(method("GET")).respond_with(ResponseTemplate::new(503)).mount(&server).await;

    let by_count = builder(&server)
        .retry(
            RetryPolicy::default()
                .with_jitter(false)
                .with_max_retries(3)
                .with_backoff(Duration::from_secs(1), Duration::from_secs(60)),
        )
        .build()
        .unwrap();
    let start = Instant::now();
    let err = by_count.get("x").send().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Upstream);
    assert_eq!(hits(&server).await, 4);
    assert_eq!(start.elapsed(), Duration::from_secs(1 + 2 + 4));

    let by_deadline = builder(&server)
        .retry(
            RetryPolicy::default()
                .with_jitter(true)
                .with_max_retries(1000)
                .with_backoff(Duration::from_secs(1), Duration::from_secs(4)),
        )
        .deadline(Duration::from_secs(30))
        .build()
        .unwrap();
    let start = Instant::now();
    by_deadline.get("x").send().await.unwrap_err();
    assert!(start.elapsed() <= Duration::from_secs(30), "{:?}", start.elapsed());
}
