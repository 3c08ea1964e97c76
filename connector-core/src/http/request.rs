//! Building one request, and the response it gets.

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};

use super::client::{HttpClient, Prepared};
use super::redact::redact_headers;

/// A request being built: method, URL, query, headers, body, and how it may be retried.
/// Send it with [`send`](RequestBuilder::send) or [`send_json`](RequestBuilder::send_json).
#[must_use = "a request does nothing until it is sent"]
pub struct RequestBuilder {
    client: HttpClient,
    method: Method,
    url: Result<Url>,
    headers: HeaderMap,
    body: Option<Vec<u8>>,
    operation: Option<Cow<'static, str>>,
    idempotent: Option<bool>,
    has_key: bool,
    attempt_timeout: Option<Duration>,
    deadline: Option<Option<Duration>>,
    error: Option<Error>,
}

impl RequestBuilder {
    pub(crate) fn new(client: HttpClient, method: Method, url: Result<Url>) -> Self {
        Self {
            client,
            method,
            url,
            headers: HeaderMap::new(),
            body: None,
            operation: None,
            idempotent: None,
            has_key: false,
            attempt_timeout: None,
            deadline: None,
            error: None,
        }
    }

    fn fail(mut self, e: Error) -> Self {
        self.error.get_or_insert(e);
        self
    }

    /// Appends a query parameter (percent-encoded).
    pub fn query(mut self, name: &str, value: impl fmt::Display) -> Self {
        if let Ok(url) = &mut self.url {
            url.query_pairs_mut().append_pair(name, &value.to_string());
        }
        self
    }

    /// Appends several query parameters.
    pub fn query_pairs<I, K, V>(mut self, pairs: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        if let Ok(url) = &mut self.url {
            url.query_pairs_mut().extend_pairs(pairs);
        }
        self
    }

    /// Sets a header (replacing the client's default of the same name). An invalid name
    /// or value makes `send` fail with a configuration error.
    pub fn header(self, name: &str, value: &str) -> Self {
        let Ok(name) = HeaderName::from_bytes(name.as_bytes()) else {
            return self.fail(Error::config(format!("{name:?} is not a valid header name")));
        };
        match HeaderValue::from_str(value) {
            Ok(v) => self.header_value(name, v),
            Err(_) => self.fail(Error::config(format!("the value of header {name} is not valid"))),
        }
    }

    /// Sets a header from typed parts.
    pub fn header_value(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.insert(name, value);
        self
    }

    /// Sets a JSON body (and `Content-Type: application/json`).
    pub fn json<T: Serialize + ?Sized>(self, body: &T) -> Self {
        match serde_json::to_vec(body) {
            Ok(bytes) => self.body(bytes, "application/json"),
            Err(e) => self.fail(Error::invalid_field("body", format!("not serialisable: {e}"))),
        }
    }

    /// Sets a raw body and its content type.
    pub fn body(mut self, bytes: impl Into<Vec<u8>>, content_type: &str) -> Self {
        self.body = Some(bytes.into());
        match HeaderValue::from_str(content_type) {
            Ok(v) => self.header_value(CONTENT_TYPE, v),
            Err(_) => self.fail(Error::config("invalid content type")),
        }
    }

    /// Sets the idempotency key header (`Idempotency-Key` unless the client names another)
    /// and marks the request safe to retry.
    pub fn idempotency_key(mut self, key: impl AsRef<str>) -> Self {
        let name = self.client.idempotency_header().clone();
        match HeaderValue::from_str(key.as_ref()) {
            Ok(v) => {
                self.has_key = true;
                self.header_value(name, v)
            }
            Err(_) => {
                self.fail(Error::invalid_field("idempotency_key", "not a valid header value"))
            }
        }
    }

    /// Overrides whether the request is safe to send twice (by default: `GET`, `HEAD`,
    /// `PUT`, `DELETE`, `OPTIONS`, and anything with an idempotency key).
    pub fn idempotent(mut self, idempotent: bool) -> Self {
        self.idempotent = Some(idempotent);
        self
    }

    /// Names the operation in errors and logs (`GET /Contacts`); by default the method and
    /// the URL path.
    pub fn operation(mut self, operation: impl Into<Cow<'static, str>>) -> Self {
        self.operation = Some(operation.into());
        self
    }

    /// Overrides the client's per-attempt timeout.
    pub fn attempt_timeout(mut self, timeout: Duration) -> Self {
        self.attempt_timeout = Some(timeout);
        self
    }

    /// Overrides the client's total deadline (`None`: no deadline).
    pub fn deadline(mut self, deadline: Option<Duration>) -> Self {
        self.deadline = Some(deadline);
        self
    }

    fn prepare(self) -> Result<(HttpClient, Prepared)> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let url = self.url?;
        let method_idempotent = matches!(
            self.method,
            Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS
        );
        let operation =
            self.operation.unwrap_or_else(|| Cow::Owned(format!("{} {}", self.method, url.path())));
        let prepared = Prepared {
            idempotent: self.idempotent.unwrap_or(method_idempotent || self.has_key),
            attempt_timeout: self.attempt_timeout.unwrap_or(self.client.attempt_timeout()),
            deadline: self.deadline.unwrap_or(self.client.deadline()),
            method: self.method,
            url,
            headers: self.headers,
            body: self.body,
            operation,
        };
        Ok((self.client, prepared))
    }

    /// Sends the request through the pipeline; a non-2xx answer is an [`Error`].
    pub async fn send(self) -> Result<Response> {
        let (client, prepared) = self.prepare()?;
        client.execute(prepared, Ok).await
    }

    /// Sends the request and decodes a JSON body. An empty body decodes as `null`. A body
    /// that does not decode is a [`Decode`](crate::ErrorKind::Decode) error naming the
    /// operation, retried like a transient failure when the request is idempotent.
    pub async fn send_json<T: DeserializeOwned + Send>(self) -> Result<T> {
        let (client, prepared) = self.prepare()?;
        client.execute(prepared, |r: Response| r.json::<T>()).await
    }
}

impl fmt::Debug for RequestBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestBuilder")
            .field("method", &self.method)
            .field("url", &self.url.as_ref().map(super::redact_url).ok())
            .field("headers", &redact_headers(&self.headers))
            .field("body_len", &self.body.as_ref().map(Vec::len))
            .field("operation", &self.operation)
            .finish_non_exhaustive()
    }
}

/// A response: status, headers and the whole body.
#[derive(Clone)]
pub struct Response {
    status: u16,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Response {
    /// A response (for tests and custom transports).
    pub fn new(status: u16, headers: HeaderMap, body: Vec<u8>) -> Self {
        Self { status, headers, body }
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// A header's value as text, if present and valid.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)?.to_str().ok()
    }

    /// The body.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The body, owned.
    pub fn into_body(self) -> Vec<u8> {
        self.body
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Decodes the JSON body; an empty body decodes as `null`.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        let body: &[u8] =
            if self.body.iter().all(u8::is_ascii_whitespace) { b"null" } else { &self.body };
        serde_json::from_slice(body).map_err(|e| {
            Error::decode(format!("the response is not a valid {}: {e}", short_type_name::<T>()))
        })
    }
}

fn short_type_name<T>() -> String {
    let full = std::any::type_name::<T>();
    let base = full.split('<').next().unwrap_or(full);
    let short = base.rsplit("::").next().unwrap_or(base);
    if base.len() == full.len() { short.to_owned() } else { format!("{short}<…>") }
}

impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("headers", &redact_headers(&self.headers))
            .field("body_len", &self.body.len())
            .finish()
    }
}
