//! Customer → `Account` by its number field.

use async_trait::async_trait;
use connector_core::sink::{
    Found, LookupKey, Outcome, Sink, SinkCapabilities, WriteAction, WriteOutcome, WriteRequest,
};
use connector_core::{EntityKind, Error, Result};
use serde_json::{Map, Value, json};

use super::{MAX_BATCH, Row, SalesforceSink, custom_json, fail};
use crate::client::{NAME, id18, literal};

use connector_core::model::Customer;

#[async_trait]
impl Sink<Customer> for SalesforceSink {
    fn name(&self) -> &str {
        NAME
    }
    fn capabilities(&self) -> SinkCapabilities {
        SinkCapabilities::new(EntityKind::Customer)
            .max_batch(MAX_BATCH)
            .max_concurrency(1)
            .can_find(true)
            .can_deactivate(false)
            .idempotent_writes(true)
            .natural_key("number")
    }
    async fn check(&self) -> Result<()> {
        self.client.check_fields(&[("Account", &self.client.config().account_number_field)]).await
    }
    async fn find(&self, key: &LookupKey) -> Result<Option<Found<Customer>>> {
        let field = self.client.config().account_number_field.clone();
        let cond = match key.field.as_str() {
            "number" => format!("{field} = {}", literal(key.value.trim())),
            "name" => format!("Name = {}", literal(key.value.trim())),
            "email" => format!(
                "Id IN (SELECT AccountId FROM Contact WHERE Email = {})",
                literal(&key.value.trim().to_lowercase())
            ),
            other => {
                return Err(Error::unsupported(format!(
                    "Salesforce accounts cannot be found by {other}"
                )));
            }
        };
        let country = self.client.describe("Account").await?.country_field("Billing");
        let fields = crate::source::account_fields(&field, country.trim_start_matches("Billing"));
        let row = self
            .client
            .query_one(format!("SELECT {fields} FROM Account WHERE {cond} LIMIT 1"))
            .await?;
        Ok(row.map(|r| {
            let matched = match key.field.as_str() {
                "number" => r[field.as_str()].as_str().unwrap_or_default().to_owned(),
                "name" => r["Name"].as_str().unwrap_or_default().to_owned(),
                // The account holds no e-mail to read back: SOQL's exact `Email =` matched
                // one of its contacts.
                _ => key.value.trim().to_lowercase(),
            };
            let found = Found::new(r["Id"].as_str().map(id18).unwrap_or_default(), matched);
            match crate::source::customer(&r, &field) {
                Ok(c) => found.with_record(c),
                Err(_) => found,
            }
        }))
    }
    /// Writes the account by its number field (an upsert where it is an External ID); the
    /// country goes to `BillingCountryCode` where the org has country picklists, else to
    /// `BillingCountry`.
    async fn write(&self, batch: Vec<WriteRequest<Customer>>) -> Result<Vec<WriteOutcome>> {
        let field = self.client.config().account_number_field.clone();
        let country = self.client.describe("Account").await?.country_field("Billing");
        let mut out = Vec::new();
        let mut rows = Vec::new();
        for req in batch {
            let WriteAction::Upsert(c) = &req.action else {
                out.push(WriteOutcome::new(
                    &req.key,
                    Outcome::Skipped {
                        reason: "accounts are not removed".into(),
                        target_id: req.target_id,
                    },
                ));
                continue;
            };
            let Some(number) = c.number.as_deref().filter(|n| !n.trim().is_empty()) else {
                out.push(fail(
                    &req.key,
                    Error::invalid_field("number", "an account is upserted by its ERP number"),
                ));
                continue;
            };
            let Some(name) = c.name.clone().or_else(|| {
                let full = format!(
                    "{} {}",
                    c.first_name.as_deref().unwrap_or(""),
                    c.last_name.as_deref().unwrap_or("")
                );
                Some(full.trim().to_owned()).filter(|s| !s.is_empty())
            }) else {
                out.push(fail(&req.key, Error::invalid_field("name", "an account needs a name")));
                continue;
            };
            let mut m = Map::new();
            m.insert(field.clone(), json!(number.trim()));
            m.insert("Name".into(), json!(name));
            if let Some(p) = c.phones.first() {
                m.insert("Phone".into(), json!(p.number));
            }
            if let Some(a) =
                c.address(connector_core::model::AddressKind::Billing).or(c.addresses.first())
            {
                m.insert("BillingStreet".into(), json!(a.lines.join("\n")));
                m.insert("BillingPostalCode".into(), json!(a.postal_code));
                m.insert("BillingCity".into(), json!(a.city));
                m.insert(country.clone(), json!(a.country));
            }
            for (k, v) in &c.meta.custom {
                if let Some(f) = k.strip_prefix("salesforce:") {
                    m.insert(f.to_owned(), custom_json(&v.value));
                }
            }
            // Written before: updated by its id (after an upgrade its number may live in
            // another field).
            if let Some(id) = &req.target_id {
                m.insert("Id".into(), json!(id));
            }
            rows.push(Row { key: req.key, deactivate: false, record: Value::Object(m) });
        }
        out.extend(Self::outcomes(self.upsert_by("Account", &field, rows).await));
        Ok(out)
    }
}
