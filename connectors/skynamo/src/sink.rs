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

use crate::client::{NAME, SkynamoClient};
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
    SinkCapabilities {
        entity,
        max_batch: WRITE_BATCH,
        max_concurrency: 4,
        can_find: true,
        can_deactivate: deactivate,
        idempotent_writes: false,
        natural_key: key.to_owned(),
    }
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
            let Some(fid) = self.client.custom_field_id(key).await? else {
                return Err(Error::invalid_field(
                    format!("meta.custom.{key}"),
                    "no Skynamo custom field of that name",
                ));
            };
            let fid = fid.parse::<i64>().map(Value::from).unwrap_or_else(|_| json!(fid));
            fields.push(json!({"id": fid, "value": text}));
        }
        if !fields.is_empty() {
            m.insert("custom_fields".into(), Value::Array(fields));
        }
        Ok(Value::Object(m))
    }
}

async fn resolve_target<E: Entity>(
    sink: &SkynamoSink,
    path: &'static str,
    req: &WriteRequest<E>,
    code: Option<&str>,
) -> Result<Option<String>> {
    if let Some(id) = &req.target_id {
        return Ok(Some(id.clone()));
    }
    // No idempotency keys in Skynamo: a create is checked first, so a rerun after a crash
    // updates the record instead of duplicating it.
    match code {
        Some(code) => sink.existing(path, "code", code).await,
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
            Some(Found { target_id: id_of(&v)?, record: convert::customer(&v).ok() })
        }))
    }
    async fn write(&self, batch: Vec<WriteRequest<Customer>>) -> Result<Vec<WriteOutcome>> {
        let mut out = Vec::new();
        let mut rows = Vec::new();
        for req in batch {
            let prepared: Result<Row> = async {
                match &req.action {
                    WriteAction::Upsert(c) => {
                        let target =
                            resolve_target(self, "customers", &req, c.number.as_deref()).await?;
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
        let hit = self.client.find_by("products", "code", &key.value).await?;
        Ok(hit
            .and_then(|v| Some(Found { target_id: id_of(&v)?, record: convert::product(&v).ok() })))
    }
    async fn write(&self, batch: Vec<WriteRequest<Product>>) -> Result<Vec<WriteOutcome>> {
        let mut out = Vec::new();
        let mut rows = Vec::new();
        let unit = self.client.config().default_order_unit.clone();
        for req in batch {
            let target = match &req.action {
                WriteAction::Upsert(p) => {
                    resolve_target(self, "products", &req, Some(p.sku.as_str())).await
                }
                WriteAction::Deactivate => Ok(req.target_id.clone()),
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
        out.extend(self.send("products", rows).await);
        Ok(out)
    }
}

#[async_trait]
impl Sink<PriceList> for SkynamoSink {
    fn name(&self) -> &str {
        NAME
    }
    fn capabilities(&self) -> SinkCapabilities {
        SinkCapabilities {
            max_batch: 1,
            max_concurrency: 1,
            ..caps(EntityKind::PriceList, "code", false)
        }
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
            .and_then(|l| Some(Found { target_id: id_of(l)?, record: None })))
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
                None => {
                    let row = json!({"name": list.code, "active": true, "prices_include_vat": list.tax_inclusive, "currency_code": list.currency.as_str()});
                    match self.client.write_array("POST", "pricelists", vec![row]).await.pop() {
                        Some(Ok(v)) => match id_of(&v) {
                            Some(id) => (id, true),
                            None => {
                                out.push(WriteOutcome::new(
                                    &req.key,
                                    failed(&req.key, vec!["the new price list has no id".into()]),
                                ));
                                continue;
                            }
                        },
                        Some(Err(m)) => {
                            out.push(WriteOutcome::new(&req.key, failed(&req.key, m)));
                            continue;
                        }
                        None => continue,
                    }
                }
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
        let path = format!("invoicesbyexternalid/{}", key.value);
        match self
            .client
            .http()
            .get(&path)
            .operation("GET /invoicesbyexternalid/{id}")
            .send_json::<Value>()
            .await
        {
            Ok(v) => Ok(id_of(&v).map(|id| Found { target_id: id, record: None })),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }
    /// Upserts by `external_id` (`POST /invoicesbyexternalid`): a rerun updates, never
    /// duplicates.
    async fn write(&self, batch: Vec<WriteRequest<Invoice>>) -> Result<Vec<WriteOutcome>> {
        let mut out = Vec::new();
        let mut rows = Vec::new();
        for req in batch {
            let body = match &req.action {
                WriteAction::Upsert(i) => convert::invoice_row(i),
                WriteAction::Deactivate => Ok(json!({"external_id": req.key, "status": "Deleted"})),
            };
            match body {
                Ok(b) => rows.push(Row {
                    key: req.key.clone(),
                    create: req.target_id.is_none(),
                    deactivate: matches!(req.action, WriteAction::Deactivate),
                    body: b,
                }),
                Err(e) => out.push(WriteOutcome::new(
                    &req.key,
                    Outcome::Failed { error: e.with_connector(NAME).with_record(req.key.clone()) },
                )),
            }
        }
        for chunk in rows.chunks(WRITE_BATCH) {
            let results = self
                .client
                .write_array(
                    "POST",
                    "invoicesbyexternalid",
                    chunk.iter().map(|r| r.body.clone()).collect(),
                )
                .await;
            for (row, res) in chunk.iter().zip(results) {
                let outcome = match res {
                    Ok(v) => {
                        let id = id_of(&v).unwrap_or_else(|| row.key.clone());
                        if row.deactivate {
                            Outcome::Deactivated { target_id: id }
                        } else if row.create {
                            Outcome::Created { target_id: id }
                        } else {
                            Outcome::Updated { target_id: id }
                        }
                    }
                    Err(m) => failed(&row.key, m),
                };
                out.push(WriteOutcome::new(&row.key, outcome));
            }
        }
        Ok(out)
    }
}
