//! Value types shared by every canonical entity: references, lifecycle, custom fields,
//! addresses and contact points.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Where a record stands in its life.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lifecycle {
    /// In use.
    #[default]
    Active,
    /// Archived, blocked or otherwise out of use, but still present.
    Inactive,
    /// Deleted in the system it came from.
    Deleted,
}

impl Lifecycle {
    /// Whether the record is active.
    pub fn is_active(self) -> bool {
        self == Lifecycle::Active
    }
}

/// A record's identity in one system.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SourceRef {
    /// The system's name (`xero`, `exact-online`).
    pub system: String,
    /// The system's id of the record.
    pub id: String,
    /// A human number in that system (invoice number, debtor code), when it differs from `id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    /// The system's version or etag of the record, for optimistic locking.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// When the system last changed the record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<DateTime<Utc>>,
}

/// A record's identities in every system it is linked to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Refs(pub Vec<SourceRef>);

impl Refs {
    /// The reference of one system.
    pub fn get(&self, system: &str) -> Option<&SourceRef> {
        self.0.iter().find(|r| r.system == system)
    }

    /// The id in one system.
    pub fn id(&self, system: &str) -> Option<&str> {
        self.get(system).map(|r| r.id.as_str())
    }

    /// Sets (or replaces) the id in one system.
    pub fn set(&mut self, system: impl Into<String>, id: impl Into<String>) -> &mut SourceRef {
        let system = system.into();
        let id = id.into();
        if let Some(pos) = self.0.iter().position(|r| r.system == system) {
            self.0[pos].id = id;
            &mut self.0[pos]
        } else {
            self.0.push(SourceRef { system, id, number: None, version: None, updated_at: None });
            let last = self.0.len() - 1;
            &mut self.0[last]
        }
    }

    /// Whether there is no reference.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A typed custom-field value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum CustomValue {
    /// Text.
    Text(String),
    /// An exact number.
    Number(#[serde(with = "crate::model::decimal_str")] Decimal),
    /// Yes or no.
    Bool(bool),
    /// A business date.
    Date(NaiveDate),
    /// An instant.
    DateTime(DateTime<Utc>),
    /// One choice of a list (its code or label).
    Choice(String),
    /// Anything else, as the source sent it.
    Json(serde_json::Value),
}

/// A custom field with where it came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomField {
    /// The value.
    pub value: CustomValue,
    /// The system and field it came from (`skynamo:custom_field_12`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// Custom fields by key, in a stable order.
pub type CustomFields = BTreeMap<String, CustomField>;

/// The kind of an address.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AddressKind {
    /// Where invoices go.
    #[default]
    Billing,
    /// Where goods go.
    Shipping,
    /// A visiting or street address.
    Visiting,
    /// A postal address (PO box).
    Postal,
    /// Anything else.
    Other,
}

/// A postal address.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    /// What the address is for.
    #[serde(default)]
    pub kind: AddressKind,
    /// Street lines (at most four are used by most systems).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lines: Vec<String>,
    /// The house number, where a system keeps it apart from the street.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub street_number: Option<String>,
    /// Postal code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    /// City.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// Region or state, free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// ISO 3166-1 alpha-2 country code (`FI`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// Attention line: the person to address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attention: Option<String>,
}

impl Address {
    /// Whether street, postal code, city and country are all present.
    pub fn is_complete(&self) -> bool {
        self.lines.iter().any(|l| !l.trim().is_empty())
            && self.postal_code.as_deref().is_some_and(|s| !s.trim().is_empty())
            && self.city.as_deref().is_some_and(|s| !s.trim().is_empty())
            && self.country.as_deref().is_some_and(|s| !s.trim().is_empty())
    }
}

/// The kind of an e-mail address or phone number.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactKind {
    /// Work.
    #[default]
    Work,
    /// Billing / invoicing.
    Billing,
    /// Mobile phone.
    Mobile,
    /// Fax.
    Fax,
    /// Private.
    Personal,
    /// Anything else.
    Other,
}

/// An e-mail address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Email {
    /// The address as the source wrote it.
    pub address: String,
    /// What it is for.
    #[serde(default)]
    pub kind: ContactKind,
    /// Whether it is the primary address.
    #[serde(default)]
    pub primary: bool,
}

impl Email {
    /// The address trimmed and lower-cased, for matching.
    pub fn normalized(&self) -> String {
        normalize_email(&self.address)
    }
}

/// Trims and lower-cases an e-mail address for matching.
pub fn normalize_email(address: &str) -> String {
    address.trim().to_lowercase()
}

/// A phone number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Phone {
    /// The number as the source wrote it.
    pub number: String,
    /// What it is for.
    #[serde(default)]
    pub kind: ContactKind,
}

/// A reference to another record: by the target's id, by natural key, or both.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct EntityRef {
    /// The id in the system at hand, once known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The natural key (SKU, customer number, user code).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// A display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl EntityRef {
    /// A reference by natural key.
    pub fn by_key(key: impl Into<String>) -> Self {
        Self { key: Some(key.into()), ..Self::default() }
    }

    /// A reference by id.
    pub fn by_id(id: impl Into<String>) -> Self {
        Self { id: Some(id.into()), ..Self::default() }
    }
}

/// Fields every canonical record carries: identities, lifecycle, custom fields, timestamps
/// and optionally the raw source JSON.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Meta {
    /// Identities in each linked system.
    #[serde(default, skip_serializing_if = "Refs::is_empty")]
    pub refs: Refs,
    /// Active, inactive or deleted.
    #[serde(default)]
    pub lifecycle: Lifecycle,
    /// Custom fields.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub custom: CustomFields,
    /// When the source created the record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
    /// When the source last changed the record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<DateTime<Utc>>,
    /// The source's own JSON, when the connector was asked to keep it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw: Option<serde_json::Value>,
}
