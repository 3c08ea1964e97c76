//! Orders placed in Parts PIM (`POST <orders_path>`), over HTTP. Every order carries an
//! employee number (the order's `meta.custom.employee_number`, else the setting, else
//! 999999); a number or SKU that is not digits only is refused before sending, naming it.
//! An order is placed once: it is found by its number, and a create that finds it already
//! there (a retry whose answer was lost) takes it.

use async_trait::async_trait;
use connector_core::model::Order;
use connector_core::sink::{
    Found, LookupKey, Outcome, SinkCapabilities, WriteAction, WriteOutcome, WriteRequest,
};
use connector_core::{EntityKind, Error, ErrorKind, Result, Sink};

use crate::client::NAME;
use crate::config::is_digits;
use crate::sink::PartsPimSink;

impl PartsPimSink {
    async fn place(&self, r: &WriteRequest<Order>, o: &Order) -> Outcome {
        let failed = |error: Error| Outcome::Failed { error: error.with_record(r.key.clone()) };
        let employee = self.employee(o);
        if !is_digits(&employee) {
            return failed(
                Error::invalid_field(
                    "meta.custom.employee_number",
                    format!("employee number `{employee}` is not digits only"),
                )
                .with_connector(NAME),
            );
        }
        let body = match crate::order::body(o, &employee) {
            Ok(b) => b,
            Err((field, why)) => {
                return failed(Error::invalid_field(field, why).with_connector(NAME));
            }
        };
        let number = body["number"].as_str().unwrap_or_default().to_owned();
        let http = match self.http() {
            Ok(h) => h,
            Err(e) => return failed(e),
        };
        let sent = http
            .post(self.config.orders_path.trim_start_matches('/'))
            .json(&body)
            .operation("POST orders")
            .send()
            .await;
        match sent {
            Ok(_) => Outcome::Created { target_id: number },
            // Already placed: a retry of a create whose answer was lost.
            Err(e) if e.kind() == ErrorKind::Conflict => Outcome::Created { target_id: number },
            Err(e) => failed(e),
        }
    }
}

#[async_trait]
impl Sink<Order> for PartsPimSink {
    fn name(&self) -> &str {
        NAME
    }
    fn capabilities(&self) -> SinkCapabilities {
        SinkCapabilities::new(EntityKind::Order).max_batch(20).can_find(true).natural_key("number")
    }
    async fn check(&self) -> Result<()> {
        let _: serde_json::Value = self
            .http()?
            .get(self.config.orders_path.trim_start_matches('/'))
            .query("limit", 1)
            .operation("GET orders")
            .send_json()
            .await?;
        Ok(())
    }
    async fn find(&self, key: &LookupKey) -> Result<Option<Found<Order>>> {
        let number = key.value.trim();
        if !matches!(key.field.as_str(), "number" | "key") || !is_digits(number) {
            return Ok(None);
        }
        match self
            .http()?
            .get(&Self::path(&self.config.orders_path, number))
            .operation("GET orders/{number}")
            .send()
            .await
        {
            Ok(_) => Ok(Some(Found::new(number, number))),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }
    async fn write(&self, batch: Vec<WriteRequest<Order>>) -> Result<Vec<WriteOutcome>> {
        let mut out = Vec::with_capacity(batch.len());
        for r in batch {
            let outcome = match (&r.action, &r.target_id) {
                (WriteAction::Upsert(o), None) => self.place(&r, o).await,
                (_, id) => Outcome::Skipped {
                    reason: "an order is placed in Parts PIM once; it is changed there".into(),
                    target_id: id.clone(),
                },
            };
            out.push(WriteOutcome::new(r.key, outcome));
        }
        Ok(out)
    }
}
