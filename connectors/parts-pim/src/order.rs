//! Orders as the Parts PIM interface carries them (`tests/fixtures/parts-pim-api.json`,
//! schema `Order`): decimals as text, digits-only numbers and SKUs, the customer given with
//! the order (a company name for a business, else a person), an employee number on each.

use chrono::{DateTime, NaiveDate, Utc};
use connector_core::model::{
    Address, AddressKind, Currency, CustomField, CustomValue, DocumentLine, EntityRef, Money,
    Order, OrderStatus,
};
use connector_core::source::Rejected;
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

use crate::client::NAME;
use crate::config::is_digits;

fn text(o: &Map<String, Value>, field: &str) -> Option<String> {
    o.get(field).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned)
}

fn decimal(o: &Map<String, Value>, field: &str) -> Result<Option<Decimal>, String> {
    match text(o, field) {
        None => Ok(None),
        Some(t) => t.parse().map(Some).map_err(|_| format!("{field}: `{t}` is not a number")),
    }
}

fn address(v: Option<&Value>, kind: AddressKind) -> Option<Address> {
    let a = v?.as_object()?;
    let out = Address {
        kind,
        lines: text(a, "street").into_iter().collect(),
        postal_code: text(a, "postal_code"),
        city: text(a, "city"),
        country: text(a, "country"),
        ..Default::default()
    };
    (out != Address { kind, ..Default::default() }).then_some(out)
}

/// A Parts PIM order as a canonical order; one it cannot read is rejected naming the field.
pub fn order(v: &Value) -> Result<Order, Rejected> {
    let empty = Map::new();
    let o = v.as_object().unwrap_or(&empty);
    let key = text(o, "number");
    let bad = |m: String| {
        let field = m.split(':').next().unwrap_or("order").to_owned();
        Rejected {
            key: key.clone(),
            payload: Some(v.to_string()),
            error: connector_core::Error::invalid_field(field, m).with_connector(NAME),
        }
    };
    let number = key.clone().ok_or_else(|| bad("number: an order without a number".into()))?;
    let currency = text(o, "currency").unwrap_or_else(|| "EUR".into());
    let currency = Currency::new(&currency)
        .map_err(|_| bad(format!("currency: `{currency}` is not a currency")))?;
    let date = |field: &str| -> Result<Option<NaiveDate>, Rejected> {
        text(o, field)
            .map(|t| {
                NaiveDate::parse_from_str(&t, "%Y-%m-%d")
                    .map_err(|_| bad(format!("{field}: `{t}` is not a date")))
            })
            .transpose()
    };
    let instant = |field: &str| -> Result<Option<DateTime<Utc>>, Rejected> {
        text(o, field)
            .map(|t| {
                DateTime::parse_from_rfc3339(&t)
                    .map(|d| d.with_timezone(&Utc))
                    .map_err(|_| bad(format!("{field}: `{t}` is not a date-time")))
            })
            .transpose()
    };
    let mut order = Order {
        number: Some(number.clone()),
        status: match text(o, "status").as_deref() {
            None | Some("open") | Some("confirmed") => OrderStatus::Open,
            Some("shipped") => OrderStatus::Completed,
            Some("cancelled") => OrderStatus::Cancelled,
            Some(other) => OrderStatus::Other(other.to_owned()),
        },
        order_date: date("order_date")?,
        delivery_date: date("delivery_date")?,
        currency,
        payment_term: text(o, "payment_term").map(EntityRef::by_key),
        payment_method: text(o, "payment_method").map(EntityRef::by_key),
        billing_address: address(o.get("billing_address"), AddressKind::Billing),
        shipping_address: address(o.get("delivery_address"), AddressKind::Shipping),
        memo: text(o, "note"),
        ..Default::default()
    };
    let c = o.get("customer").and_then(Value::as_object).unwrap_or(&empty);
    let p = &mut order.party;
    p.customer = EntityRef { key: text(c, "number"), ..Default::default() };
    p.company_name = text(c, "company_name");
    p.first_name = text(c, "first_name");
    p.last_name = text(c, "last_name");
    p.email = text(c, "email");
    p.phone = text(c, "phone");
    p.tax_number = text(c, "vat_number");
    p.registration_number = text(c, "coc_number");
    p.name = p.company_name.clone().or_else(|| {
        let n = [p.first_name.as_deref(), p.last_name.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        (!n.is_empty()).then_some(n)
    });
    for (i, line) in o.get("lines").and_then(Value::as_array).into_iter().flatten().enumerate() {
        let l = line.as_object().unwrap_or(&empty);
        let at = |m: String| bad(format!("lines[{i}].{m}"));
        let quantity = decimal(l, "quantity")
            .map_err(at)?
            .ok_or_else(|| bad(format!("lines[{i}].quantity: a line without a quantity")))?;
        order.lines.push(DocumentLine {
            line_no: Some(i as u32 + 1),
            sku: text(l, "sku"),
            description: text(l, "description"),
            quantity,
            unit_price: decimal(l, "unit_price").map_err(at)?.map(|a| Money::new(a, currency)),
            discount_percent: decimal(l, "discount_percent").map_err(at)?,
            ..Default::default()
        });
    }
    if order.lines.is_empty() {
        return Err(bad("lines: an order without lines".into()));
    }
    if let Some(e) = text(o, "employee_number") {
        let value = CustomField {
            value: CustomValue::Text(e),
            source: Some(format!("{NAME}:employee_number")),
        };
        order.meta.custom.insert("employee_number".into(), value);
    }
    order.meta.created_at = instant("created_at")?;
    order.meta.updated_at = instant("updated_at")?;
    order.meta.refs.set(NAME, number);
    Ok(order)
}

/// The body that places `order` in Parts PIM with employee number `employee`, or the field
/// Parts PIM would refuse (a number or SKU that is not digits only).
pub fn body(order: &Order, employee: &str) -> Result<Value, (String, String)> {
    let number = order.number.as_deref().map(str::trim).unwrap_or_default();
    if !is_digits(number) {
        return Err(("number".into(), format!("order number `{number}` is not digits only")));
    }
    if order.lines.is_empty() {
        return Err(("lines".into(), "an order needs at least one line".into()));
    }
    let mut lines = Vec::with_capacity(order.lines.len());
    for (i, l) in order.lines.iter().enumerate() {
        let sku = l.sku.as_deref().map(str::trim).unwrap_or_default();
        if !is_digits(sku) {
            return Err((format!("lines[{i}].sku"), format!("SKU `{sku}` is not digits only")));
        }
        let mut line = json!({"sku": sku, "quantity": l.quantity.normalize().to_string()});
        if let Some(d) = &l.description {
            line["description"] = Value::from(d.clone());
        }
        if let Some(p) = &l.unit_price {
            line["unit_price"] = Value::from(p.amount.normalize().to_string());
        }
        if let Some(d) = l.discount_percent {
            line["discount_percent"] = Value::from(d.normalize().to_string());
        }
        lines.push(line);
    }
    let p = &order.party;
    let mut customer = Map::new();
    for (k, v) in [
        ("number", p.customer.key.as_ref()),
        ("company_name", p.company_name.as_ref()),
        ("first_name", p.first_name.as_ref()),
        ("last_name", p.last_name.as_ref()),
        ("email", p.email.as_ref()),
        ("phone", p.phone.as_ref()),
        ("vat_number", p.tax_number.as_ref()),
        ("coc_number", p.registration_number.as_ref()),
    ] {
        if let Some(v) = v {
            customer.insert(k.into(), Value::from(v.clone()));
        }
    }
    let mut out = json!({
        "number": number,
        "employee_number": employee,
        "currency": order.currency.as_str(),
        "customer": customer,
        "lines": lines,
    });
    let set = |out: &mut Value, k: &str, v: Option<String>| {
        if let Some(v) = v {
            out[k] = Value::from(v);
        }
    };
    set(&mut out, "order_date", order.order_date.map(|d| d.to_string()));
    set(&mut out, "delivery_date", order.delivery_date.map(|d| d.to_string()));
    set(&mut out, "payment_term", order.payment_term.as_ref().and_then(|r| r.key.clone()));
    set(&mut out, "payment_method", order.payment_method.as_ref().and_then(|r| r.key.clone()));
    set(&mut out, "note", order.memo.clone());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_order_reads_with_exact_decimals_and_its_party() {
        let v = json!({"number": "500123", "employee_number": "999999", "currency": "EUR",
            "order_date": "2024-05-01", "updated_at": "2024-05-01T10:00:00Z", "payment_term": "30 dagen",
            "customer": {"number": "20001", "company_name": "Rijwielhandel Noord", "first_name": "Piet",
                         "last_name": "Bakker", "email": "piet@noord.example"},
            "lines": [{"sku": "100200", "quantity": "2", "unit_price": "4.95"}]});
        let o = order(&v).unwrap();
        assert_eq!(o.party.company_name.as_deref(), Some("Rijwielhandel Noord"));
        assert_eq!(o.party.customer.key.as_deref(), Some("20001"));
        assert_eq!(o.lines[0].unit_price.unwrap().amount.to_string(), "4.95");
        assert_eq!(o.payment_term.as_ref().unwrap().key.as_deref(), Some("30 dagen"));
        let back = body(&o, "999999").unwrap();
        assert_eq!(back["lines"][0]["unit_price"], "4.95");
        assert_eq!(back["customer"]["email"], "piet@noord.example");
    }

    #[test]
    fn what_cannot_be_read_or_sent_names_the_field() {
        let v = json!({"number": "1", "lines": [{"sku": "1", "quantity": "twee"}]});
        let r = order(&v).unwrap_err();
        assert_eq!(r.error.field_errors()[0].field, "lines[0].quantity");
        let mut o =
            order(&json!({"number": "1", "lines": [{"sku": "1", "quantity": "1"}]})).unwrap();
        o.lines[0].sku = Some("AB-1".into());
        assert_eq!(body(&o, "1").unwrap_err().0, "lines[0].sku");
    }
}
