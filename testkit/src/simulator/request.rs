//! [`SimRequest`]: the request a simulator handler sees.

use std::borrow::Cow;

use bytes::Bytes;
use hyper::Method;
use hyper::header::{AUTHORIZATION, HeaderMap};
use serde::de::DeserializeOwned;

use super::header_pair;

/// An HTTP request received by a simulator, with its body read in full.
#[derive(Debug, Clone)]
pub struct SimRequest {
    /// The method (`GET`, `POST`, ...).
    pub method: Method,
    /// The path as sent, still percent-encoded (`/api/v1/42/crm/Accounts`).
    pub path: String,
    /// The query string as sent, without the `?`.
    pub raw_query: Option<String>,
    /// The query pairs, decoded (`+` and `%XX`), in order.
    pub query: Vec<(String, String)>,
    /// The headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Bytes,
}

impl SimRequest {
    /// A request for `method` and `target` (a path with an optional `?query`), with no headers
    /// and no body: handy for testing a handler without a server.
    pub fn new(method: Method, target: &str) -> Self {
        let (path, raw_query) = match target.split_once('?') {
            Some((p, q)) => (p, Some(q.to_owned())),
            None => (target, None),
        };
        let query = raw_query.as_deref().map(decode_form).unwrap_or_default();
        SimRequest {
            method,
            path: if path.is_empty() { "/".to_owned() } else { path.to_owned() },
            raw_query,
            query,
            headers: HeaderMap::new(),
            body: Bytes::new(),
        }
    }

    /// Adds a header (an invalid name or value is ignored with a warning).
    #[must_use]
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        if let Some((n, v)) = header_pair(name, value) {
            self.headers.append(n, v);
        }
        self
    }

    /// Sets the body.
    #[must_use]
    pub fn with_body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }

    /// Sets a JSON body and its content type.
    #[must_use]
    pub fn with_json(self, value: &serde_json::Value) -> Self {
        self.with_header("content-type", "application/json").with_body(value.to_string())
    }

    /// The first value of query parameter `name` (case-sensitive, as OData's `$filter` is).
    pub fn query(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// Every value of query parameter `name`, in order.
    pub fn query_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.query.iter().filter(move |(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The first value of header `name` (case-insensitive), if it is visible text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The token of an `Authorization: Bearer <token>` header.
    pub fn bearer_token(&self) -> Option<&str> {
        let value = self.headers.get(AUTHORIZATION)?.to_str().ok()?.trim();
        let (scheme, token) = value.split_once(' ')?;
        let token = token.trim();
        (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
    }

    /// The body parsed as JSON into `T`.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_slice(&self.body)
    }

    /// The body parsed as a JSON value.
    pub fn json_value(&self) -> Result<serde_json::Value, serde_json::Error> {
        self.json()
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
    }

    /// The body decoded as `application/x-www-form-urlencoded` pairs (OAuth token requests).
    pub fn form(&self) -> Vec<(String, String)> {
        decode_form(&self.text())
    }

    /// The first value of form field `name` in the body.
    pub fn form_value(&self, name: &str) -> Option<String> {
        self.form().into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }
}

/// Decodes `a=1&b=x+y` pairs: `+` is a space, `%XX` a byte; a key without `=` has an empty
/// value.
pub(crate) fn decode_form(s: &str) -> Vec<(String, String)> {
    s.split('&')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let (k, v) = part.split_once('=').unwrap_or((part, ""));
            (percent_decode(&k.replace('+', " ")), percent_decode(&v.replace('+', " ")))
        })
        .collect()
}

/// Decodes `%XX` escapes (of a path segment, say); malformed escapes are kept as they are,
/// invalid UTF-8 is replaced.
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| bytes.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(b) => {
                out.push(b);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_queries() {
        let req = SimRequest::new(
            Method::GET,
            "/x?%24filter=Timestamp+gt+5L&%24select=ID,Name&flag&a=%E2%82%AC&bad=%zz",
        );
        assert_eq!(req.query("$filter"), Some("Timestamp gt 5L"));
        assert_eq!(req.query("$select"), Some("ID,Name"));
        assert_eq!(req.query("flag"), Some(""));
        assert_eq!(req.query("a"), Some("€"));
        assert_eq!(req.query("bad"), Some("%zz"));
        assert_eq!(req.path, "/x");
    }

    #[test]
    fn reads_bearer_tokens_and_forms() {
        let req = SimRequest::new(Method::POST, "/token")
            .with_header("Authorization", "bearer abc ")
            .with_body("grant_type=refresh_token&refresh_token=r%2B1");
        assert_eq!(req.bearer_token(), Some("abc"));
        assert_eq!(req.form_value("refresh_token").as_deref(), Some("r+1"));
        let basic = SimRequest::new(Method::GET, "/").with_header("authorization", "Basic x");
        assert_eq!(basic.bearer_token(), None);
    }
}
