//! A stateful simulator of the Xero API on `127.0.0.1` (feature `simulator`).
//!
//! It serves the token endpoint (rotating, single-use refresh tokens), `GET /connections`,
//! and under `/api.xro/2.0` Organisation, Contacts, Items, Invoices, Quotes and
//! TrackingCategories in Xero's wire shapes: PascalCase envelopes with `Id`, `Status`,
//! `DateTimeUTC` and `pagination`, `/Date(…+0000)/` instants, `ContactStatus: ARCHIVED`,
//! `If-Modified-Since`, `order=UpdatedDateUTC ASC`, `where` filters, `summarizeErrors=false`
//! answers with `HasErrors`/`ValidationErrors`, the `ValidationException` 400 body, the
//! problem-details 401/403 bodies, `Idempotency-Key` replay, the per-tenant limits and the
//! app-wide one over every tenant (429 with `Retry-After` and `X-Rate-Limit-Problem`:
//! `minute`, `day`, `concurrent` or `appminute`; `X-MinLimit-Remaining`,
//! `X-DayLimit-Remaining` and `X-AppMinLimit-Remaining` on every answer).
//!
//! Everything it sends is written here from the documented shapes (`serde_json::json!` and
//! raw JSON text), never produced by the connector's own types.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use connector_core::http::dates;
use connector_core::simulator::{
    Collection, CollectionOptions, Faults, Journal, Method, RateLimitSnapshot, RateLimiter, Record,
    SimClock, SimHandler, SimRequest, SimResponse, SimServer, SimStore, TokenIssuer,
};
use rust_decimal::Decimal;
use secrecy::SecretString;
use serde_json::{Map, Value, json};

use crate::config::{TenantSelector, XeroConfig};

/// The simulator's OAuth2 client id.
pub const CLIENT_ID: &str = "sim-xero-client";
/// The simulator's OAuth2 client secret.
pub const CLIENT_SECRET: &str = "sim-xero-secret";
/// The tenant id of the simulated organisation.
pub const TENANT_ID: &str = "0b2f5c8e-6a43-4b8e-9f51-7d1a2c3e4f50";
/// The simulated organisation's name.
pub const TENANT_NAME: &str = "Demo Company (NZ)";
/// A second connected organisation, so tenant selection matters.
pub const OTHER_TENANT_ID: &str = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d";
/// The authorization code the simulator accepts once.
pub const AUTH_CODE: &str = "sim-authorization-code";

/// The demo data set: contacts, items, invoices and quotes as Xero sends them.
pub const DEMO_CONTACTS: &str = r#"[
  {"ContactID":"5b96e86b-418e-48e8-8949-308c14aec278","ContactNumber":"C-1001","AccountNumber":"1001","ContactStatus":"ACTIVE","Name":"Bayside Club","FirstName":"Bob","LastName":"Partridge","EmailAddress":"secretarybob@bayside.example","TaxNumber":"12-345-678","Addresses":[{"AddressType":"POBOX","AddressLine1":"P O Box 3354","City":"Ridge Heights","Region":"Madeupville","PostalCode":"21391","Country":"NZ"},{"AddressType":"STREET","AddressLine1":"148 Bay Harbour Road","City":"Ridge Heights","PostalCode":"21391","Country":"NZ","AttentionTo":"Bob"}],"Phones":[{"PhoneType":"DEFAULT","PhoneNumber":"2024455","PhoneAreaCode":"02","PhoneCountryCode":"64"},{"PhoneType":"MOBILE","PhoneNumber":"0211234567"}],"SalesTrackingCategories":[{"TrackingCategoryName":"Sales Rep","TrackingOptionName":"JD"}],"PaymentTerms":{"Sales":{"Day":20,"Type":"OFFOLLOWINGMONTH"}},"IsCustomer":true,"IsSupplier":false,"DefaultCurrency":"NZD"},
  {"ContactID":"565acaa9-e7f3-4fbf-80c3-16b081ddae10","ContactNumber":"C-1002","ContactStatus":"ACTIVE","Name":"City Agency","EmailAddress":"orders@cityagency.example","Addresses":[{"AddressType":"POBOX","AddressLine1":"L4, CA House","AddressLine2":"14 Boulevard Quay","City":"Wellington","PostalCode":"6012","Country":"NZ"}],"Phones":[],"SalesTrackingCategories":[{"TrackingCategoryName":"Sales Rep","TrackingOptionName":"MK"}],"IsCustomer":true},
  {"ContactID":"9e6dd0b3-1d63-4ad8-b2ba-1b7a1d3a8f11","ContactNumber":"C-1003","ContactStatus":"ARCHIVED","Name":"Hamilton Smith Ltd","EmailAddress":"accounts@hsmith.example","Addresses":[],"Phones":[],"IsCustomer":true},
  {"ContactID":"e2a7f6c0-3b1d-4c5e-8f9a-0b1c2d3e4f5a","ContactStatus":"ACTIVE","Name":"","EmailAddress":"nobody@nowhere.example","Addresses":[],"Phones":[]},
  {"ContactID":"3e776c4b-ea9e-4bb1-96be-6b0c7a71a37f","ContactNumber":"C-1005","ContactStatus":"ACTIVE","Name":"Ridgeway University","EmailAddress":"purchasing@ridgeway.example","Addresses":[],"Phones":[],"SalesTrackingCategories":[{"TrackingCategoryName":"Sales Rep","TrackingOptionName":"ZZ"}],"IsCustomer":true}
]"#;

/// Items: tracked and untracked, with 4-decimal prices.
pub const DEMO_ITEMS: &str = r#"[
  {"ItemID":"19b79d12-0ae1-496e-9649-cbd04b15c7c5","Code":"GB1-WHITE","Name":"Golf balls - white single","Description":"Golf ball, white, single","IsSold":true,"IsPurchased":true,"IsTrackedAsInventory":true,"InventoryAssetAccountCode":"630","TotalCostPool":1840.0000,"QuantityOnHand":368.0000,"SalesDetails":{"UnitPrice":5.9500,"AccountCode":"200","TaxType":"OUTPUT2"},"PurchaseDetails":{"UnitPrice":2.1250,"COGSAccountCode":"310","TaxType":"INPUT2"}},
  {"ItemID":"c8c54d65-f3f2-452a-9926-2e8ce9c8f6d2","Code":"UMB-1","Name":"Umbrella","Description":"Golf umbrella, navy","IsSold":true,"IsPurchased":true,"IsTrackedAsInventory":true,"QuantityOnHand":12.5000,"SalesDetails":{"UnitPrice":19.9875,"AccountCode":"200","TaxType":"OUTPUT2"},"PurchaseDetails":{"UnitPrice":8.3300,"TaxType":"INPUT2"}},
  {"ItemID":"a4c1d2e3-0000-4000-8000-000000000003","Code":"LESSON-30","Name":"Golf lesson (30 min)","Description":"Half-hour lesson with a pro","IsSold":true,"IsPurchased":false,"IsTrackedAsInventory":false,"SalesDetails":{"UnitPrice":45.0000,"AccountCode":"200","TaxType":"OUTPUT2"}}
]"#;

/// Sales invoices and one bill (which the source leaves out).
pub const DEMO_INVOICES: &str = r#"[
  {"Type":"ACCREC","InvoiceID":"243216c5-369e-4056-ac67-05388f86dc81","InvoiceNumber":"INV-0001","Reference":"Ref 1","Contact":{"ContactID":"5b96e86b-418e-48e8-8949-308c14aec278","ContactNumber":"C-1001","Name":"Bayside Club"},"Date":"/Date(1573689600000+0000)/","DueDate":"/Date(1575417600000+0000)/","Status":"AUTHORISED","LineAmountTypes":"Exclusive","LineItems":[{"LineItemID":"52208ff9-528a-4985-a9ad-b2b1d4210e38","ItemCode":"GB1-WHITE","Description":"Golf ball, white, single","Quantity":24.0000,"UnitAmount":5.9500,"TaxType":"OUTPUT2","TaxAmount":21.42,"LineAmount":142.80,"AccountCode":"200","Tracking":[{"Name":"Sales Rep","Option":"JD"}]},{"LineItemID":"7c3d1e0a-1111-4222-8333-944455556666","ItemCode":"UMB-1","Description":"Golf umbrella, navy","Quantity":1.0000,"UnitAmount":19.9875,"TaxType":"OUTPUT2","TaxAmount":3.00,"LineAmount":19.99,"AccountCode":"200","Tracking":[]}],"SubTotal":162.79,"TotalTax":24.42,"Total":187.21,"AmountDue":187.21,"AmountPaid":0.00,"CurrencyCode":"NZD"},
  {"Type":"ACCREC","InvoiceID":"b0a1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d","InvoiceNumber":"INV-0002","Reference":"","Contact":{"ContactID":"565acaa9-e7f3-4fbf-80c3-16b081ddae10","ContactNumber":"C-1002","Name":"City Agency"},"Date":"/Date(1573776000000+0000)/","DueDate":"/Date(1575504000000+0000)/","Status":"PAID","LineAmountTypes":"Inclusive","LineItems":[{"ItemCode":"LESSON-30","Description":"Half-hour lesson with a pro","Quantity":2.0000,"UnitAmount":45.0000,"TaxType":"OUTPUT2","TaxAmount":11.74,"LineAmount":90.00,"AccountCode":"200"}],"SubTotal":78.26,"TotalTax":11.74,"Total":90.00,"AmountDue":0.00,"AmountPaid":90.00,"CurrencyCode":"NZD"},
  {"Type":"ACCPAY","InvoiceID":"d1e2f3a4-b5c6-4d7e-8f90-a1b2c3d4e5f6","InvoiceNumber":"","Reference":"Supplier bill","Contact":{"ContactID":"565acaa9-e7f3-4fbf-80c3-16b081ddae10","ContactNumber":"C-1002","Name":"City Agency"},"Date":"/Date(1573776000000+0000)/","Status":"AUTHORISED","LineAmountTypes":"Exclusive","LineItems":[{"Description":"Office rent","Quantity":1.0000,"UnitAmount":500.00,"TaxType":"INPUT2","TaxAmount":75.00,"LineAmount":500.00,"AccountCode":"469"}],"SubTotal":500.00,"TotalTax":75.00,"Total":575.00,"AmountDue":575.00,"CurrencyCode":"NZD"}
]"#;

/// One quote.
pub const DEMO_QUOTES: &str = r#"[
  {"QuoteID":"be59cd2b-7e3a-4f0b-9b1e-2c8f6d3a4b5c","QuoteNumber":"QU-0001","Reference":"Spring tournament","Contact":{"ContactID":"3e776c4b-ea9e-4bb1-96be-6b0c7a71a37f","ContactNumber":"C-1005","Name":"Ridgeway University"},"Date":"/Date(1573862400000+0000)/","DateString":"2019-11-16T00:00:00","ExpiryDate":"/Date(1576454400000+0000)/","Status":"SENT","LineAmountTypes":"EXCLUSIVE","LineItems":[{"ItemCode":"GB1-WHITE","Description":"Golf ball, white, single","Quantity":100.0000,"UnitAmount":5.5000,"DiscountRate":5.00,"TaxType":"OUTPUT2","TaxAmount":78.38,"LineAmount":522.50,"AccountCode":"200","Tracking":[{"Name":"Sales Rep","Option":"MK"}]}],"SubTotal":522.50,"TotalTax":78.38,"Total":600.88,"CurrencyCode":"NZD","Summary":"Prices valid for the spring tournament"}
]"#;

const TRACKING: &str = r#"{"TrackingCategories":[{"Name":"Sales Rep","Status":"ACTIVE","TrackingCategoryID":"e2f2f732-e92a-4f3a-9c4d-ee4da0182a13","Options":[{"TrackingOptionID":"ae777a87-5ef3-4fa0-a4f0-d10e1f13073a","Name":"JD","Status":"ACTIVE"},{"TrackingOptionID":"9bf3f1a8-1c6a-4b0e-8e39-2c1b0a5d6e7f","Name":"MK","Status":"ACTIVE"},{"TrackingOptionID":"0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f","Name":"ZZ","Status":"ACTIVE"}]}]}"#;

/// How to start a simulator.
#[derive(Debug, Clone)]
pub struct XeroSimulatorBuilder {
    demo: bool,
    per_minute: u32,
    per_day: u32,
    concurrent: u32,
    app_per_minute: u32,
    generated_invoices: usize,
    access_ttl: Duration,
    page_size_default: usize,
    port: u16,
}

impl Default for XeroSimulatorBuilder {
    fn default() -> Self {
        Self {
            demo: true,
            per_minute: 60,
            per_day: 5_000,
            concurrent: 5,
            app_per_minute: 10_000,
            generated_invoices: 0,
            access_ttl: Duration::from_secs(30 * 60),
            page_size_default: 100,
            port: 0,
        }
    }
}

impl XeroSimulatorBuilder {
    /// Starts without the demo data.
    pub fn empty(mut self) -> Self {
        self.demo = false;
        self
    }

    /// Sets the per-tenant limits (Xero: 60 a minute, 5,000 a day, 5 at once).
    pub fn limits(mut self, per_minute: u32, per_day: u32, concurrent: u32) -> Self {
        self.per_minute = per_minute;
        self.per_day = per_day;
        self.concurrent = concurrent;
        self
    }

    /// Sets the app-wide limit, shared by every tenant (Xero: 10,000 a minute).
    pub fn app_limit(mut self, per_minute: u32) -> Self {
        self.app_per_minute = per_minute;
        self
    }

    /// Serves `n` sales invoices of three lines each that are never stored: each page of
    /// `GET /Invoices` is generated when asked for, so a load test can read a million of them
    /// without the simulator holding them. They replace the stored invoices in listings
    /// (writes still go to the store); the `i`th (from 0), `INV-G0000000`, was updated at
    /// 2020-01-01T00:00:00Z plus `i` seconds, which `If-Modified-Since` and paging follow;
    /// `where` is not applied (they are all `ACCREC`, `AUTHORISED`, for Bayside Club).
    pub fn generated_invoices(mut self, n: usize) -> Self {
        self.generated_invoices = n;
        self
    }

    /// Sets how long access tokens live (30 minutes).
    pub fn access_ttl(mut self, ttl: Duration) -> Self {
        self.access_ttl = ttl;
        self
    }

    /// Listens on this port of 127.0.0.1 (0, the default: any free port).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Starts the server.
    pub async fn start(self) -> std::io::Result<XeroSimulator> {
        let faults = Faults::new();
        let journal = Journal::new();
        let clock = SimClock::from_system_time();
        let store = SimStore::new(clock);
        let stamp = |meta: &connector_core::simulator::RecordMeta, value: &mut Value| {
            value["UpdatedDateUTC"] = json!(dates::format_ms_json(meta.updated_at));
        };
        let coll = |name: &str, id: &str| {
            store.collection_with(
                name,
                CollectionOptions::new().id_field(id).guid_ids().stamp(stamp),
            )
        };
        let tokens = TokenIssuer::new().access_ttl(self.access_ttl).linked_to(&faults);
        let state = Arc::new(State {
            contacts: coll("Contacts", "ContactID"),
            items: coll("Items", "ItemID"),
            invoices: coll("Invoices", "InvoiceID"),
            quotes: coll("Quotes", "QuoteID"),
            tokens,
            codes: Mutex::new(vec![AUTH_CODE.to_owned()]),
            idempotency: Mutex::new(HashMap::new()),
            page_size_default: self.page_size_default,
            generated_invoices: self.generated_invoices,
        });
        if self.demo {
            state.seed_demo();
        }
        let limiter = RateLimiter::builder()
            .key_header("xero-tenant-id")
            .per_minute(self.per_minute)
            .per_day(self.per_day)
            .max_concurrent(self.concurrent)
            .shared_window(APP_MINUTE, self.app_per_minute, Duration::from_secs(60))
            .on_limited(|hit| {
                limit_headers(
                    &hit.snapshot,
                    SimResponse::text(429, "")
                        .with_header("Retry-After", hit.retry_after_secs())
                        .with_header("X-Rate-Limit-Problem", &hit.window),
                )
            })
            .on_response(limit_headers)
            .build();
        let initial = state.tokens.issue(CLIENT_ID);
        let server = SimServer::builder_shared(state.clone())
            .faults(faults)
            .journal(journal)
            .rate_limiter(limiter)
            .port(self.port)
            .start()
            .await?;
        Ok(XeroSimulator {
            server,
            state,
            initial_refresh: initial.refresh_token.unwrap_or_default(),
        })
    }
}

/// A running simulator.
pub struct XeroSimulator {
    server: SimServer,
    state: Arc<State>,
    initial_refresh: String,
}

impl fmt::Debug for XeroSimulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("XeroSimulator")
            .field("base_url", &self.server.base_url())
            .finish_non_exhaustive()
    }
}

impl XeroSimulator {
    /// A builder (demo data, Xero's real limits).
    pub fn builder() -> XeroSimulatorBuilder {
        XeroSimulatorBuilder::default()
    }

    /// Starts with the demo data and Xero's real limits.
    pub async fn start() -> std::io::Result<Self> {
        Self::builder().start().await
    }

    /// The server's base URL.
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    /// A configuration pointing at this simulator, with a valid refresh token and the demo
    /// tenant chosen by id.
    pub fn config(&self) -> XeroConfig {
        let mut c = XeroConfig::new(CLIENT_ID, SecretString::from(CLIENT_SECRET));
        c.refresh_token = Some(SecretString::from(self.initial_refresh.clone()));
        c.tenant = TenantSelector::Id(TENANT_ID.to_owned());
        c.api_url = self.server.url("/api.xro/2.0");
        c.token_url = self.server.url("/connect/token");
        c.connections_url = self.server.url("/connections");
        c.rep_tracking_category = Some("Sales Rep".to_owned());
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

    /// The contacts.
    pub fn contacts(&self) -> &Collection {
        &self.state.contacts
    }

    /// The items.
    pub fn items(&self) -> &Collection {
        &self.state.items
    }

    /// The invoices (sales and bills).
    pub fn invoices(&self) -> &Collection {
        &self.state.invoices
    }

    /// The quotes.
    pub fn quotes(&self) -> &Collection {
        &self.state.quotes
    }

    /// Archives a contact, as a user would in Xero.
    pub fn archive_contact(&self, id: &str) {
        let _ = self.state.contacts.update(id, &json!({"ContactStatus": "ARCHIVED"}));
    }

    /// Adds `n` sales invoices with three lines each (for load tests), numbered from
    /// `INV-B000001`.
    pub fn seed_invoices(&self, n: usize) {
        for i in 0..n {
            let text = format!(
                r#"{{"Type":"ACCREC","InvoiceNumber":"INV-B{i:06}","Reference":"bulk","Contact":{{"ContactID":"5b96e86b-418e-48e8-8949-308c14aec278","Name":"Bayside Club"}},"Date":"/Date(1573689600000+0000)/","DueDate":"/Date(1575417600000+0000)/","Status":"AUTHORISED","LineAmountTypes":"Exclusive","LineItems":[{{"ItemCode":"GB1-WHITE","Description":"Golf ball","Quantity":3.0000,"UnitAmount":5.9500,"TaxType":"OUTPUT2","TaxAmount":2.68,"LineAmount":17.85,"AccountCode":"200"}},{{"ItemCode":"UMB-1","Description":"Umbrella","Quantity":1.0000,"UnitAmount":19.9875,"TaxType":"OUTPUT2","TaxAmount":3.00,"LineAmount":19.99,"AccountCode":"200"}},{{"ItemCode":"LESSON-30","Description":"Lesson","Quantity":1.0000,"UnitAmount":45.0000,"TaxType":"OUTPUT2","TaxAmount":6.75,"LineAmount":45.00,"AccountCode":"200"}}],"SubTotal":82.84,"TotalTax":12.43,"Total":95.27,"AmountDue":95.27,"CurrencyCode":"NZD"}}"#
            );
            let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            let _ = self.state.invoices.insert(v);
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

/// The app-wide window's name, which is also its `X-Rate-Limit-Problem` value.
const APP_MINUTE: &str = "appminute";

/// The "remaining" headers Xero sends on every answer.
fn limit_headers(snap: &RateLimitSnapshot, resp: SimResponse) -> SimResponse {
    let mut resp = resp;
    for (window, header) in [
        ("minute", "X-MinLimit-Remaining"),
        ("day", "X-DayLimit-Remaining"),
        (APP_MINUTE, "X-AppMinLimit-Remaining"),
    ] {
        if let Some(n) = snap.remaining(window) {
            resp = resp.with_header(header, n);
        }
    }
    resp
}

struct State {
    contacts: Collection,
    items: Collection,
    invoices: Collection,
    quotes: Collection,
    tokens: TokenIssuer,
    codes: Mutex<Vec<String>>,
    idempotency: Mutex<HashMap<String, SimResponse>>,
    page_size_default: usize,
    generated_invoices: usize,
}

/// When generated invoice 0 was updated (2020-01-01T00:00:00Z), in epoch milliseconds; the
/// `i`th was updated `i` seconds later.
const GENERATED_BASE_MS: i64 = 1_577_836_800_000;

/// Generated invoice `i` as Xero sends it, appended to `out`.
fn generated_invoice(out: &mut String, i: u64) {
    use std::fmt::Write as _;
    let updated = GENERATED_BASE_MS + i as i64 * 1000;
    let _ = write!(
        out,
        r#"{{"Type":"ACCREC","InvoiceID":"6e0a1f2b-0000-4000-8000-{i:012}","InvoiceNumber":"INV-G{i:07}","Reference":"generated","Contact":{{"ContactID":"5b96e86b-418e-48e8-8949-308c14aec278","ContactNumber":"C-1001","Name":"Bayside Club"}},"Date":"/Date(1573689600000+0000)/","DueDate":"/Date(1575417600000+0000)/","Status":"AUTHORISED","LineAmountTypes":"Exclusive","LineItems":[{{"LineItemID":"7a1b2c3d-0001-4000-8000-{i:012}","ItemCode":"GB1-WHITE","Description":"Golf ball","Quantity":3.0000,"UnitAmount":5.9500,"TaxType":"OUTPUT2","TaxAmount":2.68,"LineAmount":17.85,"AccountCode":"200"}},{{"LineItemID":"7a1b2c3d-0002-4000-8000-{i:012}","ItemCode":"UMB-1","Description":"Umbrella","Quantity":1.0000,"UnitAmount":19.9875,"TaxType":"OUTPUT2","TaxAmount":3.00,"LineAmount":19.99,"AccountCode":"200"}},{{"LineItemID":"7a1b2c3d-0003-4000-8000-{i:012}","ItemCode":"LESSON-30","Description":"Lesson","Quantity":1.0000,"UnitAmount":45.0000,"TaxType":"OUTPUT2","TaxAmount":6.75,"LineAmount":45.00,"AccountCode":"200"}}],"SubTotal":82.84,"TotalTax":12.43,"Total":95.27,"AmountDue":95.27,"AmountPaid":0.00,"CurrencyCode":"NZD","UpdatedDateUTC":"/Date({updated}+0000)/"}}"#
    );
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

fn envelope(collection: &str, items: Vec<Value>, pagination: Option<Value>) -> SimResponse {
    let mut m = Map::new();
    m.insert("Id".into(), json!(new_guid()));
    m.insert("Status".into(), json!("OK"));
    m.insert("ProviderName".into(), json!("Connector SDK simulator"));
    m.insert("DateTimeUTC".into(), json!(format!("/Date({})/", Utc::now().timestamp_millis())));
    if let Some(p) = pagination {
        m.insert("pagination".into(), p);
    }
    m.insert(collection.into(), Value::Array(items));
    SimResponse::json(200, Value::Object(m))
}

fn new_guid() -> String {
    let a = fastrand_u128();
    let h = format!("{a:032x}");
    format!("{}-{}-4{}-a{}-{}", &h[0..8], &h[8..12], &h[13..16], &h[17..20], &h[20..32])
}

fn fastrand_u128() -> u128 {
    use std::collections::hash_map::RandomState;
    use std::hash::{BuildHasher, Hasher};
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut h1 = RandomState::new().build_hasher();
    h1.write_u64(n);
    let mut h2 = RandomState::new().build_hasher();
    h2.write_u64(n.rotate_left(17));
    (u128::from(h1.finish()) << 64) | u128::from(h2.finish())
}

fn unauthorized(detail: &str) -> SimResponse {
    SimResponse::raw_json(
        401,
        &format!(r#"{{"Type":null,"Title":"Unauthorized","Status":401,"Detail":"{detail}","Instance":"{}","Extensions":{{}}}}"#, new_guid()),
    )
    .with_header("WWW-Authenticate", "Bearer error=\"invalid_token\"")
}

fn forbidden() -> SimResponse {
    SimResponse::raw_json(
        403,
        &format!(
            r#"{{"Type":null,"Title":"Forbidden","Status":403,"Detail":"AuthenticationUnsuccessful","Instance":"{}","Extensions":{{}}}}"#,
            new_guid()
        ),
    )
}

fn not_found() -> SimResponse {
    SimResponse::raw_json(
        404,
        r#"{"Title":"NotFound","Status":404,"Detail":"The resource you're looking for cannot be found"}"#,
    )
}

fn validation_exception(elements: Vec<Value>) -> SimResponse {
    SimResponse::json(
        400,
        json!({
            "ErrorNumber": 10,
            "Type": "ValidationException",
            "Message": "A validation exception occurred",
            "Elements": elements,
        }),
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
    serde_json::from_str(&d.to_string()).unwrap_or(Value::Null)
}

fn tax_rate(tax_type: Option<&str>) -> Decimal {
    match tax_type {
        Some("NONE") | Some("EXEMPTOUTPUT") | Some("ZERORATEDOUTPUT") => Decimal::ZERO,
        _ => Decimal::new(15, 2),
    }
}

/// `where` expressions: `A==“x”`, `A!=null`, `A.ToLower()==“x”`, `A.StartsWith(“x”)`, with
/// `&&`, `||` and parentheses.
mod filter {
    use serde_json::Value;

    #[derive(Debug)]
    pub enum Expr {
        And(Box<Expr>, Box<Expr>),
        Or(Box<Expr>, Box<Expr>),
        Eq(String, bool, String),
        NotNull(String),
        StartsWith(String, String),
    }

    pub fn parse(s: &str) -> Option<Expr> {
        let mut p = P { s: s.as_bytes(), i: 0 };
        let e = p.or()?;
        p.ws();
        (p.i == p.s.len()).then_some(e)
    }

    struct P<'a> {
        s: &'a [u8],
        i: usize,
    }

    impl P<'_> {
        fn ws(&mut self) {
            while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
                self.i += 1;
            }
        }
        fn eat(&mut self, t: &str) -> bool {
            self.ws();
            if self.s[self.i..].starts_with(t.as_bytes()) {
                self.i += t.len();
                true
            } else {
                false
            }
        }
        fn or(&mut self) -> Option<Expr> {
            let mut l = self.and()?;
            while self.eat("||") {
                l = Expr::Or(Box::new(l), Box::new(self.and()?));
            }
            Some(l)
        }
        fn and(&mut self) -> Option<Expr> {
            let mut l = self.atom()?;
            while self.eat("&&") {
                l = Expr::And(Box::new(l), Box::new(self.atom()?));
            }
            Some(l)
        }
        fn ident(&mut self) -> Option<String> {
            self.ws();
            let start = self.i;
            while self.i < self.s.len()
                && (self.s[self.i].is_ascii_alphanumeric() || self.s[self.i] == b'_')
            {
                self.i += 1;
            }
            (self.i > start).then(|| String::from_utf8_lossy(&self.s[start..self.i]).into_owned())
        }
        fn string(&mut self) -> Option<String> {
            self.ws();
            if self.s.get(self.i) != Some(&b'"') {
                return None;
            }
            self.i += 1;
            let mut out = Vec::new();
            while self.i < self.s.len() {
                match self.s[self.i] {
                    b'\\' if self.i + 1 < self.s.len() => {
                        out.push(self.s[self.i + 1]);
                        self.i += 2;
                    }
                    b'"' => {
                        self.i += 1;
                        return Some(String::from_utf8_lossy(&out).into_owned());
                    }
                    c => {
                        out.push(c);
                        self.i += 1;
                    }
                }
            }
            None
        }
        fn atom(&mut self) -> Option<Expr> {
            if self.eat("(") {
                let e = self.or()?;
                return self.eat(")").then_some(e);
            }
            let field = self.ident()?;
            if self.eat(".ToLower()") {
                if !self.eat("==") {
                    return None;
                }
                return Some(Expr::Eq(field, true, self.string()?));
            }
            if self.eat(".StartsWith(") {
                let v = self.string()?;
                return self.eat(")").then_some(Expr::StartsWith(field, v));
            }
            if self.eat("!=") {
                return self.eat("null").then_some(Expr::NotNull(field));
            }
            if self.eat("==") {
                return Some(Expr::Eq(field, false, self.string()?));
            }
            None
        }
    }

    pub fn eval(e: &Expr, v: &Value) -> bool {
        let text = |f: &str| v.get(f).and_then(Value::as_str).map(str::to_owned);
        match e {
            Expr::And(a, b) => eval(a, v) && eval(b, v),
            Expr::Or(a, b) => eval(a, v) || eval(b, v),
            Expr::NotNull(f) => v.get(f).is_some_and(|x| !x.is_null()),
            Expr::Eq(f, lower, want) => {
                text(f).is_some_and(|t| if *lower { t.to_lowercase() == *want } else { t == *want })
            }
            Expr::StartsWith(f, p) => text(f).is_some_and(|t| t.starts_with(p.as_str())),
        }
    }
}

fn updated(r: &Record) -> DateTime<Utc> {
    r.updated_at
}

impl State {
    fn seed_demo(&self) {
        seed(&self.contacts, "ContactID", DEMO_CONTACTS);
        seed(&self.items, "ItemID", DEMO_ITEMS);
        seed(&self.invoices, "InvoiceID", DEMO_INVOICES);
        seed(&self.quotes, "QuoteID", DEMO_QUOTES);
    }

    fn token(&self, req: &SimRequest) -> SimResponse {
        let form = req.form();
        let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        let expected = format!("Basic {}", base64(&format!("{CLIENT_ID}:{CLIENT_SECRET}")));
        if req.header("authorization") != Some(expected.as_str()) {
            return SimResponse::json(400, json!({"error": "invalid_client"}));
        }
        match get("grant_type").as_deref() {
            Some("refresh_token") => {
                match self.tokens.refresh(&get("refresh_token").unwrap_or_default()) {
                    Ok(t) => SimResponse::json(200, with_scope(t.to_json())),
                    Err(e) => e.to_response(true),
                }
            }
            Some("authorization_code") => {
                let code = get("code").unwrap_or_default();
                let mut codes = lock(&self.codes);
                match codes.iter().position(|c| *c == code) {
                    Some(i) => {
                        codes.remove(i);
                        SimResponse::json(200, with_scope(self.tokens.issue(CLIENT_ID).to_json()))
                    }
                    None => SimResponse::json(400, json!({"error": "invalid_grant"})),
                }
            }
            _ => SimResponse::json(400, json!({"error": "unsupported_grant_type"})),
        }
    }

    fn connections() -> SimResponse {
        SimResponse::raw_json(
            200,
            &format!(
                r#"[{{"id":"e1eede29-f875-4a5d-8470-17f6a29a88b1","authEventId":"d99ecdfe-391d-43d2-b834-17636ba90e8d","tenantId":"{TENANT_ID}","tenantType":"ORGANISATION","tenantName":"{TENANT_NAME}","createdDateUtc":"2019-07-09T23:40:30.1833130","updatedDateUtc":"2020-05-15T01:35:13.8491980"}},
                   {{"id":"3a1f0c52-7d4e-4f6b-9a8c-2b1d0e9f8a7b","authEventId":"d99ecdfe-391d-43d2-b834-17636ba90e8d","tenantId":"{OTHER_TENANT_ID}","tenantType":"ORGANISATION","tenantName":"Acme Widgets Ltd","createdDateUtc":"2020-01-02T03:04:05.0000000","updatedDateUtc":"2020-01-02T03:04:05.0000000"}}]"#
            ),
        )
    }

    fn list(
        &self,
        req: &SimRequest,
        name: &str,
        coll: &Collection,
        paged: bool,
        page_size_param: bool,
    ) -> SimResponse {
        let since = req.header("if-modified-since").and_then(|h| dates::parse_instant(h).ok());
        let archived = req.query("includeArchived").is_some_and(|v| v.eq_ignore_ascii_case("true"));
        let expr = match req.query("where") {
            Some(w) => match filter::parse(w) {
                Some(e) => Some(e),
                None => {
                    return validation_exception(vec![
                        json!({"ValidationErrors":[{"Message": format!("The where clause {w:?} could not be parsed")}]}),
                    ]);
                }
            },
            None => None,
        };
        let contacts = name == "Contacts";
        let mut select = coll.select();
        if let Some(t) = since {
            select = select.changed_since(t);
        }
        if contacts && !archived {
            select = select.filter(|r| r.value["ContactStatus"].as_str() != Some("ARCHIVED"));
        }
        let mut rows: Vec<Record> = select.all();
        if let Some(e) = &expr {
            rows.retain(|r| filter::eval(e, &r.value));
        }
        if req.query("order").is_some_and(|o| o.trim().eq_ignore_ascii_case("UpdatedDateUTC ASC")) {
            rows.sort_by_key(updated);
        }
        let page = req.query("page").and_then(|p| p.parse::<usize>().ok());
        match (paged, page) {
            (true, Some(page)) => {
                let size = if page_size_param {
                    req.query("pageSize")
                        .and_then(|p| p.parse::<usize>().ok())
                        .unwrap_or(self.page_size_default)
                        .clamp(1, 1000)
                } else {
                    100
                };
                let total = rows.len();
                let start = (page.max(1) - 1).saturating_mul(size).min(total);
                let end = (start + size).min(total);
                let items: Vec<Value> = rows[start..end].iter().map(|r| r.value.clone()).collect();
                let pages = total.div_ceil(size);
                envelope(
                    name,
                    items,
                    Some(
                        json!({"page": page, "pageSize": size, "pageCount": pages, "itemCount": total}),
                    ),
                )
            }
            _ => envelope(name, rows.into_iter().map(|r| r.value).collect(), None),
        }
    }

    /// A page of the generated invoices (see [`XeroSimulatorBuilder::generated_invoices`]),
    /// built as text when asked for.
    fn generated_page(&self, req: &SimRequest) -> SimResponse {
        use std::fmt::Write as _;
        let n = self.generated_invoices as u64;
        // The first invoice updated at or after `If-Modified-Since`.
        let first = req
            .header("if-modified-since")
            .and_then(|h| dates::parse_instant(h).ok())
            .map_or(0, |t| {
                let ms = t.timestamp_millis() - GENERATED_BASE_MS;
                if ms <= 0 { 0 } else { (ms as u64).div_ceil(1000) }
            })
            .min(n);
        let total = n - first;
        let size = req
            .query("pageSize")
            .and_then(|p| p.parse::<u64>().ok())
            .unwrap_or(self.page_size_default as u64)
            .clamp(1, 1000);
        let page = req.query("page").and_then(|p| p.parse::<u64>().ok()).unwrap_or(1).max(1);
        let start = first.saturating_add((page - 1).saturating_mul(size)).min(n);
        let end = start.saturating_add(size).min(n);
        let mut body = String::with_capacity(256 + (end - start) as usize * 1400);
        let _ = write!(
            body,
            r#"{{"Id":"{}","Status":"OK","ProviderName":"Connector SDK simulator","DateTimeUTC":"/Date({})/","pagination":{{"page":{page},"pageSize":{size},"pageCount":{},"itemCount":{total}}},"Invoices":["#,
            new_guid(),
            Utc::now().timestamp_millis(),
            total.div_ceil(size),
        );
        for i in start..end {
            if i > start {
                body.push(',');
            }
            generated_invoice(&mut body, i);
        }
        body.push_str("]}");
        SimResponse::raw_json(200, &body)
    }

    fn post(&self, req: &SimRequest, name: &str) -> SimResponse {
        let key = req.header("idempotency-key").map(|k| format!("{name}:{k}"));
        if let Some(k) = &key {
            if let Some(r) = lock(&self.idempotency).get(k) {
                return r.clone();
            }
        }
        let body = match req.json_value() {
            Ok(b) => b,
            Err(e) => {
                return validation_exception(vec![
                    json!({"ValidationErrors":[{"Message": format!("The request body is not JSON: {e}")}]}),
                ]);
            }
        };
        let rows = match body.get(name) {
            Some(Value::Array(a)) => a.clone(),
            _ => vec![body.clone()],
        };
        let summarize =
            !req.query("summarizeErrors").is_some_and(|v| v.eq_ignore_ascii_case("false"));
        let mut out = Vec::new();
        let mut any_error = false;
        for row in rows {
            let result = match name {
                "Contacts" => self.save_contact(row.clone()),
                "Invoices" => self.save_document(row.clone(), "Invoices"),
                "Quotes" => self.save_document(row.clone(), "Quotes"),
                _ => Err(vec!["unsupported".to_owned()]),
            };
            match result {
                Ok(mut saved) => {
                    if name == "Contacts" {
                        saved["HasValidationErrors"] = json!(false);
                    } else {
                        saved["HasErrors"] = json!(false);
                    }
                    out.push(saved);
                }
                Err(messages) => {
                    any_error = true;
                    let mut el = row;
                    let errs: Vec<Value> = messages.iter().map(|m| json!({"Message": m})).collect();
                    if name == "Contacts" {
                        el["HasValidationErrors"] = json!(true);
                    } else {
                        el["HasErrors"] = json!(true);
                    }
                    el["ValidationErrors"] = Value::Array(errs);
                    el["StatusAttributeString"] = json!("ERROR");
                    out.push(el);
                }
            }
        }
        let resp = if any_error && summarize {
            validation_exception(
                out.into_iter().filter(|e| e.get("ValidationErrors").is_some()).collect(),
            )
        } else {
            envelope(name, out, None)
        };
        if let Some(k) = key {
            lock(&self.idempotency).insert(k, resp.clone());
        }
        resp
    }

    fn save_contact(&self, row: Value) -> Result<Value, Vec<String>> {
        let id = row["ContactID"].as_str().map(str::to_owned);
        let existing = id.as_ref().and_then(|i| self.contacts.get(i));
        if id.is_some() && existing.is_none() {
            return Err(vec![format!("The ContactID {} does not exist", id.unwrap_or_default())]);
        }
        let name = row["Name"].as_str().map(str::trim).map(str::to_owned);
        let mut errors = Vec::new();
        if existing.is_none() && name.as_deref().is_none_or(str::is_empty) {
            errors.push("The contact name must be specified.".to_owned());
        }
        if let Some(n) = name.as_deref().filter(|n| !n.is_empty()) {
            let clash = self.contacts.find(|r| {
                r.value["Name"].as_str() == Some(n)
                    && Some(r.id.as_str()) != id.as_deref()
                    && r.value["ContactStatus"].as_str() != Some("ARCHIVED")
            });
            if clash.is_some() {
                errors.push(format!(
                    "The contact name {n} is already assigned to another contact. The contact name must be unique across all active contacts."
                ));
            }
        }
        if let Some(e) = row["EmailAddress"].as_str() {
            if !e.is_empty() && !e.contains('@') {
                errors.push("Email address must be valid.".to_owned());
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let saved = match existing {
            Some(r) => self.contacts.update(&r.id, &row),
            None => {
                let mut row = row;
                if row.get("ContactStatus").is_none() {
                    row["ContactStatus"] = json!("ACTIVE");
                }
                self.contacts.insert(row)
            }
        };
        saved.map(|r| r.value).map_err(|e| vec![e.to_string()])
    }

    fn save_document(&self, row: Value, name: &str) -> Result<Value, Vec<String>> {
        let (coll, id_field, number_field, prefix) = if name == "Quotes" {
            (&self.quotes, "QuoteID", "QuoteNumber", "QU-")
        } else {
            (&self.invoices, "InvoiceID", "InvoiceNumber", "INV-")
        };
        let id = row[id_field].as_str().map(str::to_owned);
        let existing = id.as_ref().and_then(|i| coll.get(i));
        if id.is_some() && existing.is_none() {
            return Err(vec![format!("{id_field} {} could not be found", id.unwrap_or_default())]);
        }
        if let Some(r) = &existing {
            // A status change alone (DELETED, VOIDED) on an existing document.
            if row.get("LineItems").is_none() {
                let from = r.value["Status"].as_str().unwrap_or_default();
                let to = row["Status"].as_str().unwrap_or(from);
                if to == "DELETED" && !matches!(from, "DRAFT" | "SUBMITTED") {
                    return Err(vec![format!("Document cannot be deleted as it is {from}")]);
                }
                return coll
                    .update(&r.id, &json!({"Status": to}))
                    .map(|r| r.value)
                    .map_err(|e| vec![e.to_string()]);
            }
        }
        let mut errors = Vec::new();
        let mut doc = row.clone();
        // The contact: by id, by number, or by name (Xero creates a contact for a new name).
        let c = &row["Contact"];
        let contact = if let Some(cid) = c["ContactID"].as_str() {
            self.contacts.get(cid)
        } else if let Some(n) = c["ContactNumber"].as_str() {
            self.contacts.find(|r| r.value["ContactNumber"].as_str() == Some(n))
        } else if let Some(n) = c["Name"].as_str() {
            self.contacts.find(|r| r.value["Name"].as_str() == Some(n))
        } else {
            None
        };
        match contact {
            Some(r) => {
                doc["Contact"] = json!({"ContactID": r.id, "ContactNumber": r.value["ContactNumber"], "Name": r.value["Name"]})
            }
            None => {
                errors.push("A Contact must be specified for this type of transaction".to_owned())
            }
        }
        if row["Date"].as_str().is_none() {
            errors.push("Date is required".to_owned());
        }
        let inclusive =
            row["LineAmountTypes"].as_str().is_some_and(|t| t.eq_ignore_ascii_case("Inclusive"));
        let lines = row["LineItems"].as_array().cloned().unwrap_or_default();
        if lines.is_empty() {
            errors.push("At least one line item is required".to_owned());
        }
        let (mut sub, mut tax) = (Decimal::ZERO, Decimal::ZERO);
        let mut out_lines = Vec::new();
        for (i, l) in lines.into_iter().enumerate() {
            let mut l = l;
            if let Some(code) = l["ItemCode"].as_str() {
                if self.items.find(|r| r.value["Code"].as_str() == Some(code)).is_none() {
                    errors.push(format!("Item code '{code}' is not valid"));
                }
            }
            let qty = dec(&l["Quantity"]);
            let unit = dec(&l["UnitAmount"]);
            if l.get("Quantity").is_none() && l.get("UnitAmount").is_none() {
                out_lines.push(l); // a description-only line
                continue;
            }
            let (Some(q), Some(u)) = (qty, unit) else {
                errors.push(format!("Line {}: Quantity and UnitAmount must be numbers", i + 1));
                continue;
            };
            let disc = dec(&l["DiscountRate"]).unwrap_or_default();
            let amount = (q * u * (Decimal::ONE_HUNDRED - disc) / Decimal::ONE_HUNDRED).round_dp(2);
            let rate = tax_rate(l["TaxType"].as_str());
            let t = if inclusive {
                (amount - amount / (Decimal::ONE + rate)).round_dp(2)
            } else {
                (amount * rate).round_dp(2)
            };
            l["LineAmount"] = num(amount);
            l["TaxAmount"] = num(t);
            l["LineItemID"] = json!(new_guid());
            if inclusive {
                sub += amount - t
            } else {
                sub += amount
            }
            tax += t;
            out_lines.push(l);
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        doc["LineItems"] = Value::Array(out_lines);
        doc["SubTotal"] = num(sub);
        doc["TotalTax"] = num(tax);
        doc["Total"] = num(sub + tax);
        if name == "Invoices" {
            doc["AmountDue"] = num(sub + tax);
            doc["AmountPaid"] = num(Decimal::ZERO);
        }
        if doc["Status"].as_str().is_none() {
            doc["Status"] = json!("DRAFT");
        }
        if doc["CurrencyCode"].as_str().is_none() {
            doc["CurrencyCode"] = json!("NZD");
        }
        for f in ["Date", "DueDate", "ExpiryDate"] {
            if let Some(d) = doc[f].as_str().and_then(|s| dates::parse_date(s).ok()) {
                let ms = d
                    .and_hms_opt(0, 0, 0)
                    .map(|t| t.and_utc().timestamp_millis())
                    .unwrap_or_default();
                doc[f] = json!(format!("/Date({ms}+0000)/"));
            }
        }
        let saved = match existing {
            Some(r) => coll.update(&r.id, &doc),
            None => {
                if doc[number_field].as_str().is_none_or(str::is_empty) {
                    doc[number_field] = json!(format!("{prefix}{:04}", coll.len() + 1));
                }
                coll.insert(doc)
            }
        };
        saved.map(|r| r.value).map_err(|e| vec![e.to_string()])
    }

    fn api(&self, req: &SimRequest, rest: &str) -> SimResponse {
        match req.bearer_token().map(|t| self.tokens.validate(t)) {
            Some(Ok(_)) => {}
            Some(Err(_)) => {
                return unauthorized(&format!(
                    "TokenExpired: token expired at {}",
                    Utc::now().format("%m/%d/%Y %H:%M:%S")
                ));
            }
            None => return unauthorized("AuthenticationUnsuccessful"),
        }
        match req.header("xero-tenant-id") {
            Some(t) if t == TENANT_ID || t == OTHER_TENANT_ID => {}
            _ => return forbidden(),
        }
        let other = req.header("xero-tenant-id") == Some(OTHER_TENANT_ID);
        let get = req.method == Method::GET;
        let post = req.method == Method::POST || req.method == Method::PUT;
        match rest {
            "Organisation" if get => {
                let (id, name) = if other {
                    (OTHER_TENANT_ID, "Acme Widgets Ltd")
                } else {
                    (TENANT_ID, TENANT_NAME)
                };
                SimResponse::raw_json(
                    200,
                    &format!(
                        r#"{{"Id":"{}","Status":"OK","ProviderName":"Connector SDK simulator","DateTimeUTC":"/Date({})/","Organisations":[{{"APIKey":"","Name":"{name}","LegalName":"{name}","PaysTax":true,"Version":"NZ","OrganisationType":"COMPANY","BaseCurrency":"NZD","CountryCode":"NZ","IsDemoCompany":true,"OrganisationStatus":"ACTIVE","OrganisationID":"{id}","ShortCode":"!sim01","Timezone":"NEWZEALANDSTANDARDTIME"}}]}}"#,
                        new_guid(),
                        Utc::now().timestamp_millis()
                    ),
                )
            }
            _ if other => envelope(rest, Vec::new(), None),
            "TrackingCategories" if get => SimResponse::raw_json(200, TRACKING),
            "Contacts" if get => self.list(req, "Contacts", &self.contacts, true, true),
            "Items" if get => self.list(req, "Items", &self.items, false, false),
            "Invoices" if get && self.generated_invoices > 0 => self.generated_page(req),
            "Invoices" if get => self.list(req, "Invoices", &self.invoices, true, true),
            "Quotes" if get => self.list(req, "Quotes", &self.quotes, true, false),
            "Contacts" | "Invoices" | "Quotes" if post => self.post(req, rest),
            _ => not_found(),
        }
    }
}

fn with_scope(mut v: Value) -> Value {
    v["scope"] = json!(
        "openid profile email accounting.transactions accounting.contacts accounting.settings offline_access"
    );
    v
}

fn base64(s: &str) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let b = s.as_bytes();
    let mut out = String::new();
    for chunk in b.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[async_trait]
impl SimHandler for State {
    async fn handle(&self, req: SimRequest) -> SimResponse {
        let path = req.path.clone();
        if path == "/connect/token" && req.method == Method::POST {
            return self.token(&req);
        }
        if path == "/connections" && req.method == Method::GET {
            return match req.bearer_token().map(|t| self.tokens.validate(t)) {
                Some(Ok(_)) => Self::connections(),
                _ => unauthorized("AuthenticationUnsuccessful"),
            };
        }
        match path.strip_prefix("/api.xro/2.0/") {
            Some(rest) => self.api(&req, rest.trim_end_matches('/')),
            None => not_found(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648() {
        assert_eq!(base64("f"), "Zg==");
        assert_eq!(base64("fo"), "Zm8=");
        assert_eq!(base64("foo"), "Zm9v");
        assert_eq!(base64("a:b"), "YTpi");
    }

    #[test]
    fn where_expressions() {
        let v = json!({"Name": "A \"B\"", "Reference": "SO-1 / JD", "EmailAddress": "X@Y.example"});
        let e = filter::parse(r#"Name=="A \"B\"""#).unwrap();
        assert!(filter::eval(&e, &v));
        let e = filter::parse(r#"Reference=="SO-1"||Reference.StartsWith("SO-1 / ")"#).unwrap();
        assert!(filter::eval(&e, &v));
        let e =
            filter::parse(r#"EmailAddress!=null&&EmailAddress.ToLower()=="x@y.example""#).unwrap();
        assert!(filter::eval(&e, &v));
        let e = filter::parse(r#"Type=="ACCREC"&&(Reference=="SO-1")"#).unwrap();
        assert!(!filter::eval(&e, &v));
        assert!(filter::parse("Name==").is_none());
    }

    #[test]
    fn generated_invoices_are_valid_json() {
        let mut s = String::new();
        generated_invoice(&mut s, 42);
        let v: Value = serde_json::from_str(&s).unwrap();
        assert_eq!(v["InvoiceNumber"], "INV-G0000042");
        assert_eq!(v["UpdatedDateUTC"], "/Date(1577836842000+0000)/");
    }

    #[test]
    fn demo_data_is_valid_json() {
        for t in [DEMO_CONTACTS, DEMO_ITEMS, DEMO_INVOICES, DEMO_QUOTES, TRACKING] {
            serde_json::from_str::<Value>(t).unwrap();
        }
    }
}
