//! Sources: `Account` (with its `Contacts`) → Customer, `Order` (with its `OrderItems`) →
//! Order, `Product2` → Product.
//!
//! Changes are read by SOQL ordered by `(SystemModstamp, Id)` from a composite cursor
//! (`WHERE SystemModstamp > t OR (SystemModstamp = t AND Id > 'id')`), so a batch boundary
//! inside one instant loses nothing. Deletions come from `sobjects/{Type}/deleted/`, which
//! keeps 15 days: a cursor older than what Salesforce still holds makes the read a full
//! resync (every record again and a snapshot end, so the engine sees what disappeared), and
//! the log says so plainly. Cursor: `<SystemModstamp>|<Id>|<deletes covered until>`.
//!
//! The fields read follow the org (`describe`): the configured number and SKU fields, and
//! `BillingCountryCode` only where the org has country picklists (else `BillingCountry`).

use std::str::FromStr;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Duration as ChronoDuration, Utc};
use connector_core::http::{dates, now_utc};
use connector_core::model::{
    Address, AddressKind, ContactKind, ContactPerson, Currency, Customer, CustomerKind,
    DocumentLine, Email, EntityRef, Lifecycle, Money, Order, OrderStatus, Phone, Product,
    ProductKind,
};
use connector_core::source::{
    Change, ChangeDetection, Cursor, DeleteSignal, ReadMode, Rejected, Source, SourceCapabilities,
};
use connector_core::{EntityKind, Error, Result};
use futures_util::stream::{self, BoxStream, StreamExt};
use rust_decimal::Decimal;
use serde_json::Value;

use crate::client::{NAME, SalesforceClient, id18, literal};

/// How far back `deleted/` reaches.
pub const DELETE_WINDOW_DAYS: i64 = 15;

/// Where a listing stands.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SfCursor {
    /// The last `SystemModstamp` delivered.
    pub at: Option<DateTime<Utc>>,
    /// The last `Id` delivered at `at`.
    pub id: String,
    /// Deletions are covered until here (`latestDateCovered`).
    pub deletes_until: Option<DateTime<Utc>>,
}

impl SfCursor {
    /// Parses `<at>|<id>|<deletes until>`.
    pub fn parse(c: &Cursor) -> Result<Self> {
        let s = c.as_str().trim();
        if s.is_empty() {
            return Ok(Self::default());
        }
        let mut parts = s.split('|');
        let at = parts.next().filter(|p| !p.is_empty()).map(dates::parse_instant).transpose()?;
        let id = parts.next().unwrap_or_default().to_owned();
        let deletes_until =
            parts.next().filter(|p| !p.is_empty()).map(dates::parse_instant).transpose()?;
        Ok(Self { at, id, deletes_until })
    }

    /// The cursor's text.
    pub fn to_cursor(&self) -> Cursor {
        let f = |d: &Option<DateTime<Utc>>| d.map(dates::format_rfc3339).unwrap_or_default();
        Cursor::new(format!("{}|{}|{}", f(&self.at), self.id, f(&self.deletes_until)))
    }
}

/// Reads accounts, orders and products.
#[derive(Debug, Clone)]
pub struct SalesforceSource {
    client: SalesforceClient,
}

fn s(v: &Value, k: &str) -> Option<String> {
    let mut cur = v;
    for part in k.split('.') {
        cur = cur.get(part)?;
    }
    cur.as_str().map(str::trim).filter(|x| !x.is_empty()).map(str::to_owned)
}

fn dec(v: &Value, k: &str) -> Result<Option<Decimal>> {
    match v.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => Decimal::from_str(&n.to_string())
            .or_else(|_| Decimal::from_scientific(&n.to_string()))
            .map(Some)
            .map_err(|_| Error::invalid_field(k, format!("not a decimal: {n}"))),
        Some(other) => Err(Error::invalid_field(k, format!("not a number: {other}"))),
    }
}

fn children<'a>(v: &'a Value, rel: &str) -> &'a [Value] {
    v.get(rel)
        .and_then(|r| r.get("records"))
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn address(v: &Value, prefix: &str, kind: AddressKind) -> Option<Address> {
    let street = s(v, &format!("{prefix}Street"));
    let city = s(v, &format!("{prefix}City"));
    if street.is_none() && city.is_none() {
        return None;
    }
    Some(Address {
        kind,
        lines: street.map(|st| st.lines().map(str::to_owned).collect()).unwrap_or_default(),
        postal_code: s(v, &format!("{prefix}PostalCode")),
        city,
        region: s(v, &format!("{prefix}State")),
        country: s(v, &format!("{prefix}CountryCode"))
            .or_else(|| s(v, &format!("{prefix}Country"))),
        ..Address::default()
    })
}

fn modstamp(v: &Value) -> Result<DateTime<Utc>> {
    let raw =
        s(v, "SystemModstamp").ok_or_else(|| Error::invalid_field("SystemModstamp", "missing"))?;
    dates::parse_salesforce(&raw).map_err(|_| {
        Error::invalid_field("SystemModstamp", format!("not a Salesforce datetime: {raw}"))
    })
}

/// An account (with its contacts) as a customer.
pub fn customer(v: &Value, number_field: &str) -> Result<Customer> {
    let id = s(v, "Id").ok_or_else(|| Error::invalid_field("Id", "missing"))?;
    let name =
        s(v, "Name").ok_or_else(|| Error::invalid_field("Name", "the account has no name"))?;
    let mut c = Customer {
        number: s(v, number_field).or_else(|| s(v, "AccountNumber")),
        kind: CustomerKind::Company,
        name: Some(name),
        ..Customer::default()
    };
    c.phones.extend(s(v, "Phone").map(|n| Phone { number: n, kind: ContactKind::Work }));
    c.websites.extend(s(v, "Website"));
    c.addresses.extend(address(v, "Billing", AddressKind::Billing));
    c.addresses.extend(address(v, "Shipping", AddressKind::Shipping));
    for (i, ct) in children(v, "Contacts").iter().enumerate() {
        let email = s(ct, "Email");
        if i == 0 {
            if let Some(e) = &email {
                c.emails.push(Email { address: e.clone(), kind: ContactKind::Work, primary: true });
            }
        }
        c.contacts.push(ContactPerson {
            id: s(ct, "Id").map(|i| id18(&i)),
            first_name: s(ct, "FirstName"),
            last_name: s(ct, "LastName"),
            role: s(ct, "Title"),
            emails: email
                .map(|e| Email { address: e, kind: ContactKind::Work, primary: true })
                .into_iter()
                .collect(),
            phones: s(ct, "Phone")
                .map(|n| Phone { number: n, kind: ContactKind::Work })
                .into_iter()
                .collect(),
            primary: i == 0,
        });
    }
    if v.get("IsPersonAccount").and_then(Value::as_bool) == Some(true) {
        c.kind = CustomerKind::Person;
        c.first_name = s(v, "FirstName");
        c.last_name = s(v, "LastName");
    }
    c.meta.refs.set(NAME, id18(&id));
    c.meta.updated_at = Some(modstamp(v)?);
    Ok(c)
}

/// An order with its items; the customer's key is its account's `number_field` and each
/// line's SKU its product's `sku_field` (the customers' and products' keys too); `terms`
/// names the payment term and method fields, if any.
pub fn order(
    v: &Value,
    currency: Currency,
    (number_field, sku_field): (&str, &str),
    terms: (Option<&str>, Option<&str>),
) -> Result<Order> {
    let id = s(v, "Id").ok_or_else(|| Error::invalid_field("Id", "missing"))?;
    let number =
        s(v, "OrderNumber").ok_or_else(|| Error::invalid_field("OrderNumber", "missing"))?;
    let status = match s(v, "Status").as_deref() {
        Some("Draft") | None => OrderStatus::Draft,
        Some("Activated") => OrderStatus::Open,
        Some(p) if p.eq_ignore_ascii_case("paid") => OrderStatus::Paid,
        Some(other) => OrderStatus::Other(other.to_owned()),
    };
    let mut o = Order {
        number: Some(number),
        status,
        currency,
        order_date: s(v, "EffectiveDate")
            .map(|d| dates::parse_date(&d))
            .transpose()
            .map_err(|e| e.context("EffectiveDate"))?,
        billing_address: address(v, "Billing", AddressKind::Billing),
        shipping_address: address(v, "Shipping", AddressKind::Shipping),
        memo: s(v, "Description"),
        ..Order::default()
    };
    o.party.customer.id = s(v, "AccountId").map(|i| id18(&i));
    o.party.customer.key =
        s(v, &format!("Account.{number_field}")).or_else(|| s(v, "Account.AccountNumber"));
    o.party.company_name = s(v, "Account.Name");
    o.party.name = s(v, "Account.Name");
    o.party.email = s(v, "BillToContact.Email");
    o.party.first_name = s(v, "BillToContact.FirstName");
    o.party.last_name = s(v, "BillToContact.LastName");
    o.party.phone = s(v, "BillToContact.Phone");
    // An account named exactly as its bill-to person is a private customer (a B2C org
    // without person accounts): no company.
    let person = format!(
        "{} {}",
        o.party.first_name.as_deref().unwrap_or(""),
        o.party.last_name.as_deref().unwrap_or("")
    );
    if o.party.company_name.as_deref().is_some_and(|c| c.trim().eq_ignore_ascii_case(person.trim()))
    {
        o.party.company_name = None;
    }
    for (i, it) in children(v, "OrderItems").iter().enumerate() {
        let q = dec(it, "Quantity").map_err(|e| e.context(format!("OrderItems[{i}]")))?;
        let p = dec(it, "UnitPrice").map_err(|e| e.context(format!("OrderItems[{i}]")))?;
        o.lines.push(DocumentLine {
            line_no: Some(u32::try_from(i + 1).unwrap_or(u32::MAX)),
            sku: s(it, &format!("Product2.{sku_field}")).or_else(|| s(it, "Product2.ProductCode")),
            description: s(it, "Description").or_else(|| s(it, "Product2.Name")),
            quantity: q.ok_or_else(|| {
                Error::invalid_field(format!("OrderItems[{i}].Quantity"), "missing")
            })?,
            unit_price: p.map(|p| Money::new(p, currency)),
            ..DocumentLine::default()
        });
    }
    o.totals.total = dec(v, "TotalAmount")?.map(|t| Money::new(t, currency));
    if let Some(f) = terms.0 {
        o.payment_term = s(v, f).map(EntityRef::by_key);
    }
    if let Some(f) = terms.1 {
        o.payment_method = s(v, f).map(EntityRef::by_key);
    }
    o.meta.refs.set(NAME, id18(&id));
    o.meta.updated_at = Some(modstamp(v)?);
    Ok(o)
}

/// A product.
pub fn product(v: &Value, sku_field: &str) -> Result<Product> {
    let id = s(v, "Id").ok_or_else(|| Error::invalid_field("Id", "missing"))?;
    let sku = s(v, sku_field)
        .or_else(|| s(v, "ProductCode"))
        .ok_or_else(|| Error::invalid_field(sku_field, "the product has no SKU"))?;
    let mut p = Product {
        sku,
        name: s(v, "Name"),
        description: s(v, "Description"),
        kind: ProductKind::Inventory,
        sold: true,
        ..Product::default()
    };
    if v.get("IsActive").and_then(Value::as_bool) == Some(false) {
        p.meta.lifecycle = Lifecycle::Inactive;
    }
    p.meta.refs.set(NAME, id18(&id));
    p.meta.updated_at = Some(modstamp(v)?);
    Ok(p)
}

impl SalesforceSource {
    /// A source over a connection.
    pub fn new(client: SalesforceClient) -> Self {
        Self { client }
    }

    fn walk<'a, E: Send + 'static>(
        &'a self,
        object: &'static str,
        fields: String,
        mode: ReadMode,
        conv: impl Fn(&Value) -> Result<E> + Send + Sync + 'static,
    ) -> BoxStream<'a, Result<Change<E>>> {
        let parsed = match &mode {
            ReadMode::Full => Ok(SfCursor::default()),
            ReadMode::Changes { since: Some(c) } => SfCursor::parse(c),
            ReadMode::Changes { since: None } => Ok(SfCursor::default()),
        };
        let mut start = match parsed {
            Ok(c) => c,
            Err(e) => return stream::iter([Err(e)]).boxed(),
        };
        let mut full = matches!(mode, ReadMode::Full) || start.at.is_none();
        let now = now_utc();
        let window_start = now - ChronoDuration::days(DELETE_WINDOW_DAYS);
        if !full && start.deletes_until.or(start.at).is_some_and(|t| t < window_start) {
            tracing::warn!(
                connector = NAME,
                object,
                "the last {object} sync is older than Salesforce's {DELETE_WINDOW_DAYS}-day delete window: running a full resync"
            );
            full = true;
            start = SfCursor::default();
        }
        let mut soql = format!("SELECT {fields} FROM {object}");
        if let Some(at) = start.at {
            let t = at.format("%Y-%m-%dT%H:%M:%S%.3fZ");
            soql.push_str(&format!(
                " WHERE SystemModstamp > {t} OR (SystemModstamp = {t} AND Id > {})",
                literal(&start.id)
            ));
        }
        soql.push_str(" ORDER BY SystemModstamp ASC, Id ASC");
        let state = Arc::new(Mutex::new(start.clone()));
        let st = state.clone();
        let body = self
            .client
            .query(soql)
            .map(move |page| -> Vec<Result<Change<E>>> {
                let rows = match page {
                    Ok(r) => r,
                    Err(e) => return vec![Err(e)],
                };
                let mut cur = st.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
                let mut out = Vec::with_capacity(rows.len() + 1);
                for raw in rows {
                    let id = s(&raw, "Id").unwrap_or_default();
                    match conv(&raw) {
                        Ok(rec) => out.push(Ok(Change::Upsert(rec))),
                        Err(e) => out.push(Ok(Change::Rejected(Rejected {
                            key: Some(id.clone()).filter(|i| !i.is_empty()),
                            payload: Some(raw.to_string()),
                            error: e.with_connector(NAME).with_record(id.clone()),
                        }))),
                    }
                    if let Ok(at) = modstamp(&raw) {
                        cur.at = Some(at);
                        cur.id = id;
                    }
                }
                if full {
                    // A snapshot covers every earlier delete.
                    cur.deletes_until = Some(now);
                }
                *st.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = cur.clone();
                if cur.at.is_some() {
                    out.push(Ok(Change::Checkpoint(cur.to_cursor())));
                }
                out
            })
            .flat_map(stream::iter)
            .boxed();
        let tail: BoxStream<'a, Result<Change<E>>> = if full {
            let st = state;
            stream::once(async move {
                let mut cur = st.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
                cur.deletes_until = Some(now);
                vec![Ok(Change::Checkpoint(cur.to_cursor())), Ok(Change::SnapshotComplete)]
            })
            .flat_map(stream::iter)
            .boxed()
        } else {
            let from = start.deletes_until.or(start.at).unwrap_or(window_start);
            stream::once(async move {
                let fmt = |d: DateTime<Utc>| d.format("%Y-%m-%dT%H:%M:%S%.3f+00:00").to_string();
                let answer: Result<Value> = match self.client.http().await {
                    Ok(http) => {
                        http.get(&format!("sobjects/{object}/deleted/"))
                            .operation(format!("GET /sobjects/{object}/deleted"))
                            .query("start", fmt(from))
                            .query("end", fmt(now))
                            .send_json()
                            .await
                    }
                    Err(e) => Err(e),
                };
                let body = match answer {
                    Ok(b) => b,
                    Err(e) => return vec![Err(e)],
                };
                let earliest = body.get("earliestDateAvailable").and_then(Value::as_str).and_then(|t| dates::parse_salesforce(t).ok());
                if earliest.is_some_and(|e| e > from) {
                    return vec![Err(Error::new(
                        connector_core::ErrorKind::Config,
                        format!("Salesforce no longer holds the {object} deletions since the last sync (earliest available {}): run a full sync", earliest.map(dates::format_rfc3339).unwrap_or_default()),
                    )
                    .with_connector(NAME))];
                }
                let mut out: Vec<Result<Change<E>>> = body
                    .get("deletedRecords")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(|d| s(d, "id")).map(|id| Ok(Change::Delete { key: id18(&id) })).collect())
                    .unwrap_or_default();
                let covered = body.get("latestDateCovered").and_then(Value::as_str).and_then(|t| dates::parse_salesforce(t).ok()).unwrap_or(now);
                let mut cur = state.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
                cur.deletes_until = Some(covered);
                if cur.at.is_some() {
                    out.push(Ok(Change::Checkpoint(cur.to_cursor())));
                }
                out
            })
            .flat_map(stream::iter)
            .boxed()
        };
        body.chain(tail)
            .scan(false, |failed, item| {
                let out = if *failed { None } else { Some(item) };
                if matches!(out, Some(Err(_))) {
                    *failed = true;
                }
                futures_util::future::ready(out)
            })
            .boxed()
    }

    fn caps(entity: EntityKind, batch: u32) -> SourceCapabilities {
        SourceCapabilities::new(entity, ChangeDetection::Timestamp)
            .deletes(DeleteSignal::Tombstones)
            .page_size(Some(batch as usize))
    }
}

/// The fields read from `Account`: the number field (when not `AccountNumber`) and the
/// org's country fields (`country`: `Country` or `CountryCode`), with its contacts.
pub fn account_fields(number_field: &str, country: &str) -> String {
    let number = extra(number_field, "AccountNumber");
    format!(
        "Id, Name, AccountNumber{number}, Phone, Website, BillingStreet, BillingPostalCode, BillingCity, BillingState, Billing{country}, ShippingStreet, ShippingPostalCode, ShippingCity, ShippingState, Shipping{country}, SystemModstamp, (SELECT Id, FirstName, LastName, Email, Phone, Title FROM Contacts ORDER BY CreatedDate)"
    )
}

/// The fields read from `Order`: the account's number field, the org's country fields, the
/// payment term and method fields when set, and the items.
pub fn order_fields(
    (number_field, sku_field): (&str, &str),
    country: &str,
    terms: &[&str],
) -> String {
    let number = extra(&format!("Account.{number_field}"), "Account.AccountNumber");
    let sku = extra(&format!("Product2.{sku_field}"), "Product2.ProductCode");
    let terms: String = terms.iter().map(|t| format!(", {t}")).collect();
    format!(
        "Id, OrderNumber, Status, EffectiveDate, AccountId, Account.Name, Account.AccountNumber{number}, BillToContact.Email, BillToContact.FirstName, BillToContact.LastName, BillToContact.Phone, BillingStreet, BillingPostalCode, BillingCity, BillingState, Billing{country}, ShippingStreet, ShippingPostalCode, ShippingCity, ShippingState, Shipping{country}, TotalAmount, Description{terms}, SystemModstamp, (SELECT Id, Quantity, UnitPrice, Description, Product2.ProductCode{sku}, Product2.Name FROM OrderItems ORDER BY OrderItemNumber)"
    )
}

/// The fields read from `Product2`.
pub fn product_fields(sku_field: &str) -> String {
    let sku = extra(sku_field, "ProductCode");
    format!("Id, Name, ProductCode{sku}, Description, IsActive, SystemModstamp")
}

/// `, field` unless it is the standard field already listed.
fn extra(field: &str, listed: &str) -> String {
    if field.eq_ignore_ascii_case(listed) { String::new() } else { format!(", {field}") }
}

/// `Country` or `CountryCode`: what the org's `object` has.
async fn country(client: &SalesforceClient, object: &str) -> Result<&'static str> {
    let d = client.describe(object).await?;
    Ok(if d.has("BillingCountryCode") { "CountryCode" } else { "Country" })
}

impl SalesforceSource {
    /// Walks `object` once `fields` (which may ask the org first) are known.
    fn walk_after<'a, E, Fut>(
        &'a self,
        object: &'static str,
        fields: Fut,
        mode: ReadMode,
        conv: impl Fn(&Value) -> Result<E> + Send + Sync + 'static,
    ) -> BoxStream<'a, Result<Change<E>>>
    where
        E: Send + 'static,
        Fut: std::future::Future<Output = Result<String>> + Send + 'a,
    {
        let mut once = Some((mode, conv));
        stream::once(fields)
            .flat_map(move |r| match (r, once.take()) {
                (Ok(f), Some((mode, conv))) => self.walk(object, f, mode, conv),
                (Err(e), _) => stream::iter([Err(e)]).boxed(),
                (Ok(_), None) => stream::empty().boxed(),
            })
            .boxed()
    }
}

#[async_trait]
impl Source<Customer> for SalesforceSource {
    fn name(&self) -> &str {
        NAME
    }
    fn capabilities(&self) -> SourceCapabilities {
        Self::caps(EntityKind::Customer, self.client.config().batch_size)
    }
    async fn check(&self) -> Result<()> {
        let field = &self.client.config().account_number_field;
        self.client.check_fields(&[("Account", field)]).await
    }
    fn read(&self, mode: ReadMode) -> BoxStream<'_, Result<Change<Customer>>> {
        let field = self.client.config().account_number_field.clone();
        let f = field.clone();
        let fields = async move { Ok(account_fields(&f, country(&self.client, "Account").await?)) };
        self.walk_after("Account", fields, mode, move |v| customer(v, &field))
    }
}

#[async_trait]
impl Source<Order> for SalesforceSource {
    fn name(&self) -> &str {
        NAME
    }
    fn capabilities(&self) -> SourceCapabilities {
        Self::caps(EntityKind::Order, self.client.config().batch_size)
    }
    async fn check(&self) -> Result<()> {
        let cfg = self.client.config();
        let mut wanted = vec![("Account", cfg.account_number_field.as_str())];
        for f in [&cfg.order_payment_term_field, &cfg.order_payment_method_field] {
            wanted.extend(f.as_deref().map(|f| ("Order", f)));
        }
        self.client.check_fields(&wanted).await
    }
    fn read(&self, mode: ReadMode) -> BoxStream<'_, Result<Change<Order>>> {
        let cfg = self.client.config();
        let currency = cfg.currency;
        let (number, sku) = (cfg.account_number_field.clone(), cfg.product_sku_field.clone());
        let (term, method) =
            (cfg.order_payment_term_field.clone(), cfg.order_payment_method_field.clone());
        let terms: Vec<String> = [&term, &method].into_iter().flatten().cloned().collect();
        let (n, k) = (number.clone(), sku.clone());
        let fields = async move {
            let terms: Vec<&str> = terms.iter().map(String::as_str).collect();
            Ok(order_fields((&n, &k), country(&self.client, "Order").await?, &terms))
        };
        self.walk_after("Order", fields, mode, move |v| {
            order(v, currency, (&number, &sku), (term.as_deref(), method.as_deref()))
        })
    }
}

#[async_trait]
impl Source<Product> for SalesforceSource {
    fn name(&self) -> &str {
        NAME
    }
    fn capabilities(&self) -> SourceCapabilities {
        Self::caps(EntityKind::Product, self.client.config().batch_size)
    }
    async fn check(&self) -> Result<()> {
        self.client.check_fields(&[("Product2", &self.client.config().product_sku_field)]).await
    }
    fn read(&self, mode: ReadMode) -> BoxStream<'_, Result<Change<Product>>> {
        let field = self.client.config().product_sku_field.clone();
        let fields = product_fields(&field);
        self.walk("Product2", fields, mode, move |v| product(v, &field))
    }
}
