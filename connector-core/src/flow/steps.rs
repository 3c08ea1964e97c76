//! Reusable business steps: skip-if-exists, find-or-create customer, ensure products exist.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use super::step::{Step, StepContext, StepOutcome};
use crate::error::Error;
use crate::model::{
    AddressKind, ContactKind, ContactPerson, Customer, CustomerKind, Document, Email, Entity, Phone,
};
use crate::sink::{LookupKey, Outcome, Sink, WriteAction, WriteRequest, find_checked};

/// Builds a lookup key from a record; `None` when the record has nothing to look up by.
pub type RecordLookup<E> = Arc<dyn Fn(&E) -> Option<LookupKey> + Send + Sync>;

/// Skips a record that already exists in the target (an order already in the ERP).
pub struct SkipIfExists<E: Entity> {
    target: Arc<dyn Sink<E>>,
    lookup: RecordLookup<E>,
}

impl<E: Entity> std::fmt::Debug for SkipIfExists<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SkipIfExists").field("target", &self.target.name()).finish()
    }
}

impl<E: Entity> SkipIfExists<E> {
    /// Looks records up in `target` with `lookup` (for orders, typically the order number as
    /// the target's external reference).
    pub fn new(
        target: Arc<dyn Sink<E>>,
        lookup: impl Fn(&E) -> Option<LookupKey> + Send + Sync + 'static,
    ) -> Arc<Self> {
        Arc::new(Self { target, lookup: Arc::new(lookup) })
    }
}

#[async_trait]
impl<E: Entity> Step<E> for SkipIfExists<E> {
    fn name(&self) -> &str {
        "skip-if-exists"
    }

    async fn apply(&self, record: E, _ctx: &StepContext) -> StepOutcome<E> {
        let Some(key) = (self.lookup)(&record) else { return StepOutcome::Continue(record) };
        match find_checked(&*self.target, &key).await {
            Ok(Some(found)) => StepOutcome::Skip {
                reason: format!(
                    "already exists in {} ({} = {}, id {})",
                    self.target.name(),
                    key.field,
                    key.value,
                    found.target_id
                ),
                target_id: Some(found.target_id),
            },
            Ok(None) => StepOutcome::Continue(record),
            Err(e) => {
                StepOutcome::Fail(e.context(format!("looking up {} = {}", key.field, key.value)))
            }
        }
    }
}

/// What to do when no customer matches a document's party.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoMatch {
    /// Create the customer from the document's party data.
    Create,
    /// Put the document on this default customer (target id): a default debtor.
    UseDefault(String),
    /// Fail the document.
    Fail,
}

/// Finds the document's customer in the target by a field of the party (e-mail by default),
/// creates it when absent (a company with its contact person when the party has a company
/// name, otherwise a person), optionally updates it when found, and sets
/// `party.customer.id` to the target id.
pub struct FindOrCreateCustomer {
    customers: Arc<dyn Sink<Customer>>,
    match_field: String,
    update_existing: bool,
    no_match: NoMatch,
}

impl std::fmt::Debug for FindOrCreateCustomer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FindOrCreateCustomer")
            .field("customers", &self.customers.name())
            .field("match_field", &self.match_field)
            .field("update_existing", &self.update_existing)
            .field("no_match", &self.no_match)
            .finish()
    }
}

impl FindOrCreateCustomer {
    /// Matches by e-mail, creates when absent, leaves found customers as they are.
    pub fn new(customers: Arc<dyn Sink<Customer>>) -> Self {
        Self {
            customers,
            match_field: "email".into(),
            update_existing: false,
            no_match: NoMatch::Create,
        }
    }

    /// Matches by another party field: `email`, `number` (the customer reference's key),
    /// `registration_number`, `tax_number`.
    pub fn match_on(mut self, field: impl Into<String>) -> Self {
        self.match_field = field.into();
        self
    }

    /// Updates a found customer with the document's party data.
    pub fn update_existing(mut self, yes: bool) -> Self {
        self.update_existing = yes;
        self
    }

    /// What to do when nothing matches.
    pub fn on_no_match(mut self, policy: NoMatch) -> Self {
        self.no_match = policy;
        self
    }

    /// As a step for any document type.
    pub fn into_step<D: Document>(self) -> Arc<dyn Step<D>> {
        Arc::new(FindOrCreateStep { inner: self, _d: std::marker::PhantomData })
    }

    fn match_value<D: Document>(&self, doc: &D) -> Option<String> {
        let p = doc.party();
        let v = match self.match_field.as_str() {
            "email" => p.email.as_deref().map(crate::model::normalize_email),
            "number" => p.customer.key.clone(),
            "registration_number" => p.registration_number.clone(),
            "tax_number" => p.tax_number.clone(),
            _ => None,
        };
        v.filter(|s| !s.trim().is_empty())
    }

    /// The customer a document's party describes.
    pub fn customer_from<D: Document>(doc: &D) -> Customer {
        let p = doc.party();
        let email = p.email.clone().map(|address| Email {
            address,
            kind: ContactKind::Work,
            primary: true,
        });
        let phone = p.phone.clone().map(|number| Phone { number, kind: ContactKind::Work });
        let person_name = [p.first_name.as_deref(), p.last_name.as_deref()]
            .into_iter()
            .flatten()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        let mut addresses = Vec::new();
        if let Some(a) = doc.billing_address() {
            addresses.push(crate::model::Address { kind: AddressKind::Billing, ..a.clone() });
        }
        if let Some(a) = doc.shipping_address() {
            addresses.push(crate::model::Address { kind: AddressKind::Shipping, ..a.clone() });
        }
        let company = p.company_name.clone().filter(|s| !s.trim().is_empty());
        let mut c = Customer {
            number: p.customer.key.clone(),
            addresses,
            tax_number: p.tax_number.clone(),
            registration_number: p.registration_number.clone(),
            e_invoice_address: p.e_invoice_address.clone(),
            ..Default::default()
        };
        match company {
            Some(company) => {
                c.kind = CustomerKind::Company;
                c.name = Some(company);
                c.emails = email.clone().into_iter().collect();
                c.contacts = vec![ContactPerson {
                    first_name: p.first_name.clone(),
                    last_name: p.last_name.clone(),
                    emails: email.into_iter().collect(),
                    phones: phone.into_iter().collect(),
                    primary: true,
                    ..Default::default()
                }];
            }
            None => {
                c.kind = CustomerKind::Person;
                c.name = Some(if person_name.is_empty() {
                    p.name.clone().unwrap_or_default()
                } else {
                    person_name
                });
                c.first_name = p.first_name.clone();
                c.last_name = p.last_name.clone();
                c.emails = email.into_iter().collect();
                c.phones = phone.into_iter().collect();
            }
        }
        c
    }

    async fn resolve<D: Document>(&self, mut doc: D, ctx: &StepContext) -> StepOutcome<D> {
        if doc.party().customer.id.is_some() {
            return StepOutcome::Continue(doc);
        }
        let value = self.match_value(&doc);
        let found = match &value {
            Some(v) => match find_checked(
                &*self.customers,
                &LookupKey::new(self.match_field.clone(), v.clone()),
            )
            .await
            {
                Ok(f) => f,
                Err(e) => return StepOutcome::Fail(e.context("finding the customer")),
            },
            None => None,
        };
        let customer = Self::customer_from(&doc);
        let (target_id, is_create) = match found {
            Some(f) if !self.update_existing => {
                doc.party_mut().customer.id = Some(f.target_id);
                return StepOutcome::Continue(doc);
            }
            Some(f) => (Some(f.target_id), false),
            None => match &self.no_match {
                NoMatch::UseDefault(id) => {
                    doc.party_mut().customer.id = Some(id.clone());
                    return StepOutcome::Continue(doc);
                }
                NoMatch::Fail => {
                    return StepOutcome::Fail(Error::invalid_field(
                        format!("party.{}", self.match_field),
                        format!(
                            "no customer in {} matches {:?}",
                            self.customers.name(),
                            value.unwrap_or_default()
                        ),
                    ));
                }
                NoMatch::Create => (None, true),
            },
        };
        if ctx.dry_run {
            if let Some(id) = target_id {
                doc.party_mut().customer.id = Some(id);
            }
            return StepOutcome::Continue(doc);
        }
        let key = value
            .clone()
            .or_else(|| customer.key().map(|k| k.into_owned()))
            .unwrap_or_else(|| format!("{}:customer", ctx.key));
        let hash = super::content_hash(&customer).unwrap_or_default();
        let request = WriteRequest {
            idempotency_key: super::idempotency_key(&ctx.flow, &key, &hash),
            key: key.clone(),
            target_id,
            action: WriteAction::Upsert(customer),
            is_create,
        };
        match self.customers.write(vec![request]).await {
            Ok(outcomes) => match outcomes.into_iter().find(|o| o.key == key).map(|o| o.outcome) {
                Some(Outcome::Failed { error }) => {
                    StepOutcome::Fail(error.context("creating the customer"))
                }
                Some(o) => match o.target_id() {
                    Some(id) => {
                        doc.party_mut().customer.id = Some(id.to_string());
                        StepOutcome::Continue(doc)
                    }
                    None => StepOutcome::Fail(Error::internal("the customer sink returned no id")),
                },
                None => StepOutcome::Fail(Error::internal("the customer sink returned no outcome")),
            },
            Err(e) => StepOutcome::Fail(e.context("creating the customer")),
        }
    }
}

struct FindOrCreateStep<D> {
    inner: FindOrCreateCustomer,
    _d: std::marker::PhantomData<fn(D) -> D>,
}

#[async_trait]
impl<D: Document> Step<D> for FindOrCreateStep<D> {
    fn name(&self) -> &str {
        "find-or-create-customer"
    }

    async fn apply(&self, record: D, ctx: &StepContext) -> StepOutcome<D> {
        self.inner.resolve(record, ctx).await
    }
}

/// Fails a document whose lines name a product the target does not have, naming the SKU and
/// the line. Found SKUs are remembered for the life of the step (up to 100,000). A target
/// that cannot look products up (a file drop) checks nothing: its import decides.
pub struct EnsureProductsExist<P: Entity> {
    products: Arc<dyn Sink<P>>,
    known: Mutex<HashSet<String>>,
}

impl<P: Entity> std::fmt::Debug for EnsureProductsExist<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnsureProductsExist").field("products", &self.products.name()).finish()
    }
}

const KNOWN_SKUS_CAP: usize = 100_000;

impl<P: Entity> EnsureProductsExist<P> {
    /// Checks SKUs against `products` (looked up with the `sku` field).
    pub fn new(products: Arc<dyn Sink<P>>) -> Self {
        Self { products, known: Mutex::new(HashSet::new()) }
    }

    /// As a step for any document type.
    pub fn into_step<D: Document>(self) -> Arc<dyn Step<D>> {
        Arc::new(EnsureStep { inner: self, _d: std::marker::PhantomData })
    }

    fn is_known(&self, sku: &str) -> bool {
        self.known.lock().map(|k| k.contains(sku)).unwrap_or(false)
    }

    fn remember(&self, sku: &str) {
        if let Ok(mut k) = self.known.lock() {
            if k.len() < KNOWN_SKUS_CAP {
                k.insert(sku.to_string());
            }
        }
    }
}

struct EnsureStep<P: Entity, D> {
    inner: EnsureProductsExist<P>,
    _d: std::marker::PhantomData<fn(D) -> D>,
}

#[async_trait]
impl<P: Entity, D: Document> Step<D> for EnsureStep<P, D> {
    fn name(&self) -> &str {
        "ensure-products-exist"
    }

    async fn apply(&self, record: D, _ctx: &StepContext) -> StepOutcome<D> {
        if !self.inner.products.capabilities().can_find {
            return StepOutcome::Continue(record);
        }
        let mut missing = Vec::new();
        for (i, line) in record.lines().iter().enumerate() {
            let Some(sku) = line.sku.as_deref().filter(|s| !s.trim().is_empty()) else { continue };
            if self.inner.is_known(sku) {
                continue;
            }
            match find_checked(&*self.inner.products, &LookupKey::new("sku", sku)).await {
                Ok(Some(_)) => self.inner.remember(sku),
                Ok(None) => missing.push(crate::error::FieldError::new(
                    format!("lines[{i}].sku"),
                    format!("product {sku:?} does not exist in {}", self.inner.products.name()),
                )),
                Err(e) => {
                    return StepOutcome::Fail(e.context(format!("looking up product {sku:?}")));
                }
            }
        }
        if missing.is_empty() {
            return StepOutcome::Continue(record);
        }
        let message = missing.iter().map(|m| m.message.clone()).collect::<Vec<_>>().join("; ");
        StepOutcome::Fail(
            Error::new(crate::error::ErrorKind::InvalidInput, message).with_field_errors(missing),
        )
    }
}
