//! The connection: OAuth2 (JWT bearer, refresh token or client credentials) whose answer
//! names the `instance_url` every later call goes to, the configurable API version, SOQL
//! queries followed through `nextRecordsUrl` until `done` (child subqueries too), the org's
//! fields from `describe` (cached), `Sforce-Limit-Info` fed to the budget, and Salesforce's
//! error arrays (`REQUEST_LIMIT_EXCEEDED` for `TotalRequests` is the spent daily allowance;
//! for concurrent requests it is a rate limit, waited out).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use connector_core::http::{
    AssertionSigner, ClientAuthMethod, HeaderMap, HttpClient, JwtClaims, MemoryTokenStore, Method,
    OAuth2, RateBudget, RetryPolicy, RsaJwtSigner, TokenEndpoint, TokenSet, TokenStore, Url,
    body_excerpt,
};
use connector_core::{Error, ErrorKind, FieldError, Result};
use futures_util::stream::{self, BoxStream, StreamExt};
use serde::Deserialize;
use serde_json::Value;

use crate::config::SalesforceConfig;
use crate::describe::Described;
use crate::limits;

/// The connector's name.
pub const NAME: &str = "salesforce";

/// A connection to one org. Made without I/O; the session (the first token, whose answer
/// names the instance every later call goes to) is opened on first use, once.
#[derive(Debug, Clone)]
pub struct SalesforceClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: SalesforceConfig,
    endpoint: TokenEndpoint,
    store: Option<Arc<dyn TokenStore>>,
    session: tokio::sync::OnceCell<Session>,
    described: tokio::sync::Mutex<HashMap<String, Arc<Described>>>,
}

/// What connecting found: the instance, its HTTP client and the token source.
#[derive(Debug)]
struct Session {
    http: HttpClient,
    instance_url: String,
    auth: Arc<OAuth2>,
}

#[derive(Deserialize)]
struct ApiError {
    #[serde(default)]
    message: String,
    #[serde(default, rename = "errorCode")]
    error_code: String,
    #[serde(default)]
    fields: Vec<String>,
}

/// Turns a non-2xx answer into an error: the `[{"message","errorCode","fields"}]` array
/// becomes the message and field errors; `REQUEST_LIMIT_EXCEEDED` is a spent daily budget.
pub fn refine_error(status: u16, _headers: &HeaderMap, body: &[u8]) -> Error {
    let list: Vec<ApiError> = serde_json::from_slice::<Vec<ApiError>>(body)
        .or_else(|_| serde_json::from_slice::<ApiError>(body).map(|e| vec![e]))
        .unwrap_or_default();
    if list.is_empty() || list.iter().all(|e| e.message.is_empty()) {
        return Error::from_status(
            status,
            format!("Salesforce answered {status}: {}", body_excerpt(body)),
        );
    }
    let text = list
        .iter()
        .map(|e| format!("{}: {}", e.error_code, e.message))
        .collect::<Vec<_>>()
        .join("; ");
    let mut e = Error::from_status(status, format!("Salesforce answered {status}: {text}"));
    let fe: Vec<FieldError> = list
        .iter()
        .flat_map(|a| {
            let fields =
                if a.fields.is_empty() { vec!["record".to_owned()] } else { a.fields.clone() };
            fields.into_iter().map(move |f| FieldError::new(f, a.message.clone()))
        })
        .collect();
    if (400..500).contains(&status) {
        e = e.with_field_errors(fe);
    }
    let limits: Vec<&ApiError> =
        list.iter().filter(|a| a.error_code == "REQUEST_LIMIT_EXCEEDED").collect();
    if limits.iter().any(|a| a.message.contains("TotalRequests")) {
        e = e
            .with_kind(ErrorKind::BudgetExhausted)
            .context("the org's daily API request allowance");
    } else if !limits.is_empty() {
        // ConcurrentRequests, ConcurrentPerOrgLongTxn: the org is busy, not out of calls.
        e = e
            .with_kind(ErrorKind::RateLimited)
            .with_retry_after(CONCURRENCY_BACKOFF)
            .context("the org's concurrent request limit");
    }
    e
}

/// How long a call refused for the org's concurrency limits waits before it is sent again.
pub const CONCURRENCY_BACKOFF: Duration = Duration::from_secs(5);

/// Removes `attributes` from a record and from the records of nested subqueries.
pub fn strip_attributes(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.remove("attributes");
            for (_, x) in m.iter_mut() {
                strip_attributes(x);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(strip_attributes),
        _ => {}
    }
}

impl SalesforceClient {
    /// A client for the configuration, its refresh token kept in `store` when given. No I/O:
    /// see [`SalesforceClient::connect`].
    pub fn new(config: SalesforceConfig, store: Option<Arc<dyn TokenStore>>) -> Result<Self> {
        let endpoint = TokenEndpoint::new(&config.token_url(), config.client_id.clone())?
            .client_secret(config.client_secret.clone())
            .client_auth(ClientAuthMethod::RequestBody)
            .connector(NAME);
        Ok(Self {
            inner: Arc::new(Inner {
                config,
                endpoint,
                store,
                session: tokio::sync::OnceCell::new(),
                described: tokio::sync::Mutex::new(HashMap::new()),
            }),
        })
    }

    /// A client with its session open: one token call whose `instance_url` is where every
    /// later call goes. The grant is the JWT bearer flow when [`SalesforceConfig::jwt`] is set
    /// (a fresh RS256 assertion for every token, valid 3 minutes), else the refresh token
    /// when one is configured or stored, else client credentials.
    pub async fn connect(
        config: SalesforceConfig,
        store: Option<Arc<dyn TokenStore>>,
    ) -> Result<Self> {
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
        let endpoint = self.inner.endpoint.clone();
        let store = self.inner.store.clone();
        let stored = match &store {
            Some(s) => s.load().await?.and_then(|t| t.refresh_token),
            None => None,
        };
        let refresh = stored.or_else(|| config.refresh_token.clone());
        let (auth, instance) = match (&config.jwt, refresh) {
            (Some(jwt), _) => {
                let claims = JwtClaims::new(
                    config.client_id.clone(),
                    jwt.username.clone(),
                    jwt.audience.clone(),
                )
                .lifetime(Duration::from_secs(180));
                let signer = RsaJwtSigner::from_pem(&jwt.private_key, claims)
                    .map_err(|e| e.with_connector(NAME))?;
                let answer = endpoint.jwt_bearer(&signer.assertion()?).await?;
                let seeded = MemoryTokenStore::new(Some(answer.tokens.clone()));
                (
                    OAuth2::jwt_bearer(endpoint, signer).token_store(seeded).build(),
                    answer.instance_url,
                )
            }
            (None, Some(rt)) => {
                let answer = endpoint.refresh(&rt).await?;
                let set = TokenSet::new(
                    answer.tokens.access_token.clone(),
                    answer.tokens.refresh_token.clone().or(Some(rt)),
                    answer.tokens.expires_at,
                );
                let store: Arc<dyn TokenStore> = match store {
                    Some(s) => s,
                    None => Arc::new(MemoryTokenStore::new(None)),
                };
                store.save(&set).await?;
                (OAuth2::refresh_token(endpoint, store).build(), answer.instance_url)
            }
            (None, None) => {
                crate::config::client_credentials_host(&config.login_url)
                    .map_err(|e| e.with_connector(NAME))?;
                let answer = endpoint.client_credentials().await?;
                let seeded = MemoryTokenStore::new(Some(answer.tokens.clone()));
                (
                    OAuth2::client_credentials(endpoint).token_store(seeded).build(),
                    answer.instance_url,
                )
            }
        };
        let instance = config
            .instance_url
            .clone()
            .or(instance)
            .map(|u| u.trim_end_matches('/').to_owned())
            .ok_or_else(|| Error::config("the Salesforce token answer has no instance_url; set CONNECTOR_SALESFORCE_INSTANCE_URL"))?;
        let auth = Arc::new(auth);
        let http =
            HttpClient::builder(NAME, format!("{instance}/services/data/v{}/", config.api_version))
                .auth(auth.clone())
                .rate_budget(RateBudget::shared(
                    &format!("salesforce:{instance}:{}", config.client_id),
                    limits::org_budget,
                ))
                .retry(
                    RetryPolicy::default()
                        .with_backoff(Duration::from_millis(500), Duration::from_secs(60)),
                )
                .attempt_timeout(Duration::from_secs(120))
                .deadline(Duration::from_secs(600))
                .error_refiner(refine_error)
                .rate_feedback(limits::feedback)
                .default_header("accept", "application/json")
                .build()?;
        Ok(Session { http, instance_url: instance, auth })
    }

    /// The HTTP client, based at `{instance_url}/services/data/v{version}/` (connecting
    /// first if need be).
    pub async fn http(&self) -> Result<&HttpClient> {
        Ok(&self.session().await?.http)
    }

    /// The org's instance URL, once connected.
    pub fn instance_url(&self) -> Option<&str> {
        self.inner.session.get().map(|s| s.instance_url.as_str())
    }

    /// The configuration.
    pub fn config(&self) -> &SalesforceConfig {
        &self.inner.config
    }

    /// How many times tokens were obtained after connecting.
    pub fn token_refreshes(&self) -> u64 {
        self.inner.session.get().map_or(0, |s| s.auth.refreshes())
    }

    /// A connection test: `GET /services/data/vXX.X/` (the resources of the version, open
    /// to every API user; `limits` needs "View Setup and Configuration").
    pub async fn check(&self) -> Result<()> {
        let op = format!("GET /services/data/v{}/", self.config().api_version);
        self.http().await?.get("").operation(op).send().await.map(|_| ())
    }

    /// The fields of an object as the org describes them (`sobjects/{object}/describe`),
    /// read once per connection.
    pub async fn describe(&self, object: &str) -> Result<Arc<Described>> {
        let mut cache = self.inner.described.lock().await;
        if let Some(d) = cache.get(object) {
            return Ok(d.clone());
        }
        let body: Value = self
            .http()
            .await?
            .get(&format!("sobjects/{object}/describe"))
            .operation(format!("GET /sobjects/{object}/describe"))
            .send_json()
            .await?;
        let d = Arc::new(Described::from_answer(object, &body)?);
        cache.insert(object.to_owned(), d.clone());
        Ok(d)
    }

    /// A connection test that also checks the fields the connector is configured to use:
    /// each `(object, field)` must exist in the org (one error lists every missing one).
    pub async fn check_fields(&self, wanted: &[(&str, &str)]) -> Result<()> {
        self.check().await?;
        let mut missing = Vec::new();
        for (object, field) in wanted {
            match self.describe(object).await {
                Ok(d) if d.has(field) => {}
                Ok(_) => missing.push(format!("{object}.{field}")),
                Err(e) if e.kind() == ErrorKind::NotFound => missing.push((*object).to_owned()),
                Err(e) => return Err(e),
            }
        }
        missing.dedup();
        if missing.is_empty() {
            return Ok(());
        }
        Err(Error::config(format!(
            "the Salesforce org has no {}: create the field or change the connector's setting (see the connector's README)",
            missing.join(", ")
        ))
        .with_connector(NAME))
    }

    /// Runs a SOQL query and streams its batches (records without `attributes`), following
    /// `nextRecordsUrl` until `done`.
    pub fn query(&self, soql: String) -> BoxStream<'_, Result<Vec<Value>>> {
        /// Where the walk stands: before the first batch, at a `nextRecordsUrl`, or done.
        enum At {
            Start,
            Next(Url),
            Done,
        }
        let batch = format!("batchSize={}", self.config().batch_size.clamp(200, 2000));
        stream::unfold(At::Start, move |at: At| {
            let (batch, soql) = (batch.clone(), soql.clone());
            async move {
                let http = match (&at, self.http().await) {
                    (At::Done, _) => return None,
                    (_, Ok(h)) => h,
                    (_, Err(e)) => return Some((Err(e), At::Done)),
                };
                let url = match at {
                    At::Next(url) => url,
                    _ => match http.url("query") {
                        Ok(mut u) => {
                            u.query_pairs_mut().append_pair("q", &soql);
                            u
                        }
                        Err(e) => return Some((Err(e), At::Done)),
                    },
                };
                let body: Result<Value> = http
                    .request_url(Method::GET, url)
                    .operation("GET /query")
                    .header("Sforce-Query-Options", &batch)
                    .send_json()
                    .await;
                let mut body = match body {
                    Ok(b) => b,
                    Err(e) => return Some((Err(e), At::Done)),
                };
                let done = body.get("done").and_then(Value::as_bool).unwrap_or(true);
                let next = if done {
                    At::Done
                } else {
                    match body.get("nextRecordsUrl").and_then(Value::as_str) {
                        Some(link) => match http.resolve(link) {
                            Ok(u) => At::Next(u),
                            Err(e) => return Some((Err(e), At::Done)),
                        },
                        None => {
                            return Some((
                                Err(Error::decode("`done` is false but there is no nextRecordsUrl").with_connector(NAME)),
                                At::Done,
                            ));
                        }
                    }
                };
                match body.get_mut("records").map(Value::take) {
                    Some(Value::Array(mut rows)) => {
                        for row in &mut rows {
                            if let Err(e) = self.complete_children(row).await {
                                return Some((Err(e), At::Done));
                            }
                            strip_attributes(row);
                        }
                        Some((Ok(rows), next))
                    }
                    _ => Some((Err(Error::decode("the query answer has no `records`").with_connector(NAME)), At::Done)),
                }
            }
        })
        .boxed()
    }

    /// Reads the rest of each child subquery of `row` (`OrderItems`, `Contacts`): Salesforce
    /// pages a child relationship on its own, `done: false` with its own `nextRecordsUrl`.
    async fn complete_children(&self, row: &mut Value) -> Result<()> {
        let Some(fields) = row.as_object_mut() else { return Ok(()) };
        for (name, child) in fields.iter_mut() {
            let Some(rel) = child.as_object_mut() else { continue };
            if !rel.contains_key("records") {
                continue;
            }
            while rel.get("done").and_then(Value::as_bool) == Some(false) {
                let Some(link) = rel.get("nextRecordsUrl").and_then(Value::as_str) else {
                    return Err(Error::decode(format!(
                        "{name}: `done` is false but there is no nextRecordsUrl"
                    ))
                    .with_connector(NAME));
                };
                let http = self.http().await?;
                let url = http.resolve(link)?;
                let mut more: Value = http
                    .request_url(Method::GET, url)
                    .operation(format!("GET /query (more {name})"))
                    .send_json()
                    .await?;
                let Some(Value::Array(extra)) = more.get_mut("records").map(Value::take) else {
                    return Err(Error::decode(format!("{name}: a page without `records`"))
                        .with_connector(NAME));
                };
                if let Some(Value::Array(records)) = rel.get_mut("records") {
                    records.extend(extra);
                }
                rel.insert("done".into(), more.get("done").cloned().unwrap_or(Value::Bool(true)));
                match more.get("nextRecordsUrl").cloned() {
                    Some(n) => rel.insert("nextRecordsUrl".into(), n),
                    None => rel.remove("nextRecordsUrl"),
                };
            }
        }
        Ok(())
    }

    /// The first record of a query.
    pub async fn query_one(&self, soql: String) -> Result<Option<Value>> {
        let mut s = self.query(soql);
        match s.next().await {
            Some(Ok(rows)) => Ok(rows.into_iter().next()),
            Some(Err(e)) => Err(e),
            None => Ok(None),
        }
    }
}

/// A SOQL string literal (`'O\'Brien'`).
pub fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// Converts a 15-character id to its 18-character case-insensitive form (18-character ids
/// are returned as they are).
pub fn id18(id: &str) -> String {
    let id = id.trim();
    if id.len() != 15 {
        return id.to_owned();
    }
    const ALPHA: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";
    let bytes = id.as_bytes();
    let mut suffix = String::with_capacity(3);
    for chunk in bytes.chunks(5) {
        let mut n = 0usize;
        for (i, b) in chunk.iter().enumerate() {
            if b.is_ascii_uppercase() {
                n |= 1 << i;
            }
        }
        suffix.push(ALPHA[n] as char);
    }
    format!("{id}{suffix}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_errors_and_literals() {
        assert_eq!(id18("001D000000IRFma"), "001D000000IRFmaIAH");
        assert_eq!(id18("001D000000IRFmaIAH"), "001D000000IRFmaIAH");
        let e = refine_error(
            400,
            &HeaderMap::new(),
            br#"[{"message":"Required fields are missing: [Name]","errorCode":"REQUIRED_FIELD_MISSING","fields":["Name"]}]"#,
        );
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        assert_eq!(e.field(), Some("Name"));
        let e = refine_error(
            403,
            &HeaderMap::new(),
            br#"[{"message":"TotalRequests Limit exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}]"#,
        );
        assert_eq!(e.kind(), ErrorKind::BudgetExhausted);
        let e = refine_error(
            403,
            &HeaderMap::new(),
            br#"[{"message":"ConcurrentRequests (Concurrent API Requests) Limit exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}]"#,
        );
        assert_eq!(e.kind(), ErrorKind::RateLimited, "a busy org, not a spent day");
        assert_eq!(e.retry_after(), Some(CONCURRENCY_BACKOFF));
        assert_eq!(literal("O'Brien"), "'O\\'Brien'");
        let mut v = serde_json::json!({"attributes":{"type":"Order"},"Id":"x","OrderItems":{"records":[{"attributes":{},"Id":"y"}]}});
        strip_attributes(&mut v);
        assert_eq!(v, serde_json::json!({"Id":"x","OrderItems":{"records":[{"Id":"y"}]}}));
    }
}
