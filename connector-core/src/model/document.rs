//! Lines and totals shared by invoices, orders and quotes.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{EntityRef, Money};

/// One line of an invoice, order or quote.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DocumentLine {
    /// The line's position, 1-based, when the source numbers lines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line_no: Option<u32>,
    /// The product, by SKU; `None` for a free-text line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Quantity.
    #[serde(with = "crate::model::decimal_str")]
    pub quantity: Decimal,
    /// Unit of measure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// Price per unit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_price: Option<Money>,
    /// Discount percentage.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::model::decimal_str::option"
    )]
    pub discount_percent: Option<Decimal>,
    /// Tax rate (by code).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_rate: Option<EntityRef>,
    /// Tax percentage (24 = 24 %).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::model::decimal_str::option"
    )]
    pub tax_percent: Option<Decimal>,
    /// Tax amount of the line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_amount: Option<Money>,
    /// Line amount excluding tax.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub net_amount: Option<Money>,
    /// Line amount including tax.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gross_amount: Option<Money>,
    /// Revenue account code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// Warehouse the goods come from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warehouse: Option<String>,
    /// Requested delivery date of the line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_date: Option<NaiveDate>,
    /// Tracking dimensions (cost centre, region) as category = option.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dimensions: Vec<super::Attribute>,
}

/// Document totals as the source reported them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Totals {
    /// Sum of lines excluding tax.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_total: Option<Money>,
    /// Total discount.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discount_total: Option<Money>,
    /// Total tax.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_total: Option<Money>,
    /// Grand total.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<Money>,
    /// Amount still due.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub balance_due: Option<Money>,
}

/// The customer data a document carries (bill-to party), beside the customer reference.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DocumentParty {
    /// Reference to the customer (by number or id).
    #[serde(default)]
    pub customer: EntityRef,
    /// Name as written on the document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Company name, when the buyer is a company.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company_name: Option<String>,
    /// Contact person's first name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// Contact person's last name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// E-mail address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Phone number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// VAT number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_number: Option<String>,
    /// Company registration number (business ID).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration_number: Option<String>,
    /// E-invoice address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub e_invoice_address: Option<String>,
}

/// What orders, quotes and invoices share: a party, lines and addresses. Business steps
/// (find-or-create customer, ensure products exist) work on any document.
pub trait Document: super::Entity {
    /// The bill-to party.
    fn party(&self) -> &DocumentParty;
    /// Mutable access to the party.
    fn party_mut(&mut self) -> &mut DocumentParty;
    /// The lines.
    fn lines(&self) -> &[DocumentLine];
    /// The billing address.
    fn billing_address(&self) -> Option<&super::Address>;
    /// The shipping address.
    fn shipping_address(&self) -> Option<&super::Address>;
}

macro_rules! document {
    ($ty:ty) => {
        impl Document for $ty {
            fn party(&self) -> &DocumentParty {
                &self.party
            }
            fn party_mut(&mut self) -> &mut DocumentParty {
                &mut self.party
            }
            fn lines(&self) -> &[DocumentLine] {
                &self.lines
            }
            fn billing_address(&self) -> Option<&super::Address> {
                self.billing_address.as_ref()
            }
            fn shipping_address(&self) -> Option<&super::Address> {
                self.shipping_address.as_ref()
            }
        }
    };
}

document!(super::Order);
document!(super::Invoice);
