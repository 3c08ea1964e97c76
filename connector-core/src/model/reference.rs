//! Small reference entities that carry value maps: tax rates, payment terms, users.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::Meta;

/// A tax (VAT) rate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaxRate {
    /// The rate's code (`OUTPUT2`, `VH24`); the natural key.
    pub code: String,
    /// Its name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The percentage (24 = 24 %).
    #[serde(with = "crate::model::decimal_str")]
    pub percent: Decimal,
    /// ISO country the rate belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// Identities, lifecycle, custom fields, raw JSON.
    #[serde(default)]
    pub meta: Meta,
}

/// From what day a payment term counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DueBasis {
    /// Days after the invoice date.
    #[default]
    InvoiceDate,
    /// Days after the end of the invoice's month.
    EndOfMonth,
}

/// A payment term (net 30).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PaymentTerm {
    /// The term's code; the natural key.
    pub code: String,
    /// Its name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Days until due.
    pub due_days: u32,
    /// What the days count from.
    #[serde(default)]
    pub basis: DueBasis,
    /// Cash-discount days, when a discount applies for early payment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discount_days: Option<u32>,
    /// Cash-discount percentage.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::model::decimal_str::option"
    )]
    pub discount_percent: Option<Decimal>,
    /// Identities, lifecycle, custom fields, raw JSON.
    #[serde(default)]
    pub meta: Meta,
}

/// A user: a sales rep or employee.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct User {
    /// The user's code (sales-rep code, employee number); the natural key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Full name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// E-mail address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Identities, lifecycle, custom fields, raw JSON.
    #[serde(default)]
    pub meta: Meta,
}
