//! The connection: OAuth2 with rotating refresh tokens (saved before use, one refresh at a
//! time, never earlier than 570 s after the last), the division from `current/Me`, the
//! per-division budget (60 a minute, 5,000 a day) fed by the `X-RateLimit-*` headers, no
//! retry of any `4xx` but a minutely `429` (waited out until its reset), and Exact's error
//! bodies.

use std::sync::Arc;
use std::time::Duration;

use connector_core::http::{
    ClientAuthMethod, HeaderMap, HttpClient, MemoryTokenStore, OAuth2, RateBudget, RetryPolicy,
    TokenEndpoint, TokenSet, TokenStore, Url, body_excerpt,
};
use connector_core::{Error, ErrorKind, FieldError, Result};
use futures_util::stream::{self, BoxStream, StreamExt};
use secrecy::SecretString;
use serde_json::Value;

use crate::config::ExactConfig;
use crate::limits;
use crate::wire;
use tokio::sync::OnceCell;

/// The connector's name.
pub const NAME: &str = "exact-online";

/// Exact refuses a new access token earlier than this after the last one.
pub const MIN_REFRESH_INTERVAL: Duration = Duration::from_secs(570);

/// A connection to one Exact Online division, shared by every source and sink of a run so
/// the rotating refresh token is renewed in one place. Made without I/O; the session (token,
/// division) is opened on first use, once.
#[derive(Debug, Clone)]
pub struct ExactClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: ExactConfig,
    auth: Arc<OAuth2>,
    store: Arc<dyn TokenStore>,
    session: OnceCell<Session>,
}

/// What connecting found: the division and its HTTP client and budget.
#[derive(Debug)]
struct Session {
    http: HttpClient,
    division: i64,
    budget: RateBudget,
}

/// One budget per division (and app), shared by every client of the process.
fn shared_budget(key: &str) -> RateBudget {
    RateBudget::shared(&format!("exact-online:{key}"), limits::division_budget)
}

fn token_endpoint(config: &ExactConfig) -> Result<TokenEndpoint> {
    Ok(TokenEndpoint::new(&config.token_url, config.client_id.clone())?
        .client_secret(config.client_secret.clone())
        .client_auth(ClientAuthMethod::RequestBody)
        .connector(NAME))
}

/// Exchanges an authorization code (single use) for tokens and saves them to `store`: the
/// first step of connecting a division.
pub async fn exchange_authorization_code(
    config: &ExactConfig,
    store: &dyn TokenStore,
    code: &SecretString,
    redirect_uri: &str,
) -> Result<TokenSet> {
    let answer = token_endpoint(config)?.exchange_code(code, redirect_uri, None).await?;
    store.save(&answer.tokens).await?;
    Ok(answer.tokens)
}

fn header_num(headers: &HeaderMap, name: &str) -> Option<i64> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

/// Turns a non-2xx Exact answer into an error: the `error.message.value` text (plus the
/// `Reason` header) becomes the message and a field error; a `429` carries the time until
/// the minutely (or daily) reset, and a spent daily budget is [`ErrorKind::BudgetExhausted`].
pub fn refine_error(status: u16, headers: &HeaderMap, body: &[u8]) -> Error {
    let reason = headers.get("reason").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let text = match serde_json::from_slice::<wire::ErrorBody>(body) {
        Ok(b) => Some(b.error.message.value).filter(|v| !v.is_empty()),
        Err(_) => None,
    };
    let head = match (&text, &reason) {
        (Some(t), Some(r)) => format!("{t} ({r})"),
        (Some(t), None) => t.clone(),
        (None, Some(r)) => r.clone(),
        (None, None) => body_excerpt(body),
    };
    let mut e = Error::from_status(status, format!("Exact Online answered {status}: {head}"));
    if let (Some(t), 400..=499) = (&text, status) {
        if status != 429 {
            e = e.with_field_errors(vec![FieldError::new("record", t.clone())]);
        }
    }
    if status == 429 {
        let now = connector_core::http::now_utc().timestamp_millis();
        let daily_spent = header_num(headers, "x-ratelimit-remaining") == Some(0);
        let reset = if daily_spent {
            header_num(headers, "x-ratelimit-reset")
        } else {
            header_num(headers, "x-ratelimit-minutely-reset")
        };
        if let Some(at) = reset {
            let ms = u64::try_from(at.saturating_sub(now)).unwrap_or(0);
            e = e.with_retry_after(Duration::from_millis(ms));
        }
        if daily_spent {
            e = e.with_kind(ErrorKind::BudgetExhausted).context("the division's daily budget");
        } else {
            e = e.context("the division's minutely budget");
        }
    }
    e
}

fn build_http(base: &str, auth: Arc<OAuth2>, budget: RateBudget) -> Result<HttpClient> {
    HttpClient::builder(NAME, base)
        .auth(auth)
        .rate_budget(budget)
        .retry(
            // Ten errors (400, 401, 403, 404) an hour per endpoint block the key: none is
            // resent. A 429 is not one of them: the minutely budget is spent and the call
            // waits for its reset (`X-RateLimit-Minutely-Reset`, read by `refine_error`),
            // then goes again. A spent day is `BudgetExhausted` and ends the run at once.
            // The longest wait is a full minute plus a little clock skew.
            RetryPolicy::default()
                .with_retry_client_errors(false)
                .with_exempt_rate_limits(true)
                .with_backoff(Duration::from_millis(500), Duration::from_secs(70)),
        )
        .attempt_timeout(Duration::from_secs(60))
        .deadline(Duration::from_secs(600))
        .error_refiner(refine_error)
        .rate_feedback(limits::feedback)
        .default_header("accept", "application/json")
        .build()
}

impl ExactClient {
    /// A client for the configuration: tokens in `store` (seeded with the configured refresh
    /// token when it holds none), or in memory. No I/O: see [`ExactClient::connect`].
    pub fn new(config: ExactConfig, store: Option<Arc<dyn TokenStore>>) -> Result<Self> {
        let store: Arc<dyn TokenStore> = match store {
            Some(s) => s,
            None => Arc::new(MemoryTokenStore::new(
                config.refresh_token.clone().map(TokenSet::from_refresh_token),
            )),
        };
        let auth = Arc::new(
            OAuth2::refresh_token(token_endpoint(&config)?, store.clone())
                .min_refresh_interval(MIN_REFRESH_INTERVAL)
                .refresh_skew(Duration::from_secs(30))
                .build(),
        );
        Ok(Self { inner: Arc::new(Inner { config, auth, store, session: OnceCell::new() }) })
    }

    /// A client with its session open: the division from the configuration or `current/Me`.
    pub async fn connect(config: ExactConfig, store: Option<Arc<dyn TokenStore>>) -> Result<Self> {
        let client = Self::new(config, store)?;
        client.session().await?;
        Ok(client)
    }

    /// The session, opened on the first call; a failed opening is tried again next time.
    async fn session(&self) -> Result<&Session> {
        self.inner.session.get_or_try_init(|| self.open_session()).await
    }

    async fn open_session(&self) -> Result<Session> {
        let config = &self.inner.config;
        let store = &self.inner.store;
        if store.load().await?.is_none() {
            match &config.refresh_token {
                Some(rt) => store.save(&TokenSet::from_refresh_token(rt.clone())).await?,
                None => {
                    return Err(Error::config(
                        "no Exact Online refresh token: set CONNECTOR_EXACT_ONLINE_REFRESH_TOKEN or exchange an authorization code first",
                    ));
                }
            }
        }
        let auth = &self.inner.auth;
        let root = format!("{}/api/v1/", config.api_url.trim_end_matches('/'));
        let division = match config.division {
            Some(d) => d,
            None => {
                // This client's own: shared by key, every tenant of a fleet's app would open
                // its sessions against one division's allowance.
                let budget = limits::division_budget();
                let http = build_http(&root, auth.clone(), budget)?;
                let body: Value = http
                    .get("current/Me")
                    .query("$select", "CurrentDivision")
                    .operation("GET current/Me")
                    .send_json()
                    .await
                    .map_err(|e| e.context("finding the current Exact Online division"))?;
                let me = wire::odata_record(body)?;
                me.get("CurrentDivision").and_then(Value::as_i64).ok_or_else(|| {
                    Error::decode("current/Me has no CurrentDivision").with_connector(NAME)
                })?
            }
        };
        let budget =
            shared_budget(&format!("division:{division}:{}:{}", config.client_id, config.api_url));
        let http = build_http(&format!("{root}{division}/"), auth.clone(), budget.clone())?;
        Ok(Session { http, division, budget })
    }

    /// The HTTP client, based at `/api/v1/{division}/` (connecting first if need be).
    pub async fn http(&self) -> Result<&HttpClient> {
        Ok(&self.session().await?.http)
    }

    /// The division, once connected.
    pub fn division(&self) -> Option<i64> {
        self.inner.session.get().map(|s| s.division)
    }

    /// The configuration.
    pub fn config(&self) -> &ExactConfig {
        &self.inner.config
    }

    /// How many times tokens were refreshed.
    pub fn token_refreshes(&self) -> u64 {
        self.inner.auth.refreshes()
    }

    /// The division's budget, once connected.
    pub fn budget(&self) -> Option<&RateBudget> {
        self.inner.session.get().map(|s| &s.budget)
    }

    /// A connection test: one cheap call (`$top=1` on the accounts).
    pub async fn check(&self) -> Result<()> {
        self.first("crm/Accounts", "ID", None).await.map(|_| ())
    }

    /// The first row of `path` matching `filter`, with `$select` and `$top=1` (an answer of
    /// the `{"d":[…]}` form).
    pub async fn first(
        &self,
        path: &str,
        select: &str,
        filter: Option<&str>,
    ) -> Result<Option<Value>> {
        let mut req = self
            .http()
            .await?
            .get(path)
            .operation(format!("GET {path}"))
            .query("$select", select)
            .query("$top", 1);
        if let Some(f) = filter {
            req = req.query("$filter", f);
        }
        let body: Value = req.send_json().await?;
        Ok(wire::odata_page(body)?.rows.into_iter().next())
    }

    /// The newest `Modified` of a standard listing, as Exact's own clock has it
    /// (`$orderby=Modified desc&$top=1`), epoch ms; `None` when the listing is empty.
    pub async fn newest_modified(&self, path: &str) -> Result<Option<i64>> {
        let body: Value = self
            .http()
            .await?
            .get(path)
            .operation(format!("GET {path}"))
            .query("$select", "Modified")
            .query("$orderby", "Modified desc")
            .query("$top", 1)
            .send_json()
            .await?;
        Ok(wire::odata_page(body)?
            .rows
            .first()
            .and_then(|r| r.get("Modified"))
            .and_then(Value::as_str)
            .and_then(|s| connector_core::http::dates::parse_ms_json(s).ok())
            .map(|d| d.timestamp_millis()))
    }

    /// Streams the pages of a listing, following each `__next` verbatim. Each item is one
    /// page's rows (60 on standard endpoints, 1,000 on `bulk/` and `sync/`).
    pub fn pages(
        &self,
        path: &str,
        query: Vec<(&'static str, String)>,
    ) -> BoxStream<'_, Result<Vec<Value>>> {
        /// Where the walk stands: before the first page, at a `__next` link, or done.
        enum At {
            Start,
            Next(Url),
            Done,
        }
        let path = path.to_owned();
        let op = format!("GET {path}");
        stream::unfold(At::Start, move |at: At| {
            let (op, path, query) = (op.clone(), path.clone(), query.clone());
            async move {
                let http = match (&at, self.http().await) {
                    (At::Done, _) => return None,
                    (_, Ok(h)) => h,
                    (_, Err(e)) => return Some((Err(e), At::Done)),
                };
                let url = match at {
                    At::Next(url) => url,
                    _ => match http.url(&path) {
                        Ok(mut u) => {
                            u.query_pairs_mut().extend_pairs(query.iter().map(|(k, v)| (*k, v)));
                            u
                        }
                        Err(e) => return Some((Err(e), At::Done)),
                    },
                };
                let body: Result<Value> = http
                    .request_url(connector_core::http::Method::GET, url)
                    .operation(op)
                    .send_json()
                    .await;
                match body.and_then(wire::odata_page) {
                    Ok(page) => {
                        let next = match page.next.as_deref().map(str::trim) {
                            Some(link) if !link.is_empty() => match http.resolve(link) {
                                Ok(u) => At::Next(u),
                                Err(e) => return Some((Err(e), At::Done)),
                            },
                            _ => At::Done,
                        };
                        Some((Ok(page.rows), next))
                    }
                    Err(e) => Some((Err(e.with_connector(NAME)), At::Done)),
                }
            }
        })
        .boxed()
    }
}

/// Pads an account code the way Exact stores it: right-aligned in 18 characters.
pub fn pad_code(code: &str) -> String {
    format!("{:>18}", code.trim())
}

/// A string literal for `$filter` (`'O''Brien'`).
pub fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// A GUID literal for `$filter` (`guid'…'`).
pub fn guid(id: &str) -> String {
    format!("guid'{}'", id.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_and_literals() {
        let body = br#"{"error":{"code":"","message":{"lang":"","value":"Item not found: Code"}}}"#;
        let e = refine_error(400, &HeaderMap::new(), body);
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        assert!(e.message().contains("Item not found"), "{}", e.message());
        assert_eq!(e.field_errors()[0].message, "Item not found: Code");
        assert_eq!(pad_code("1068"), "              1068");
        assert_eq!(pad_code("1068").len(), 18);
        assert_eq!(literal("O'Brien"), "'O''Brien'");
        assert_eq!(guid("abc"), "guid'abc'");
    }

    #[test]
    fn a_spent_day_is_budget_exhausted() {
        let mut h = HeaderMap::new();
        h.insert("x-ratelimit-remaining", "0".parse().unwrap());
        h.insert("x-ratelimit-reset", "99999999999999".parse().unwrap());
        let e = refine_error(429, &h, b"");
        assert_eq!(e.kind(), ErrorKind::BudgetExhausted);
        let mut h = HeaderMap::new();
        h.insert("x-ratelimit-minutely-remaining", "0".parse().unwrap());
        assert_eq!(refine_error(429, &h, b"").kind(), ErrorKind::RateLimited);
    }
}
