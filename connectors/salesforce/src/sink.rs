//! Sinks, all through sObject Collections (at most 200 records a call, `allOrNone: false`,
//! one result per record): Product → `Product2` upserted by the SKU external id, with its
//! price in the standard price book (`PricebookEntry`); StockLevel → the stock field of
//! `Product2` (when the org manages stock); Shipment → the shipment object upserted by its
//! number, linked to the `Order` found by `OrderNumber`; Customer → `Account` upserted by the
//! ERP number external id.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use connector_core::model::{
    CustomValue, Customer, Lifecycle, Product, SellablePolicy, Shipment, StockLevel,
};
use connector_core::sink::{
    Found, LookupKey, Outcome, Sink, SinkCapabilities, WriteAction, WriteOutcome, WriteRequest,
};
use connector_core::{Entity, EntityKind, Error, ErrorKind, FieldError, Result};
use serde_json::{Map, Value, json};

use crate::client::{NAME, SalesforceClient, id18, literal};

/// The most records one collection call carries.
pub const MAX_BATCH: usize = 200;

/// Writes products, stock, shipments and accounts.
#[derive(Debug, Clone)]
pub struct SalesforceSink {
    client: SalesforceClient,
    standard_book: Arc<Mutex<Option<String>>>,
    orders: Arc<Mutex<HashMap<String, String>>>,
}

fn fail(key: &str, e: Error) -> WriteOutcome {
    WriteOutcome::new(
        key,
        Outcome::Failed { error: e.with_connector(NAME).with_record(key.to_owned()) },
    )
}

fn custom_json(v: &CustomValue) -> Value {
    match v {
        CustomValue::Text(s) | CustomValue::Choice(s) => json!(s),
        CustomValue::Number(d) => decimal(*d),
        CustomValue::Bool(b) => json!(b),
        CustomValue::Date(d) => json!(d.to_string()),
        CustomValue::DateTime(d) => json!(connector_core::http::dates::format_salesforce(*d)),
        CustomValue::Json(j) => j.clone(),
    }
}

fn decimal(d: rust_decimal::Decimal) -> Value {
    serde_json::from_str(&d.normalize().to_string()).unwrap_or(Value::Null)
}

/// One row of a collection call: the request key, whether it deactivates, the record.
struct Row {
    key: String,
    deactivate: bool,
    record: Value,
}

impl SalesforceSink {
    /// A sink over a connection.
    pub fn new(client: SalesforceClient) -> Self {
        Self {
            client,
            standard_book: Arc::new(Mutex::new(None)),
            orders: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// Points each variant row at its configurable product (`product_parent_field`, the
    /// parent's `Product2` id). A parent missing from Salesforce is created from its SKU
    /// (name = SKU, active) and left alone afterwards: it is upserted like any product when
    /// the source sends it, and enrichment in Salesforce stays. Returns the rows ready to
    /// upsert and the failures of variants whose parent could not be written.
    async fn link_parents(
        &self,
        cfg: &crate::config::SalesforceConfig,
        variants: Vec<(Row, String)>,
    ) -> Result<(Vec<Row>, Vec<WriteOutcome>)> {
        let f = cfg.product_sku_field.as_str();
        let mut parents: Vec<String> = variants.iter().map(|(_, p)| p.clone()).collect();
        parents.sort();
        parents.dedup();
        let mut ids: HashMap<String, Result<String>> = HashMap::new();
        for chunk in parents.chunks(200) {
            let list: Vec<String> = chunk.iter().map(|p| literal(p)).collect();
            let soql = format!("SELECT Id, {f} FROM Product2 WHERE {f} IN ({})", list.join(", "));
            let mut pages = self.client.query(soql);
            while let Some(page) = futures_util::StreamExt::next(&mut pages).await {
                for r in page? {
                    if let (Some(id), Some(sku)) = (r["Id"].as_str(), r[f].as_str()) {
                        ids.insert(sku.to_owned(), Ok(id18(id)));
                    }
                }
            }
        }
        let missing: Vec<Row> = parents
            .iter()
            .filter(|p| !ids.contains_key(p.as_str()))
            .map(|p| Row {
                key: p.clone(),
                deactivate: false,
                record: json!({ f: p, "ProductCode": p, "Name": p, "IsActive": true }),
            })
            .collect();
        for (row, r) in self.collection("Product2", Some(f), missing).await {
            ids.insert(row.key, r.map(|(id, _)| id));
        }
        let mut ready = Vec::new();
        let mut failed = Vec::new();
        for (mut row, parent) in variants {
            match ids.get(&parent) {
                Some(Ok(id)) => {
                    row.record[cfg.product_parent_field.as_str()] = json!(id);
                    ready.push(row);
                }
                Some(Err(e)) => failed.push(fail(
                    &row.key,
                    e.clone().context(format!("writing its configurable product {parent}")),
                )),
                None => failed.push(fail(
                    &row.key,
                    Error::invalid_field(
                        "variant_of",
                        format!("no Salesforce product for the configurable product {parent}"),
                    ),
                )),
            }
        }
        Ok((ready, failed))
    }

    /// Sends rows in calls of at most 200 and matches the per-record results by position.
    /// `upsert_field` upserts by that external id; `None` updates by `Id`.
    async fn collection(
        &self,
        object: &str,
        upsert_field: Option<&str>,
        rows: Vec<Row>,
    ) -> Vec<(Row, Result<(String, bool)>)> {
        let mut out = Vec::with_capacity(rows.len());
        let mut rows = rows.into_iter().peekable();
        while rows.peek().is_some() {
            let chunk: Vec<Row> = rows.by_ref().take(MAX_BATCH).collect();
            let records: Vec<Value> = chunk
                .iter()
                .map(|r| {
                    let mut rec = r.record.clone();
                    rec["attributes"] = json!({"type": object});
                    rec
                })
                .collect();
            let path = match upsert_field {
                Some(f) => format!("composite/sobjects/{object}/{f}"),
                None => "composite/sobjects".to_owned(),
            };
            let answer = self
                .client
                .http()
                .patch(&path)
                .operation(format!("PATCH /{path}"))
                // An upsert by external id and an update by id land the same on a resend.
                .idempotent(true)
                .json(&json!({"allOrNone": false, "records": records}))
                .send_json::<Vec<Value>>()
                .await;
            match answer {
                Ok(results) => {
                    for (i, row) in chunk.into_iter().enumerate() {
                        let r = match results.get(i) {
                            None => Err(Error::new(
                                ErrorKind::UncertainWrite,
                                format!("Salesforce's answer has no result {i}"),
                            )),
                            Some(res)
                                if res.get("success").and_then(Value::as_bool) == Some(true) =>
                            {
                                Ok((
                                    res.get("id")
                                        .and_then(Value::as_str)
                                        .map(id18)
                                        .unwrap_or_default(),
                                    res.get("created").and_then(Value::as_bool).unwrap_or(false),
                                ))
                            }
                            Some(res) => {
                                let errs = res
                                    .get("errors")
                                    .and_then(Value::as_array)
                                    .cloned()
                                    .unwrap_or_default();
                                let msgs: Vec<String> = errs
                                    .iter()
                                    .map(|e| {
                                        format!(
                                            "{}: {}",
                                            e["statusCode"].as_str().unwrap_or(""),
                                            e["message"].as_str().unwrap_or("")
                                        )
                                    })
                                    .collect();
                                let fe: Vec<FieldError> = errs
                                    .iter()
                                    .flat_map(|e| {
                                        let msg = e["message"].as_str().unwrap_or("").to_owned();
                                        let fields: Vec<String> = e["fields"]
                                            .as_array()
                                            .map(|a| {
                                                a.iter()
                                                    .filter_map(|f| f.as_str().map(str::to_owned))
                                                    .collect()
                                            })
                                            .unwrap_or_default();
                                        let fields = if fields.is_empty() {
                                            vec!["record".to_owned()]
                                        } else {
                                            fields
                                        };
                                        fields
                                            .into_iter()
                                            .map(move |f| FieldError::new(f, msg.clone()))
                                    })
                                    .collect();
                                Err(Error::new(
                                    ErrorKind::InvalidInput,
                                    format!("Salesforce refused the {object}: {}", msgs.join("; ")),
                                )
                                .with_field_errors(fe))
                            }
                        };
                        out.push((row, r));
                    }
                }
                Err(e) => out.extend(chunk.into_iter().map(|row| (row, Err(e.clone())))),
            }
        }
        out
    }

    fn outcomes(results: Vec<(Row, Result<(String, bool)>)>) -> Vec<WriteOutcome> {
        results
            .into_iter()
            .map(|(row, r)| match r {
                Ok((id, _)) if row.deactivate => {
                    WriteOutcome::new(&row.key, Outcome::Deactivated { target_id: id })
                }
                Ok((id, true)) => WriteOutcome::new(&row.key, Outcome::Created { target_id: id }),
                Ok((id, false)) => WriteOutcome::new(&row.key, Outcome::Updated { target_id: id }),
                Err(e) => fail(&row.key, e),
            })
            .collect()
    }

    async fn standard_book(&self) -> Result<String> {
        if let Some(id) =
            self.standard_book.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
        {
            return Ok(id);
        }
        let row = self
            .client
            .query_one("SELECT Id FROM Pricebook2 WHERE IsStandard = true LIMIT 1".to_owned())
            .await?;
        let id = row
            .and_then(|r| r.get("Id").and_then(Value::as_str).map(id18))
            .ok_or_else(|| Error::config("the org has no standard price book"))?;
        *self.standard_book.lock().unwrap_or_else(std::sync::PoisonError::into_inner) =
            Some(id.clone());
        Ok(id)
    }

    /// Sets the standard price of written products: new entries for products without one,
    /// updates for the others.
    async fn prices(
        &self,
        priced: Vec<(String, String, rust_decimal::Decimal)>,
    ) -> HashMap<String, Error> {
        let mut failed = HashMap::new();
        if priced.is_empty() {
            return failed;
        }
        let book = match self.standard_book().await {
            Ok(b) => b,
            Err(e) => {
                for (key, _, _) in priced {
                    failed.insert(key, e.clone());
                }
                return failed;
            }
        };
        let ids: Vec<String> = priced.iter().map(|(_, id, _)| literal(id)).collect();
        let mut existing: HashMap<String, String> = HashMap::new();
        for chunk in ids.chunks(200) {
            let soql = format!(
                "SELECT Id, Product2Id FROM PricebookEntry WHERE Pricebook2Id = {} AND Product2Id IN ({})",
                literal(&book),
                chunk.join(", ")
            );
            let mut pages = self.client.query(soql);
            while let Some(page) = futures_util::StreamExt::next(&mut pages).await {
                match page {
                    Ok(rows) => {
                        for r in rows {
                            if let (Some(id), Some(p)) =
                                (r["Id"].as_str(), r["Product2Id"].as_str())
                            {
                                existing.insert(id18(p), id18(id));
                            }
                        }
                    }
                    Err(e) => {
                        for (key, _, _) in &priced {
                            failed.insert(key.clone(), e.clone());
                        }
                        return failed;
                    }
                }
            }
        }
        let mut creates = Vec::new();
        let mut updates = Vec::new();
        for (key, product, price) in priced {
            match existing.get(&product) {
                Some(entry) => updates.push(Row { key, deactivate: false, record: json!({"Id": entry, "UnitPrice": decimal(price)}) }),
                None => creates.push(Row {
                    key,
                    deactivate: false,
                    record: json!({"Pricebook2Id": book, "Product2Id": product, "UnitPrice": decimal(price), "IsActive": true}),
                }),
            }
        }
        for (row, r) in self
            .post_collection("PricebookEntry", creates)
            .await
            .into_iter()
            .chain(self.collection("PricebookEntry", None, updates).await)
        {
            if let Err(e) = r {
                failed.insert(row.key, e.context("the product was written; its price was not"));
            }
        }
        failed
    }

    /// Creates rows through `POST composite/sobjects` (used for price-book entries, which have
    /// no external id).
    async fn post_collection(
        &self,
        object: &str,
        rows: Vec<Row>,
    ) -> Vec<(Row, Result<(String, bool)>)> {
        let mut out = Vec::new();
        let mut rows = rows.into_iter().peekable();
        while rows.peek().is_some() {
            let chunk: Vec<Row> = rows.by_ref().take(MAX_BATCH).collect();
            let records: Vec<Value> = chunk
                .iter()
                .map(|r| {
                    let mut rec = r.record.clone();
                    rec["attributes"] = json!({"type": object});
                    rec
                })
                .collect();
            let answer = self
                .client
                .http()
                .post("composite/sobjects")
                .operation("POST /composite/sobjects")
                .json(&json!({"allOrNone": false, "records": records}))
                .send_json::<Vec<Value>>()
                .await;
            match answer {
                Ok(results) => {
                    for (i, row) in chunk.into_iter().enumerate() {
                        let r = match results.get(i) {
                            Some(res) if res["success"].as_bool() == Some(true) => {
                                Ok((res["id"].as_str().map(id18).unwrap_or_default(), true))
                            }
                            Some(res) => Err(Error::new(
                                ErrorKind::InvalidInput,
                                format!("Salesforce refused the {object}: {}", res["errors"]),
                            )),
                            None => Err(Error::new(
                                ErrorKind::UncertainWrite,
                                format!("Salesforce's answer has no result {i}"),
                            )),
                        };
                        out.push((row, r));
                    }
                }
                Err(e) => out.extend(chunk.into_iter().map(|row| (row, Err(e.clone())))),
            }
        }
        out
    }

    async fn order_id(&self, number: &str) -> Result<Option<String>> {
        if let Some(id) =
            self.orders.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(number)
        {
            return Ok(Some(id.clone()));
        }
        let row = self
            .client
            .query_one(format!(
                "SELECT Id FROM Order WHERE OrderNumber = {} LIMIT 1",
                literal(number)
            ))
            .await?;
        let id = row.and_then(|r| r.get("Id").and_then(Value::as_str).map(id18));
        if let Some(id) = &id {
            self.orders
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .insert(number.to_owned(), id.clone());
        }
        Ok(id)
    }
}

/// The `Product2` body of a product (the fields the mapping left set; a `None` is not sent,
/// so an update leaves the target's value alone).
pub fn product_body(p: &Product, sku_field: &str) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert(sku_field.to_owned(), json!(p.sku));
    m.insert("ProductCode".into(), json!(p.sku));
    if let Some(n) = &p.name {
        m.insert("Name".into(), json!(n));
    }
    if let Some(d) = p.long_description.as_ref().or(p.description.as_ref()) {
        m.insert("Description".into(), json!(d));
    }
    if let Some(g) = &p.gtin {
        m.insert("StockKeepingUnit".into(), json!(g));
    }
    if let Some(f) = p.categories.first() {
        m.insert("Family".into(), json!(f));
    }
    if let Some(u) = &p.unit {
        m.insert("QuantityUnitOfMeasure".into(), json!(u));
    }
    if let Some(i) = p.images.iter().find(|i| i.primary).or(p.images.first()) {
        m.insert("DisplayUrl".into(), json!(i.url));
    }
    m.insert("IsActive".into(), json!(p.meta.lifecycle == Lifecycle::Active));
    for (k, v) in &p.meta.custom {
        if let Some(field) = k.strip_prefix("salesforce:") {
            m.insert(field.to_owned(), custom_json(&v.value));
        }
    }
    m
}

#[async_trait]
impl Sink<Product> for SalesforceSink {
    fn name(&self) -> &str {
        NAME
    }
    fn capabilities(&self) -> SinkCapabilities {
        SinkCapabilities {
            entity: EntityKind::Product,
            max_batch: MAX_BATCH,
            max_concurrency: 1,
            can_find: true,
            can_deactivate: true,
            idempotent_writes: true,
            natural_key: "sku".into(),
        }
    }
    async fn check(&self) -> Result<()> {
        self.client.check().await
    }
    async fn find(&self, key: &LookupKey) -> Result<Option<Found<Product>>> {
        let field = &self.client.config().product_sku_field;
        let row = self.client.query_one(format!("SELECT Id, Name, ProductCode, {field}, Description, IsActive, SystemModstamp FROM Product2 WHERE {field} = {} LIMIT 1", literal(key.value.trim()))).await?;
        Ok(row.map(|r| {
            let found = Found::new(
                r["Id"].as_str().map(id18).unwrap_or_default(),
                r[field.as_str()].as_str().unwrap_or_default(),
            );
            match crate::source::product(&r, field) {
                Ok(p) => found.with_record(p),
                Err(_) => found,
            }
        }))
    }
    async fn write(&self, batch: Vec<WriteRequest<Product>>) -> Result<Vec<WriteOutcome>> {
        let cfg = self.client.config().clone();
        let field = cfg.product_sku_field.clone();
        let mut out = Vec::new();
        let mut upserts = Vec::new();
        let mut variants = Vec::new();
        let mut deactivations = Vec::new();
        let mut prices = HashMap::new();
        for req in batch {
            match &req.action {
                WriteAction::Upsert(p) => {
                    if p.sku.trim().is_empty() {
                        out.push(fail(
                            &req.key,
                            Error::invalid_field("sku", "a product needs a SKU"),
                        ));
                        continue;
                    }
                    if let Some(price) = &p.sales_price {
                        prices.insert(req.key.clone(), price.amount);
                    }
                    let mut body = product_body(p, &field);
                    for a in p.attributes.iter().chain(&p.features) {
                        body.insert(cfg.attribute_field(&a.name), json!(a.value));
                    }
                    let row = Row { key: req.key, deactivate: false, record: Value::Object(body) };
                    match p.variant_of.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
                        Some(parent) => variants.push((row, parent.to_owned())),
                        None => upserts.push(row),
                    }
                }
                WriteAction::Deactivate => match req.target_id {
                    Some(id) => deactivations.push(Row {
                        key: req.key,
                        deactivate: true,
                        record: json!({"Id": id, "IsActive": false}),
                    }),
                    None => out.push(fail(
                        &req.key,
                        Error::invalid_field(
                            "target_id",
                            "nothing to deactivate: the product was never written",
                        ),
                    )),
                },
            }
        }
        // Products first (a configurable product among them), then the variants pointing
        // at their configurable product.
        let mut results = self.collection("Product2", Some(&field), upserts).await;
        if !variants.is_empty() {
            let (ready, failed) = self.link_parents(&cfg, variants).await?;
            out.extend(failed);
            results.extend(self.collection("Product2", Some(&field), ready).await);
        }
        let priced: Vec<(String, String, rust_decimal::Decimal)> = results
            .iter()
            .filter_map(|(row, r)| {
                Some((row.key.clone(), r.as_ref().ok()?.0.clone(), *prices.get(&row.key)?))
            })
            .collect();
        let price_failures = self.prices(priced).await;
        for o in Self::outcomes(results) {
            match price_failures.get(&o.key) {
                Some(e) if o.outcome.is_success() => out.push(fail(&o.key.clone(), e.clone())),
                _ => out.push(o),
            }
        }
        out.extend(Self::outcomes(self.collection("Product2", None, deactivations).await));
        Ok(out)
    }
}

#[async_trait]
impl Sink<StockLevel> for SalesforceSink {
    fn name(&self) -> &str {
        NAME
    }
    fn capabilities(&self) -> SinkCapabilities {
        SinkCapabilities {
            entity: EntityKind::StockLevel,
            max_batch: MAX_BATCH,
            max_concurrency: 1,
            can_find: false,
            can_deactivate: false,
            idempotent_writes: true,
            natural_key: "sku".into(),
        }
    }
    async fn check(&self) -> Result<()> {
        self.client.check().await
    }
    async fn find(&self, _key: &LookupKey) -> Result<Option<Found<StockLevel>>> {
        Ok(None)
    }
    /// Writes the sellable quantity (as the flow computed it into `available`, else on hand
    /// minus reserved) to the stock field of the product with that SKU. An org that does not
    /// manage stock gets nothing: every record is skipped, saying so.
    async fn write(&self, batch: Vec<WriteRequest<StockLevel>>) -> Result<Vec<WriteOutcome>> {
        let cfg = self.client.config();
        if !cfg.manage_stock {
            return Ok(batch
                .into_iter()
                .map(|r| {
                    WriteOutcome::new(
                        &r.key,
                        Outcome::Skipped {
                            reason: "the Salesforce org does not manage stock".into(),
                            target_id: r.target_id,
                        },
                    )
                })
                .collect());
        }
        let mut out = Vec::new();
        let mut rows = Vec::new();
        for req in batch {
            match &req.action {
                WriteAction::Upsert(s) => match s.available.or_else(|| s.sellable(SellablePolicy::OnHandMinusReserved)) {
                    Some(q) => rows.push(Row { key: req.key, deactivate: false, record: json!({ cfg.product_sku_field.as_str(): s.sku, cfg.stock_field.as_str(): decimal(q) }) }),
                    None => out.push(fail(&req.key, Error::invalid_field("available", "no quantity to write"))),
                },
                WriteAction::Deactivate => out.push(WriteOutcome::new(&req.key, Outcome::Skipped { reason: "stock rows are not removed".into(), target_id: req.target_id })),
            }
        }
        // An upsert would create a product from a stock row: stock only updates products
        // that exist, so a missing one fails (by its SKU) instead.
        let skus: Vec<String> = rows
            .iter()
            .map(|r| literal(r.record[cfg.product_sku_field.as_str()].as_str().unwrap_or_default()))
            .collect();
        let mut known: HashMap<String, String> = HashMap::new();
        for chunk in skus.chunks(200) {
            let soql = format!(
                "SELECT Id, {f} FROM Product2 WHERE {f} IN ({})",
                chunk.join(", "),
                f = cfg.product_sku_field
            );
            let mut pages = self.client.query(soql);
            while let Some(page) = futures_util::StreamExt::next(&mut pages).await {
                for r in page? {
                    if let (Some(id), Some(sku)) =
                        (r["Id"].as_str(), r[cfg.product_sku_field.as_str()].as_str())
                    {
                        known.insert(sku.to_owned(), id18(id));
                    }
                }
            }
        }
        let mut updates = Vec::new();
        for mut row in rows {
            let sku =
                row.record[cfg.product_sku_field.as_str()].as_str().unwrap_or_default().to_owned();
            match known.get(&sku) {
                Some(id) => {
                    row.record = json!({"Id": id, cfg.stock_field.as_str(): row.record[cfg.stock_field.as_str()].clone()});
                    updates.push(row);
                }
                None => out.push(fail(
                    &row.key,
                    Error::invalid_field("sku", format!("no Salesforce product has SKU {sku}")),
                )),
            }
        }
        out.extend(Self::outcomes(self.collection("Product2", None, updates).await));
        Ok(out)
    }
}

#[async_trait]
impl Sink<Shipment> for SalesforceSink {
    fn name(&self) -> &str {
        NAME
    }
    fn capabilities(&self) -> SinkCapabilities {
        SinkCapabilities {
            entity: EntityKind::Shipment,
            max_batch: MAX_BATCH,
            max_concurrency: 1,
            can_find: false,
            can_deactivate: false,
            idempotent_writes: true,
            natural_key: "number".into(),
        }
    }
    async fn check(&self) -> Result<()> {
        self.client.check().await
    }
    async fn find(&self, _key: &LookupKey) -> Result<Option<Found<Shipment>>> {
        Ok(None)
    }
    /// Each shipment is one record of the shipment object, upserted by its number (a split
    /// delivery gives two records on one order).
    async fn write(&self, batch: Vec<WriteRequest<Shipment>>) -> Result<Vec<WriteOutcome>> {
        let so = self.client.config().shipment.clone();
        let mut out = Vec::new();
        let mut rows = Vec::new();
        for req in batch {
            let WriteAction::Upsert(s) = &req.action else {
                out.push(WriteOutcome::new(
                    &req.key,
                    Outcome::Skipped {
                        reason: "shipments are not removed".into(),
                        target_id: req.target_id,
                    },
                ));
                continue;
            };
            let Some(number) = s.key().map(|k| k.into_owned()) else {
                out.push(fail(
                    &req.key,
                    Error::invalid_field("number", "a shipment needs a number"),
                ));
                continue;
            };
            let Some(order_no) = s.order_number.as_deref() else {
                out.push(fail(
                    &req.key,
                    Error::invalid_field("order_number", "a shipment needs its order's number"),
                ));
                continue;
            };
            let order = match self.order_id(order_no).await {
                Ok(Some(id)) => id,
                Ok(None) => {
                    out.push(fail(
                        &req.key,
                        Error::invalid_field(
                            "order_number",
                            format!("no Salesforce order has number {order_no}"),
                        ),
                    ));
                    continue;
                }
                Err(e) => {
                    out.push(fail(&req.key, e));
                    continue;
                }
            };
            let mut m = Map::new();
            m.insert(so.number.clone(), json!(number));
            m.insert(so.order.clone(), json!(order));
            m.insert(so.carrier.clone(), json!(s.carrier));
            m.insert(so.tracking_code.clone(), json!(s.tracking_code));
            m.insert(so.tracking_url.clone(), json!(s.tracking_url));
            rows.push(Row { key: req.key, deactivate: false, record: Value::Object(m) });
        }
        out.extend(Self::outcomes(self.collection(&so.object, Some(&so.number), rows).await));
        Ok(out)
    }
}

#[async_trait]
impl Sink<Customer> for SalesforceSink {
    fn name(&self) -> &str {
        NAME
    }
    fn capabilities(&self) -> SinkCapabilities {
        SinkCapabilities {
            entity: EntityKind::Customer,
            max_batch: MAX_BATCH,
            max_concurrency: 1,
            can_find: true,
            can_deactivate: false,
            idempotent_writes: true,
            natural_key: "number".into(),
        }
    }
    async fn check(&self) -> Result<()> {
        self.client.check().await
    }
    async fn find(&self, key: &LookupKey) -> Result<Option<Found<Customer>>> {
        let field = self.client.config().account_number_field.clone();
        let cond = match key.field.as_str() {
            "number" => format!("{field} = {}", literal(key.value.trim())),
            "name" => format!("Name = {}", literal(key.value.trim())),
            "email" => format!(
                "Id IN (SELECT AccountId FROM Contact WHERE Email = {})",
                literal(&key.value.trim().to_lowercase())
            ),
            other => {
                return Err(Error::unsupported(format!(
                    "Salesforce accounts cannot be found by {other}"
                )));
            }
        };
        let row = self
            .client
            .query_one(format!(
                "SELECT {} FROM Account WHERE {cond} LIMIT 1",
                crate::source::account_fields(&field)
            ))
            .await?;
        Ok(row.map(|r| {
            let matched = match key.field.as_str() {
                "number" => r[field.as_str()].as_str().unwrap_or_default().to_owned(),
                "name" => r["Name"].as_str().unwrap_or_default().to_owned(),
                // The account holds no e-mail to read back: SOQL's exact `Email =` matched
                // one of its contacts.
                _ => key.value.trim().to_lowercase(),
            };
            let found = Found::new(r["Id"].as_str().map(id18).unwrap_or_default(), matched);
            match crate::source::customer(&r, &field) {
                Ok(c) => found.with_record(c),
                Err(_) => found,
            }
        }))
    }
    /// Upserts the account by the ERP number (its external id).
    async fn write(&self, batch: Vec<WriteRequest<Customer>>) -> Result<Vec<WriteOutcome>> {
        let field = self.client.config().account_number_field.clone();
        let mut out = Vec::new();
        let mut rows = Vec::new();
        for req in batch {
            let WriteAction::Upsert(c) = &req.action else {
                out.push(WriteOutcome::new(
                    &req.key,
                    Outcome::Skipped {
                        reason: "accounts are not removed".into(),
                        target_id: req.target_id,
                    },
                ));
                continue;
            };
            let Some(number) = c.number.as_deref().filter(|n| !n.trim().is_empty()) else {
                out.push(fail(
                    &req.key,
                    Error::invalid_field("number", "an account is upserted by its ERP number"),
                ));
                continue;
            };
            let Some(name) = c.name.clone().or_else(|| {
                let full = format!(
                    "{} {}",
                    c.first_name.as_deref().unwrap_or(""),
                    c.last_name.as_deref().unwrap_or("")
                );
                Some(full.trim().to_owned()).filter(|s| !s.is_empty())
            }) else {
                out.push(fail(&req.key, Error::invalid_field("name", "an account needs a name")));
                continue;
            };
            let mut m = Map::new();
            m.insert(field.clone(), json!(number.trim()));
            m.insert("Name".into(), json!(name));
            if let Some(p) = c.phones.first() {
                m.insert("Phone".into(), json!(p.number));
            }
            if let Some(a) =
                c.address(connector_core::model::AddressKind::Billing).or(c.addresses.first())
            {
                m.insert("BillingStreet".into(), json!(a.lines.join("\n")));
                m.insert("BillingPostalCode".into(), json!(a.postal_code));
                m.insert("BillingCity".into(), json!(a.city));
                m.insert("BillingCountryCode".into(), json!(a.country));
            }
            for (k, v) in &c.meta.custom {
                if let Some(f) = k.strip_prefix("salesforce:") {
                    m.insert(f.to_owned(), custom_json(&v.value));
                }
            }
            rows.push(Row { key: req.key, deactivate: false, record: Value::Object(m) });
        }
        out.extend(Self::outcomes(self.collection("Account", Some(&field), rows).await));
        Ok(out)
    }
}
