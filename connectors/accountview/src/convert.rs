//! AccountView rows as canonical records: debtors (`CONTACT`, business object `AR1`) as
//! customers, articles (`ARTICLE`, `AK1`) as products and stock levels. Columns are the
//! upper-case DBF names of AccountView's data dictionary; dates come as
//! `2006-01-02T15:04:05` without a zone, in the company's [`TimeZone`].

use std::str::FromStr;

use chrono::{DateTime, NaiveDateTime, Utc};
use connector_core::model::{
    Address, ContactKind, Currency, Customer, Email, Lifecycle, Money, Phone, Product, StockLevel,
};
use connector_core::source::Rejected;
use rust_decimal::Decimal;
use serde_json::{Map, Value};

use crate::client::NAME;
use crate::timezone::TimeZone;

/// The debtor columns read (`Fields=`), from CONTACT's data dictionary.
pub const CONTACT_FIELDS: &[&str] = &[
    "SUB_NR",
    "ACCT_NAME",
    "MAIL_BUS",
    "TEL_BUS",
    "VAT_NR",
    "COC_CODE",
    "ADDRESS1",
    "POST_CODE",
    "CITY",
    "CNT_CODE",
    "CUR_CODE",
    "CRED_LIM",
    "BLK_SP",
    "INP_DATE",
    "CNG_DATE",
];

/// The article columns read. Only `ART_CODE` and `ART_DESC1` are attested in public clients;
/// the rest follow AccountView's naming and are marked unverified in the API description.
pub const ARTICLE_FIELDS: &[&str] = &[
    "ART_CODE",
    "ART_DESC1",
    "ART_DESC2",
    "SALES_PRC",
    "PUR_PRC",
    "UNIT",
    "EAN_CODE",
    "STOCK",
    "RESERVED",
    "CNG_DATE",
    "REC_ID",
];

/// `Fields=` for a table: `contact.sub_nr,contact.acct_name,…`.
pub fn fields_param(table: &str, columns: &[&str]) -> String {
    let t = table.to_ascii_lowercase();
    columns.iter().map(|c| format!("{t}.{}", c.to_ascii_lowercase())).collect::<Vec<_>>().join(",")
}

pub(crate) fn text(row: &Map<String, Value>, col: &str) -> Option<String> {
    row.get(col).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned)
}

/// A number: a JSON number (the REST API's), or a text (an exported file's cell, with a
/// decimal point or comma and no grouping); empty is none.
pub(crate) fn number(row: &Map<String, Value>, col: &str) -> Result<Option<Decimal>, String> {
    let parse = |t: &str| {
        Decimal::from_str(t)
            .or_else(|_| Decimal::from_scientific(t))
            .map(Some)
            .map_err(|_| format!("{col}: `{t}` is not a number"))
    };
    match row.get(col) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => parse(&n.to_string()),
        Some(Value::String(t)) if t.trim().is_empty() => Ok(None),
        Some(Value::String(t)) => parse(&t.trim().replace(',', ".")),
        Some(other) => Err(format!("{col}: `{other}` is not a number")),
    }
}

/// A logical: a JSON boolean, or a text (`T`/`F`, `J`/`N`, `Y`, `true`, `1`, `0`…).
pub(crate) fn flag(row: &Map<String, Value>, col: &str) -> Result<Option<bool>, String> {
    match row.get(col) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::String(t)) => match t.trim().to_ascii_lowercase().as_str() {
            "" => Ok(None),
            "t" | "true" | "j" | "ja" | "y" | "yes" | "1" | ".t." => Ok(Some(true)),
            "f" | "false" | "n" | "nee" | "no" | "0" | ".f." => Ok(Some(false)),
            _ => Err(format!("{col}: `{t}` is not a logical")),
        },
        Some(other) => Err(format!("{col}: `{other}` is not a logical")),
    }
}

/// An AccountView time as written (`2006-01-02T15:04:05`, an empty text for none).
pub fn local_time(row: &Map<String, Value>, col: &str) -> Result<Option<NaiveDateTime>, String> {
    let Some(t) = text(row, col) else { return Ok(None) };
    NaiveDateTime::parse_from_str(t.trim_end_matches('Z'), "%Y-%m-%dT%H:%M:%S%.f")
        .map(Some)
        .map_err(|_| format!("{col}: `{t}` is not a date"))
}

/// An AccountView time in the company's zone `zone`, as an instant.
pub fn date(
    row: &Map<String, Value>,
    col: &str,
    zone: TimeZone,
) -> Result<Option<DateTime<Utc>>, String> {
    Ok(local_time(row, col)?.map(|t| zone.to_utc(t)))
}

/// The VFP datetime literal of an instant in the company's zone (`{^2024-05-01 10:00:00}`),
/// for `Filter`.
pub fn vfp_datetime(at: DateTime<Utc>, zone: TimeZone) -> String {
    format!("{{^{}}}", zone.to_local(at).format("%Y-%m-%d %H:%M:%S"))
}

/// A row that cannot be read: its key and the column at fault (`CNG_DATE: ... is not a date`).
fn rejected(key: Option<String>, message: String) -> Rejected {
    let field = message.split(':').next().unwrap_or("row").to_owned();
    Rejected {
        key,
        payload: None,
        error: connector_core::Error::invalid_field(field, message).with_connector(NAME),
    }
}

/// A debtor row as a customer; a row it cannot read is rejected naming the column.
pub fn customer(row: &Map<String, Value>, zone: TimeZone) -> Result<Customer, Rejected> {
    let key = text(row, "SUB_NR");
    let bad = |m: String| rejected(key.clone(), m);
    let sub_nr = key.clone().ok_or_else(|| bad("SUB_NR: a debtor without a number".into()))?;
    let mut c = Customer {
        number: Some(sub_nr.clone()),
        name: text(row, "ACCT_NAME"),
        ..Default::default()
    };
    if let Some(mail) = text(row, "MAIL_BUS") {
        c.emails.push(Email { address: mail, kind: ContactKind::Work, primary: true });
    }
    if let Some(tel) = text(row, "TEL_BUS") {
        c.phones.push(Phone { number: tel, kind: ContactKind::Work });
    }
    c.tax_number = text(row, "VAT_NR");
    c.registration_number = text(row, "COC_CODE");
    let address = Address {
        lines: text(row, "ADDRESS1").into_iter().collect(),
        postal_code: text(row, "POST_CODE"),
        city: text(row, "CITY"),
        country: text(row, "CNT_CODE").map(|c| c.to_ascii_uppercase()),
        ..Default::default()
    };
    if address != Address::default() {
        c.addresses.push(address);
    }
    if let Some(code) = text(row, "CUR_CODE") {
        c.currency = Some(Currency::new(&code).map_err(|e| bad(format!("CUR_CODE: {e}")))?);
    }
    if let Some(limit) = number(row, "CRED_LIM").map_err(bad)?.filter(|l| !l.is_zero()) {
        let currency =
            c.currency.ok_or_else(|| bad("CRED_LIM: a credit limit without CUR_CODE".into()))?;
        c.credit_limit = Some(Money::new(limit, currency));
    }
    if flag(row, "BLK_SP").map_err(bad)? == Some(true) {
        c.meta.lifecycle = Lifecycle::Inactive;
    }
    c.meta.created_at = date(row, "INP_DATE", zone).map_err(bad)?;
    c.meta.updated_at = date(row, "CNG_DATE", zone).map_err(bad)?;
    c.meta.refs.set(NAME, sub_nr);
    Ok(c)
}

/// An article row as a product priced in `currency`.
pub fn product(
    row: &Map<String, Value>,
    currency: Currency,
    zone: TimeZone,
) -> Result<Product, Rejected> {
    let key = text(row, "ART_CODE");
    let bad = |m: String| rejected(key.clone(), m);
    let sku = key.clone().ok_or_else(|| bad("ART_CODE: an article without a code".into()))?;
    // ART_DESC1 is the article's name; ART_DESC2, its second description line, the longer text.
    let mut p = Product {
        sku: sku.clone(),
        name: text(row, "ART_DESC1"),
        long_description: text(row, "ART_DESC2"),
        ..Default::default()
    };
    p.unit = text(row, "UNIT");
    p.gtin = text(row, "EAN_CODE");
    p.sales_price = number(row, "SALES_PRC").map_err(bad)?.map(|a| Money::new(a, currency));
    p.purchase_price = number(row, "PUR_PRC").map_err(bad)?.map(|a| Money::new(a, currency));
    p.meta.updated_at = date(row, "CNG_DATE", zone).map_err(bad)?;
    p.meta.refs.set(NAME, sku);
    Ok(p)
}

/// An article row's stock: `STOCK` is what AccountView holds (on hand and available as it
/// reports it), `RESERVED` what open sales orders reserve; what can be sold is available
/// less reserved ([`SellablePolicy::AvailableMinusReserved`], the default policy).
///
/// [`SellablePolicy::AvailableMinusReserved`]: connector_core::model::SellablePolicy::AvailableMinusReserved
pub fn stock(row: &Map<String, Value>) -> Result<StockLevel, Rejected> {
    let key = text(row, "ART_CODE");
    let bad = |m: String| rejected(key.clone(), m);
    let sku = key.clone().ok_or_else(|| bad("ART_CODE: an article without a code".into()))?;
    let stock = number(row, "STOCK").map_err(bad)?.unwrap_or_default();
    let reserved = number(row, "RESERVED").map_err(bad)?.unwrap_or_default();
    Ok(StockLevel {
        sku,
        warehouse: None,
        on_hand: Some(stock),
        reserved: Some(reserved),
        available: Some(stock),
        incoming: None,
        as_of: None,
        meta: Default::default(),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn row(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn debtors_become_customers_with_exact_values() {
        let c = customer(&row(json!({
            "SUB_NR": "1001 ", "ACCT_NAME": "Fietsen Jansen B.V.", "MAIL_BUS": "info@jansen.example",
            "CNT_CODE": "nl", "CUR_CODE": "EUR", "CRED_LIM": 2500, "BLK_SP": false,
            "CNG_DATE": "2024-05-01T10:30:00", "INP_DATE": ""
        })), TimeZone::Utc)
        .unwrap();
        assert_eq!(c.number.as_deref(), Some("1001"));
        assert_eq!(c.credit_limit.unwrap().amount, Decimal::from(2500));
        assert_eq!(c.addresses[0].country.as_deref(), Some("NL"));
        assert_eq!(c.meta.updated_at.unwrap().to_rfc3339(), "2024-05-01T10:30:00+00:00");
        assert_eq!(c.meta.refs.id("accountview"), Some("1001"));
        let bad = customer(&row(json!({"SUB_NR": "9", "CNG_DATE": "gisteren"})), TimeZone::Utc)
            .unwrap_err();
        assert!(bad.error.to_string().contains("CNG_DATE"), "{bad:?}");
        assert_eq!(
            fields_param("CONTACT", &["SUB_NR", "ACCT_NAME"]),
            "contact.sub_nr,contact.acct_name"
        );
        assert_eq!(
            vfp_datetime(chrono::DateTime::UNIX_EPOCH, TimeZone::Utc),
            "{^1970-01-01 00:00:00}"
        );
        assert_eq!(
            vfp_datetime(chrono::DateTime::UNIX_EPOCH, TimeZone::CentralEurope),
            "{^1970-01-01 01:00:00}"
        );
    }

    #[test]
    fn stock_is_on_hand_less_reserved() {
        let s = stock(&row(json!({"ART_CODE": "100200", "STOCK": 12.5, "RESERVED": 2}))).unwrap();
        let sellable = s.sellable(connector_core::model::SellablePolicy::AvailableMinusReserved);
        assert_eq!(sellable, Some(Decimal::from_str("10.5").unwrap()));
        let p = product(
            &row(json!({"ART_CODE": "100200", "ART_DESC1": "Fietsbel", "SALES_PRC": 4.95})),
            Currency::new("EUR").unwrap(),
            TimeZone::CentralEurope,
        )
        .unwrap();
        assert_eq!(p.sales_price.unwrap().amount.to_string(), "4.95");
    }
}
