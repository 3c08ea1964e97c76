//! Sinks: Order → `ACCREC` invoice (status configurable), quote → Quote, Customer →
//! Contact. Batches go in one envelope with `summarizeErrors=false` and an
//! `Idempotency-Key`; the per-element `HasErrors`/`ValidationErrors` become per-record
//! outcomes.

use async_trait::async_trait;
use connector_core::model::{Customer, Order, OrderKind};
use connector_core::sink::{
    Found, LookupKey, Outcome, Sink, SinkCapabilities, WriteAction, WriteOutcome, WriteRequest,
};
use connector_core::{EntityKind, Error, ErrorKind, FieldError, Result};
use serde_json::{Value, json};

use connector_core::http::dates;

use crate::client::{NAME, XeroClient};
use crate::convert::{self, Ctx, DocOptions};
use crate::wire;

/// The most records one write call sends (Xero accepts up to 50 per request comfortably).
pub const MAX_BATCH: usize = 50;

/// Writes orders, quotes and contacts to Xero.
#[derive(Debug, Clone)]
pub struct XeroSink {
    client: XeroClient,
}

/// One record on its way into an envelope.
struct Row {
    /// The request's key.
    key: String,
    /// What makes the request unique: its idempotency key, or its key and body.
    idempotency: String,
    is_create: bool,
    deactivate: bool,
    body: Value,
}

impl Row {
    /// A row whose part of the batch key is the request's idempotency key (or its key) with
    /// the body actually sent: a create and an update of one record, or a deletion and a
    /// voiding, are different requests to Xero even when the flow's key is the same.
    fn new(req: &WriteRequest<impl Send>, deactivate: bool, body: Value) -> Self {
        let id = if req.idempotency_key.is_empty() { &req.key } else { &req.idempotency_key };
        let idempotency = format!("{id}\u{0}{body}");
        Self { key: req.key.clone(), idempotency, is_create: req.is_create, deactivate, body }
    }
}

/// The order number `number` as a document's reference carries it: the whole reference, or
/// its start when the rep was appended (`SO-1 / JD`); `None` when it carries another.
fn reference_number<'r>(reference: &'r str, number: &str) -> Option<&'r str> {
    let reference = reference.trim();
    let number = number.trim();
    let head = reference.get(..number.len())?;
    let rest = &reference[number.len()..];
    (head == number && (rest.is_empty() || rest.starts_with(" / "))).then_some(head)
}

/// Whether a document is gone: deleted or voided.
fn is_gone(doc: &Value) -> bool {
    matches!(doc.get("Status").and_then(Value::as_str), Some("DELETED" | "VOIDED"))
}

/// A stable 128-bit key from the batch's requests' own idempotency keys, which the flow
/// derives from each record's key and content (FNV-1a twice, two seeds). The same batch
/// sent again carries the same `Idempotency-Key`, and a batch with any other content another
/// one: Xero refuses a key used again with a different request within its cache window
/// (about six minutes), and answers a repeat from its cache.
pub fn batch_key(prefix: &str, keys: &[&str]) -> String {
    let mut a: u64 = 0xcbf2_9ce4_8422_2325;
    let mut b: u64 = 0x6c62_272e_07bb_0142;
    for k in keys {
        for byte in k.bytes().chain(std::iter::once(0u8)) {
            a = (a ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
            b = (b ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3 ^ 0x9e37);
        }
    }
    format!("{prefix}-{a:016x}{b:016x}")
}

fn quote(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

fn validation_failure(key: &str, errors: &[wire::ValidationError]) -> Error {
    let msgs: Vec<String> = errors.iter().map(|e| e.message.clone()).collect();
    Error::new(ErrorKind::InvalidInput, format!("Xero refused the record: {}", msgs.join("; ")))
        .with_connector(NAME)
        .with_record(key.to_owned())
        .with_field_errors(msgs.into_iter().map(|m| FieldError::new("record", m)).collect())
}

impl XeroSink {
    /// A sink over a connection.
    pub fn new(client: XeroClient) -> Self {
        Self { client }
    }

    fn doc_opts(&self) -> (String, Option<String>, Option<String>) {
        let c = self.client.config();
        (
            c.order_invoice_status.as_str().to_owned(),
            c.sales_account_code.clone(),
            c.rep_tracking_category.clone(),
        )
    }

    /// Sends one envelope and matches the elements of the answer to the rows by position.
    async fn post_batch(
        &self,
        path: &'static str,
        collection: &'static str,
        id_field: &'static str,
        rows: Vec<Row>,
    ) -> Vec<WriteOutcome> {
        if rows.is_empty() {
            return Vec::new();
        }
        // In the rows' order: the body's order is part of the request.
        let keys: Vec<&str> = rows.iter().map(|r| r.idempotency.as_str()).collect();
        let idem = batch_key(collection, &keys);
        let bodies: Vec<&Value> = rows.iter().map(|r| &r.body).collect();
        let answer = match self.client.http().await {
            Ok(http) => {
                let mut req = http
                    .post(path)
                    .operation(format!("POST /{path}"))
                    .query("summarizeErrors", "false");
                if path == "Invoices" {
                    req = req.query("unitdp", 4);
                }
                req.idempotency_key(&idem)
                    .json(&json!({ collection: bodies }))
                    .send_json::<Value>()
                    .await
            }
            Err(e) => Err(e),
        };
        let body = match answer {
            Ok(b) => b,
            Err(e) => {
                return rows
                    .iter()
                    .map(|r| {
                        WriteOutcome::new(
                            &r.key,
                            Outcome::Failed { error: e.clone().with_record(r.key.clone()) },
                        )
                    })
                    .collect();
            }
        };
        let elements = body.get(collection).and_then(Value::as_array).cloned().unwrap_or_default();
        rows.iter()
            .enumerate()
            .map(|(i, row)| {
                let key = &row.key;
                let Some(el) = elements.get(i) else {
                    let e = Error::new(
                        ErrorKind::UncertainWrite,
                        format!("Xero's answer has no element {i} for the record"),
                    )
                    .with_connector(NAME)
                    .with_record(key.clone());
                    return WriteOutcome::new(key, Outcome::Failed { error: e });
                };
                let errors: Vec<wire::ValidationError> = el
                    .get("ValidationErrors")
                    .cloned()
                    .and_then(|v| serde_json::from_value(v).ok())
                    .unwrap_or_default();
                let has_errors = el.get("HasErrors").and_then(Value::as_bool).unwrap_or(false)
                    || el.get("HasValidationErrors").and_then(Value::as_bool).unwrap_or(false)
                    || !errors.is_empty();
                if has_errors {
                    return WriteOutcome::new(
                        key,
                        Outcome::Failed { error: validation_failure(key, &errors) },
                    );
                }
                let id = el.get(id_field).and_then(Value::as_str).unwrap_or_default().to_owned();
                let outcome = if row.deactivate {
                    Outcome::Deactivated { target_id: id }
                } else if row.is_create {
                    Outcome::Created { target_id: id }
                } else {
                    Outcome::Updated { target_id: id }
                };
                WriteOutcome::new(key, outcome)
            })
            .collect()
    }

    /// The first page of a listing filtered with `where` (Contacts and Invoices take it).
    async fn list_where(
        &self,
        path: &'static str,
        collection: &str,
        filter: &str,
        archived: bool,
    ) -> Result<Vec<Value>> {
        let mut req = self
            .client
            .http()
            .await?
            .get(path)
            .operation(format!("GET /{path}"))
            .query("where", filter)
            .query("page", 1);
        if path == "Invoices" {
            req = req.query("unitdp", 4);
        }
        if archived {
            req = req.query("includeArchived", "true");
        }
        let mut body: Value = req.send_json().await?;
        Ok(match body.get_mut(collection).map(Value::take) {
            Some(Value::Array(rows)) => rows,
            _ => Vec::new(),
        })
    }

    /// The first contact of a `where` filter whose `field` is `value` (ignoring case): the
    /// contact's id and the value as Xero holds it.
    async fn contact_where(
        &self,
        filter: &str,
        field: &str,
        value: &str,
    ) -> Result<Option<(String, String, Value)>> {
        let rows = self.list_where("Contacts", "Contacts", filter, true).await?;
        Ok(rows.into_iter().find_map(|r| {
            let held = r.get(field)?.as_str()?.to_owned();
            let id = r.get("ContactID")?.as_str()?.to_owned();
            held.trim().eq_ignore_ascii_case(value.trim()).then_some((id, held, r))
        }))
    }

    /// The `ACCREC` invoice written for an order number: its `Reference` is the number (or
    /// the number and the rep). Only an invoice whose reference carries exactly that number
    /// counts, and not one deleted or voided.
    async fn invoice_for(&self, number: &str) -> Result<Option<(String, Value)>> {
        let v = quote(number.trim());
        let f = format!("Type==\"ACCREC\"&&(Reference==\"{v}\"||Reference.StartsWith(\"{v} / \"))");
        let rows = self.list_where("Invoices", "Invoices", &f, false).await?;
        Ok(rows.into_iter().filter(|r| !is_gone(r)).find_map(|r| {
            reference_number(r.get("Reference")?.as_str()?, number)?;
            let id = r.get("InvoiceID")?.as_str()?.to_owned();
            Some((id, r))
        }))
    }

    /// The quote written for an order number: `GET /Quotes?QuoteNumber=` (Quotes take no
    /// `where`: Xero ignores it and answers every quote). Only a quote with exactly that
    /// number counts, and not one deleted.
    async fn quote_for(&self, number: &str) -> Result<Option<(String, Value)>> {
        let mut body: Value = self
            .client
            .http()
            .await?
            .get("Quotes")
            .operation("GET /Quotes")
            .query("QuoteNumber", number.trim())
            .query("page", 1)
            .send_json()
            .await?;
        let rows = match body.get_mut("Quotes").map(Value::take) {
            Some(Value::Array(rows)) => rows,
            _ => Vec::new(),
        };
        Ok(rows.into_iter().filter(|r| !is_gone(r)).find_map(|r| {
            let n = r.get("QuoteNumber")?.as_str()?;
            let id = r.get("QuoteID")?.as_str()?.to_owned();
            (n.trim() == number.trim()).then_some((id, r))
        }))
    }

    /// A document by id, `None` when Xero has none (404).
    async fn document(&self, path: &str, collection: &str, id: &str) -> Result<Option<Value>> {
        match self
            .client
            .http()
            .await?
            .get(&format!("{path}/{id}"))
            .operation(format!("GET /{path}/{{id}}"))
            .send_json::<Value>()
            .await
        {
            Ok(mut v) => Ok(v
                .get_mut(collection)
                .and_then(|a| a.as_array_mut())
                .and_then(|a| (!a.is_empty()).then(|| a.swap_remove(0)))),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// What deactivating the order written as `id` sends: for an invoice, `DELETED` while it
    /// is a draft or submitted, `VOIDED` once approved and unpaid (Xero deletes drafts and
    /// voids approved invoices); for a quote, `DELETED` through `/Quotes`. `Err` is the
    /// outcome when nothing can be sent (already gone, paid).
    async fn deactivation(&self, id: &str) -> Result<std::result::Result<(bool, Value), Outcome>> {
        if let Some(inv) = self.document("Invoices", "Invoices", id).await? {
            let status = inv.get("Status").and_then(Value::as_str).unwrap_or("DRAFT");
            // Payments or credit notes allocated: Xero neither deletes nor voids it.
            let amount = |field: &str| {
                inv.get(field)
                    .and_then(|v| v.to_string().parse::<rust_decimal::Decimal>().ok())
                    .is_some_and(|p| !p.is_zero())
            };
            let paid = amount("AmountPaid") || amount("AmountCredited");
            let to = match status {
                "DRAFT" | "SUBMITTED" => "DELETED",
                "AUTHORISED" if !paid => "VOIDED",
                "DELETED" | "VOIDED" => {
                    return Ok(Err(Outcome::Deactivated { target_id: id.to_owned() }));
                }
                other => {
                    return Ok(Err(Outcome::Skipped {
                        reason: format!(
                            "invoice {id} is {other}{} in Xero: only drafts are deleted and \
                             unpaid approved invoices voided",
                            if paid { " with payments or credits" } else { "" }
                        ),
                        target_id: Some(id.to_owned()),
                    }));
                }
            };
            return Ok(Ok((false, json!({ "InvoiceID": id, "Status": to }))));
        }
        if let Some(q) = self.document("Quotes", "Quotes", id).await? {
            if q.get("Status").and_then(Value::as_str) == Some("DELETED") {
                return Ok(Err(Outcome::Deactivated { target_id: id.to_owned() }));
            }
            let mut body = json!({ "QuoteID": id, "Status": "DELETED" });
            // A quote update carries its contact and date.
            if let Some(c) = q.pointer("/Contact/ContactID") {
                body["Contact"] = json!({ "ContactID": c });
            }
            if let Some(d) =
                q.get("Date").and_then(Value::as_str).and_then(|d| dates::parse_date(d).ok())
            {
                body["Date"] = json!(d.format("%Y-%m-%d").to_string());
            }
            return Ok(Ok((true, body)));
        }
        Ok(Err(Outcome::Skipped {
            reason: format!("no invoice or quote {id} in Xero to deactivate"),
            target_id: None,
        }))
    }

    /// The contact for a customer: by e-mail, then by exact name (names are unique among
    /// active contacts), checked on what Xero answers.
    async fn find_contact(&self, c: &Customer) -> Result<Option<String>> {
        if let Some(email) = c.primary_email() {
            let f = format!(
                "EmailAddress!=null&&EmailAddress.ToLower()==\"{}\"",
                quote(&email.trim().to_lowercase())
            );
            if let Some((id, _, _)) = self.contact_where(&f, "EmailAddress", email).await? {
                return Ok(Some(id));
            }
        }
        if let Some(name) = c.name.as_deref() {
            let f = format!("Name==\"{}\"", quote(name.trim()));
            if let Some((id, _, _)) = self.contact_where(&f, "Name", name).await? {
                return Ok(Some(id));
            }
        }
        Ok(None)
    }
}

#[async_trait]
impl Sink<Order> for XeroSink {
    fn name(&self) -> &str {
        NAME
    }

    fn capabilities(&self) -> SinkCapabilities {
        SinkCapabilities::new(EntityKind::Order)
            .max_batch(MAX_BATCH)
            .max_concurrency(1)
            .can_find(true)
            .can_deactivate(true)
            .idempotent_writes(true)
            .natural_key("number")
    }

    async fn check(&self) -> Result<()> {
        self.client.check().await
    }

    /// Finds the invoice (by `Reference`) or the quote (by `QuoteNumber`) written for an
    /// order number. Only a document carrying exactly that number is an answer.
    async fn find(&self, key: &LookupKey) -> Result<Option<Found<Order>>> {
        match key.field.as_str() {
            "number" | "reference" => {}
            other => {
                return Err(Error::unsupported(format!("Xero orders cannot be found by {other}")));
            }
        }
        let number = key.value.trim();
        if let Some((id, raw)) = self.invoice_for(number).await? {
            let reference = raw.get("Reference").and_then(Value::as_str).unwrap_or_default();
            let matched = reference_number(reference, number).unwrap_or_default();
            return Ok(Some(Found::new(id, matched)));
        }
        if let Some((id, raw)) = self.quote_for(number).await? {
            let ctx = Ctx {
                currency: self.client.currency().await?,
                rep_category: self.client.config().rep_tracking_category.clone(),
            };
            let matched = raw.get("QuoteNumber").and_then(Value::as_str).unwrap_or_default();
            let found = Found::new(id, matched);
            return Ok(Some(
                match serde_json::from_value::<wire::Quote>(raw)
                    .ok()
                    .and_then(|q| convert::quote(&q, &ctx).ok())
                {
                    Some(record) => found.with_record(record),
                    None => found,
                },
            ));
        }
        Ok(None)
    }

    async fn write(&self, batch: Vec<WriteRequest<Order>>) -> Result<Vec<WriteOutcome>> {
        let (status, account, rep) = self.doc_opts();
        let opts = DocOptions {
            invoice_status: &status,
            account_code: account.as_deref(),
            rep_category: rep.as_deref(),
        };
        let mut out = Vec::with_capacity(batch.len());
        let mut invoices = Vec::new();
        let mut quotes = Vec::new();
        for req in batch {
            let body = match (&req.action, &req.target_id) {
                (WriteAction::Upsert(o), _) => {
                    convert::document_body(o, req.target_id.as_deref(), &opts)
                        .map(|b| Ok((o.kind == OrderKind::Quote, b)))
                }
                (WriteAction::Deactivate, Some(id)) => self.deactivation(id).await,
                (WriteAction::Deactivate, None) => Err(Error::invalid_field(
                    "target_id",
                    "nothing to deactivate: the record was never written",
                )),
            };
            match body {
                Ok(Ok((quote_kind, b))) => {
                    let row = Row::new(&req, matches!(req.action, WriteAction::Deactivate), b);
                    if quote_kind { quotes.push(row) } else { invoices.push(row) }
                }
                Ok(Err(outcome)) => out.push(WriteOutcome::new(req.key, outcome)),
                Err(e) => {
                    let e = e.with_connector(NAME).with_record(req.key.clone());
                    out.push(WriteOutcome::new(req.key, Outcome::Failed { error: e }));
                }
            }
        }
        out.extend(self.post_batch("Invoices", "Invoices", "InvoiceID", invoices).await);
        out.extend(self.post_batch("Quotes", "Quotes", "QuoteID", quotes).await);
        Ok(out)
    }
}

#[async_trait]
impl Sink<Customer> for XeroSink {
    fn name(&self) -> &str {
        NAME
    }

    fn capabilities(&self) -> SinkCapabilities {
        SinkCapabilities::new(EntityKind::Customer)
            .max_batch(MAX_BATCH)
            .max_concurrency(1)
            .can_find(true)
            .can_deactivate(true)
            .idempotent_writes(true)
            .natural_key("email")
    }

    async fn check(&self) -> Result<()> {
        self.client.check().await
    }

    async fn find(&self, key: &LookupKey) -> Result<Option<Found<Customer>>> {
        let v = quote(key.value.trim());
        let (f, field) = match key.field.as_str() {
            "email" => (
                format!("EmailAddress!=null&&EmailAddress.ToLower()==\"{}\"", v.to_lowercase()),
                "EmailAddress",
            ),
            "name" => (format!("Name==\"{v}\""), "Name"),
            "number" => (format!("ContactNumber==\"{v}\""), "ContactNumber"),
            other => {
                return Err(Error::unsupported(format!(
                    "Xero contacts cannot be found by {other}"
                )));
            }
        };
        let ctx = Ctx {
            currency: self.client.currency().await?,
            rep_category: self.client.config().rep_tracking_category.clone(),
        };
        Ok(self.contact_where(&f, field, &key.value).await?.map(|(id, held, raw)| {
            let found = Found::new(id, held);
            match serde_json::from_value::<wire::Contact>(raw)
                .ok()
                .and_then(|c| convert::customer(&c, &ctx).ok())
            {
                Some(record) => found.with_record(record),
                None => found,
            }
        }))
    }

    async fn write(&self, batch: Vec<WriteRequest<Customer>>) -> Result<Vec<WriteOutcome>> {
        let mut out = Vec::new();
        let mut rows = Vec::new();
        for req in batch {
            match &req.action {
                WriteAction::Upsert(c) => {
                    // Names are unique in Xero: find by e-mail, then by name, before creating.
                    let mut target = req.target_id.clone();
                    if target.is_none() {
                        match self.find_contact(c).await {
                            Ok(found) => target = found,
                            Err(e) => {
                                out.push(WriteOutcome::new(
                                    &req.key,
                                    Outcome::Failed { error: e.with_record(req.key.clone()) },
                                ));
                                continue;
                            }
                        }
                    }
                    let body = convert::contact_body(c, target.as_deref(), false);
                    let mut row = Row::new(&req, false, body);
                    row.is_create = target.is_none();
                    rows.push(row);
                }
                WriteAction::Deactivate => match &req.target_id {
                    Some(id) => rows.push(Row::new(
                        &req,
                        true,
                        convert::contact_body(&Customer::default(), Some(id), true),
                    )),
                    None => {
                        let e = Error::invalid_field(
                            "target_id",
                            "nothing to archive: the contact was never written",
                        )
                        .with_connector(NAME)
                        .with_record(req.key.clone());
                        out.push(WriteOutcome::new(req.key, Outcome::Failed { error: e }));
                    }
                },
            }
        }
        out.extend(self.post_batch("Contacts", "Contacts", "ContactID", rows).await);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reference_carries_a_number_whole_or_before_the_rep() {
        assert_eq!(reference_number("SO-1", "SO-1"), Some("SO-1"));
        assert_eq!(reference_number("SO-1 / JD", "SO-1"), Some("SO-1"));
        assert_eq!(reference_number("A / B / JD", "A / B"), Some("A / B"));
        assert_eq!(reference_number("A / B", "A / B"), Some("A / B"));
        assert_eq!(reference_number("SO-10", "SO-1"), None);
        assert_eq!(reference_number("SO-1x / JD", "SO-1"), None);
        assert_eq!(reference_number("S", "SO-1"), None);
    }

    #[test]
    fn batch_keys_are_stable_and_distinct() {
        let a = batch_key("Invoices", &["SO-1", "SO-2"]);
        assert_eq!(a, batch_key("Invoices", &["SO-1", "SO-2"]));
        assert_ne!(a, batch_key("Invoices", &["SO-1", "SO-3"]));
        assert_ne!(a, batch_key("Invoices", &["SO-1SO-2"]));
        assert!(a.len() <= 128);
    }
}
