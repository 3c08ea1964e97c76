//! Canonical records to Skynamo's write shapes, and orders/quotes/customers/products from
//! Skynamo's read shapes.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use connector_core::http::dates;
use connector_core::model::{
    Currency, CustomField, CustomValue, Customer, DocumentLine, DocumentParty, EntityRef, Invoice,
    InvoiceStatus, Lifecycle, Money, Order, OrderKind, OrderStatus, Product, Totals,
};
use connector_core::{Error, Result};
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

use crate::client::NAME;

/// A decimal as an exact JSON number.
pub fn number(d: Decimal) -> Value {
    serde_json::from_str(&d.normalize().to_string()).unwrap_or(Value::Null)
}

/// A JSON number or numeric string as a decimal, exactly.
pub fn decimal(v: &Value) -> Option<Decimal> {
    match v {
        Value::Number(n) => {
            let t = n.to_string();
            Decimal::from_str(&t).or_else(|_| Decimal::from_scientific(&t)).ok()
        }
        Value::String(s) => Decimal::from_str(s.trim()).ok(),
        _ => None,
    }
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A Skynamo timestamp (`2026-01-01T00:00:00.0000000+02:00`).
pub fn instant(field: &str, v: &Value) -> Result<Option<DateTime<Utc>>> {
    match v.as_str().filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => dates::parse_skynamo(s)
            .map(Some)
            .map_err(|e| Error::invalid_field(field, e.message().to_owned())),
    }
}

/// The customer row (without `assigned_users` and custom fields, which need lookups).
pub fn customer_row(c: &Customer) -> Result<Map<String, Value>> {
    let code = c.number.clone().filter(|s| !s.trim().is_empty());
    let name = c.name.clone().filter(|s| !s.trim().is_empty());
    if code.is_none() {
        return Err(Error::invalid_field(
            "number",
            "Skynamo customers are keyed by code: the customer has none",
        ));
    }
    let mut m = Map::new();
    m.insert("code".into(), json!(code));
    if let Some(n) = name {
        m.insert("name".into(), json!(n));
    }
    m.insert("active".into(), json!(c.meta.lifecycle.is_active()));
    Ok(m)
}

/// A custom-field value as Skynamo's string.
pub fn custom_text(f: &CustomField) -> String {
    match &f.value {
        CustomValue::Text(s) | CustomValue::Choice(s) => s.clone(),
        CustomValue::Number(d) => d.to_string(),
        CustomValue::Bool(b) => b.to_string(),
        CustomValue::Date(d) => d.to_string(),
        CustomValue::DateTime(t) => t.format("%Y-%m-%dT%H:%M:%S").to_string(),
        CustomValue::Json(v) => v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string()),
    }
}

/// A product row with its order units (the base unit first, multiplier 1).
pub fn product_row(p: &Product, default_unit: &str) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("code".into(), json!(p.sku));
    if let Some(n) = &p.name {
        m.insert("name".into(), json!(n));
    }
    m.insert("active".into(), json!(p.meta.lifecycle.is_active()));
    let base = p.unit.clone().unwrap_or_else(|| default_unit.to_owned());
    let mut units = vec![json!({"name": base, "multiplier": 1, "active": true})];
    for u in &p.order_units {
        if u.code != base {
            units.push(json!({"name": u.code, "multiplier": number(u.multiplier), "active": true}));
        }
    }
    m.insert("order_units".into(), Value::Array(units));
    m
}

/// An invoice row keyed by `external_id` (the ERP's invoice number).
pub fn invoice_row(i: &Invoice) -> Result<Value> {
    let external = i
        .number
        .clone()
        .ok_or_else(|| Error::invalid_field("number", "the invoice has no number"))?;
    let customer = i.party.customer.key.clone().ok_or_else(|| {
        Error::invalid_field("party.customer.key", "the invoice names no customer code")
    })?;
    let date = i
        .issue_date
        .ok_or_else(|| Error::invalid_field("issue_date", "the invoice has no date"))?;
    let status = match &i.status {
        InvoiceStatus::Paid => "Paid",
        InvoiceStatus::Void => "Void",
        InvoiceStatus::Authorised | InvoiceStatus::PartiallyPaid | InvoiceStatus::Submitted => {
            "OutStanding"
        }
        _ if i.meta.lifecycle == Lifecycle::Deleted => "Deleted",
        _ => "NotSpecified",
    };
    let mut m = Map::new();
    m.insert("external_id".into(), json!(external));
    m.insert("customer_code".into(), json!(customer));
    m.insert("date".into(), json!(format!("{}T00:00:00", date)));
    if let Some(d) = i.due_date {
        m.insert("due_date".into(), json!(format!("{d}T00:00:00")));
    }
    if let Some(r) = &i.reference {
        m.insert("reference".into(), json!(r));
    }
    m.insert("status".into(), json!(status));
    m.insert("currency_code".into(), json!(i.currency.as_str()));
    m.insert("tax_inclusion".into(), json!(if i.tax_inclusive { "Included" } else { "Excluded" }));
    if let Some(t) = i.totals.total {
        m.insert("total".into(), number(t.amount));
    }
    if let Some(t) = i.totals.balance_due {
        m.insert("outstanding_balance".into(), number(t.amount));
    }
    let items: Vec<Value> = i
        .lines
        .iter()
        .filter(|l| l.sku.is_some())
        .map(|l| {
            let mut it = Map::new();
            it.insert("product_code".into(), json!(l.sku));
            it.insert("quantity".into(), number(l.quantity));
            let value = if i.tax_inclusive {
                l.gross_amount.or(l.net_amount)
            } else {
                l.net_amount.or(l.gross_amount)
            };
            if let Some(v) = value {
                it.insert("value".into(), number(v.amount));
            }
            if let Some(t) = l.tax_amount {
                it.insert("tax_amount".into(), number(t.amount));
            }
            Value::Object(it)
        })
        .collect();
    m.insert("items".into(), Value::Array(items));
    Ok(Value::Object(m))
}

/// An order (`/orders`) or quote (`/quotes`) as a canonical order. The number is
/// `SO-<id>` or `SQ-<id>`. Orders carry no rep (Skynamo keeps the rep on the visit,
/// `/interactions/{interaction_id}`), so `sales_rep` stays empty; the memo is the reference.
pub fn order(v: &Value, kind: OrderKind, base: Currency) -> Result<Order> {
    let id =
        v["id"].as_i64().ok_or_else(|| Error::invalid_field("id", "the document has no id"))?;
    let currency = match text(&v["currency_code"]) {
        Some(c) => Currency::new(&c)
            .map_err(|e| Error::invalid_field("currency_code", e.message().to_owned()))?,
        None => base,
    };
    let date = instant("date", &v["date"])?;
    let prefix = if kind == OrderKind::Quote { "SQ" } else { "SO" };
    let mut lines = Vec::new();
    for (n, it) in v["items"].as_array().cloned().unwrap_or_default().iter().enumerate() {
        let quantity = decimal(&it["quantity"])
            .ok_or_else(|| Error::invalid_field(format!("items[{n}].quantity"), "not a number"))?;
        lines.push(DocumentLine {
            line_no: u32::try_from(n + 1).ok(),
            sku: text(&it["product_code"]),
            description: text(&it["product_name"]),
            quantity,
            unit: text(&it["order_unit_name"]),
            unit_price: decimal(&it["unit_price"]).map(|p| Money::new(p, currency)),
            tax_rate: text(&it["tax_rate_id"]).map(EntityRef::by_id),
            tax_percent: decimal(&it["tax_rate_value"]),
            ..DocumentLine::default()
        });
        if let Some(c) = text(&it["comment"]) {
            if let Some(l) = lines.last_mut() {
                l.description = Some(match l.description.take() {
                    Some(d) => format!("{d} ({c})"),
                    None => c,
                });
            }
        }
    }
    let mut o = Order {
        number: Some(format!("{prefix}-{id}")),
        kind,
        status: OrderStatus::Open,
        party: DocumentParty {
            // The code, not Skynamo's id: the id of a reference is the target system's.
            customer: EntityRef {
                id: None,
                key: text(&v["customer_code"]),
                name: text(&v["customer_name"]),
            },
            name: text(&v["customer_name"]),
            ..DocumentParty::default()
        },
        order_date: date.map(|d| d.date_naive()),
        currency,
        tax_inclusive: v["prices_include_vat"].as_bool().unwrap_or(false),
        lines,
        totals: Totals {
            total: decimal(&v["total_amount"]).map(|t| Money::new(t, currency)),
            discount_total: decimal(&v["discount_amount"]).map(|t| Money::new(t, currency)),
            ..Totals::default()
        },
        memo: text(&v["reference"]),
        ..Order::default()
    };
    o.meta.updated_at = instant("last_modified_time", &v["last_modified_time"])?;
    let r = o.meta.refs.set(NAME, id.to_string());
    r.number = text(&v["reference"]);
    Ok(o)
}

/// A Skynamo customer as a canonical customer.
pub fn customer(v: &Value) -> Result<Customer> {
    let id = text(&v["id"]).ok_or_else(|| Error::invalid_field("id", "no id"))?;
    let mut c =
        Customer { number: text(&v["code"]), name: text(&v["name"]), ..Customer::default() };
    c.meta.lifecycle =
        if v["active"].as_bool().unwrap_or(true) { Lifecycle::Active } else { Lifecycle::Inactive };
    c.meta.updated_at = instant("last_modified_time", &v["last_modified_time"])?;
    for f in v["custom_fields"].as_array().cloned().unwrap_or_default() {
        if let (Some(name), Some(value)) = (text(&f["name"]), f["value"].as_str()) {
            c.meta.custom.insert(
                name.to_lowercase().replace(' ', "_"),
                CustomField {
                    value: CustomValue::Text(value.to_owned()),
                    source: text(&f["id"]).map(|i| format!("skynamo:{i}")),
                },
            );
        }
    }
    let r = c.meta.refs.set(NAME, id);
    r.version = text(&v["row_version"]).or_else(|| text(&v["version"]));
    Ok(c)
}

/// A Skynamo product as a canonical product.
pub fn product(v: &Value) -> Result<Product> {
    let id = text(&v["id"]).ok_or_else(|| Error::invalid_field("id", "no id"))?;
    let sku =
        text(&v["code"]).ok_or_else(|| Error::invalid_field("code", "the product has no code"))?;
    let mut p = Product { sku, name: text(&v["name"]), ..Product::default() };
    p.meta.lifecycle =
        if v["active"].as_bool().unwrap_or(true) { Lifecycle::Active } else { Lifecycle::Inactive };
    for u in v["order_units"].as_array().cloned().unwrap_or_default() {
        if let (Some(code), Some(m)) = (text(&u["name"]), decimal(&u["multiplier"])) {
            p.order_units.push(connector_core::model::OrderUnit { code, multiplier: m });
        }
    }
    p.meta.updated_at = instant("last_modified_time", &v["last_modified_time"])?;
    let r = p.meta.refs.set(NAME, id);
    r.version = text(&v["row_version"]).or_else(|| text(&v["version"]));
    Ok(p)
}

/// The row version of a record (`row_version`, or `version` as the SDK reads it).
pub fn row_version(v: &Value) -> Option<u64> {
    v["row_version"].as_u64().or_else(|| v["version"].as_u64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_decode_with_exact_decimals_and_seven_digit_timestamps() {
        let v: Value = serde_json::from_str(
            r#"{"id":41,"date":"2026-11-20T09:15:00.1234567+02:00","customer_code":"C-1001","customer_name":"Bayside Club","currency_code":"NZD","total_amount":74.4063,
                "items":[{"quantity":12.5,"unit_price":5.9525,"order_unit_name":"Each","product_code":"GB1-WHITE","product_name":"Golf balls","tax_rate_value":15.0}]}"#,
        )
        .unwrap();
        let o = order(&v, OrderKind::Order, Currency::ZAR).unwrap();
        assert_eq!(o.number.as_deref(), Some("SO-41"));
        assert_eq!(o.order_date.unwrap().to_string(), "2026-11-20");
        assert_eq!(o.lines[0].unit_price.unwrap().amount.to_string(), "5.9525");
        assert_eq!(o.lines[0].quantity.to_string(), "12.5");
        assert_eq!(o.totals.total.unwrap().amount.to_string(), "74.4063");
        assert_eq!(o.currency.as_str(), "NZD");
    }
}
