//! Canonical models: the records every connector reads and writes.
//!
//! Rules: money is [`Money`] (an exact [`rust_decimal::Decimal`] with a [`Currency`]),
//! quantities are decimals, both serialised as strings; business dates are
//! [`chrono::NaiveDate`], instants UTC; every record carries [`Meta`] (refs, lifecycle,
//! custom fields, optional raw JSON); optional fields stay `None` when the source did not send
//! them, so a sparse update never blanks a field in the target.

mod common;
mod customer;
pub mod decimal_str;
mod document;
mod invoice;
mod money;
mod order;
mod price_list;
mod product;
mod reference;
mod shipment;
mod stock;

use std::borrow::Cow;
use std::fmt;

use serde::Serialize;
use serde::de::DeserializeOwned;

pub use common::{
    Address, AddressKind, ContactKind, CustomField, CustomFields, CustomValue, Email, EntityRef,
    Lifecycle, Meta, Phone, Refs, SourceRef, normalize_email,
};
pub use customer::{BankAccount, ContactPerson, Customer, CustomerKind};
pub use document::{Document, DocumentLine, DocumentParty, Totals};
pub use invoice::{Invoice, InvoiceKind, InvoiceStatus};
pub use money::{Currency, Money};
pub use order::{Order, OrderKind, OrderStatus};
pub use price_list::{PriceList, PriceListEntry};
pub use product::{Attribute, Image, OrderUnit, Product, ProductKind, ProductVariant};
pub use reference::{DueBasis, PaymentTerm, TaxRate, User};
pub use shipment::{Shipment, ShipmentLine};
pub use stock::{SellablePolicy, StockLevel};

/// The kinds of canonical entity. One spelling everywhere (CLI, flow files, state keys,
/// JSON): the plural kebab-case name, `price-lists`; [`EntityKind::parse`] and the JSON
/// reader also take the singular.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EntityKind {
    /// [`Customer`].
    Customer,
    /// [`Product`].
    Product,
    /// [`PriceList`].
    PriceList,
    /// [`StockLevel`].
    StockLevel,
    /// [`Invoice`].
    Invoice,
    /// [`Order`] (orders and quotes).
    Order,
    /// [`Shipment`].
    Shipment,
    /// [`TaxRate`].
    TaxRate,
    /// [`PaymentTerm`].
    PaymentTerm,
    /// [`User`].
    User,
}

impl EntityKind {
    /// Every kind.
    pub const ALL: [EntityKind; 10] = [
        EntityKind::Customer,
        EntityKind::Product,
        EntityKind::PriceList,
        EntityKind::StockLevel,
        EntityKind::Invoice,
        EntityKind::Order,
        EntityKind::Shipment,
        EntityKind::TaxRate,
        EntityKind::PaymentTerm,
        EntityKind::User,
    ];

    /// The plural, kebab-case name used in the CLI and the state store (`price-lists`).
    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::Customer => "customers",
            EntityKind::Product => "products",
            EntityKind::PriceList => "price-lists",
            EntityKind::StockLevel => "stock-levels",
            EntityKind::Invoice => "invoices",
            EntityKind::Order => "orders",
            EntityKind::Shipment => "shipments",
            EntityKind::TaxRate => "tax-rates",
            EntityKind::PaymentTerm => "payment-terms",
            EntityKind::User => "users",
        }
    }

    /// Parses the plural name (`customers`) or the singular (`customer`).
    pub fn parse(s: &str) -> Option<EntityKind> {
        let s = s.trim().to_ascii_lowercase().replace('_', "-");
        EntityKind::ALL.into_iter().find(|k| {
            let plural = k.as_str();
            s == plural || s == plural.trim_end_matches('s')
        })
    }
}

impl fmt::Display for EntityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for EntityKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for EntityKind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        EntityKind::parse(&s).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "unknown entity `{s}`; known: {}",
                EntityKind::ALL.map(|k| k.as_str()).join(", ")
            ))
        })
    }
}

/// What every canonical record offers the engine: its kind, its natural key and its meta.
pub trait Entity:
    Serialize
    + DeserializeOwned
    + Clone
    + fmt::Debug
    + PartialEq
    + Send
    + Sync
    + crate::system::Erased
    + 'static
{
    /// The entity kind.
    const KIND: EntityKind;

    /// The natural key: customer number, SKU, document number. Falls back to the first
    /// reference's id; `None` when the record has neither.
    fn key(&self) -> Option<Cow<'_, str>>;

    /// Identities, lifecycle, custom fields.
    fn meta(&self) -> &Meta;

    /// Mutable access to the meta.
    fn meta_mut(&mut self) -> &mut Meta;

    /// The record's value of `field` for finding it in a target by that field (a
    /// customer's `email` is its primary address, its `name` the display name): `Some(None)`
    /// when the record has no such value, `None` when the entity does not know the field
    /// (the flow then looks up its key). See [`default_lookup`](crate::sink::default_lookup).
    fn lookup_value(&self, field: &str) -> Option<Option<Cow<'_, str>>> {
        let _ = field;
        None
    }
}

fn non_empty(s: Option<&str>) -> Option<&str> {
    s.filter(|s| !s.trim().is_empty())
}

fn first_ref(meta: &Meta) -> Option<Cow<'_, str>> {
    meta.refs.0.first().map(|r| Cow::Borrowed(r.id.as_str()))
}

macro_rules! entity {
    ($ty:ty, $kind:expr, |$s:ident| $key:expr) => {
        entity!($ty, $kind, |$s| $key, lookup | _r, _f | None);
    };
    ($ty:ty, $kind:expr, |$s:ident| $key:expr, lookup |$r:ident, $f:ident| $lookup:expr) => {
        impl Entity for $ty {
            const KIND: EntityKind = $kind;
            fn key(&self) -> Option<Cow<'_, str>> {
                let $s = self;
                $key.map(Cow::Borrowed).or_else(|| first_ref(&self.meta))
            }
            fn meta(&self) -> &Meta {
                &self.meta
            }
            fn meta_mut(&mut self) -> &mut Meta {
                &mut self.meta
            }
            fn lookup_value(&self, field: &str) -> Option<Option<Cow<'_, str>>> {
                let ($r, $f) = (self, field);
                $lookup
            }
        }
    };
}

fn text(s: Option<&str>) -> Option<Option<Cow<'_, str>>> {
    Some(non_empty(s).map(|s| Cow::Borrowed(s.trim())))
}

entity!(
    Customer,
    EntityKind::Customer,
    |s| non_empty(s.number.as_deref()),
    lookup | c,
    field | {
        match field {
            "email" => text(
                c.emails
                    .iter()
                    .find(|e| e.primary)
                    .or(c.emails.first())
                    .map(|e| e.address.as_str()),
            ),
            "name" => text(c.name.as_deref()),
            "registration_number" => text(c.registration_number.as_deref()),
            "tax_number" => text(c.tax_number.as_deref()),
            _ => None,
        }
    }
);
entity!(
    Product,
    EntityKind::Product,
    |s| non_empty(Some(s.sku.as_str())),
    lookup | p,
    field | {
        match field {
            "gtin" => text(p.gtin.as_deref()),
            "name" => text(p.name.as_deref()),
            _ => None,
        }
    }
);
entity!(PriceList, EntityKind::PriceList, |s| non_empty(Some(s.code.as_str())));
entity!(Invoice, EntityKind::Invoice, |s| non_empty(s.number.as_deref()));
entity!(Order, EntityKind::Order, |s| non_empty(s.number.as_deref()));
entity!(Shipment, EntityKind::Shipment, |s| non_empty(s.number.as_deref()));
entity!(TaxRate, EntityKind::TaxRate, |s| non_empty(Some(s.code.as_str())));
entity!(PaymentTerm, EntityKind::PaymentTerm, |s| non_empty(Some(s.code.as_str())));
entity!(
    User,
    EntityKind::User,
    |s| non_empty(s.code.as_deref()).or(non_empty(s.email.as_deref())),
    lookup | u,
    field | {
        match field {
            "email" => text(u.email.as_deref()),
            _ => None,
        }
    }
);

impl Entity for StockLevel {
    const KIND: EntityKind = EntityKind::StockLevel;
    fn key(&self) -> Option<Cow<'_, str>> {
        let sku = non_empty(Some(self.sku.as_str()))?;
        Some(match non_empty(self.warehouse.as_deref()) {
            Some(w) => Cow::Owned(format!("{sku}@{w}")),
            None => Cow::Borrowed(sku),
        })
    }
    fn meta(&self) -> &Meta {
        &self.meta
    }
    fn meta_mut(&mut self) -> &mut Meta {
        &mut self.meta
    }
}

#[cfg(test)]
mod tests;
