//! Exact Online's wire shapes: OData v2 envelopes and the entities (PascalCase), decoded
//! exactly: amounts go from the JSON number text straight to a decimal, dates stay text
//! (`/Date(ms)/`) until `convert` parses them.

use connector_core::model::decimal_str;
use connector_core::{Error, Result};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::Value;

/// One page of an OData v2 answer: the rows and the absolute `__next` link.
#[derive(Debug, Default)]
pub struct ODataPage {
    /// The rows (`d.results`, or `d` itself when it is an array).
    pub rows: Vec<Value>,
    /// `d.__next`, verbatim.
    pub next: Option<String>,
}

/// Splits an OData v2 body: `{"d":{"results":[…],"__next":"…"}}`, `{"d":[…]}` (answers to
/// `$top`) or `{"d":{…}}` (one record: a POST's answer).
pub fn odata_page(mut body: Value) -> Result<ODataPage> {
    let Some(d) = body.get_mut("d").map(Value::take) else {
        return Err(Error::decode("the answer has no OData `d` envelope"));
    };
    match d {
        Value::Array(rows) => Ok(ODataPage { rows, next: None }),
        Value::Object(mut m) => {
            let next = m.get("__next").and_then(Value::as_str).map(str::to_owned);
            match m.remove("results") {
                Some(Value::Array(rows)) => Ok(ODataPage { rows, next }),
                Some(_) => Err(Error::decode("`d.results` is not a list")),
                None => Ok(ODataPage { rows: vec![Value::Object(m)], next: None }),
            }
        }
        Value::Null => Ok(ODataPage::default()),
        _ => Err(Error::decode("`d` is neither a record nor a list")),
    }
}

/// The single record of a `{"d":{…}}` answer.
pub fn odata_record(body: Value) -> Result<Value> {
    odata_page(body)?.rows.into_iter().next().ok_or_else(|| Error::decode("the answer is empty"))
}

/// An expanded navigation property: `{"results":[…]}` or a plain list; a deferred one
/// (`{"__deferred":{…}}`) or none is empty.
#[derive(Debug, Clone, Default)]
pub struct Expanded<T>(pub Vec<T>);

impl<'de, T: serde::de::DeserializeOwned> Deserialize<'de> for Expanded<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        let list = match v {
            Value::Array(a) => a,
            Value::Object(mut m) => match m.remove("results") {
                Some(Value::Array(a)) => a,
                _ => Vec::new(),
            },
            _ => Vec::new(),
        };
        list.into_iter()
            .map(|x| serde_json::from_value(x).map_err(serde::de::Error::custom))
            .collect::<std::result::Result<Vec<T>, _>>()
            .map(Expanded)
    }
}

/// Exact's error body: `{"error":{"code":"","message":{"lang":"","value":"…"}}}`.
#[derive(Debug, Clone, Deserialize)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorInner,
}

/// The inner error.
#[derive(Debug, Clone, Deserialize)]
pub struct ErrorInner {
    /// A code, often empty.
    #[serde(default)]
    pub code: String,
    /// The message.
    pub message: ErrorMessage,
}

/// The message in a language.
#[derive(Debug, Clone, Deserialize)]
pub struct ErrorMessage {
    /// The text.
    #[serde(default)]
    pub value: String,
}

/// `crm/Accounts`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
#[allow(missing_docs)]
pub struct Account {
    #[serde(rename = "ID")]
    pub id: String,
    /// Right-aligned, space-padded to 18 characters.
    pub code: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub website: Option<String>,
    #[serde(rename = "VATNumber")]
    pub vat_number: Option<String>,
    pub chamber_of_commerce: Option<String>,
    pub address_line1: Option<String>,
    pub address_line2: Option<String>,
    pub postcode: Option<String>,
    pub city: Option<String>,
    pub country: Option<String>,
    /// `C` customer, `P` prospect, `S` suspect, `A` none.
    pub status: Option<String>,
    pub is_sales: Option<bool>,
    pub blocked: Option<bool>,
    pub payment_condition_sales: Option<String>,
    pub language: Option<String>,
    pub main_contact: Option<String>,
    pub modified: Option<String>,
    pub created: Option<String>,
    #[serde(deserialize_with = "int64_opt")]
    pub timestamp: Option<i64>,
}

/// `crm/Contacts`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
#[allow(missing_docs)]
pub struct Contact {
    #[serde(rename = "ID")]
    pub id: String,
    pub account: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub mobile: Option<String>,
    pub job_title_description: Option<String>,
    pub is_main_contact: Option<bool>,
}

/// `sync/Logistics/Items` (which has no sales price and no VAT percentage: those come from
/// the sales item prices and `vat/VATCodes`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
#[allow(missing_docs)]
pub struct Item {
    #[serde(rename = "ID")]
    pub id: String,
    pub code: Option<String>,
    pub description: Option<String>,
    pub extra_description: Option<String>,
    pub notes: Option<String>,
    pub barcode: Option<String>,
    pub is_sales_item: Option<bool>,
    pub is_stock_item: Option<bool>,
    pub is_purchase_item: Option<bool>,
    pub item_group_code: Option<String>,
    pub item_group_description: Option<String>,
    pub picture_url: Option<String>,
    pub unit: Option<String>,
    pub sales_vat_code: Option<String>,
    #[serde(with = "decimal_str::option")]
    pub cost_price_standard: Option<Decimal>,
    #[serde(with = "decimal_str::option")]
    pub gross_weight: Option<Decimal>,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub modified: Option<String>,
    #[serde(deserialize_with = "int64_opt")]
    pub timestamp: Option<i64>,
    #[serde(rename = "FreeTextField_01")]
    pub free_text_field_01: Option<String>,
    #[serde(rename = "FreeTextField_02")]
    pub free_text_field_02: Option<String>,
    #[serde(rename = "FreeTextField_03")]
    pub free_text_field_03: Option<String>,
    #[serde(rename = "FreeTextField_04")]
    pub free_text_field_04: Option<String>,
    #[serde(rename = "FreeTextField_05")]
    pub free_text_field_05: Option<String>,
    #[serde(rename = "FreeTextField_06")]
    pub free_text_field_06: Option<String>,
    #[serde(rename = "FreeTextField_07")]
    pub free_text_field_07: Option<String>,
    #[serde(rename = "FreeTextField_08")]
    pub free_text_field_08: Option<String>,
    #[serde(rename = "FreeTextField_09")]
    pub free_text_field_09: Option<String>,
    #[serde(rename = "FreeTextField_10")]
    pub free_text_field_10: Option<String>,
}

impl Item {
    /// The value of a free text field by its Exact name (`FreeTextField_01` … `_10`),
    /// trimmed; `None` when empty or not a free text field.
    pub fn free_text(&self, field: &str) -> Option<&str> {
        let n: u8 = field.strip_prefix("FreeTextField_")?.parse().ok()?;
        let v = match n {
            1 => &self.free_text_field_01,
            2 => &self.free_text_field_02,
            3 => &self.free_text_field_03,
            4 => &self.free_text_field_04,
            5 => &self.free_text_field_05,
            6 => &self.free_text_field_06,
            7 => &self.free_text_field_07,
            8 => &self.free_text_field_08,
            9 => &self.free_text_field_09,
            10 => &self.free_text_field_10,
            _ => return None,
        };
        v.as_deref().map(str::trim).filter(|v| !v.is_empty())
    }
}

/// `logistics/SalesItemPrices`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
#[allow(missing_docs)]
pub struct SalesItemPrice {
    #[serde(rename = "ID")]
    pub id: String,
    pub item: Option<String>,
    pub item_code: Option<String>,
    pub account: Option<String>,
    pub currency: Option<String>,
    #[serde(with = "decimal_str::option")]
    pub price: Option<Decimal>,
    #[serde(with = "decimal_str::option")]
    pub quantity: Option<Decimal>,
    pub unit: Option<String>,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    #[serde(deserialize_with = "int64_opt")]
    pub timestamp: Option<i64>,
}

/// `sync/Inventory/StockPositions`: the stock of an item in a warehouse.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
#[allow(missing_docs)]
pub struct StockPosition {
    #[serde(rename = "ID")]
    pub id: String,
    pub item_id: Option<String>,
    pub item_code: Option<String>,
    pub warehouse: Option<String>,
    pub warehouse_code: Option<String>,
    /// On hand.
    #[serde(with = "decimal_str::option")]
    pub current_stock: Option<Decimal>,
    /// "Quantity of available stock", as Exact computes it.
    #[serde(with = "decimal_str::option")]
    pub free_stock: Option<Decimal>,
    /// Planned to come in (purchase orders, production).
    #[serde(with = "decimal_str::option")]
    pub planning_in: Option<Decimal>,
    /// Planned to go out (sales orders not yet delivered, production use).
    #[serde(with = "decimal_str::option")]
    pub planning_out: Option<Decimal>,
    /// Received for a back-to-back order and not yet delivered: not sales reservations.
    #[serde(with = "decimal_str::option")]
    pub reserved_stock: Option<Decimal>,
    #[serde(deserialize_with = "int64_opt")]
    pub timestamp: Option<i64>,
}

/// `vat/VATCodes`: a VAT code and its percentage (a fraction, `0.21`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
#[allow(missing_docs)]
pub struct VatCode {
    pub code: Option<String>,
    #[serde(with = "decimal_str::option")]
    pub percentage: Option<Decimal>,
}

/// A line of a sales invoice, sales order or quotation.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
#[allow(missing_docs)]
pub struct DocLine {
    pub line_number: Option<u32>,
    pub item: Option<String>,
    pub item_code: Option<String>,
    pub description: Option<String>,
    #[serde(with = "decimal_str::option")]
    pub quantity: Option<Decimal>,
    #[serde(with = "decimal_str::option")]
    pub unit_price: Option<Decimal>,
    #[serde(with = "decimal_str::option")]
    pub net_price: Option<Decimal>,
    #[serde(with = "decimal_str::option")]
    pub amount_f_c: Option<Decimal>,
    #[serde(with = "decimal_str::option")]
    pub v_a_t_amount_f_c: Option<Decimal>,
    #[serde(rename = "VATCode")]
    pub vat_code: Option<String>,
    #[serde(rename = "VATPercentage", with = "decimal_str::option")]
    pub vat_percentage: Option<Decimal>,
    #[serde(with = "decimal_str::option")]
    pub discount: Option<Decimal>,
}

/// `salesinvoice/SalesInvoices` with `$expand=SalesInvoiceLines`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
#[allow(missing_docs)]
pub struct SalesInvoice {
    #[serde(rename = "InvoiceID")]
    pub invoice_id: String,
    pub invoice_number: Option<i64>,
    pub ordered_by: Option<String>,
    pub ordered_by_name: Option<String>,
    pub invoice_date: Option<String>,
    pub due_date: Option<String>,
    pub currency: Option<String>,
    #[serde(rename = "AmountFC", with = "decimal_str::option")]
    pub amount_fc: Option<Decimal>,
    #[serde(rename = "VATAmountFC", with = "decimal_str::option")]
    pub vat_amount_fc: Option<Decimal>,
    /// 10 draft, 20 open, 50 processed.
    pub status: Option<i64>,
    pub your_ref: Option<String>,
    pub description: Option<String>,
    pub modified: Option<String>,
    pub sales_invoice_lines: Expanded<DocLine>,
}

/// `salesorder/GoodsDeliveries` with `$expand=GoodsDeliveryLines`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
#[allow(missing_docs)]
pub struct GoodsDelivery {
    #[serde(rename = "EntryID")]
    pub entry_id: String,
    pub delivery_number: Option<i64>,
    pub delivery_date: Option<String>,
    pub delivery_account: Option<String>,
    pub tracking_number: Option<String>,
    pub shipping_method_code: Option<String>,
    pub shipping_method_description: Option<String>,
    pub description: Option<String>,
    pub modified: Option<String>,
    pub goods_delivery_lines: Expanded<GoodsDeliveryLine>,
}

/// A delivered line.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
#[allow(missing_docs)]
pub struct GoodsDeliveryLine {
    pub item_code: Option<String>,
    #[serde(with = "decimal_str::option")]
    pub quantity_delivered: Option<Decimal>,
    pub sales_order_number: Option<i64>,
    pub sales_order_line_number: Option<u32>,
}

/// `sync/Deleted`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
#[allow(missing_docs)]
pub struct Deleted {
    #[serde(rename = "ID")]
    pub id: String,
    pub entity_key: String,
    pub entity_type: i64,
    pub deleted_date: Option<String>,
    #[serde(deserialize_with = "int64_opt")]
    pub timestamp: Option<i64>,
}

/// `sync/Deleted` entity-type codes.
pub mod entity_type {
    /// Accounts.
    pub const ACCOUNTS: i64 = 2;
    /// Items.
    pub const ITEMS: i64 = 9;
    /// Item prices.
    pub const ITEM_PRICES: i64 = 8;
    /// Stock positions.
    pub const STOCK_POSITIONS: i64 = 15;
}

/// An `Edm.Int64` is a JSON number or (in some clients' answers) a string.
fn int64_opt<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Option<i64>, D::Error> {
    let v = Option::<Value>::deserialize(d)?;
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .map(Some)
            .ok_or_else(|| serde::de::Error::custom(format!("not an Int64: {n}"))),
        Some(Value::String(s)) => s
            .trim()
            .trim_end_matches('L')
            .parse()
            .map(Some)
            .map_err(|_| serde::de::Error::custom(format!("not an Int64: {s:?}"))),
        Some(other) => Err(serde::de::Error::custom(format!("not an Int64: {other}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_envelope_shapes() {
        let p = odata_page(serde_json::from_str(r#"{"d":{"results":[{"ID":"a"}],"__next":"https://h/api/v1/1/crm/Accounts?$skiptoken=guid'a'"}}"#).unwrap()).unwrap();
        assert_eq!(p.rows.len(), 1);
        assert!(p.next.unwrap().starts_with("https://h/"));
        let p =
            odata_page(serde_json::from_str(r#"{"d":[{"ID":"a"},{"ID":"b"}]}"#).unwrap()).unwrap();
        assert_eq!((p.rows.len(), p.next), (2, None));
        let r = odata_record(serde_json::from_str(r#"{"d":{"ID":"x"}}"#).unwrap()).unwrap();
        assert_eq!(r["ID"], "x");
        assert!(odata_page(serde_json::json!({"value": []})).is_err());
    }

    #[test]
    fn exact_decimals_and_int64() {
        let i: Item = serde_json::from_str(
            r#"{"ID":"g","Code":"A","CostPriceStandard":12.3456789012345678,"Timestamp":"123456789012L"}"#,
        )
        .unwrap();
        assert_eq!(i.cost_price_standard.unwrap().to_string(), "12.3456789012345678");
        assert_eq!(i.timestamp, Some(123_456_789_012));
    }
}
