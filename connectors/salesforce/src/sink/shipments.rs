//! Shipment → the shipment object (a custom object), linked to the `Order` by its number.

use async_trait::async_trait;
use connector_core::sink::{
    Found, LookupKey, Outcome, Sink, SinkCapabilities, WriteAction, WriteOutcome, WriteRequest,
};
use connector_core::{Entity, EntityKind, Error, Result};
use serde_json::{Map, Value, json};

use super::{MAX_BATCH, Row, SalesforceSink, fail};
use crate::client::{NAME, id18, literal};

use connector_core::model::Shipment;

impl SalesforceSink {
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

/// The configured shipment object, or the error saying a standard org has none.
fn shipment_object(
    cfg: &crate::config::SalesforceConfig,
) -> Result<&crate::config::ShipmentObject> {
    cfg.shipment.as_ref().ok_or_else(|| {
        Error::config(
            "no shipment object is configured: set shipment_object to the custom object that takes shipments (a standard org has none)",
        )
        .with_connector(NAME)
    })
}

#[async_trait]
impl Sink<Shipment> for SalesforceSink {
    fn name(&self) -> &str {
        NAME
    }
    fn capabilities(&self) -> SinkCapabilities {
        SinkCapabilities::new(EntityKind::Shipment)
            .max_batch(MAX_BATCH)
            .max_concurrency(1)
            .can_find(false)
            .can_deactivate(false)
            .idempotent_writes(true)
            .natural_key("number")
    }
    /// Fails unless a shipment object is configured and the org has it with its fields.
    async fn check(&self) -> Result<()> {
        let so = shipment_object(self.client.config())?;
        let mut wanted: Vec<(&str, &str)> =
            so.fields().into_iter().map(|f| (so.object.as_str(), f)).collect();
        wanted.push(("Order", "OrderNumber"));
        self.client.check_fields(&wanted).await
    }
    async fn find(&self, _key: &LookupKey) -> Result<Option<Found<Shipment>>> {
        Ok(None)
    }
    /// Each shipment is one record of the shipment object, upserted by its number (a split
    /// delivery gives two records on one order).
    async fn write(&self, batch: Vec<WriteRequest<Shipment>>) -> Result<Vec<WriteOutcome>> {
        let so = match shipment_object(self.client.config()) {
            Ok(so) => so.clone(),
            Err(e) => return Ok(batch.iter().map(|r| fail(&r.key, e.clone())).collect()),
        };
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
        out.extend(Self::outcomes(self.upsert_by(&so.object, &so.number, rows).await));
        Ok(out)
    }
}
