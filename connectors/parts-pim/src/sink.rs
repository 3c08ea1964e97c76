//! Products and stock into Parts PIM. Every write carries an employee number (the record's
//! `meta.custom.employee_number`, else the setting, else 999999). A SKU that is not digits
//! only is refused before anything is sent, naming the SKU; the rest of the batch goes on.
//! Images are never sent.

use async_trait::async_trait;
use connector_core::http::HttpClient;
use connector_core::model::{Entity, Product, SellablePolicy, StockLevel};
use connector_core::sink::{
    Found, LookupKey, Outcome, SinkCapabilities, WriteAction, WriteOutcome, WriteRequest,
};
use connector_core::{EntityKind, Error, ErrorKind, Result, Sink};
use serde_json::{Value, json};

use connector_file::exchange::Outbox;

use crate::client::{self, NAME};
use crate::config::{PartsPimConfig, is_digits};

/// The most records one `write` call takes.
pub const MAX_BATCH: usize = 50;

/// Writes products and stock levels to Parts PIM: over HTTP, or as CSV files dropped whole
/// in a folder (the file transport: one file per batch, `products-….csv` / `stock-….csv`,
/// each with its `.done` marker).
#[derive(Debug, Clone)]
pub struct PartsPimSink {
    pub(crate) config: PartsPimConfig,
    http: Option<HttpClient>,
    pub(crate) outbox: Option<Outbox>,
    policy: SellablePolicy,
}

/// The columns of a products file.
const PRODUCT_COLUMNS: &[&str] = &[
    "sku",
    "name",
    "description",
    "long_description",
    "unit",
    "price",
    "gtin",
    "categories",
    "variant_of",
    "attributes",
    "features",
    "employee_number",
];

/// The columns of a products update file: those of a create but the long description, which
/// is written on create only.
const UPDATE_COLUMNS: &[&str] = &[
    "sku",
    "name",
    "description",
    "unit",
    "price",
    "gtin",
    "categories",
    "variant_of",
    "attributes",
    "features",
    "employee_number",
];

impl PartsPimSink {
    /// A sink for the configuration (no I/O). Stock sent is available less reserved.
    pub fn new(config: PartsPimConfig) -> Result<Self> {
        let outbox = match &config.folder {
            // Leftovers of deliveries a crash interrupted are cleared: their records were never
            // acknowledged, so the flow sends them again.
            Some(folder) => {
                Some(Outbox::new(folder).and_then(|o| o.recover().map(|_| o)).map_err(|e| {
                    Error::config(format!(
                        "parts-pim: the drop folder {} cannot be used: {e}",
                        folder.display()
                    ))
                })?)
            }
            None => None,
        };
        let http = if outbox.is_some() { None } else { Some(client::http(&config)?) };
        Ok(Self { config, http, outbox, policy: SellablePolicy::AvailableMinusReserved })
    }

    /// The HTTP client (the http transport).
    pub(crate) fn http(&self) -> Result<&HttpClient> {
        self.http
            .as_ref()
            .ok_or_else(|| Error::config("parts-pim: the file transport has no HTTP interface"))
    }

    /// Drops `rows` (after `header`) as one file; every key gets the same outcome.
    fn drop_file(
        &self,
        outbox: &Outbox,
        kind: &str,
        header: &[&str],
        rows: Vec<(WriteRequest<()>, Vec<String>)>,
    ) -> Vec<WriteOutcome> {
        if rows.is_empty() {
            return Vec::new();
        }
        let format = self.config.format;
        let values: Vec<Vec<String>> = rows.iter().map(|(_, v)| v.clone()).collect();
        let bytes = format.render(kind, header, &values);
        let name = connector_file::exchange::unique_name(kind, format.extension());
        let delivered = outbox.deliver(&name, &bytes, true);
        rows.into_iter()
            .map(|(r, values)| {
                let sku = values.first().cloned().unwrap_or_default();
                let outcome = match &delivered {
                    Ok(_) if r.is_create => Outcome::Created { target_id: sku },
                    Ok(_) => Outcome::Updated { target_id: sku },
                    Err(e) => Outcome::Failed {
                        error: Error::new(
                            ErrorKind::Transport,
                            format!("the {kind} file could not be dropped: {e}"),
                        )
                        .with_connector(NAME)
                        .with_record(r.key.clone()),
                    },
                };
                WriteOutcome::new(r.key, outcome)
            })
            .collect()
    }

    /// Sends another quantity as stock (default: available less reserved).
    #[must_use]
    pub fn sellable_policy(mut self, policy: SellablePolicy) -> Self {
        self.policy = policy;
        self
    }

    pub(crate) fn employee<E: Entity>(&self, record: &E) -> String {
        use connector_core::model::CustomValue;
        let given = record.meta().custom.get("employee_number").and_then(|f| match &f.value {
            CustomValue::Text(t) | CustomValue::Choice(t) => Some(t.trim().to_owned()),
            CustomValue::Number(n) => Some(n.normalize().to_string()),
            _ => None,
        });
        given.filter(|n| !n.is_empty()).unwrap_or_else(|| self.config.employee_number.clone())
    }

    /// The body of one product request, or the outcome that refuses it before anything is
    /// sent (a deactivation, a SKU that is not digits, a number or value Parts PIM refuses).
    fn product_body_of(
        &self,
        r: &WriteRequest<Product>,
    ) -> std::result::Result<Value, WriteOutcome> {
        let WriteAction::Upsert(p) = &r.action else {
            let reason = "Parts PIM products are not deactivated".into();
            return Err(WriteOutcome::new(
                r.key.clone(),
                Outcome::Skipped { reason, target_id: r.target_id.clone() },
            ));
        };
        let sku = p.sku.trim();
        if !is_digits(sku) {
            return Err(WriteOutcome::new(r.key.clone(), sku_error(&r.key, sku)));
        }
        let employee = self.employee(p);
        if let Some((field, why)) = refusal(p, &employee) {
            let error =
                Error::invalid_field(field, why).with_connector(NAME).with_record(r.key.clone());
            return Err(WriteOutcome::new(r.key.clone(), Outcome::Failed { error }));
        }
        Ok(product_body(p, employee))
    }

    pub(crate) fn path(base: &str, sku: &str) -> String {
        format!("{}/{sku}", base.trim_start_matches('/'))
    }
}

/// What Parts PIM refuses, found before anything is sent: the field and why.
fn refusal(p: &Product, employee: &str) -> Option<(&'static str, String)> {
    let sku = p.sku.trim();
    if sku.chars().count() > 20 {
        return Some(("sku", format!("SKU `{sku}` is longer than 20 digits")));
    }
    if !is_digits(employee) {
        return Some(("employee_number", format!("employee number `{employee}` must be digits")));
    }
    if let Some(parent) = p.variant_of.as_deref().map(str::trim).filter(|v| !is_digits(v)) {
        return Some((
            "variant_of",
            format!("SKU `{parent}` of the parent product must be digits only"),
        ));
    }
    let bad = |t: &str| t.contains(['|', '=']);
    if let Some(a) = p.attributes.iter().chain(&p.features).find(|a| bad(&a.name) || bad(&a.value))
    {
        return Some((
            "attributes",
            format!("`{}={}` has a `|` or `=`, which separate values in files", a.name, a.value),
        ));
    }
    if let Some(c) = p.categories.iter().find(|c| c.contains('|')) {
        return Some(("categories", format!("category `{c}` has a `|`")));
    }
    None
}

/// A refusal before sending: the SKU is not digits only.
fn sku_error(key: &str, sku: &str) -> Outcome {
    Outcome::Failed {
        error: Error::invalid_field(
            "sku",
            format!("SKU `{sku}` must be digits only for Parts PIM"),
        )
        .with_connector(NAME)
        .with_record(key),
    }
}

fn product_body(p: &Product, employee: String) -> Value {
    let pairs = |list: &[connector_core::model::Attribute]| -> Vec<Value> {
        list.iter().map(|a| json!({"name": a.name, "value": a.value})).collect()
    };
    let mut body = json!({"sku": p.sku.trim(), "name": p.name.clone().unwrap_or_default(), "employee_number": employee});
    let o = body.as_object_mut().expect("an object");
    let mut put = |k: &str, v: Option<Value>| {
        if let Some(v) = v {
            o.insert(k.to_owned(), v);
        }
    };
    put("description", p.description.clone().map(Value::from));
    put("long_description", p.long_description.clone().map(Value::from));
    put("unit", p.unit.clone().map(Value::from));
    put("price", p.sales_price.as_ref().map(|m| Value::from(m.amount.to_string())));
    put("gtin", p.gtin.clone().map(Value::from));
    put("categories", (!p.categories.is_empty()).then(|| json!(p.categories)));
    put("variant_of", p.variant_of.clone().map(Value::from));
    put("attributes", (!p.attributes.is_empty()).then(|| json!(pairs(&p.attributes))));
    put("features", (!p.features.is_empty()).then(|| json!(pairs(&p.features))));
    body
}

#[async_trait]
impl Sink<Product> for PartsPimSink {
    fn name(&self) -> &str {
        NAME
    }
    fn capabilities(&self) -> SinkCapabilities {
        SinkCapabilities::new(EntityKind::Product)
            .max_batch(MAX_BATCH)
            .can_find(self.outbox.is_none())
            .natural_key("sku")
    }
    async fn check(&self) -> Result<()> {
        match self
            .http()?
            .get(&Self::path(&self.config.products_path, "0"))
            .operation("GET products")
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
        }
    }
    async fn find(&self, key: &LookupKey) -> Result<Option<Found<Product>>> {
        let sku = key.value.trim();
        if key.field != "sku" || !is_digits(sku) {
            return Ok(None);
        }
        match self
            .http()?
            .get(&Self::path(&self.config.products_path, sku))
            .operation("GET products")
            .send()
            .await
        {
            Ok(_) => Ok(Some(Found::new(sku, sku))),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }
    async fn write(&self, batch: Vec<WriteRequest<Product>>) -> Result<Vec<WriteOutcome>> {
        let mut out = Vec::with_capacity(batch.len());
        if let Some(outbox) = &self.outbox {
            let mut rows = Vec::new();
            for r in batch {
                let body = match self.product_body_of(&r) {
                    Ok(body) => body,
                    Err(refused) => {
                        out.push(refused);
                        continue;
                    }
                };
                let columns = if r.is_create { PRODUCT_COLUMNS } else { UPDATE_COLUMNS };
                let values = columns.iter().map(|c| cell(&body[*c])).collect();
                rows.push((
                    WriteRequest {
                        key: r.key,
                        target_id: r.target_id,
                        action: WriteAction::Upsert(()),
                        idempotency_key: r.idempotency_key,
                        is_create: r.is_create,
                    },
                    values,
                ));
            }
            // Creates and updates go in files of their own: an update file has no long
            // description, so an import cannot blank the one written on create.
            let (creates, updates): (Vec<_>, Vec<_>) =
                rows.into_iter().partition(|(r, _)| r.is_create);
            out.extend(self.drop_file(outbox, "products", PRODUCT_COLUMNS, creates));
            out.extend(self.drop_file(outbox, "products-update", UPDATE_COLUMNS, updates));
            return Ok(out);
        }
        for r in batch {
            let body = match self.product_body_of(&r) {
                Ok(body) => body,
                Err(refused) => {
                    out.push(refused);
                    continue;
                }
            };
            let sku = body["sku"].as_str().unwrap_or_default().to_owned();
            let http = self.http()?;
            let put = |id: &str| {
                http.put(&Self::path(&self.config.products_path, id))
                    .json(&body)
                    .operation("PUT products")
            };
            let sent = match &r.target_id {
                None => {
                    let created = self
                        .http()?
                        .post(self.config.products_path.trim_start_matches('/'))
                        .json(&body)
                        .operation("POST products")
                        .send()
                        .await;
                    match created {
                        // It exists (a retry after a lost answer, or made in the PIM): an update.
                        Err(e) if e.kind() == ErrorKind::Conflict => {
                            let updated = put(&sku).send().await;
                            out.push(WriteOutcome::new(
                                r.key.clone(),
                                match updated {
                                    Ok(_) => Outcome::Updated { target_id: sku },
                                    Err(e) => {
                                        Outcome::Failed { error: e.with_record(r.key.clone()) }
                                    }
                                },
                            ));
                            continue;
                        }
                        other => other,
                    }
                }
                Some(id) => put(id).send().await,
            };
            let outcome = match sent {
                Ok(_) if r.target_id.is_none() => Outcome::Created { target_id: sku },
                Ok(_) => Outcome::Updated { target_id: sku },
                Err(e) => Outcome::Failed { error: e.with_record(r.key.clone()) },
            };
            out.push(WriteOutcome::new(r.key, outcome));
        }
        Ok(out)
    }
}

#[async_trait]
impl Sink<StockLevel> for PartsPimSink {
    fn name(&self) -> &str {
        NAME
    }
    fn capabilities(&self) -> SinkCapabilities {
        SinkCapabilities::new(EntityKind::StockLevel).max_batch(MAX_BATCH).natural_key("sku")
    }
    async fn check(&self) -> Result<()> {
        Sink::<Product>::check(self).await
    }
    async fn find(&self, _key: &LookupKey) -> Result<Option<Found<StockLevel>>> {
        Ok(None)
    }
    async fn write(&self, batch: Vec<WriteRequest<StockLevel>>) -> Result<Vec<WriteOutcome>> {
        let mut out = Vec::with_capacity(batch.len());
        let mut rows = Vec::new();
        for r in batch {
            let WriteAction::Upsert(s) = &r.action else {
                out.push(WriteOutcome::new(
                    r.key,
                    Outcome::Skipped { reason: "stock is not deactivated".into(), target_id: None },
                ));
                continue;
            };
            let sku = s.sku.trim().to_owned();
            if !is_digits(&sku) {
                out.push(WriteOutcome::new(r.key.clone(), sku_error(&r.key, &sku)));
                continue;
            }
            let Some(available) = s.sellable(self.policy) else {
                let error = Error::invalid_field("available", "no quantity to send")
                    .with_record(r.key.clone());
                out.push(WriteOutcome::new(r.key, Outcome::Failed { error }));
                continue;
            };
            // Parts PIM takes what can be sold: more reserved than held is none, not a debt.
            let available = available.max(rust_decimal::Decimal::ZERO);
            let body = json!({"sku": sku, "available": available.to_string(), "employee_number": self.employee(s)});
            if self.outbox.is_some() {
                let values = ["sku", "available", "employee_number"]
                    .iter()
                    .map(|c| cell(&body[*c]))
                    .collect();
                rows.push((
                    WriteRequest {
                        key: r.key,
                        target_id: r.target_id,
                        action: WriteAction::Upsert(()),
                        idempotency_key: r.idempotency_key,
                        is_create: false,
                    },
                    values,
                ));
                continue;
            }
            let sent = self
                .http()?
                .put(&Self::path(&self.config.stock_path, &sku))
                .json(&body)
                .operation("PUT stock")
                .send()
                .await;
            let outcome = match sent {
                Ok(_) => Outcome::Updated { target_id: sku },
                Err(e) => Outcome::Failed { error: e.with_record(r.key.clone()) },
            };
            out.push(WriteOutcome::new(r.key, outcome));
        }
        if let Some(outbox) = &self.outbox {
            out.extend(self.drop_file(
                outbox,
                "stock",
                &["sku", "available", "employee_number"],
                rows,
            ));
        }
        Ok(out)
    }
}

/// A JSON value as a CSV cell: text as is, lists of text joined by `|`, name/value pairs as
/// `name=value` joined by `|`.
fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(items) => items
            .iter()
            .map(|i| match i {
                Value::Object(o) => format!("{}={}", cell(&o["name"]), cell(&o["value"])),
                other => cell(other),
            })
            .collect::<Vec<_>>()
            .join("|"),
        other => other.to_string(),
    }
}
