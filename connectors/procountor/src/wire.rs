//! Procountor's own types, as they arrive on the wire (only the fields this connector reads).

use connector_core::model::decimal_str;
use rust_decimal::Decimal;
use serde::Deserialize;

/// The list envelope: `{"results": [...], "meta": {...}}`.
#[derive(Debug, Clone, Deserialize)]
pub struct ListResponse<T> {
    /// The records of this page.
    #[serde(default = "Vec::new")]
    pub results: Vec<T>,
    /// Paging information.
    #[serde(default)]
    pub meta: ListMeta,
}

/// `meta` of a list answer.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListMeta {
    /// 0-based page number.
    #[serde(default)]
    pub page_number: Option<u64>,
    /// Page size.
    #[serde(default)]
    pub page_size: Option<u64>,
    /// Records on this page.
    #[serde(default)]
    pub result_count: Option<u64>,
    /// Records in all pages.
    #[serde(default)]
    pub total_count: Option<u64>,
}

/// The error body: `{"errors":[{"status":400,"field":"...","message":"..."}]}`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ErrorBody {
    /// The errors.
    #[serde(default)]
    pub errors: Vec<ErrorItem>,
}

/// One error of an [`ErrorBody`].
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ErrorItem {
    /// HTTP status.
    #[serde(default)]
    pub status: Option<u16>,
    /// The field at fault (`invoiceRows[0].vatPercent`).
    #[serde(default)]
    pub field: Option<String>,
    /// A code or a text.
    #[serde(default)]
    pub message: Option<String>,
}

/// An address (`counterPartyAddress`, `billingAddress`, a partner's address).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WireAddress {
    /// Name on the address.
    #[serde(default)]
    pub name: Option<String>,
    /// Extra name line.
    #[serde(default)]
    pub specifier: Option<String>,
    /// Street.
    #[serde(default)]
    pub street: Option<String>,
    /// Postal code.
    #[serde(default)]
    pub zip: Option<String>,
    /// City.
    #[serde(default)]
    pub city: Option<String>,
    /// Country enum name (`FINLAND`).
    #[serde(default)]
    pub country: Option<String>,
}

/// An e-invoice address and its operator, as an invoice's counter party carries them.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct WireEinvoiceAddress {
    /// Operator (intermediator) code.
    #[serde(default)]
    pub operator: Option<String>,
    /// The e-invoice address (OVT).
    #[serde(default)]
    pub address: Option<String>,
}

/// A business partner (`GET /businesspartners/{id}`, and the basic fields of the list's
/// `BusinessPartnerBasicInfo`). Customer number, business ID, e-mail and e-invoice data live
/// in `invoicingInfo`; the active flag and phone in `registryInfo`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BusinessPartner {
    /// Id.
    pub id: i64,
    /// CUSTOMER, SUPPLIER or PERSON.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// Name.
    #[serde(default)]
    pub name: Option<String>,
    /// Address.
    #[serde(default)]
    pub address: Option<WireAddress>,
    /// Invoicing data: customer number, business ID, e-mail, e-invoice address.
    #[serde(default)]
    pub invoicing_info: Option<InvoicingInfo>,
    /// Register data: active flag, phones.
    #[serde(default)]
    pub registry_info: Option<RegistryInfo>,
    /// Version (a date-time) for optimistic locking and change tracking.
    #[serde(default)]
    pub version: Option<String>,
}

impl BusinessPartner {
    /// `invoicingInfo`, or an empty one.
    pub fn invoicing(&self) -> InvoicingInfo {
        self.invoicing_info.clone().unwrap_or_default()
    }

    /// Whether the register marks the partner active (`registryInfo.active`, true when not
    /// said).
    pub fn is_active(&self) -> bool {
        self.registry_info.as_ref().and_then(|r| r.active) != Some(false)
    }
}

/// A partner's `invoicingInfo`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InvoicingInfo {
    /// Customer number.
    #[serde(default)]
    pub customer_number: Option<String>,
    /// Business ID or personal id.
    #[serde(default)]
    pub identifier: Option<String>,
    /// E-mail for invoices.
    #[serde(default)]
    pub email: Option<String>,
    /// Invoice language.
    #[serde(default)]
    pub language: Option<String>,
    /// The e-invoice address (OVT).
    #[serde(default)]
    pub einvoice_address: Option<String>,
    /// The e-invoice operator (intermediator) code.
    #[serde(default)]
    pub einvoice_operator: Option<String>,
}

/// A partner's `registryInfo`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegistryInfo {
    /// Active flag.
    #[serde(default)]
    pub active: Option<bool>,
    /// Phone.
    #[serde(default)]
    pub phone: Option<String>,
    /// Mobile phone.
    #[serde(default)]
    pub mobile_phone: Option<String>,
}

/// A product (`/products`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WireProduct {
    /// Id.
    pub id: i64,
    /// SALES, PURCHASE or TRAVEL.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// Product code (≤ 40 characters).
    #[serde(default)]
    pub code: Option<String>,
    /// Name.
    #[serde(default)]
    pub name: Option<String>,
    /// Unit enum.
    #[serde(default)]
    pub unit: Option<String>,
    /// Price.
    #[serde(default, with = "decimal_str::option")]
    pub price: Option<Decimal>,
    /// VAT percentage.
    #[serde(default, with = "decimal_str::option")]
    pub vat: Option<Decimal>,
    /// Currency.
    #[serde(default)]
    pub currency: Option<String>,
    /// Active flag.
    #[serde(default)]
    pub active: Option<bool>,
    /// Version.
    #[serde(default)]
    pub version: Option<String>,
}

/// An invoice as listed (`InvoiceBasicInfo`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InvoiceBasicInfo {
    /// Id.
    pub id: i64,
    /// Type.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// Status.
    #[serde(default)]
    pub status: Option<String>,
    /// The order number it came from.
    #[serde(default)]
    pub original_invoice_number: Option<String>,
    /// Version.
    #[serde(default)]
    pub version: Option<String>,
}

/// A counter party of an invoice.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WireCounterParty {
    /// Business ID.
    #[serde(default)]
    pub identifier: Option<String>,
    /// Customer number.
    #[serde(default)]
    pub customer_number: Option<String>,
    /// E-mail.
    #[serde(default)]
    pub email: Option<String>,
    /// Address.
    #[serde(default)]
    pub counter_party_address: Option<WireAddress>,
    /// E-invoice address.
    #[serde(default)]
    pub einvoice_address: Option<WireEinvoiceAddress>,
}

/// Payment information of an invoice.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WirePaymentInfo {
    /// Payment method.
    #[serde(default)]
    pub payment_method: Option<String>,
    /// Currency.
    #[serde(default)]
    pub currency: Option<String>,
    /// Due date.
    #[serde(default)]
    pub due_date: Option<String>,
    /// Bank reference.
    #[serde(default)]
    pub bank_reference_code: Option<String>,
}

/// An invoice row.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WireInvoiceRow {
    /// Product id, when linked to the register.
    #[serde(default)]
    pub product_id: Option<i64>,
    /// Product name or row text.
    #[serde(default)]
    pub product: Option<String>,
    /// Product code.
    #[serde(default)]
    pub product_code: Option<String>,
    /// Quantity.
    #[serde(default, with = "decimal_str::option")]
    pub quantity: Option<Decimal>,
    /// Unit enum.
    #[serde(default)]
    pub unit: Option<String>,
    /// Unit price.
    #[serde(default, with = "decimal_str::option")]
    pub unit_price: Option<Decimal>,
    /// Discount percentage.
    #[serde(default, with = "decimal_str::option")]
    pub discount_percent: Option<Decimal>,
    /// VAT percentage.
    #[serde(default, with = "decimal_str::option")]
    pub vat_percent: Option<Decimal>,
}

/// A full invoice (`GET /invoices/{id}`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WireInvoice {
    /// Id.
    pub id: i64,
    /// Type.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// Status.
    #[serde(default)]
    pub status: Option<String>,
    /// Invoice date.
    #[serde(default)]
    pub date: Option<String>,
    /// Partner id.
    #[serde(default)]
    pub partner_id: Option<i64>,
    /// Counter party.
    #[serde(default)]
    pub counter_party: Option<WireCounterParty>,
    /// Billing address.
    #[serde(default)]
    pub billing_address: Option<WireAddress>,
    /// Delivery address.
    #[serde(default)]
    pub delivery_address: Option<WireAddress>,
    /// Payment info.
    #[serde(default)]
    pub payment_info: Option<WirePaymentInfo>,
    /// Invoice number assigned by Procountor.
    #[serde(default)]
    pub invoice_number: Option<i64>,
    /// The order number.
    #[serde(default)]
    pub original_invoice_number: Option<String>,
    /// The buyer's reference.
    #[serde(default)]
    pub order_reference: Option<String>,
    /// Rows.
    #[serde(default)]
    pub invoice_rows: Vec<WireInvoiceRow>,
    /// Whether unit prices include VAT.
    #[serde(default)]
    pub extra_info: Option<WireExtraInfo>,
    /// Free text.
    #[serde(default)]
    pub additional_information: Option<String>,
    /// Version.
    #[serde(default)]
    pub version: Option<String>,
}

/// `extraInfo` of an invoice.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WireExtraInfo {
    /// Accounting by row.
    #[serde(default)]
    pub accounting_by_row: Option<bool>,
    /// Unit prices include VAT.
    #[serde(default)]
    pub unit_prices_include_vat: Option<bool>,
}

/// `GET /vats/default`: the company's VAT percentages per country, and its VAT statuses.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VatInformation {
    /// Per country (the company's own first): its percentages.
    #[serde(default)]
    pub vat_information: Vec<VatCountryInfo>,
    /// The VAT statuses (`vatStatus` codes) in use.
    #[serde(default)]
    pub vat_statuses: Vec<VatStatusInfo>,
}

impl VatInformation {
    /// The percentages allowed for sales in the company's own country (the first entry, as
    /// Procountor lists it), normalised.
    pub fn sales_percentages(&self) -> Vec<Decimal> {
        self.vat_information
            .first()
            .map(|c| {
                c.percentages
                    .iter()
                    .filter(|p| p.sales == Some(true))
                    .filter_map(|p| p.vat_percent.map(|v| v.normalize()))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// One country of [`VatInformation`].
#[derive(Debug, Clone, Default, Deserialize)]
pub struct VatCountryInfo {
    /// The country's name.
    #[serde(default)]
    pub country: Option<String>,
    /// Its percentages.
    #[serde(default)]
    pub percentages: Vec<VatInfo>,
}

/// One VAT percentage and what it may be used for.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VatInfo {
    /// The percentage, decoded exactly.
    #[serde(default, with = "decimal_str::option")]
    pub vat_percent: Option<Decimal>,
    /// Allowed on sales.
    #[serde(default)]
    pub sales: Option<bool>,
    /// Allowed on purchases.
    #[serde(default)]
    pub purchase: Option<bool>,
}

/// One VAT status of [`VatInformation`].
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VatStatusInfo {
    /// The code sent as `vatStatus`.
    #[serde(default)]
    pub vat_status: Option<i64>,
    /// What it means.
    #[serde(default)]
    pub description: Option<String>,
    /// Allowed on sales.
    #[serde(default)]
    pub sales: Option<bool>,
    /// Allowed on purchases.
    #[serde(default)]
    pub purchase: Option<bool>,
}
