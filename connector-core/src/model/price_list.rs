//! Price lists with entries by SKU, quantity breaks and validity.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{Currency, EntityRef, Meta, Money};

/// One price of a product in a price list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PriceListEntry {
    /// The product, by SKU.
    pub sku: String,
    /// The unit the price is for, when not the base unit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// The price per unit.
    pub unit_price: Money,
    /// The quantity from which this price applies (quantity break); 1 when absent.
    #[serde(default = "one", with = "crate::model::decimal_str")]
    pub min_quantity: Decimal,
    /// A discount percentage on top of the price.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::model::decimal_str::option"
    )]
    pub discount_percent: Option<Decimal>,
    /// First day the price applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<NaiveDate>,
    /// Last day the price applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<NaiveDate>,
}

fn one() -> Decimal {
    Decimal::ONE
}

/// A price list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PriceList {
    /// The list's code; the natural key.
    pub code: String,
    /// The list's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The currency of its prices.
    pub currency: Currency,
    /// Whether its prices include tax.
    #[serde(default)]
    pub tax_inclusive: bool,
    /// First day the list applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<NaiveDate>,
    /// Last day the list applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<NaiveDate>,
    /// Customers it applies to; empty means everyone.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub customers: Vec<EntityRef>,
    /// Its prices.
    #[serde(default)]
    pub entries: Vec<PriceListEntry>,
    /// Identities, lifecycle, custom fields, raw JSON.
    #[serde(default)]
    pub meta: Meta,
}
