//! A stateful simulator of the Salesforce REST API on `127.0.0.1` (feature `simulator`).
//!
//! It serves `/services/oauth2/token` (refresh token, client credentials, and the JWT bearer
//! grant once a public key is registered with
//! [`jwt_bearer`](SalesforceSimulatorBuilder::jwt_bearer): the RS256 signature is verified and
//! `iss`/`sub`/`aud`/`exp` checked, refusals in Salesforce's `{"error":"invalid_grant",…}`
//! shape; the answer names the `instance_url`), and under `/services/data/v{version}/`: `query` (a SOQL subset:
//! field lists with parent fields like `Account.Name` and child subqueries like
//! `(SELECT … FROM OrderItems)`, `WHERE` with `AND`/`OR`/parentheses, `=`/`!=`/`<`/`>`/`<=`/
//! `>=`/`IN`, unquoted datetimes, `ORDER BY`, `LIMIT`), batches with a relative
//! `nextRecordsUrl` until `done`, records with `attributes`, `sobjects/{Type}/deleted/`,
//! sObject Collections (`POST`/`PATCH composite/sobjects`, `PATCH
//! composite/sobjects/{Type}/{ExternalId}`; at most 200 records, per-record results),
//! `limits`, `Sforce-Limit-Info` on every answer and `403 REQUEST_LIMIT_EXCEEDED` once the
//! daily allowance is spent.
//!
//! Everything it sends is written here from the documented shapes, never produced by the
//! connector's own types.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use connector_core::http::{dates, now_utc};
use connector_core::simulator::{
    Collection, CollectionOptions, Faults, Journal, JwtRejection, JwtVerifier, Method, RateLimiter,
    Record, SimClock, SimHandler, SimRequest, SimResponse, SimServer, SimStore, TokenIssuer,
};
use secrecy::SecretString;
use serde_json::{Map, Value, json};

use crate::client::id18;
use crate::config::{JwtBearerConfig, SalesforceConfig};

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

const OBJECTS: &[(&str, &str)] = &[
    ("Account", "001"),
    ("Contact", "003"),
    ("Product2", "01t"),
    ("Pricebook2", "01s"),
    ("PricebookEntry", "01u"),
    ("Order", "801"),
    ("OrderItem", "802"),
    ("Shipment__c", "a0S"),
];

/// How to start a simulator.
#[derive(Debug, Clone)]
pub struct SalesforceSimulatorBuilder {
    demo: bool,
    per_day: u32,
    port: u16,
    jwt: Option<JwtVerifier>,
}

impl Default for SalesforceSimulatorBuilder {
    fn default() -> Self {
        Self { demo: true, per_day: 100_000, port: 0, jwt: None }
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

    /// Starts the server.
    pub async fn start(self) -> std::io::Result<SalesforceSimulator> {
        let faults = Faults::new();
        let journal = Journal::new();
        let store = SimStore::new(SimClock::from_system_time());
        let mut objects = HashMap::new();
        for (name, prefix) in OBJECTS {
            let prefix = (*prefix).to_owned();
            let coll = store.collection_with(
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
            );
            objects.insert((*name).to_owned(), coll);
        }
        let tokens = TokenIssuer::new().rotate_refresh_tokens(false).linked_to(&faults);
        let state = Arc::new(State {
            objects,
            tokens,
            jwt: self.jwt,
            cursors: Mutex::new(HashMap::new()),
            base: Mutex::new(String::new()),
            earliest_deleted: Mutex::new(None),
            order_numbers: Mutex::new(100),
        });
        let _ = state
            .obj("Pricebook2")
            .insert(json!({"Name": "Standard Price Book", "IsStandard": true, "IsActive": true}));
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
    /// The records of an object (`Account`, `Order`, `Product2`, `Shipment__c`, …).
    pub fn object(&self, name: &str) -> &Collection {
        self.state.obj(name)
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
    /// Adds `n` accounts `Bulk NNNNNN` (for load tests).
    pub fn seed_accounts(&self, n: usize) {
        for i in 0..n {
            let text = format!(
                r#"{{"Name":"Bulk {i:06}","ERP_Id__c":"B{i:06}","BillingCity":"Utrecht","BillingCountryCode":"NL"}}"#
            );
            let _ = self
                .state
                .obj("Account")
                .insert(serde_json::from_str(&text).unwrap_or(Value::Null));
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
    objects: HashMap<String, Collection>,
    tokens: TokenIssuer,
    jwt: Option<JwtVerifier>,
    cursors: Mutex<HashMap<String, Vec<Value>>>,
    base: Mutex<String>,
    earliest_deleted: Mutex<Option<DateTime<Utc>>>,
    order_numbers: Mutex<u64>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn errors(status: u16, code: &str, message: &str) -> SimResponse {
    SimResponse::json(status, json!([{"message": message, "errorCode": code}]))
}

/// A SOQL subset.
mod soql {
    #[derive(Debug, Clone, PartialEq)]
    pub enum Tok {
        Word(String),
        Str(String),
        Sym(String),
    }

    pub fn lex(s: &str) -> Option<Vec<Tok>> {
        let c: Vec<char> = s.chars().collect();
        let mut i = 0;
        let mut out = Vec::new();
        while i < c.len() {
            let ch = c[i];
            if ch.is_whitespace() {
                i += 1;
            } else if ch == '\'' {
                let mut v = String::new();
                i += 1;
                loop {
                    let x = *c.get(i)?;
                    i += 1;
                    match x {
                        '\\' => {
                            v.push(*c.get(i)?);
                            i += 1;
                        }
                        '\'' => break,
                        _ => v.push(x),
                    }
                }
                out.push(Tok::Str(v));
            } else if "(),".contains(ch) {
                out.push(Tok::Sym(ch.to_string()));
                i += 1;
            } else if "=<>!".contains(ch) {
                let mut v = ch.to_string();
                if c.get(i + 1) == Some(&'=') || (ch == '<' && c.get(i + 1) == Some(&'>')) {
                    v.push(c[i + 1]);
                    i += 1;
                }
                out.push(Tok::Sym(v));
                i += 1;
            } else {
                let mut v = String::new();
                while i < c.len() && !c[i].is_whitespace() && !"(),=<>!'".contains(c[i]) {
                    v.push(c[i]);
                    i += 1;
                }
                out.push(Tok::Word(v));
            }
        }
        Some(out)
    }

    #[derive(Debug, Clone)]
    pub enum Field {
        Path(String),
        Sub(Box<Query>),
    }

    #[derive(Debug, Clone)]
    pub enum Lit {
        Str(String),
        Num(String),
        Bool(bool),
        Null,
        Time(String),
    }

    #[derive(Debug, Clone)]
    pub enum Expr {
        And(Box<Expr>, Box<Expr>),
        Or(Box<Expr>, Box<Expr>),
        Cmp(String, String, Lit),
        In(String, Vec<Lit>),
        InSub(String, Box<Query>),
    }

    #[derive(Debug, Clone)]
    pub struct Query {
        pub fields: Vec<Field>,
        pub from: String,
        pub filter: Option<Expr>,
        pub order: Vec<(String, bool)>,
        pub limit: Option<usize>,
    }

    struct P {
        t: Vec<Tok>,
        i: usize,
    }

    impl P {
        fn peek(&self) -> Option<&Tok> {
            self.t.get(self.i)
        }
        fn kw(&mut self, k: &str) -> bool {
            if matches!(self.peek(), Some(Tok::Word(w)) if w.eq_ignore_ascii_case(k)) {
                self.i += 1;
                true
            } else {
                false
            }
        }
        fn sym(&mut self, s: &str) -> bool {
            if matches!(self.peek(), Some(Tok::Sym(x)) if x == s) {
                self.i += 1;
                true
            } else {
                false
            }
        }
        fn word(&mut self) -> Option<String> {
            match self.peek()? {
                Tok::Word(w) => {
                    let w = w.clone();
                    self.i += 1;
                    Some(w)
                }
                _ => None,
            }
        }
        fn query(&mut self) -> Option<Query> {
            if !self.kw("SELECT") {
                return None;
            }
            let mut fields = Vec::new();
            loop {
                if self.sym("(") {
                    let q = self.query()?;
                    if !self.sym(")") {
                        return None;
                    }
                    fields.push(Field::Sub(Box::new(q)));
                } else {
                    fields.push(Field::Path(self.word()?));
                }
                if !self.sym(",") {
                    break;
                }
            }
            if !self.kw("FROM") {
                return None;
            }
            let from = self.word()?;
            let filter = if self.kw("WHERE") { Some(self.or()?) } else { None };
            let mut order = Vec::new();
            if self.kw("ORDER") {
                if !self.kw("BY") {
                    return None;
                }
                loop {
                    let f = self.word()?;
                    let desc = if self.kw("DESC") {
                        true
                    } else {
                        self.kw("ASC");
                        false
                    };
                    order.push((f, desc));
                    if !self.sym(",") {
                        break;
                    }
                }
            }
            let limit = if self.kw("LIMIT") { self.word()?.parse().ok() } else { None };
            Some(Query { fields, from, filter, order, limit })
        }
        fn or(&mut self) -> Option<Expr> {
            let mut l = self.and()?;
            while self.kw("OR") {
                l = Expr::Or(Box::new(l), Box::new(self.and()?));
            }
            Some(l)
        }
        fn and(&mut self) -> Option<Expr> {
            let mut l = self.atom()?;
            while self.kw("AND") {
                l = Expr::And(Box::new(l), Box::new(self.atom()?));
            }
            Some(l)
        }
        fn lit(&mut self) -> Option<Lit> {
            match self.peek()?.clone() {
                Tok::Str(s) => {
                    self.i += 1;
                    Some(Lit::Str(s))
                }
                Tok::Word(w) => {
                    self.i += 1;
                    Some(match w.to_ascii_lowercase().as_str() {
                        "true" => Lit::Bool(true),
                        "false" => Lit::Bool(false),
                        "null" => Lit::Null,
                        _ if w.contains('T') && w.contains(':') => Lit::Time(w),
                        _ => Lit::Num(w),
                    })
                }
                Tok::Sym(_) => None,
            }
        }
        fn atom(&mut self) -> Option<Expr> {
            if self.sym("(") {
                let e = self.or()?;
                return self.sym(")").then_some(e);
            }
            let f = self.word()?;
            if self.kw("IN") {
                if !self.sym("(") {
                    return None;
                }
                if matches!(self.peek(), Some(Tok::Word(w)) if w.eq_ignore_ascii_case("SELECT")) {
                    let q = self.query()?;
                    return self.sym(")").then(|| Expr::InSub(f, Box::new(q)));
                }
                let mut list = Vec::new();
                loop {
                    list.push(self.lit()?);
                    if !self.sym(",") {
                        break;
                    }
                }
                return self.sym(")").then_some(Expr::In(f, list));
            }
            let op = match self.peek()? {
                Tok::Sym(s) if ["=", "!=", "<>", "<", ">", "<=", ">="].contains(&s.as_str()) => {
                    s.clone()
                }
                _ => return None,
            };
            self.i += 1;
            Some(Expr::Cmp(f, op, self.lit()?))
        }
    }

    pub fn parse(s: &str) -> Option<Query> {
        let mut p = P { t: lex(s)?, i: 0 };
        let q = p.query()?;
        (p.i == p.t.len()).then_some(q)
    }
}

/// The parent of a relationship field (`Account.Name` → `AccountId`, `Account`).
fn parent(rel: &str) -> (String, &'static str) {
    match rel {
        "BillToContact" => ("BillToContactId".into(), "Contact"),
        "Product2" => ("Product2Id".into(), "Product2"),
        "Order" => ("OrderId".into(), "Order"),
        "PricebookEntry" => ("PricebookEntryId".into(), "PricebookEntry"),
        "Pricebook2" => ("Pricebook2Id".into(), "Pricebook2"),
        _ => (format!("{rel}Id"), "Account"),
    }
}

/// A child relationship (`Contacts` → `Contact` by `AccountId`).
fn child(rel: &str) -> Option<(&'static str, &'static str)> {
    match rel {
        "Contacts" => Some(("Contact", "AccountId")),
        "OrderItems" => Some(("OrderItem", "OrderId")),
        _ => None,
    }
}

fn cmp_values(a: &Value, lit: &soql::Lit) -> Option<std::cmp::Ordering> {
    use soql::Lit;
    match lit {
        Lit::Str(s) => a.as_str().map(|x| x.to_lowercase().cmp(&s.to_lowercase())),
        Lit::Num(n) => {
            let x = a.as_f64().or_else(|| a.as_str().and_then(|s| s.parse().ok()))?;
            x.partial_cmp(&n.parse::<f64>().ok()?)
        }
        Lit::Bool(b) => a.as_bool().map(|x| x.cmp(b)),
        Lit::Null => {
            Some(if a.is_null() { std::cmp::Ordering::Equal } else { std::cmp::Ordering::Greater })
        }
        Lit::Time(t) => {
            let x = dates::parse_salesforce(a.as_str()?).ok()?;
            let y = dates::parse_instant(t).ok()?;
            Some(x.cmp(&y))
        }
    }
}

impl State {
    fn obj(&self, name: &str) -> &Collection {
        self.objects.get(name).unwrap_or_else(|| &self.objects["Account"])
    }

    fn seed_demo(&self) {
        let acc = |v: Value| self.obj("Account").insert(v).map(|r| r.id).unwrap_or_default();
        let con = |v: Value| self.obj("Contact").insert(v).map(|r| r.id).unwrap_or_default();
        let a1 = acc(
            json!({"Name": "Fietsenwinkel De Ketting BV", "ERP_Id__c": "1068", "AccountNumber": "1068", "Phone": "+31 20 555 0101", "BillingStreet": "Kettingstraat 12", "BillingPostalCode": "1011 AB", "BillingCity": "Amsterdam", "BillingCountryCode": "NL"}),
        );
        let c1 = con(
            json!({"AccountId": a1, "FirstName": "Els", "LastName": "Bakker", "Email": "inkoop@deketting.example", "Title": "Inkoper"}),
        );
        let a2 = acc(
            json!({"Name": "Maria Jansen", "BillingStreet": "Lindelaan 4", "BillingPostalCode": "2511 AA", "BillingCity": "Den Haag", "BillingCountryCode": "NL"}),
        );
        let c2 = con(
            json!({"AccountId": a2, "FirstName": "Maria", "LastName": "Jansen", "Email": "maria.jansen@example.nl"}),
        );
        for (code, name) in
            [("BIKE-CITY-M", "City bike, 53 cm"), ("LOCK-CHAIN", "Chain lock 90 cm")]
        {
            let _ = self.obj("Product2").insert(
                json!({"Name": name, "ProductCode": code, "SKU__c": code, "IsActive": true}),
            );
        }
        self.add_order(
            &a1,
            Some(&c1),
            "Paid",
            &[("BIKE-CITY-M", "2", "529.00"), ("LOCK-CHAIN", "2", "24.95")],
        );
        self.add_order(&a2, Some(&c2), "Paid", &[("LOCK-CHAIN", "1", "24.95")]);
        self.add_order(&a2, Some(&c2), "Draft", &[("BIKE-CITY-M", "1", "549.00")]);
    }

    fn add_order(
        &self,
        account: &str,
        contact: Option<&str>,
        status: &str,
        items: &[(&str, &str, &str)],
    ) -> String {
        let number = {
            let mut n = lock(&self.order_numbers);
            *n += 1;
            format!("{:08}", *n)
        };
        let acc = self.obj("Account").get(account).map(|r| r.value).unwrap_or(Value::Null);
        let mut total = rust_decimal::Decimal::ZERO;
        for (_, q, p) in items {
            let q: rust_decimal::Decimal = q.parse().unwrap_or_default();
            let p: rust_decimal::Decimal = p.parse().unwrap_or_default();
            total += q * p;
        }
        let text = format!(
            r#"{{"OrderNumber":"{number}","Status":"{status}","EffectiveDate":"{}","AccountId":"{account}","BillToContactId":{},"BillingStreet":{},"BillingPostalCode":{},"BillingCity":{},"BillingCountryCode":{},"ShippingStreet":{},"ShippingPostalCode":{},"ShippingCity":{},"ShippingCountryCode":{},"TotalAmount":{}}}"#,
            now_utc().date_naive(),
            contact.map(|c| format!("\"{c}\"")).unwrap_or_else(|| "null".into()),
            acc["BillingStreet"],
            acc["BillingPostalCode"],
            acc["BillingCity"],
            acc["BillingCountryCode"],
            acc["BillingStreet"],
            acc["BillingPostalCode"],
            acc["BillingCity"],
            acc["BillingCountryCode"],
            total.normalize()
        );
        let Ok(order) =
            self.obj("Order").insert(serde_json::from_str(&text).unwrap_or(Value::Null))
        else {
            return number;
        };
        for (i, (code, q, p)) in items.iter().enumerate() {
            let product = self
                .obj("Product2")
                .find(|r| r.value["ProductCode"].as_str() == Some(code))
                .map(|r| r.id);
            let text = format!(
                r#"{{"OrderId":"{}","OrderItemNumber":"{:010}","Product2Id":{},"Quantity":{q},"UnitPrice":{p}}}"#,
                order.id,
                i + 1,
                product.map(|p| format!("\"{p}\"")).unwrap_or_else(|| "null".into())
            );
            let _ =
                self.obj("OrderItem").insert(serde_json::from_str(&text).unwrap_or(Value::Null));
        }
        number
    }

    fn resolve(&self, rec: &Value, path: &str) -> Value {
        match path.split_once('.') {
            None => rec.get(path).cloned().unwrap_or(Value::Null),
            Some((rel, rest)) => {
                let (idf, obj) = parent(rel);
                match rec.get(&idf).and_then(Value::as_str).and_then(|id| self.obj(obj).get(id)) {
                    Some(p) => self.resolve(&p.value, rest),
                    None => Value::Null,
                }
            }
        }
    }

    fn eval(&self, e: &soql::Expr, rec: &Value) -> bool {
        use soql::Expr;
        match e {
            Expr::And(a, b) => self.eval(a, rec) && self.eval(b, rec),
            Expr::Or(a, b) => self.eval(a, rec) || self.eval(b, rec),
            Expr::Cmp(f, op, lit) => {
                let v = self.resolve(rec, f);
                let Some(o) = cmp_values(&v, lit) else { return false };
                match op.as_str() {
                    "=" => o.is_eq(),
                    "!=" | "<>" => o.is_ne(),
                    "<" => o.is_lt(),
                    ">" => o.is_gt(),
                    "<=" => o.is_le(),
                    ">=" => o.is_ge(),
                    _ => false,
                }
            }
            Expr::In(f, list) => {
                let v = self.resolve(rec, f);
                list.iter().any(|l| cmp_values(&v, l).is_some_and(|o| o.is_eq()))
            }
            Expr::InSub(f, q) => {
                let v = self.resolve(rec, f);
                let field = match q.fields.first() {
                    Some(soql::Field::Path(p)) => p.clone(),
                    _ => return false,
                };
                self.select(q, None).iter().any(|r| self.resolve(r, &field) == v)
            }
        }
    }

    /// Runs a query: the matching records shaped with `attributes`, parent fields nested
    /// and child subqueries as query results.
    fn select(&self, q: &soql::Query, parent_id: Option<(&str, &str)>) -> Vec<Value> {
        let coll = self.obj(&q.from);
        let mut rows: Vec<Record> = coll.all();
        if let Some((field, id)) = parent_id {
            rows.retain(|r| r.value.get(field).and_then(Value::as_str) == Some(id));
        }
        if let Some(f) = &q.filter {
            rows.retain(|r| self.eval(f, &r.value));
        }
        let key = |r: &Record, f: &str| -> (Option<DateTime<Utc>>, String) {
            let v = self.resolve(&r.value, f);
            let s = v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string());
            (dates::parse_salesforce(&s).ok(), s)
        };
        rows.sort_by(|a, b| {
            for (f, desc) in &q.order {
                let o = key(a, f).cmp(&key(b, f));
                let o = if *desc { o.reverse() } else { o };
                if o.is_ne() {
                    return o;
                }
            }
            a.id.cmp(&b.id)
        });
        if let Some(n) = q.limit {
            rows.truncate(n);
        }
        let base = format!("/services/data/v{API_VERSION}/sobjects");
        rows.iter()
            .map(|r| {
                let mut m = Map::new();
                m.insert("attributes".into(), json!({"type": q.from, "url": format!("{base}/{}/{}", q.from, r.id)}));
                for f in &q.fields {
                    match f {
                        soql::Field::Path(p) => match p.split_once('.') {
                            None => {
                                m.insert(p.clone(), r.value.get(p).cloned().unwrap_or(Value::Null));
                            }
                            Some((rel, rest)) => {
                                let (idf, obj) = parent(rel);
                                let up = r.value.get(&idf).and_then(Value::as_str).and_then(|id| self.obj(obj).get(id));
                                let entry = m.entry(rel.to_owned()).or_insert(Value::Null);
                                if let Some(p) = up {
                                    if entry.is_null() {
                                        *entry = json!({"attributes": {"type": obj, "url": format!("{base}/{obj}/{}", p.id)}});
                                    }
                                    let v = self.resolve(&p.value, rest);
                                    let leaf = rest.split('.').next().unwrap_or(rest);
                                    if rest.contains('.') {
                                        // Deeper paths nest again; enough for one more level.
                                        let (idf2, obj2) = parent(leaf);
                                        if let Some(pp) = p.value.get(&idf2).and_then(Value::as_str).and_then(|id| self.obj(obj2).get(id)) {
                                            let last = rest.rsplit('.').next().unwrap_or(rest);
                                            entry[leaf] = json!({"attributes": {"type": obj2}, last: pp.value.get(last).cloned().unwrap_or(Value::Null)});
                                        }
                                    } else {
                                        entry[leaf] = v;
                                    }
                                }
                            }
                        },
                        soql::Field::Sub(sub) => {
                            let Some((obj, fk)) = child(&sub.from) else { continue };
                            let mut sq = (**sub).clone();
                            sq.from = obj.to_owned();
                            let kids = self.select(&sq, Some((fk, &r.id)));
                            let v = if kids.is_empty() {
                                Value::Null
                            } else {
                                json!({"totalSize": kids.len(), "done": true, "records": kids})
                            };
                            m.insert(sub.from.clone(), v);
                        }
                    }
                }
                Value::Object(m)
            })
            .collect()
    }

    fn batch_answer(&self, mut rows: Vec<Value>, batch: usize, total: usize) -> SimResponse {
        let rest = if rows.len() > batch { rows.split_off(batch) } else { Vec::new() };
        let mut body = json!({"totalSize": total, "done": rest.is_empty(), "records": rows});
        if !rest.is_empty() {
            let n = lock(&self.cursors).len() + 1;
            let id = format!("01gSIM{n:012}-{}", total - rest.len());
            body["nextRecordsUrl"] = json!(format!("/services/data/v{API_VERSION}/query/{id}"));
            lock(&self.cursors).insert(id, rest);
        }
        SimResponse::json(200, body)
    }

    fn query(&self, req: &SimRequest) -> SimResponse {
        let Some(q) = req.query("q") else {
            return errors(400, "MALFORMED_QUERY", "q is missing");
        };
        let Some(parsed) = soql::parse(q) else {
            return errors(400, "MALFORMED_QUERY", &format!("unexpected token in: {q}"));
        };
        if !self.objects.contains_key(&parsed.from) {
            return errors(
                400,
                "INVALID_TYPE",
                &format!("sObject type '{}' is not supported.", parsed.from),
            );
        }
        let rows = self.select(&parsed, None);
        let total = rows.len();
        self.batch_answer(rows, batch_size(req), total)
    }

    fn more(&self, req: &SimRequest, id: &str) -> SimResponse {
        let Some(rows) = lock(&self.cursors).remove(id) else {
            return errors(400, "INVALID_QUERY_LOCATOR", "invalid query locator");
        };
        let seen: usize = id.rsplit('-').next().and_then(|n| n.parse().ok()).unwrap_or(0);
        let total = seen + rows.len();
        self.batch_answer(rows, batch_size(req), total)
    }

    fn deleted(&self, req: &SimRequest, object: &str) -> SimResponse {
        let parse = |k: &str| req.query(k).and_then(|v| dates::parse_instant(v).ok());
        let (Some(start), Some(end)) = (parse("start"), parse("end")) else {
            return errors(400, "INVALID_DATE", "start and end are required");
        };
        let now = now_utc();
        let earliest = lock(&self.earliest_deleted).unwrap_or(now - chrono::Duration::days(15));
        let recs: Vec<Value> = self
            .obj(object)
            .deleted_since(0)
            .into_iter()
            // Salesforce keeps milliseconds.
            .filter(|t| {
                let at = DateTime::from_timestamp_millis(t.deleted_at.timestamp_millis())
                    .unwrap_or(t.deleted_at);
                at >= start.max(earliest) && at <= end
            })
            .map(|t| json!({"id": t.id, "deletedDate": dates::format_salesforce(t.deleted_at)}))
            .collect();
        SimResponse::json(
            200,
            json!({"deletedRecords": recs, "earliestDateAvailable": dates::format_salesforce(earliest), "latestDateCovered": dates::format_salesforce(end.min(now))}),
        )
    }

    fn save(&self, object: &str, rec: &Map<String, Value>, by: Option<&str>) -> Value {
        let Some(coll) = self.objects.get(object) else {
            return json!({"success": false, "errors": [{"statusCode": "INVALID_TYPE", "message": format!("no type {object}"), "fields": []}]});
        };
        let mut body = rec.clone();
        body.remove("attributes");
        let fail = |code: &str, msg: String, fields: Vec<&str>| json!({"success": false, "errors": [{"statusCode": code, "message": msg, "fields": fields}]});
        for (k, v) in &body {
            if k.ends_with("Id") || k == "Order__c" {
                if let Some(id) = v.as_str() {
                    let obj = match k.as_str() {
                        "Order__c" => "Order",
                        "Id" => object,
                        other => parent(other.trim_end_matches("Id")).1,
                    };
                    let obj = if k == "Pricebook2Id" {
                        "Pricebook2"
                    } else if k == "Product2Id" {
                        "Product2"
                    } else {
                        obj
                    };
                    if self.obj(obj).get(id).is_none() {
                        return fail(
                            "INVALID_CROSS_REFERENCE_KEY",
                            format!("invalid cross reference id: {id}"),
                            vec![k],
                        );
                    }
                }
            }
        }
        let existing = match by {
            Some("Id") => body.get("Id").and_then(Value::as_str).and_then(|id| coll.get(id)),
            Some(f) => {
                let Some(key) = body.get(f).and_then(Value::as_str).map(str::to_owned) else {
                    return fail("MISSING_ARGUMENT", format!("{f} not specified"), vec![f]);
                };
                let hits =
                    coll.query(|r| r.value.get(f).and_then(Value::as_str) == Some(key.as_str()));
                if hits.len() > 1 {
                    return fail(
                        "DUPLICATE_EXTERNAL_ID",
                        format!("more than one record has {f} {key}"),
                        vec![f],
                    );
                }
                hits.into_iter().next()
            }
            None => None,
        };
        match existing {
            Some(r) => {
                body.remove("Id");
                match coll.update(&r.id, &Value::Object(body)) {
                    Ok(r) => json!({"id": r.id, "success": true, "errors": [], "created": false}),
                    Err(e) => fail("UNKNOWN_EXCEPTION", e.to_string(), vec![]),
                }
            }
            None if by == Some("Id") => {
                fail("ENTITY_IS_DELETED", "entity is deleted".into(), vec![])
            }
            None => {
                if object == "Product2"
                    && body.get("Name").and_then(Value::as_str).is_none_or(|n| n.trim().is_empty())
                {
                    return fail(
                        "REQUIRED_FIELD_MISSING",
                        "Required fields are missing: [Name]".into(),
                        vec!["Name"],
                    );
                }
                if object == "Account"
                    && body.get("Name").and_then(Value::as_str).is_none_or(|n| n.trim().is_empty())
                {
                    return fail(
                        "REQUIRED_FIELD_MISSING",
                        "Required fields are missing: [Name]".into(),
                        vec!["Name"],
                    );
                }
                match coll.insert(Value::Object(body)) {
                    Ok(r) => json!({"id": r.id, "success": true, "errors": [], "created": true}),
                    Err(e) => fail("UNKNOWN_EXCEPTION", e.to_string(), vec![]),
                }
            }
        }
    }

    fn collections(&self, req: &SimRequest, rest: &str) -> SimResponse {
        let Ok(body) = req.json_value() else {
            return errors(400, "JSON_PARSER_ERROR", "the body is not JSON");
        };
        let Some(records) = body.get("records").and_then(Value::as_array) else {
            return errors(400, "INVALID_FIELD", "records is missing");
        };
        if records.len() > 200 {
            return errors(
                400,
                "EXCEEDED_ID_LIMIT",
                "record limit reached. cannot submit more than 200 records into this call",
            );
        }
        let parts: Vec<&str> = rest.split('/').filter(|p| !p.is_empty()).collect();
        let results: Vec<Value> = records
            .iter()
            .map(|r| {
                let Some(m) = r.as_object() else {
                    return json!({"success": false, "errors": [{"statusCode": "INVALID_FIELD", "message": "not an object", "fields": []}]});
                };
                let object = match parts.first() {
                    Some(o) => (*o).to_owned(),
                    None => m.get("attributes").and_then(|a| a.get("type")).and_then(Value::as_str).unwrap_or_default().to_owned(),
                };
                match (req.method.clone(), parts.get(1)) {
                    (Method::PATCH, Some(field)) => self.save(&object, m, Some(field)),
                    (Method::PATCH, None) => self.save(&object, m, Some("Id")),
                    _ => self.save(&object, m, None),
                }
            })
            .collect();
        SimResponse::json(200, Value::Array(results))
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

fn batch_size(req: &SimRequest) -> usize {
    req.header("sforce-query-options")
        .and_then(|h| h.split(',').find_map(|p| p.trim().strip_prefix("batchSize=")))
        .and_then(|n| n.trim().parse::<usize>().ok())
        .map(|n| n.clamp(200, 2000))
        .unwrap_or(2000)
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
            (Method::GET, "limits") => SimResponse::raw_json(
                200,
                r#"{"DailyApiRequests":{"Max":100000,"Remaining":99000}}"#,
            ),
            (Method::GET, "query") => self.query(&req),
            (Method::GET, r) if r.starts_with("query/") => self.more(&req, &r["query/".len()..]),
            (Method::GET, r) if r.starts_with("sobjects/") && r.ends_with("/deleted") => {
                let object = r.trim_start_matches("sobjects/").trim_end_matches("/deleted");
                self.deleted(&req, object)
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
