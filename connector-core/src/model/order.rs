//! Sales orders and quotes.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{Address, Currency, DocumentLine, DocumentParty, EntityRef, Meta, Totals};

/// An order or a quote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderKind {
    /// A sales order.
    #[default]
    Order,
    /// A quote (quotation, offer).
    Quote,
}

/// Where an order stands.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Being prepared.
    Draft,
    /// Waiting for approval.
    PendingApproval,
    /// Open: confirmed, not yet fulfilled.
    #[default]
    Open,
    /// Paid, not yet fulfilled.
    Paid,
    /// Partly delivered.
    PartiallyFulfilled,
    /// Delivered.
    Completed,
    /// Closed.
    Closed,
    /// Cancelled.
    Cancelled,
    /// A status of the source without a canonical equivalent (serialised as the bare string).
    #[serde(untagged)]
    Other(String),
}

/// A sales order or quote.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Order {
    /// The order number in the source: the skip-if-exists key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    /// Order or quote.
    #[serde(default)]
    pub kind: OrderKind,
    /// Status.
    #[serde(default)]
    pub status: OrderStatus,
    /// The customer and the customer data given with the order.
    #[serde(default)]
    pub party: DocumentParty,
    /// Order date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_date: Option<NaiveDate>,
    /// Requested delivery date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_date: Option<NaiveDate>,
    /// Payment due date, when the order sets one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_date: Option<NaiveDate>,
    /// Currency of all amounts.
    pub currency: Currency,
    /// Whether line prices include tax.
    #[serde(default)]
    pub tax_inclusive: bool,
    /// Payment term (by code).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_term: Option<EntityRef>,
    /// Payment method (by code).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_method: Option<EntityRef>,
    /// Shipping method (by code).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipping_method: Option<EntityRef>,
    /// Sales rep (by user code).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sales_rep: Option<EntityRef>,
    /// Billing address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billing_address: Option<Address>,
    /// Shipping address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipping_address: Option<Address>,
    /// Lines.
    #[serde(default)]
    pub lines: Vec<DocumentLine>,
    /// Totals as reported by the source.
    #[serde(default)]
    pub totals: Totals,
    /// The customer's memo or note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memo: Option<String>,
    /// The sales channel (webshop, field sales).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// Identities, lifecycle, custom fields, raw JSON.
    #[serde(default)]
    pub meta: Meta,
}
