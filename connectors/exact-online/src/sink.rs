//! Sinks: Order → `salesorder/SalesOrders` (or `salesinvoice/SalesInvoices`, a setting) and
//! quotes → `crm/Quotations`, lines deep-inserted in the same POST; Customer →
//! `crm/Accounts` with the contact person in `crm/Contacts`.
//!
//! Exact has no idempotency key and no upsert: before every create the sink looks the record
//! up (documents by `YourRef`, accounts by e-mail or code), and the engine's ledger looks
//! again after an uncertain write. A document found there is reported as skipped.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use connector_core::model::{Customer, CustomerKind, Order};
use connector_core::sink::{
    Found, LookupKey, Outcome, Sink, SinkCapabilities, WriteAction, WriteOutcome, WriteRequest,
};
use connector_core::{EntityKind, Error, Result};
use serde_json::{Value, json};

use crate::client::{ExactClient, NAME, guid, literal, pad_code};
use crate::convert::{self, DocTarget};
use crate::wire;

/// Writes orders, quotes and customers to Exact Online.
#[derive(Debug, Clone)]
pub struct ExactSink {
    client: ExactClient,
    items: Arc<Mutex<HashMap<String, String>>>,
    shipping_methods: Arc<Mutex<HashMap<String, String>>>,
}

fn fail(key: &str, e: Error) -> WriteOutcome {
    WriteOutcome::new(
        key,
        Outcome::Failed { error: e.with_connector(NAME).with_record(key.to_owned()) },
    )
}

impl ExactSink {
    /// A sink over a connection.
    pub fn new(client: ExactClient) -> Self {
        Self {
            client,
            items: Arc::new(Mutex::new(HashMap::new())),
            shipping_methods: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// The id of the first row of `path` matching `filter`.
    async fn first_id(&self, path: &str, id_field: &str, filter: &str) -> Result<Option<String>> {
        Ok(self
            .client
            .first(path, id_field, Some(filter))
            .await?
            .and_then(|r| r.get(id_field).and_then(Value::as_str).map(str::to_owned)))
    }

    /// The GUID of the item with this code (cached for the sink's life).
    async fn item_id(&self, sku: &str) -> Result<Option<String>> {
        let sku = sku.trim();
        if let Some(id) =
            self.items.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(sku)
        {
            return Ok(Some(id.clone()));
        }
        let id =
            self.first_id("logistics/Items", "ID", &format!("Code eq {}", literal(sku))).await?;
        if let Some(id) = &id {
            self.items
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .insert(sku.to_owned(), id.clone());
        }
        Ok(id)
    }

    /// The GUID of the order's shipping method: `ShippingMethod` is an `Edm.Guid` (the `ID`
    /// of `sales/ShippingMethods`), so a code is looked up by `Code` (cached for the sink's
    /// life); a GUID is sent as it is.
    async fn shipping_method(&self, o: &Order) -> Result<Option<String>> {
        let Some(m) = o.shipping_method.as_ref() else { return Ok(None) };
        let given = [m.key.as_deref(), m.id.as_deref()];
        if let Some(id) =
            given.into_iter().flatten().find(|v| crate::lookups::guid_key(v).is_some())
        {
            return Ok(Some(id.trim().to_owned()));
        }
        let Some(code) = given.into_iter().flatten().map(str::trim).find(|v| !v.is_empty()) else {
            return Ok(None);
        };
        let cache = |m: &Mutex<HashMap<String, String>>| {
            m.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(code).cloned()
        };
        if let Some(id) = cache(&self.shipping_methods) {
            return Ok(Some(id));
        }
        match self
            .first_id("sales/ShippingMethods", "ID", &format!("Code eq {}", literal(code)))
            .await?
        {
            Some(id) => {
                self.shipping_methods
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .insert(code.to_owned(), id.clone());
                Ok(Some(id))
            }
            None => Err(Error::invalid_field(
                "shipping_method",
                format!(
                    "no shipping method with code {code} in Exact Online (sales/ShippingMethods)"
                ),
            )),
        }
    }

    async fn account_by_email(&self, email: &str) -> Result<Option<String>> {
        let e = email.trim().to_lowercase();
        if e.is_empty() {
            return Ok(None);
        }
        self.first_id("crm/Accounts", "ID", &format!("Email eq {}", literal(&e))).await
    }

    async fn account_by_code(&self, code: &str) -> Result<Option<String>> {
        self.first_id("crm/Accounts", "ID", &format!("Code eq {}", literal(&pad_code(code)))).await
    }

    /// The document already written for an order number (`YourRef`).
    /// The document whose `YourRef` is the order number: its id and its `YourRef` as Exact
    /// answered it.
    async fn find_document(
        &self,
        target: DocTarget,
        number: &str,
    ) -> Result<Option<(String, String)>> {
        let id_field = target.id_field();
        let row = self
            .client
            .first(
                target.path(),
                &format!("{id_field},YourRef"),
                Some(&format!("YourRef eq {}", literal(number.trim()))),
            )
            .await?;
        Ok(row.and_then(|r| {
            let id = r.get(id_field)?.as_str()?.to_owned();
            let your_ref = r.get("YourRef")?.as_str()?.to_owned();
            your_ref.trim().eq_ignore_ascii_case(number.trim()).then_some((id, your_ref))
        }))
    }

    /// The debtor of an order: the id the flow resolved, else a match by e-mail, else the
    /// configured default debtor.
    async fn debtor(&self, o: &Order) -> Result<String> {
        if let Some(id) = o.party.customer.id.as_deref().filter(|s| !s.trim().is_empty()) {
            return Ok(id.to_owned());
        }
        if let Some(code) = o.party.customer.key.as_deref().filter(|s| !s.trim().is_empty()) {
            if let Some(id) = self.account_by_code(code).await? {
                return Ok(id);
            }
        }
        if let Some(email) = o.party.email.as_deref() {
            if let Some(id) = self.account_by_email(email).await? {
                return Ok(id);
            }
        }
        if let Some(code) = &self.client.config().default_debtor {
            if let Some(id) = self.account_by_code(code).await? {
                return Ok(id);
            }
            return Err(Error::config(format!(
                "the default debtor {code} does not exist in Exact Online"
            )));
        }
        Err(Error::invalid_field(
            "party.customer",
            format!(
                "no Exact Online account matches the order's customer ({}) and no default debtor is set",
                o.party.email.as_deref().or(o.party.name.as_deref()).unwrap_or("no e-mail")
            ),
        ))
    }

    async fn write_order(&self, key: &str, o: &Order, target_id: Option<&str>) -> WriteOutcome {
        let http = match self.client.http().await {
            Ok(h) => h,
            Err(e) => return fail(key, e),
        };
        let target = convert::doc_target(o, self.client.config().order_target);
        if let Some(id) = target_id {
            return WriteOutcome::new(
                key,
                Outcome::Skipped {
                    reason: "already in Exact Online (documents are not changed once written)"
                        .to_owned(),
                    target_id: Some(id.to_owned()),
                },
            );
        }
        let Some(number) = o.number.as_deref() else {
            return fail(key, Error::invalid_field("number", "an order needs a number (YourRef)"));
        };
        match self.find_document(target, number).await {
            Ok(Some((id, _))) => {
                return WriteOutcome::new(
                    key,
                    Outcome::Skipped {
                        reason: format!(
                            "already in Exact Online: {} with YourRef {number}",
                            target.path()
                        ),
                        target_id: Some(id),
                    },
                );
            }
            Ok(None) => {}
            Err(e) => return fail(key, e),
        }
        let account = match self.debtor(o).await {
            Ok(a) => a,
            Err(e) => return fail(key, e),
        };
        let mut items = Vec::with_capacity(o.lines.len());
        for (i, l) in o.lines.iter().enumerate() {
            let Some(sku) = l.sku.as_deref().filter(|s| !s.trim().is_empty()) else {
                return fail(
                    key,
                    Error::invalid_field(format!("lines[{i}].sku"), "the line has no SKU"),
                );
            };
            match self.item_id(sku).await {
                Ok(Some(id)) => items.push(id),
                Ok(None) => {
                    return fail(
                        key,
                        Error::invalid_field(
                            format!("lines[{i}].sku"),
                            format!("no item with code {sku} in Exact Online"),
                        ),
                    );
                }
                Err(e) => return fail(key, e),
            }
        }
        let shipping = match self.shipping_method(o).await {
            Ok(s) => s,
            Err(e) => return fail(key, e),
        };
        let body = match convert::document_body(
            o,
            target,
            &account,
            &items,
            shipping.as_deref(),
            self.client.config().default_vat_code.as_deref(),
        ) {
            Ok(b) => b,
            Err(e) => return fail(key, e),
        };
        let answer = http
            .post(target.path())
            .operation(format!("POST {}", target.path()))
            .header("Prefer", "return=representation")
            .json(&body)
            .send_json::<Value>()
            .await
            .and_then(wire::odata_record);
        match answer {
            Ok(rec) => match rec.get(target.id_field()).and_then(Value::as_str) {
                Some(id) => WriteOutcome::new(key, Outcome::Created { target_id: id.to_owned() }),
                None => fail(
                    key,
                    Error::new(
                        connector_core::ErrorKind::UncertainWrite,
                        format!("Exact Online's answer has no {}", target.id_field()),
                    ),
                ),
            },
            Err(e) => fail(key, e),
        }
    }

    async fn write_customer(
        &self,
        key: &str,
        c: &Customer,
        target_id: Option<String>,
    ) -> WriteOutcome {
        let http = match self.client.http().await {
            Ok(h) => h,
            Err(e) => return fail(key, e),
        };
        let body = match convert::account_body(c) {
            Ok(b) => b,
            Err(e) => return fail(key, e),
        };
        let mut target = target_id;
        if target.is_none() {
            let found = match c.primary_email() {
                Some(e) => self.account_by_email(e).await,
                None => match c.number.as_deref() {
                    Some(n) => self.account_by_code(n).await,
                    None => Ok(None),
                },
            };
            match found {
                Ok(f) => target = f,
                Err(e) => return fail(key, e),
            }
        }
        if let Some(id) = target {
            let path = format!("crm/Accounts({})", guid(&id));
            let mut body = body;
            if let Some(m) = body.as_object_mut() {
                // The code identifies the account: it is not rewritten.
                m.remove("Code");
            }
            return match http.put(&path).operation("PUT crm/Accounts").json(&body).send().await {
                Ok(_) => WriteOutcome::new(key, Outcome::Updated { target_id: id }),
                Err(e) => fail(key, e),
            };
        }
        let created = http
            .post("crm/Accounts")
            .operation("POST crm/Accounts")
            .header("Prefer", "return=representation")
            .json(&body)
            .send_json::<Value>()
            .await
            .and_then(wire::odata_record);
        let id = match created {
            Ok(rec) => match rec.get("ID").and_then(Value::as_str) {
                Some(id) => id.to_owned(),
                None => {
                    return fail(
                        key,
                        Error::new(
                            connector_core::ErrorKind::UncertainWrite,
                            "Exact Online's answer has no ID",
                        ),
                    );
                }
            },
            Err(e) => return fail(key, e),
        };
        // The person: the contact of a company, or the debtor in their own name.
        let person = match c.kind {
            CustomerKind::Company => {
                c.contacts.iter().find(|p| p.primary).or(c.contacts.first()).map(|p| {
                    (
                        p.first_name.clone(),
                        p.last_name.clone(),
                        p.emails
                            .first()
                            .map(|e| e.address.clone())
                            .or(c.primary_email().map(str::to_owned)),
                    )
                })
            }
            CustomerKind::Person => Some((
                c.first_name.clone(),
                c.last_name.clone(),
                c.primary_email().map(str::to_owned),
            )),
        };
        if let Some((first, last, email)) = person {
            let last = last.or_else(|| first.clone()).filter(|l| !l.trim().is_empty());
            if let Some(last) = last {
                let body = convert::contact_body(&id, first.as_deref(), &last, email.as_deref());
                if let Err(e) = http
                    .post("crm/Contacts")
                    .operation("POST crm/Contacts")
                    .json(&body)
                    .send()
                    .await
                {
                    return fail(
                        key,
                        e.context(format!(
                            "the account {id} was created; adding its contact person failed"
                        )),
                    );
                }
            }
        }
        WriteOutcome::new(key, Outcome::Created { target_id: id })
    }
}

#[async_trait]
impl Sink<Order> for ExactSink {
    fn name(&self) -> &str {
        NAME
    }

    fn capabilities(&self) -> SinkCapabilities {
        SinkCapabilities::new(EntityKind::Order)
            .max_batch(20)
            .max_concurrency(1)
            .can_find(true)
            .can_deactivate(false)
            .idempotent_writes(false)
            .natural_key("number")
    }

    async fn check(&self) -> Result<()> {
        self.client.check().await
    }

    /// Finds the document written for an order number (its `YourRef`).
    async fn find(&self, key: &LookupKey) -> Result<Option<Found<Order>>> {
        match key.field.as_str() {
            "number" | "reference" | "your_ref" => {}
            other => {
                return Err(Error::unsupported(format!(
                    "Exact Online orders cannot be found by {other}"
                )));
            }
        }
        let setting = self.client.config().order_target;
        let main = match setting {
            crate::config::OrderTarget::SalesOrder => DocTarget::SalesOrder,
            crate::config::OrderTarget::SalesInvoice => DocTarget::SalesInvoice,
        };
        for target in [main, DocTarget::Quotation] {
            if let Some((id, your_ref)) = self.find_document(target, &key.value).await? {
                return Ok(Some(Found::new(id, your_ref)));
            }
        }
        Ok(None)
    }

    async fn write(&self, batch: Vec<WriteRequest<Order>>) -> Result<Vec<WriteOutcome>> {
        let mut out = Vec::with_capacity(batch.len());
        for req in batch {
            match &req.action {
                WriteAction::Upsert(o) => {
                    out.push(self.write_order(&req.key, o, req.target_id.as_deref()).await);
                }
                WriteAction::Deactivate => out.push(fail(
                    &req.key,
                    Error::unsupported("Exact Online documents are not withdrawn by the connector"),
                )),
            }
        }
        Ok(out)
    }
}

#[async_trait]
impl Sink<Customer> for ExactSink {
    fn name(&self) -> &str {
        NAME
    }

    fn capabilities(&self) -> SinkCapabilities {
        SinkCapabilities::new(EntityKind::Customer)
            .max_batch(20)
            .max_concurrency(1)
            .can_find(true)
            .can_deactivate(true)
            .idempotent_writes(false)
            .natural_key("email")
    }

    async fn check(&self) -> Result<()> {
        self.client.check().await
    }

    async fn find(&self, key: &LookupKey) -> Result<Option<Found<Customer>>> {
        let filter = match key.field.as_str() {
            "email" => format!("Email eq {}", literal(&key.value.trim().to_lowercase())),
            "number" | "code" => format!("Code eq {}", literal(&pad_code(&key.value))),
            "name" => format!("Name eq {}", literal(key.value.trim())),
            other => {
                return Err(Error::unsupported(format!(
                    "Exact Online accounts cannot be found by {other}"
                )));
            }
        };
        let row =
            self.client.first("crm/Accounts", crate::source::ACCOUNT_FIELDS, Some(&filter)).await?;
        Ok(row.and_then(|r| {
            let a: wire::Account = serde_json::from_value(r).ok()?;
            let matched = match key.field.as_str() {
                "email" => a.email.clone(),
                // Codes come right-aligned in 18 characters.
                "number" | "code" => a.code.as_deref().map(|c| c.trim().to_owned()),
                _ => a.name.clone(),
            }
            .unwrap_or_default();
            let found = Found::new(a.id.clone(), matched);
            Some(match convert::customer(&a, &[]) {
                Ok(c) => found.with_record(c),
                Err(_) => found,
            })
        }))
    }

    async fn write(&self, batch: Vec<WriteRequest<Customer>>) -> Result<Vec<WriteOutcome>> {
        let mut out = Vec::with_capacity(batch.len());
        for req in batch {
            match &req.action {
                WriteAction::Upsert(c) => {
                    out.push(self.write_customer(&req.key, c, req.target_id.clone()).await);
                }
                WriteAction::Deactivate => match &req.target_id {
                    Some(id) => {
                        let r = self
                            .client
                            .http()
                            .await?
                            .put(&format!("crm/Accounts({})", guid(id)))
                            .operation("PUT crm/Accounts")
                            .json(&json!({"Blocked": true}))
                            .send()
                            .await;
                        out.push(match r {
                            Ok(_) => WriteOutcome::new(
                                &req.key,
                                Outcome::Deactivated { target_id: id.clone() },
                            ),
                            Err(e) => fail(&req.key, e),
                        });
                    }
                    None => out.push(fail(
                        &req.key,
                        Error::invalid_field(
                            "target_id",
                            "nothing to block: the account was never written",
                        ),
                    )),
                },
            }
        }
        Ok(out)
    }
}
