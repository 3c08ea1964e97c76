//! A stateful simulator of the Xero API on `127.0.0.1` (feature `simulator`).
//!
//! It serves the token endpoint (rotating, single-use refresh tokens), `GET /connections`,
//! and under `/api.xro/2.0` Organisation, Contacts, Items, Invoices, Quotes and
//! TrackingCategories in Xero's wire shapes: PascalCase envelopes with `Id`, `Status`,
//! `DateTimeUTC` and `pagination`, `/Date(…+0000)/` instants, `ContactStatus: ARCHIVED`,
//! `If-Modified-Since`, `order=UpdatedDateUTC ASC`, `where` filters, `summarizeErrors=false`
//! answers with `HasErrors`/`ValidationErrors`, the `ValidationException` 400 body, the
//! problem-details 401/403 bodies, `Idempotency-Key` replay, the per-tenant limits and the
//! app-wide one over every tenant (429 with `Retry-After` and `X-Rate-Limit-Problem`:
//! `minute`, `day`, `concurrent` or `appminute`; `X-MinLimit-Remaining`,
//! `X-DayLimit-Remaining` and `X-AppMinLimit-Remaining` on every answer).
//!
//! Every exchange is held to the description of Xero's API in `tests/fixtures/xero-api.json`
//! ([`api_spec`], from Xero's OpenAPI spec): what Xero ignores (a query parameter an
//! endpoint does not take, an unknown body field) passes and is recorded; a wrong enum
//! value, a value of the wrong type or a missing required field gets the 400
//! `ValidationException`. Beyond the schema it refuses a line total that does not match
//! quantity × unit amount less discount, a key used again with another request within six
//! minutes, a status change Xero does not allow (only drafts and submitted invoices are
//! deleted, approved unpaid ones voided, nothing approved goes back) and a quote number
//! already used; `GET
//! /Quotes` filters by `QuoteNumber`, `ContactID` and `Status` only.
//!
//! Everything it sends is written here from the documented shapes (`serde_json::json!` and
//! raw JSON text), never produced by the connector's own types.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use connector_core::http::dates;
use connector_testkit::simulator::spec::{Violation, ViolationKind};
use connector_testkit::simulator::{
    ApiSpec, Collection, CollectionOptions, Faults, Journal, Method, RateLimitSnapshot,
    RateLimiter, Record, SimClock, SimHandler, SimRequest, SimResponse, SimServer, SimStore,
    TokenIssuer,
};
use rust_decimal::Decimal;
use secrecy::SecretString;
use serde_json::{Map, Value, json};

use crate::config::{TenantSelector, XeroConfig};

static SPEC: std::sync::LazyLock<Arc<ApiSpec>> = std::sync::LazyLock::new(|| {
    let text = include_str!("../../tests/fixtures/xero-api.json");
    Arc::new(ApiSpec::from_json(text).unwrap_or_else(|e| panic!("xero-api.json: {e}")))
});

/// The description of Xero's API the simulator holds requests and answers to
/// (`tests/fixtures/xero-api.json`, from Xero's OpenAPI spec `XeroAPI/Xero-OpenAPI`, MIT).
pub fn api_spec() -> Arc<ApiSpec> {
    SPEC.clone()
}

/// Xero's answer to a request that breaks its API description. What Xero ignores passes on
/// to the handler, recorded: a query parameter an endpoint does not take (`where` on
/// Quotes returns every quote), a body field it does not know, a read-only field sent. A wrong enum value, a
/// value of the wrong type or a missing required field gets the 400 `ValidationException`
/// body; an endpoint Xero does not have, its 404; a missing tenant, its 403.
fn refuse(req: &SimRequest, violations: &[Violation]) -> Option<SimResponse> {
    if violations.iter().any(|v| v.kind == ViolationKind::UnknownOperation) {
        return Some(not_found());
    }
    if violations.iter().any(|v| v.place == "header.xero-tenant-id") {
        return Some(forbidden());
    }
    let refused: Vec<&Violation> = violations
        .iter()
        .filter(|v| {
            !matches!(v.kind, ViolationKind::UnknownParameter | ViolationKind::UnknownField)
        })
        .collect();
    if refused.is_empty() {
        return None;
    }
    if req.path == "/connect/token" {
        let text: Vec<String> = refused.iter().map(ToString::to_string).collect();
        return Some(SimResponse::json(
            400,
            json!({ "error": "invalid_request", "error_description": text.join("; ") }),
        ));
    }
    let errors: Vec<Value> = refused
        .iter()
        .map(|v| json!({ "Message": format!("{}: {}", v.place, v.message) }))
        .collect();
    Some(validation_exception(vec![json!({ "ValidationErrors": errors })]))
}

mod data;
mod filter;
mod writes;

pub use data::{DEMO_CONTACTS, DEMO_INVOICES, DEMO_ITEMS, DEMO_QUOTES};
use data::{GENERATED_BASE_MS, TRACKING, generated_invoice};

/// The simulator's OAuth2 client id.
pub const CLIENT_ID: &str = "sim-xero-client";
/// The simulator's OAuth2 client secret.
pub const CLIENT_SECRET: &str = "sim-xero-secret";
/// The tenant id of the simulated organisation.
pub const TENANT_ID: &str = "0b2f5c8e-6a43-4b8e-9f51-7d1a2c3e4f50";
/// The simulated organisation's name.
pub const TENANT_NAME: &str = "Demo Company (NZ)";
/// A second connected organisation, so tenant selection matters.
pub const OTHER_TENANT_ID: &str = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d";
/// The authorization code the simulator accepts once.
pub const AUTH_CODE: &str = "sim-authorization-code";

/// How to start a simulator.
#[derive(Debug, Clone)]
pub struct XeroSimulatorBuilder {
    demo: bool,
    per_minute: u32,
    per_day: u32,
    concurrent: u32,
    app_per_minute: u32,
    generated_invoices: usize,
    access_ttl: Duration,
    page_size_default: usize,
    port: u16,
}

impl Default for XeroSimulatorBuilder {
    fn default() -> Self {
        Self {
            demo: true,
            per_minute: 60,
            per_day: 5_000,
            concurrent: 5,
            app_per_minute: 10_000,
            generated_invoices: 0,
            access_ttl: Duration::from_secs(30 * 60),
            page_size_default: 100,
            port: 0,
        }
    }
}

impl XeroSimulatorBuilder {
    /// Starts without the demo data.
    pub fn empty(mut self) -> Self {
        self.demo = false;
        self
    }

    /// Sets the per-tenant limits (Xero: 60 a minute, 5,000 a day, 5 at once).
    pub fn limits(mut self, per_minute: u32, per_day: u32, concurrent: u32) -> Self {
        self.per_minute = per_minute;
        self.per_day = per_day;
        self.concurrent = concurrent;
        self
    }

    /// Sets the app-wide limit, shared by every tenant (Xero: 10,000 a minute).
    pub fn app_limit(mut self, per_minute: u32) -> Self {
        self.app_per_minute = per_minute;
        self
    }

    /// Serves `n` sales invoices of three lines each that are never stored: each page of
    /// `GET /Invoices` is generated when asked for, so a load test can read a million of them
    /// without the simulator holding them. They replace the stored invoices in listings
    /// (writes still go to the store); the `i`th (from 0), `INV-G0000000`, was updated at
    /// 2020-01-01T00:00:00Z plus `i` seconds, which `If-Modified-Since` and paging follow;
    /// `where` is not applied (they are all `ACCREC`, `AUTHORISED`, for Bayside Club).
    pub fn generated_invoices(mut self, n: usize) -> Self {
        self.generated_invoices = n;
        self
    }

    /// Sets how long access tokens live (30 minutes).
    pub fn access_ttl(mut self, ttl: Duration) -> Self {
        self.access_ttl = ttl;
        self
    }

    /// Listens on this port of 127.0.0.1 (0, the default: any free port).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Starts the server.
    pub async fn start(self) -> std::io::Result<XeroSimulator> {
        let faults = Faults::new();
        let journal = Journal::new();
        let clock = SimClock::from_system_time();
        let store = SimStore::new(clock);
        let stamp = |meta: &connector_testkit::simulator::RecordMeta, value: &mut Value| {
            value["UpdatedDateUTC"] = json!(dates::format_ms_json(meta.updated_at));
        };
        let coll = |name: &str, id: &str| {
            store.collection_with(
                name,
                CollectionOptions::new().id_field(id).guid_ids().stamp(stamp),
            )
        };
        let tokens = TokenIssuer::new().access_ttl(self.access_ttl).linked_to(&faults);
        let state = Arc::new(State {
            contacts: coll("Contacts", "ContactID"),
            items: coll("Items", "ItemID"),
            invoices: coll("Invoices", "InvoiceID"),
            quotes: coll("Quotes", "QuoteID"),
            tokens,
            codes: Mutex::new(vec![AUTH_CODE.to_owned()]),
            idempotency: Mutex::new(HashMap::new()),
            page_size_default: self.page_size_default,
            generated_invoices: self.generated_invoices,
        });
        if self.demo {
            state.seed_demo();
        }
        let limiter = RateLimiter::builder()
            .key_header("xero-tenant-id")
            .per_minute(self.per_minute)
            .per_day(self.per_day)
            .max_concurrent(self.concurrent)
            .shared_window(APP_MINUTE, self.app_per_minute, Duration::from_secs(60))
            .on_limited(|hit| {
                limit_headers(
                    &hit.snapshot,
                    SimResponse::text(429, "")
                        .with_header("Retry-After", hit.retry_after_secs())
                        .with_header("X-Rate-Limit-Problem", &hit.window),
                )
            })
            .on_response(limit_headers)
            .build();
        let initial = state.tokens.issue(CLIENT_ID);
        let server = SimServer::builder_shared(state.clone())
            .spec(api_spec(), refuse)
            .faults(faults)
            .journal(journal)
            .rate_limiter(limiter)
            .port(self.port)
            .start()
            .await?;
        Ok(XeroSimulator {
            server,
            state,
            initial_refresh: initial.refresh_token.unwrap_or_default(),
        })
    }
}

/// A running simulator.
pub struct XeroSimulator {
    server: SimServer,
    state: Arc<State>,
    initial_refresh: String,
}

impl fmt::Debug for XeroSimulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("XeroSimulator")
            .field("base_url", &self.server.base_url())
            .finish_non_exhaustive()
    }
}

impl XeroSimulator {
    /// A builder (demo data, Xero's real limits).
    pub fn builder() -> XeroSimulatorBuilder {
        XeroSimulatorBuilder::default()
    }

    /// Starts with the demo data and Xero's real limits.
    pub async fn start() -> std::io::Result<Self> {
        Self::builder().start().await
    }

    /// The server's base URL.
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    /// A configuration pointing at this simulator, with a valid refresh token and the demo
    /// tenant chosen by id.
    pub fn config(&self) -> XeroConfig {
        let mut c = XeroConfig::new(CLIENT_ID, SecretString::from(CLIENT_SECRET));
        c.refresh_token = Some(SecretString::from(self.initial_refresh.clone()));
        c.tenant = TenantSelector::Id(TENANT_ID.to_owned());
        c.api_url = self.server.url("/api.xro/2.0");
        c.token_url = self.server.url("/connect/token");
        c.connections_url = self.server.url("/connections");
        c.rep_tracking_category = Some("Sales Rep".to_owned());
        c
    }

    /// The fault switches.
    pub fn faults(&self) -> &Faults {
        self.server.faults()
    }

    /// Every request and its status.
    pub fn journal(&self) -> &Journal {
        self.server.journal()
    }

    /// The token issuer (stats, expiry).
    pub fn tokens(&self) -> &TokenIssuer {
        &self.state.tokens
    }

    /// The contacts.
    pub fn contacts(&self) -> &Collection {
        &self.state.contacts
    }

    /// The items.
    pub fn items(&self) -> &Collection {
        &self.state.items
    }

    /// The invoices (sales and bills).
    pub fn invoices(&self) -> &Collection {
        &self.state.invoices
    }

    /// The quotes.
    pub fn quotes(&self) -> &Collection {
        &self.state.quotes
    }

    /// Archives a contact, as a user would in Xero.
    pub fn archive_contact(&self, id: &str) {
        let _ = self.state.contacts.update(id, &json!({"ContactStatus": "ARCHIVED"}));
    }

    /// Adds `n` sales invoices with three lines each (for load tests), numbered from
    /// `INV-B000001`.
    pub fn seed_invoices(&self, n: usize) {
        for i in 0..n {
            let text = format!(
                r#"{{"Type":"ACCREC","InvoiceNumber":"INV-B{i:06}","Reference":"bulk","Contact":{{"ContactID":"5b96e86b-418e-48e8-8949-308c14aec278","Name":"Bayside Club"}},"Date":"/Date(1573689600000+0000)/","DueDate":"/Date(1575417600000+0000)/","Status":"AUTHORISED","LineAmountTypes":"Exclusive","LineItems":[{{"ItemCode":"GB1-WHITE","Description":"Golf ball","Quantity":3.0000,"UnitAmount":5.9500,"TaxType":"OUTPUT2","TaxAmount":2.68,"LineAmount":17.85,"AccountCode":"200"}},{{"ItemCode":"UMB-1","Description":"Umbrella","Quantity":1.0000,"UnitAmount":19.9875,"TaxType":"OUTPUT2","TaxAmount":3.00,"LineAmount":19.99,"AccountCode":"200"}},{{"ItemCode":"LESSON-30","Description":"Lesson","Quantity":1.0000,"UnitAmount":45.0000,"TaxType":"OUTPUT2","TaxAmount":6.75,"LineAmount":45.00,"AccountCode":"200"}}],"SubTotal":82.84,"TotalTax":12.43,"Total":95.27,"AmountDue":95.27,"CurrencyCode":"NZD"}}"#
            );
            let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            let _ = self.state.invoices.insert(v);
        }
    }

    /// Stops the server.
    pub async fn shutdown(self) {
        self.server.shutdown().await;
    }

    /// Serves until Ctrl-C.
    pub async fn run_until_ctrl_c(self) -> std::io::Result<()> {
        self.server.run_until_ctrl_c().await
    }
}

/// The app-wide window's name, which is also its `X-Rate-Limit-Problem` value.
const APP_MINUTE: &str = "appminute";

/// The "remaining" headers Xero sends on every answer.
fn limit_headers(snap: &RateLimitSnapshot, resp: SimResponse) -> SimResponse {
    let mut resp = resp;
    for (window, header) in [
        ("minute", "X-MinLimit-Remaining"),
        ("day", "X-DayLimit-Remaining"),
        (APP_MINUTE, "X-AppMinLimit-Remaining"),
    ] {
        if let Some(n) = snap.remaining(window) {
            resp = resp.with_header(header, n);
        }
    }
    resp
}

struct State {
    contacts: Collection,
    items: Collection,
    invoices: Collection,
    quotes: Collection,
    tokens: TokenIssuer,
    codes: Mutex<Vec<String>>,
    idempotency: Mutex<HashMap<String, writes::Keyed>>,
    page_size_default: usize,
    generated_invoices: usize,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn seed(coll: &Collection, id_field: &str, text: &str) {
    let rows: Vec<Value> = serde_json::from_str(text).unwrap_or_default();
    for row in rows {
        let id = row[id_field].as_str().unwrap_or_default().to_owned();
        let _ = coll.insert_with_id(&id, row);
    }
}

fn envelope(collection: &str, items: Vec<Value>, pagination: Option<Value>) -> SimResponse {
    let mut m = Map::new();
    m.insert("Id".into(), json!(new_guid()));
    m.insert("Status".into(), json!("OK"));
    m.insert("ProviderName".into(), json!("Connector SDK simulator"));
    m.insert("DateTimeUTC".into(), json!(format!("/Date({})/", Utc::now().timestamp_millis())));
    if let Some(p) = pagination {
        m.insert("pagination".into(), p);
    }
    m.insert(collection.into(), Value::Array(items));
    SimResponse::json(200, Value::Object(m))
}

fn new_guid() -> String {
    let a = fastrand_u128();
    let h = format!("{a:032x}");
    format!("{}-{}-4{}-a{}-{}", &h[0..8], &h[8..12], &h[13..16], &h[17..20], &h[20..32])
}

fn fastrand_u128() -> u128 {
    use std::collections::hash_map::RandomState;
    use std::hash::{BuildHasher, Hasher};
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut h1 = RandomState::new().build_hasher();
    h1.write_u64(n);
    let mut h2 = RandomState::new().build_hasher();
    h2.write_u64(n.rotate_left(17));
    (u128::from(h1.finish()) << 64) | u128::from(h2.finish())
}

fn unauthorized(detail: &str) -> SimResponse {
    SimResponse::raw_json(
        401,
        &format!(r#"{{"Type":null,"Title":"Unauthorized","Status":401,"Detail":"{detail}","Instance":"{}","Extensions":{{}}}}"#, new_guid()),
    )
    .with_header("WWW-Authenticate", "Bearer error=\"invalid_token\"")
}

fn forbidden() -> SimResponse {
    SimResponse::raw_json(
        403,
        &format!(
            r#"{{"Type":null,"Title":"Forbidden","Status":403,"Detail":"AuthenticationUnsuccessful","Instance":"{}","Extensions":{{}}}}"#,
            new_guid()
        ),
    )
}

fn not_found() -> SimResponse {
    SimResponse::raw_json(
        404,
        r#"{"Title":"NotFound","Status":404,"Detail":"The resource you're looking for cannot be found"}"#,
    )
}

fn validation_exception(elements: Vec<Value>) -> SimResponse {
    SimResponse::json(
        400,
        json!({
            "ErrorNumber": 10,
            "Type": "ValidationException",
            "Message": "A validation exception occurred",
            "Elements": elements,
        }),
    )
}

fn dec(v: &Value) -> Option<Decimal> {
    match v {
        Value::Number(n) => Decimal::from_str(&n.to_string())
            .or_else(|_| Decimal::from_scientific(&n.to_string()))
            .ok(),
        Value::String(s) => Decimal::from_str(s.trim()).ok(),
        _ => None,
    }
}

fn num(d: Decimal) -> Value {
    serde_json::from_str(&d.to_string()).unwrap_or(Value::Null)
}

fn tax_rate(tax_type: Option<&str>) -> Decimal {
    match tax_type {
        Some("NONE") | Some("EXEMPTOUTPUT") | Some("ZERORATEDOUTPUT") => Decimal::ZERO,
        _ => Decimal::new(15, 2),
    }
}

fn updated(r: &Record) -> DateTime<Utc> {
    r.updated_at
}

impl State {
    fn seed_demo(&self) {
        seed(&self.contacts, "ContactID", DEMO_CONTACTS);
        seed(&self.items, "ItemID", DEMO_ITEMS);
        seed(&self.invoices, "InvoiceID", DEMO_INVOICES);
        seed(&self.quotes, "QuoteID", DEMO_QUOTES);
    }

    fn token(&self, req: &SimRequest) -> SimResponse {
        let form = req.form();
        let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        let expected = format!("Basic {}", base64(&format!("{CLIENT_ID}:{CLIENT_SECRET}")));
        if req.header("authorization") != Some(expected.as_str()) {
            return SimResponse::json(400, json!({"error": "invalid_client"}));
        }
        match get("grant_type").as_deref() {
            Some("refresh_token") => {
                match self.tokens.refresh(&get("refresh_token").unwrap_or_default()) {
                    Ok(t) => SimResponse::json(200, with_scope(t.to_json())),
                    Err(e) => e.to_response(true),
                }
            }
            Some("authorization_code") => {
                let code = get("code").unwrap_or_default();
                let mut codes = lock(&self.codes);
                match codes.iter().position(|c| *c == code) {
                    Some(i) => {
                        codes.remove(i);
                        SimResponse::json(200, with_scope(self.tokens.issue(CLIENT_ID).to_json()))
                    }
                    None => SimResponse::json(400, json!({"error": "invalid_grant"})),
                }
            }
            _ => SimResponse::json(400, json!({"error": "unsupported_grant_type"})),
        }
    }

    fn connections() -> SimResponse {
        SimResponse::raw_json(
            200,
            &format!(
                r#"[{{"id":"e1eede29-f875-4a5d-8470-17f6a29a88b1","authEventId":"d99ecdfe-391d-43d2-b834-17636ba90e8d","tenantId":"{TENANT_ID}","tenantType":"ORGANISATION","tenantName":"{TENANT_NAME}","createdDateUtc":"2019-07-09T23:40:30.1833130","updatedDateUtc":"2020-05-15T01:35:13.8491980"}},
                   {{"id":"3a1f0c52-7d4e-4f6b-9a8c-2b1d0e9f8a7b","authEventId":"d99ecdfe-391d-43d2-b834-17636ba90e8d","tenantId":"{OTHER_TENANT_ID}","tenantType":"ORGANISATION","tenantName":"Acme Widgets Ltd","createdDateUtc":"2020-01-02T03:04:05.0000000","updatedDateUtc":"2020-01-02T03:04:05.0000000"}}]"#
            ),
        )
    }

    fn list(
        &self,
        req: &SimRequest,
        name: &str,
        coll: &Collection,
        paged: bool,
        page_size_param: bool,
    ) -> SimResponse {
        let since = req.header("if-modified-since").and_then(|h| dates::parse_instant(h).ok());
        let archived = req.query("includeArchived").is_some_and(|v| v.eq_ignore_ascii_case("true"));
        // A parameter an endpoint does not take is ignored, as Xero ignores it.
        let spec = api_spec();
        let takes = |p: &str| {
            spec.operation(req.method.as_str(), &req.path).is_some_and(|op| op.takes_query(p))
        };
        let expr = match req.query("where").filter(|_| takes("where")) {
            Some(w) => match filter::parse(w) {
                Some(e) => Some(e),
                None => {
                    return validation_exception(vec![
                        json!({"ValidationErrors":[{"Message": format!("The where clause {w:?} could not be parsed")}]}),
                    ]);
                }
            },
            None => None,
        };
        let contacts = name == "Contacts";
        let mut select = coll.select();
        if let Some(t) = since {
            select = select.changed_since(t);
        }
        if contacts && !archived {
            select = select.filter(|r| r.value["ContactStatus"].as_str() != Some("ARCHIVED"));
        }
        let mut rows: Vec<Record> = select.all();
        if let Some(e) = &expr {
            rows.retain(|r| filter::eval(e, &r.value));
        }
        // Quotes' own filters, exact.
        for field in ["QuoteNumber", "Status"] {
            if let Some(want) = req.query(field).filter(|_| takes(field)) {
                rows.retain(|r| r.value[field].as_str() == Some(want));
            }
        }
        if let Some(want) = req.query("ContactID").filter(|_| takes("ContactID")) {
            rows.retain(|r| r.value["Contact"]["ContactID"].as_str() == Some(want));
        }
        if req.query("order").is_some_and(|o| o.trim().eq_ignore_ascii_case("UpdatedDateUTC ASC")) {
            rows.sort_by_key(updated);
        }
        let page = req.query("page").and_then(|p| p.parse::<usize>().ok());
        match (paged, page) {
            (true, Some(page)) => {
                let size = if page_size_param {
                    req.query("pageSize")
                        .and_then(|p| p.parse::<usize>().ok())
                        .unwrap_or(self.page_size_default)
                        .clamp(1, 1000)
                } else {
                    100
                };
                let total = rows.len();
                let start = (page.max(1) - 1).saturating_mul(size).min(total);
                let end = (start + size).min(total);
                let items: Vec<Value> = rows[start..end].iter().map(|r| r.value.clone()).collect();
                let pages = total.div_ceil(size);
                // Quotes' envelope has no `pagination`.
                let pagination = page_size_param.then(|| {
                    json!({"page": page, "pageSize": size, "pageCount": pages, "itemCount": total})
                });
                envelope(name, items, pagination)
            }
            _ => envelope(name, rows.into_iter().map(|r| r.value).collect(), None),
        }
    }

    /// A page of the generated invoices (see [`XeroSimulatorBuilder::generated_invoices`]),
    /// built as text when asked for.
    fn generated_page(&self, req: &SimRequest) -> SimResponse {
        use std::fmt::Write as _;
        let n = self.generated_invoices as u64;
        // The first invoice updated at or after `If-Modified-Since`.
        let first = req
            .header("if-modified-since")
            .and_then(|h| dates::parse_instant(h).ok())
            .map_or(0, |t| {
                let ms = t.timestamp_millis() - GENERATED_BASE_MS;
                if ms <= 0 { 0 } else { (ms as u64).div_ceil(1000) }
            })
            .min(n);
        let total = n - first;
        let size = req
            .query("pageSize")
            .and_then(|p| p.parse::<u64>().ok())
            .unwrap_or(self.page_size_default as u64)
            .clamp(1, 1000);
        let page = req.query("page").and_then(|p| p.parse::<u64>().ok()).unwrap_or(1).max(1);
        let start = first.saturating_add((page - 1).saturating_mul(size)).min(n);
        let end = start.saturating_add(size).min(n);
        let mut body = String::with_capacity(256 + (end - start) as usize * 1400);
        let _ = write!(
            body,
            r#"{{"Id":"{}","Status":"OK","ProviderName":"Connector SDK simulator","DateTimeUTC":"/Date({})/","pagination":{{"page":{page},"pageSize":{size},"pageCount":{},"itemCount":{total}}},"Invoices":["#,
            new_guid(),
            Utc::now().timestamp_millis(),
            total.div_ceil(size),
        );
        for i in start..end {
            if i > start {
                body.push(',');
            }
            generated_invoice(&mut body, i);
        }
        body.push_str("]}");
        SimResponse::raw_json(200, &body)
    }

    /// `GET /Contacts/{id}`, `/Invoices/{id}`, `/Quotes/{id}`: the record in its envelope.
    fn one(&self, rest: &str) -> SimResponse {
        let (name, id) = rest.split_once('/').unwrap_or((rest, ""));
        let coll = match name {
            "Contacts" => &self.contacts,
            "Invoices" => &self.invoices,
            "Quotes" => &self.quotes,
            _ => return not_found(),
        };
        match coll.get(id) {
            Some(r) => envelope(name, vec![r.value], None),
            None => not_found(),
        }
    }

    fn api(&self, req: &SimRequest, rest: &str) -> SimResponse {
        match req.bearer_token().map(|t| self.tokens.validate(t)) {
            Some(Ok(_)) => {}
            Some(Err(_)) => {
                return unauthorized(&format!(
                    "TokenExpired: token expired at {}",
                    Utc::now().format("%m/%d/%Y %H:%M:%S")
                ));
            }
            None => return unauthorized("AuthenticationUnsuccessful"),
        }
        match req.header("xero-tenant-id") {
            Some(t) if t == TENANT_ID || t == OTHER_TENANT_ID => {}
            _ => return forbidden(),
        }
        let other = req.header("xero-tenant-id") == Some(OTHER_TENANT_ID);
        let get = req.method == Method::GET;
        let post = req.method == Method::POST || req.method == Method::PUT;
        match rest {
            "Organisation" if get => {
                let (id, name) = if other {
                    (OTHER_TENANT_ID, "Acme Widgets Ltd")
                } else {
                    (TENANT_ID, TENANT_NAME)
                };
                SimResponse::raw_json(
                    200,
                    &format!(
                        r#"{{"Id":"{}","Status":"OK","ProviderName":"Connector SDK simulator","DateTimeUTC":"/Date({})/","Organisations":[{{"APIKey":"","Name":"{name}","LegalName":"{name}","PaysTax":true,"Version":"NZ","OrganisationType":"COMPANY","BaseCurrency":"NZD","CountryCode":"NZ","IsDemoCompany":true,"OrganisationStatus":"ACTIVE","OrganisationID":"{id}","ShortCode":"!sim01","Timezone":"NEWZEALANDSTANDARDTIME"}}]}}"#,
                        new_guid(),
                        Utc::now().timestamp_millis()
                    ),
                )
            }
            _ if other => envelope(rest, Vec::new(), None),
            "TrackingCategories" if get => SimResponse::raw_json(200, TRACKING),
            "Contacts" if get => self.list(req, "Contacts", &self.contacts, true, true),
            "Items" if get => self.list(req, "Items", &self.items, false, false),
            "Invoices" if get && self.generated_invoices > 0 => self.generated_page(req),
            "Invoices" if get => self.list(req, "Invoices", &self.invoices, true, true),
            "Quotes" if get => self.list(req, "Quotes", &self.quotes, true, false),
            _ if get && rest.contains('/') => self.one(rest),
            "Contacts" | "Invoices" | "Quotes" if post => self.post(req, rest),
            _ => not_found(),
        }
    }
}

fn with_scope(mut v: Value) -> Value {
    v["scope"] = json!(
        "openid profile email accounting.invoices accounting.contacts accounting.settings.read offline_access"
    );
    v
}

fn base64(s: &str) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let b = s.as_bytes();
    let mut out = String::new();
    for chunk in b.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[async_trait]
impl SimHandler for State {
    async fn handle(&self, req: SimRequest) -> SimResponse {
        let path = req.path.clone();
        if path == "/connect/token" && req.method == Method::POST {
            return self.token(&req);
        }
        if path == "/connections" && req.method == Method::GET {
            return match req.bearer_token().map(|t| self.tokens.validate(t)) {
                Some(Ok(_)) => Self::connections(),
                _ => unauthorized("AuthenticationUnsuccessful"),
            };
        }
        match path.strip_prefix("/api.xro/2.0/") {
            Some(rest) => self.api(&req, rest.trim_end_matches('/')),
            None => not_found(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648() {
        assert_eq!(base64("f"), "Zg==");
        assert_eq!(base64("fo"), "Zm8=");
        assert_eq!(base64("foo"), "Zm9v");
        assert_eq!(base64("a:b"), "YTpi");
    }

    #[test]
    fn where_expressions() {
        let v = json!({"Name": "A \"B\"", "Reference": "SO-1 / JD", "EmailAddress": "X@Y.example"});
        let e = filter::parse(r#"Name=="A \"B\"""#).unwrap();
        assert!(filter::eval(&e, &v));
        let e = filter::parse(r#"Reference=="SO-1"||Reference.StartsWith("SO-1 / ")"#).unwrap();
        assert!(filter::eval(&e, &v));
        let e =
            filter::parse(r#"EmailAddress!=null&&EmailAddress.ToLower()=="x@y.example""#).unwrap();
        assert!(filter::eval(&e, &v));
        let e = filter::parse(r#"Type=="ACCREC"&&(Reference=="SO-1")"#).unwrap();
        assert!(!filter::eval(&e, &v));
        assert!(filter::parse("Name==").is_none());
    }

    #[test]
    fn generated_invoices_are_valid_json() {
        let mut s = String::new();
        generated_invoice(&mut s, 42);
        let v: Value = serde_json::from_str(&s).unwrap();
        assert_eq!(v["InvoiceNumber"], "INV-G0000042");
        assert_eq!(v["UpdatedDateUTC"], "/Date(1577836842000+0000)/");
    }

    #[test]
    fn demo_data_is_valid_json() {
        for t in [DEMO_CONTACTS, DEMO_ITEMS, DEMO_INVOICES, DEMO_QUOTES, TRACKING] {
            serde_json::from_str::<Value>(t).unwrap();
        }
    }
}
