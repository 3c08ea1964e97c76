//! Product → `Product2` by its SKU field, with the standard price (`PricebookEntry`) and
//! variants pointed at their configurable product.

use std::collections::HashMap;

use async_trait::async_trait;
use connector_core::sink::{
    Found, LookupKey, Sink, SinkCapabilities, WriteAction, WriteOutcome, WriteRequest,
};
use connector_core::{EntityKind, Error, ErrorKind, Result};
use serde_json::{Map, Value, json};

use connector_core::model::{Lifecycle, Product};

use super::{MAX_BATCH, Row, SalesforceSink, custom_json, decimal, fail, in_lists};
use crate::client::{NAME, id18, literal};

impl SalesforceSink {
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
        let Some(parent_field) = cfg.product_parent_field.as_deref() else {
            let e = Error::config(
                "a variant needs product_parent_field: the Product2 lookup to its configurable product (a custom field; a standard org has none)",
            );
            return Ok((
                Vec::new(),
                variants.iter().map(|(row, _)| fail(&row.key, e.clone())).collect(),
            ));
        };
        let f = cfg.product_sku_field.as_str();
        let mut parents: Vec<String> = variants.iter().map(|(_, p)| p.clone()).collect();
        parents.sort();
        parents.dedup();
        let mut ids: HashMap<String, Result<String>> = HashMap::new();
        // Keyed without case: SOQL's `IN` matches text so.
        for list in in_lists(&parents) {
            let soql = format!("SELECT Id, {f} FROM Product2 WHERE {f} IN ({list})");
            let mut pages = self.client.query(soql);
            while let Some(page) = futures_util::StreamExt::next(&mut pages).await {
                for r in page? {
                    if let (Some(id), Some(sku)) = (r["Id"].as_str(), r[f].as_str()) {
                        ids.insert(sku.trim().to_lowercase(), Ok(id18(id)));
                    }
                }
            }
        }
        let missing: Vec<Row> = parents
            .iter()
            .filter(|p| !ids.contains_key(&p.trim().to_lowercase()))
            .map(|p| Row {
                key: p.clone(),
                deactivate: false,
                record: json!({ f: p, "ProductCode": p, "Name": p, "IsActive": true }),
            })
            .collect();
        for (row, r) in self.upsert_by("Product2", f, missing).await {
            ids.insert(row.key.trim().to_lowercase(), r.map(|(id, _)| id));
        }
        let mut ready = Vec::new();
        let mut failed = Vec::new();
        for (mut row, parent) in variants {
            match ids.get(&parent.trim().to_lowercase()) {
                Some(Ok(id)) => {
                    row.record[parent_field] = json!(id);
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
        let ids: Vec<String> = priced.iter().map(|(_, id, _)| id.clone()).collect();
        let mut existing: HashMap<String, String> = HashMap::new();
        for list in in_lists(&ids) {
            let soql = format!(
                "SELECT Id, Product2Id FROM PricebookEntry WHERE Pricebook2Id = {} AND Product2Id IN ({list})",
                literal(&book),
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
                // Not uncertain: the product is certain, and its price is set again when the
                // product is sent again.
                let e = if e.kind() == ErrorKind::UncertainWrite {
                    e.with_kind(ErrorKind::Upstream)
                } else {
                    e
                };
                failed.insert(row.key, e.context("the product was written; its price was not"));
            }
        }
        failed
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
        SinkCapabilities::new(EntityKind::Product)
            .max_batch(MAX_BATCH)
            .max_concurrency(1)
            .can_find(true)
            .can_deactivate(true)
            .idempotent_writes(true)
            .natural_key("sku")
    }
    async fn check(&self) -> Result<()> {
        let cfg = self.client.config();
        let mut wanted = vec![("Product2", cfg.product_sku_field.as_str())];
        wanted.extend(cfg.product_parent_field.as_deref().map(|f| ("Product2", f)));
        self.client.check_fields(&wanted).await
    }
    async fn find(&self, key: &LookupKey) -> Result<Option<Found<Product>>> {
        let field = &self.client.config().product_sku_field;
        let row = self
            .client
            .query_one(format!(
                "SELECT {} FROM Product2 WHERE {field} = {} LIMIT 1",
                crate::source::product_fields(field),
                literal(key.value.trim())
            ))
            .await?;
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
        let described = self.client.describe("Product2").await?;
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
                    let mut missing = None;
                    for a in p.attributes.iter().chain(&p.features) {
                        let f = cfg.attribute_field(&a.name);
                        if !described.has(&f) {
                            missing = Some((a.name.clone(), f.clone()));
                        }
                        body.insert(f, json!(a.value));
                    }
                    if let Some((name, f)) = missing {
                        out.push(fail(
                            &req.key,
                            Error::invalid_field(
                                format!("attributes.{name}"),
                                format!("Product2 has no field {f} for {name}: create it, or name the field in product_attribute_fields"),
                            ),
                        ));
                        continue;
                    }
                    // Written before: updated by its id (no lookup by a key that may have
                    // changed or, after an upgrade, live in another field).
                    if let Some(id) = &req.target_id {
                        body.insert("Id".into(), json!(id));
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
        let mut results = self.upsert_by("Product2", &field, upserts).await;
        if !variants.is_empty() {
            let (ready, failed) = self.link_parents(&cfg, variants).await?;
            out.extend(failed);
            results.extend(self.upsert_by("Product2", &field, ready).await);
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
