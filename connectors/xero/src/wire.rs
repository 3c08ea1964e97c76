//! Xero's wire types (PascalCase JSON), decoded exactly: amounts go straight from the JSON
//! number text to a decimal, dates stay text until `convert` parses them.

use connector_core::model::decimal_str;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// `pagination` of a paged list.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Pagination {
    /// The page (1-based).
    #[serde(default)]
    pub page: u64,
    /// Records per page.
    #[serde(default)]
    pub page_size: u64,
    /// Pages in all.
    #[serde(default)]
    pub page_count: u64,
    /// Records in all.
    #[serde(default)]
    pub item_count: u64,
}

/// One validation error.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
pub struct ValidationError {
    /// The message.
    #[serde(rename = "Message", default)]
    pub message: String,
}

/// An address.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(missing_docs)]
pub struct Address {
    #[serde(default)]
    pub address_type: Option<String>,
    #[serde(default)]
    pub address_line1: Option<String>,
    #[serde(default)]
    pub address_line2: Option<String>,
    #[serde(default)]
    pub address_line3: Option<String>,
    #[serde(default)]
    pub address_line4: Option<String>,
    #[serde(default)]
    pub city: Option<String>,
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default)]
    pub postal_code: Option<String>,
    #[serde(default)]
    pub country: Option<String>,
    #[serde(default)]
    pub attention_to: Option<String>,
}

/// A phone.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(missing_docs)]
pub struct Phone {
    #[serde(default)]
    pub phone_type: Option<String>,
    #[serde(default)]
    pub phone_number: Option<String>,
    #[serde(default)]
    pub phone_area_code: Option<String>,
    #[serde(default)]
    pub phone_country_code: Option<String>,
}

/// A contact's default sales tracking option.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(missing_docs)]
pub struct SalesTracking {
    #[serde(default)]
    pub tracking_category_name: Option<String>,
    #[serde(default)]
    pub tracking_option_name: Option<String>,
}

/// A contact's payment terms (`PaymentTerms.Sales`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(missing_docs)]
pub struct Terms {
    #[serde(default)]
    pub day: Option<i64>,
    #[serde(rename = "Type", default)]
    pub kind: Option<String>,
}

/// `PaymentTerms`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(missing_docs)]
pub struct PaymentTerms {
    #[serde(default)]
    pub sales: Option<Terms>,
}

/// A contact person.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(missing_docs)]
pub struct ContactPerson {
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    #[serde(default)]
    pub email_address: Option<String>,
    #[serde(default)]
    pub include_in_emails: Option<bool>,
}

/// A contact.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(missing_docs)]
pub struct Contact {
    #[serde(rename = "ContactID", default)]
    pub contact_id: String,
    #[serde(default)]
    pub contact_number: Option<String>,
    #[serde(default)]
    pub account_number: Option<String>,
    #[serde(default)]
    pub contact_status: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    #[serde(default)]
    pub email_address: Option<String>,
    #[serde(default)]
    pub tax_number: Option<String>,
    #[serde(default)]
    pub company_number: Option<String>,
    #[serde(default)]
    pub default_currency: Option<String>,
    #[serde(default)]
    pub website: Option<String>,
    #[serde(default)]
    pub addresses: Vec<Address>,
    #[serde(default)]
    pub phones: Vec<Phone>,
    #[serde(default)]
    pub contact_persons: Vec<ContactPerson>,
    #[serde(default)]
    pub sales_tracking_categories: Vec<SalesTracking>,
    #[serde(default)]
    pub payment_terms: Option<PaymentTerms>,
    #[serde(default)]
    pub is_customer: Option<bool>,
    #[serde(rename = "UpdatedDateUTC", default)]
    pub updated_date_utc: Option<String>,
    #[serde(default)]
    pub has_validation_errors: Option<bool>,
    #[serde(default)]
    pub validation_errors: Vec<ValidationError>,
}

/// Sales or purchase details of an item.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(missing_docs)]
pub struct ItemDetails {
    #[serde(default, with = "decimal_str::option")]
    pub unit_price: Option<Decimal>,
    #[serde(default)]
    pub account_code: Option<String>,
    #[serde(default)]
    pub tax_type: Option<String>,
}

/// An item.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(missing_docs)]
pub struct Item {
    #[serde(rename = "ItemID", default)]
    pub item_id: String,
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub purchase_description: Option<String>,
    #[serde(default)]
    pub is_sold: Option<bool>,
    #[serde(default)]
    pub is_purchased: Option<bool>,
    #[serde(default)]
    pub is_tracked_as_inventory: Option<bool>,
    #[serde(default, with = "decimal_str::option")]
    pub quantity_on_hand: Option<Decimal>,
    #[serde(default)]
    pub sales_details: Option<ItemDetails>,
    #[serde(default)]
    pub purchase_details: Option<ItemDetails>,
    #[serde(rename = "UpdatedDateUTC", default)]
    pub updated_date_utc: Option<String>,
}

/// A tracking option on a line.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(missing_docs)]
pub struct LineTracking {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub option: Option<String>,
}

/// A line of an invoice or quote.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(missing_docs)]
pub struct LineItem {
    #[serde(rename = "LineItemID", default)]
    pub line_item_id: Option<String>,
    #[serde(default)]
    pub item_code: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default, with = "decimal_str::option")]
    pub quantity: Option<Decimal>,
    #[serde(default, with = "decimal_str::option")]
    pub unit_amount: Option<Decimal>,
    #[serde(default)]
    pub account_code: Option<String>,
    #[serde(default)]
    pub tax_type: Option<String>,
    #[serde(default, with = "decimal_str::option")]
    pub tax_amount: Option<Decimal>,
    #[serde(default, with = "decimal_str::option")]
    pub line_amount: Option<Decimal>,
    #[serde(default, with = "decimal_str::option")]
    pub discount_rate: Option<Decimal>,
    #[serde(default)]
    pub tracking: Vec<LineTracking>,
}

/// The contact a document refers to.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(missing_docs)]
pub struct ContactRef {
    #[serde(rename = "ContactID", default)]
    pub contact_id: Option<String>,
    #[serde(default)]
    pub contact_number: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub email_address: Option<String>,
}

/// An invoice (`ACCREC` sales invoice or `ACCPAY` bill).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(missing_docs)]
pub struct Invoice {
    #[serde(rename = "InvoiceID", default)]
    pub invoice_id: String,
    #[serde(rename = "Type", default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub invoice_number: Option<String>,
    #[serde(default)]
    pub reference: Option<String>,
    #[serde(default)]
    pub contact: Option<ContactRef>,
    #[serde(default)]
    pub date: Option<String>,
    #[serde(default)]
    pub due_date: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub line_amount_types: Option<String>,
    #[serde(default)]
    pub line_items: Vec<LineItem>,
    #[serde(default, with = "decimal_str::option")]
    pub sub_total: Option<Decimal>,
    #[serde(default, with = "decimal_str::option")]
    pub total_tax: Option<Decimal>,
    #[serde(default, with = "decimal_str::option")]
    pub total: Option<Decimal>,
    #[serde(default, with = "decimal_str::option")]
    pub amount_due: Option<Decimal>,
    #[serde(default)]
    pub currency_code: Option<String>,
    #[serde(rename = "UpdatedDateUTC", default)]
    pub updated_date_utc: Option<String>,
    #[serde(default)]
    pub has_errors: Option<bool>,
    #[serde(default)]
    pub validation_errors: Vec<ValidationError>,
}

/// A quote.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(missing_docs)]
pub struct Quote {
    #[serde(rename = "QuoteID", default)]
    pub quote_id: String,
    #[serde(default)]
    pub quote_number: Option<String>,
    #[serde(default)]
    pub reference: Option<String>,
    #[serde(default)]
    pub contact: Option<ContactRef>,
    #[serde(default)]
    pub date: Option<String>,
    #[serde(default)]
    pub expiry_date: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub line_amount_types: Option<String>,
    #[serde(default)]
    pub line_items: Vec<LineItem>,
    #[serde(default, with = "decimal_str::option")]
    pub sub_total: Option<Decimal>,
    #[serde(default, with = "decimal_str::option")]
    pub total_tax: Option<Decimal>,
    #[serde(default, with = "decimal_str::option")]
    pub total: Option<Decimal>,
    #[serde(default)]
    pub currency_code: Option<String>,
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(rename = "UpdatedDateUTC", default)]
    pub updated_date_utc: Option<String>,
    #[serde(default)]
    pub has_errors: Option<bool>,
    #[serde(default)]
    pub validation_errors: Vec<ValidationError>,
}

/// An entry of `GET /connections`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct Connection {
    #[serde(default)]
    pub id: Option<String>,
    pub tenant_id: String,
    #[serde(default)]
    pub tenant_type: Option<String>,
    #[serde(default)]
    pub tenant_name: Option<String>,
}

/// The error body of a `400`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(missing_docs)]
pub struct ApiError {
    #[serde(default)]
    pub error_number: Option<i64>,
    #[serde(rename = "Type", default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub elements: Vec<ErrorElement>,
    /// The problem-details shape of a `401`/`403` (`Title`, `Detail`).
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub detail: Option<String>,
}

/// One element of an error body.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(missing_docs)]
pub struct ErrorElement {
    #[serde(default)]
    pub validation_errors: Vec<ValidationError>,
}

/// What the source needs of every listed record: its id and its `UpdatedDateUTC` text.
pub trait Listed {
    /// The record's GUID.
    fn id(&self) -> &str;
    /// `UpdatedDateUTC` as sent.
    fn updated(&self) -> Option<&str>;
}

macro_rules! listed {
    ($t:ty, $id:ident) => {
        impl Listed for $t {
            fn id(&self) -> &str {
                &self.$id
            }
            fn updated(&self) -> Option<&str> {
                self.updated_date_utc.as_deref()
            }
        }
    };
}

listed!(Contact, contact_id);
listed!(Item, item_id);
listed!(Invoice, invoice_id);
listed!(Quote, quote_id);
