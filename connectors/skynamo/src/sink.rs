//! Sinks: customers (by code), products with order units, price lists and prices, stock
//! levels, invoices by `external_id`. Updates use `PATCH` (a merge), never `PUT` (a replace
//! that resets omitted fields). Array writes carry at most 20 rows; refusals by index become
//! per-record outcomes.

use async_trait::async_trait;
use connector_core::model::{Customer, Invoice, PriceList, Product, StockLevel};
use connector_core::sink::{
    Found, LookupKey, Outcome, Sink, SinkCapabilities, WriteAction, WriteOutcome, WriteRequest,
};
use connector_core::{Entity, EntityKind, Error, ErrorKind, FieldError, Result};
use serde_json::{Map, Value, json};

use crate::client::{CustomFieldForm, NAME, SkynamoClient};
use crate::config::WRITE_BATCH;
use crate::convert;

/// Writes to Skynamo.
#[derive(Debug, Clone)]
pub struct SkynamoSink {
    client: SkynamoClient,
}

fn failed(key: &str, messages: Vec<String>) -> Outcome {
    let e = Error::new(
        ErrorKind::InvalidInput,
        format!("Skynamo refused the record: {}", messages.join("; ")),
    )
    .with_connector(NAME)
    .with_record(key.to_owned())
    .with_field_errors(messages.into_iter().map(|m| FieldError::new("record", m)).collect());
    Outcome::Failed { error: e }
}

fn id_of(v: &Value) -> Option<String> {
    match &v["id"] {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(s.clone()),
        _ => None,
    }
}

fn caps(entity: EntityKind, key: &str, deactivate: bool) -> SinkCapabilities {
    SinkCapabilities::new(entity)
        .max_batch(WRITE_BATCH)
        .max_concurrency(4)
        .can_find(true)
        .can_deactivate(deactivate)
        .idempotent_writes(false)
        .natural_key(key)
}

/// A row on its way: the request's key, whether it creates, whether it deactivates.
struct Row {
    key: String,
    create: bool,
    deactivate: bool,
    body: Value,
}

impl SkynamoSink {
    /// A sink over a connection.
    pub fn new(client: SkynamoClient) -> Self {
        Self { client }
    }

    /// Sends rows in arrays of at most 20: creates by `POST`, the rest by `PATCH`.
    async fn send(&self, path: &'static str, rows: Vec<Row>) -> Vec<WriteOutcome> {
        let mut out = Vec::with_capacity(rows.len());
        let (creates, updates): (Vec<Row>, Vec<Row>) = rows.into_iter().partition(|r| r.create);
        for (method, group) in [("POST", creates), ("PATCH", updates)] {
            for chunk in group.chunks(WRITE_BATCH) {
                let bodies: Vec<Value> = chunk.iter().map(|r| r.body.clone()).collect();
                let results = self.client.write_array(method, path, bodies).await;
                for (row, res) in chunk.iter().zip(results) {
                    let outcome = match res {
                        Ok(v) => {
                            let id = id_of(&v)
                                .or_else(|| id_of(&row.body))
                                .unwrap_or_else(|| row.key.clone());
                            if row.deactivate {
                                Outcome::Deactivated { target_id: id }
                            } else if row.create {
                                Outcome::Created { target_id: id }
                            } else {
                                Outcome::Updated { target_id: id }
                            }
                        }
                        Err(msgs) => failed(&row.key, msgs),
                    };
                    out.push(WriteOutcome::new(&row.key, outcome));
                }
            }
        }
        out
    }

    /// The target id of a record by code (`filters=["equals(code,…)"]`).
    async fn existing(
        &self,
        path: &'static str,
        field: &str,
        code: &str,
    ) -> Result<Option<String>> {
        Ok(self.client.find_by(path, field, code).await?.as_ref().and_then(id_of))
    }

    /// Creates a price list (named by the list's code) and finds its id: `POST /pricelists`
    /// answers only `{"message": …}`, so the list is looked up by name after.
    async fn create_price_list(&self, list: &PriceList) -> Result<String> {
        let row = json!({
            "name": list.code,
            "active": true,
            "prices_include_vat": list.tax_inclusive,
            "currency_code": list.currency.as_str(),
        });
        if let Some(Err(m)) = self.client.write_array("POST", "pricelists", vec![row]).await.pop() {
            return Err(Error::new(ErrorKind::InvalidInput, m.join("; ")));
        }
        match Sink::<PriceList>::find(self, &LookupKey::new("code", &list.code)).await? {
            Some(found) => Ok(found.target_id),
            None => Err(Error::new(
                ErrorKind::Upstream,
                format!("price list {:?} was created but is not listed", list.code),
            )),
        }
    }

    async fn customer_body(&self, c: &Customer, id: Option<&str>) -> Result<Value> {
        let mut m: Map<String, Value> = convert::customer_row(c)?;
        if let Some(id) = id {
            m.insert("id".into(), id.parse::<i64>().map(Value::from).unwrap_or_else(|_| json!(id)));
        }
        if let Some(rep) =
            c.sales_rep.as_ref().and_then(|r| r.key.clone().or_else(|| r.name.clone()))
        {
            match self.client.user_id(&rep).await? {
                Some(uid) => {
                    m.insert("assigned_users".into(), json!([uid]));
                }
                None => {
                    return Err(Error::invalid_field(
                        "sales_rep",
                        format!("no Skynamo user is {rep:?}"),
                    ));
                }
            }
        }
        let mut fields = Vec::new();
        for (key, f) in &c.meta.custom {
            let text = convert::custom_text(f);
            if matches!(f.value, connector_core::model::CustomValue::Json(serde_json::Value::Null))
                || text.trim().is_empty()
            {
                continue; // nothing to say: an empty value is not sent
            }
            let Some(fid) = self.client.custom_field_id(CustomFieldForm::Customer, key).await?
            else {
                return Err(Error::invalid_field(
                    format!("meta.custom.{key}"),
                    "no custom field of that name on Skynamo's customer form",
                ));
            };
            fields.push(json!({"id": fid, "value": text}));
        }
        if !fields.is_empty() {
            m.insert("custom_fields".into(), Value::Array(fields));
        }
        Ok(Value::Object(m))
    }
}

async fn resolve_customer<E: Entity>(
    sink: &SkynamoSink,
    req: &WriteRequest<E>,
    code: Option<&str>,
) -> Result<Option<String>> {
    if let Some(id) = &req.target_id {
        return Ok(Some(id.clone()));
    }
    // No idempotency keys in Skynamo: a create is looked up by code first (a documented
    // customer filter), so a rerun after a crash updates the record instead of duplicating it.
    match code {
        Some(code) => sink.existing("customers", "code", code).await,
        None => Ok(None),
    }
}

#[async_trait]
impl Sink<Customer> for SkynamoSink {
    fn name(&self) -> &str {
        NAME
    }
    fn capabilities(&self) -> SinkCapabilities {
        caps(EntityKind::Customer, "number", true)
    }
    async fn check(&self) -> Result<()> {
        self.client.check().await
    }
    async fn find(&self, key: &LookupKey) -> Result<Option<Found<Customer>>> {
        let field = match key.field.as_str() {
            "number" | "code" => "code",
            "id" => "id",
            other => {
                return Err(Error::unsupported(format!(
                    "Skynamo customers cannot be found by {other}"
                )));
            }
        };
        let hit = self.client.find_by("customers", field, &key.value).await?;
        Ok(hit.and_then(|v| {
            let matched = match &v[field] {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let found = Found::new(id_of(&v)?, matched);
            Some(match convert::customer(&v) {
                Ok(c) => found.with_record(c),
                Err(_) => found,
            })
        }))
    }
    async fn write(&self, batch: Vec<WriteRequest<Customer>>) -> Result<Vec<WriteOutcome>> {
        let mut out = Vec::new();
        let mut rows = Vec::new();
        for req in batch {
            let prepared: Result<Row> = async {
                match &req.action {
                    WriteAction::Upsert(c) => {
                        let target = resolve_customer(self, &req, c.number.as_deref()).await?;
                        let body = self.customer_body(c, target.as_deref()).await?;
                        Ok(Row {
                            key: req.key.clone(),
                            create: target.is_none(),
                            deactivate: false,
                            body,
                        })
                    }
                    WriteAction::Deactivate => {
                        // Customers cannot be deleted through the API: they become inactive.
                        let id = req.target_id.clone().ok_or_else(|| {
                            Error::invalid_field("target_id", "the customer was never written")
                        })?;
                        let id = id.parse::<i64>().map(Value::from).unwrap_or_else(|_| json!(id));
                        Ok(Row {
                            key: req.key.clone(),
                            create: false,
                            deactivate: true,
                            body: json!({"id": id, "active": false}),
                        })
                    }
                }
            }
            .await;
            match prepared {
                Ok(r) => rows.push(r),
                Err(e) => out.push(WriteOutcome::new(
                    &req.key,
                    Outcome::Failed { error: e.with_connector(NAME).with_record(req.key.clone()) },
                )),
            }
        }
        out.extend(self.send("customers", rows).await);
        Ok(out)
    }
}

#[async_trait]
impl Sink<Product> for SkynamoSink {
    fn name(&self) -> &str {
        NAME
    }
    fn capabilities(&self) -> SinkCapabilities {
        caps(EntityKind::Product, "sku", true)
    }
    async fn check(&self) -> Result<()> {
        self.client.check().await
    }
    async fn find(&self, key: &LookupKey) -> Result<Option<Found<Product>>> {
        // The index holds the codes as `/products` answered them.
        Ok(self
            .client
            .product_id(&key.value)
            .await?
            .map(|id| Found::new(id.to_string(), key.value.clone())))
    }
    async fn write(&self, batch: Vec<WriteRequest<Product>>) -> Result<Vec<WriteOutcome>> {
        let mut out = Vec::new();
        let mut rows = Vec::new();
        let unit = self.client.config().default_order_unit.clone();
        for req in batch {
            let target = match (&req.action, &req.target_id) {
                (_, Some(id)) => Ok(Some(id.clone())),
                // No idempotency keys in Skynamo: a create is looked up first, so a rerun
                // after a crash updates the product instead of duplicating it.
                (WriteAction::Upsert(p), None) => {
                    self.client.product_id(&p.sku).await.map(|id| id.map(|i| i.to_string()))
                }
                (WriteAction::Deactivate, None) => Ok(None),
            };
            let target = match target {
                Ok(t) => t,
                Err(e) => {
                    out.push(WriteOutcome::new(
                        &req.key,
                        Outcome::Failed { error: e.with_record(req.key.clone()) },
                    ));
                    continue;
                }
            };
            let (mut body, deactivate) = match &req.action {
                WriteAction::Upsert(p) => (convert::product_row(p, &unit), false),
                WriteAction::Deactivate => {
                    let mut m = Map::new();
                    m.insert("active".into(), json!(false));
                    (m, true)
                }
            };
            if let Some(id) = &target {
                body.insert(
                    "id".into(),
                    id.parse::<i64>().map(Value::from).unwrap_or_else(|_| json!(id)),
                );
                if !deactivate {
                    // Existing order units keep their ids: a PATCH with bare units would add
                    // duplicates.
                    body.remove("order_units");
                }
            } else if deactivate {
                out.push(WriteOutcome::new(
                    &req.key,
                    failed(&req.key, vec!["the product was never written".into()]),
                ));
                continue;
            }
            rows.push(Row {
                key: req.key.clone(),
                create: target.is_none(),
                deactivate,
                body: Value::Object(body),
            });
        }
        for o in self.send("products", rows).await {
            if let Outcome::Created { target_id } = &o.outcome
                && let Ok(id) = target_id.parse::<i64>()
            {
                self.client.remember_product(&o.key, id).await;
            }
            out.push(o);
        }
        Ok(out)
    }
}

#[async_trait]
impl Sink<PriceList> for SkynamoSink {
    fn name(&self) -> &str {
        NAME
    }
    fn capabilities(&self) -> SinkCapabilities {
        caps(EntityKind::PriceList, "code", false).max_batch(1).max_concurrency(1)
    }
    async fn check(&self) -> Result<()> {
        self.client.check().await
    }
    async fn find(&self, key: &LookupKey) -> Result<Option<Found<PriceList>>> {
        use futures_util::TryStreamExt;
        let lists: Vec<Value> = self.client.list("pricelists", None).try_collect().await?;
        Ok(lists
            .iter()
            .find(|l| l["name"].as_str() == Some(key.value.as_str()))
            .and_then(|l| Some(Found::new(id_of(l)?, l["name"].as_str()?))))
    }
    /// Creates the list if missing (by name = the list's code), then upserts every price per
    /// product × order unit in arrays of 20. An entry is never sent without a price: that
    /// would delete the row.
    async fn write(&self, batch: Vec<WriteRequest<PriceList>>) -> Result<Vec<WriteOutcome>> {
        let mut out = Vec::new();
        let unit = self.client.config().default_order_unit.clone();
        for req in batch {
            let WriteAction::Upsert(list) = &req.action else {
                out.push(WriteOutcome::new(
                    &req.key,
                    Outcome::Skipped {
                        reason: "Skynamo price lists are not deactivated by the connector".into(),
                        target_id: req.target_id.clone(),
                    },
                ));
                continue;
            };
            let found =
                match Sink::<PriceList>::find(self, &LookupKey::new("code", &list.code)).await {
                    Ok(f) => f,
                    Err(e) => {
                        out.push(WriteOutcome::new(
                            &req.key,
                            Outcome::Failed { error: e.with_record(req.key.clone()) },
                        ));
                        continue;
                    }
                };
            let (list_id, created) = match found {
                Some(f) => (f.target_id, false),
                None => match self.create_price_list(list).await {
                    Ok(id) => (id, true),
                    Err(error) => {
                        out.push(WriteOutcome::new(
                            &req.key,
                            Outcome::Failed {
                                error: error.with_connector(NAME).with_record(req.key.clone()),
                            },
                        ));
                        continue;
                    }
                },
            };
            let list_num: Value =
                list_id.parse::<i64>().map(Value::from).unwrap_or_else(|_| json!(list_id));
            let rows: Vec<Value> = list
                .entries
                .iter()
                .map(|e| {
                    json!({
                        "product_code": e.sku,
                        "order_unit_name": e.unit.clone().unwrap_or_else(|| unit.clone()),
                        "price_list_id": list_num,
                        "price": convert::number(e.unit_price.amount),
                    })
                })
                .collect();
            let mut errors = Vec::new();
            for (c, chunk) in rows.chunks(WRITE_BATCH).enumerate() {
                for (n, r) in self
                    .client
                    .write_array("POST", "prices", chunk.to_vec())
                    .await
                    .into_iter()
                    .enumerate()
                {
                    if let Err(m) = r {
                        let i = c * WRITE_BATCH + n;
                        errors.push(FieldError::new(
                            format!("entries[{i}]"),
                            format!("{}: {}", list.entries[i].sku, m.join("; ")),
                        ));
                    }
                }
            }
            let outcome = if errors.is_empty() {
                if created {
                    Outcome::Created { target_id: list_id }
                } else {
                    Outcome::Updated { target_id: list_id }
                }
            } else {
                Outcome::Failed {
                    error: Error::new(
                        ErrorKind::InvalidInput,
                        format!("{} of {} prices were refused", errors.len(), rows.len()),
                    )
                    .with_connector(NAME)
                    .with_record(req.key.clone())
                    .with_field_errors(errors),
                }
            };
            out.push(WriteOutcome::new(&req.key, outcome));
        }
        Ok(out)
    }
}

#[async_trait]
impl Sink<StockLevel> for SkynamoSink {
    fn name(&self) -> &str {
        NAME
    }
    fn capabilities(&self) -> SinkCapabilities {
        caps(EntityKind::StockLevel, "sku", false)
    }
    async fn check(&self) -> Result<()> {
        self.client.check().await
    }
    async fn find(&self, _key: &LookupKey) -> Result<Option<Found<StockLevel>>> {
        Ok(None)
    }
    /// Upserts levels per product × order unit × warehouse (`null` warehouse = the total).
    async fn write(&self, batch: Vec<WriteRequest<StockLevel>>) -> Result<Vec<WriteOutcome>> {
        let unit = self.client.config().default_order_unit.clone();
        let mut out = Vec::new();
        let mut rows = Vec::new();
        for req in batch {
            let WriteAction::Upsert(s) = &req.action else {
                out.push(WriteOutcome::new(
                    &req.key,
                    Outcome::Skipped {
                        reason: "stock levels are set, not deactivated".into(),
                        target_id: None,
                    },
                ));
                continue;
            };
            let Some(level) = s.available.or(s.on_hand) else {
                // Without a level the POST would delete the row: refuse instead.
                out.push(WriteOutcome::new(
                    &req.key,
                    Outcome::Failed {
                        error: Error::invalid_field("available", "no level to send")
                            .with_connector(NAME)
                            .with_record(req.key.clone()),
                    },
                ));
                continue;
            };
            let warehouse = match &s.warehouse {
                None => Value::Null,
                Some(w) => match self.client.warehouse_id(w).await {
                    Ok(Some(id)) => json!(id),
                    Ok(None) => {
                        out.push(WriteOutcome::new(
                            &req.key,
                            Outcome::Failed {
                                error: Error::invalid_field(
                                    "warehouse",
                                    format!("no Skynamo warehouse is {w:?}"),
                                )
                                .with_connector(NAME)
                                .with_record(req.key.clone()),
                            },
                        ));
                        continue;
                    }
                    Err(e) => {
                        out.push(WriteOutcome::new(
                            &req.key,
                            Outcome::Failed { error: e.with_record(req.key.clone()) },
                        ));
                        continue;
                    }
                },
            };
            let body = json!({"product_code": s.sku, "order_unit_name": unit, "warehouse_id": warehouse, "level": convert::number(level)});
            rows.push(Row { key: req.key.clone(), create: false, deactivate: false, body });
        }
        for chunk in rows.chunks(WRITE_BATCH) {
            let results = self
                .client
                .write_array("POST", "stocklevels", chunk.iter().map(|r| r.body.clone()).collect())
                .await;
            for (row, res) in chunk.iter().zip(results) {
                out.push(WriteOutcome::new(
                    &row.key,
                    match res {
                        Ok(_) => Outcome::Updated { target_id: row.key.clone() },
                        Err(m) => failed(&row.key, m),
                    },
                ));
            }
        }
        Ok(out)
    }
}

#[async_trait]
impl Sink<Invoice> for SkynamoSink {
    fn name(&self) -> &str {
        NAME
    }
    fn capabilities(&self) -> SinkCapabilities {
        caps(EntityKind::Invoice, "external_id", false)
    }
    async fn check(&self) -> Result<()> {
        self.client.check().await
    }
    async fn find(&self, key: &LookupKey) -> Result<Option<Found<Invoice>>> {
        Ok(self.invoice(&key.value).await?.and_then(|v| {
            Some(Found::new(v["id"].as_i64()?.to_string(), v["external_id"].as_str()?))
        }))
    }

    /// Creates an invoice with `POST /invoicesbyexternalid` (create-only: the invoice is looked
    /// up by its external id first, `GET /invoicesbyexternalid/{id}`), or changes it with
    /// `PATCH` and its Skynamo id. A deactivation marks it `Deleted` the same way.
    async fn write(&self, batch: Vec<WriteRequest<Invoice>>) -> Result<Vec<WriteOutcome>> {
        let mut out = Vec::new();
        let mut rows = Vec::new();
        for req in batch {
            match self.invoice_row(&req).await {
                Ok(Some(row)) => rows.push(row),
                Ok(None) => out.push(WriteOutcome::new(
                    &req.key,
                    Outcome::Skipped {
                        reason: "no invoice with this external id in Skynamo to delete".into(),
                        target_id: None,
                    },
                )),
                Err(e) => out.push(WriteOutcome::new(
                    &req.key,
                    Outcome::Failed { error: e.with_connector(NAME).with_record(req.key.clone()) },
                )),
            }
        }
        out.extend(self.send("invoicesbyexternalid", rows).await);
        Ok(out)
    }
}

impl SkynamoSink {
    /// The invoice with this external id (`GET /invoicesbyexternalid/{id}`, 404 when there is
    /// none), checked to carry it.
    async fn invoice(&self, external_id: &str) -> Result<Option<Value>> {
        let path = format!("invoicesbyexternalid/{}", path_segment(external_id));
        match self
            .client
            .http()
            .get(&path)
            .operation("GET /invoicesbyexternalid/{id}")
            .send_json::<Value>()
            .await
        {
            Ok(v) if v["external_id"].as_str() == Some(external_id) => Ok(Some(v)),
            Ok(v) => Err(Error::new(
                ErrorKind::Upstream,
                format!(
                    "GET /invoicesbyexternalid/{external_id} answered the invoice of external \
                     id {}",
                    v["external_id"]
                ),
            )
            .with_connector(NAME)),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The Skynamo id of the invoice with this external id.
    async fn invoice_id(&self, external_id: &str) -> Result<Option<i64>> {
        Ok(self.invoice(external_id).await?.and_then(|v| v["id"].as_i64()))
    }

    /// The row for one invoice request: a create (`POST`, no id), an update or a deletion
    /// (`PATCH` with the invoice's id); `None` for a deletion of an invoice Skynamo does not
    /// have.
    async fn invoice_row(&self, req: &WriteRequest<Invoice>) -> Result<Option<Row>> {
        let known = req.target_id.as_deref().and_then(|id| id.parse::<i64>().ok());
        let id = match known {
            Some(id) => Some(id),
            None => self.invoice_id(&req.key).await?,
        };
        let (body, deactivate) = match (&req.action, id) {
            (WriteAction::Upsert(i), _) => (convert::invoice_row(i)?, false),
            (WriteAction::Deactivate, Some(_)) => (json!({"status": "Deleted"}), true),
            (WriteAction::Deactivate, None) => return Ok(None),
        };
        let mut body = body;
        if let (Some(id), Some(o)) = (id, body.as_object_mut()) {
            o.insert("id".into(), json!(id));
        }
        Ok(Some(Row { key: req.key.clone(), create: id.is_none(), deactivate, body }))
    }
}

/// A path segment with everything but unreserved characters percent-encoded.
fn path_segment(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for b in raw.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
