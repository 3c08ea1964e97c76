//! The sink: canonical orders → Procountor sales invoices.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use chrono::Utc;
use connector_core::model::{EntityKind, Order};
use connector_core::sink::{
    Found, LookupKey, Outcome, Sink, SinkCapabilities, WriteAction, WriteOutcome, WriteRequest,
};
use connector_core::{Error, ErrorKind, Result};
use serde_json::Value;

use crate::client::{CONNECTOR, ProcountorClient};
use crate::config::{DetailsFrom, FollowUp, InvoiceSettings};
use crate::convert::{PartyDetails, RegisterProduct, choose_channel, invoice_body, order_party};
use crate::wire::{BusinessPartner, InvoiceBasicInfo, ListResponse, WireInvoice, WireProduct};

/// Orders per `write` call. Procountor has no batch endpoint: each invoice is its own POST.
pub const MAX_BATCH: usize = 20;

/// Writes orders as `SALES_INVOICE`s (status UNFINISHED), with the Flashnode settings of
/// [`InvoiceSettings`]: customer and product register matching, the invoice channel rules,
/// and follow-up actions. Dedupes by `originalInvoiceNumber` (the order number).
#[derive(Debug)]
pub struct ProcountorSink {
    client: ProcountorClient,
    settings: InvoiceSettings,
    products: Mutex<HashMap<String, Option<RegisterProduct>>>,
}

impl ProcountorSink {
    /// A sink over `client` with the settings of its configuration.
    pub fn new(client: ProcountorClient) -> Self {
        let settings = client.config().invoices.clone();
        Self::with_settings(client, settings)
    }

    /// A sink with explicit settings.
    pub fn with_settings(client: ProcountorClient, settings: InvoiceSettings) -> Self {
        Self { client, settings, products: Mutex::new(HashMap::new()) }
    }

    /// The settings.
    pub fn settings(&self) -> &InvoiceSettings {
        &self.settings
    }

    /// The invoice created for an order number, if any (`GET /invoices?originalInvoiceNumber=`).
    /// Invalidated and deleted invoices do not count.
    pub async fn find_invoice(&self, order_number: &str) -> Result<Option<InvoiceBasicInfo>> {
        let page: ListResponse<InvoiceBasicInfo> = self
            .client
            .http()
            .get("invoices")
            .query("originalInvoiceNumber", order_number)
            .query("types", "SALES_INVOICE")
            .operation("GET /invoices?originalInvoiceNumber")
            .send_json()
            .await?;
        Ok(page.results.into_iter().find(|i| {
            i.original_invoice_number.as_deref() == Some(order_number)
                && !matches!(i.status.as_deref(), Some("INVALIDATED" | "DELETED"))
        }))
    }

    async fn partner_by(&self, param: &str, value: &str) -> Result<Option<BusinessPartner>> {
        let page: ListResponse<BusinessPartner> = self
            .client
            .http()
            .get("businesspartners")
            .query(param, value)
            .query("type", "CUSTOMER")
            .operation("GET /businesspartners")
            .send_json()
            .await?;
        let hit = page.results.into_iter().find(|p| {
            let v = if param == "customerNumber" { &p.customer_number } else { &p.identifier };
            v.as_deref() == Some(value)
        });
        match hit {
            Some(p) => Ok(Some(
                self.client
                    .http()
                    .get(&format!("businesspartners/{}", p.id))
                    .operation("GET /businesspartners/{id}")
                    .send_json()
                    .await?,
            )),
            None => Ok(None),
        }
    }

    /// The register's customer for these details: by customer number, then by business ID.
    pub async fn find_partner(&self, details: &PartyDetails) -> Result<Option<BusinessPartner>> {
        if let Some(n) = &details.customer_number
            && let Some(p) = self.partner_by("customerNumber", n).await?
        {
            return Ok(Some(p));
        }
        if let Some(id) = &details.identifier
            && let Some(p) = self.partner_by("identifier", id).await?
        {
            return Ok(Some(p));
        }
        Ok(None)
    }

    async fn product(&self, code: &str) -> Result<Option<RegisterProduct>> {
        if let Some(hit) = crate::lock(&self.products).get(code) {
            return Ok(hit.clone());
        }
        let page: ListResponse<WireProduct> = self
            .client
            .http()
            .get("products")
            .query("code", code)
            .query("type", "SALES")
            .operation("GET /products?code")
            .send_json()
            .await?;
        let hit = page
            .results
            .into_iter()
            .find(|p| p.code.as_deref() == Some(code) && p.active != Some(false))
            .map(|p| RegisterProduct { id: p.id, name: p.name, code: code.to_owned() });
        crate::lock(&self.products).insert(code.to_owned(), hit.clone());
        Ok(hit)
    }

    async fn products_for(&self, order: &Order) -> Result<HashMap<String, RegisterProduct>> {
        let mut out = HashMap::new();
        if !self.settings.match_products {
            return Ok(out);
        }
        for sku in order.lines.iter().filter_map(|l| l.sku.as_deref()) {
            let sku = sku.trim();
            if sku.is_empty() || out.contains_key(sku) {
                continue;
            }
            if let Some(p) = self.product(sku).await? {
                out.insert(sku.to_owned(), p);
            }
        }
        Ok(out)
    }

    async fn follow_up(&self, id: &str, actions: &[FollowUp]) -> Result<()> {
        for action in actions {
            self.client
                .http()
                .put(&format!("invoices/{id}/{}", action.as_str()))
                .operation(format!("PUT /invoices/{{id}}/{}", action.as_str()))
                .send()
                .await
                .map_err(|e| {
                    e.context(format!("invoice {id} exists; its {} failed", action.as_str()))
                })?;
        }
        Ok(())
    }

    async fn get_invoice(&self, id: &str) -> Result<(WireInvoice, Value)> {
        let raw: Value = self
            .client
            .http()
            .get(&format!("invoices/{id}"))
            .operation("GET /invoices/{id}")
            .send_json()
            .await?;
        let wire = serde_json::from_value(raw.clone())
            .map_err(|e| Error::decode(format!("invoice {id}: {e}")))?;
        Ok((wire, raw))
    }

    /// Everything for one order up to the body: validation first, then read-only lookups,
    /// then the register writes the settings ask for.
    async fn prepare(&self, order: &Order) -> Result<(Value, Option<i64>)> {
        let from_order = order_party(order)?;
        let vats = self.client.vat_percentages().await?;
        let partner = if self.settings.match_customers {
            self.find_partner(&from_order).await?
        } else {
            None
        };
        let details = match (&partner, self.settings.details_from) {
            (Some(p), DetailsFrom::Register) => merge(PartyDetails::from_partner(p), &from_order),
            _ => from_order.clone(),
        };
        let channel = choose_channel(order, &details, self.settings.channel)?;
        let products = self.products_for(order).await?;
        let today = Utc::now().date_naive();
        let mut body =
            invoice_body(order, &details, None, channel, &self.settings, vats, &products, today)?;
        let partner_id = match partner {
            Some(p) => {
                if self.settings.update_register
                    && from_order.differs_from(&PartyDetails::from_partner(&p))
                {
                    let merged = merge(from_order.clone(), &PartyDetails::from_partner(&p));
                    self.client
                        .http()
                        .put(&format!("businesspartners/{}", p.id))
                        .json(&merged.partner_json(p.version.as_deref()))
                        .operation("PUT /businesspartners/{id}")
                        .send()
                        .await?;
                }
                Some(p.id)
            }
            None if self.settings.match_customers && self.settings.create_partners => {
                let created: BusinessPartner = self
                    .client
                    .http()
                    .post("businesspartners")
                    .json(&from_order.partner_json(None))
                    .operation("POST /businesspartners")
                    .send_json()
                    .await?;
                Some(created.id)
            }
            None => None,
        };
        if let (Some(id), Some(o)) = (partner_id, body.as_object_mut()) {
            o.insert("partnerId".into(), Value::from(id));
        }
        Ok((body, partner_id))
    }

    async fn create(&self, order: &Order, number: &str) -> Result<Outcome> {
        if let Some(existing) = self.find_invoice(number).await? {
            let id = existing.id.to_string();
            // Follow-ups a failed earlier run left undone: all of them while the invoice is
            // UNFINISHED, the send once it is verified (NOT_SENT).
            let pending: Vec<FollowUp> = match existing.status.as_deref() {
                Some("UNFINISHED") => self.settings.follow_up.clone(),
                Some("NOT_SENT") => self
                    .settings
                    .follow_up
                    .iter()
                    .copied()
                    .filter(|a| *a == FollowUp::Send)
                    .collect(),
                _ => Vec::new(),
            };
            if !pending.is_empty() {
                self.follow_up(&id, &pending).await?;
                return Ok(Outcome::Updated { target_id: id });
            }
            return Ok(Outcome::Unchanged { target_id: id });
        }
        let (body, _) = self.prepare(order).await?;
        let posted = self
            .client
            .http()
            .post("invoices")
            .json(&body)
            .idempotent(false)
            .operation("POST /invoices")
            .send_json::<WireInvoice>()
            .await;
        let id = match posted {
            Ok(inv) => inv.id.to_string(),
            Err(e) if e.kind() == ErrorKind::UncertainWrite => {
                match self.find_invoice(number).await {
                    Ok(Some(found)) => found.id.to_string(),
                    _ => return Err(e),
                }
            }
            Err(e) => return Err(e),
        };
        self.follow_up(&id, &self.settings.follow_up).await?;
        Ok(Outcome::Created { target_id: id })
    }

    async fn update(&self, order: &Order, id: &str) -> Result<Outcome> {
        let (body, _) = self.prepare(order).await?;
        for attempt in 0..2 {
            let (current, _) = match self.get_invoice(id).await {
                Ok(found) => found,
                Err(e) if e.kind() == ErrorKind::NotFound => {
                    // Gone from Procountor: create it again (the lookup still guards).
                    let number = order.number.as_deref().unwrap_or_default();
                    return self.create(order, number).await;
                }
                Err(e) => return Err(e),
            };
            if current.status.as_deref() != Some("UNFINISHED") {
                return Ok(Outcome::Skipped {
                    reason: format!(
                        "invoice {id} is {} in Procountor; only UNFINISHED invoices can be updated",
                        current.status.as_deref().unwrap_or("in an unknown status")
                    ),
                    target_id: Some(id.to_owned()),
                });
            }
            let mut put = body.clone();
            if let Some(o) = put.as_object_mut() {
                o.insert("id".into(), Value::from(current.id));
                o.insert(
                    "version".into(),
                    Value::from(current.version.clone().unwrap_or_default()),
                );
            }
            let sent = self
                .client
                .http()
                .put(&format!("invoices/{id}"))
                .json(&put)
                .operation("PUT /invoices/{id}")
                .send()
                .await;
            match sent {
                Ok(_) => return Ok(Outcome::Updated { target_id: id.to_owned() }),
                Err(e) if e.kind() == ErrorKind::Conflict && attempt == 0 => {
                    tracing::info!(invoice = id, "stale version; reading the invoice again");
                }
                Err(e) => return Err(e),
            }
        }
        Err(Error::new(
            ErrorKind::Conflict,
            format!("invoice {id} kept changing while it was updated"),
        ))
    }

    async fn write_one(&self, req: WriteRequest<Order>) -> Outcome {
        let WriteAction::Upsert(order) = req.action else {
            return Outcome::Skipped {
                reason: "Procountor invoices are not deactivated from orders".to_owned(),
                target_id: req.target_id,
            };
        };
        let result = match (&req.target_id, order.number.as_deref()) {
            (Some(id), _) => self.update(&order, id).await,
            (None, Some(n)) if !n.trim().is_empty() => self.create(&order, n.trim()).await,
            _ => Err(Error::invalid_field("number", "an order needs its number")),
        };
        result.unwrap_or_else(|e| {
            let e = if e.connector().is_none() { e.with_connector(CONNECTOR) } else { e };
            Outcome::Failed { error: e.with_record(req.key.clone()) }
        })
    }
}

/// `primary`'s values, with gaps filled from `fallback`.
fn merge(primary: PartyDetails, fallback: &PartyDetails) -> PartyDetails {
    let pick = |a: Option<String>, b: &Option<String>| a.or_else(|| b.clone());
    PartyDetails {
        name: pick(primary.name, &fallback.name),
        identifier: pick(primary.identifier, &fallback.identifier),
        customer_number: pick(primary.customer_number, &fallback.customer_number),
        email: pick(primary.email, &fallback.email),
        street: pick(primary.street, &fallback.street),
        zip: pick(primary.zip, &fallback.zip),
        city: pick(primary.city, &fallback.city),
        country: pick(primary.country, &fallback.country),
        einvoice_address: pick(primary.einvoice_address, &fallback.einvoice_address),
        einvoice_operator: pick(primary.einvoice_operator, &fallback.einvoice_operator),
    }
}

#[async_trait]
impl Sink<Order> for ProcountorSink {
    fn name(&self) -> &str {
        CONNECTOR
    }

    fn capabilities(&self) -> SinkCapabilities {
        SinkCapabilities {
            entity: EntityKind::Order,
            max_batch: MAX_BATCH,
            max_concurrency: 2,
            can_find: true,
            can_deactivate: false,
            idempotent_writes: false,
            natural_key: "number".to_owned(),
        }
    }

    async fn check(&self) -> Result<()> {
        self.client.check().await
    }

    async fn find(&self, key: &LookupKey) -> Result<Option<Found<Order>>> {
        match key.field.as_str() {
            "number" | "original_invoice_number" | "originalInvoiceNumber" => Ok(self
                .find_invoice(&key.value)
                .await?
                .map(|i| Found { target_id: i.id.to_string(), record: None })),
            other => Err(Error::unsupported(format!(
                "Procountor invoices are found by order number, not by `{other}`"
            ))),
        }
    }

    async fn write(&self, batch: Vec<WriteRequest<Order>>) -> Result<Vec<WriteOutcome>> {
        let mut out = Vec::with_capacity(batch.len());
        for req in batch {
            let key = req.key.clone();
            let outcome = self.write_one(req).await;
            out.push(WriteOutcome::new(key, outcome));
        }
        Ok(out)
    }
}
