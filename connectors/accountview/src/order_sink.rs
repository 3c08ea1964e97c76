//! Orders into AccountView: one article page (`ART_HDR` with its `ART_LINE`s) per order,
//! through the company's order business object. An order is placed once: it is found by the
//! source's number (`EXT_ID`), its debtor must be known (`party.customer.id`, which the flow's
//! find-or-create-customer step sets), and every article of its lines must exist, or the
//! order fails naming the SKU before anything is sent.

use async_trait::async_trait;
use connector_core::model::Order;
use connector_core::sink::{
    Found, LookupKey, Outcome, SinkCapabilities, WriteAction, WriteOutcome, WriteRequest,
};
use connector_core::{EntityKind, Error, ErrorKind, FieldError, Result, Sink};
use futures_util::StreamExt;
use serde_json::Value;

use crate::client::{NAME, rows_of};
use crate::order::{self, HEADER_TABLE};
use crate::sink::{AccountViewSink, equals_filter};

impl AccountViewSink {
    /// The company's date now.
    fn today(&self) -> chrono::NaiveDate {
        self.client.config().timezone.to_local(chrono::Utc::now()).date()
    }

    /// AccountView's order number (or the header's unique code) of the order placed with
    /// the source's number `number`, if there is one.
    async fn order_by_number(&self, number: &str) -> Result<Option<String>> {
        let object = self.client.order_business_object()?;
        let Some(filter) = equals_filter("art_hdr.ext_id", number) else { return Ok(None) };
        let fields = "art_hdr.rec_id,art_hdr.ord_nr,art_hdr.ext_id".to_owned();
        let mut pages = self.client.pages(object, HEADER_TABLE, "REC_ID", fields, Some(filter));
        let first = pages.next().await.transpose()?.unwrap_or_default();
        Ok(first.first().and_then(order_id))
    }

    /// The line SKUs of `order` that AccountView has no article for, as field errors.
    async fn missing_articles(&self, order: &Order) -> Result<Vec<FieldError>> {
        let mut missing = Vec::new();
        for (i, line) in order.lines.iter().enumerate() {
            let Some(sku) = line.sku.as_deref().map(str::trim).filter(|s| !s.is_empty()) else {
                continue;
            };
            let known =
                |s: &str| self.known_articles.lock().map(|k| k.contains(s)).unwrap_or(false);
            if known(sku) {
                continue;
            }
            let found = match equals_filter("article.art_code", sku) {
                None => false,
                Some(filter) => {
                    let mut pages = self.client.pages(
                        "AK1",
                        "ARTICLE",
                        "REC_ID",
                        "article.art_code".into(),
                        Some(filter),
                    );
                    !pages.next().await.transpose()?.unwrap_or_default().is_empty()
                }
            };
            if found {
                if let Ok(mut k) = self.known_articles.lock() {
                    if k.len() < 100_000 {
                        k.insert(sku.to_owned());
                    }
                }
            } else {
                missing.push(FieldError::new(
                    format!("lines[{i}].sku"),
                    format!("product {sku:?} does not exist in {NAME}"),
                ));
            }
        }
        Ok(missing)
    }

    /// Places one order, or says why not.
    async fn place(&self, r: &WriteRequest<Order>, o: &Order) -> Outcome {
        let failed = |error: Error| Outcome::Failed { error: error.with_record(r.key.clone()) };
        let object = match self.client.order_business_object() {
            Ok(o) => o,
            Err(e) => return failed(e),
        };
        let Some(debtor) = o.party.customer.id.as_deref().filter(|d| !d.trim().is_empty()) else {
            return failed(
                Error::invalid_field(
                    "party.customer.id",
                    "the order has no AccountView debtor: find or create the customer first, \
                     or set a default debtor",
                )
                .with_connector(NAME),
            );
        };
        match self.missing_articles(o).await {
            Ok(m) if m.is_empty() => {}
            Ok(m) => {
                let text = m.iter().map(|f| f.message.clone()).collect::<Vec<_>>().join("; ");
                return failed(
                    Error::new(ErrorKind::InvalidInput, text)
                        .with_field_errors(m)
                        .with_connector(NAME),
                );
            }
            Err(e) => return failed(e),
        }
        let body = match order::payload(o, debtor.trim(), object, self.today()) {
            Ok(b) => b,
            Err((field, why)) => {
                return failed(Error::invalid_field(field, why).with_connector(NAME));
            }
        };
        // A retried create whose answer was lost finds the order it placed.
        let number = o.number.as_deref().unwrap_or_default().trim();
        match self.order_by_number(number).await {
            Ok(Some(id)) => return Outcome::Created { target_id: id },
            Ok(None) => {}
            Err(e) => return failed(e),
        }
        let sent: Result<Value> = match self.client.http().await {
            Ok(http) => {
                http.post("accountviewdata")
                    .json(&body)
                    .operation(format!("POST accountviewdata {object}"))
                    .send_json()
                    .await
            }
            Err(e) => Err(e),
        };
        let id = sent
            .and_then(|answer| rows_of(answer, HEADER_TABLE))
            .map(|rows| rows.first().and_then(order_id).unwrap_or_else(|| number.to_owned()));
        match id {
            Ok(target_id) => Outcome::Created { target_id },
            Err(e) => failed(e),
        }
    }
}

/// The id an order is known by: AccountView's order number, else the header's unique code.
fn order_id(row: &serde_json::Map<String, Value>) -> Option<String> {
    ["ORD_NR", "REC_ID"]
        .iter()
        .filter_map(|c| row.get(*c).and_then(Value::as_str).map(str::trim))
        .find(|v| !v.is_empty())
        .map(str::to_owned)
}

#[async_trait]
impl Sink<Order> for AccountViewSink {
    fn name(&self) -> &str {
        NAME
    }
    fn capabilities(&self) -> SinkCapabilities {
        SinkCapabilities::new(EntityKind::Order).max_batch(10).can_find(true).natural_key("number")
    }
    /// The connection, and that the order business object is set and takes inserts.
    async fn check(&self) -> Result<()> {
        let object = self.client.order_business_object()?;
        let objects = self.client.business_objects().await?;
        match objects.iter().find(|b| b.code.eq_ignore_ascii_case(object)) {
            Some(b) if b.insert_allowed => Ok(()),
            Some(b) => Err(Error::config(format!(
                "AccountView's business object {object} ({}) does not take inserts",
                b.description
            ))
            .with_connector(NAME)),
            None => Err(Error::config(format!(
                "the AccountView company has no business object {object}; it has {}",
                objects.iter().map(|b| b.code.as_str()).collect::<Vec<_>>().join(", ")
            ))
            .with_connector(NAME)),
        }
    }
    async fn find(&self, key: &LookupKey) -> Result<Option<Found<Order>>> {
        if !matches!(key.field.as_str(), "number" | "key") {
            return Ok(None);
        }
        Ok(self.order_by_number(&key.value).await?.map(|id| Found::new(id, key.value.clone())))
    }
    async fn write(&self, batch: Vec<WriteRequest<Order>>) -> Result<Vec<WriteOutcome>> {
        let mut out = Vec::with_capacity(batch.len());
        for r in batch {
            let outcome = match (&r.action, &r.target_id) {
                (WriteAction::Upsert(o), None) => self.place(&r, o).await,
                (WriteAction::Upsert(_), Some(id)) => Outcome::Skipped {
                    reason: "an order is placed once; changes to it are made in AccountView".into(),
                    target_id: Some(id.clone()),
                },
                (_, id) => Outcome::Skipped {
                    reason: "orders are cancelled in AccountView, not here".into(),
                    target_id: id.clone(),
                },
            };
            out.push(WriteOutcome::new(r.key, outcome));
        }
        Ok(out)
    }
}
