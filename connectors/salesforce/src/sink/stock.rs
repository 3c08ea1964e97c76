//! StockLevel → the stock field of `Product2` (a custom field: a standard org has none).

use std::collections::HashMap;

use async_trait::async_trait;
use connector_core::sink::{
    Found, LookupKey, Outcome, Sink, SinkCapabilities, WriteAction, WriteOutcome, WriteRequest,
};
use connector_core::{EntityKind, Error, Result};
use serde_json::json;

use super::{MAX_BATCH, Row, SalesforceSink, decimal, fail, in_lists};
use crate::client::{NAME, id18};

use connector_core::model::{SellablePolicy, StockLevel};

/// The configured stock field, or the error saying a standard org has none.
fn stock_field(cfg: &crate::config::SalesforceConfig) -> Result<&str> {
    cfg.stock_field.as_deref().ok_or_else(|| {
        Error::config(
            "no stock field is configured: set stock_field to the Product2 number field that takes the stock (a custom field; a standard org has none)",
        )
        .with_connector(NAME)
    })
}

#[async_trait]
impl Sink<StockLevel> for SalesforceSink {
    fn name(&self) -> &str {
        NAME
    }
    fn capabilities(&self) -> SinkCapabilities {
        SinkCapabilities::new(EntityKind::StockLevel)
            .max_batch(MAX_BATCH)
            .max_concurrency(1)
            .can_find(false)
            .can_deactivate(false)
            .idempotent_writes(true)
            .natural_key("sku")
    }
    /// Fails unless a stock field is configured and the org has it.
    async fn check(&self) -> Result<()> {
        let cfg = self.client.config();
        let stock = stock_field(cfg)?;
        self.client.check_fields(&[("Product2", &cfg.product_sku_field), ("Product2", stock)]).await
    }
    async fn find(&self, _key: &LookupKey) -> Result<Option<Found<StockLevel>>> {
        Ok(None)
    }
    /// Writes the sellable quantity (as the flow computed it into `available`, else on hand
    /// minus reserved) to the stock field of the product with that SKU. With no stock field
    /// configured every record fails, naming the setting.
    async fn write(&self, batch: Vec<WriteRequest<StockLevel>>) -> Result<Vec<WriteOutcome>> {
        let cfg = self.client.config();
        let stock = match stock_field(cfg) {
            Ok(f) => f,
            Err(e) => return Ok(batch.iter().map(|r| fail(&r.key, e.clone())).collect()),
        };
        let mut out = Vec::new();
        let mut rows = Vec::new();
        for req in batch {
            match &req.action {
                WriteAction::Upsert(s) => match s
                    .available
                    .or_else(|| s.sellable(SellablePolicy::OnHandMinusReserved))
                {
                    Some(q) => rows.push(Row {
                        key: req.key,
                        deactivate: false,
                        record: json!({ cfg.product_sku_field.as_str(): s.sku, stock: decimal(q) }),
                    }),
                    None => out.push(fail(
                        &req.key,
                        Error::invalid_field("available", "no quantity to write"),
                    )),
                },
                WriteAction::Deactivate => out.push(WriteOutcome::new(
                    &req.key,
                    Outcome::Skipped {
                        reason: "stock rows are not removed".into(),
                        target_id: req.target_id,
                    },
                )),
            }
        }
        // An upsert would create a product from a stock row: stock only updates products
        // that exist, so a missing one fails (by its SKU) instead.
        let skus: Vec<String> = rows
            .iter()
            .map(|r| {
                r.record[cfg.product_sku_field.as_str()].as_str().unwrap_or_default().to_owned()
            })
            .collect();
        let mut known: HashMap<String, String> = HashMap::new();
        for list in in_lists(&skus) {
            let soql = format!(
                "SELECT Id, {f} FROM Product2 WHERE {f} IN ({list})",
                f = cfg.product_sku_field
            );
            let mut pages = self.client.query(soql);
            while let Some(page) = futures_util::StreamExt::next(&mut pages).await {
                for r in page? {
                    if let (Some(id), Some(sku)) =
                        (r["Id"].as_str(), r[cfg.product_sku_field.as_str()].as_str())
                    {
                        known.insert(sku.trim().to_lowercase(), id18(id));
                    }
                }
            }
        }
        let mut updates = Vec::new();
        for mut row in rows {
            let sku =
                row.record[cfg.product_sku_field.as_str()].as_str().unwrap_or_default().to_owned();
            match known.get(&sku.trim().to_lowercase()) {
                Some(id) => {
                    row.record = json!({"Id": id, stock: row.record[stock].clone()});
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
