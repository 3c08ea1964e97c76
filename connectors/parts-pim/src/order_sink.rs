//! Orders placed in Parts PIM (`POST <orders_path>`), over HTTP. Every order carries an
//! employee number (the order's `meta.custom.employee_number`, else the setting, else
//! 999999); a number or SKU that is not digits only is refused before sending, naming it.
//! An order is placed once: it is found by its number, and a create that finds it already
//! there (a retry whose answer was lost) takes it. With the file transport, orders go as
//! `orders-….csv` files in the drop folder, in the columns of the PIM's own order export.

use async_trait::async_trait;
use connector_core::model::Order;
use connector_core::sink::{
    Found, LookupKey, Outcome, SinkCapabilities, WriteAction, WriteOutcome, WriteRequest,
};
use connector_core::{EntityKind, Error, ErrorKind, Result, Sink};

use crate::client::NAME;
use crate::config::is_digits;
use crate::sink::PartsPimSink;
use crate::source::ORDER_FILE_COLUMNS;
use connector_file::exchange::{Outbox, batch_name, deliver_once};

impl PartsPimSink {
    /// The file transport: one `orders-….csv` (or `.xml`) per batch, a row per order line in
    /// the columns of [`ORDER_FILE_COLUMNS`], with its `.done` marker.
    fn drop_orders(&self, outbox: &Outbox, batch: Vec<WriteRequest<Order>>) -> Vec<WriteOutcome> {
        let mut out = Vec::new();
        let mut rows = Vec::new();
        let mut placed = Vec::new();
        for r in batch {
            let WriteAction::Upsert(o) = &r.action else {
                out.push(WriteOutcome::new(
                    r.key.clone(),
                    Outcome::Skipped {
                        reason: "an order is placed in Parts PIM once; it is changed there".into(),
                        target_id: r.target_id.clone(),
                    },
                ));
                continue;
            };
            let employee = self.employee(o);
            let body = if is_digits(&employee) {
                crate::order::body(o, &employee)
            } else {
                Err((
                    "meta.custom.employee_number".into(),
                    format!("employee number `{employee}` is not digits only"),
                ))
            };
            match body {
                Err((field, why)) => {
                    let error = Error::invalid_field(field, why)
                        .with_connector(NAME)
                        .with_record(r.key.clone());
                    out.push(WriteOutcome::new(r.key.clone(), Outcome::Failed { error }));
                }
                Ok(body) => {
                    rows.extend(file_rows(&body));
                    placed.push((
                        r.key.clone(),
                        body["number"].as_str().unwrap_or_default().to_owned(),
                    ));
                }
            }
        }
        if placed.is_empty() {
            return out;
        }
        let format = self.config.format;
        let bytes = format.render("orders", ORDER_FILE_COLUMNS, &rows);
        let name = batch_name("orders", format.extension(), placed.iter().map(|(k, _)| k.as_str()));
        let delivered = deliver_once(outbox, &name, &bytes, true).map_err(|e| e.to_string());
        for (key, number) in placed {
            let outcome = match &delivered {
                Ok(_) => Outcome::Created { target_id: number },
                Err(e) => Outcome::Failed {
                    error: Error::new(
                        ErrorKind::Transport,
                        format!("the orders file could not be dropped: {e}"),
                    )
                    .with_connector(NAME)
                    .with_record(key.clone()),
                },
            };
            out.push(WriteOutcome::new(key, outcome));
        }
        out
    }

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
            // An order with that number is there: this one, placed by a retry whose answer
            // was lost, or another order that happens to have the number.
            Err(e) if e.kind() == ErrorKind::Conflict => match self.placed(http, &body).await {
                Ok(true) => Outcome::Created { target_id: number },
                Ok(false) => failed(
                    Error::new(
                        ErrorKind::Conflict,
                        format!("Parts PIM has another order numbered {number}"),
                    )
                    .with_connector(NAME),
                ),
                Err(e) => failed(e),
            },
            Err(e) => failed(e),
        }
    }

    /// Whether the order Parts PIM has under `body`'s number is `body`'s: the same customer
    /// and the same lines (SKUs and quantities).
    async fn placed(
        &self,
        http: &connector_core::http::HttpClient,
        body: &serde_json::Value,
    ) -> Result<bool> {
        let number = body["number"].as_str().unwrap_or_default();
        let there: serde_json::Value = http
            .get(&Self::path(&self.config.orders_path, number))
            .operation("GET orders/{number}")
            .send_json()
            .await?;
        let lines = |o: &serde_json::Value| -> Vec<(String, String)> {
            o["lines"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|l| {
                    let q = l["quantity"]
                        .as_str()
                        .and_then(|q| q.parse::<rust_decimal::Decimal>().ok());
                    (
                        l["sku"].as_str().unwrap_or_default().to_owned(),
                        q.map(|q| q.normalize().to_string()).unwrap_or_default(),
                    )
                })
                .collect()
        };
        Ok(there["customer"]["number"] == body["customer"]["number"]
            && lines(&there) == lines(body))
    }
}

#[async_trait]
impl Sink<Order> for PartsPimSink {
    fn name(&self) -> &str {
        NAME
    }
    fn capabilities(&self) -> SinkCapabilities {
        SinkCapabilities::new(EntityKind::Order)
            .max_batch(20)
            .can_find(self.outbox.is_none())
            .natural_key("number")
    }
    async fn check(&self) -> Result<()> {
        if self.outbox.is_some() {
            return Ok(());
        }
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
        // Dropped files carry no lookups.
        if self.outbox.is_some()
            || !matches!(key.field.as_str(), "number" | "key")
            || !is_digits(number)
        {
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
        if let Some(outbox) = &self.outbox {
            return Ok(self.drop_orders(outbox, batch));
        }
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

/// The file rows of an order body: per line, the order's columns and the line's.
fn file_rows(body: &serde_json::Value) -> Vec<Vec<String>> {
    let text = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_owned();
    let lines = body["lines"].as_array().cloned().unwrap_or_default();
    lines
        .iter()
        .map(|line| {
            ORDER_FILE_COLUMNS
                .iter()
                .map(|col| match *col {
                    "customer_number" => text(&body["customer"]["number"]),
                    "company_name" | "first_name" | "last_name" | "email" | "phone"
                    | "vat_number" | "coc_number" => text(&body["customer"][*col]),
                    "sku" | "description" | "quantity" | "unit_price" | "discount_percent" => {
                        text(&line[*col])
                    }
                    _ => text(&body[*col]),
                })
                .collect()
        })
        .collect()
}
