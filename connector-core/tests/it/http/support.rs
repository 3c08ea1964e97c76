//! Shared helpers of the HTTP tests.

use std::time::Duration;

use connector_core::http::{HttpClient, HttpClientBuilder, RetryPolicy};
use connector_core::test_util::{PausedClockIo, hold_paused_clock_during_io};
use wiremock::MockServer;

/// Keeps the paused clock still while a request is on the wire (2 s of real time at most).
pub fn hold() -> PausedClockIo {
    hold_paused_clock_during_io(Duration::from_secs(2))
}

/// For tests with a hung server: a request unanswered after 500 ms of real time is hung.
pub fn hold_hung() -> PausedClockIo {
    hold_paused_clock_during_io(Duration::from_millis(500))
}

/// How long a "hung" server takes to answer, in real time (longer than `hold_hung`).
pub const HUNG: Duration = Duration::from_secs(3);

/// A builder pointed at the mock server, with deterministic backoff (no jitter).
pub fn builder(server: &MockServer) -> HttpClientBuilder {
    HttpClient::builder("test", server.uri()).retry(
        RetryPolicy::default()
            .with_jitter(false)
            .with_backoff(Duration::from_millis(100), Duration::from_secs(10)),
    )
}

/// How many requests the server received.
pub async fn hits(server: &MockServer) -> usize {
    server.received_requests().await.map_or(0, |r| r.len())
}

/// How many requests the server received on `path`.
pub async fn hits_on(server: &MockServer, path: &str) -> usize {
    server
        .received_requests()
        .await
        .map_or(0, |r| r.iter().filter(|r| r.url.path() == path).count())
}
