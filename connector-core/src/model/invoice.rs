//! Invoices: sales history and receivables.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{Address, Currency, DocumentLine, DocumentParty, EntityRef, Meta, Totals};

/// Receivable or payable, invoice or credit note.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceKind {
    /// A sales invoice.
    #[default]
    Receivable,
    /// A purchase invoice.
    Payable,
    /// A sales credit note.
    CreditNote,
}

/// Where an invoice stands.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceStatus {
    /// Being prepared.
    #[default]
    Draft,
    /// Submitted for approval.
    Submitted,
    /// Approved and sent.
    Authorised,
    /// Partly paid.
    PartiallyPaid,
    /// Paid.
    Paid,
    /// Voided.
    Void,
    /// A status of the source without a canonical equivalent (serialised as the bare string).
    #[serde(untagged)]
    Other(String),
}

/// An invoice.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Invoice {
    /// The invoice number; the natural key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    /// The buyer's reference or PO number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// Receivable, payable or credit note.
    #[serde(default)]
    pub kind: InvoiceKind,
    /// Status.
    #[serde(default)]
    pub status: InvoiceStatus,
    /// The customer and the customer data printed on the invoice.
    #[serde(default)]
    pub party: DocumentParty,
    /// Issue date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issue_date: Option<NaiveDate>,
    /// Due date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_date: Option<NaiveDate>,
    /// Currency of all amounts.
    pub currency: Currency,
    /// Whether line prices include tax.
    #[serde(default)]
    pub tax_inclusive: bool,
    /// Payment term (by code).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_term: Option<EntityRef>,
    /// The orders it invoices (by number).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub orders: Vec<String>,
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
    /// A memo to the customer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memo: Option<String>,
    /// Identities, lifecycle, custom fields, raw JSON.
    #[serde(default)]
    pub meta: Meta,
}
