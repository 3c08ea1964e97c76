//! A stateful simulator of the Exact Online REST API on `127.0.0.1` (feature `simulator`).
//!
//! It serves the token endpoint (`/api/oauth2/token`: form-encoded client credentials,
//! rotating single-use refresh tokens, `expires_in` as a string), `current/Me`, and under
//! `/api/v1/{division}/`: the sync endpoints of accounts, items, stock positions and sales
//! item prices (1,000-row pages, `$select` mandatory, `Timestamp gt …L`, `__next` with a
//! `$skiptoken`), `sync/Deleted`, and the standard endpoints of accounts, items, VAT codes,
//! shipping methods, sales orders, sales invoices, quotations and goods deliveries (60-row
//! pages, `$filter` with typed literals, `$select`, `$top` answering `{"d":[…]}`, `$expand` of
//! lines; `reads`), POST with deep-inserted lines answering `201 {"d":{…}}` and PUT
//! answering `204` (module `writes`), Exact's error body, and the per-division limits (60 a
//! minute, 5,000 a day) with the `X-RateLimit-*` headers (resets in epoch ms; only the
//! minutely headers on a minutely 429).
//!
//! It is held to `tests/fixtures/exact-api.json` ([`api_spec`]), the description of the
//! endpoints, fields and enums the connector uses, written from the entity models of
//! picqer/exact-php-client and Exact's .NET client: a field that an endpoint does not have
//! is answered as Exact answers it, a `400` naming the property (in `$select`, in a
//! `$filter`, in a body); an unknown `$` option is a `400`; other unknown query parameters
//! are ignored. Each record is answered with the fields its endpoint has (a sync item has
//! no `StandardSalesPrice`, a standard account no `Timestamp`), and every answer is checked
//! against the description too.
//!
//! Everything it sends is written here from the documented shapes (`serde_json::json!` and
//! raw JSON text), never produced by the connector's own types.

use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use connector_core::http::{dates, now_utc};
use connector_testkit::simulator::spec::{ApiSpec, Violation, ViolationKind};
use connector_testkit::simulator::{
    Collection, CollectionOptions, Faults, Journal, Method, RateLimiter, SimClock, SimHandler,
    SimRequest, SimResponse, SimServer, SimStore, TokenIssuer,
};
use rust_decimal::Decimal;
use secrecy::SecretString;
use serde_json::{Value, json};

use crate::config::ExactConfig;

mod demo;
mod filter;
mod reads;
mod writes;

pub use demo::{
    DEMO_ACCOUNTS, DEMO_CONTACTS, DEMO_ITEMS, DEMO_PRICES, DEMO_SHIPPING_METHODS, DEMO_STOCK,
    DEMO_VAT_CODES,
};

/// The description of Exact Online's API the simulator and the connector are held to
/// (`tests/fixtures/exact-api.json`, from picqer/exact-php-client's and Exact's .NET client's
/// entity models).
pub fn api_spec() -> Arc<ApiSpec> {
    SPEC.clone()
}

static SPEC: LazyLock<Arc<ApiSpec>> = LazyLock::new(|| {
    let text = include_str!("../../tests/fixtures/exact-api.json");
    Arc::new(ApiSpec::from_json(text).unwrap_or_else(|e| panic!("exact-api.json: {e}")))
});

/// The entity behind a `$select` or body schema name, as Exact names it in errors.
fn model(schema: &str) -> String {
    let name = schema.trim_start_matches("Sync").trim_end_matches("Create");
    format!("Exact.Web.Api.Models.{name}")
}

/// How Exact answers a request that breaks the description: a property an entity does not
/// have is a `400` naming it (OData's "No property … exists"); an unknown `$` option a
/// `400`; other unknown parameters and read-only fields are ignored (passed on, the breach
/// recorded); an unknown endpoint a `404`.
fn refuse(req: &SimRequest, violations: &[Violation]) -> Option<SimResponse> {
    if violations.iter().any(|v| v.kind == ViolationKind::UnknownOperation) {
        return Some(error(404, "Resource not found"));
    }
    let spec = api_spec();
    let op = spec.operation(req.method.as_str(), &req.path);
    let select_schema =
        || op.and_then(|o| o.path().rsplit('/').next().map(str::to_owned)).unwrap_or_default();
    for v in violations {
        let message = match (v.kind, v.place.as_str()) {
            (ViolationKind::UnknownParameter, place) => {
                let name = place.trim_start_matches("query.");
                if !name.starts_with('$') {
                    continue;
                }
                format!(
                    "The query parameter '{name}' begins with a system-reserved '$' character but is not recognized."
                )
            }
            (ViolationKind::ReadOnly, _) => continue,
            (ViolationKind::UnknownField, "query.$select") => {
                let field = v.message.split('`').nth(1).unwrap_or_default();
                let schema = v.message.rsplit(' ').next().unwrap_or_default();
                format!(
                    "No property '{field}' exists in type '{}' (at {}).",
                    model(schema),
                    select_schema()
                )
            }
            (ViolationKind::UnknownField, place) => {
                let field = place.rsplit('.').next().unwrap_or_default();
                let schema = v.message.split(' ').next().unwrap_or_default();
                format!(
                    "The property '{field}' does not exist on type '{}'. Make sure to only use property names that are defined by the type.",
                    model(schema)
                )
            }
            (ViolationKind::MissingRequired, place) => {
                format!("Mandatory: {}", place.rsplit('.').next().unwrap_or_default())
            }
            _ => format!("Error processing request: {v}"),
        };
        return Some(error(400, &message));
    }
    None
}

/// The simulator's OAuth2 client id.
pub const CLIENT_ID: &str = "b81cc4de-d192-400e-bcb4-09254394c52a";
/// The simulator's OAuth2 client secret.
pub const CLIENT_SECRET: &str = "sim-exact-secret";
/// The simulated division.
pub const DIVISION: i64 = 3_145_431;
/// The authorization code the simulator accepts once.
pub const AUTH_CODE: &str = "sim-exact-authorization-code";

/// How to start a simulator.
#[derive(Debug, Clone)]
pub struct ExactSimulatorBuilder {
    demo: bool,
    per_minute: u32,
    per_day: u32,
    access_ttl: Duration,
    port: u16,
}

impl Default for ExactSimulatorBuilder {
    fn default() -> Self {
        Self {
            demo: true,
            per_minute: 60,
            per_day: 5_000,
            access_ttl: Duration::from_secs(600),
            port: 0,
        }
    }
}

impl ExactSimulatorBuilder {
    /// Starts without the demo data.
    pub fn empty(mut self) -> Self {
        self.demo = false;
        self
    }

    /// Sets the per-division limits (Exact: 60 a minute, 5,000 a day).
    pub fn limits(mut self, per_minute: u32, per_day: u32) -> Self {
        self.per_minute = per_minute;
        self.per_day = per_day;
        self
    }

    /// Listens on this port (0, the default: any free port).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Sets how long access tokens live (600 s).
    pub fn access_ttl(mut self, ttl: Duration) -> Self {
        self.access_ttl = ttl;
        self
    }

    /// Starts the server.
    pub async fn start(self) -> std::io::Result<ExactSimulator> {
        let faults = Faults::new();
        let journal = Journal::new();
        let store = SimStore::with_shared_versions(SimClock::from_system_time());
        let coll = |name: &str, id: &str| {
            store.collection_with(
                name,
                CollectionOptions::new().id_field(id).version_field("Timestamp").guid_ids().stamp(
                    |meta, value| {
                        value["Modified"] =
                            json!(format!("/Date({})/", meta.updated_at.timestamp_millis()));
                        if value.get("Created").is_none_or(Value::is_null) {
                            value["Created"] =
                                json!(format!("/Date({})/", meta.created_at.timestamp_millis()));
                        }
                    },
                ),
            )
        };
        let tokens = TokenIssuer::new().access_ttl(self.access_ttl).linked_to(&faults);
        let state = Arc::new(State {
            accounts: coll("Accounts", "ID"),
            contacts: coll("Contacts", "ID"),
            items: coll("Items", "ID"),
            prices: coll("SalesItemPrices", "ID"),
            stock: coll("StockPositions", "ID"),
            vat_codes: coll("VATCodes", "ID"),
            shipping_methods: coll("ShippingMethods", "ID"),
            orders: coll("SalesOrders", "OrderID"),
            invoices: coll("SalesInvoices", "InvoiceID"),
            quotations: coll("Quotations", "QuotationID"),
            deliveries: coll("GoodsDeliveries", "EntryID"),
            store,
            tokens,
            codes: Mutex::new(vec![AUTH_CODE.to_owned()]),
            numbers: Mutex::new(Numbers {
                order: 100,
                invoice: 24_000,
                quotation: 500,
                delivery: 7_000,
            }),
            base: Mutex::new(String::new()),
        });
        // Exact's rowversions are large numbers: the first sync call asks `Timestamp gt 1`,
        // so version 1 is spent on a record nobody serves.
        let _ = state.store.collection("RowVersionSeed").insert(json!({"ID": "seed"}));
        if self.demo {
            state.seed_demo();
        }
        let limiter = RateLimiter::builder()
            .key_by(|req| division_of(&req.path).map(|d| d.to_string()))
            .per_minute(self.per_minute)
            .per_day(self.per_day)
            .on_limited(|hit| {
                let window =
                    if hit.window == "minute" { SpentWindow::Minute } else { SpentWindow::Day };
                rate_limited(window, u64::from(hit.limit), hit.retry_after)
            })
            .on_response(|snap, resp| {
                let now = now_utc().timestamp_millis();
                let mut resp = resp;
                for (window, prefix) in
                    [("day", "X-RateLimit-"), ("minute", "X-RateLimit-Minutely-")]
                {
                    if let Some(w) = snap.window(window) {
                        let reset = now + i64::try_from(w.reset_after.as_millis()).unwrap_or(0);
                        resp = resp
                            .with_header(&format!("{prefix}Limit"), w.limit)
                            .with_header(&format!("{prefix}Remaining"), w.remaining)
                            .with_header(&format!("{prefix}Reset"), reset);
                    }
                }
                resp
            })
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
        *lock(&state.base) = server.base_url().trim_end_matches('/').to_owned();
        Ok(ExactSimulator {
            server,
            state,
            initial_refresh: initial.refresh_token.unwrap_or_default(),
        })
    }
}

/// A running simulator.
pub struct ExactSimulator {
    server: SimServer,
    state: Arc<State>,
    initial_refresh: String,
}

impl fmt::Debug for ExactSimulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExactSimulator")
            .field("base_url", &self.server.base_url())
            .finish_non_exhaustive()
    }
}

/// Which of Exact's budgets a `429` reports as spent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpentWindow {
    /// The minute's calls: only the `X-RateLimit-Minutely-*` headers are sent.
    Minute,
    /// The day's calls: the daily `X-RateLimit-*` headers, remaining `0`.
    Day,
}

/// Exact's own `429`: its error body and the headers of the spent `window` (`limit` calls,
/// resetting `reset_in` from now, in epoch milliseconds). For the rate limiter and for
/// fault rules (`Fault::Respond(rate_limited(…))`).
pub fn rate_limited(window: SpentWindow, limit: u64, reset_in: Duration) -> SimResponse {
    let now = now_utc().timestamp_millis();
    let reset = now.saturating_add(i64::try_from(reset_in.as_millis()).unwrap_or(i64::MAX / 2));
    let r = SimResponse::raw_json(
        429,
        r#"{"error":{"code":"","message":{"lang":"","value":"API rate limit exceeded."}}}"#,
    );
    match window {
        // Once the minute is spent, only the minutely headers are sent.
        SpentWindow::Minute => r
            .with_header("X-RateLimit-Minutely-Limit", limit)
            .with_header("X-RateLimit-Minutely-Remaining", 0)
            .with_header("X-RateLimit-Minutely-Reset", reset),
        SpentWindow::Day => r
            .with_header("X-RateLimit-Limit", limit)
            .with_header("X-RateLimit-Remaining", 0)
            .with_header("X-RateLimit-Reset", reset),
    }
}

impl ExactSimulator {
    /// A builder (demo data, Exact's real limits).
    pub fn builder() -> ExactSimulatorBuilder {
        ExactSimulatorBuilder::default()
    }

    /// Starts with the demo data and Exact's real limits.
    pub async fn start() -> std::io::Result<Self> {
        Self::builder().start().await
    }

    /// The server's base URL.
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    /// A configuration pointing at this simulator, with a valid refresh token and no
    /// division (read from `current/Me`).
    pub fn config(&self) -> ExactConfig {
        let mut c = ExactConfig::new(CLIENT_ID, SecretString::from(CLIENT_SECRET));
        c.refresh_token = Some(SecretString::from(self.initial_refresh.clone()));
        c.api_url = self.server.base_url().trim_end_matches('/').to_owned();
        c.token_url = self.server.url("/api/oauth2/token");
        c.tracking_url_template = Some("https://track.example/{code}".to_owned());
        // Variants in the items' free fields, the usual layout (parent code, size, colour,
        // country of origin).
        c.item_variants = Some(crate::config::ItemVariants::default());
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

    /// The accounts.
    pub fn accounts(&self) -> &Collection {
        &self.state.accounts
    }

    /// The contacts.
    pub fn contacts(&self) -> &Collection {
        &self.state.contacts
    }

    /// The items.
    pub fn items(&self) -> &Collection {
        &self.state.items
    }

    /// The stock positions (`sync/Inventory/StockPositions`).
    pub fn stock(&self) -> &Collection {
        &self.state.stock
    }

    /// The VAT codes (`vat/VATCodes`).
    pub fn vat_codes(&self) -> &Collection {
        &self.state.vat_codes
    }

    /// The shipping methods (`sales/ShippingMethods`).
    pub fn shipping_methods(&self) -> &Collection {
        &self.state.shipping_methods
    }

    /// The sales item prices.
    pub fn prices(&self) -> &Collection {
        &self.state.prices
    }

    /// The sales orders.
    pub fn orders(&self) -> &Collection {
        &self.state.orders
    }

    /// The sales invoices.
    pub fn invoices(&self) -> &Collection {
        &self.state.invoices
    }

    /// The quotations.
    pub fn quotations(&self) -> &Collection {
        &self.state.quotations
    }

    /// The goods deliveries.
    pub fn deliveries(&self) -> &Collection {
        &self.state.deliveries
    }

    /// Adds an item as a user would (`Code`, `Description`, sales price).
    /// Its sales price is a default price in `sync/Logistics/SalesItemPrices` (and the
    /// `StandardSalesPrice` of the standard `logistics/Items`), its VAT code `2` (21 %).
    pub fn add_item(&self, code: &str, description: &str, price: &str) -> String {
        self.state.add_item(code, description, price, None)
    }

    /// Deletes an item (it appears in `sync/Deleted` with `EntityType` 9).
    pub fn delete_item(&self, code: &str) -> bool {
        let found = self.state.items.find(|r| r.value["Code"].as_str() == Some(code));
        found.is_some_and(|r| self.state.items.delete(&r.id).is_ok())
    }

    /// Books a goods delivery of some lines of a sales order (by its `OrderNumber`), with a
    /// tracking number and a carrier: `lines` are `(ItemCode, quantity)`. Returns the
    /// delivery number.
    pub fn deliver(
        &self,
        order_number: i64,
        lines: &[(&str, &str)],
        tracking: &str,
        carrier: &str,
    ) -> Option<i64> {
        let order =
            self.state.orders.find(|r| r.value["OrderNumber"].as_i64() == Some(order_number))?;
        let number = {
            let mut n = lock(&self.state.numbers);
            n.delivery += 1;
            n.delivery
        };
        let order_lines = order.value["SalesOrderLines"].as_array().cloned().unwrap_or_default();
        let dl: Vec<Value> = lines
            .iter()
            .map(|(code, qty)| {
                let line_no = order_lines
                    .iter()
                    .find(|l| l["ItemCode"].as_str() == Some(code))
                    .and_then(|l| l["LineNumber"].as_i64())
                    .unwrap_or(1);
                let text = format!(
                    r#"{{"ItemCode":"{code}","QuantityDelivered":{qty},"SalesOrderNumber":{order_number},"SalesOrderLineNumber":{line_no}}}"#
                );
                serde_json::from_str(&text).unwrap_or(Value::Null)
            })
            .collect();
        let text = format!(
            r#"{{"DeliveryNumber":{number},"DeliveryDate":"/Date({})/","DeliveryAccount":"{}","TrackingNumber":"{tracking}","ShippingMethodCode":"{}","ShippingMethodDescription":"{carrier}","Description":"Delivery of order {order_number}"}}"#,
            now_utc()
                .date_naive()
                .and_hms_opt(0, 0, 0)
                .map(|d| d.and_utc().timestamp_millis())
                .unwrap_or(0),
            order.value["OrderedBy"].as_str().unwrap_or_default(),
            carrier.to_uppercase().replace(' ', "")
        );
        let mut v: Value = serde_json::from_str(&text).ok()?;
        v["GoodsDeliveryLines"] = Value::Array(dl);
        self.state.deliveries.insert(v).ok()?;
        Some(number)
    }

    /// Adds `n` items `BULK-000000…` (for load tests).
    pub fn seed_items(&self, n: usize) {
        for i in 0..n {
            let code = format!("BULK-{i:06}");
            self.state.add_item(&code, &format!("Bulk item {i}"), "2.9900", Some("1.2500"));
        }
    }

    /// Adds `n` customer accounts `Bulk NNNNNN` with codes from 100000.
    pub fn seed_accounts(&self, n: usize) {
        for i in 0..n {
            let text = format!(
                r#"{{"Code":"{:>18}","Name":"Bulk {i:06}","Email":"bulk{i}@example.nl","City":"Utrecht","Country":"NL","Status":"C","IsSales":true}}"#,
                100_000 + i
            );
            let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            let _ = self.state.accounts.insert(v);
        }
    }

    /// Stops the server.
    pub async fn shutdown(self) {
        self.server.shutdown().await;
    }

    /// Serves until Ctrl-C (the CLI's `simulate`).
    pub async fn run_until_ctrl_c(self) -> std::io::Result<()> {
        self.server.run_until_ctrl_c().await
    }
}

struct Numbers {
    order: i64,
    invoice: i64,
    quotation: i64,
    delivery: i64,
}

struct State {
    accounts: Collection,
    contacts: Collection,
    items: Collection,
    prices: Collection,
    stock: Collection,
    vat_codes: Collection,
    shipping_methods: Collection,
    orders: Collection,
    invoices: Collection,
    quotations: Collection,
    deliveries: Collection,
    store: SimStore,
    tokens: TokenIssuer,
    codes: Mutex<Vec<String>>,
    numbers: Mutex<Numbers>,
    base: Mutex<String>,
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

/// The division of `/api/v1/{division}/…`.
fn division_of(path: &str) -> Option<i64> {
    path.strip_prefix("/api/v1/")?.split('/').next()?.parse().ok()
}

/// Exact's error body.
fn error(status: u16, message: &str) -> SimResponse {
    SimResponse::json(
        status,
        json!({"error": {"code": "", "message": {"lang": "", "value": message}}}),
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
    serde_json::from_str(&d.normalize().to_string()).unwrap_or(Value::Null)
}

fn ms_of(v: &Value) -> Option<i64> {
    v.as_str().and_then(|s| dates::parse_ms_json(s).ok()).map(|d| d.timestamp_millis())
}

impl State {
    /// An item with a default sales price (a `SalesItemPrices` row without an account).
    fn add_item(&self, code: &str, description: &str, price: &str, cost: Option<&str>) -> String {
        let mut v = json!({
            "Code": code, "Description": description, "IsSalesItem": true, "IsStockItem": true,
            "Unit": "pc", "SalesVatCode": "2",
        });
        let price = dec(&json!(price)).unwrap_or_default();
        v["StandardSalesPrice"] = num(price);
        if let Some(c) = cost.and_then(|c| dec(&json!(c))) {
            v["CostPriceStandard"] = num(c);
        }
        let Ok(item) = self.items.insert(v) else { return String::new() };
        let _ = self.prices.insert(json!({
            "Item": item.id, "ItemCode": code, "Currency": "EUR", "Price": num(price),
            "Quantity": 0, "Unit": "pc",
        }));
        item.id
    }

    fn seed_demo(&self) {
        seed(&self.accounts, "ID", DEMO_ACCOUNTS);
        seed(&self.contacts, "ID", DEMO_CONTACTS);
        seed(&self.items, "ID", DEMO_ITEMS);
        seed(&self.prices, "ID", DEMO_PRICES);
        seed(&self.stock, "ID", DEMO_STOCK);
        seed(&self.vat_codes, "ID", DEMO_VAT_CODES);
        seed(&self.shipping_methods, "ID", DEMO_SHIPPING_METHODS);
    }

    fn base(&self) -> String {
        lock(&self.base).clone()
    }

    fn token(&self, req: &SimRequest) -> SimResponse {
        let get = |k: &str| req.form_value(k);
        if get("client_id").as_deref() != Some(CLIENT_ID)
            || get("client_secret").as_deref() != Some(CLIENT_SECRET)
        {
            return SimResponse::json(400, json!({"error": "invalid_client"}));
        }
        let issued = match get("grant_type").as_deref() {
            Some("refresh_token") => {
                match self.tokens.refresh(&get("refresh_token").unwrap_or_default()) {
                    Ok(t) => t,
                    Err(e) => return e.to_response(true),
                }
            }
            Some("authorization_code") => {
                let code = get("code").unwrap_or_default();
                let mut codes = lock(&self.codes);
                match codes.iter().position(|c| *c == code) {
                    Some(i) => {
                        codes.remove(i);
                        self.tokens.issue(CLIENT_ID)
                    }
                    None => return SimResponse::json(400, json!({"error": "invalid_grant"})),
                }
            }
            _ => return SimResponse::json(400, json!({"error": "unsupported_grant_type"})),
        };
        // `expires_in` is a string.
        SimResponse::raw_json(
            200,
            &format!(
                r#"{{"access_token":"{}","token_type":"bearer","expires_in":"{}","refresh_token":"{}"}}"#,
                issued.access_token,
                issued.expires_in.as_secs(),
                issued.refresh_token.unwrap_or_default()
            ),
        )
    }

    fn api(&self, req: &SimRequest, rest: &str) -> SimResponse {
        match req.bearer_token().map(|t| self.tokens.validate(t)) {
            Some(Ok(_)) => {}
            _ => {
                return SimResponse::text(401, "")
                    .with_header("WWW-Authenticate", "Bearer error=\"invalid_token\"");
            }
        }
        if rest == "current/Me" {
            return SimResponse::raw_json(
                200,
                &format!(
                    r#"{{"d":{{"results":[{{"__metadata":{{"uri":"{}/api/v1/current/Me(guid'7c1b7c6a-0000-4000-8000-000000000001')","type":"Exact.Web.Api.System.Me"}},"CurrentDivision":{DIVISION},"FullName":"Simulator User","UserID":"7c1b7c6a-0000-4000-8000-000000000001","LanguageCode":"nl-NL"}}]}}}}"#,
                    self.base()
                ),
            );
        }
        let Some((div, path)) = rest.split_once('/') else {
            return error(404, "Resource not found");
        };
        let Ok(div) = div.parse::<i64>() else {
            return error(404, "Resource not found");
        };
        if div != DIVISION {
            return error(403, &format!("Forbidden: no access to division {div}"));
        }
        match req.method {
            Method::GET if path == "sync/Deleted" => self.deleted(req),
            Method::GET => self.list(req, path),
            Method::POST => self.post(req, path),
            Method::PUT => self.put(req, path),
            _ => error(405, "Method not allowed"),
        }
    }
}

#[async_trait]
impl SimHandler for State {
    async fn handle(&self, req: SimRequest) -> SimResponse {
        let path = req.path.clone();
        if path == "/api/oauth2/token" && req.method == Method::POST {
            return self.token(&req);
        }
        match path.strip_prefix("/api/v1/") {
            Some(rest) => self.api(&req, rest.trim_end_matches('/')),
            None => error(404, "Resource not found"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_filters() {
        let c = filter::parse("Timestamp gt 12L and EntityType eq 9").unwrap();
        assert!(filter::eval(&c, &json!({"Timestamp": 13, "EntityType": 9})));
        assert!(!filter::eval(&c, &json!({"Timestamp": 12, "EntityType": 9})));
        let c = filter::parse("Code eq '              1068'").unwrap();
        assert!(filter::eval(&c, &json!({"Code": "              1068"})));
        let c = filter::parse("Email eq 'o''brien@x.nl'").unwrap();
        assert!(filter::eval(&c, &json!({"Email": "O'Brien@x.nl"})));
        let c = filter::parse("Account eq guid'A1B2'").unwrap();
        assert!(filter::eval(&c, &json!({"Account": "a1b2"})));
        let c = filter::parse("Modified ge datetime'2020-01-01T00:00:00'").unwrap();
        assert!(filter::eval(&c, &json!({"Modified": "/Date(1577836800000)/"})));
        assert!(!filter::eval(&c, &json!({"Modified": "/Date(1577836799999)/"})));
        assert!(filter::parse("Name like 'x'").is_none());
    }

    #[test]
    fn demo_data_is_valid_json() {
        for text in [
            DEMO_ACCOUNTS,
            DEMO_CONTACTS,
            DEMO_ITEMS,
            DEMO_PRICES,
            DEMO_STOCK,
            DEMO_VAT_CODES,
            DEMO_SHIPPING_METHODS,
        ] {
            let v: Vec<Value> = serde_json::from_str(text).unwrap();
            assert!(!v.is_empty());
        }
    }
}
