//! The HTTP side: the API key header, the interface's error body (`{"error": "…"}`).

use std::time::Duration;

use connector_core::http::{HeaderMap, HttpClient, RetryPolicy, body_excerpt};
use connector_core::{Error, FieldError, Result};
use secrecy::ExposeSecret;

use crate::config::PartsPimConfig;

/// The connector's name.
pub const NAME: &str = "parts-pim";

/// A non-2xx answer as an error; the interface's `error` text is the message and, for a
/// refused write, the field error.
pub fn refine_error(status: u16, _headers: &HeaderMap, body: &[u8]) -> Error {
    let text = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_owned));
    let head = text.clone().unwrap_or_else(|| body_excerpt(body));
    let mut e = Error::from_status(status, format!("Parts PIM answered {status}: {head}"));
    if let (Some(t), 400..=499) = (text, status) {
        e = e.with_field_errors(vec![FieldError::new("record", t)]);
    }
    e.with_connector(NAME)
}

/// The HTTP client of a configuration (no I/O).
pub fn http(config: &PartsPimConfig) -> Result<HttpClient> {
    HttpClient::builder(NAME, format!("{}/", config.base_url))
        .retry(RetryPolicy::default().with_retry_client_errors(false))
        .attempt_timeout(Duration::from_secs(60))
        .error_refiner(refine_error)
        .default_header("accept", "application/json")
        .default_header("x-api-key", config.api_key.expose_secret())
        .build()
}
