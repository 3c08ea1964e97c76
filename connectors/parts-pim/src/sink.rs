//! Products and stock into Parts PIM. Every write carries an employee number (the record's
//! `meta.custom.employee_number`, else the setting, else 999999). A SKU that is not digits
//! only is refused before anything is sent, naming the SKU; the rest of the batch goes on.
//! Images are never sent.

use async_trait::async_trait;
use connector_core::http::HttpClient;
use connector_core::model::{Entity, Product, SellablePolicy, StockLevel};
use connector_core::sink::{
    Found, LookupKey, Outcome, SinkCapabilities, WriteAction, WriteOutcome, WriteRequest,
};
use connector_core::{EntityKind, Error, ErrorKind, Result, Sink};
use serde_json::{Value, json};

use crate::client::{self, NAME};
use crate::config::{PartsPimConfig, is_digits};

/// The most records one `write` call takes.
pub const MAX_BATCH: usize = 50;

/// Writes products and stock levels to Parts PIM.
#[derive(Debug, Clone)]
pub struct PartsPimSink {
    config: PartsPimConfig,
    http: HttpClient,
    policy: SellablePolicy,
}

impl PartsPimSink {
    /// A sink for the configuration (no I/O). Stock sent is available less reserved.
    pub fn new(config: PartsPimConfig) -> Result<Self> {
        let http = client::http(&config)?;
        Ok(Self { config, http, policy: SellablePolicy::AvailableMinusReserved })
    }

    /// Sends another quantity as stock (default: available less reserved).
    #[must_use]
    pub fn sellable_policy(mut self, policy: SellablePolicy) -> Self {
        self.policy = policy;
        self
    }

    fn employee<E: Entity>(&self, record: &E) -> String {
        use connector_core::model::CustomValue;
        let given = record.meta().custom.get("employee_number").and_then(|f| match &f.value {
            CustomValue::Text(t) | CustomValue::Choice(t) => Some(t.trim().to_owned()),
            CustomValue::Number(n) => Some(n.normalize().to_string()),
            _ => None,
        });
        given.filter(|n| !n.is_empty()).unwrap_or_else(|| self.config.employee_number.clone())
    }

    fn path(base: &str, sku: &str) -> String {
        format!("{}/{sku}", base.trim_start_matches('/'))
    }
}

/// A refusal before sending: the SKU is not digits only.
fn sku_error(key: &str, sku: &str) -> Outcome {
    Outcome::Failed {
        error: Error::invalid_field(
            "sku",
            format!("SKU `{sku}` must be digits only for Parts PIM"),
        )
        .with_connector(NAME)
        .with_record(key),
    }
}

fn product_body(p: &Product, employee: String) -> Value {
    let pairs = |list: &[connector_core::model::Attribute]| -> Vec<Value> {
        list.iter().map(|a| json!({"name": a.name, "value": a.value})).collect()
    };
    let mut body = json!({"sku": p.sku.trim(), "name": p.name.clone().unwrap_or_default(), "employee_number": employee});
    let o = body.as_object_mut().expect("an object");
    let mut put = |k: &str, v: Option<Value>| {
        if let Some(v) = v {
            o.insert(k.to_owned(), v);
        }
    };
    put("description", p.description.clone().map(Value::from));
    put("long_description", p.long_description.clone().map(Value::from));
    put("unit", p.unit.clone().map(Value::from));
    put("price", p.sales_price.as_ref().map(|m| Value::from(m.amount.to_string())));
    put("gtin", p.gtin.clone().map(Value::from));
    put("categories", (!p.categories.is_empty()).then(|| json!(p.categories)));
    put("variant_of", p.variant_of.clone().map(Value::from));
    put("attributes", (!p.attributes.is_empty()).then(|| json!(pairs(&p.attributes))));
    put("features", (!p.features.is_empty()).then(|| json!(pairs(&p.features))));
    body
}

#[async_trait]
impl Sink<Product> for PartsPimSink {
    fn name(&self) -> &str {
        NAME
    }
    fn capabilities(&self) -> SinkCapabilities {
        SinkCapabilities::new(EntityKind::Product)
            .max_batch(MAX_BATCH)
            .can_find(true)
            .natural_key("sku")
    }
    async fn check(&self) -> Result<()> {
        match self
            .http
            .get(&Self::path(&self.config.products_path, "0"))
            .operation("GET products")
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
        }
    }
    async fn find(&self, key: &LookupKey) -> Result<Option<Found<Product>>> {
        let sku = key.value.trim();
        if key.field != "sku" || !is_digits(sku) {
            return Ok(None);
        }
        match self
            .http
            .get(&Self::path(&self.config.products_path, sku))
            .operation("GET products")
            .send()
            .await
        {
            Ok(_) => Ok(Some(Found::new(sku, sku))),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }
    async fn write(&self, batch: Vec<WriteRequest<Product>>) -> Result<Vec<WriteOutcome>> {
        let mut out = Vec::with_capacity(batch.len());
        for r in batch {
            let WriteAction::Upsert(p) = &r.action else {
                out.push(WriteOutcome::new(
                    r.key,
                    Outcome::Skipped {
                        reason: "Parts PIM products are not deactivated".into(),
                        target_id: r.target_id,
                    },
                ));
                continue;
            };
            let sku = p.sku.trim().to_owned();
            if !is_digits(&sku) {
                out.push(WriteOutcome::new(r.key.clone(), sku_error(&r.key, &sku)));
                continue;
            }
            let body = product_body(p, self.employee(p));
            let put = |id: &str| {
                self.http
                    .put(&Self::path(&self.config.products_path, id))
                    .json(&body)
                    .operation("PUT products")
            };
            let sent = match &r.target_id {
                None => {
                    let created = self
                        .http
                        .post(self.config.products_path.trim_start_matches('/'))
                        .json(&body)
                        .operation("POST products")
                        .send()
                        .await;
                    match created {
                        // It exists (a retry after a lost answer, or made in the PIM): an update.
                        Err(e) if e.kind() == ErrorKind::Conflict => {
                            let updated = put(&sku).send().await;
                            out.push(WriteOutcome::new(
                                r.key.clone(),
                                match updated {
                                    Ok(_) => Outcome::Updated { target_id: sku },
                                    Err(e) => {
                                        Outcome::Failed { error: e.with_record(r.key.clone()) }
                                    }
                                },
                            ));
                            continue;
                        }
                        other => other,
                    }
                }
                Some(id) => put(id).send().await,
            };
            let outcome = match sent {
                Ok(_) if r.target_id.is_none() => Outcome::Created { target_id: sku },
                Ok(_) => Outcome::Updated { target_id: sku },
                Err(e) => Outcome::Failed { error: e.with_record(r.key.clone()) },
            };
            out.push(WriteOutcome::new(r.key, outcome));
        }
        Ok(out)
    }
}

#[async_trait]
impl Sink<StockLevel> for PartsPimSink {
    fn name(&self) -> &str {
        NAME
    }
    fn capabilities(&self) -> SinkCapabilities {
        SinkCapabilities::new(EntityKind::StockLevel).max_batch(MAX_BATCH).natural_key("sku")
    }
    async fn check(&self) -> Result<()> {
        Sink::<Product>::check(self).await
    }
    async fn find(&self, _key: &LookupKey) -> Result<Option<Found<StockLevel>>> {
        Ok(None)
    }
    async fn write(&self, batch: Vec<WriteRequest<StockLevel>>) -> Result<Vec<WriteOutcome>> {
        let mut out = Vec::with_capacity(batch.len());
        for r in batch {
            let WriteAction::Upsert(s) = &r.action else {
                out.push(WriteOutcome::new(
                    r.key,
                    Outcome::Skipped { reason: "stock is not deactivated".into(), target_id: None },
                ));
                continue;
            };
            let sku = s.sku.trim().to_owned();
            if !is_digits(&sku) {
                out.push(WriteOutcome::new(r.key.clone(), sku_error(&r.key, &sku)));
                continue;
            }
            let Some(available) = s.sellable(self.policy) else {
                let error = Error::invalid_field("available", "no quantity to send")
                    .with_record(r.key.clone());
                out.push(WriteOutcome::new(r.key, Outcome::Failed { error }));
                continue;
            };
            let body = json!({"sku": sku, "available": available.to_string(), "employee_number": self.employee(s)});
            let sent = self
                .http
                .put(&Self::path(&self.config.stock_path, &sku))
                .json(&body)
                .operation("PUT stock")
                .send()
                .await;
            let outcome = match sent {
                Ok(_) => Outcome::Updated { target_id: sku },
                Err(e) => Outcome::Failed { error: e.with_record(r.key.clone()) },
            };
            out.push(WriteOutcome::new(r.key, outcome));
        }
        Ok(out)
    }
}
