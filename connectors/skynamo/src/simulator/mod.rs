//! A stateful simulator of the Skynamo Public API on `127.0.0.1` (feature `simulator`).
//!
//! Every request is held to the description of Skynamo's API in
//! `tests/fixtures/skynamo-api.json` ([`api_spec`]), written from Skynamo's published Swagger
//! spec (1.0.27) and its Python SDK, and answered as Skynamo's API Gateway and backend do: an
//! operation the API does not have is `403 {"message":"Missing Authentication Token"}`, a
//! missing or wrong key `403 {"message":"Forbidden"}`, a missing `x-api-client` or a bad
//! parameter `400 {"message": …}`, and a body row that breaks the description (an unknown
//! field, a wrong enum value, a missing required field, a read-only field sent) is refused by
//! its index, `400 {"message", "errors":[{"index","detail"}]}`. Every answer is held to the
//! description too (breaches are recorded in the [`Journal`]).
//!
//! Under `/v1` it serves users, form definitions (custom fields of customers on form -1, of
//! products on form -3), warehouses, tax rates, customers and products (`POST` creates, even
//! a second record with a code already used; `PATCH` merges by id; `PUT` replaces), price
//! lists (`POST` answers only a message), prices and stock levels (`POST` upserts; a row
//! without its value deletes), invoices by external id (`POST` only creates, even a second
//! invoice for the same external id; `PATCH` and `PUT` by id; `DELETE` by id), orders, quotes
//! and order statuses, in Skynamo's shapes: `{data, page}` envelopes paged by `page_number`
//! and `page_size` (default 50, at most 200), `filters` JSON arrays checked against the
//! fields each endpoint documents, `row_version`, 7-digit fractional timestamps. `place`
//! puts an order or quote in as a rep would.
//!
//! Everything it sends is written here from the documented shapes, never produced by the
//! connector's own code.

// Handlers return the refusal itself as the error: one per request, never on a hot path.
#![allow(clippy::result_large_err)]

mod invoices;
mod writes;

use std::fmt;
use std::sync::{Arc, LazyLock};

use async_trait::async_trait;
use connector_testkit::simulator::spec::{Violation, ViolationKind};
use connector_testkit::simulator::{
    ApiSpec, Collection, CollectionOptions, Faults, Journal, Method, Record, RecordMeta, SimClock,
    SimHandler, SimRequest, SimResponse, SimServer, SimStore,
};
use secrecy::SecretString;
use serde_json::{Value, json};

use crate::config::SkynamoConfig;

/// The simulator's integration token.
pub const API_KEY: &str = "sim-skynamo-integration-token";
/// The simulator's instance name.
pub const INSTANCE: &str = "demo";

static SPEC: LazyLock<Arc<ApiSpec>> = LazyLock::new(|| {
    let text = include_str!("../../tests/fixtures/skynamo-api.json");
    Arc::new(ApiSpec::from_json(text).unwrap_or_else(|e| panic!("skynamo-api.json: {e}")))
});

/// The description of Skynamo's API the simulator holds requests and answers to
/// (`tests/fixtures/skynamo-api.json`, from Skynamo's Swagger spec 1.0.27 and Python SDK).
pub fn api_spec() -> Arc<ApiSpec> {
    SPEC.clone()
}

const USERS: &str = r#"[
  {"id":1,"user_name":"john.doe","display_name":"John Doe","email":"john.doe@example.com","active":true,"access":"User"},
  {"id":2,"user_name":"mary.kim","display_name":"Mary Kim","email":"mary.kim@example.com","active":true,"access":"Manager"},
  {"id":3,"user_name":"integration","display_name":"Integration","email":"integration@example.com","active":true,"access":"Administrator"}
]"#;

/// Form -1 holds the customers' custom fields, form -3 the products'.
const FORMS: &str = r#"[
  {"id":-1,"name":"Customer","type":"Static","active":true,"custom_fields":[
    {"id":12,"name":"Address","required":false,"type":"Address Field"},
    {"id":13,"name":"Xero Account Number","required":false,"type":"Text Field"},
    {"id":14,"name":"Credit Limit","required":false,"type":"Number Field"}]},
  {"id":-3,"name":"Product","type":"Static","active":true,"custom_fields":[
    {"id":21,"name":"Xero Item Id","required":false,"type":"Text Field"}]}
]"#;

const WAREHOUSES: &str = r#"[
  {"id":1,"name":"MAIN","active":true},
  {"id":2,"name":"CPT","active":true}
]"#;

const TAX_RATES: &str = r#"[
  {"id":1,"name":"GST","rate":15.0,"active":true},
  {"id":2,"name":"Zero rated","rate":0,"active":true}
]"#;

/// A running simulator.
pub struct SkynamoSimulator {
    server: SimServer,
    state: Arc<State>,
}

impl fmt::Debug for SkynamoSimulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SkynamoSimulator")
            .field("base_url", &self.server.base_url())
            .finish_non_exhaustive()
    }
}

struct State {
    customers: Collection,
    products: Collection,
    pricelists: Collection,
    prices: Collection,
    stocklevels: Collection,
    invoices: Collection,
    orders: Collection,
    quotes: Collection,
    orderstatuses: Collection,
    users: Vec<Value>,
    forms: std::sync::Mutex<Vec<Value>>,
    warehouses: Vec<Value>,
    tax_rates: Vec<Value>,
    unit_ids: std::sync::atomic::AtomicI64,
}

fn skynamo_time(t: chrono::DateTime<chrono::Utc>) -> String {
    format!("{}.{:07}+00:00", t.format("%Y-%m-%dT%H:%M:%S"), t.timestamp_subsec_nanos() / 100)
}

/// Settings of a [`SkynamoSimulator`] before it starts: `SkynamoSimulator::builder()`.
#[derive(Debug, Default, Clone)]
#[must_use = "a builder does nothing until `start` is called"]
pub struct SkynamoSimulatorBuilder {
    port: u16,
}

impl SkynamoSimulatorBuilder {
    /// Listens on this port of 127.0.0.1 (0, the default: any free port).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Starts the server.
    pub async fn start(self) -> std::io::Result<SkynamoSimulator> {
        SkynamoSimulator::start_on(self.port).await
    }
}

impl SkynamoSimulator {
    /// Settings before starting: the port.
    pub fn builder() -> SkynamoSimulatorBuilder {
        SkynamoSimulatorBuilder::default()
    }

    /// Starts an empty instance (users, form definitions, warehouses and tax rates are
    /// seeded) on any free port.
    pub async fn start() -> std::io::Result<Self> {
        Self::builder().start().await
    }

    async fn start_on(port: u16) -> std::io::Result<Self> {
        let store = SimStore::new(SimClock::from_system_time());
        let stamp = |meta: &RecordMeta, v: &mut Value| {
            if let Ok(n) = meta.id.parse::<i64>() {
                v["id"] = json!(n);
            }
            v["row_version"] = json!(meta.version);
            v["last_modified_time"] = json!(skynamo_time(meta.updated_at));
        };
        let plain = |name: &str| {
            let ids = CollectionOptions::new().id_field("id").ids_from(|n| n.to_string());
            store.collection_with(
                name,
                ids.stamp(|meta: &RecordMeta, v: &mut Value| {
                    if let Ok(n) = meta.id.parse::<i64>() {
                        v["id"] = json!(n);
                    }
                    v["last_modified_time"] = json!(skynamo_time(meta.updated_at));
                }),
            )
        };
        let coll = |name: &str| {
            store.collection_with(
                name,
                CollectionOptions::new().id_field("id").ids_from(|n| n.to_string()).stamp(stamp),
            )
        };
        // Orders, quotes and credit requests are documents with one id space: an
        // acknowledgement's `document_id` names exactly one of them.
        let doc_ids = Arc::new(std::sync::atomic::AtomicU64::new(1));
        let doc = |name: &str| {
            let ids = doc_ids.clone();
            store.collection_with(
                name,
                CollectionOptions::new()
                    .id_field("id")
                    .ids_from(move |_| {
                        ids.fetch_add(1, std::sync::atomic::Ordering::Relaxed).to_string()
                    })
                    .stamp(|meta: &RecordMeta, v: &mut Value| {
                        if let Ok(n) = meta.id.parse::<i64>() {
                            v["id"] = json!(n);
                        }
                        v["last_modified_time"] = json!(skynamo_time(meta.updated_at));
                    }),
            )
        };
        let seed = |text: &str| serde_json::from_str::<Vec<Value>>(text).unwrap_or_default();
        let state = Arc::new(State {
            customers: coll("customers"),
            products: coll("products"),
            pricelists: plain("pricelists"),
            prices: store.collection("prices"),
            stocklevels: store.collection("stocklevels"),
            invoices: coll("invoices"),
            orders: doc("orders"),
            quotes: doc("quotes"),
            orderstatuses: store.collection_with(
                "orderstatuses",
                CollectionOptions::new().id_field("id").ids_from(|n| n.to_string()).stamp(
                    |meta: &RecordMeta, v: &mut Value| {
                        if let Ok(n) = meta.id.parse::<i64>() {
                            v["id"] = json!(n);
                        }
                    },
                ),
            ),
            users: seed(USERS),
            forms: std::sync::Mutex::new(seed(FORMS)),
            warehouses: seed(WAREHOUSES),
            tax_rates: seed(TAX_RATES),
            unit_ids: std::sync::atomic::AtomicI64::new(100),
        });
        let server = SimServer::builder_shared(state.clone())
            .faults(Faults::new())
            .journal(Journal::new())
            .spec(api_spec(), |req, violations| Some(refuse(req, violations)))
            .port(port)
            .start()
            .await?;
        Ok(Self { server, state })
    }

    /// A configuration pointing at this simulator.
    pub fn config(&self) -> SkynamoConfig {
        let mut c = SkynamoConfig::new(SecretString::from(API_KEY), INSTANCE, None);
        c.api_url = self.server.url("/v1");
        c
    }

    /// The fault switches.
    pub fn faults(&self) -> &Faults {
        self.server.faults()
    }

    /// Every request, its status and how it broke the API description.
    pub fn journal(&self) -> &Journal {
        self.server.journal()
    }

    /// Customers.
    pub fn customers(&self) -> &Collection {
        &self.state.customers
    }
    /// Products.
    pub fn products(&self) -> &Collection {
        &self.state.products
    }
    /// Price lists.
    pub fn pricelists(&self) -> &Collection {
        &self.state.pricelists
    }
    /// Prices, keyed `<product_code>|<order unit>|<price list id>`.
    pub fn prices(&self) -> &Collection {
        &self.state.prices
    }
    /// Stock levels, keyed `<product_code>|<order unit>|<warehouse id or null>`.
    pub fn stocklevels(&self) -> &Collection {
        &self.state.stocklevels
    }
    /// Invoices.
    pub fn invoices(&self) -> &Collection {
        &self.state.invoices
    }
    /// Orders.
    pub fn orders(&self) -> &Collection {
        &self.state.orders
    }
    /// Quotes.
    pub fn quotes(&self) -> &Collection {
        &self.state.quotes
    }
    /// Order acknowledgements.
    pub fn orderstatuses(&self) -> &Collection {
        &self.state.orderstatuses
    }

    /// A rep places an order (or a quote) in the app; returns its id. Items are
    /// `(product_code, quantity, unit_price)` as JSON number text. Skynamo keeps the rep on
    /// the visit (`interaction_id`), not on the order.
    pub fn place(
        &self,
        quote: bool,
        customer_code: &str,
        interaction_id: i64,
        items: &[(&str, &str, &str)],
    ) -> i64 {
        let customer =
            self.state.customers.find(|r| r.value["code"].as_str() == Some(customer_code));
        let items: Vec<Value> = items
            .iter()
            .map(|(code, q, p)| {
                let name = self.state.products.find(|r| r.value["code"].as_str() == Some(code)).and_then(|r| r.value["name"].as_str().map(str::to_owned));
                serde_json::from_str(&format!(
                    r#"{{"quantity":{q},"unit_price":{p},"list_price":{p},"order_unit_name":"Each","product_code":"{code}","product_name":{},"comment":"","tax_rate_value":15.0,"tax_rate_id":1}}"#,
                    json!(name)
                ))
                .unwrap_or(Value::Null)
            })
            .collect();
        let mut doc = json!({
            "date": skynamo_time(chrono::Utc::now()),
            "customer_code": customer_code,
            "reference": "",
            "interaction_id": interaction_id,
            "currency_code": "NZD",
            "prices_include_vat": false,
            "items": items,
        });
        if let Some(c) = &customer {
            doc["customer_id"] = c.value["id"].clone();
            doc["customer_name"] = c.value["name"].clone();
        }
        let coll = if quote { &self.state.quotes } else { &self.state.orders };
        coll.insert(doc).ok().and_then(|r| r.value["id"].as_i64()).unwrap_or_default()
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

/// Locks a mutex, carrying on with the data if another thread panicked while holding it.
fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn message(status: u16, text: &str) -> SimResponse {
    SimResponse::json(status, json!({ "message": text }))
}

fn forbidden() -> SimResponse {
    SimResponse::raw_json(403, r#"{"message":"Forbidden"}"#)
}

fn missing_route() -> SimResponse {
    SimResponse::raw_json(403, r#"{"message":"Missing Authentication Token"}"#)
}

/// Refuses rows of an array body by index, as Skynamo's backend does.
fn refused(errors: Vec<(usize, Vec<String>)>) -> SimResponse {
    let errors: Vec<Value> =
        errors.into_iter().map(|(i, d)| json!({"index": i, "detail": d})).collect();
    SimResponse::json(
        400,
        json!({"message": "One or more items failed validation", "errors": errors}),
    )
}

/// Skynamo's answer to a request that breaks its API description: API Gateway answers for
/// the operation and its parameters, the backend refuses body rows by index.
fn refuse(_req: &SimRequest, violations: &[Violation]) -> SimResponse {
    if violations.iter().any(|v| v.kind == ViolationKind::UnknownOperation) {
        return missing_route();
    }
    if violations.iter().any(|v| v.place == "header.x-api-key") {
        return forbidden();
    }
    let missing: Vec<&str> = violations
        .iter()
        .filter(|v| v.kind == ViolationKind::MissingRequired)
        .filter_map(|v| v.place.strip_prefix("header."))
        .collect();
    if !missing.is_empty() {
        return message(
            400,
            &format!("Missing required request parameters: [{}]", missing.join(", ")),
        );
    }
    let params: Vec<String> =
        violations.iter().filter(|v| v.body_field().is_none()).map(ToString::to_string).collect();
    if !params.is_empty() {
        return message(400, &format!("Invalid request parameters: {}", params.join("; ")));
    }
    let mut rows: std::collections::BTreeMap<usize, Vec<String>> = Default::default();
    for v in violations {
        let field = v.body_field().unwrap_or_default();
        let (index, rest) = field
            .strip_prefix('[')
            .and_then(|f| f.split_once(']'))
            .and_then(|(i, rest)| Some((i.parse().ok()?, rest.trim_start_matches('.'))))
            .unwrap_or((0, field));
        rows.entry(index).or_default().push(format!("{rest}: {}", v.message));
    }
    refused(rows.into_iter().collect())
}

/// A filter of the `filters` parameter: `operator(field,value)`.
struct Filter {
    op: String,
    field: String,
    value: String,
}

/// The filters of a list request, refused when the endpoint does not document their field or
/// operator (`x-filter-fields`, `x-filter-operators` of the description).
fn parse_filters(req: &SimRequest) -> Result<Vec<Filter>, SimResponse> {
    let Some(raw) = req.query("filters") else { return Ok(Vec::new()) };
    let spec = api_spec();
    let op = spec.operation(req.method.as_str(), &req.path);
    let fields = op.map(|o| o.extension_strings("x-filter-fields")).unwrap_or_default();
    let operators = op.map(|o| o.extension_strings("x-filter-operators")).unwrap_or_default();
    let list: Vec<String> = serde_json::from_str(raw)
        .map_err(|_| message(400, "filters must be a JSON array of strings"))?;
    list.iter()
        .map(|f| {
            let (op, rest) = f.split_once('(').ok_or_else(|| message(400, "invalid filter"))?;
            let inner = rest.strip_suffix(')').unwrap_or(rest);
            let (field, value) = inner.split_once(',').unwrap_or((inner, ""));
            let (op, field) = (op.trim().to_owned(), field.trim().to_owned());
            if !operators.contains(&op.as_str()) {
                return Err(message(400, &format!("Unsupported filter operator {op}")));
            }
            if !fields.contains(&field.as_str()) {
                return Err(message(
                    400,
                    &format!(
                        "{field} is not a filter field of {} (filters: {})",
                        req.path,
                        fields.join(", ")
                    ),
                ));
            }
            Ok(Filter { op, field, value: value.trim().to_owned() })
        })
        .collect()
}

fn matches(filters: &[Filter], v: &Value) -> bool {
    filters.iter().all(|f| {
        let have = match &v[&f.field] {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            _ => return false,
        };
        let number = |t: &str| rust_decimal::Decimal::from_str_exact(t.trim()).ok();
        let numbers = number(&have).zip(number(&f.value));
        match (f.op.as_str(), numbers) {
            ("equals", _) => have == f.value,
            ("starts_with", _) => have.starts_with(&f.value),
            ("greater_than", Some((a, b))) => a > b,
            ("greater_than_equals", Some((a, b))) => a >= b,
            ("less_than", Some((a, b))) => a < b,
            ("less_than_equals", Some((a, b))) => a <= b,
            ("greater_than", None) => have > f.value,
            ("greater_than_equals", None) => have >= f.value,
            ("less_than", None) => have < f.value,
            ("less_than_equals", None) => have <= f.value,
            _ => false,
        }
    })
}

fn page(req: &SimRequest, rows: Vec<Value>) -> SimResponse {
    let size = req.query("page_size").and_then(|s| s.parse::<usize>().ok()).unwrap_or(50).max(1);
    let number = req.query("page_number").and_then(|s| s.parse::<usize>().ok()).unwrap_or(1).max(1);
    let total = rows.len();
    let start = ((number - 1) * size).min(total);
    let end = (start + size).min(total);
    SimResponse::json(
        200,
        json!({
            "data": rows[start..end].to_vec(),
            "page": {"page_number": number, "page_size": size, "total_item_count": total, "filtered_item_count": total},
        }),
    )
}

fn values(records: Vec<Record>) -> Vec<Value> {
    records.into_iter().map(|r| r.value).collect()
}

impl State {
    fn list_values(&self, req: &SimRequest, rows: Vec<Value>) -> SimResponse {
        match parse_filters(req) {
            Ok(filters) => page(req, rows.into_iter().filter(|v| matches(&filters, v)).collect()),
            Err(r) => r,
        }
    }

    fn list(&self, req: &SimRequest, coll: &Collection) -> SimResponse {
        self.list_values(req, values(coll.all()))
    }
}

#[async_trait]
impl SimHandler for State {
    async fn handle(&self, req: SimRequest) -> SimResponse {
        let Some(rest) = req.path.strip_prefix("/v1/") else { return missing_route() };
        if req.header("x-api-key") != Some(API_KEY) || req.header("x-api-client") != Some(INSTANCE)
        {
            return forbidden();
        }
        let m = req.method.clone();
        let get = m == Method::GET;
        if let Some(ext) = rest.strip_prefix("invoicesbyexternalid/") {
            return if get { self.invoice_by_external_id(ext) } else { missing_route() };
        }
        match rest {
            "users" if get => self.list_values(&req, self.users.clone()),
            "formdefinitions" if get => {
                let forms = lock(&self.forms).clone();
                self.list_values(&req, forms)
            }
            "customfields" if m == Method::PATCH => self.rename_custom_fields(&req),
            "warehouses" if get => self.list_values(&req, self.warehouses.clone()),
            "taxrates" if get => self.list_values(&req, self.tax_rates.clone()),
            "customers" if get => self.list(&req, &self.customers),
            "customers" => self.write_master(&req, &self.customers, true),
            "products" if get => self.list(&req, &self.products),
            "products" => self.write_master(&req, &self.products, false),
            "pricelists" if get => self.list(&req, &self.pricelists),
            "pricelists" => self.write_price_lists(&req),
            "prices" if get => self.list(&req, &self.prices),
            "prices" => self.write_keyed(&req, true),
            "stocklevels" if get => self.list(&req, &self.stocklevels),
            "stocklevels" => self.write_keyed(&req, false),
            "invoices" if get => self.list(&req, &self.invoices),
            "invoicesbyexternalid" => self.write_invoices(&req),
            "orders" if get => self.list(&req, &self.orders),
            "quotes" if get => self.list(&req, &self.quotes),
            "orderstatuses" if get => self.list(&req, &self.orderstatuses),
            "orderstatuses" if m == Method::POST => self.write_order_statuses(&req),
            _ => missing_route(),
        }
    }
}
