//! A stateful Procountor API simulator (feature `simulator`).
//!
//! Every request is held to the description of Procountor's API in
//! `tests/fixtures/procountor-api.json` ([`api_spec`]), written from Procountor's published
//! OpenAPI spec: an unknown field, parameter or operation, a wrong enum or a missing required
//! field is refused with Procountor's 400 `{"errors":[{"status","field","message"}]}`, and
//! every answer is held to it too (breaches are recorded in the [`Journal`]). On top of that
//! it keeps the rules the spec states in words: VAT percentages must be in use for sales
//! (`GET /vats/default`), EDIFACT and PAPER_INVOICE channels are refused, an e-invoice needs
//! its address and operator, MAIL a postal address, a `version` must be current, only
//! UNFINISHED invoices change, `verify` is for purchase, travel and expense invoices, a send
//! needs an approved invoice.
//!
//! It serves the client-credentials token endpoint with the API key, business partners
//! (`invoicingInfo`, `registryInfo`, `paymentInfo`; the business ID searched in the
//! `identifier` header; inactive partners only when `active=false`; `PATCH` with `version`),
//! products (`previousId` keyset, `code` matched by substring), invoices (0-based `page`,
//! `size` ≤ 200, `versionStartDate`, `orderByVersion`, `originalInvoiceNumber`), the
//! follow-up actions and `GET /vats/default`.

mod invoices;
mod partners;
mod products;

use std::collections::BTreeMap;
use std::io;
use std::sync::{Arc, LazyLock, Mutex};

use chrono::{Duration as ChronoDuration, TimeZone, Utc};
use connector_testkit::simulator::spec::Violation;
use connector_testkit::simulator::{
    ApiSpec, Faults, Journal, Params, Router, SimRequest, SimResponse, SimServer, TokenIssuer,
};
use secrecy::SecretString;
use serde_json::{Value, json};

use crate::config::ProcountorConfig;
use crate::lock;

/// The client id the simulator accepts.
pub const SIM_CLIENT_ID: &str = "sim-client";
/// The client secret the simulator accepts.
pub const SIM_CLIENT_SECRET: &str = "sim-secret";
/// The API key the simulator accepts.
pub const SIM_API_KEY: &str = "sim-api-key";

static SPEC: LazyLock<Arc<ApiSpec>> = LazyLock::new(|| {
    let text = include_str!("../../tests/fixtures/procountor-api.json");
    Arc::new(ApiSpec::from_json(text).unwrap_or_else(|e| panic!("procountor-api.json: {e}")))
});

/// The description of Procountor's API the simulator holds requests and answers to
/// (`tests/fixtures/procountor-api.json`, from Procountor's OpenAPI spec).
pub fn api_spec() -> Arc<ApiSpec> {
    SPEC.clone()
}

/// The company's VAT percentages: (percentage, allowed on sales, allowed on purchases).
type VatRate = (String, bool, bool);

#[derive(Debug)]
struct State {
    next_id: i64,
    version_seq: i64,
    invoice_number: i64,
    partners: BTreeMap<i64, Value>,
    products: BTreeMap<i64, Value>,
    invoices: BTreeMap<i64, Value>,
    vats: Vec<VatRate>,
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

/// Settings of a [`ProcountorSimulator`] before it starts: `ProcountorSimulator::builder()`.
#[derive(Debug, Default, Clone)]
#[must_use = "a builder does nothing until `start` is called"]
pub struct ProcountorSimulatorBuilder {
    port: u16,
    demo: bool,
}

impl ProcountorSimulatorBuilder {
    /// Listens on this port of 127.0.0.1 (0, the default: any free port).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Starts with the demo register ([`ProcountorSimulator::seed_demo_data`]); empty by
    /// default.
    pub fn demo_data(mut self) -> Self {
        self.demo = true;
        self
    }

    /// Starts the server.
    pub async fn start(self) -> io::Result<ProcountorSimulator> {
        let sim = ProcountorSimulator::start_on(self.port).await?;
        if self.demo {
            sim.seed_demo_data();
        }
        Ok(sim)
    }
}

impl ProcountorSimulator {
    /// Settings before starting: port and demo data.
    pub fn builder() -> ProcountorSimulatorBuilder {
        ProcountorSimulatorBuilder::default()
    }

    /// Starts an empty simulator on a free local port. The company's VAT percentages are
    /// 25.5, 14, 13.5, 10 and 0 for sales and purchases, and 24 for purchases only.
    pub async fn start() -> io::Result<Self> {
        Self::builder().start().await
    }

    async fn start_on(port: u16) -> io::Result<Self> {
        let faults = Faults::new();
        let tokens = TokenIssuer::new().prefix("pc").linked_to(&faults);
        let mut vats: Vec<VatRate> =
            ["25.5", "14", "13.5", "10", "0"].map(|p| (p.to_owned(), true, true)).to_vec();
        vats.push(("24".to_owned(), false, true));
        let sim = Sim {
            state: Arc::new(Mutex::new(State {
                next_id: 1000,
                version_seq: 0,
                invoice_number: 0,
                partners: BTreeMap::new(),
                products: BTreeMap::new(),
                invoices: BTreeMap::new(),
                vats,
            })),
            tokens,
        };
        let server = SimServer::builder(router(&sim))
            .port(port)
            .faults(faults)
            .journal(Journal::new())
            .spec(api_spec(), |req, violations| Some(refuse(req, violations)))
            .start()
            .await?;
        Ok(Self { server, sim })
    }

    /// Starts a simulator with a small register: two customers and three products.
    pub async fn with_demo_data() -> io::Result<Self> {
        Self::builder().demo_data().start().await
    }

    /// Adds the demo register: customers 1001 (Asiakas Oy, e-mail) and 1002 (Kauppa Ab,
    /// e-invoice), and products WID-1, GAD-2 and SRV-H.
    pub fn seed_demo_data(&self) {
        let s = self;
        s.add_partner(json!({
            "type": "CUSTOMER", "name": "Asiakas Oy",
            "address": { "name": "Asiakas Oy", "street": "Katu 1", "zip": "00100",
                         "city": "Helsinki", "country": "FINLAND" },
            "invoicingInfo": { "customerNumber": "1001", "identifier": "0112038-9",
                               "email": "laskut@asiakas.example", "language": "FINNISH" },
            "paymentInfo": { "paymentMethod": "BANK_TRANSFER", "currency": "EUR" },
            "registryInfo": { "active": true, "phone": "+358 9 123 4567" }
        }));
        s.add_partner(json!({
            "type": "CUSTOMER", "name": "Kauppa Ab",
            "address": { "name": "Kauppa Ab", "street": "Gatan 2", "zip": "65100",
                         "city": "Vaasa", "country": "FINLAND" },
            "invoicingInfo": { "customerNumber": "1002", "identifier": "0109862-8",
                               "einvoiceAddress": "003701098628",
                               "einvoiceOperator": "003721291126" },
            "paymentInfo": { "paymentMethod": "BANK_TRANSFER", "currency": "EUR" },
            "registryInfo": { "active": true }
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
                "discount": 0, "vat": 25.5, "currency": "EUR", "active": true
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

    /// Adds a business partner in Procountor's shape (`invoicingInfo`, `registryInfo`, ...);
    /// returns its id.
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

    /// Changes a business partner as a user in Procountor would (a new `version`). `pointer`
    /// is a JSON pointer into the partner (`/invoicingInfo/email`, `/registryInfo/active`);
    /// missing objects on the way are created.
    pub fn touch_partner(&self, id: i64, pointer: &str, value: Value) {
        let mut st = lock(&self.sim.state);
        let version = st.version();
        if let Some(p) = st.partners.get_mut(&id) {
            let mut at = &mut *p;
            for key in pointer.trim_start_matches('/').split('/') {
                if !at.is_object() {
                    *at = json!({});
                }
                at = &mut at[key];
            }
            *at = value;
            p["version"] = json!(version);
        }
    }

    /// Sets the VAT percentages the company uses, for sales and purchases alike (none left
    /// for purchases only).
    pub fn set_vat_percentages(&self, vats: &[&str]) {
        lock(&self.sim.state).vats = vats.iter().map(|s| ((*s).to_owned(), true, true)).collect();
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

    /// Every request, its status and how it broke the API description.
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
                // Procountor's error body, with the 401 and its challenge header.
                let mut answer = e.to_response(false);
                answer.body = error(401, "", "UNAUTHORIZED: invalid or expired access token").body;
                return answer;
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
    let r = partners::routes(r, sim);
    let r = products::routes(r, sim);
    invoices::routes(r, sim)
}

/// Procountor's answer to a request that breaks its API description: 400 with one error
/// per violation, naming the field as Procountor does (`invoiceRows[0].unit`); an operation
/// it does not have is a 404. The token endpoint answers as OAuth does.
fn refuse(req: &SimRequest, violations: &[Violation]) -> SimResponse {
    use connector_testkit::simulator::spec::ViolationKind;
    if violations.iter().any(|v| v.kind == ViolationKind::UnknownOperation) {
        return error(404, "", &format!("NOT_FOUND: no operation {} {}", req.method, req.path));
    }
    if req.path.ends_with("/oauth/token") {
        let text: Vec<String> = violations.iter().map(ToString::to_string).collect();
        return SimResponse::json(
            400,
            json!({ "error": "invalid_request", "error_description": text.join("; ") }),
        );
    }
    let list: Vec<(String, String)> = violations
        .iter()
        .map(|v| {
            let field = v
                .body_field()
                .map(str::to_owned)
                .or_else(|| v.place.split_once('.').map(|(_, f)| f.to_owned()))
                .unwrap_or_default();
            (field, format!("{:?}: {}", v.kind, v.message))
        })
        .collect();
    errors(400, &list)
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

/// `GET /vats/default`: the company's percentages for its own country, and its VAT statuses.
fn vats(sim: &Sim, _: &SimRequest, _: &Params) -> SimResponse {
    let st = lock(&sim.state);
    let percentages: Vec<String> = st
        .vats
        .iter()
        .map(|(p, sales, purchase)| {
            format!(r#"{{"vatPercent":{p},"sales":{sales},"purchase":{purchase}}}"#)
        })
        .collect();
    SimResponse::raw_json(
        200,
        &format!(
            r#"{{"vatInformation":[{{"country":"Finland","percentages":[{}]}}],
"vatStatuses":[{{"vatStatus":1,"description":"Domestic sales","sales":true,"purchase":false}},
{{"vatStatus":2,"description":"Domestic purchases","sales":false,"purchase":true}}]}}"#,
            percentages.join(",")
        ),
    )
}

/// `page` (0-based) and `size` (default 50); the description already bounds both.
fn paging(req: &SimRequest) -> (usize, usize) {
    let page = req.query("page").and_then(|p| p.parse().ok()).unwrap_or(0);
    let size = req.query("size").and_then(|s| s.parse().ok()).unwrap_or(50);
    (page, size)
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

/// Keeps what `versionStartDate` (inclusive) lets through.
fn since_version(req: &SimRequest, items: &mut Vec<Value>) {
    if let Some(start) = req.query("versionStartDate") {
        items.retain(|v| s(v, &["version"]).is_some_and(|ver| ver >= start));
    }
}

/// Orders by id (`orderById`, descending by default) and keeps what follows `previousId`.
fn by_id(req: &SimRequest, items: &mut Vec<Value>) {
    let ascending = req.query("orderById").is_some_and(|o| o == "ASC");
    let id = |v: &Value| v["id"].as_i64().unwrap_or_default();
    items.sort_by_key(id);
    if !ascending {
        items.reverse();
    }
    if let Some(previous) = req.query("previousId").and_then(|p| p.parse::<i64>().ok()) {
        items.retain(|v| if ascending { id(v) > previous } else { id(v) < previous });
    }
}

fn parse_id(params: &Params, name: &str) -> Option<i64> {
    params.get(name).and_then(|s| s.parse().ok())
}
