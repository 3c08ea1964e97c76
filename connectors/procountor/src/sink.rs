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

use crate::client::{CONNECTOR, MAX_PAGE_SIZE, ProcountorClient};
use crate::config::{DetailsFrom, FollowUp, InvoiceSettings};
use crate::convert::{
    PartyDetails, RegisterProduct, choose_channel, invoice_body, order_party, order_rows,
};
use crate::wire::{BusinessPartner, InvoiceBasicInfo, ListResponse, WireInvoice, WireProduct};

/// Orders per `write` call. Procountor has no batch endpoint: each invoice is its own POST.
pub const MAX_BATCH: usize = 20;

/// The most pages a register lookup follows.
const MAX_LOOKUP_PAGES: u64 = 1_000;

/// A partner of the register, typed and as Procountor sent it (to patch it whole).
type RegisterPartner = (BusinessPartner, Value);

/// Writes orders as `SALES_INVOICE`s (status UNFINISHED), with the Flashnode settings of
/// [`InvoiceSettings`]: customer and product register matching, the invoice channel rules,
/// and follow-up actions. Dedupes by `originalInvoiceNumber` (the order number).
#[derive(Debug)]
pub struct ProcountorSink {
    client: ProcountorClient,
    settings: InvoiceSettings,
    products: Mutex<HashMap<String, Option<RegisterProduct>>>,
    /// Held while a customer is matched or created, so two batches in flight never create
    /// the same partner twice.
    partners: tokio::sync::Mutex<()>,
}

impl ProcountorSink {
    /// A sink over `client` with the settings of its configuration.
    pub fn new(client: ProcountorClient) -> Self {
        let settings = client.config().invoices.clone();
        Self::with_settings(client, settings)
    }

    /// A sink with explicit settings.
    pub fn with_settings(client: ProcountorClient, settings: InvoiceSettings) -> Self {
        Self {
            client,
            settings,
            products: Mutex::new(HashMap::new()),
            partners: tokio::sync::Mutex::new(()),
        }
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

    /// The first customer of the register, active or not as asked, whose basic info `hit`
    /// accepts. `GET /businesspartners?type=CUSTOMER` with a filter: the customer number as a
    /// query parameter, the business ID as the `identifier` header (Procountor takes it
    /// there, not in the query); every page is read until a partner matches exactly.
    async fn search_partner(
        &self,
        filter: PartnerKey<'_>,
        active: bool,
    ) -> Result<Option<BusinessPartner>> {
        for page in 0..MAX_LOOKUP_PAGES {
            let mut req = self
                .client
                .http()
                .get("businesspartners")
                .query("type", "CUSTOMER")
                .query("active", active)
                .query("size", MAX_PAGE_SIZE)
                .query("page", page)
                .operation("GET /businesspartners");
            req = match filter {
                PartnerKey::CustomerNumber(n) => req.query("customerNumber", n),
                PartnerKey::BusinessId(id) => req.header("identifier", id),
            };
            let body: ListResponse<BusinessPartner> = req.send_json().await?;
            let n = body.results.len() as u64;
            if let Some(p) = body.results.into_iter().find(|p| filter.matches(p)) {
                return Ok(Some(p));
            }
            if n < MAX_PAGE_SIZE {
                break;
            }
        }
        Ok(None)
    }

    /// A partner by key: active first, then inactive (the list hides inactive partners
    /// unless asked), read in full (`GET /businesspartners/{id}`).
    async fn partner_by(&self, key: PartnerKey<'_>) -> Result<Option<RegisterPartner>> {
        let Some(found) = self.search_partner(key, true).await? else {
            return match self.search_partner(key, false).await? {
                Some(p) => Err(Error::invalid_field(
                    key.order_field(),
                    format!(
                        "{key} belongs to business partner {}, which is inactive in Procountor: \
                         activate it there (no second partner is created)",
                        p.id
                    ),
                )),
                None => Ok(None),
            };
        };
        let raw: Value = self
            .client
            .http()
            .get(&format!("businesspartners/{}", found.id))
            .operation("GET /businesspartners/{id}")
            .send_json()
            .await?;
        let partner = serde_json::from_value(raw.clone())
            .map_err(|e| Error::decode(format!("business partner {}: {e}", found.id)))?;
        Ok(Some((partner, raw)))
    }

    /// The register's customer for these details: by customer number, then by business ID.
    /// An inactive partner with the same key is an error (activate it), never a reason to
    /// create a second one.
    pub async fn find_partner(&self, details: &PartyDetails) -> Result<Option<BusinessPartner>> {
        Ok(self.find_register_partner(details).await?.map(|(p, _)| p))
    }

    async fn find_register_partner(
        &self,
        details: &PartyDetails,
    ) -> Result<Option<RegisterPartner>> {
        if let Some(n) = &details.customer_number
            && let Some(p) = self.partner_by(PartnerKey::CustomerNumber(n)).await?
        {
            return Ok(Some(p));
        }
        if let Some(id) = &details.identifier
            && let Some(p) = self.partner_by(PartnerKey::BusinessId(id)).await?
        {
            return Ok(Some(p));
        }
        Ok(None)
    }

    /// A new customer in the register (`POST /businesspartners`). A create whose answer was
    /// lost is looked up again by its keys, never sent twice.
    async fn create_partner(&self, details: &PartyDetails) -> Result<i64> {
        let posted = self
            .client
            .http()
            .post("businesspartners")
            .json(&details.new_partner_json(&self.settings.payment_method))
            .idempotent(false)
            .operation("POST /businesspartners")
            .send_json::<BusinessPartner>()
            .await;
        match posted {
            Ok(p) => Ok(p.id),
            Err(e) if e.kind() == ErrorKind::UncertainWrite => {
                match self.find_register_partner(details).await {
                    Ok(Some((p, _))) => Ok(p.id),
                    _ => Err(e),
                }
            }
            Err(e) => Err(e),
        }
    }

    /// Sets the order's customer details on the register's partner: `PATCH` with its
    /// `version` (a `PUT` would replace the whole partner). A stale version is read again
    /// once.
    async fn update_partner(
        &self,
        details: &PartyDetails,
        (partner, raw): RegisterPartner,
    ) -> Result<()> {
        let mut current = raw;
        for attempt in 0..2 {
            let sent = self
                .client
                .http()
                .patch(&format!("businesspartners/{}", partner.id))
                .json(&details.partner_patch_json(&current))
                .operation("PATCH /businesspartners/{id}")
                .send()
                .await;
            match sent {
                Ok(_) => return Ok(()),
                Err(e) if e.kind() == ErrorKind::Conflict && attempt == 0 => {
                    current = self
                        .client
                        .http()
                        .get(&format!("businesspartners/{}", partner.id))
                        .operation("GET /businesspartners/{id}")
                        .send_json()
                        .await?;
                }
                Err(e) => return Err(e),
            }
        }
        Err(Error::new(
            ErrorKind::Conflict,
            format!("business partner {} kept changing while it was updated", partner.id),
        ))
    }

    /// A product of the register by its exact code. `GET /products?code=` matches by
    /// substring, so pages are followed (`previousId`) until the code itself comes.
    async fn product(&self, code: &str) -> Result<Option<RegisterProduct>> {
        if let Some(hit) = crate::lock(&self.products).get(code) {
            return Ok(hit.clone());
        }
        let mut previous: Option<i64> = None;
        let mut hit = None;
        for _ in 0..MAX_LOOKUP_PAGES {
            let mut req = self
                .client
                .http()
                .get("products")
                .query("code", code)
                .query("type", "SALES")
                .query("size", MAX_PAGE_SIZE)
                .operation("GET /products?code");
            if let Some(p) = previous {
                req = req.query("previousId", p);
            }
            let page: ListResponse<WireProduct> = req.send_json().await?;
            let n = page.results.len() as u64;
            previous = page.results.last().map(|p| p.id);
            hit = page
                .results
                .into_iter()
                .find(|p| p.code.as_deref() == Some(code) && p.active != Some(false))
                .map(|p| RegisterProduct { id: p.id, name: p.name, code: code.to_owned() });
            if hit.is_some() || n < MAX_PAGE_SIZE || previous.is_none() {
                break;
            }
        }
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

    /// The partner an invoice is linked to, found or created as the settings say, with the
    /// details the invoice carries. Held under a lock so concurrent batches never create
    /// the same customer twice. A customer with neither a customer number nor a business ID
    /// is not created: nothing could find it again.
    async fn resolve_partner(
        &self,
        from_order: &PartyDetails,
    ) -> Result<(PartyDetails, Option<i64>)> {
        if !self.settings.match_customers {
            return Ok((from_order.clone(), None));
        }
        let _guard = self.partners.lock().await;
        let Some(found) = self.find_register_partner(from_order).await? else {
            let keyed = from_order.customer_number.is_some() || from_order.identifier.is_some();
            if !(self.settings.create_partners && keyed) {
                return Ok((from_order.clone(), None));
            }
            if from_order.name.is_none() {
                return Err(Error::invalid_field(
                    "party.name",
                    "a new business partner needs the customer's name",
                ));
            }
            let id = self.create_partner(from_order).await?;
            return Ok((from_order.clone(), Some(id)));
        };
        let register = PartyDetails::from_partner(&found.0);
        let details = match self.settings.details_from {
            DetailsFrom::Register => merge(register.clone(), from_order),
            DetailsFrom::Order => from_order.clone(),
        };
        let id = found.0.id;
        if self.settings.update_register && from_order.differs_from(&register) {
            self.update_partner(from_order, found).await?;
        }
        Ok((details, Some(id)))
    }

    /// The invoice body for one order: validation first, then the register lookups and the
    /// register writes the settings ask for (`partner` `None`), or the given partner as it is
    /// (an update keeps the invoice's partner).
    async fn prepare(&self, order: &Order, partner: Option<Option<i64>>) -> Result<Value> {
        let from_order = order_party(order)?;
        let vats = self.client.vat_percentages().await?;
        let products = self.products_for(order).await?;
        // Everything the order carries is checked before the register is written to.
        order_rows(order, &self.settings, vats, &products)?;
        let (details, partner_id) = match partner {
            Some(Some(id)) if self.settings.details_from == DetailsFrom::Register => {
                let p: BusinessPartner = self
                    .client
                    .http()
                    .get(&format!("businesspartners/{id}"))
                    .operation("GET /businesspartners/{id}")
                    .send_json()
                    .await?;
                (merge(PartyDetails::from_partner(&p), &from_order), Some(id))
            }
            Some(id) => (from_order, id),
            None => self.resolve_partner(&from_order).await?,
        };
        let channel = choose_channel(order, &details, self.settings.channel)?;
        let today = Utc::now().date_naive();
        invoice_body(order, &details, partner_id, channel, &self.settings, vats, &products, today)
    }

    async fn create(&self, order: &Order, number: &str) -> Result<Outcome> {
        if let Some(existing) = self.find_invoice(number).await? {
            let id = existing.id.to_string();
            // Follow-ups a failed earlier run left undone: all of them while the invoice is
            // UNFINISHED, the send once it is approved (NOT_SENT).
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
        let body = self.prepare(order, None).await?;
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
            // The partner is not editable by PUT: the invoice keeps its own.
            let mut put = self.prepare(order, Some(current.partner_id)).await?;
            if let Some(o) = put.as_object_mut() {
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

/// How a customer is looked up in the register.
#[derive(Debug, Clone, Copy)]
enum PartnerKey<'a> {
    /// `invoicingInfo.customerNumber`, the `customerNumber` query parameter.
    CustomerNumber(&'a str),
    /// `invoicingInfo.identifier`, the `identifier` header.
    BusinessId(&'a str),
}

impl PartnerKey<'_> {
    /// Whether a listed partner carries exactly this key.
    fn matches(&self, p: &BusinessPartner) -> bool {
        let i = p.invoicing();
        match self {
            PartnerKey::CustomerNumber(n) => i.customer_number.as_deref() == Some(*n),
            PartnerKey::BusinessId(id) => i.identifier.as_deref() == Some(*id),
        }
    }

    /// The order's field the key came from.
    fn order_field(&self) -> &'static str {
        match self {
            PartnerKey::CustomerNumber(_) => "party.customer.key",
            PartnerKey::BusinessId(_) => "party.registration_number",
        }
    }
}

impl std::fmt::Display for PartnerKey<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PartnerKey::CustomerNumber(n) => write!(f, "customer number {n}"),
            PartnerKey::BusinessId(id) => write!(f, "business ID {id}"),
        }
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
        SinkCapabilities::new(EntityKind::Order)
            .max_batch(MAX_BATCH)
            .max_concurrency(2)
            .can_find(true)
            .can_deactivate(false)
            .idempotent_writes(false)
            .natural_key("number")
    }

    async fn check(&self) -> Result<()> {
        self.client.check().await
    }

    async fn find(&self, key: &LookupKey) -> Result<Option<Found<Order>>> {
        match key.field.as_str() {
            "number" | "original_invoice_number" | "originalInvoiceNumber" => {
                Ok(self.find_invoice(&key.value).await?.map(|i| {
                    Found::new(i.id.to_string(), i.original_invoice_number.unwrap_or_default())
                }))
            }
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
