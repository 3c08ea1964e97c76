//! A stateful simulator of the Parts PIM interface as the connector assumes it
//! (`tests/fixtures/parts-pim-api.json`). It refuses what Parts PIM is known to refuse: a
//! SKU that is not digits only and a write without a (digits) employee number; and it keeps
//! fields a `PUT` leaves out, so a long description written on create stays.

use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock, Mutex, MutexGuard, PoisonError};

use connector_testkit::simulator::spec::ApiSpec;
use connector_testkit::simulator::{Journal, Params, Router, SimRequest, SimResponse, SimServer};
use secrecy::SecretString;
use serde_json::{Map, Value, json};

use crate::config::{PartsPimConfig, is_digits};

/// The API key the simulator accepts.
pub const API_KEY: &str = "sim-parts-pim-key";

static SPEC: LazyLock<Arc<ApiSpec>> = LazyLock::new(|| {
    let text = include_str!("../../tests/fixtures/parts-pim-api.json");
    Arc::new(ApiSpec::from_json(text).unwrap_or_else(|e| panic!("parts-pim-api.json: {e}")))
});

/// The description the simulator holds requests and answers to.
pub fn api_spec() -> Arc<ApiSpec> {
    SPEC.clone()
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn error(status: u16, message: &str) -> SimResponse {
    SimResponse::json(status, json!({ "error": message }))
}

mod orders;

#[derive(Default)]
struct State {
    products: BTreeMap<String, Map<String, Value>>,
    stock: BTreeMap<String, Value>,
    /// Orders by number (digits, compared as numbers: zero-padded keys).
    orders: BTreeMap<String, Value>,
}

type Shared = Arc<Mutex<State>>;

/// A running Parts PIM simulator.
pub struct PartsPimSimulator {
    server: SimServer,
    state: Shared,
}

impl std::fmt::Debug for PartsPimSimulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PartsPimSimulator").field("base_url", &self.server.base_url()).finish()
    }
}

/// Settings of a [`PartsPimSimulator`] before it starts.
#[derive(Debug, Default, Clone)]
#[must_use = "a builder does nothing until `start` is called"]
pub struct PartsPimSimulatorBuilder {
    port: u16,
}

impl PartsPimSimulatorBuilder {
    /// Listens on this port of 127.0.0.1 (0, the default: any free port).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Starts the server.
    pub async fn start(self) -> std::io::Result<PartsPimSimulator> {
        let state = Shared::default();
        let server = SimServer::builder(router(&state))
            .port(self.port)
            .journal(Journal::new())
            .spec(api_spec(), |_req, violations| {
                let text: Vec<String> = violations.iter().map(ToString::to_string).collect();
                Some(error(400, &text.join("; ")))
            })
            .start()
            .await?;
        Ok(PartsPimSimulator { server, state })
    }
}

/// The refusal of a request without the API key.
fn unauthorized(req: &SimRequest) -> Option<SimResponse> {
    (req.header("x-api-key") != Some(API_KEY)).then(|| error(401, "unknown API key"))
}

/// The body's SKU and employee number, checked as Parts PIM checks them.
fn checked(req: &SimRequest) -> Result<Map<String, Value>, String> {
    let body: Map<String, Value> = serde_json::from_slice(&req.body)
        .map_err(|e| format!("the body is not a JSON object: {e}"))?;
    let sku = body.get("sku").and_then(Value::as_str).unwrap_or_default();
    if !is_digits(sku) {
        return Err(format!("SKU `{sku}` is not numeric"));
    }
    let employee = body.get("employee_number").and_then(Value::as_str).unwrap_or_default();
    if !is_digits(employee) {
        return Err("an employee number is required on every change".to_owned());
    }
    Ok(body)
}

fn router(state: &Shared) -> Router {
    let (a, b, c, d) = (state.clone(), state.clone(), state.clone(), state.clone());
    let router = Router::new()
        .get("/api/products/{sku}", move |req, p| {
            let state = a.clone();
            async move { get_product(&state, &req, &p) }
        })
        .post("/api/products", move |req, _| {
            let state = b.clone();
            async move { create_product(&state, &req) }
        })
        .put("/api/products/{sku}", move |req, p| {
            let state = c.clone();
            async move { update_product(&state, &req, &p) }
        })
        .put("/api/stock/{sku}", move |req, p| {
            let state = d.clone();
            async move { put_stock(&state, &req, &p) }
        });
    orders::routes(router, state)
}

fn get_product(state: &Shared, req: &SimRequest, p: &Params) -> SimResponse {
    if let Some(refused) = unauthorized(req) {
        return refused;
    }
    match lock(state).products.get(p.get("sku").unwrap_or_default()) {
        Some(row) => SimResponse::json(200, Value::Object(row.clone())),
        None => error(404, "no such product"),
    }
}

fn create_product(state: &Shared, req: &SimRequest) -> SimResponse {
    if let Some(refused) = unauthorized(req) {
        return refused;
    }
    let body = match checked(req) {
        Ok(b) => b,
        Err(why) => return error(400, &why),
    };
    let sku = body["sku"].as_str().unwrap_or_default().to_owned();
    let mut st = lock(state);
    if st.products.contains_key(&sku) {
        return error(409, &format!("product {sku} exists"));
    }
    st.products.insert(sku, body.clone());
    SimResponse::json(201, Value::Object(body))
}

fn update_product(state: &Shared, req: &SimRequest, p: &Params) -> SimResponse {
    if let Some(refused) = unauthorized(req) {
        return refused;
    }
    let body = match checked(req) {
        Ok(b) => b,
        Err(why) => return error(400, &why),
    };
    let sku = p.get("sku").unwrap_or_default();
    let mut st = lock(state);
    let Some(row) = st.products.get_mut(sku) else { return error(404, "no such product") };
    // Fields left out keep their values.
    row.extend(body);
    SimResponse::json(200, Value::Object(row.clone()))
}

fn put_stock(state: &Shared, req: &SimRequest, p: &Params) -> SimResponse {
    if let Some(refused) = unauthorized(req) {
        return refused;
    }
    let body = match checked(req) {
        Ok(b) => b,
        Err(why) => return error(400, &why),
    };
    let sku = p.get("sku").unwrap_or_default().to_owned();
    let mut st = lock(state);
    if !st.products.contains_key(&sku) {
        return error(404, &format!("no product {sku}"));
    }
    st.stock.insert(sku, Value::Object(body.clone()));
    SimResponse::json(200, Value::Object(body))
}

impl PartsPimSimulator {
    /// Settings before starting.
    pub fn builder() -> PartsPimSimulatorBuilder {
        PartsPimSimulatorBuilder::default()
    }

    /// Starts an empty PIM on a free port.
    pub async fn start() -> std::io::Result<Self> {
        Self::builder().start().await
    }

    /// The server's base URL.
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    /// The interface's base (`…/api`).
    pub fn api_url(&self) -> String {
        format!("{}/api", self.server.base_url())
    }

    /// A configuration that reaches the simulator.
    pub fn config(&self) -> PartsPimConfig {
        PartsPimConfig::new(self.api_url(), SecretString::from(API_KEY))
    }

    /// The product `sku` as the PIM holds it.
    pub fn product(&self, sku: &str) -> Option<Value> {
        lock(&self.state).products.get(sku).map(|r| Value::Object(r.clone()))
    }

    /// Every product's SKU.
    pub fn skus(&self) -> Vec<String> {
        lock(&self.state).products.keys().cloned().collect()
    }

    /// The stock of `sku` as last sent.
    pub fn stock(&self, sku: &str) -> Option<Value> {
        lock(&self.state).stock.get(sku).cloned()
    }

    /// Every request so far, with its spec violations.
    pub fn journal(&self) -> &Journal {
        self.server.journal()
    }

    /// Serves until Ctrl-C.
    pub async fn run_until_ctrl_c(self) -> std::io::Result<()> {
        self.server.run_until_ctrl_c().await
    }

    /// Stops the server.
    pub async fn shutdown(self) {
        self.server.shutdown().await;
    }
}
