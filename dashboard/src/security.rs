//! Who may use the dashboard, and from where: loopback by default, a token for anything
//! else, and state-changing requests only from the dashboard's own pages.
//!
//! - **Bind.** [`Access::check_bind`] refuses an address other than loopback without a token.
//! - **Token.** With one, every request carries it: `Authorization: Bearer <token>`, or the
//!   cookie a browser gets by opening any page once with `?token=<token>` (HttpOnly,
//!   SameSite=Lax, holding a hash of the token rather than the token; the address bar is
//!   then cleaned by a redirect).
//! - **Loopback.** Without a token, the peer must be a loopback address, no proxy header
//!   (`Forwarded`, `X-Forwarded-For`, `X-Real-IP`) may say the request came from elsewhere,
//!   and the `Host` header must name loopback too, so a web page whose DNS name points at
//!   127.0.0.1 (DNS rebinding) cannot read the dashboard.
//! - **Cross-site requests.** A POST needs an `Origin` (or `Sec-Fetch-Site: same-origin`)
//!   naming the dashboard itself and the form's `csrf` field, a random value of this
//!   server's pages; another origin's form or script cannot replay anything.
//! - **Headers.** Every answer forbids framing, scripts and foreign sources (CSP).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use connector_core::error::{Error, Result};
use ring::rand::{SecureRandom, SystemRandom};
use secrecy::{ExposeSecret, SecretString};

use crate::app::App;

/// The environment variable the CLI reads the dashboard's token from.
pub const TOKEN_ENV: &str = "CONNECTOR_DASHBOARD_TOKEN";

/// The cookie that carries the token for a browser.
const COOKIE: &str = "connector_dashboard";

/// Who may use the dashboard.
#[derive(Clone)]
pub struct Access {
    token: Option<SecretString>,
    csrf: Arc<str>,
}

impl std::fmt::Debug for Access {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Access").field("token", &self.token.as_ref().map(|_| "[REDACTED]")).finish()
    }
}

impl Default for Access {
    fn default() -> Self {
        Self::loopback_only()
    }
}

impl Access {
    /// No token: the dashboard serves loopback only.
    ///
    /// # Panics
    ///
    /// If the system's random source fails (the form value must not be predictable).
    pub fn loopback_only() -> Self {
        Self { token: None, csrf: random_hex().into() }
    }

    /// Every request must carry `token` (surrounding spaces dropped); any bind address is
    /// allowed. A token shorter than 16 characters, or with characters other than visible
    /// ASCII or with `;`, `,`, `"` or a backslash, is refused.
    pub fn token(token: SecretString) -> Result<Self> {
        let trimmed = token.expose_secret().trim();
        if trimmed.len() < 16 {
            return Err(Error::config("the dashboard's token must be at least 16 characters"));
        }
        if !trimmed.bytes().all(|b| b.is_ascii_graphic() && !b";,\"\\".contains(&b)) {
            return Err(Error::config(
                "the dashboard's token may hold visible ASCII characters only, without ; , \" or \\",
            ));
        }
        Ok(Self { token: Some(SecretString::from(trimmed.to_owned())), csrf: random_hex().into() })
    }

    /// The token from [`TOKEN_ENV`] if set, else loopback only.
    pub fn from_env() -> Result<Self> {
        match std::env::var(TOKEN_ENV) {
            Ok(t) if !t.trim().is_empty() => Self::token(SecretString::from(t.trim().to_owned())),
            _ => Ok(Self::loopback_only()),
        }
    }

    /// Whether a token is required.
    pub fn has_token(&self) -> bool {
        self.token.is_some()
    }

    /// Refuses to serve on an address other than loopback without a token.
    pub fn check_bind(&self, addr: SocketAddr) -> Result<()> {
        if addr.ip().is_loopback() || self.token.is_some() {
            return Ok(());
        }
        Err(Error::config(format!(
            "the dashboard serves {addr}, which is not loopback, only with a token: pass --token \
             or set {TOKEN_ENV} (or bind 127.0.0.1)"
        )))
    }

    /// The value every form of this server carries in its `csrf` field.
    pub(crate) fn csrf(&self) -> &str {
        &self.csrf
    }

    /// Whether `given` is this server's form value (constant time).
    pub(crate) fn csrf_ok(&self, given: &str) -> bool {
        same(given.as_bytes(), self.csrf.as_bytes())
    }

    /// What the browser's cookie holds: a hash of the token, so the cookie (which every
    /// service on the same host name receives) does not carry the token itself.
    fn cookie_value(&self) -> Option<String> {
        let token = self.token.as_ref()?;
        let digest = ring::digest::digest(
            &ring::digest::SHA256,
            format!("connector-dashboard:{}", token.expose_secret()).as_bytes(),
        );
        Some(hex(digest.as_ref()))
    }

    fn token_ok(&self, headers: &HeaderMap, query: Option<&str>) -> TokenCheck {
        let Some(token) = &self.token else { return TokenCheck::Ok };
        let expected = token.expose_secret().as_bytes();
        let in_query = query
            .into_iter()
            .flat_map(|q| q.split('&'))
            .filter_map(|p| p.strip_prefix("token="))
            .any(|t| same(t.as_bytes(), expected));
        if in_query {
            return TokenCheck::FromQuery;
        }
        let bearer = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if bearer.is_some_and(|b| same(b.trim().as_bytes(), expected)) {
            return TokenCheck::Ok;
        }
        let hashed = self.cookie_value().unwrap_or_default();
        let cookie = headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|c| c.trim().strip_prefix(COOKIE)?.strip_prefix('='))
            .any(|c| same(c.as_bytes(), hashed.as_bytes()));
        if cookie { TokenCheck::Ok } else { TokenCheck::Missing }
    }
}

enum TokenCheck {
    Ok,
    FromQuery,
    Missing,
}

/// Equal bytes, compared in time independent of where they differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn random_hex() -> String {
    let mut bytes = [0u8; 32];
    if SystemRandom::new().fill(&mut bytes).is_err() {
        // A predictable form value would let other sites post; there is no safe fallback.
        panic!("the system's random source failed: the dashboard cannot make its form value");
    }
    hex(&bytes)
}

/// Bytes as lower-case hex digits.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Headers a proxy adds to say whom it forwards for.
const PROXY_HEADERS: [&str; 3] = ["forwarded", "x-forwarded-for", "x-real-ip"];

/// Whether a request without a token may be served: from a loopback peer, not forwarded,
/// and naming loopback in `Host`.
fn loopback_request(req: &Request) -> bool {
    let peer = req.extensions().get::<ConnectInfo<std::net::SocketAddr>>().map(|c| c.0);
    let host = req.headers().get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
    peer.is_some_and(|p| p.ip().is_loopback())
        && PROXY_HEADERS.iter().all(|h| !req.headers().contains_key(*h))
        && loopback_host(host)
}

/// The address to send a browser to after taking its `?token=`: the same path (one leading
/// slash, so never another host) and the other query pairs.
fn without_token(path: &str, query: Option<&str>) -> String {
    let path = format!("/{}", path.trim_start_matches('/'));
    let rest: Vec<&str> = query
        .into_iter()
        .flat_map(|q| q.split('&'))
        .filter(|p| !p.is_empty() && !p.starts_with("token="))
        .collect();
    if rest.is_empty() { path } else { format!("{path}?{}", rest.join("&")) }
}

/// Whether a `Host` header names loopback (`127.0.0.1:8080`, `localhost`, `[::1]:80`).
fn loopback_host(host: &str) -> bool {
    let name = match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    };
    let name = name.trim_start_matches('[').trim_end_matches(']');
    name.eq_ignore_ascii_case("localhost")
        || name.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Whether a state-changing request comes from the dashboard's own pages.
fn same_origin(headers: &HeaderMap) -> bool {
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    match (headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()), host) {
        (Some(origin), Some(host)) => {
            origin.strip_prefix("http://").or_else(|| origin.strip_prefix("https://")) == Some(host)
        }
        (Some(_), None) => false,
        (None, _) => headers
            .get("sec-fetch-site")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v == "same-origin"),
    }
}

/// The middleware every request passes.
pub(crate) async fn guard(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    if !app.access.has_token() && !loopback_request(&req) {
        return refuse(StatusCode::FORBIDDEN, "This dashboard answers only on loopback.");
    }
    match app.access.token_ok(req.headers(), req.uri().query()) {
        TokenCheck::Ok => {}
        TokenCheck::FromQuery if req.method() == Method::GET => {
            // Keep (a hash of) the token in a cookie and take it out of the address bar.
            let to = without_token(req.uri().path(), req.uri().query());
            let mut r = Redirect::to(&to).into_response();
            if let Some(Ok(v)) = app.access.cookie_value().map(|c| {
                HeaderValue::from_str(&format!("{COOKIE}={c}; HttpOnly; SameSite=Lax; Path=/"))
            }) {
                r.headers_mut().insert(header::SET_COOKIE, v);
            }
            return r;
        }
        TokenCheck::FromQuery | TokenCheck::Missing => {
            return refuse(
                StatusCode::UNAUTHORIZED,
                "This dashboard needs its token: open it once with ?token=… or send \
                 Authorization: Bearer ….",
            );
        }
    }
    if req.method() != Method::GET && req.method() != Method::HEAD && !same_origin(req.headers()) {
        return refuse(
            StatusCode::FORBIDDEN,
            "Refused: the request did not come from this dashboard.",
        );
    }
    let mut response = next.run(req).await;
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

fn refuse(status: StatusCode, why: &'static str) -> Response {
    (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], why).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binds_elsewhere_only_with_a_token() {
        let open = Access::loopback_only();
        assert!(open.check_bind("127.0.0.1:0".parse().unwrap()).is_ok());
        assert!(open.check_bind("[::1]:0".parse().unwrap()).is_ok());
        let e = open.check_bind("0.0.0.0:8080".parse().unwrap()).unwrap_err();
        assert!(e.to_string().contains("not loopback"), "{e}");
        let closed = Access::token(SecretString::from("  a-token-of-some-length\n")).unwrap();
        assert!(closed.check_bind("0.0.0.0:8080".parse().unwrap()).is_ok());
        assert_eq!(closed.token.as_ref().unwrap().expose_secret(), "a-token-of-some-length");
        assert!(Access::token(SecretString::from("short")).is_err());
        assert!(Access::token(SecretString::from("a token; of some length")).is_err());
        let hashed = closed.cookie_value().unwrap();
        assert_eq!(hashed.len(), 64);
        assert!(!hashed.contains("a-token"));
        assert!(!format!("{closed:?}").contains("a-token"));
    }

    #[test]
    fn hosts_and_origins() {
        for h in ["127.0.0.1:8080", "localhost:1", "LOCALHOST", "[::1]:9", "127.0.0.2"] {
            assert!(loopback_host(h), "{h}");
        }
        for h in ["evil.example:8080", "10.0.0.1", "", "127.0.0.1.evil.example"] {
            assert!(!loopback_host(h), "{h}");
        }
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("127.0.0.1:8080"));
        assert!(!same_origin(&h), "no Origin and no Sec-Fetch-Site");
        h.insert("sec-fetch-site", HeaderValue::from_static("same-origin"));
        assert!(same_origin(&h));
        h.insert(header::ORIGIN, HeaderValue::from_static("http://evil.example"));
        assert!(!same_origin(&h), "Origin wins over Sec-Fetch-Site");
        h.insert(header::ORIGIN, HeaderValue::from_static("http://127.0.0.1:8080"));
        assert!(same_origin(&h));
    }

    #[test]
    fn the_redirect_after_a_token_stays_here_and_keeps_the_rest() {
        assert_eq!(without_token("/quarantine", Some("token=x")), "/quarantine");
        assert_eq!(without_token("//evil.example/", Some("token=x")), "/evil.example/");
        let kept = without_token("/flows/a/records", Some("key=C-1&token=x"));
        assert_eq!(kept, "/flows/a/records?key=C-1");
    }

    #[test]
    fn csrf_values_are_random_and_compared_whole() {
        let a = Access::loopback_only();
        assert_eq!(a.csrf().len(), 64);
        assert_ne!(a.csrf(), Access::loopback_only().csrf());
        assert!(a.csrf_ok(a.csrf()));
        assert!(!a.csrf_ok(&a.csrf()[..63]));
        assert!(!a.csrf_ok(""));
    }
}
