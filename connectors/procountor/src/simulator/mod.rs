//! A stateful Procountor API simulator (feature `simulator`).
//!
//! It serves hand-written JSON in Procountor's shapes (`apis.md` §4): the client-credentials
//! token endpoint with the API key, business partners, products (`previousId` keyset),
//! invoices (0-based `page`, `size` ≤ 200, `versionStartDate`, `originalInvoiceNumber`),
//! `GET /invoices/{id}` with rows, `POST` and `PUT` with `version` optimistic locking, the
//! follow-up actions and `GET /vats/default`. It rejects invoices as the real API does:
//! missing required fields, EDIFACT and PAPER_INVOICE channels, an e-invoice channel without
//! an address, MAIL without a postal address, VAT percentages the company does not use,
//! ISO country codes, and a stale `version`.

use std::collections::BTreeMap;
use std::io;
use std::sync::{Arc, Mutex};

use chrono::{Duration as ChronoDuration, NaiveDate, TimeZone, Utc};
use connector_core::simulator::{
    Faults, Journal, Params, Router, SimRequest, SimResponse, SimServer, TokenIssuer,
};
use secrecy::SecretString;
use serde_json::{Value, json};

use crate::business_id::is_valid_bank_reference;
use crate::config::ProcountorConfig;
use crate::country::UNITS;
use crate::lock;

/// The client id the simulator accepts.
pub const SIM_CLIENT_ID: &str = "sim-client";
/// The client secret the simulator accepts.
pub const SIM_CLIENT_SECRET: &str = "sim-secret";
/// The API key the simulator accepts.
pub const SIM_API_KEY: &str = "sim-api-key";

const PAYMENT_METHODS: &[&str] = &[
    "BANK_TRANSFER",
    "DIRECT_PAYMENT",
    "CLEARING",
    "CREDIT_CARD_CHARGE",
    "FOREIGN_PAYMENT",
    "OTHER",
    "CASH",
    "DOMESTIC_PAYMENT_PLUSGIRO",
    "DOMESTIC_PAYMENT_BANKGIRO",
    "DOMESTIC_PAYMENT_CREDITOR",
    "NETS",
];

#[derive(Debug)]
struct State {
    next_id: i64,
    version_seq: i64,
    invoice_number: i64,
    partners: BTreeMap<i64, Value>,
    products: BTreeMap<i64, Value>,
    invoices: BTreeMap<i64, Value>,
    vats: Vec<String>,
}

impl State {
    fn id(&mut self) -> i64 {
        self.next_id += 1;
        self.next_id
    }

    fn version(&mut self) -> String {
        self.version_seq += 1;
        let base = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().unwrap_or_default();
        (base + ChronoDuration::seconds(self.version_seq)).format("%Y-%m-%dT%H:%M:%S").to_string()
    }
}

#[derive(Clone)]
struct Sim {
    state: Arc<Mutex<State>>,
    tokens: TokenIssuer,
}

/// A running Procountor simulator.
pub struct ProcountorSimulator {
    server: SimServer,
    sim: Sim,
}

impl std::fmt::Debug for ProcountorSimulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProcountorSimulator").field("api_url", &self.api_url()).finish()
    }
}

impl ProcountorSimulator {
    /// Starts an empty simulator (VAT rates 25.5, 14, 10 and 0) on a free local port.
    pub async fn start() -> io::Result<Self> {
        Self::start_on(0).await
    }

    /// Starts an empty simulator on `port` (0: any free port).
    pub async fn start_on(port: u16) -> io::Result<Self> {
        let faults = Faults::new();
        let tokens = TokenIssuer::new().prefix("pc").linked_to(&faults);
        let sim = Sim {
            state: Arc::new(Mutex::new(State {
                next_id: 1000,
                version_seq: 0,
                invoice_number: 0,
                partners: BTreeMap::new(),
                products: BTreeMap::new(),
                invoices: BTreeMap::new(),
                vats: ["25.5", "14", "10", "0"].map(str::to_owned).to_vec(),
            })),
            tokens,
        };
        let server = SimServer::builder(router(&sim))
            .port(port)
            .faults(faults)
            .journal(Journal::new())
            .start()
            .await?;
        Ok(Self { server, sim })
    }

    /// Starts a simulator with a small register: two customers and three products.
    pub async fn with_demo_data() -> io::Result<Self> {
        let s = Self::start().await?;
        s.seed_demo_data();
        Ok(s)
    }

    /// Adds the demo register: customers 1001 (Asiakas Oy, e-mail) and 1002 (Kauppa Ab,
    /// e-invoice), and products WID-1, GAD-2 and SRV-H.
    pub fn seed_demo_data(&self) {
        let s = self;
        s.add_partner(json!({
            "type": "CUSTOMER", "name": "Asiakas Oy", "identifier": "0112038-9",
            "customerNumber": "1001", "email": "laskut@asiakas.example",
            "address": { "name": "Asiakas Oy", "street": "Katu 1", "zip": "00100",
                         "city": "Helsinki", "country": "FINLAND" },
            "active": true
        }));
        s.add_partner(json!({
            "type": "CUSTOMER", "name": "Kauppa Ab", "identifier": "0109862-8",
            "customerNumber": "1002",
            "address": { "name": "Kauppa Ab", "street": "Gatan 2", "zip": "65100",
                         "city": "Vaasa", "country": "FINLAND" },
            "einvoiceAddress": { "operator": "003721291126", "address": "003701098628" },
            "active": true
        }));
        for (code, name, price) in [
            ("WID-1", "Widget", "10.00"),
            ("GAD-2", "Gadget", "24.90"),
            ("SRV-H", "Service hour", "85"),
        ] {
            s.add_product(json!({
                "type": "SALES", "code": code, "name": name,
                "unit": if code == "SRV-H" { "HOUR" } else { "PIECE" },
                "price": price.parse::<serde_json::Number>().map(Value::Number).unwrap_or(Value::Null),
                "vat": 25.5, "currency": "EUR", "active": true
            }));
        }
    }

    /// The API base (`http://127.0.0.1:port/api`).
    pub fn api_url(&self) -> String {
        format!("{}/api", self.server.base_url())
    }

    /// A configuration pointing at this simulator with the credentials it accepts.
    pub fn config(&self) -> ProcountorConfig {
        ProcountorConfig::new(
            self.api_url(),
            SIM_CLIENT_ID,
            SecretString::from(SIM_CLIENT_SECRET),
            SecretString::from(SIM_API_KEY),
        )
    }

    /// Adds a business partner (Procountor's JSON shape); returns its id.
    pub fn add_partner(&self, mut partner: Value) -> i64 {
        let mut st = lock(&self.sim.state);
        let id = st.id();
        partner["id"] = json!(id);
        partner["version"] = json!(st.version());
        st.partners.insert(id, partner);
        id
    }

    /// Adds a product; returns its id.
    pub fn add_product(&self, mut product: Value) -> i64 {
        let mut st = lock(&self.sim.state);
        let id = st.id();
        product["id"] = json!(id);
        product["version"] = json!(st.version());
        st.products.insert(id, product);
        id
    }

    /// Adds an invoice as it is (no validation); returns its id.
    pub fn add_invoice(&self, mut invoice: Value) -> i64 {
        let mut st = lock(&self.sim.state);
        let id = st.id();
        invoice["id"] = json!(id);
        invoice["version"] = json!(st.version());
        if invoice.get("status").is_none() {
            invoice["status"] = json!("UNFINISHED");
        }
        st.invoices.insert(id, invoice);
        id
    }

    /// Changes an invoice as a user in Procountor would (a new `version`).
    pub fn touch_invoice(&self, id: i64, field: &str, value: Value) {
        let mut st = lock(&self.sim.state);
        let version = st.version();
        if let Some(inv) = st.invoices.get_mut(&id) {
            inv[field] = value;
            inv["version"] = json!(version);
        }
    }

    /// Changes a business partner as a user in Procountor would (a new `version`).
    pub fn touch_partner(&self, id: i64, field: &str, value: Value) {
        let mut st = lock(&self.sim.state);
        let version = st.version();
        if let Some(p) = st.partners.get_mut(&id) {
            p[field] = value;
            p["version"] = json!(version);
        }
    }

    /// Sets the VAT percentages in use for the company.
    pub fn set_vat_percentages(&self, vats: &[&str]) {
        lock(&self.sim.state).vats = vats.iter().map(|s| (*s).to_owned()).collect();
    }

    /// Every invoice, in id order.
    pub fn invoices(&self) -> Vec<Value> {
        lock(&self.sim.state).invoices.values().cloned().collect()
    }

    /// Every business partner, in id order.
    pub fn partners(&self) -> Vec<Value> {
        lock(&self.sim.state).partners.values().cloned().collect()
    }

    /// Every product, in id order.
    pub fn products(&self) -> Vec<Value> {
        lock(&self.sim.state).products.values().cloned().collect()
    }

    /// Fault injection.
    pub fn faults(&self) -> &Faults {
        self.server.faults()
    }

    /// Every request and its status.
    pub fn journal(&self) -> &Journal {
        self.server.journal()
    }

    /// The token issuer (to expire tokens or read counters).
    pub fn tokens(&self) -> &TokenIssuer {
        &self.sim.tokens
    }

    /// Stops the server and waits for it.
    pub async fn shutdown(self) {
        self.server.shutdown().await;
    }

    /// Serves until Ctrl-C.
    pub async fn run_until_ctrl_c(self) -> io::Result<()> {
        self.server.run_until_ctrl_c().await
    }
}

type Handler = fn(&Sim, &SimRequest, &Params) -> SimResponse;

fn add(router: Router, method: &str, pattern: &str, sim: &Sim, handler: Handler) -> Router {
    let sim = sim.clone();
    router.route(method, pattern, move |req, params| {
        let sim = sim.clone();
        async move {
            if let Err(e) = sim.tokens.authorize(&req) {
                return e.to_response(false);
            }
            handler(&sim, &req, &params)
        }
    })
}

fn router(sim: &Sim) -> Router {
    let token_sim = sim.clone();
    let r = Router::new().post("/api/oauth/token", move |req, _| {
        let sim = token_sim.clone();
        async move { token(&sim, &req) }
    });
    let r = add(r, "GET", "/api/vats/default", sim, vats);
    let r = add(r, "GET", "/api/businesspartners", sim, list_partners);
    let r = add(r, "POST", "/api/businesspartners", sim, create_partner);
    let r = add(r, "GET", "/api/businesspartners/{id}", sim, get_partner);
    let r = add(r, "PUT", "/api/businesspartners/{id}", sim, put_partner);
    let r = add(r, "GET", "/api/products", sim, list_products);
    let r = add(r, "GET", "/api/products/{id}", sim, get_product);
    let r = add(r, "GET", "/api/invoices", sim, list_invoices);
    let r = add(r, "POST", "/api/invoices", sim, create_invoice);
    let r = add(r, "GET", "/api/invoices/{id}", sim, get_invoice);
    let r = add(r, "PUT", "/api/invoices/{id}", sim, put_invoice);
    let r = add(r, "PUT", "/api/invoices/{id}/verify", sim, |s, q, p| action(s, q, p, "verify"));
    let r = add(r, "PUT", "/api/invoices/{id}/approve", sim, |s, q, p| action(s, q, p, "approve"));
    add(r, "PUT", "/api/invoices/{id}/send", sim, |s, q, p| action(s, q, p, "send"))
}

fn errors(status: u16, list: &[(String, String)]) -> SimResponse {
    let items: Vec<Value> = list
        .iter()
        .map(|(field, message)| json!({ "status": status, "field": field, "message": message }))
        .collect();
    SimResponse::json(status, json!({ "errors": items }))
}

fn error(status: u16, field: &str, message: &str) -> SimResponse {
    errors(status, &[(field.to_owned(), message.to_owned())])
}

fn token(sim: &Sim, req: &SimRequest) -> SimResponse {
    let bad =
        |e: &str, d: &str| SimResponse::json(400, json!({ "error": e, "error_description": d }));
    if req.form_value("grant_type").as_deref() != Some("client_credentials") {
        return bad("unsupported_grant_type", "only client_credentials is simulated");
    }
    if req.form_value("client_id").as_deref() != Some(SIM_CLIENT_ID)
        || req.form_value("client_secret").as_deref() != Some(SIM_CLIENT_SECRET)
    {
        return SimResponse::json(
            401,
            json!({ "error": "invalid_client", "error_description": "Bad client credentials" }),
        );
    }
    if req.form_value("api_key").as_deref() != Some(SIM_API_KEY) {
        return bad("invalid_grant", "Invalid API key");
    }
    SimResponse::json(200, sim.tokens.issue_access_only(SIM_CLIENT_ID).to_json())
}

fn vats(sim: &Sim, _: &SimRequest, _: &Params) -> SimResponse {
    let st = lock(&sim.state);
    let list = st.vats.join(", ");
    SimResponse::raw_json(200, &format!(r#"{{"countryCode":"FI","vatPercentages":[{list}]}}"#))
}

/// `page` (0-based) and `size` (≤ 200, default 50).
#[allow(clippy::result_large_err)]
fn paging(req: &SimRequest) -> Result<(usize, usize), SimResponse> {
    let page = match req.query("page") {
        None => 0,
        Some(p) => {
            p.parse::<usize>().map_err(|_| error(400, "page", "must be a non-negative integer"))?
        }
    };
    let size = match req.query("size") {
        None => 50,
        Some(s) => s.parse::<usize>().map_err(|_| error(400, "size", "must be an integer"))?,
    };
    if size == 0 || size > 200 {
        return Err(error(400, "size", "must be between 1 and 200"));
    }
    Ok((page, size))
}

fn list(items: Vec<Value>, page: usize, size: usize) -> SimResponse {
    let total = items.len();
    let results: Vec<Value> = items.into_iter().skip(page * size).take(size).collect();
    SimResponse::json(
        200,
        json!({
            "results": results,
            "meta": { "pageNumber": page, "pageSize": size, "resultCount": results.len(), "totalCount": total }
        }),
    )
}

fn s<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(v, |v, k| v.get(k))?.as_str()
}

/// Filters by `versionStartDate` and sorts by version when `orderByVersion=ASC`.
#[allow(clippy::result_large_err)]
fn by_version(req: &SimRequest, mut items: Vec<Value>) -> Result<Vec<Value>, SimResponse> {
    if let Some(start) = req.query("versionStartDate") {
        if chrono::NaiveDateTime::parse_from_str(start, "%Y-%m-%dT%H:%M:%S").is_err() {
            return Err(error(400, "versionStartDate", "expected YYYY-MM-DDTHH:MM:SS"));
        }
        items.retain(|v| s(v, &["version"]).is_some_and(|ver| ver >= start));
    }
    if req.query("orderByVersion").is_some_and(|o| o.eq_ignore_ascii_case("ASC")) {
        items.sort_by(|a, b| s(a, &["version"]).cmp(&s(b, &["version"])));
    }
    Ok(items)
}

fn parse_id(params: &Params) -> Option<i64> {
    params.get("id").and_then(|s| s.parse().ok())
}

fn list_partners(sim: &Sim, req: &SimRequest, _: &Params) -> SimResponse {
    let (page, size) = match paging(req) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let items: Vec<Value> = lock(&sim.state)
        .partners
        .values()
        .filter(|p| req.query("type").is_none_or(|t| s(p, &["type"]) == Some(t)))
        .filter(|p| {
            req.query("customerNumber").is_none_or(|n| s(p, &["customerNumber"]) == Some(n))
        })
        .filter(|p| req.query("identifier").is_none_or(|n| s(p, &["identifier"]) == Some(n)))
        .map(|p| {
            // The list carries the basic fields only; details come from GET /{id}.
            json!({
                "id": p["id"], "type": p["type"], "name": p["name"],
                "identifier": p.get("identifier").cloned().unwrap_or(Value::Null),
                "customerNumber": p.get("customerNumber").cloned().unwrap_or(Value::Null),
                "active": p.get("active").cloned().unwrap_or(json!(true)),
                "version": p["version"],
            })
        })
        .collect();
    match by_version(req, items) {
        Ok(items) => list(items, page, size),
        Err(r) => r,
    }
}

fn get_partner(sim: &Sim, _: &SimRequest, params: &Params) -> SimResponse {
    match parse_id(params).and_then(|id| lock(&sim.state).partners.get(&id).cloned()) {
        Some(p) => SimResponse::json(200, p),
        None => error(404, "id", "Business partner not found"),
    }
}

fn partner_errors(body: &Value) -> Vec<(String, String)> {
    let mut errs = Vec::new();
    if s(body, &["name"]).is_none_or(|n| n.trim().is_empty()) {
        errs.push(("name".to_owned(), "REQUIRED".to_owned()));
    }
    if !matches!(s(body, &["type"]), Some("CUSTOMER" | "SUPPLIER" | "PERSON")) {
        errs.push(("type".to_owned(), "must be CUSTOMER, SUPPLIER or PERSON".to_owned()));
    }
    if let Some(c) = s(body, &["address", "country"]) {
        check_country(&mut errs, "address.country", c);
    }
    errs
}

fn create_partner(sim: &Sim, req: &SimRequest, _: &Params) -> SimResponse {
    let Ok(mut body) = req.json_value() else {
        return error(400, "", "Malformed JSON");
    };
    let errs = partner_errors(&body);
    if !errs.is_empty() {
        return errors(400, &errs);
    }
    let mut st = lock(&sim.state);
    let id = st.id();
    body["id"] = json!(id);
    body["version"] = json!(st.version());
    st.partners.insert(id, body.clone());
    SimResponse::json(200, body)
}

fn put_partner(sim: &Sim, req: &SimRequest, params: &Params) -> SimResponse {
    let Ok(mut body) = req.json_value() else {
        return error(400, "", "Malformed JSON");
    };
    let Some(id) = parse_id(params) else { return error(404, "id", "Business partner not found") };
    let mut st = lock(&sim.state);
    let Some(current) = st.partners.get(&id).cloned() else {
        return error(404, "id", "Business partner not found");
    };
    if s(&body, &["version"]) != s(&current, &["version"]) {
        return error(409, "version", "The business partner has been modified by someone else");
    }
    let errs = partner_errors(&body);
    if !errs.is_empty() {
        return errors(400, &errs);
    }
    body["id"] = json!(id);
    body["version"] = json!(st.version());
    st.partners.insert(id, body.clone());
    SimResponse::json(200, body)
}

fn list_products(sim: &Sim, req: &SimRequest, _: &Params) -> SimResponse {
    let size = match req.query("size") {
        None => 50,
        Some(s) => match s.parse::<usize>() {
            Ok(n) if (1..=200).contains(&n) => n,
            _ => return error(400, "size", "must be between 1 and 200"),
        },
    };
    let previous = match req.query("previousId").map(str::parse::<i64>) {
        None => None,
        Some(Ok(p)) => Some(p),
        Some(Err(_)) => return error(400, "previousId", "must be an integer"),
    };
    let st = lock(&sim.state);
    let matching: Vec<&Value> = st
        .products
        .iter()
        .filter(|(id, _)| previous.is_none_or(|p| **id > p))
        .map(|(_, v)| v)
        .filter(|p| req.query("type").is_none_or(|t| s(p, &["type"]) == Some(t)))
        .filter(|p| req.query("code").is_none_or(|c| s(p, &["code"]) == Some(c)))
        .collect();
    let total = matching.len();
    let results: Vec<Value> = matching.into_iter().take(size).cloned().collect();
    SimResponse::json(
        200,
        json!({ "results": results, "meta": { "pageSize": size, "resultCount": results.len(), "totalCount": total } }),
    )
}

fn get_product(sim: &Sim, _: &SimRequest, params: &Params) -> SimResponse {
    match parse_id(params).and_then(|id| lock(&sim.state).products.get(&id).cloned()) {
        Some(p) => SimResponse::json(200, p),
        None => error(404, "id", "Product not found"),
    }
}

fn list_invoices(sim: &Sim, req: &SimRequest, _: &Params) -> SimResponse {
    let (page, size) = match paging(req) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let types: Vec<&str> =
        req.query("types").map(|t| t.split(',').map(str::trim).collect()).unwrap_or_default();
    let items: Vec<Value> = lock(&sim.state)
        .invoices
        .values()
        .filter(|i| types.is_empty() || s(i, &["type"]).is_some_and(|t| types.contains(&t)))
        .filter(|i| req.query("status").is_none_or(|st| s(i, &["status"]) == Some(st)))
        .filter(|i| {
            req.query("originalInvoiceNumber")
                .is_none_or(|n| s(i, &["originalInvoiceNumber"]) == Some(n))
        })
        .map(|i| {
            json!({
                "id": i["id"], "type": i["type"], "status": i["status"], "date": i["date"],
                "partnerId": i.get("partnerId").cloned().unwrap_or(Value::Null),
                "counterPartyName": i.pointer("/counterParty/counterPartyAddress/name").cloned().unwrap_or(Value::Null),
                "originalInvoiceNumber": i.get("originalInvoiceNumber").cloned().unwrap_or(Value::Null),
                "invoiceNumber": i.get("invoiceNumber").cloned().unwrap_or(Value::Null),
                "version": i["version"],
            })
        })
        .collect();
    match by_version(req, items) {
        Ok(items) => list(items, page, size),
        Err(r) => r,
    }
}

fn get_invoice(sim: &Sim, _: &SimRequest, params: &Params) -> SimResponse {
    match parse_id(params).and_then(|id| lock(&sim.state).invoices.get(&id).cloned()) {
        Some(i) => SimResponse::json(200, i),
        None => error(404, "id", "Invoice not found"),
    }
}

fn check_country(errs: &mut Vec<(String, String)>, field: &str, country: &str) {
    let enum_like =
        country.len() > 3 && country.bytes().all(|b| b.is_ascii_uppercase() || b == b'_');
    if !enum_like {
        errs.push((
            field.to_owned(),
            format!("INVALID_COUNTRY: `{country}` is not a country name of the enum"),
        ));
    }
}

fn is_number(v: Option<&Value>) -> bool {
    v.is_some_and(Value::is_number)
}

fn decimal(v: &Value) -> Option<rust_decimal::Decimal> {
    match v {
        Value::Number(n) => n.to_string().parse().ok(),
        _ => None,
    }
}

fn need(errs: &mut Vec<(String, String)>, path: &str, ok: bool) {
    if !ok {
        errs.push((path.to_owned(), "REQUIRED".to_owned()));
    }
}

/// Every reason the real API would refuse this invoice.
fn invoice_errors(body: &Value, st: &State) -> Vec<(String, String)> {
    let mut errs: Vec<(String, String)> = Vec::new();
    let kind = s(body, &["type"]).unwrap_or_default().to_owned();
    need(&mut errs, "type", !kind.is_empty());
    need(&mut errs, "date", s(body, &["date"]).is_some());
    need(
        &mut errs,
        "counterParty.counterPartyAddress.name",
        s(body, &["counterParty", "counterPartyAddress", "name"])
            .is_some_and(|n| !n.trim().is_empty()),
    );
    need(
        &mut errs,
        "paymentInfo.paymentMethod",
        s(body, &["paymentInfo", "paymentMethod"]).is_some(),
    );
    need(&mut errs, "paymentInfo.currency", s(body, &["paymentInfo", "currency"]).is_some());
    need(&mut errs, "paymentInfo.dueDate", s(body, &["paymentInfo", "dueDate"]).is_some());
    need(
        &mut errs,
        "paymentInfo.currencyRate",
        is_number(body.pointer("/paymentInfo/currencyRate")),
    );
    need(
        &mut errs,
        "extraInfo.accountingByRow",
        body.pointer("/extraInfo/accountingByRow").is_some_and(Value::is_boolean),
    );
    need(
        &mut errs,
        "extraInfo.unitPricesIncludeVat",
        body.pointer("/extraInfo/unitPricesIncludeVat").is_some_and(Value::is_boolean),
    );
    need(&mut errs, "discountPercent", is_number(body.get("discountPercent")));
    need(&mut errs, "invoiceChannel", s(body, &["invoiceChannel"]).is_some());
    if !matches!(kind.as_str(), "TRAVEL_INVOICE" | "BILL_OF_CHARGES") {
        need(&mut errs, "vatStatus", is_number(body.get("vatStatus")));
    }
    if matches!(kind.as_str(), "SALES_INVOICE" | "SALES_ORDER") {
        need(&mut errs, "language", s(body, &["language"]).is_some());
    }
    let rows = body.get("invoiceRows").and_then(Value::as_array);
    need(&mut errs, "invoiceRows", rows.is_some_and(|r| !r.is_empty()));
    for (i, row) in rows.into_iter().flatten().enumerate() {
        let f = |k: &str| format!("invoiceRows[{i}].{k}");
        need(&mut errs, &f("product"), s(row, &["product"]).is_some_and(|p| !p.trim().is_empty()));
        need(&mut errs, &f("quantity"), is_number(row.get("quantity")));
        need(&mut errs, &f("unitPrice"), is_number(row.get("unitPrice")));
        need(&mut errs, &f("discountPercent"), is_number(row.get("discountPercent")));
        need(&mut errs, &f("unit"), s(row, &["unit"]).is_some());
        need(&mut errs, &f("vatPercent"), is_number(row.get("vatPercent")));
        if let Some(u) = s(row, &["unit"])
            && !UNITS.contains(&u)
        {
            errs.push((f("unit"), format!("INVALID_UNIT: {u}")));
        }
        if let Some(v) = row.get("vatPercent").and_then(decimal) {
            let in_use = st
                .vats
                .iter()
                .filter_map(|x| x.parse::<rust_decimal::Decimal>().ok())
                .any(|x| x == v);
            if !in_use {
                errs.push((
                    f("vatPercent"),
                    "INVALID_VAT_PERCENT: not a percentage currently in use for the company"
                        .to_owned(),
                ));
            }
        }
        if let Some(pid) = row.get("productId").and_then(Value::as_i64)
            && !st.products.contains_key(&pid)
        {
            errs.push((f("productId"), "Product not found".to_owned()));
        }
    }
    if !kind.is_empty()
        && !matches!(
            kind.as_str(),
            "SALES_INVOICE"
                | "SALES_ORDER"
                | "PURCHASE_INVOICE"
                | "PURCHASE_ORDER"
                | "TRAVEL_INVOICE"
                | "BILL_OF_CHARGES"
        )
    {
        errs.push(("type".to_owned(), format!("INVALID_TYPE: {kind}")));
    }
    if let Some(d) = s(body, &["date"])
        && NaiveDate::parse_from_str(d, "%Y-%m-%d").is_err()
    {
        errs.push(("date".to_owned(), "expected YYYY-MM-DD".to_owned()));
    }
    if let Some(m) = s(body, &["paymentInfo", "paymentMethod"])
        && !PAYMENT_METHODS.contains(&m)
    {
        errs.push((
            "paymentInfo.paymentMethod".to_owned(),
            format!("PAYMENT_METHOD_NOT_ALLOWED: {m}"),
        ));
    }
    if let Some(acc) = s(body, &["paymentInfo", "bankAccount", "accountNumber"])
        && acc.contains(char::is_whitespace)
    {
        errs.push((
            "paymentInfo.bankAccount.accountNumber".to_owned(),
            "INVALID_IBAN: spaces are not allowed".to_owned(),
        ));
    }
    if let Some(r) = s(body, &["paymentInfo", "bankReferenceCode"])
        && !r.is_empty()
        && !is_valid_bank_reference(r)
    {
        errs.push((
            "paymentInfo.bankReferenceCode".to_owned(),
            "INVALID_REFERENCE_CODE".to_owned(),
        ));
    }
    if let Some(n) = s(body, &["originalInvoiceNumber"])
        && n.chars().count() > 40
    {
        errs.push(("originalInvoiceNumber".to_owned(), "too long (max 40)".to_owned()));
    }
    for (path, field) in [
        ("/counterParty/counterPartyAddress/country", "counterParty.counterPartyAddress.country"),
        ("/billingAddress/country", "billingAddress.country"),
        ("/deliveryAddress/country", "deliveryAddress.country"),
    ] {
        if let Some(c) = body.pointer(path).and_then(Value::as_str) {
            check_country(&mut errs, field, c);
        }
    }
    if let Some(pid) = body.get("partnerId").and_then(Value::as_i64)
        && !st.partners.contains_key(&pid)
    {
        errs.push(("partnerId".to_owned(), "Business partner not found".to_owned()));
    }
    let cpa = |k: &str| {
        s(body, &["counterParty", "counterPartyAddress", k]).is_some_and(|v| !v.trim().is_empty())
    };
    match s(body, &["invoiceChannel"]) {
        Some("EDIFACT" | "PAPER_INVOICE") => errs.push((
            "invoiceChannel".to_owned(),
            "INVOICE_CHANNEL_NOT_ALLOWED: EDIFACT and PAPER_INVOICE cannot be set through the API"
                .to_owned(),
        )),
        Some("MAIL") => {
            for k in ["street", "zip", "city"] {
                if !cpa(k) {
                    errs.push((
                        format!("counterParty.counterPartyAddress.{k}"),
                        "REQUIRED for invoice channel MAIL".to_owned(),
                    ));
                }
            }
        }
        Some("EMAIL") => {
            if s(body, &["counterParty", "email"]).is_none_or(|e| !e.contains('@')) {
                errs.push((
                    "counterParty.email".to_owned(),
                    "REQUIRED for invoice channel EMAIL".to_owned(),
                ));
            }
        }
        Some("ELECTRONIC_INVOICE") => {
            if s(body, &["counterParty", "einvoiceAddress", "address"])
                .is_none_or(|a| a.trim().is_empty())
            {
                errs.push((
                    "counterParty.einvoiceAddress.address".to_owned(),
                    "REQUIRED for invoice channel ELECTRONIC_INVOICE".to_owned(),
                ));
            }
            let finnish = s(body, &["counterParty", "counterPartyAddress", "country"])
                .is_none_or(|c| c == "FINLAND");
            if finnish
                && s(body, &["counterParty", "einvoiceAddress", "operator"])
                    .is_none_or(|o| o.trim().is_empty())
            {
                errs.push((
                    "counterParty.einvoiceAddress.operator".to_owned(),
                    "REQUIRED for a Finnish e-invoice address".to_owned(),
                ));
            }
            if !cpa("street") {
                errs.push((
                    "counterParty.counterPartyAddress.street".to_owned(),
                    "REQUIRED for invoice channel ELECTRONIC_INVOICE".to_owned(),
                ));
            }
            if s(body, &["billingAddress", "street"]).is_none_or(|v| v.trim().is_empty()) {
                errs.push((
                    "billingAddress.street".to_owned(),
                    "REQUIRED for invoice channel ELECTRONIC_INVOICE".to_owned(),
                ));
            }
        }
        Some("NO_SENDING") | None => {}
        Some(other) => {
            errs.push(("invoiceChannel".to_owned(), format!("INVALID_CHANNEL: {other}")))
        }
    }
    errs
}

fn create_invoice(sim: &Sim, req: &SimRequest, _: &Params) -> SimResponse {
    let Ok(mut body) = req.json_value() else {
        return error(400, "", "Malformed JSON");
    };
    let mut st = lock(&sim.state);
    let errs = invoice_errors(&body, &st);
    if !errs.is_empty() {
        return errors(400, &errs);
    }
    let id = st.id();
    st.invoice_number += 1;
    body["id"] = json!(id);
    body["status"] = json!("UNFINISHED");
    body["invoiceNumber"] = json!(st.invoice_number);
    body["version"] = json!(st.version());
    st.invoices.insert(id, body.clone());
    SimResponse::json(200, body)
}

fn put_invoice(sim: &Sim, req: &SimRequest, params: &Params) -> SimResponse {
    let Ok(mut body) = req.json_value() else {
        return error(400, "", "Malformed JSON");
    };
    let Some(id) = parse_id(params) else { return error(404, "id", "Invoice not found") };
    let mut st = lock(&sim.state);
    let Some(current) = st.invoices.get(&id).cloned() else {
        return error(404, "id", "Invoice not found");
    };
    if s(&current, &["status"]) != Some("UNFINISHED") {
        return error(
            400,
            "status",
            "INVOICE_NOT_EDITABLE: only UNFINISHED invoices can be updated",
        );
    }
    match s(&body, &["version"]) {
        None => return error(400, "version", "REQUIRED"),
        Some(v) if Some(v) != s(&current, &["version"]) => {
            return error(
                409,
                "version",
                "CONCURRENT_MODIFICATION: the invoice has been modified by someone else",
            );
        }
        Some(_) => {}
    }
    let errs = invoice_errors(&body, &st);
    if !errs.is_empty() {
        return errors(400, &errs);
    }
    body["id"] = json!(id);
    body["status"] = current["status"].clone();
    body["invoiceNumber"] = current["invoiceNumber"].clone();
    body["version"] = json!(st.version());
    st.invoices.insert(id, body.clone());
    SimResponse::json(200, body)
}

fn action(sim: &Sim, _: &SimRequest, params: &Params, what: &str) -> SimResponse {
    let Some(id) = parse_id(params) else { return error(404, "id", "Invoice not found") };
    let mut st = lock(&sim.state);
    let version = st.version();
    let Some(inv) = st.invoices.get_mut(&id) else {
        return error(404, "id", "Invoice not found");
    };
    let status = s(inv, &["status"]).unwrap_or_default().to_owned();
    let next = match (what, status.as_str()) {
        ("verify", "UNFINISHED") => "NOT_SENT",
        ("approve", "UNFINISHED" | "NOT_SENT") => "NOT_SENT",
        ("send", "UNFINISHED" | "NOT_SENT") => "SENT",
        _ => {
            return error(
                400,
                "status",
                &format!("INVALID_STATUS: cannot {what} an invoice in status {status}"),
            );
        }
    };
    inv["status"] = json!(next);
    inv["version"] = json!(version);
    SimResponse::empty(200)
}
