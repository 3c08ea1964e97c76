//! Redaction of secrets in URLs, headers and bodies before anything is logged or put in an
//! error message.

use reqwest::Url;
use reqwest::header::HeaderMap;

/// What replaces a secret.
pub const REDACTED: &str = "REDACTED";

/// Longest body excerpt kept in an error message, in characters.
const MAX_EXCERPT: usize = 512;

/// Parameter and field names that always hold a secret.
const SECRET_NAMES: &[&str] =
    &["code", "key", "sig", "pwd", "pass", "assertion", "client_assertion", "otp", "pin"];

/// Fragments that mark a name as secret wherever they appear in it.
const SECRET_FRAGMENTS: &[&str] = &[
    "token",
    "secret",
    "password",
    "passwd",
    "apikey",
    "api_key",
    "api-key",
    "signature",
    "authorization",
    "cookie",
    "session",
    "ticket",
    "credential",
    "private",
];

/// Names that look secret but are not (OData's `$skiptoken`, idempotency keys).
const NOT_SECRET: &[&str] = &["idempotency-key", "idempotency_key"];

/// Whether a query parameter, form field or JSON key of this name holds a secret
/// (`access_token`, `api_key`, `client_secret`, `code`, `refresh_token`, `password`...).
pub fn is_sensitive_name(name: &str) -> bool {
    let lower = name.trim().to_ascii_lowercase();
    if lower.starts_with('$') || NOT_SECRET.contains(&lower.as_str()) {
        return false;
    }
    SECRET_NAMES.contains(&lower.as_str()) || SECRET_FRAGMENTS.iter().any(|f| lower.contains(f))
}

/// Whether a header of this name carries credentials (`Authorization`, `Cookie`,
/// `x-api-key`, `SO-AppToken`...).
pub fn is_sensitive_header(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    if NOT_SECRET.contains(&lower.as_str()) {
        return false;
    }
    lower == "proxy-authorization" || lower.ends_with("-key") || is_sensitive_name(&lower)
}

/// The URL as text with user info removed and the values of sensitive query parameters
/// replaced by `REDACTED`. Use it for every URL that is logged or put in a message.
pub fn redact_url(url: &Url) -> String {
    let mut u = url.clone();
    if !u.username().is_empty() {
        let _ = u.set_username(REDACTED);
    }
    if u.password().is_some() {
        let _ = u.set_password(None);
    }
    u.set_fragment(None);
    if u.query().is_some() {
        let pairs: Vec<(String, String)> = u
            .query_pairs()
            .map(|(k, v)| {
                let v = if is_sensitive_name(&k) { REDACTED.to_owned() } else { v.into_owned() };
                (k.into_owned(), v)
            })
            .collect();
        if pairs.is_empty() {
            u.set_query(None);
        } else {
            u.query_pairs_mut().clear().extend_pairs(pairs);
        }
    }
    u.to_string()
}

/// Header names and values for a log line or a `Debug` impl, sensitive values replaced.
pub fn redact_headers(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            let shown = if value.is_sensitive() || is_sensitive_header(name.as_str()) {
                REDACTED.to_owned()
            } else {
                String::from_utf8_lossy(value.as_bytes()).into_owned()
            };
            (name.as_str().to_owned(), shown)
        })
        .collect()
}

/// A short, redacted excerpt of a response body for an error message: sensitive JSON
/// fields and `name=value` pairs are replaced and the text is cut to a few hundred
/// characters.
pub fn body_excerpt(body: &[u8]) -> String {
    if body.is_empty() {
        return String::new();
    }
    let text = match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(mut value) => {
            redact_json(&mut value);
            value.to_string()
        }
        Err(_) => redact_form_text(&String::from_utf8_lossy(body)),
    };
    truncate(text.trim(), MAX_EXCERPT)
}

/// Replaces the values of sensitive keys in a JSON value, recursively.
pub fn redact_json(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                if is_sensitive_name(k) && !v.is_null() {
                    *v = serde_json::Value::String(REDACTED.to_owned());
                } else {
                    redact_json(v);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(redact_json),
        _ => {}
    }
}

/// Redacts `name=value` pairs with sensitive names in free text.
fn redact_form_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, part) in text.split('&').enumerate() {
        if i > 0 {
            out.push('&');
        }
        match part.split_once('=') {
            Some((name, _))
                if is_sensitive_name(name.rsplit([' ', '?', '\n']).next().unwrap_or(name)) =>
            {
                out.push_str(name);
                out.push('=');
                out.push_str(REDACTED);
            }
            _ => out.push_str(part),
        }
    }
    out
}

/// The secret values a request carries: values of sensitive headers (and each long word
/// of them, so `Bearer <token>` yields the token) and of sensitive query parameters.
pub(crate) fn secret_values(headers: &HeaderMap, url: &Url) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = Vec::new();
    for (name, value) in headers {
        if value.is_sensitive() || is_sensitive_header(name.as_str()) {
            let bytes = value.as_bytes();
            out.push(bytes.to_vec());
            out.extend(
                bytes.split(u8::is_ascii_whitespace).filter(|w| w.len() >= 8).map(<[u8]>::to_vec),
            );
        }
    }
    out.extend(
        url.query_pairs().filter(|(k, _)| is_sensitive_name(k)).map(|(_, v)| v.as_bytes().to_vec()),
    );
    out.retain(|s| s.len() >= 4);
    out.sort_by_key(|s| std::cmp::Reverse(s.len()));
    out.dedup();
    out
}

/// Replaces every occurrence of the given secret values in a body by `REDACTED`, for
/// servers that echo the credentials they received.
pub(crate) fn scrub<'a>(body: &'a [u8], secrets: &[Vec<u8>]) -> std::borrow::Cow<'a, [u8]> {
    let found = secrets.iter().any(|s| body.windows(s.len()).any(|w| w == s.as_slice()));
    if !found {
        return std::borrow::Cow::Borrowed(body);
    }
    let mut out = body.to_vec();
    for secret in secrets {
        let mut scrubbed = Vec::with_capacity(out.len());
        let mut i = 0;
        while i < out.len() {
            if out[i..].starts_with(secret) {
                scrubbed.extend_from_slice(REDACTED.as_bytes());
                i += secret.len();
            } else {
                scrubbed.push(out[i]);
                i += 1;
            }
        }
        out = scrubbed;
    }
    std::borrow::Cow::Owned(out)
}

/// Cuts `s` to at most `max` characters, marking the cut.
pub(crate) fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sensitive_names() {
        for n in [
            "access_token",
            "refresh_token",
            "api_key",
            "client_secret",
            "code",
            "password",
            "Authorization",
            "x-api-key",
        ] {
            assert!(is_sensitive_name(n) || is_sensitive_header(n), "{n}");
        }
        for n in ["page", "$skiptoken", "where", "pageSize", "Idempotency-Key", "oauth_problem"] {
            assert!(!is_sensitive_name(n), "{n}");
        }
        assert!(is_sensitive_header("SO-AppToken"));
        assert!(is_sensitive_header("x-api-key"));
        assert!(!is_sensitive_header("x-api-client"));
        assert!(!is_sensitive_header("xero-tenant-id"));
        assert!(!is_sensitive_header("idempotency-key"));
    }

    #[test]
    fn urls_lose_secrets() {
        let u = Url::parse(
            "https://user:pw@h.example/p?page=2&access_token=SEKRIT&api_key=K1&code=C0DE#frag",
        )
        .unwrap();
        let s = redact_url(&u);
        for secret in ["SEKRIT", "K1", "C0DE", "pw", "user", "frag"] {
            assert!(!s.contains(secret), "{s}");
        }
        assert!(s.contains("page=2"), "{s}");
        assert!(s.contains("access_token=REDACTED"), "{s}");
    }

    #[test]
    fn bodies_lose_secrets() {
        let b =
            br#"{"error":"invalid_grant","refresh_token":"RT-SECRET","nested":[{"password":"P"}]}"#;
        let s = body_excerpt(b);
        assert!(!s.contains("RT-SECRET") && !s.contains("\"P\""), "{s}");
        assert!(s.contains("invalid_grant"), "{s}");
        let s = body_excerpt(b"grant_type=refresh_token&refresh_token=RT2&client_id=abc");
        assert!(!s.contains("RT2"), "{s}");
        assert!(s.contains("client_id=abc"), "{s}");
        let long = "x".repeat(2000);
        assert!(body_excerpt(long.as_bytes()).chars().count() <= MAX_EXCERPT + 1);
    }

    #[test]
    fn echoed_secrets_are_scrubbed() {
        let mut h = HeaderMap::new();
        let mut v: reqwest::header::HeaderValue = "Bearer TOKEN-12345".parse().unwrap();
        v.set_sensitive(true);
        h.insert("authorization", v);
        let url = Url::parse("https://h/x?api_key=KEY-999&page=2").unwrap();
        let secrets = secret_values(&h, &url);
        let body = b"bad token TOKEN-12345 for key KEY-999 on page 2";
        let out = scrub(body, &secrets);
        let out = String::from_utf8_lossy(&out);
        assert!(!out.contains("TOKEN-12345") && !out.contains("KEY-999"), "{out}");
        assert!(out.contains("page 2"), "{out}");
        assert!(matches!(scrub(b"clean", &secrets), std::borrow::Cow::Borrowed(_)));
    }

    #[test]
    fn headers_are_redacted() {
        let mut h = HeaderMap::new();
        h.insert("authorization", "Bearer T0K".parse().unwrap());
        h.insert("x-api-client", "demo".parse().unwrap());
        let shown = redact_headers(&h);
        assert!(shown.iter().all(|(_, v)| !v.contains("T0K")));
        assert!(shown.iter().any(|(_, v)| v == "demo"));
    }
}
