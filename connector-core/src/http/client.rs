//! The HTTP client: the pipeline every request goes through.
//!
//! Outermost first: total deadline → retry → rate budget → auth → per-attempt timeout →
//! transport.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue, RETRY_AFTER, USER_AGENT};
use reqwest::{Method, StatusCode, Url};
use tokio::time::Instant;

use crate::error::{Error, ErrorKind, Result, RetryClass};

use super::auth::{Auth, AuthGeneration, AuthTarget, NoAuth};
use super::feedback::RateFeedback;
use super::io_hold;
use super::rate_budget::RateBudget;
use super::redact::{body_excerpt, redact_headers, redact_url, scrub, secret_values};
use super::request::{RequestBuilder, Response};
use super::retry::{RetryPolicy, parse_retry_after};
use super::stats;

/// Turns a non-2xx answer into an [`Error`]: `(status, headers, body)`. A connector uses it
/// to read its error JSON into field errors; the client then adds the connector, operation,
/// status and `Retry-After` where the refined error lacks them.
pub type ErrorRefiner = Arc<dyn Fn(u16, &HeaderMap, &[u8]) -> Error + Send + Sync>;

/// Reads rate-limit headers into [`RateFeedback`] for the client's budgets
/// (each connector has its own, such as `connector_xero::limits::feedback`).
pub type FeedbackParser = Arc<dyn Fn(&HeaderMap) -> Option<RateFeedback> + Send + Sync>;

/// The HTTP client every connector uses. Cheap to clone; clones share everything.
///
/// ```no_run
/// # async fn demo() -> connector_core::Result<()> {
/// use connector_core::http::{HeaderAuth, HttpClient, RateBudget, RetryPolicy};
/// let client = HttpClient::builder("skynamo", "https://api.eu.skynamo.me/v1")
///     .auth(HeaderAuth::api_key("x-api-key", "KEY".into())?)
///     .default_header("x-api-client", "demo")
///     .rate_budget(RateBudget::builder().max_concurrency(20).build())
///     .retry(RetryPolicy::default())
///     .build()?;
/// let page: serde_json::Value =
///     client.get("customers").query("page_number", 1).send_json().await?;
/// # let _ = page; Ok(()) }
/// ```
#[derive(Clone)]
pub struct HttpClient {
    inner: Arc<Inner>,
}

struct Inner {
    connector: Cow<'static, str>,
    base_url: Url,
    http: reqwest::Client,
    auth: Arc<dyn Auth>,
    budgets: Vec<RateBudget>,
    retry: RetryPolicy,
    attempt_timeout: Duration,
    deadline: Option<Duration>,
    default_headers: HeaderMap,
    refiner: Option<ErrorRefiner>,
    feedback: Option<FeedbackParser>,
    idempotency_header: HeaderName,
}

/// A request ready for the pipeline.
pub(crate) struct Prepared {
    pub method: Method,
    pub url: Url,
    pub headers: HeaderMap,
    pub body: Option<Vec<u8>>,
    pub operation: Cow<'static, str>,
    pub idempotent: bool,
    pub attempt_timeout: Duration,
    pub deadline: Option<Duration>,
}

/// How one attempt failed.
enum Failure {
    /// The server answered 401 to credentials of this generation.
    Unauthorized(Error, AuthGeneration),
    /// The request never left (budget, auth, connect).
    NotSent(Error),
    /// The server answered with an error, or the answer did not decode.
    Answered(Error),
    /// Timeout or broken connection after the request may have reached the server.
    Unknown(Error),
}

impl HttpClient {
    /// A builder for `connector` (its name in errors and logs) at `base_url`.
    pub fn builder(
        connector: impl Into<Cow<'static, str>>,
        base_url: impl Into<String>,
    ) -> HttpClientBuilder {
        HttpClientBuilder::new(connector.into(), base_url.into())
    }

    /// The connector's name.
    pub fn connector(&self) -> &str {
        &self.inner.connector
    }

    /// The base URL; request paths are appended to it.
    pub fn base_url(&self) -> &Url {
        &self.inner.base_url
    }

    /// The client's rate budgets.
    pub fn rate_budgets(&self) -> &[RateBudget] {
        &self.inner.budgets
    }

    /// The retry policy.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.inner.retry
    }

    pub(crate) fn attempt_timeout(&self) -> Duration {
        self.inner.attempt_timeout
    }

    pub(crate) fn deadline(&self) -> Option<Duration> {
        self.inner.deadline
    }

    pub(crate) fn idempotency_header(&self) -> &HeaderName {
        &self.inner.idempotency_header
    }

    /// The URL of `path` under the base URL (`Contacts` and `/Contacts` give
    /// `{base}/Contacts`). An absolute `http(s)://` URL is taken as is.
    pub fn url(&self, path: &str) -> Result<Url> {
        if path.starts_with("https://") || path.starts_with("http://") {
            return Url::parse(path).map_err(|e| Error::config(format!("invalid URL: {e}")));
        }
        let base = self.inner.base_url.as_str().trim_end_matches('/');
        Url::parse(&format!("{base}/{}", path.trim_start_matches('/')))
            .map_err(|e| Error::config(format!("invalid request path {path:?}: {e}")))
    }

    /// Resolves a link a server returned: absolute (`https://…`, Exact's `__next`),
    /// host-relative (`/services/data/…`, Salesforce's `nextRecordsUrl`), or relative to
    /// the base URL (`Contacts?page=2`).
    pub fn resolve(&self, link: &str) -> Result<Url> {
        let mut base = self.inner.base_url.clone();
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        base.join(link.trim()).map_err(|e| {
            Error::new(ErrorKind::Upstream, format!("the server sent an invalid link: {e}"))
                .with_connector(self.inner.connector.clone())
        })
    }

    /// A request with `method` to `path` under the base URL (or an absolute URL).
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        RequestBuilder::new(self.clone(), method, self.url(path))
    }

    /// A request with `method` to an already resolved URL.
    pub fn request_url(&self, method: Method, url: Url) -> RequestBuilder {
        RequestBuilder::new(self.clone(), method, Ok(url))
    }

    /// A `GET` request.
    pub fn get(&self, path: &str) -> RequestBuilder {
        self.request(Method::GET, path)
    }

    /// A `POST` request (not retried on timeouts and 5xx unless it has an idempotency key).
    pub fn post(&self, path: &str) -> RequestBuilder {
        self.request(Method::POST, path)
    }

    /// A `PUT` request.
    pub fn put(&self, path: &str) -> RequestBuilder {
        self.request(Method::PUT, path)
    }

    /// A `PATCH` request (not retried on timeouts and 5xx unless marked idempotent).
    pub fn patch(&self, path: &str) -> RequestBuilder {
        self.request(Method::PATCH, path)
    }

    /// A `DELETE` request.
    pub fn delete(&self, path: &str) -> RequestBuilder {
        self.request(Method::DELETE, path)
    }

    /// Runs a prepared request through the whole pipeline; `finish` turns a successful
    /// response into the result (and may fail, e.g. on a body that does not decode).
    pub(crate) async fn execute<T, F>(&self, req: Prepared, finish: F) -> Result<T>
    where
        F: Fn(Response) -> Result<T> + Send + Sync,
        T: Send,
    {
        let in_flight = AtomicBool::new(false);
        let run = self.run(&req, &finish, &in_flight);
        let result = match req.deadline {
            Some(limit) => match tokio::time::timeout(limit, run).await {
                Ok(r) => r,
                Err(_) => {
                    let e = Error::new(
                        ErrorKind::Timeout,
                        format!("the total deadline of {limit:?} was exceeded"),
                    );
                    Err(if in_flight.load(Ordering::Relaxed) && !req.idempotent {
                        uncertain(e)
                    } else {
                        e
                    })
                }
            },
            None => run.await,
        };
        result.map_err(|e| self.contextualize(e, req.operation.clone()))
    }

    fn contextualize(&self, mut e: Error, operation: Cow<'static, str>) -> Error {
        if e.connector().is_none() {
            e = e.with_connector(self.inner.connector.clone());
        }
        if e.operation().is_none() {
            e = e.with_operation(operation);
        }
        e
    }

    async fn run<T, F>(&self, req: &Prepared, finish: &F, in_flight: &AtomicBool) -> Result<T>
    where
        F: Fn(Response) -> Result<T> + Send + Sync,
        T: Send,
    {
        let started = Instant::now();
        let deadline_at = req.deadline.map(|d| started + d);
        let mut retries = 0u32;
        let mut reauthenticated = false;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let (error, unknown) = match self.attempt(req, finish, attempt, in_flight).await {
                Ok(v) => return Ok(v),
                Err(Failure::Unauthorized(error, generation)) if !reauthenticated => {
                    reauthenticated = true;
                    match self.inner.auth.on_unauthorized(generation).await {
                        Ok(true) => {
                            tracing::debug!(connector = %self.inner.connector, operation = %req.operation, attempt, "credentials renewed after 401; sending again");
                            continue;
                        }
                        Ok(false) => (error, false),
                        Err(e) => {
                            (e.context("renewing the credentials after HTTP 401 failed"), false)
                        }
                    }
                }
                Err(Failure::Unauthorized(e, _) | Failure::NotSent(e) | Failure::Answered(e)) => {
                    (e, false)
                }
                Err(Failure::Unknown(e)) => (e, true),
            };
            let remaining = deadline_at.map(|d| d.saturating_duration_since(Instant::now()));
            match self.inner.retry.next_delay(&error, req.idempotent, retries, remaining) {
                Some(delay) => {
                    tracing::debug!(
                        connector = %self.inner.connector,
                        operation = %req.operation,
                        attempt,
                        delay_ms = delay.as_millis() as u64,
                        error = %error,
                        "retrying"
                    );
                    tokio::time::sleep(delay).await;
                    retries += 1;
                    let waited = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
                    stats::record(&self.inner.connector, |s| {
                        s.retries += 1;
                        s.waited_ms += waited;
                    });
                }
                None if unknown && !req.idempotent => return Err(uncertain(error)),
                None => return Err(error),
            }
        }
    }

    async fn attempt<T, F>(
        &self,
        req: &Prepared,
        finish: &F,
        attempt: u32,
        in_flight: &AtomicBool,
    ) -> Result<T, Failure>
    where
        F: Fn(Response) -> Result<T> + Send + Sync,
        T: Send,
    {
        let mut permits = Vec::with_capacity(self.inner.budgets.len());
        let waiting = Instant::now();
        for budget in &self.inner.budgets {
            permits.push(budget.acquire().await.map_err(Failure::NotSent)?);
        }
        let waited = u64::try_from(waiting.elapsed().as_millis()).unwrap_or(u64::MAX);
        if waited > 0 {
            stats::record(&self.inner.connector, |s| s.waited_ms += waited);
        }
        let mut url = req.url.clone();
        let mut headers = self.inner.default_headers.clone();
        headers.extend(req.headers.clone());
        let generation = self
            .inner
            .auth
            .apply(&mut AuthTarget { headers: &mut headers, url: &mut url })
            .await
            .map_err(Failure::NotSent)?;
        let shown_url = redact_url(&url);
        let secrets = secret_values(&headers, &url);
        let mut builder = self.inner.http.request(req.method.clone(), url).headers(headers);
        if let Some(body) = &req.body {
            builder = builder.body(body.clone());
        }
        let started = Instant::now();
        in_flight.store(true, Ordering::Relaxed);
        let hold = io_hold::hold();
        let outcome = tokio::time::timeout(req.attempt_timeout, async {
            let resp = builder.send().await?;
            let status = resp.status().as_u16();
            let headers = resp.headers().clone();
            let body = resp.bytes().await?;
            Ok::<_, reqwest::Error>((status, headers, body.to_vec()))
        })
        .await;
        drop(hold);
        in_flight.store(false, Ordering::Relaxed);
        drop(permits);
        let (received, limited) = match &outcome {
            Ok(Ok((status, _, body))) => (body.len() as u64, *status == 429),
            _ => (0, false),
        };
        stats::record(&self.inner.connector, |s| {
            s.calls += 1;
            s.bytes += received;
            s.rate_limited += u64::from(limited);
        });
        let elapsed_ms = started.elapsed().as_millis() as u64;
        let connector = &self.inner.connector;
        let (method, operation) = (&req.method, &req.operation);
        let (status, headers, body) = match outcome {
            Err(_) => {
                tracing::debug!(%connector, %operation, %method, url = %shown_url, attempt, elapsed_ms, "http attempt timed out");
                let limit = req.attempt_timeout;
                return Err(Failure::Unknown(Error::new(
                    ErrorKind::Timeout,
                    format!("no response within {limit:?}"),
                )));
            }
            Ok(Err(e)) => {
                let e = e.without_url();
                tracing::debug!(%connector, %operation, %method, url = %shown_url, attempt, elapsed_ms, error = %e, "http attempt failed");
                return Err(transport_failure(&e));
            }
            Ok(Ok(answer)) => answer,
        };
        tracing::debug!(%connector, %operation, %method, url = %shown_url, status, attempt, elapsed_ms, "http attempt");
        self.feed(&headers);
        if (200..300).contains(&status) || status == 304 {
            return finish(Response::new(status, headers, body)).map_err(Failure::Answered);
        }
        let mut error = self.status_error(status, &headers, &scrub(&body, &secrets));
        if status == 429 {
            if let Some(spent) = self.inner.budgets.iter().find_map(|b| b.check_long().err()) {
                error = spent.with_status(429);
            }
        }
        if status == 401 {
            return Err(Failure::Unauthorized(error, generation));
        }
        Err(Failure::Answered(error))
    }

    fn feed(&self, headers: &HeaderMap) {
        if let Some(parse) = &self.inner.feedback {
            if let Some(fb) = parse(headers) {
                self.inner.budgets.iter().for_each(|b| b.apply_feedback(&fb));
            }
        }
    }

    fn status_error(&self, status: u16, headers: &HeaderMap, body: &[u8]) -> Error {
        let mut e = match &self.inner.refiner {
            Some(refine) => refine(status, headers, body),
            None => default_status_error(status, body),
        };
        if e.status().is_none() {
            e = e.with_status(status);
        }
        if e.retry_after().is_none() {
            let advised = headers.get(RETRY_AFTER).and_then(|v| v.to_str().ok());
            if let Some(delay) = advised.and_then(parse_retry_after) {
                e = e.with_retry_after(delay);
            }
        }
        e
    }
}

/// The error for a non-2xx answer when no refiner is set.
pub fn default_status_error(status: u16, body: &[u8]) -> Error {
    let reason = StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("an unexpected status");
    let excerpt = body_excerpt(body);
    let message = if excerpt.is_empty() {
        format!("the server answered {reason}")
    } else {
        format!("the server answered {reason}: {excerpt}")
    };
    let e = Error::from_status(status, message);
    if (300..400).contains(&status) { e.with_retry_class(RetryClass::Never) } else { e }
}

fn transport_failure(e: &reqwest::Error) -> Failure {
    if e.is_connect() {
        // Nothing reached the server: safe to send again whatever the method.
        Failure::NotSent(
            Error::new(ErrorKind::Transport, format!("could not connect: {e}"))
                .with_retry_class(RetryClass::Always),
        )
    } else if e.is_timeout() {
        Failure::Unknown(Error::new(ErrorKind::Timeout, e.to_string()))
    } else {
        Failure::Unknown(Error::new(ErrorKind::Transport, e.to_string()))
    }
}

/// A write that timed out or lost its connection may have happened.
fn uncertain(e: Error) -> Error {
    e.with_kind(ErrorKind::UncertainWrite).context(
        "the write may or may not have been applied; look the record up before sending it again",
    )
}

impl fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        f.debug_struct("HttpClient")
            .field("connector", &i.connector)
            .field("base_url", &redact_url(&i.base_url))
            .field("auth", &i.auth)
            .field("rate_budgets", &i.budgets)
            .field("retry", &i.retry)
            .field("attempt_timeout", &i.attempt_timeout)
            .field("deadline", &i.deadline)
            .field("default_headers", &redact_headers(&i.default_headers))
            .field("error_refiner", &i.refiner.is_some())
            .field("rate_feedback", &i.feedback.is_some())
            .field("idempotency_header", &i.idempotency_header)
            .finish()
    }
}

/// Builds an [`HttpClient`]. Defaults: no auth, no budget, [`RetryPolicy::default`],
/// 30 s per attempt, a 5-minute total deadline, `Idempotency-Key`.
pub struct HttpClientBuilder {
    connector: Cow<'static, str>,
    base_url: String,
    auth: Arc<dyn Auth>,
    budgets: Vec<RateBudget>,
    retry: RetryPolicy,
    attempt_timeout: Duration,
    deadline: Option<Duration>,
    default_headers: Vec<(String, String)>,
    refiner: Option<ErrorRefiner>,
    feedback: Option<FeedbackParser>,
    idempotency_header: String,
    user_agent: Option<String>,
    transport: Option<reqwest::Client>,
}

impl HttpClientBuilder {
    fn new(connector: Cow<'static, str>, base_url: String) -> Self {
        Self {
            connector,
            base_url,
            auth: Arc::new(NoAuth),
            budgets: Vec::new(),
            retry: RetryPolicy::default(),
            attempt_timeout: Duration::from_secs(30),
            deadline: Some(Duration::from_secs(300)),
            default_headers: Vec::new(),
            refiner: None,
            feedback: None,
            idempotency_header: "Idempotency-Key".to_owned(),
            user_agent: None,
            transport: None,
        }
    }

    /// Sets the auth (an `Arc<dyn Auth>` works too, to share one across clients).
    pub fn auth(mut self, auth: impl Auth + 'static) -> Self {
        self.auth = Arc::new(auth);
        self
    }

    /// Adds a rate budget. Every request takes a unit of each: add the tenant's and, where
    /// there is one, the app-wide budget. Clones of a budget share state.
    pub fn rate_budget(mut self, budget: RateBudget) -> Self {
        self.budgets.push(budget);
        self
    }

    /// Sets the retry policy.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Sets the timeout of one attempt (sending and reading the whole body).
    pub fn attempt_timeout(mut self, timeout: Duration) -> Self {
        self.attempt_timeout = timeout;
        self
    }

    /// Sets the total deadline of a call, retries and waits included.
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// Removes the total deadline (retries stay bounded by count).
    pub fn without_deadline(mut self) -> Self {
        self.deadline = None;
        self
    }

    /// Adds a header sent with every request (`xero-tenant-id`, `accept`). Secrets belong
    /// in [`auth`](Self::auth), though sensitive-looking names are redacted anyway.
    pub fn default_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.default_headers.push((name.into(), value.into()));
        self
    }

    /// Sets the hook that turns a non-2xx answer into an [`Error`].
    pub fn error_refiner(
        mut self,
        refine: impl Fn(u16, &HeaderMap, &[u8]) -> Error + Send + Sync + 'static,
    ) -> Self {
        self.refiner = Some(Arc::new(refine));
        self
    }

    /// Sets the hook that reads rate-limit headers into feedback for the budgets, e.g.
    /// `.rate_feedback(connector_xero::limits::feedback)`.
    pub fn rate_feedback(
        mut self,
        parse: impl Fn(&HeaderMap) -> Option<RateFeedback> + Send + Sync + 'static,
    ) -> Self {
        self.feedback = Some(Arc::new(parse));
        self
    }

    /// Names the idempotency-key header (`Idempotency-Key` by default).
    pub fn idempotency_header(mut self, name: impl Into<String>) -> Self {
        self.idempotency_header = name.into();
        self
    }

    /// Sets the `User-Agent`.
    pub fn user_agent(mut self, agent: impl Into<String>) -> Self {
        self.user_agent = Some(agent.into());
        self
    }

    /// Reuses `other`'s connection pool instead of opening a new one.
    pub fn share_transport(mut self, other: &HttpClient) -> Self {
        self.transport = Some(other.inner.http.clone());
        self
    }

    /// The client. Fails with a configuration error on an invalid base URL or header.
    pub fn build(self) -> Result<HttpClient> {
        let base_url = Url::parse(&self.base_url)
            .map_err(|e| Error::config(format!("invalid base URL: {e}")))?;
        if !matches!(base_url.scheme(), "http" | "https") {
            return Err(Error::config("the base URL must be http or https"));
        }
        let mut default_headers = HeaderMap::new();
        let agent = self
            .user_agent
            .unwrap_or_else(|| format!("connector-sdk/{}", env!("CARGO_PKG_VERSION")));
        let agent = HeaderValue::from_str(&agent)
            .map_err(|_| Error::config("the user agent is not a valid header value"))?;
        default_headers.insert(USER_AGENT, agent);
        for (name, value) in &self.default_headers {
            let n = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| Error::config(format!("{name:?} is not a valid header name")))?;
            let mut v = HeaderValue::from_str(value)
                .map_err(|_| Error::config(format!("the value of header {name} is not valid")))?;
            v.set_sensitive(super::is_sensitive_header(name));
            default_headers.append(n, v);
        }
        let idempotency_header = HeaderName::from_bytes(self.idempotency_header.as_bytes())
            .map_err(|_| Error::config("invalid idempotency header name"))?;
        let http = match self.transport {
            Some(t) => t,
            None => reqwest::Client::builder()
                .build()
                .map_err(|e| Error::config(format!("could not build the HTTP client: {e}")))?,
        };
        Ok(HttpClient {
            inner: Arc::new(Inner {
                connector: self.connector,
                base_url,
                http,
                auth: self.auth,
                budgets: self.budgets,
                retry: self.retry,
                attempt_timeout: self.attempt_timeout,
                deadline: self.deadline,
                default_headers,
                refiner: self.refiner,
                feedback: self.feedback,
                idempotency_header,
            }),
        })
    }
}

impl fmt::Debug for HttpClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpClientBuilder")
            .field("connector", &self.connector)
            .field("auth", &self.auth)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}
