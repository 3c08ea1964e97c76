//! A stateful AccountView.Net simulator, held to `tests/fixtures/accountview-api.json`: the
//! token endpoint (rotating refresh tokens), `/companies`, and `accountviewdata` for debtors
//! (`AR1`, table CONTACT) and articles (`AK1`, ARTICLE) with keyset paging (`lastKey`),
//! `Fields` checked against the tables' data dictionary, the change-date filter, the
//! `X-Company` header and AccountView's error body.

use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock, Mutex, MutexGuard, PoisonError};

use connector_testkit::simulator::spec::{ApiSpec, Violation};
use connector_testkit::simulator::{
    Params, Router, SimRequest, SimResponse, SimServer, TokenIssuer,
};
use secrecy::SecretString;
use serde_json::{Map, Value, json};

use crate::config::AccountViewConfig;

/// The client id the simulator accepts.
pub const CLIENT_ID: &str = "sim-accountview";
/// The client secret the simulator accepts.
pub const CLIENT_SECRET: &str = "sim-accountview-secret";
/// The one company's id.
pub const COMPANY_ID: &str = "c0a7f1e2-0000-4000-8000-00000000a001";

static SPEC: LazyLock<Arc<ApiSpec>> = LazyLock::new(|| {
    let text = include_str!("../../tests/fixtures/accountview-api.json");
    Arc::new(ApiSpec::from_json(text).unwrap_or_else(|e| panic!("accountview-api.json: {e}")))
});

/// The description of AccountView.Net the simulator holds requests and answers to.
pub fn api_spec() -> Arc<ApiSpec> {
    SPEC.clone()
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// AccountView's error body.
fn error(status: u16, message: &str) -> SimResponse {
    SimResponse::json(
        status,
        json!({"ErrorType": "AccountViewError", "ErrorNumbers": null, "ErrorMessage": message}),
    )
}

mod export;
mod orders;
pub use export::export_folder;
pub use orders::ORDER_BUSINESS_OBJECT;

#[derive(Default)]
struct Tables {
    contacts: BTreeMap<String, Value>,
    articles: BTreeMap<String, Value>,
    /// Order headers (ART_HDR) by REC_ID.
    orders: BTreeMap<String, Value>,
    /// Order lines (ART_LINE), each naming its header in HDR_ID.
    order_lines: Vec<Value>,
}

#[derive(Clone)]
struct Sim {
    tables: Arc<Mutex<Tables>>,
    tokens: TokenIssuer,
}

/// A running AccountView.Net simulator.
pub struct AccountViewSimulator {
    server: SimServer,
    sim: Sim,
    refresh_token: String,
}

impl std::fmt::Debug for AccountViewSimulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountViewSimulator").field("base_url", &self.server.base_url()).finish()
    }
}

/// Settings of an [`AccountViewSimulator`] before it starts.
#[derive(Debug, Default, Clone)]
#[must_use = "a builder does nothing until `start` is called"]
pub struct AccountViewSimulatorBuilder {
    port: u16,
    demo: bool,
}

impl AccountViewSimulatorBuilder {
    /// Listens on this port of 127.0.0.1 (0, the default: any free port).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Starts with three debtors and three articles.
    pub fn demo_data(mut self) -> Self {
        self.demo = true;
        self
    }

    /// Starts the server.
    pub async fn start(self) -> std::io::Result<AccountViewSimulator> {
        let sim = Sim {
            tables: Arc::default(),
            tokens: TokenIssuer::new().prefix("av").rotate_refresh_tokens(true),
        };
        let refresh_token = sim.tokens.issue(CLIENT_ID).refresh_token.unwrap_or_default();
        let server = SimServer::builder(router(&sim))
            .port(self.port)
            .spec(api_spec(), |req, violations| Some(refuse(req, violations)))
            .start()
            .await?;
        let s = AccountViewSimulator { server, sim, refresh_token };
        if self.demo {
            s.seed_demo_data();
        }
        Ok(s)
    }
}

fn refuse(req: &SimRequest, violations: &[Violation]) -> SimResponse {
    let text: Vec<String> = violations.iter().map(ToString::to_string).collect();
    if req.path.ends_with("/token") {
        return SimResponse::json(
            400,
            json!({"error": "invalid_request", "error_description": text.join("; ")}),
        );
    }
    error(400, &text.join("; "))
}

fn router(sim: &Sim) -> Router {
    let (a, b, c, d, e) = (sim.clone(), sim.clone(), sim.clone(), sim.clone(), sim.clone());
    Router::new()
        .get("/api/v3/accountviewsystembusinessobjects", move |req, _| {
            let sim = e.clone();
            async move { orders::business_objects(&sim, &req) }
        })
        .post("/api/v3/token", move |req, _| {
            let sim = a.clone();
            async move { token(&sim, &req) }
        })
        .get("/api/v3/companies", move |req, _| {
            let sim = b.clone();
            async move { companies(&sim, &req) }
        })
        .get("/api/v3/accountviewdata", move |req, p| {
            let sim = c.clone();
            async move { data(&sim, &req, &p) }
        })
        .post("/api/v3/accountviewdata", move |req, _| {
            let sim = d.clone();
            async move { post_data(&sim, &req) }
        })
}

fn token(sim: &Sim, req: &SimRequest) -> SimResponse {
    if req.form_value("client_id").as_deref() != Some(CLIENT_ID)
        || req.form_value("client_secret").as_deref() != Some(CLIENT_SECRET)
    {
        return SimResponse::json(
            401,
            json!({"error": "invalid_client", "error_description": "unknown client"}),
        );
    }
    if req.form_value("grant_type").as_deref() != Some("refresh_token") {
        return SimResponse::json(400, json!({"error": "unsupported_grant_type"}));
    }
    match sim.tokens.refresh(&req.form_value("refresh_token").unwrap_or_default()) {
        Ok(t) => SimResponse::json(200, t.to_json()),
        Err(e) => e.to_response(true),
    }
}

fn companies(sim: &Sim, req: &SimRequest) -> SimResponse {
    if let Err(e) = sim.tokens.authorize(req) {
        return e.to_response(false);
    }
    SimResponse::json(
        200,
        json!([{"Id": COMPANY_ID, "Description": "Fietsen Demo B.V.", "Code": "DEMO"}]),
    )
}

/// `GET accountviewdata`: the rows of a business object, `PageSize` at a time after
/// `lastKey`, with the `Fields` asked for (each must be a column of the table).
fn data(sim: &Sim, req: &SimRequest, _: &Params) -> SimResponse {
    if let Err(e) = sim.tokens.authorize(req) {
        return e.to_response(false);
    }
    if req.header("x-company") != Some(COMPANY_ID) {
        return error(400, "Onbekende administratie (X-Company)");
    }
    let object = req.query("BusinessObject").unwrap_or_default().to_ascii_uppercase();
    if object == ORDER_BUSINESS_OBJECT {
        return orders::get(sim, req);
    }
    // Rows are kept by their paging key (SUB_NR, REC_ID), so `lastKey` is a range.
    let (table, schema) = match object.as_str() {
        "AR1" => ("CONTACT", "ContactRow"),
        "AK1" => ("ARTICLE", "ArticleRow"),
        other => return error(400, &format!("Bedrijfsobject {other} wordt niet gesimuleerd")),
    };
    let known = api_spec()
        .schema_fields(schema)
        .unwrap_or_default()
        .into_iter()
        .map(str::to_owned)
        .collect::<Vec<_>>();
    let mut columns = Vec::new();
    for f in req.query("Fields").unwrap_or("*").split(',').map(str::trim).filter(|f| !f.is_empty())
    {
        if f == "*" {
            columns = known;
            break;
        }
        let (t, col) = f.split_once('.').unwrap_or((table, f));
        let col = col.to_ascii_uppercase();
        if !t.eq_ignore_ascii_case(table) || !known.contains(&col) {
            return error(400, &format!("Veld {f} bestaat niet in {table}"));
        }
        columns.push(col);
    }
    let filter = match req.query("Filter").map(parse_filter) {
        None => None,
        Some(Ok(f)) => Some(f),
        Some(Err(m)) => return error(400, &m),
    };
    let size: usize = req.query("PageSize").and_then(|s| s.parse().ok()).unwrap_or(200);
    let after = req.query("lastKey").map(str::to_owned);
    let tables = lock(&sim.tables);
    let rows = if table == "CONTACT" { &tables.contacts } else { &tables.articles };
    let page: Vec<Value> = rows
        .iter()
        .filter(|(k, _)| after.as_ref().is_none_or(|a| k.as_str() > a.as_str()))
        .filter(|(_, row)| filter.as_ref().is_none_or(|f| f.keeps(row)))
        .take(size)
        .map(|(_, row)| {
            let mut out = Map::new();
            for c in &columns {
                out.insert(c.clone(), row.get(c).cloned().unwrap_or(Value::Null));
            }
            Value::Object(out)
        })
        .collect();
    SimResponse::json(200, json!({ table: page }))
}

/// The JSON type a FoxPro field type letter carries.
fn json_type(letter: &str) -> &'static str {
    match letter {
        "C" | "M" => "string",
        "N" | "Y" => "number",
        "I" => "integer",
        "L" => "boolean",
        _ => "date-time",
    }
}

/// `POST accountviewdata`: debtor rows (`AR1`, table CONTACT) in AccountView's columnar
/// payload. Every column must be CONTACT's, declared with its dictionary type; every row is
/// held to the dictionary (types, lengths); a new debtor needs SUB_NR, SRC_CODE and
/// ACCT_NAME. A row whose SUB_NR exists updates it (the columns sent; CNG_DATE stamped).
fn post_data(sim: &Sim, req: &SimRequest) -> SimResponse {
    if let Err(e) = sim.tokens.authorize(req) {
        return e.to_response(false);
    }
    if req.header("x-company") != Some(COMPANY_ID) {
        return error(400, "Onbekende administratie (X-Company)");
    }
    let Ok(body) = serde_json::from_slice::<Value>(&req.body) else {
        return error(400, "Ongeldige JSON");
    };
    match body["BusinessObject"].as_str().map(str::to_ascii_uppercase).as_deref() {
        Some("AR1") => {}
        Some(ORDER_BUSINESS_OBJECT) => return orders::post(sim, &body),
        _ => {
            return error(
                400,
                &format!(
                    "Alleen AR1 (debiteuren) en {ORDER_BUSINESS_OBJECT} (orders) worden gesimuleerd"
                ),
            );
        }
    }
    let definition = &body["Table"]["Definition"];
    if definition["Name"].as_str() != Some("CONTACT") {
        return error(400, "AR1 schrijft in tabel CONTACT");
    }
    let spec = api_spec();
    let mut columns = Vec::new();
    for f in definition["Fields"].as_array().into_iter().flatten() {
        let (name, letter) =
            (f["Name"].as_str().unwrap_or_default(), f["FieldType"].as_str().unwrap_or_default());
        match spec.field_type("ContactRow", name) {
            None => return error(400, &format!("Veld {name} bestaat niet in CONTACT")),
            Some(t) if t != json_type(letter) => {
                return error(400, &format!("Veld {name} heeft type {t}, niet {letter}"));
            }
            Some(_) => columns.push(name.to_owned()),
        }
    }
    let rows = body["TableData"]["Data"]["Rows"].as_array().cloned().unwrap_or_default();
    let now = crate::TimeZone::CentralEurope
        .to_local(chrono::Utc::now())
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string();
    let mut t = lock(&sim.tables);
    let mut written = Vec::new();
    for row in rows {
        let values = row["Values"].as_array().cloned().unwrap_or_default();
        if values.len() != columns.len() {
            return error(
                400,
                &format!("Een rij heeft {} waarden voor {} velden", values.len(), columns.len()),
            );
        }
        let record: Map<String, Value> = columns.iter().cloned().zip(values).collect();
        let broken = spec.check_value("ContactRow", &Value::Object(record.clone()));
        if let Some(v) = broken.first() {
            return error(400, &format!("{v}"));
        }
        let key =
            record.get("SUB_NR").and_then(Value::as_str).unwrap_or_default().trim().to_owned();
        if key.is_empty() {
            return error(400, "Veld SUB_NR is verplicht");
        }
        match t.contacts.get_mut(&key) {
            Some(existing) => {
                if let Some(o) = existing.as_object_mut() {
                    o.extend(record);
                    o.insert("CNG_DATE".into(), Value::from(now.clone()));
                }
            }
            None => {
                for mandatory in ["SRC_CODE", "ACCT_NAME"] {
                    if record
                        .get(mandatory)
                        .and_then(Value::as_str)
                        .is_none_or(|v| v.trim().is_empty())
                    {
                        return error(400, &format!("Veld {mandatory} is verplicht"));
                    }
                }
                let mut o = record;
                o.insert("INP_DATE".into(), Value::from(now.clone()));
                o.insert("CNG_DATE".into(), Value::from(now.clone()));
                t.contacts.insert(key.clone(), Value::Object(o));
            }
        }
        written.push(t.contacts[&key].clone());
    }
    SimResponse::json(200, json!({ "CONTACT": written }))
}

/// The one filter form the simulator takes: `<table>.<column> >= {^YYYY-MM-DD HH:MM:SS}`;
/// the column and the instant in AccountView's own form (`YYYY-MM-DDTHH:MM:SS`).
fn parse_filter(text: &str) -> Result<Filter, String> {
    let refused = || {
        format!(
            "Filter `{text}` wordt niet gesimuleerd (alleen <veld> >= {{^jjjj-mm-dd uu:mm:ss}} \
             of ALLTRIM(LOWER(<veld>)) == \"tekst\")"
        )
    };
    let column_of = |field: &str| {
        field.trim().split_once('.').map(|(_, c)| c).unwrap_or(field.trim()).to_ascii_uppercase()
    };
    if let Some((field, value)) = text.split_once("==") {
        // `ALLTRIM(LOWER(<table>.<column>)) == "…"` (or '…' or […]): VFP has no escapes.
        let inner = field
            .trim()
            .strip_prefix("ALLTRIM(LOWER(")
            .and_then(|f| f.strip_suffix("))"))
            .ok_or_else(refused)?;
        let v = value.trim();
        let unquoted = [('"', '"'), ('\'', '\''), ('[', ']')]
            .into_iter()
            .find_map(|(o, c)| {
                v.strip_prefix(o)
                    .and_then(|v| v.strip_suffix(c))
                    .filter(|v| !v.contains(o) && !v.contains(c))
            })
            .ok_or_else(refused)?;
        return Ok(Filter::Equals(column_of(inner), unquoted.to_owned()));
    }
    let (field, value) = text.split_once(">=").ok_or_else(refused)?;
    let v =
        value.trim().strip_prefix("{^").and_then(|v| v.strip_suffix('}')).ok_or_else(refused)?;
    let at = chrono::NaiveDateTime::parse_from_str(v.trim(), "%Y-%m-%d %H:%M:%S")
        .map_err(|_| refused())?;
    Ok(Filter::AtLeast(column_of(field), at.format("%Y-%m-%dT%H:%M:%S").to_string()))
}

/// A filter the simulator applies.
enum Filter {
    /// `<column> >= {^…}`: the column's text (an AccountView date) is at least this.
    AtLeast(String, String),
    /// `ALLTRIM(LOWER(<column>)) == "…"`: the column's text, trimmed and in lower case, is this.
    Equals(String, String),
}

impl Filter {
    fn keeps(&self, row: &Value) -> bool {
        match self {
            Filter::AtLeast(col, at) => row[col].as_str().is_some_and(|v| v >= at.as_str()),
            Filter::Equals(col, want) => {
                row[col].as_str().is_some_and(|v| v.trim().to_lowercase() == *want)
            }
        }
    }
}

impl AccountViewSimulator {
    /// Settings before starting.
    pub fn builder() -> AccountViewSimulatorBuilder {
        AccountViewSimulatorBuilder::default()
    }

    /// Starts an empty company on a free port.
    pub async fn start() -> std::io::Result<Self> {
        Self::builder().start().await
    }

    /// The API base (`http://127.0.0.1:port/api/v3`).
    pub fn api_url(&self) -> String {
        format!("{}/api/v3", self.server.base_url())
    }

    /// The server's base URL.
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    /// A configuration that reaches the simulator, with its first refresh token.
    pub fn config(&self) -> AccountViewConfig {
        let mut c = AccountViewConfig::new(CLIENT_ID, SecretString::from(CLIENT_SECRET));
        c.api_url = self.api_url();
        c.token_url = format!("{}/token", self.api_url());
        c.refresh_token = Some(SecretString::from(self.refresh_token.clone()));
        c.order_business_object = Some(ORDER_BUSINESS_OBJECT.to_owned());
        c
    }

    /// The refresh token the simulator issued first.
    pub fn refresh_token(&self) -> &str {
        &self.refresh_token
    }

    /// Adds (or replaces) a debtor row (its `SUB_NR` is the key).
    pub fn put_contact(&self, row: Value) {
        let key = row["SUB_NR"].as_str().unwrap_or_default().to_owned();
        lock(&self.sim.tables).contacts.insert(key, row);
    }

    /// The debtor row `sub_nr` as the company holds it.
    pub fn contact(&self, sub_nr: &str) -> Option<Value> {
        lock(&self.sim.tables).contacts.get(sub_nr).cloned()
    }

    /// Adds (or replaces) an article row (its `REC_ID` is the key).
    pub fn put_article(&self, row: Value) {
        let key = row["REC_ID"].as_str().unwrap_or_default().to_owned();
        lock(&self.sim.tables).articles.insert(key, row);
    }

    /// Adds `n` debtors `G000001`… changed a second apart from 2024-01-01 (a load test's data).
    pub fn seed_contacts(&self, n: usize) {
        let mut t = lock(&self.sim.tables);
        for i in 1..=n {
            let at = chrono::NaiveDate::from_ymd_opt(2024, 1, 1)
                .unwrap_or_default()
                .and_hms_opt(0, 0, 0)
                .unwrap_or_default()
                + chrono::Duration::seconds(i as i64);
            let key = format!("G{i:06}");
            t.contacts.insert(
                key.clone(),
                json!({"SUB_NR": key, "SRC_CODE": key, "ACCT_NAME": format!("Klant {i}"), "CUR_CODE": "EUR",
                       "CRED_LIM": 0, "BLK_SP": false, "CNG_DATE": at.format("%Y-%m-%dT%H:%M:%S").to_string(), "INP_DATE": ""}),
            );
        }
    }

    /// Three debtors (a company, a private person, a blocked one) and three articles.
    pub fn seed_demo_data(&self) {
        for row in [
            json!({"SUB_NR": "1001", "SRC_CODE": "JANSEN", "ACCT_NAME": "Fietsen Jansen B.V.", "MAIL_BUS": "inkoop@jansen.example",
                   "TEL_BUS": "+31 20 555 0101", "VAT_NR": "NL001234567B01", "COC_CODE": "12345678", "ADDRESS1": "Damrak 1",
                   "POST_CODE": "1012 LG", "CITY": "Amsterdam", "CNT_CODE": "NL", "CUR_CODE": "EUR", "CRED_LIM": 5000,
                   "BLK_SP": false, "INP_DATE": "2023-02-01T09:00:00", "CNG_DATE": "2024-03-01T10:00:00"}),
            json!({"SUB_NR": "1002", "SRC_CODE": "DEVRIES", "ACCT_NAME": "Anna de Vries", "MAIL_BUS": "anna@devries.example",
                   "ADDRESS1": "Oudegracht 12", "POST_CODE": "3511 AP", "CITY": "Utrecht", "CNT_CODE": "NL", "CUR_CODE": "EUR",
                   "CRED_LIM": 0, "BLK_SP": false, "INP_DATE": "2023-06-15T14:00:00", "CNG_DATE": "2024-04-02T08:15:00"}),
            json!({"SUB_NR": "1003", "SRC_CODE": "GESLOTEN", "ACCT_NAME": "Gesloten Winkel", "CUR_CODE": "EUR", "CRED_LIM": 0,
                   "BLK_SP": true, "INP_DATE": "2020-01-01T00:00:00", "CNG_DATE": "2022-12-31T23:59:59"}),
        ] {
            self.put_contact(row);
        }
        for row in [
            json!({"REC_ID": "A0001", "ART_CODE": "100200", "ART_DESC1": "Fietsbel chroom", "ART_DESC2": "Klassieke bel", "SALES_PRC": 4.95,
                   "PUR_PRC": 1.8, "UNIT": "st", "EAN_CODE": "8712345678906", "STOCK": 120, "RESERVED": 15, "CNG_DATE": "2024-02-01T12:00:00"}),
            json!({"REC_ID": "A0002", "ART_CODE": "100300", "ART_DESC1": "Zadel comfort", "SALES_PRC": 39.5, "PUR_PRC": 17.25,
                   "UNIT": "st", "STOCK": 8, "RESERVED": 9, "CNG_DATE": "2024-02-03T12:00:00"}),
            json!({"REC_ID": "A0003", "ART_CODE": "100400", "ART_DESC1": "Binnenband 28\"", "SALES_PRC": 6.25, "UNIT": "st",
                   "STOCK": 40.5, "RESERVED": 0, "CNG_DATE": "2024-02-05T12:00:00"}),
        ] {
            self.put_article(row);
        }
    }

    /// Serves until Ctrl-C.
    pub async fn run_until_ctrl_c(self) -> std::io::Result<()> {
        self.server.run_until_ctrl_c().await
    }

    /// Stops the server.
    pub async fn shutdown(self) {
        self.server.shutdown().await;
    }

    /// Every request so far, with its spec violations.
    pub fn journal(&self) -> &connector_testkit::simulator::Journal {
        self.server.journal()
    }
}
