//! What the org says of an object (`GET sobjects/{object}/describe`): which fields exist,
//! and which of them are External IDs. Orgs differ: a standard org has no custom fields,
//! `BillingCountryCode` exists only with State and Country/Territory Picklists, and an
//! upsert needs an External ID field.

use std::collections::HashMap;

use connector_core::{Error, Result};
use serde_json::Value;

use crate::client::NAME;

/// One field of a described object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldInfo {
    /// The field's API name as the org spells it.
    pub name: String,
    /// The field type (`string`, `double`, `reference`, `picklist`, …).
    pub kind: String,
    /// Whether it is an External ID (what `PATCH composite/sobjects/{object}/{field}`
    /// upserts by).
    pub external_id: bool,
}

/// The fields of one object.
#[derive(Debug, Clone, Default)]
pub struct Described {
    object: String,
    /// By lower-case name: API names are case-insensitive.
    fields: HashMap<String, FieldInfo>,
}

impl Described {
    /// Reads a describe answer (its `fields`).
    pub fn from_answer(object: &str, body: &Value) -> Result<Self> {
        let list = body.get("fields").and_then(Value::as_array).ok_or_else(|| {
            Error::decode(format!("the describe of {object} has no `fields`")).with_connector(NAME)
        })?;
        let fields = list
            .iter()
            .filter_map(|f| {
                let name = f.get("name")?.as_str()?.to_owned();
                let info = FieldInfo {
                    kind: f.get("type").and_then(Value::as_str).unwrap_or_default().to_owned(),
                    external_id: f.get("externalId").and_then(Value::as_bool).unwrap_or(false),
                    name: name.clone(),
                };
                Some((name.to_ascii_lowercase(), info))
            })
            .collect();
        Ok(Self { object: object.to_owned(), fields })
    }

    /// The object's name.
    pub fn object(&self) -> &str {
        &self.object
    }

    /// The field, if the org has it.
    pub fn field(&self, name: &str) -> Option<&FieldInfo> {
        self.fields.get(&name.trim().to_ascii_lowercase())
    }

    /// Whether the org has the field.
    pub fn has(&self, name: &str) -> bool {
        self.field(name).is_some()
    }

    /// Whether the field is an External ID (upserts go by it).
    pub fn is_external_id(&self, name: &str) -> bool {
        self.field(name).is_some_and(|f| f.external_id)
    }

    /// `{prefix}CountryCode` where the org has State and Country/Territory Picklists, else
    /// `{prefix}Country` (`Billing`, `Shipping`, `Mailing`).
    pub fn country_field(&self, prefix: &str) -> String {
        let code = format!("{prefix}CountryCode");
        if self.has(&code) { code } else { format!("{prefix}Country") }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fields_external_ids_and_country_fields() {
        let d = Described::from_answer(
            "Account",
            &json!({"name": "Account", "fields": [
                {"name": "Id", "type": "id", "externalId": false},
                {"name": "AccountNumber", "type": "string", "externalId": false},
                {"name": "ERP_Id__c", "type": "string", "externalId": true},
                {"name": "BillingCountry", "type": "string"}
            ]}),
        )
        .unwrap();
        assert!(d.has("accountnumber") && d.has("AccountNumber"));
        assert!(d.is_external_id("ERP_Id__c") && !d.is_external_id("AccountNumber"));
        assert_eq!(d.country_field("Billing"), "BillingCountry");
        assert!(Described::from_answer("Account", &json!({})).is_err());
    }
}
