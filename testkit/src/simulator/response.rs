//! [`SimResponse`]: what a simulator handler answers.

use std::borrow::Cow;

use bytes::Bytes;
use hyper::StatusCode;
use hyper::header::{CONTENT_TYPE, HeaderMap, HeaderValue};
use serde_json::{Value, json};

use super::header_pair;

const JSON: &str = "application/json; charset=utf-8";
const TEXT: &str = "text/plain; charset=utf-8";

/// An HTTP response from a simulator.
#[derive(Debug, Clone)]
pub struct SimResponse {
    /// The status.
    pub status: StatusCode,
    /// The headers (`Content-Length` is set by the server).
    pub headers: HeaderMap,
    /// The body.
    pub body: Bytes,
}

impl SimResponse {
    /// A response with `status` (an invalid code becomes 500), no headers and no body.
    pub fn empty(status: u16) -> Self {
        SimResponse {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            headers: HeaderMap::new(),
            body: Bytes::new(),
        }
    }

    /// A JSON response serialised from `value`.
    pub fn json(status: u16, value: Value) -> Self {
        Self::raw_json(status, &value.to_string())
    }

    /// A JSON response with hand-written JSON text, sent byte for byte (fixtures, odd number
    /// formats, `/Date(...)/` strings).
    pub fn raw_json(status: u16, json: &str) -> Self {
        Self::with_body(status, JSON, json.to_owned())
    }

    /// A plain-text response.
    pub fn text(status: u16, text: &str) -> Self {
        Self::with_body(status, TEXT, text.to_owned())
    }

    /// The kit's own error body `{"error": code, "message": message}`, used for unknown routes
    /// and injected faults.
    pub fn error(status: u16, code: &str, message: &str) -> Self {
        Self::json(status, json!({ "error": code, "message": message }))
    }

    fn with_body(status: u16, content_type: &'static str, body: String) -> Self {
        let mut response = Self::empty(status);
        response.headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        response.body = Bytes::from(body);
        response
    }

    /// Adds a header, keeping any earlier value of the same name (an invalid name or value is
    /// ignored with a warning).
    #[must_use]
    pub fn with_header(mut self, name: &str, value: impl ToString) -> Self {
        if let Some((n, v)) = header_pair(name, &value.to_string()) {
            self.headers.append(n, v);
        }
        self
    }

    /// Sets a header, replacing any earlier value of the same name.
    #[must_use]
    pub fn set_header(mut self, name: &str, value: impl ToString) -> Self {
        if let Some((n, v)) = header_pair(name, &value.to_string()) {
            self.headers.insert(n, v);
        }
        self
    }

    /// Replaces the status (an invalid code becomes 500).
    #[must_use]
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        self
    }

    /// The status as a number.
    pub fn status(&self) -> u16 {
        self.status.as_u16()
    }

    /// The first value of header `name`, if it is visible text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn text_body(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
    }

    /// The body parsed as a JSON value.
    pub fn json_value(&self) -> Result<Value, serde_json::Error> {
        serde_json::from_slice(&self.body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_responses() {
        let r = SimResponse::raw_json(201, r#"{"d":{"Modified":"/Date(1641034800000)/"}}"#)
            .with_header("Retry-After", 3)
            .with_header("bad header", "x");
        assert_eq!(r.status(), 201);
        assert_eq!(r.header("retry-after"), Some("3"));
        assert_eq!(r.header("content-type"), Some(JSON));
        assert_eq!(r.json_value().unwrap()["d"]["Modified"], "/Date(1641034800000)/");
        assert_eq!(SimResponse::empty(1000).status(), 500);
        assert!(SimResponse::empty(204).body.is_empty());
    }
}
