//! A stateful simulator of the Skynamo Public API on `127.0.0.1` (feature `simulator`).
//!
//! Under `/v1` it serves customers, products (with order units), pricelists, prices,
//! stocklevels, warehouses, invoices by external id, orders, quotes, orderstatuses, users
//! and customfields in Skynamo's shapes: `{data, page}` envelopes paged by `page_number` and
//! `page_size` (default 50, at most 200), `filters` JSON arrays (`greater_than(row_version,N)`,
//! `equals(code,X)`), `row_version`, 7-digit fractional timestamps, array writes answered
//! `{data:[{id, code, row_version}]}` or refused as a whole with
//! `{"message", "errors":[{"index","detail"}]}`, price and stock POSTs that delete the row when
//! the value is omitted, `PUT` that resets omitted fields, and API Gateway's
//! `{"message":"Forbidden"}` and `{"message":"Missing Authentication Token"}`.
//!
//! Everything it sends is written here from the documented shapes, never produced by the
//! connector's own code.

// Handlers return the refusal itself as the error: one per request, never on a hot path.
#![allow(clippy::result_large_err)]

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use connector_core::simulator::{
    Collection, CollectionOptions, Faults, Journal, Method, Record, RecordMeta, SimClock,
    SimHandler, SimRequest, SimResponse, SimServer, SimStore,
};
use secrecy::SecretString;
use serde_json::{Map, Value, json};

use crate::config::SkynamoConfig;

/// The simulator's integration token.
pub const API_KEY: &str = "sim-skynamo-integration-token";
/// The simulator's instance name.
pub const INSTANCE: &str = "demo";

const USERS: &str = r#"[
  {"id":1,"name":"John Doe","email":"john.doe@example.com","active":true},
  {"id":2,"name":"Mary Kim","email":"mary.kim@example.com","active":true},
  {"id":3,"name":"Integration","email":"integration@example.com","active":true}
]"#;

const CUSTOM_FIELDS: &str = r#"[
  {"id":12,"name":"Address","type":"Address","entity":"Customer"},
  {"id":13,"name":"Xero Account Number","type":"Text","entity":"Customer"},
  {"id":14,"name":"Credit Limit","type":"Number","entity":"Customer"},
  {"id":21,"name":"Xero Item Id","type":"Text","entity":"Product"}
]"#;

const WAREHOUSES: &str = r#"[
  {"id":1,"name":"MAIN","code":"MAIN","active":true},
  {"id":2,"name":"Cape Town","code":"CPT","active":true}
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
    custom_fields: Vec<Value>,
    warehouses: Vec<Value>,
    unit_ids: std::sync::atomic::AtomicI64,
}

fn skynamo_time(t: chrono::DateTime<chrono::Utc>) -> String {
    format!("{}.{:07}+00:00", t.format("%Y-%m-%dT%H:%M:%S"), t.timestamp_subsec_nanos() / 100)
}

impl SkynamoSimulator {
    /// Starts an empty instance (users, custom fields and warehouses are seeded) on any
    /// free port.
    pub async fn start() -> std::io::Result<Self> {
        Self::start_on(0).await
    }

    /// Starts on this port of 127.0.0.1 (0: any free port).
    pub async fn start_on(port: u16) -> std::io::Result<Self> {
        let store = SimStore::new(SimClock::from_system_time());
        let stamp = |meta: &RecordMeta, v: &mut Value| {
            if let Ok(n) = meta.id.parse::<i64>() {
                v["id"] = json!(n);
            }
            v["row_version"] = json!(meta.version);
            v["last_modified_time"] = json!(skynamo_time(meta.updated_at));
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
                    .stamp(stamp),
            )
        };
        let state = Arc::new(State {
            customers: coll("customers"),
            products: coll("products"),
            pricelists: coll("pricelists"),
            prices: store.collection("prices"),
            stocklevels: store.collection("stocklevels"),
            invoices: coll("invoices"),
            orders: doc("orders"),
            quotes: doc("quotes"),
            orderstatuses: coll("orderstatuses"),
            users: serde_json::from_str(USERS).unwrap_or_default(),
            custom_fields: serde_json::from_str(CUSTOM_FIELDS).unwrap_or_default(),
            warehouses: serde_json::from_str(WAREHOUSES).unwrap_or_default(),
            unit_ids: std::sync::atomic::AtomicI64::new(100),
        });
        let server = SimServer::builder_shared(state.clone())
            .faults(Faults::new())
            .journal(Journal::new())
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

    /// Every request and its status.
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
    /// `(product_code, quantity, unit_price)` as JSON number text.
    pub fn place(
        &self,
        quote: bool,
        customer_code: &str,
        user_id: i64,
        items: &[(&str, &str, &str)],
    ) -> i64 {
        let customer =
            self.state.customers.find(|r| r.value["code"].as_str() == Some(customer_code));
        let items: Vec<Value> = items
            .iter()
            .map(|(code, q, p)| {
                let name = self.state.products.find(|r| r.value["code"].as_str() == Some(code)).and_then(|r| r.value["name"].as_str().map(str::to_owned));
                serde_json::from_str(&format!(
                    r#"{{"quantity":{q},"unit_price":{p},"list_price":{p},"order_unit_name":"Each","product_code":"{code}","product_name":{},"comment":"","tax_rate_value":15.0}}"#,
                    json!(name)
                ))
                .unwrap_or(Value::Null)
            })
            .collect();
        let user = self
            .state
            .users
            .iter()
            .find(|u| u["id"].as_i64() == Some(user_id))
            .cloned()
            .unwrap_or(Value::Null);
        let doc = json!({
            "date": skynamo_time(chrono::Utc::now()),
            "customer_id": customer.as_ref().map(|c| c.value["id"].clone()),
            "customer_code": customer_code,
            "customer_name": customer.as_ref().map(|c| c.value["name"].clone()),
            "reference": "",
            "user_id": user_id,
            "user_name": user["name"],
            "user_email": user["email"],
            "currency_code": "NZD",
            "prices_include_vat": false,
            "items": items,
        });
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

fn forbidden() -> SimResponse {
    SimResponse::raw_json(403, r#"{"message":"Forbidden"}"#)
}

fn missing_route() -> SimResponse {
    SimResponse::raw_json(403, r#"{"message":"Missing Authentication Token"}"#)
}

fn refused(errors: Vec<(usize, Vec<String>)>) -> SimResponse {
    let errors: Vec<Value> =
        errors.into_iter().map(|(i, d)| json!({"index": i, "detail": d})).collect();
    SimResponse::json(
        400,
        json!({"message": "One or more items failed validation", "errors": errors}),
    )
}

enum Filter {
    Greater(String, i64),
    Equals(String, String),
}

fn parse_filters(raw: Option<&str>) -> Result<Vec<Filter>, SimResponse> {
    let Some(raw) = raw else { return Ok(Vec::new()) };
    let list: Vec<String> = serde_json::from_str(raw).map_err(|_| {
        SimResponse::raw_json(400, r#"{"message":"filters must be a JSON array of strings"}"#)
    })?;
    list.iter()
        .map(|f| {
            let (op, rest) = f
                .split_once('(')
                .ok_or_else(|| SimResponse::raw_json(400, r#"{"message":"invalid filter"}"#))?;
            let inner = rest.strip_suffix(')').unwrap_or(rest);
            let (field, value) = inner.split_once(',').unwrap_or((inner, ""));
            match op {
                "greater_than" => value
                    .trim()
                    .parse()
                    .map(|n| Filter::Greater(field.trim().to_owned(), n))
                    .map_err(|_| {
                        SimResponse::raw_json(400, r#"{"message":"greater_than needs a number"}"#)
                    }),
                "equals" => Ok(Filter::Equals(field.trim().to_owned(), value.trim().to_owned())),
                _ => {
                    Err(SimResponse::raw_json(400, r#"{"message":"unsupported filter operator"}"#))
                }
            }
        })
        .collect()
}

fn matches(filters: &[Filter], v: &Value) -> bool {
    filters.iter().all(|f| match f {
        Filter::Greater(field, n) => v[field].as_i64().is_some_and(|x| x > *n),
        Filter::Equals(field, want) => match &v[field] {
            Value::String(s) => s == want,
            Value::Number(n) => n.to_string() == *want,
            Value::Bool(b) => b.to_string() == *want,
            _ => false,
        },
    })
}

fn page(req: &SimRequest, rows: Vec<Value>) -> SimResponse {
    let size =
        req.query("page_size").and_then(|s| s.parse::<usize>().ok()).unwrap_or(50).clamp(1, 200);
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

fn echo(v: &Value) -> Value {
    json!({"id": v["id"], "code": v["code"], "row_version": v["row_version"]})
}

impl State {
    fn list(&self, req: &SimRequest, coll: &Collection) -> SimResponse {
        let filters = match parse_filters(req.query("filters")) {
            Ok(f) => f,
            Err(r) => return r,
        };
        let rows: Vec<Value> =
            values(coll.all()).into_iter().filter(|v| matches(&filters, v)).collect();
        page(req, rows)
    }

    fn body_rows(req: &SimRequest) -> Result<Vec<Value>, SimResponse> {
        match req.json_value() {
            Ok(Value::Array(a)) => Ok(a),
            Ok(_) => Err(SimResponse::raw_json(
                400,
                r#"{"message":"The request body must be an array"}"#,
            )),
            Err(_) => Err(SimResponse::raw_json(
                400,
                r#"{"message":"The request body is not valid JSON"}"#,
            )),
        }
    }

    fn find_by_code(coll: &Collection, v: &Value) -> Option<Record> {
        if let Some(id) = v["id"].as_i64() {
            return coll.get(&id.to_string());
        }
        let code = v["code"].as_str()?;
        coll.find(|r| r.value["code"].as_str() == Some(code))
    }

    /// Customers and products: POST creates, PATCH merges, PUT replaces.
    fn write_master(&self, req: &SimRequest, coll: &Collection, customers: bool) -> SimResponse {
        let rows = match Self::body_rows(req) {
            Ok(r) => r,
            Err(e) => return e,
        };
        let method = req.method.clone();
        let mut errors = Vec::new();
        for (i, row) in rows.iter().enumerate() {
            let mut d = Vec::new();
            let existing = Self::find_by_code(coll, row);
            if method == Method::POST {
                if row["code"].as_str().is_none_or(str::is_empty) {
                    d.push("code is required".to_owned());
                }
                if row["name"].as_str().is_none_or(str::is_empty) {
                    d.push("name is required".to_owned());
                }
                if existing.is_some() {
                    d.push(format!("code {} already exists", row["code"]));
                }
            } else if existing.is_none() {
                d.push("no record with this id or code".to_owned());
            }
            for f in ["row_version", "version", "create_date", "last_modified_time"] {
                if row.get(f).is_some() {
                    d.push(format!("{f} cannot be written"));
                }
            }
            if customers {
                for u in row["assigned_users"].as_array().cloned().unwrap_or_default() {
                    if !self.users.iter().any(|x| x["id"] == u) {
                        d.push(format!("Unknown user id {u}"));
                    }
                }
            }
            for f in row["custom_fields"].as_array().cloned().unwrap_or_default() {
                if !self.custom_fields.iter().any(|x| x["id"] == f["id"]) {
                    d.push(format!("Unknown custom field id {}", f["id"]));
                }
                if !f["value"].is_string() {
                    d.push("custom field values are strings".to_owned());
                }
            }
            if !d.is_empty() {
                errors.push((i, d));
            }
        }
        if !errors.is_empty() {
            return refused(errors);
        }
        let mut data = Vec::new();
        for row in rows {
            let mut row = row;
            if let Some(units) = row.get_mut("order_units").and_then(Value::as_array_mut) {
                for u in units {
                    if u.get("id").is_none() {
                        u["id"] =
                            json!(self.unit_ids.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
                    }
                }
            }
            let saved = if method == Method::POST {
                if row.get("active").is_none() {
                    row["active"] = json!(true);
                }
                coll.insert(row)
            } else {
                let Some(existing) = Self::find_by_code(coll, &row) else { continue };
                if method == Method::PUT {
                    // A replace: what the body omits is reset.
                    let mut fresh = Map::new();
                    fresh.insert("code".into(), existing.value["code"].clone());
                    fresh.insert("active".into(), json!(true));
                    if let Value::Object(o) = row {
                        fresh.extend(o);
                    }
                    coll.replace(&existing.id, Value::Object(fresh))
                } else {
                    coll.update(&existing.id, &row)
                }
            };
            if let Ok(r) = saved {
                data.push(echo(&r.value));
            }
        }
        SimResponse::json(200, json!({"data": data}))
    }

    fn write_keyed(&self, req: &SimRequest, prices: bool) -> SimResponse {
        let rows = match Self::body_rows(req) {
            Ok(r) => r,
            Err(e) => return e,
        };
        let mut errors = Vec::new();
        let mut keys = Vec::new();
        for (i, row) in rows.iter().enumerate() {
            let mut d = Vec::new();
            let code = row["product_code"].as_str().unwrap_or_default();
            let unit = row["order_unit_name"].as_str().unwrap_or_default();
            match self.products.find(|r| r.value["code"].as_str() == Some(code)) {
                None => d.push(format!("Unknown product code {code}")),
                Some(p) => {
                    let has_unit = p.value["order_units"]
                        .as_array()
                        .is_some_and(|u| u.iter().any(|u| u["name"].as_str() == Some(unit)));
                    if !has_unit {
                        d.push(format!("Unknown order unit {unit} for product {code}"));
                    }
                }
            }
            let scope = if prices {
                let list = row["price_list_id"].clone();
                if !self.pricelists.contains(&list.to_string()) {
                    d.push("Unknown price list id".to_owned());
                }
                list.to_string()
            } else {
                let w = row["warehouse_id"].clone();
                if !w.is_null() && !self.warehouses.iter().any(|x| x["id"] == w) {
                    d.push("Unknown warehouse id".to_owned());
                }
                w.to_string()
            };
            keys.push(format!("{code}|{unit}|{scope}"));
            if !d.is_empty() {
                errors.push((i, d));
            }
        }
        if !errors.is_empty() {
            return refused(errors);
        }
        let coll = if prices { &self.prices } else { &self.stocklevels };
        for (row, key) in rows.into_iter().zip(keys) {
            let delete = if prices {
                row.get("price").is_none_or(Value::is_null)
            } else {
                row.get("level").is_none_or(Value::is_null)
                    && row.get("label").is_none_or(Value::is_null)
            };
            if delete {
                let _ = coll.delete(&key);
            } else {
                let _ = coll.upsert(&key, row);
            }
        }
        SimResponse::json(200, json!({"data": []}))
    }

    fn write_invoices(&self, req: &SimRequest) -> SimResponse {
        let rows = match Self::body_rows(req) {
            Ok(r) => r,
            Err(e) => return e,
        };
        let mut errors = Vec::new();
        for (i, row) in rows.iter().enumerate() {
            let mut d = Vec::new();
            if row["external_id"].as_str().is_none_or(str::is_empty) {
                d.push("external_id is required".to_owned());
            }
            let code = row["customer_code"].as_str().unwrap_or_default();
            if self.customers.find(|r| r.value["code"].as_str() == Some(code)).is_none() {
                d.push(format!("Unknown customer code {code}"));
            }
            if !matches!(
                row["status"].as_str(),
                Some("Paid" | "NotSpecified" | "OutStanding" | "Deleted" | "Void") | None
            ) {
                d.push("Invalid status".to_owned());
            }
            if !d.is_empty() {
                errors.push((i, d));
            }
        }
        if !errors.is_empty() {
            return refused(errors);
        }
        let mut data = Vec::new();
        for row in rows {
            let ext = row["external_id"].as_str().unwrap_or_default().to_owned();
            let saved =
                match self.invoices.find(|r| r.value["external_id"].as_str() == Some(ext.as_str()))
                {
                    Some(r) => self.invoices.update(&r.id, &row),
                    None => self.invoices.insert(row),
                };
            if let Ok(r) = saved {
                data.push(json!({"id": r.value["id"], "external_id": ext, "row_version": r.value["row_version"]}));
            }
        }
        SimResponse::json(200, json!({"data": data}))
    }

    fn write_simple(&self, req: &SimRequest, coll: &Collection, required: &[&str]) -> SimResponse {
        let rows = match Self::body_rows(req) {
            Ok(r) => r,
            Err(e) => return e,
        };
        let errors: Vec<(usize, Vec<String>)> = rows
            .iter()
            .enumerate()
            .filter_map(|(i, r)| {
                let d: Vec<String> = required
                    .iter()
                    .filter(|f| r[**f].is_null())
                    .map(|f| format!("{f} is required"))
                    .collect();
                (!d.is_empty()).then_some((i, d))
            })
            .collect();
        if !errors.is_empty() {
            return refused(errors);
        }
        let data: Vec<Value> =
            rows.into_iter().filter_map(|r| coll.insert(r).ok()).map(|r| echo(&r.value)).collect();
        SimResponse::json(200, json!({"data": data}))
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
        let write = m == Method::POST || m == Method::PATCH || m == Method::PUT;
        if let Some(ext) = rest.strip_prefix("invoicesbyexternalid/") {
            if !get {
                return missing_route();
            }
            return match self.invoices.find(|r| r.value["external_id"].as_str() == Some(ext)) {
                Some(r) => SimResponse::json(200, r.value),
                None => SimResponse::raw_json(404, r#"{"message":"Not Found"}"#),
            };
        }
        match rest {
            "users" if get => page(&req, self.users.clone()),
            "customfields" if get => page(&req, self.custom_fields.clone()),
            "warehouses" if get => page(&req, self.warehouses.clone()),
            "customers" if get => self.list(&req, &self.customers),
            "customers" if write => self.write_master(&req, &self.customers, true),
            "products" if get => self.list(&req, &self.products),
            "products" if write => self.write_master(&req, &self.products, false),
            "pricelists" if get => self.list(&req, &self.pricelists),
            "pricelists" if m == Method::POST => {
                self.write_simple(&req, &self.pricelists, &["name"])
            }
            "prices" if get => page(&req, values(self.prices.all())),
            "prices" if m == Method::POST => self.write_keyed(&req, true),
            "stocklevels" if get => page(&req, values(self.stocklevels.all())),
            "stocklevels" if m == Method::POST => self.write_keyed(&req, false),
            "invoices" if get => self.list(&req, &self.invoices),
            "invoicesbyexternalid" if m == Method::POST => self.write_invoices(&req),
            "orders" if get => self.list(&req, &self.orders),
            "quotes" if get => self.list(&req, &self.quotes),
            "orders" if m == Method::POST => {
                self.write_simple(&req, &self.orders, &["customer_id", "date", "user_id", "items"])
            }
            "orderstatuses" if get => self.list(&req, &self.orderstatuses),
            "orderstatuses" if m == Method::POST => {
                self.write_simple(&req, &self.orderstatuses, &["document_id", "date", "status"])
            }
            _ => missing_route(),
        }
    }
}
