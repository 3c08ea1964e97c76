//! A stateful simulator of the Salesforce REST API on `127.0.0.1` (feature `simulator`).
//!
//! It serves `/services/oauth2/token` (refresh token, client credentials, and the JWT bearer
//! grant once a public key is registered with
//! [`jwt_bearer`](SalesforceSimulatorBuilder::jwt_bearer): the RS256 signature is verified and
//! `iss`/`sub`/`aud`/`exp` checked, refusals in Salesforce's `{"error":"invalid_grant",…}`
//! shape; the answer names the `instance_url`), and under `/services/data/v59.0/`: the
//! version's resources, `sobjects/{Type}/describe`, `query` and `query/{locator}`
//! (`query`: a SOQL subset, batches with a relative `nextRecordsUrl` until `done`, child
//! subqueries paged on their own beyond 200 rows), `sobjects/{Type}/deleted/`, sObject
//! Collections (module `writes`), `Sforce-Limit-Info` on every answer and `403
//! REQUEST_LIMIT_EXCEEDED` (`TotalRequests`) once the daily allowance is spent.
//!
//! It starts as a standard org (module `org`): the standard objects with the standard fields of
//! `tests/fixtures/salesforce-api.json` (written from Salesforce's object reference and
//! describes of real orgs), no custom field or object until a test adds one
//! ([`SalesforceSimulator::add_field`], [`SalesforceSimulator::add_object`]), and the
//! State and Country/Territory Picklist fields only when
//! [`country_picklists`](SalesforceSimulatorBuilder::country_picklists) turns them on. A
//! column the org does not have is refused as Salesforce refuses it: `400 INVALID_FIELD`
//! in SOQL, a per-record `INVALID_FIELD` in a collection, a `400` for an upsert by a field
//! that is no External ID. Requests and answers are held to the description
//! ([`api_spec`]).
//!
//! Everything it sends is written here from the documented shapes, never produced by the
//! connector's own types.

mod demo;
mod org;
mod query;
mod soql;
mod writes;

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, LazyLock, Mutex, RwLock};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use connector_core::http::{dates, now_utc};
use connector_testkit::simulator::spec::{ApiSpec, Violation, ViolationKind};
use connector_testkit::simulator::{
    Collection, CollectionOptions, Faults, Journal, JwtRejection, JwtVerifier, Method, RateLimiter,
    SimClock, SimHandler, SimRequest, SimResponse, SimServer, SimStore, TokenIssuer,
};
use secrecy::SecretString;
use serde_json::{Value, json};

use crate::client::id18;
use crate::config::{JwtBearerConfig, SalesforceConfig};
use org::ObjectDef;

pub use query::CHILD_BATCH;

/// The simulator's consumer key.
pub const CLIENT_ID: &str = "3MVG9sim.salesforce.consumer.key";
/// The simulator's consumer secret.
pub const CLIENT_SECRET: &str = "sim-salesforce-secret";
/// The API version it serves.
pub const API_VERSION: &str = "59.0";
/// The user the JWT bearer flow may log in as.
pub const USERNAME: &str = "integration@apicenter.sim";
/// The audience JWT bearer assertions must name (as on production).
pub const AUDIENCE: &str = "https://login.salesforce.com";

/// The description of Salesforce's REST API the simulator and the connector are held to
/// (`tests/fixtures/salesforce-api.json`).
pub fn api_spec() -> Arc<ApiSpec> {
    SPEC.clone()
}

static SPEC: LazyLock<Arc<ApiSpec>> = LazyLock::new(|| {
    let text = include_str!("../../tests/fixtures/salesforce-api.json");
    Arc::new(ApiSpec::from_json(text).unwrap_or_else(|e| panic!("salesforce-api.json: {e}")))
});

/// How Salesforce answers a request that breaks the description: an unknown resource is a
/// `404 NOT_FOUND`, a bad parameter or body a `400` with its error array; unknown query
/// parameters are ignored (passed on, the breach recorded).
fn refuse(req: &SimRequest, violations: &[Violation]) -> Option<SimResponse> {
    if violations.iter().any(|v| v.kind == ViolationKind::UnknownOperation) {
        return Some(errors(404, "NOT_FOUND", "The requested resource does not exist"));
    }
    let refused: Vec<String> = violations
        .iter()
        .filter(|v| !matches!(v.kind, ViolationKind::UnknownParameter | ViolationKind::ReadOnly))
        .map(ToString::to_string)
        .collect();
    if refused.is_empty() {
        return None;
    }
    if req.path == "/services/oauth2/token" {
        return Some(SimResponse::json(
            400,
            json!({"error": "invalid_request", "error_description": refused.join("; ")}),
        ));
    }
    Some(errors(400, "INVALID_FIELD", &refused.join("; ")))
}

/// How to start a simulator.
#[derive(Debug, Clone)]
pub struct SalesforceSimulatorBuilder {
    demo: bool,
    per_day: u32,
    port: u16,
    jwt: Option<JwtVerifier>,
    picklists: bool,
}

impl Default for SalesforceSimulatorBuilder {
    fn default() -> Self {
        Self { demo: true, per_day: 100_000, port: 0, jwt: None, picklists: false }
    }
}

impl SalesforceSimulatorBuilder {
    /// Starts without the demo data (the standard price book is always there).
    pub fn empty(mut self) -> Self {
        self.demo = false;
        self
    }
    /// Sets the org's daily request allowance (100,000).
    pub fn per_day(mut self, n: u32) -> Self {
        self.per_day = n;
        self
    }
    /// Listens on this port (0: any free port).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }
    /// Accepts the JWT bearer grant for [`CLIENT_ID`] as [`USERNAME`] with audience
    /// [`AUDIENCE`], signed by the private half of `public_key_pem` (PKCS#1
    /// `BEGIN RSA PUBLIC KEY`: the certificate a connected app holds). Panics if the PEM
    /// holds no RSA public key.
    pub fn jwt_bearer(mut self, public_key_pem: &str) -> Self {
        self.jwt = Some(
            JwtVerifier::new(public_key_pem, CLIENT_ID, USERNAME, AUDIENCE)
                .expect("an RSA PUBLIC KEY in PEM"),
        );
        self
    }

    /// Turns on State and Country/Territory Picklists: `BillingCountryCode`,
    /// `ShippingCountryCode` (and the state codes) exist on accounts, contacts and orders
    /// (the default of new orgs; many older orgs have them off, the simulator's default).
    pub fn country_picklists(mut self) -> Self {
        self.picklists = true;
        self
    }

    /// Starts the server.
    pub async fn start(self) -> std::io::Result<SalesforceSimulator> {
        let faults = Faults::new();
        let journal = Journal::new();
        let store = SimStore::new(SimClock::from_system_time());
        let mut objects = HashMap::new();
        let mut defs = HashMap::new();
        for (name, prefix) in org::STANDARD {
            objects.insert((*name).to_owned(), collection(&store, name, prefix));
            let def = ObjectDef::standard(name, prefix, self.picklists);
            defs.insert((*name).to_owned(), Arc::new(def));
        }
        let tokens = TokenIssuer::new().rotate_refresh_tokens(false).linked_to(&faults);
        let state = Arc::new(State {
            store,
            objects: RwLock::new(objects),
            defs: RwLock::new(defs),
            tokens,
            jwt: self.jwt,
            cursors: Mutex::new(HashMap::new()),
            base: Mutex::new(String::new()),
            earliest_deleted: Mutex::new(None),
            order_numbers: Mutex::new(100),
        });
        let _ = state.obj("Pricebook2").map(|c| {
            c.insert(json!({"Name": "Standard Price Book", "IsStandard": true, "IsActive": true}))
        });
        if self.demo {
            state.seed_demo();
        }
        let per_day = self.per_day;
        let limiter = RateLimiter::builder()
            .key_by(|req| req.path.starts_with("/services/data/").then(String::new))
            .window("day", per_day, Duration::from_secs(86_400))
            .on_limited(|_| {
                SimResponse::raw_json(
                    403,
                    r#"[{"message":"TotalRequests Limit exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}]"#,
                )
            })
            .on_response(move |snap, resp| match snap.window("day") {
                Some(w) => resp.with_header("Sforce-Limit-Info", format!("api-usage={}/{}", w.used, w.limit)),
                None => resp,
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
        Ok(SalesforceSimulator {
            server,
            state,
            refresh: initial.refresh_token.unwrap_or_default(),
        })
    }
}

/// A running simulator.
pub struct SalesforceSimulator {
    server: SimServer,
    state: Arc<State>,
    refresh: String,
}

impl fmt::Debug for SalesforceSimulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SalesforceSimulator")
            .field("base_url", &self.server.base_url())
            .finish_non_exhaustive()
    }
}

impl SalesforceSimulator {
    /// A builder.
    pub fn builder() -> SalesforceSimulatorBuilder {
        SalesforceSimulatorBuilder::default()
    }
    /// Starts with the demo data.
    pub async fn start() -> std::io::Result<Self> {
        Self::builder().start().await
    }
    /// The base URL (also the `instance_url` and the login host).
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }
    /// A configuration with a refresh token.
    pub fn config(&self) -> SalesforceConfig {
        let mut c = SalesforceConfig::new(CLIENT_ID, SecretString::from(CLIENT_SECRET));
        c.refresh_token = Some(SecretString::from(self.refresh.clone()));
        c.login_url = self.base_url().trim_end_matches('/').to_owned();
        c
    }
    /// A configuration for the JWT bearer flow, signing with `private_key_pem` (needs
    /// [`jwt_bearer`](SalesforceSimulatorBuilder::jwt_bearer) with its public key).
    pub fn jwt_config(&self, private_key_pem: &str) -> SalesforceConfig {
        let mut c = SalesforceConfig::new(CLIENT_ID, SecretString::from(""));
        c.login_url = self.base_url().trim_end_matches('/').to_owned();
        let mut jwt =
            JwtBearerConfig::new(USERNAME, SecretString::from(private_key_pem), &c.login_url);
        jwt.audience = AUDIENCE.to_owned();
        c.jwt = Some(jwt);
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
    /// The records of an object (`Account`, `Order`, `Product2`, a custom object a test
    /// added, …). Panics for an object the org does not have.
    pub fn object(&self, name: &str) -> Collection {
        self.state.obj(name).unwrap_or_else(|| panic!("the simulated org has no {name}"))
    }
    /// Adds a field to an object, as an admin would: `kind` is its describe type
    /// (`string`, `double`, `reference`, …), `external_id` makes it an upsert key, and a
    /// lookup names the object it points at in `to`. Panics for an unknown object.
    pub fn add_field(
        &self,
        object: &str,
        field: &str,
        kind: &str,
        external_id: bool,
        to: Option<&str>,
    ) {
        let mut defs = self.state.defs.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        let def =
            defs.get_mut(object).unwrap_or_else(|| panic!("the simulated org has no {object}"));
        Arc::make_mut(def).add(field, kind, external_id, to);
    }
    /// Adds a custom object (`Shipment__c`) with `Id`, `Name` and the system fields; add
    /// its fields with [`add_field`](Self::add_field).
    pub fn add_object(&self, object: &str) {
        let prefix = format!("a0{}", self.state.defs.read().map(|d| d.len()).unwrap_or(0));
        let coll = collection(&self.state.store, object, &prefix);
        self.state
            .objects
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(object.to_owned(), coll);
        self.state
            .defs
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(object.to_owned(), Arc::new(ObjectDef::custom(object, &prefix)));
    }
    /// Makes `sobjects/*/deleted/` say it holds nothing before `at` (a purged recycle bin).
    pub fn set_earliest_deleted(&self, at: DateTime<Utc>) {
        *lock(&self.state.earliest_deleted) = Some(at);
    }
    /// Adds an order for an account with items `(product code, quantity, unit price)` and a
    /// status; returns its `OrderNumber`.
    pub fn add_order(
        &self,
        account_id: &str,
        contact_id: Option<&str>,
        status: &str,
        items: &[(&str, &str, &str)],
    ) -> String {
        self.state.add_order(account_id, contact_id, status, items)
    }
    /// Sets the org up as an ERP integration usually does, with custom fields: the ERP
    /// customer number `Account.ERP_Id__c` and the SKU `Product2.SKU__c` (External IDs),
    /// the stock `Product2.Stock_Quantity__c`, the variant lookup
    /// `Product2.Parent_Product__c`, and the custom object `Shipment__c` (`Shipment_Number__c`
    /// an External ID, `Order__c` a lookup to `Order`, `Carrier__c`, `Tracking_Code__c`,
    /// `Tracking_Url__c`). [`erp_config`](Self::erp_config) points the connector at them.
    pub fn add_erp_fields(&self) {
        self.add_field("Account", "ERP_Id__c", "string", true, None);
        self.add_field("Product2", "SKU__c", "string", true, None);
        self.add_field("Product2", "Stock_Quantity__c", "double", false, None);
        self.add_field("Product2", "Parent_Product__c", "reference", false, Some("Product2"));
        self.add_object("Shipment__c");
        self.add_field("Shipment__c", "Shipment_Number__c", "string", true, None);
        self.add_field("Shipment__c", "Order__c", "reference", false, Some("Order"));
        for f in ["Carrier__c", "Tracking_Code__c", "Tracking_Url__c"] {
            self.add_field("Shipment__c", f, "string", false, None);
        }
        // The demo records carry their keys in the new fields too.
        for (object, from, to) in
            [("Account", "AccountNumber", "ERP_Id__c"), ("Product2", "ProductCode", "SKU__c")]
        {
            let coll = self.object(object);
            for r in coll.all() {
                if let Some(v) = r.value.get(from).filter(|v| !v.is_null()).cloned() {
                    let _ = coll.update(&r.id, &json!({ to: v }));
                }
            }
        }
    }

    /// [`config`](Self::config) on the fields of [`add_erp_fields`](Self::add_erp_fields).
    pub fn erp_config(&self) -> SalesforceConfig {
        let mut c = self.config();
        c.account_number_field = "ERP_Id__c".into();
        c.product_sku_field = "SKU__c".into();
        c.stock_field = Some("Stock_Quantity__c".into());
        c.product_parent_field = Some("Parent_Product__c".into());
        c.shipment = Some(crate::config::ShipmentObject::named("Shipment__c"));
        c
    }

    /// Adds `n` accounts `Bulk NNNNNN` with account numbers `BNNNNNN` (for load tests).
    pub fn seed_accounts(&self, n: usize) {
        let accounts = self.object("Account");
        for i in 0..n {
            let _ = accounts.insert(json!({
                "Name": format!("Bulk {i:06}"), "AccountNumber": format!("B{i:06}"),
                "BillingCity": "Utrecht",
            }));
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

struct State {
    store: SimStore,
    objects: RwLock<HashMap<String, Collection>>,
    /// Shared, not copied, by every lookup of a query (an admin's change replaces one).
    defs: RwLock<HashMap<String, Arc<ObjectDef>>>,
    tokens: TokenIssuer,
    jwt: Option<JwtVerifier>,
    cursors: Mutex<HashMap<String, Vec<Value>>>,
    base: Mutex<String>,
    earliest_deleted: Mutex<Option<DateTime<Utc>>>,
    order_numbers: Mutex<u64>,
}

/// A collection of an object's records: ids with its prefix, `SystemModstamp` and
/// `CreatedDate` stamped.
fn collection(store: &SimStore, name: &str, prefix: &str) -> Collection {
    let prefix = prefix.to_owned();
    store.collection_with(
        name,
        CollectionOptions::new()
            .id_field("Id")
            .ids_from(move |n| id18(&format!("{prefix}SIM{n:09}")))
            .stamp(|meta, v| {
                v["SystemModstamp"] = json!(dates::format_salesforce(meta.updated_at));
                if v.get("CreatedDate").is_none() {
                    v["CreatedDate"] = json!(dates::format_salesforce(meta.created_at));
                }
            }),
    )
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn errors(status: u16, code: &str, message: &str) -> SimResponse {
    SimResponse::json(status, json!([{"message": message, "errorCode": code}]))
}

impl State {
    /// The records of an object (by its name in any case).
    fn obj(&self, name: &str) -> Option<Collection> {
        let objects = self.objects.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        objects
            .get(name)
            .or_else(|| objects.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, c)| c))
            .cloned()
    }

    /// An object's fields (by its name in any case).
    fn def(&self, name: &str) -> Option<Arc<ObjectDef>> {
        let defs = self.defs.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        defs.get(name)
            .or_else(|| defs.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, d)| d))
            .cloned()
    }

    /// The resources of the version.
    fn resources(&self) -> SimResponse {
        let v = format!("/services/data/v{API_VERSION}");
        SimResponse::json(
            200,
            json!({
                "sobjects": format!("{v}/sobjects"), "query": format!("{v}/query"),
                "queryAll": format!("{v}/queryAll"), "limits": format!("{v}/limits"),
                "composite": format!("{v}/composite"), "search": format!("{v}/search"),
                "recent": format!("{v}/recent"),
            }),
        )
    }

    fn token(&self, req: &SimRequest) -> SimResponse {
        let get = |k: &str| req.form_value(k);
        if get("grant_type").as_deref() == Some(connector_core::http::JWT_BEARER_GRANT) {
            return self.jwt_bearer(&get("assertion").unwrap_or_default()).unwrap_or_else(|| {
                self.token_answer(&self.tokens.issue_access_only(USERNAME).access_token)
            });
        }
        if get("client_id").as_deref() != Some(CLIENT_ID)
            || get("client_secret").as_deref() != Some(CLIENT_SECRET)
        {
            return SimResponse::json(
                400,
                json!({"error": "invalid_client", "error_description": "invalid client credentials"}),
            );
        }
        let issued = match get("grant_type").as_deref() {
            Some("refresh_token") => {
                match self.tokens.refresh(&get("refresh_token").unwrap_or_default()) {
                    Ok(t) => t,
                    Err(_) => {
                        return SimResponse::json(
                            400,
                            json!({"error": "invalid_grant", "error_description": "expired access/refresh token"}),
                        );
                    }
                }
            }
            Some("client_credentials") => self.tokens.issue_access_only(CLIENT_ID),
            _ => return SimResponse::json(400, json!({"error": "unsupported_grant_type"})),
        };
        self.token_answer(&issued.access_token)
    }

    /// Checks a JWT bearer assertion: `None` if it is good, else Salesforce's 400 answer.
    fn jwt_bearer(&self, assertion: &str) -> Option<SimResponse> {
        let refuse = |error: &str, description: &str| {
            SimResponse::json(400, json!({"error": error, "error_description": description}))
        };
        let Some(verifier) = &self.jwt else {
            return Some(refuse("invalid_grant", "invalid assertion"));
        };
        verifier.verify(assertion).err().map(|r| match r {
            JwtRejection::Issuer => refuse("invalid_client_id", "client identifier invalid"),
            JwtRejection::Subject => refuse("invalid_grant", "user hasn't approved this consumer"),
            JwtRejection::Audience => refuse("invalid_grant", "audience is invalid"),
            JwtRejection::Expired => refuse("invalid_grant", "expired authorization code"),
            _ => refuse("invalid_grant", "invalid assertion"),
        })
    }

    fn token_answer(&self, access_token: &str) -> SimResponse {
        let base = lock(&self.base).clone();
        SimResponse::raw_json(
            200,
            &format!(
                r#"{{"access_token":"{}","signature":"c2ltdWxhdG9y","scope":"api refresh_token","instance_url":"{base}","id":"{base}/id/00DSIM000000001EAA/005SIM000000001AAA","token_type":"Bearer","issued_at":"{}"}}"#,
                access_token,
                now_utc().timestamp_millis()
            ),
        )
    }
}

#[async_trait]
impl SimHandler for State {
    async fn handle(&self, req: SimRequest) -> SimResponse {
        let path = req.path.clone();
        if path == "/services/oauth2/token" && req.method == Method::POST {
            return self.token(&req);
        }
        let prefix = format!("/services/data/v{API_VERSION}/");
        let Some(rest) = path.strip_prefix(&prefix) else {
            return errors(404, "NOT_FOUND", "The requested resource does not exist");
        };
        if req.bearer_token().map(|t| self.tokens.validate(t)).is_none_or(|r| r.is_err()) {
            return errors(401, "INVALID_SESSION_ID", "Session expired or invalid");
        }
        let rest = rest.trim_end_matches('/');
        match (req.method.clone(), rest) {
            (Method::GET, "") => self.resources(),
            (Method::GET, "query") => self.query(&req),
            (Method::GET, r) if r.starts_with("query/") => self.more(&req, &r["query/".len()..]),
            (Method::GET, r) if r.starts_with("sobjects/") && r.ends_with("/deleted") => {
                let object = r.trim_start_matches("sobjects/").trim_end_matches("/deleted");
                self.deleted(&req, object)
            }
            (Method::GET, r) if r.starts_with("sobjects/") && r.ends_with("/describe") => {
                let object = r.trim_start_matches("sobjects/").trim_end_matches("/describe");
                match self.def(object) {
                    Some(d) => SimResponse::json(200, d.describe()),
                    None => errors(404, "NOT_FOUND", "The requested resource does not exist"),
                }
            }
            (Method::POST | Method::PATCH, r) if r.starts_with("composite/sobjects") => {
                self.collections(&req, r.trim_start_matches("composite/sobjects"))
            }
            _ => errors(404, "NOT_FOUND", "The requested resource does not exist"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn soql_subset_parses() {
        let q = soql::parse("SELECT Id, Account.Name, (SELECT Id FROM OrderItems ORDER BY OrderItemNumber) FROM Order WHERE SystemModstamp > 2024-01-01T00:00:00.000Z OR (SystemModstamp = 2024-01-01T00:00:00.000Z AND Id > '801x') ORDER BY SystemModstamp ASC, Id ASC LIMIT 5").unwrap();
        assert_eq!(q.from, "Order");
        assert_eq!(q.fields.len(), 3);
        assert_eq!(q.order.len(), 2);
        assert_eq!(q.limit, Some(5));
        assert!(soql::parse("SELECT Id FROM").is_none());
        assert!(soql::parse("SELECT Id FROM Account WHERE Name IN ('a', 'b\\'c')").is_some());
    }
}
