//! A stateful simulator of the Exact Online REST API on `127.0.0.1` (feature `simulator`).
//!
//! It serves the token endpoint (`/api/oauth2/token`: form-encoded client credentials,
//! rotating single-use refresh tokens, `expires_in` as a string), `current/Me`, and under
//! `/api/v1/{division}/`: the sync endpoints of accounts, items, item warehouses and sales
//! item prices (1,000-row pages, `$select` mandatory, `Timestamp gt …L`, `__next` with a
//! `$skiptoken`), `sync/Deleted`, and the standard endpoints of accounts, contacts, items,
//! sales orders, sales invoices, quotations and goods deliveries (60-row pages, `$filter` with
//! typed literals, `$select`, `$top` answering `{"d":[…]}`, `$expand` of lines, `$orderby`),
//! POST with deep-inserted lines answering `201 {"d":{…}}`, PUT answering `204`, Exact's
//! error body, and the per-division limits (60 a minute, 5,000 a day) with the
//! `X-RateLimit-*` headers (resets in epoch ms; only the minutely headers on a minutely 429).
//!
//! Everything it sends is written here from the documented shapes (`serde_json::json!` and
//! raw JSON text), never produced by the connector's own types.

use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use connector_core::http::{dates, now_utc};
use connector_core::simulator::{
    Collection, CollectionOptions, Faults, Journal, Method, RateLimiter, Record, SimClock,
    SimHandler, SimRequest, SimResponse, SimServer, SimStore, TokenIssuer,
};
use rust_decimal::Decimal;
use secrecy::SecretString;
use serde_json::{Map, Value, json};

use crate::config::ExactConfig;

/// The simulator's OAuth2 client id.
pub const CLIENT_ID: &str = "b81cc4de-d192-400e-bcb4-09254394c52a";
/// The simulator's OAuth2 client secret.
pub const CLIENT_SECRET: &str = "sim-exact-secret";
/// The simulated division.
pub const DIVISION: i64 = 3_145_431;
/// The authorization code the simulator accepts once.
pub const AUTH_CODE: &str = "sim-exact-authorization-code";

/// Accounts as Exact sends them (codes right-aligned in 18 characters).
pub const DEMO_ACCOUNTS: &str = r#"[
  {"ID":"a1b2c3d4-0001-4000-8000-000000000001","Code":"              1068","Name":"Fietsenwinkel De Ketting BV","Email":"inkoop@deketting.example","Phone":"+31 20 555 0101","VATNumber":"NL001234567B01","ChamberOfCommerce":"12345678","AddressLine1":"Kettingstraat 12","Postcode":"1011 AB","City":"Amsterdam","Country":"NL","Status":"C","IsSales":true,"Blocked":false,"PaymentConditionSales":"30","Language":"NL"},
  {"ID":"a1b2c3d4-0002-4000-8000-000000000002","Code":"              1069","Name":"Jan de Vries","Email":"jan.devries@example.nl","AddressLine1":"Dorpsweg 3","Postcode":"3511 CE","City":"Utrecht","Country":"NL","Status":"C","IsSales":true,"Blocked":false},
  {"ID":"a1b2c3d4-0003-4000-8000-000000000003","Code":"              2001","Name":"Onderdelen Leverancier NV","Email":"sales@leverancier.example","Status":"S","IsSales":false,"IsSupplier":true},
  {"ID":"a1b2c3d4-0004-4000-8000-000000000004","Code":"              9999","Name":"Webshop Debiteur","Email":"webshop@example.nl","Status":"C","IsSales":true}
]"#;

/// Contacts under the accounts.
pub const DEMO_CONTACTS: &str = r#"[
  {"ID":"c0c0c0c0-0001-4000-8000-000000000001","Account":"a1b2c3d4-0001-4000-8000-000000000001","FirstName":"Els","LastName":"Bakker","Email":"els@deketting.example","JobTitleDescription":"Inkoper","IsMainContact":true},
  {"ID":"c0c0c0c0-0002-4000-8000-000000000002","Account":"a1b2c3d4-0002-4000-8000-000000000002","FirstName":"Jan","LastName":"de Vries","Email":"jan.devries@example.nl","IsMainContact":true}
]"#;

/// Items: stock and service items, one ended, with exact prices.
pub const DEMO_ITEMS: &str = r#"[
  {"ID":"1f000000-0000-4000-8000-000000000001","Code":"BIKE-CITY-M","Description":"City bike, 53 cm","ExtraDescription":"Comfortable city bike","Notes":"Aluminium frame, 7 gears, hub dynamo. Long description from Exact.","Barcode":"8712345000011","IsSalesItem":true,"IsStockItem":true,"IsPurchaseItem":true,"ItemGroupCode":"BIKES","ItemGroupDescription":"Bikes","PictureUrl":"https://start.exactonline.nl/docs/images/bike-city.png","Unit":"pc","SalesVatCode":"2","SalesVatCodePercentage":0.21,"CostPriceStandard":312.5000,"StandardSalesPrice":549.0000,"GrossWeight":16.500},
  {"ID":"1f000000-0000-4000-8000-000000000002","Code":"LOCK-CHAIN","Description":"Chain lock 90 cm","Barcode":"8712345000028","IsSalesItem":true,"IsStockItem":true,"IsPurchaseItem":true,"ItemGroupCode":"ACC","ItemGroupDescription":"Accessories","Unit":"pc","SalesVatCode":"2","SalesVatCodePercentage":0.21,"CostPriceStandard":11.0400,"StandardSalesPrice":24.9500},
  {"ID":"1f000000-0000-4000-8000-000000000003","Code":"SERVICE-TUNE","Description":"Tune-up","IsSalesItem":true,"IsStockItem":false,"IsPurchaseItem":false,"Unit":"hr","SalesVatCode":"2","SalesVatCodePercentage":0.21,"StandardSalesPrice":45.0000},
  {"ID":"1f000000-0000-4000-8000-000000000004","Code":"BIKE-OLD-2019","Description":"Model 2019 (ended)","IsSalesItem":true,"IsStockItem":true,"StandardSalesPrice":399.0000,"EndDate":"/Date(1577836800000)/"}
]"#;

/// Default sales prices (one is customer-specific).
pub const DEMO_PRICES: &str = r#"[
  {"ID":"9a000000-0000-4000-8000-000000000001","Item":"1f000000-0000-4000-8000-000000000001","ItemCode":"BIKE-CITY-M","Currency":"EUR","Price":549.0000,"Quantity":1.0,"Unit":"pc"},
  {"ID":"9a000000-0000-4000-8000-000000000002","Item":"1f000000-0000-4000-8000-000000000002","ItemCode":"LOCK-CHAIN","Currency":"EUR","Price":24.9500,"Quantity":1.0,"Unit":"pc"},
  {"ID":"9a000000-0000-4000-8000-000000000003","Item":"1f000000-0000-4000-8000-000000000002","ItemCode":"LOCK-CHAIN","Account":"a1b2c3d4-0001-4000-8000-000000000001","Currency":"EUR","Price":19.9500,"Quantity":10.0,"Unit":"pc"}
]"#;

/// Stock per item and warehouse.
pub const DEMO_WAREHOUSES: &str = r#"[
  {"ID":"5a000000-0000-4000-8000-000000000001","Item":"1f000000-0000-4000-8000-000000000001","ItemCode":"BIKE-CITY-M","Warehouse":"7e000000-0000-4000-8000-000000000001","WarehouseCode":"1","CurrentStock":12.0,"ReservedStock":3.0,"PlannedStockIn":5.0,"PlannedStockOut":3.0},
  {"ID":"5a000000-0000-4000-8000-000000000002","Item":"1f000000-0000-4000-8000-000000000002","ItemCode":"LOCK-CHAIN","Warehouse":"7e000000-0000-4000-8000-000000000001","WarehouseCode":"1","CurrentStock":140.0,"ReservedStock":0.0,"PlannedStockIn":0.0,"PlannedStockOut":0.0}
]"#;

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
            warehouses: coll("ItemWarehouses", "ID"),
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

    /// The item warehouses (stock).
    pub fn warehouses(&self) -> &Collection {
        &self.state.warehouses
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
    pub fn add_item(&self, code: &str, description: &str, price: &str) -> String {
        let text = format!(
            r#"{{"Code":"{code}","Description":"{description}","IsSalesItem":true,"IsStockItem":true,"Unit":"pc","SalesVatCode":"2","SalesVatCodePercentage":0.21,"StandardSalesPrice":{price}}}"#
        );
        let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        self.state.items.insert(v).map(|r| r.id).unwrap_or_default()
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
            let text = format!(
                r#"{{"Code":"BULK-{i:06}","Description":"Bulk item {i}","IsSalesItem":true,"IsStockItem":true,"Unit":"pc","SalesVatCode":"2","SalesVatCodePercentage":0.21,"CostPriceStandard":1.2500,"StandardSalesPrice":2.9900}}"#
            );
            let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            let _ = self.state.items.insert(v);
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
    warehouses: Collection,
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

/// `$filter`: comparisons (`eq ne gt ge lt le`) of a field with a typed literal
/// (`'text'`, `guid'…'`, `datetime'…'`, `123`, `123L`, `true`), joined by `and`.
mod filter {
    use serde_json::Value;

    #[derive(Debug, Clone, PartialEq)]
    pub enum Lit {
        Text(String),
        Guid(String),
        DateTime(i64),
        Int(i64),
        Bool(bool),
    }

    #[derive(Debug, Clone)]
    pub struct Cmp {
        pub field: String,
        pub op: String,
        pub lit: Lit,
    }

    fn split_and(s: &str) -> Vec<String> {
        let mut parts = Vec::new();
        let mut cur = String::new();
        let mut quoted = false;
        let chars: Vec<char> = s.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if c == '\'' {
                quoted = !quoted;
            }
            if !quoted && chars[i..].iter().collect::<String>().to_lowercase().starts_with(" and ")
            {
                parts.push(std::mem::take(&mut cur));
                i += 5;
                continue;
            }
            cur.push(c);
            i += 1;
        }
        parts.push(cur);
        parts
    }

    fn lit(s: &str) -> Option<Lit> {
        let s = s.trim();
        let quoted = |p: &str| -> Option<String> {
            let rest = s.strip_prefix(p)?.strip_prefix('\'')?.strip_suffix('\'')?;
            Some(rest.replace("''", "'"))
        };
        if let Some(g) = quoted("guid") {
            return Some(Lit::Guid(g.to_lowercase()));
        }
        if let Some(d) = quoted("datetime") {
            let t = chrono::NaiveDateTime::parse_from_str(&d, "%Y-%m-%dT%H:%M:%S%.f")
                .or_else(|_| chrono::NaiveDateTime::parse_from_str(&d, "%Y-%m-%dT%H:%M:%S"))
                .or_else(|_| chrono::NaiveDateTime::parse_from_str(&d, "%Y-%m-%dT%H:%M"))
                .ok()?;
            return Some(Lit::DateTime(t.and_utc().timestamp_millis()));
        }
        if let Some(t) = quoted("") {
            return Some(Lit::Text(t));
        }
        match s {
            "true" => return Some(Lit::Bool(true)),
            "false" => return Some(Lit::Bool(false)),
            _ => {}
        }
        s.trim_end_matches('L').parse().ok().map(Lit::Int)
    }

    pub fn parse(s: &str) -> Option<Vec<Cmp>> {
        split_and(s)
            .into_iter()
            .map(|part| {
                let part = part.trim().trim_start_matches('(').trim_end_matches(')');
                let mut it = part.splitn(3, ' ');
                let field = it.next()?.to_owned();
                let op = it.next()?.to_lowercase();
                if !["eq", "ne", "gt", "ge", "lt", "le"].contains(&op.as_str()) {
                    return None;
                }
                Some(Cmp { field, op, lit: lit(it.next()?)? })
            })
            .collect()
    }

    fn ord(op: &str, o: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering::*;
        match op {
            "eq" => o == Equal,
            "ne" => o != Equal,
            "gt" => o == Greater,
            "ge" => o != Less,
            "lt" => o == Less,
            "le" => o != Greater,
            _ => false,
        }
    }

    pub fn eval(c: &[Cmp], v: &Value) -> bool {
        c.iter().all(|c| {
            let field = &v[c.field.as_str()];
            match &c.lit {
                // SQL collation: text compares without case.
                Lit::Text(t) => field
                    .as_str()
                    .is_some_and(|f| ord(&c.op, f.to_lowercase().cmp(&t.to_lowercase()))),
                Lit::Guid(g) => field.as_str().is_some_and(|f| ord(&c.op, f.to_lowercase().cmp(g))),
                Lit::DateTime(ms) => super::ms_of(field).is_some_and(|f| ord(&c.op, f.cmp(ms))),
                Lit::Int(n) => field.as_i64().is_some_and(|f| ord(&c.op, f.cmp(n))),
                Lit::Bool(b) => field.as_bool().is_some_and(|f| ord(&c.op, f.cmp(b))),
            }
        })
    }
}

/// The nested lines of an entity.
fn lines_field(name: &str) -> Option<&'static str> {
    match name {
        "SalesOrders" => Some("SalesOrderLines"),
        "SalesInvoices" => Some("SalesInvoiceLines"),
        "Quotations" => Some("QuotationLines"),
        "GoodsDeliveries" => Some("GoodsDeliveryLines"),
        _ => None,
    }
}

fn entity_type(collection: &str) -> i64 {
    match collection {
        "Accounts" => 2,
        "Contacts" => 5,
        "SalesItemPrices" => 8,
        "Items" => 9,
        "SalesInvoices" => 13,
        "GoodsDeliveries" => 16,
        "ItemWarehouses" => 19,
        "SalesOrders" => 32,
        "Quotations" => 34,
        _ => 0,
    }
}

impl State {
    fn seed_demo(&self) {
        seed(&self.accounts, "ID", DEMO_ACCOUNTS);
        seed(&self.contacts, "ID", DEMO_CONTACTS);
        seed(&self.items, "ID", DEMO_ITEMS);
        seed(&self.prices, "ID", DEMO_PRICES);
        seed(&self.warehouses, "ID", DEMO_WAREHOUSES);
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

    fn collection(&self, path: &str) -> Option<(&Collection, &'static str, bool)> {
        // (collection, name, sync)
        Some(match path {
            "crm/Accounts" => (&self.accounts, "Accounts", false),
            "crm/Contacts" => (&self.contacts, "Contacts", false),
            "logistics/Items" => (&self.items, "Items", false),
            "logistics/SalesItemPrices" => (&self.prices, "SalesItemPrices", false),
            "inventory/ItemWarehouses" => (&self.warehouses, "ItemWarehouses", false),
            "salesorder/SalesOrders" => (&self.orders, "SalesOrders", false),
            "salesinvoice/SalesInvoices" => (&self.invoices, "SalesInvoices", false),
            "crm/Quotations" => (&self.quotations, "Quotations", false),
            "salesorder/GoodsDeliveries" => (&self.deliveries, "GoodsDeliveries", false),
            "sync/CRM/Accounts" => (&self.accounts, "Accounts", true),
            "sync/Logistics/Items" => (&self.items, "Items", true),
            "sync/Logistics/SalesItemPrices" => (&self.prices, "SalesItemPrices", true),
            "sync/Inventory/ItemWarehouses" => (&self.warehouses, "ItemWarehouses", true),
            _ => return None,
        })
    }

    /// Projects a record for the answer: `__metadata`, `$select`, lines expanded or deferred.
    #[allow(clippy::too_many_arguments)]
    fn shape(
        &self,
        div: i64,
        path: &str,
        name: &str,
        id_field: &str,
        r: &Record,
        select: Option<&[String]>,
        expand: bool,
    ) -> Value {
        let mut v = r.value.clone();
        let uri = format!("{}/api/v1/{div}/{path}(guid'{}')", self.base(), r.id);
        if let Some(lf) = lines_field(name) {
            if expand {
                let lines = v.get(lf).cloned().unwrap_or(Value::Array(Vec::new()));
                v[lf] = json!({"results": lines});
            } else {
                v[lf] = json!({"__deferred": {"uri": format!("{uri}/{lf}")}});
            }
        }
        let mut out = Map::new();
        out.insert("__metadata".into(), json!({"uri": uri, "type": format!("Exact.Web.Api.Models.{}", name.trim_end_matches('s'))}));
        if let Value::Object(m) = v {
            for (k, val) in m {
                let keep = match select {
                    Some(fields) => {
                        fields.iter().any(|f| f == &k) || k == id_field && fields.is_empty()
                    }
                    None => true,
                };
                if keep {
                    out.insert(k, val);
                }
            }
        }
        Value::Object(out)
    }

    fn list(&self, req: &SimRequest, div: i64, path: &str) -> SimResponse {
        let Some((coll, name, sync)) = self.collection(path) else {
            return error(404, &format!("Resource not found: {path}"));
        };
        let id_field = match name {
            "SalesOrders" => "OrderID",
            "SalesInvoices" => "InvoiceID",
            "Quotations" => "QuotationID",
            "GoodsDeliveries" => "EntryID",
            _ => "ID",
        };
        let select: Option<Vec<String>> = req
            .query("$select")
            .map(|s| s.split(',').map(|f| f.trim().to_owned()).filter(|f| !f.is_empty()).collect());
        let top = req.query("$top").and_then(|t| t.trim().parse::<usize>().ok());
        if sync || path.starts_with("bulk/") {
            match &select {
                None => return error(400, "$select is mandatory on sync and bulk endpoints."),
                Some(s) if s.iter().any(|f| f == "*") => {
                    return error(400, "$select=* is not supported on sync endpoints.");
                }
                _ => {}
            }
        } else if select.is_none() && top != Some(1) {
            return error(400, "Please add a $select or a $top=1 statement to the query string.");
        }
        let filter = match req.query("$filter") {
            Some(f) => match filter::parse(f) {
                Some(c) => c,
                None => return error(400, &format!("Invalid $filter: {f}")),
            },
            None => Vec::new(),
        };
        if sync && !filter.iter().any(|c| c.field == "Timestamp") {
            return error(400, "A filter on Timestamp is mandatory on sync endpoints.");
        }
        let expand = req.query("$expand").is_some_and(|e| {
            lines_field(name).is_some_and(|lf| e.split(',').any(|x| x.trim() == lf))
        });
        let mut rows: Vec<Record> = coll.select().all();
        rows.retain(|r| filter::eval(&filter, &r.value));
        let order_modified =
            req.query("$orderby").is_some_and(|o| o.trim().starts_with("Modified"));
        if sync {
            rows.sort_by_key(|r| r.version);
        } else if order_modified {
            rows.sort_by(|a, b| (a.updated_at, &a.id).cmp(&(b.updated_at, &b.id)));
        } else {
            rows.sort_by(|a, b| a.id.cmp(&b.id));
        }
        let page = if sync { 1000 } else { 60 };
        // The skiptoken: the last Timestamp (sync) or the last id of the previous page.
        if let Some(tok) = req.query("$skiptoken") {
            if sync {
                let after: u64 = tok.trim().trim_end_matches('L').parse().unwrap_or(0);
                rows.retain(|r| r.version > after);
            } else {
                let id =
                    tok.trim().trim_start_matches("guid'").trim_end_matches('\'').to_lowercase();
                if let Some(pos) = rows.iter().position(|r| r.id.to_lowercase() == id) {
                    rows.drain(..=pos);
                }
            }
        }
        let shape =
            |r: &Record| self.shape(div, path, name, id_field, r, select.as_deref(), expand);
        if let Some(t) = top {
            let items: Vec<Value> = rows.iter().take(t.min(page)).map(shape).collect();
            return SimResponse::json(200, json!({"d": items}));
        }
        let more = rows.len() > page;
        let items: Vec<Value> = rows.iter().take(page).map(shape).collect();
        let mut d = Map::new();
        d.insert("results".into(), Value::Array(items));
        if more {
            let last = &rows[page - 1];
            let token =
                if sync { format!("{}L", last.version) } else { format!("guid'{}'", last.id) };
            let mut next = format!("{}/api/v1/{div}/{path}?", self.base());
            let mut pairs: Vec<(String, String)> = Vec::new();
            for k in ["$select", "$filter", "$expand", "$orderby"] {
                if let Some(v) = req.query(k) {
                    pairs.push((k.to_owned(), v.to_owned()));
                }
            }
            pairs.push(("$skiptoken".to_owned(), token));
            next.push_str(
                &pairs
                    .iter()
                    .map(|(k, v)| format!("{k}={}", encode(v)))
                    .collect::<Vec<_>>()
                    .join("&"),
            );
            d.insert("__next".into(), json!(next));
        }
        SimResponse::json(200, json!({"d": Value::Object(d)}))
    }

    fn deleted(&self, req: &SimRequest) -> SimResponse {
        if req.query("$select").is_none() {
            return error(400, "$select is mandatory on sync and bulk endpoints.");
        }
        let filter = match req.query("$filter").map(filter::parse) {
            Some(Some(c)) if c.iter().any(|c| c.field == "Timestamp") => c,
            _ => return error(400, "A filter on Timestamp is mandatory on sync endpoints."),
        };
        let after: u64 =
            req.query("$skiptoken").and_then(|t| t.trim_end_matches('L').parse().ok()).unwrap_or(0);
        let rows: Vec<Value> = self
            .store
            .deleted_since(after)
            .into_iter()
            .map(|t| {
                json!({
                    "ID": format!("de1e7ed0-0000-4000-8000-{:012}", t.version),
                    "EntityKey": t.id,
                    "EntityType": entity_type(&t.collection),
                    "DeletedBy": "7c1b7c6a-0000-4000-8000-000000000001",
                    "DeletedDate": format!("/Date({})/", t.deleted_at.timestamp_millis()),
                    "Division": DIVISION,
                    "Timestamp": t.version,
                })
            })
            .filter(|v| filter::eval(&filter, v))
            .take(1000)
            .collect();
        SimResponse::json(200, json!({"d": {"results": rows}}))
    }

    fn created(&self, div: i64, path: &str, name: &str, id_field: &str, r: &Record) -> SimResponse {
        SimResponse::json(201, json!({"d": self.shape(div, path, name, id_field, r, None, true)}))
    }

    fn post(&self, req: &SimRequest, div: i64, path: &str) -> SimResponse {
        let Ok(Value::Object(body)) = req.json_value() else {
            return error(400, "The request body is not a JSON object.");
        };
        match path {
            "crm/Accounts" => {
                let name =
                    body.get("Name").and_then(Value::as_str).map(str::trim).unwrap_or_default();
                if name.is_empty() {
                    return error(400, "Mandatory: Name");
                }
                let mut row = Value::Object(body.clone());
                let code = match body.get("Code").and_then(Value::as_str).map(str::trim) {
                    Some(c) if !c.is_empty() => c.to_owned(),
                    _ => (self.accounts.len() + 100_001).to_string(),
                };
                let padded = format!("{code:>18}");
                if self
                    .accounts
                    .find(|r| r.value["Code"].as_str() == Some(padded.as_str()))
                    .is_some()
                {
                    return error(400, &format!("Code already exists: {code}"));
                }
                row["Code"] = json!(padded);
                if row.get("Status").is_none() {
                    row["Status"] = json!("C");
                }
                row["IsSales"] = json!(row["Status"].as_str() == Some("C"));
                match self.accounts.insert(row) {
                    Ok(r) => self.created(div, path, "Accounts", "ID", &r),
                    Err(e) => error(500, &e.to_string()),
                }
            }
            "crm/Contacts" => {
                let account =
                    body.get("Account").and_then(Value::as_str).unwrap_or_default().to_lowercase();
                if self.accounts.get(&account).is_none() {
                    return error(400, "Account: the account does not exist");
                }
                if body.get("LastName").and_then(Value::as_str).is_none_or(|l| l.trim().is_empty())
                {
                    return error(400, "Mandatory: LastName");
                }
                match self.contacts.insert(Value::Object(body)) {
                    Ok(r) => self.created(div, path, "Contacts", "ID", &r),
                    Err(e) => error(500, &e.to_string()),
                }
            }
            "salesorder/SalesOrders" | "salesinvoice/SalesInvoices" | "crm/Quotations" => {
                self.post_document(div, path, body)
            }
            _ => error(405, &format!("POST is not supported on {path}")),
        }
    }

    fn post_document(&self, div: i64, path: &str, body: Map<String, Value>) -> SimResponse {
        let (coll, name, id_field, lines_key, account_key, number_key) = match path {
            "salesorder/SalesOrders" => (
                &self.orders,
                "SalesOrders",
                "OrderID",
                "SalesOrderLines",
                "OrderedBy",
                "OrderNumber",
            ),
            "salesinvoice/SalesInvoices" => (
                &self.invoices,
                "SalesInvoices",
                "InvoiceID",
                "SalesInvoiceLines",
                "OrderedBy",
                "InvoiceNumber",
            ),
            _ => (
                &self.quotations,
                "Quotations",
                "QuotationID",
                "QuotationLines",
                "OrderAccount",
                "QuotationNumber",
            ),
        };
        let account_id =
            body.get(account_key).and_then(Value::as_str).unwrap_or_default().to_lowercase();
        let Some(account) = self.accounts.get(&account_id) else {
            return error(400, &format!("{account_key}: the account does not exist"));
        };
        let lines = match body.get(lines_key) {
            Some(Value::Array(l)) if !l.is_empty() => l.clone(),
            _ => {
                return error(
                    400,
                    &format!("{lines_key} are mandatory: lines are inserted with the header"),
                );
            }
        };
        let mut out_lines = Vec::new();
        let mut total = Decimal::ZERO;
        let mut vat = Decimal::ZERO;
        for (i, l) in lines.iter().enumerate() {
            let item_id = l["Item"].as_str().unwrap_or_default().to_lowercase();
            let Some(item) = self.items.get(&item_id) else {
                return error(400, &format!("Item: the item of line {} does not exist", i + 1));
            };
            let Some(qty) = dec(&l["Quantity"]) else {
                return error(400, &format!("Quantity: line {} has no quantity", i + 1));
            };
            let price = dec(&l["NetPrice"])
                .or_else(|| dec(&item.value["StandardSalesPrice"]))
                .unwrap_or(Decimal::ZERO);
            let amount = (qty * price).round_dp(2);
            let pct = dec(&item.value["SalesVatCodePercentage"]).unwrap_or(Decimal::ZERO);
            let line_vat = (amount * pct).round_dp(2);
            total += amount;
            vat += line_vat;
            let mut ol = l.clone();
            ol["LineNumber"] = json!(i + 1);
            ol["ItemCode"] = item.value["Code"].clone();
            ol["ItemDescription"] = item.value["Description"].clone();
            ol["NetPrice"] = num(price);
            ol["UnitPrice"] = num(price);
            ol["AmountFC"] = num(amount);
            ol["VATAmountFC"] = num(line_vat);
            ol["VATPercentage"] = num(pct);
            if ol.get("VATCode").is_none() {
                ol["VATCode"] = item.value["SalesVatCode"].clone();
            }
            out_lines.push(ol);
        }
        let number = {
            let mut n = lock(&self.numbers);
            let slot = match name {
                "SalesOrders" => &mut n.order,
                "SalesInvoices" => &mut n.invoice,
                _ => &mut n.quotation,
            };
            *slot += 1;
            *slot
        };
        let mut row = Value::Object(body);
        row[lines_key] = Value::Array(out_lines);
        row[number_key] = json!(number);
        row["AmountFC"] = num(total + vat);
        row["AmountDC"] = num(total + vat);
        row["VATAmountFC"] = num(vat);
        row["Status"] = json!(if name == "SalesInvoices" { 10 } else { 12 });
        row[format!("{account_key}Name").as_str()] = account.value["Name"].clone();
        if row.get("Currency").is_none() {
            row["Currency"] = json!("EUR");
        }
        match coll.insert(row) {
            Ok(r) => self.created(div, path, name, id_field, &r),
            Err(e) => error(500, &e.to_string()),
        }
    }

    fn put(&self, req: &SimRequest, path: &str) -> SimResponse {
        // `crm/Accounts(guid'…')`
        let Some((entity, rest)) = path.split_once("(guid'") else {
            return error(405, "PUT needs a key: Entity(guid'…')");
        };
        let id = rest.trim_end_matches("')").to_lowercase();
        let Some((coll, _, _)) = self.collection(entity) else {
            return error(404, &format!("Resource not found: {entity}"));
        };
        let Ok(patch @ Value::Object(_)) = req.json_value() else {
            return error(400, "The request body is not a JSON object.");
        };
        if coll.get(&id).is_none() {
            return error(404, &format!("Resource not found: {entity}(guid'{id}')"));
        }
        match coll.update(&id, &patch) {
            Ok(_) => SimResponse::empty(204),
            Err(e) => error(500, &e.to_string()),
        }
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
            Method::GET => self.list(req, div, path),
            Method::POST => self.post(req, div, path),
            Method::PUT => self.put(req, path),
            _ => error(405, "Method not allowed"),
        }
    }
}

fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'$' | b',' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
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
        for text in [DEMO_ACCOUNTS, DEMO_CONTACTS, DEMO_ITEMS, DEMO_PRICES, DEMO_WAREHOUSES] {
            let v: Vec<Value> = serde_json::from_str(text).unwrap();
            assert!(!v.is_empty());
        }
    }
}
