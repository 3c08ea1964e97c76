//! Orders as AccountView keeps them: an article page, a header row in `ART_HDR` with its
//! lines in `ART_LINE` (Invantive's AccountView data model), written and read through the
//! company's order business object (the setting `order_business_object`).
//!
//! A write is one header/detail payload (`POST accountviewdata`): the header row starts with
//! `RowId`, each line with `RowId` and `HeaderId`, the header's `RowId`. The source's order
//! number goes in `EXT_ID` ("Extern importnummer"), which is what an order is found by, so a
//! retried order is found instead of placed twice.

use chrono::NaiveDate;
use connector_core::model::{
    Currency, CustomField, CustomValue, DocumentLine, EntityRef, Money, Order,
};
use connector_core::source::Rejected;
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

use crate::client::NAME;
use crate::convert::{flag, number, text};

/// The header table.
pub const HEADER_TABLE: &str = "ART_HDR";
/// The line table.
pub const LINE_TABLE: &str = "ART_LINE";

/// The payment method (after the flow's value map) that turns on direct debit (`DD_ACT`,
/// "Automatische incasso"); any other method turns it off.
pub const DIRECT_DEBIT: &str = "incasso";

/// The header columns read: those Invantive documents, and `REC_ID` to page on. A change
/// date of ART_HDR is not attested, so orders are read whole and the ledger tells changes.
pub const HEADER_FIELDS: &[&str] = &[
    "REC_ID",
    "ORD_NR",
    "EXT_ID",
    "SUB_NR",
    "ORD_DATE",
    "DEL_DATE",
    "CUR_CODE",
    "DISC_CODE",
    "DD_ACT",
    "COMMENT2",
    "EMP_NR",
];

/// The line columns read.
pub const LINE_FIELDS: &[&str] =
    &["HDR_ID", "ART_CODE", "ART_DESC1", "ART_QTY", "ART_PX", "DISC_PCT"];

/// A column of a write: its name, FoxPro type letter and, for text, its length.
type Column = (&'static str, &'static str, usize);

const HEADER_COLUMNS: &[Column] = &[
    ("RowId", "C", 0),
    ("SUB_NR", "C", 10),
    ("EXT_ID", "C", 32),
    ("ORD_DATE", "T", 0),
    ("DEL_DATE", "T", 0),
    ("CUR_CODE", "C", 3),
    ("DISC_CODE", "C", 2),
    ("DD_ACT", "L", 0),
    ("COMMENT2", "M", 0),
];

/// A value AccountView refuses, found before sending: the field (canonical path) and why.
pub type Refusal = (String, String);

fn date_time(d: NaiveDate) -> Value {
    Value::from(d.format("%Y-%m-%dT00:00:00").to_string())
}

fn fits(col: &str, max: usize, field: &str, v: &str) -> Result<Value, Refusal> {
    if max > 0 && v.chars().count() > max {
        return Err((
            field.to_owned(),
            format!("`{v}` is longer than AccountView's {max} characters ({col})"),
        ));
    }
    Ok(Value::from(v))
}

/// The `POST accountviewdata` payload that places `order` for debtor `debtor` through
/// `business_object` (dated `today`, the company's date, when the order has no date), or the
/// field AccountView would refuse. Every line needs an article
/// code and a quantity; prices and descriptions go when every line has one (otherwise
/// AccountView prices and describes the lines from the article); a discount goes when any
/// line has one (0 on the others).
pub fn payload(
    order: &Order,
    debtor: &str,
    business_object: &str,
    today: NaiveDate,
) -> Result<Value, Refusal> {
    let number =
        order.number.as_deref().map(str::trim).filter(|n| !n.is_empty()).ok_or_else(|| {
            ("number".to_owned(), "an order needs its number (EXT_ID), to be found again".into())
        })?;
    if order.lines.is_empty() {
        return Err(("lines".into(), "an order needs at least one line".into()));
    }
    let date = order.order_date.unwrap_or(today);
    let header: Vec<Option<Value>> = vec![
        Some(Value::from("1")),
        Some(fits("SUB_NR", 10, "party.customer.id", debtor)?),
        Some(fits("EXT_ID", 32, "number", number)?),
        Some(date_time(date)),
        order.delivery_date.map(date_time),
        Some(Value::from(order.currency.as_str())),
        match order.payment_term.as_ref().and_then(key_of) {
            Some(code) => Some(fits("DISC_CODE", 2, "payment_term.key", code)?),
            None => None,
        },
        order
            .payment_method
            .as_ref()
            .and_then(key_of)
            .map(|m| Value::Bool(m.eq_ignore_ascii_case(DIRECT_DEBIT))),
        order.memo.as_deref().filter(|m| !m.trim().is_empty()).map(Value::from),
    ];
    let (header_fields, header_values): (Vec<Value>, Vec<Value>) = HEADER_COLUMNS
        .iter()
        .zip(header)
        .filter_map(|((name, letter, _), v)| {
            v.map(|v| (json!({"Name": name, "FieldType": letter}), v))
        })
        .unzip();

    let mut line_fields: Vec<Column> =
        vec![("RowId", "C", 0), ("HeaderId", "C", 0), ("ART_CODE", "C", 15), ("ART_QTY", "N", 0)];
    let all_priced = order.lines.iter().all(|l| l.unit_price.is_some());
    let all_described =
        order.lines.iter().all(|l| l.description.as_deref().is_some_and(|d| !d.trim().is_empty()));
    let any_discount = order.lines.iter().any(|l| l.discount_percent.is_some());
    if all_described {
        line_fields.push(("ART_DESC1", "C", 40));
    }
    if all_priced {
        line_fields.push(("ART_PX", "Y", 0));
    }
    if any_discount {
        line_fields.push(("DISC_PCT", "N", 0));
    }
    let mut rows = Vec::with_capacity(order.lines.len());
    for (i, line) in order.lines.iter().enumerate() {
        let sku =
            line.sku.as_deref().map(str::trim).filter(|s| !s.is_empty()).ok_or_else(|| {
                (format!("lines[{i}].sku"), "an order line needs an article code".to_owned())
            })?;
        let mut values = vec![
            Value::from((i + 1).to_string()),
            Value::from("1"),
            fits("ART_CODE", 15, &format!("lines[{i}].sku"), sku)?,
            decimal(line.quantity),
        ];
        if all_described {
            let d = line.description.as_deref().unwrap_or_default().trim();
            values.push(fits("ART_DESC1", 40, &format!("lines[{i}].description"), d)?);
        }
        if let (true, Some(price)) = (all_priced, line.unit_price) {
            if price.currency != order.currency {
                return Err((
                    format!("lines[{i}].unit_price"),
                    format!("priced in {}, the order in {}", price.currency, order.currency),
                ));
            }
            values.push(decimal(price.amount));
        }
        if any_discount {
            values.push(decimal(line.discount_percent.unwrap_or_default()));
        }
        rows.push(json!({ "Values": values }));
    }
    let line_defs: Vec<Value> = line_fields
        .iter()
        .map(|(name, letter, _)| json!({"Name": name, "FieldType": letter}))
        .collect();
    Ok(json!({
        "BookDate": date.format("%Y-%m-%dT00:00:00").to_string(),
        "BusinessObject": business_object,
        "Table": {
            "Definition": {"Name": HEADER_TABLE, "Fields": header_fields},
            "DetailDefinitions": [{"Name": LINE_TABLE, "Fields": line_defs}],
        },
        "TableData": {
            "Data": {"Rows": [{"Values": header_values}]},
            "DetailData": [{"Rows": rows}],
        },
    }))
}

fn key_of(r: &EntityRef) -> Option<&str> {
    r.key.as_deref().map(str::trim).filter(|k| !k.is_empty())
}

/// A decimal as a JSON number with its exact digits (no float on the way).
fn decimal(d: Decimal) -> Value {
    serde_json::from_str(&d.normalize().to_string()).unwrap_or(Value::Null)
}

fn day(row: &Map<String, Value>, col: &str) -> Result<Option<NaiveDate>, String> {
    Ok(crate::convert::local_time(row, col)?.map(|d| d.date()))
}

/// A header row and its lines as an order: AccountView's order number (`ORD_NR`) is the
/// number, the debtor (`SUB_NR`) the customer, `EXT_ID` the number of the system that
/// placed it (kept in `meta.custom.external_number`), `EMP_NR` AccountView's employee code
/// (`meta.custom.employee_code`). A row it cannot read is rejected naming the column.
pub fn order(
    header: &Map<String, Value>,
    lines: &[&Map<String, Value>],
    company_currency: Currency,
) -> Result<Order, Rejected> {
    let key = text(header, "ORD_NR").or_else(|| text(header, "REC_ID"));
    let bad = |m: String| {
        let field = m.split(':').next().unwrap_or("row").to_owned();
        Rejected {
            key: key.clone(),
            payload: None,
            error: connector_core::Error::invalid_field(field, m).with_connector(NAME),
        }
    };
    let currency = match text(header, "CUR_CODE") {
        Some(c) => Currency::new(&c).map_err(|_| bad(format!("CUR_CODE: `{c}` is no currency")))?,
        None => company_currency,
    };
    let mut o = Order {
        number: key.clone(),
        order_date: day(header, "ORD_DATE").map_err(bad)?,
        delivery_date: day(header, "DEL_DATE").map_err(bad)?,
        currency,
        payment_term: text(header, "DISC_CODE").map(EntityRef::by_key),
        memo: text(header, "COMMENT2"),
        ..Default::default()
    };
    if let Some(dd) = flag(header, "DD_ACT").map_err(bad)? {
        o.payment_method = dd.then(|| EntityRef::by_key(DIRECT_DEBIT));
    }
    o.party.customer = EntityRef { key: text(header, "SUB_NR"), ..Default::default() };
    if let Some(ext) = text(header, "EXT_ID") {
        o.meta.custom.insert(
            "external_number".into(),
            CustomField {
                value: CustomValue::Text(ext),
                source: Some("accountview:EXT_ID".into()),
            },
        );
    }
    if let Some(emp) = text(header, "EMP_NR") {
        o.meta.custom.insert(
            "employee_code".into(),
            CustomField {
                value: CustomValue::Text(emp),
                source: Some("accountview:EMP_NR".into()),
            },
        );
    }
    for (i, row) in lines.iter().enumerate() {
        let quantity = number(row, "ART_QTY")
            .map_err(bad)?
            .ok_or_else(|| bad(format!("ART_QTY: line {} has no quantity", i + 1)))?;
        o.lines.push(DocumentLine {
            line_no: Some(i as u32 + 1),
            sku: text(row, "ART_CODE"),
            description: text(row, "ART_DESC1"),
            quantity,
            unit_price: number(row, "ART_PX").map_err(bad)?.map(|a| Money::new(a, currency)),
            discount_percent: number(row, "DISC_PCT").map_err(bad)?.filter(|d| !d.is_zero()),
            ..Default::default()
        });
    }
    if o.lines.is_empty() {
        return Err(
            bad("ART_LINE: an order without lines (its lines did not come with it)".into()),
        );
    }
    if let Some(k) = &key {
        o.meta.refs.set(NAME, k.clone());
    }
    Ok(o)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2024, 5, 1).unwrap()
    }

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn sample() -> Order {
        Order {
            number: Some("500123".into()),
            order_date: NaiveDate::from_ymd_opt(2024, 5, 1),
            currency: Currency::EUR,
            payment_term: Some(EntityRef::by_key("30")),
            payment_method: Some(EntityRef::by_key("incasso")),
            memo: Some("Graag voor 10 uur leveren".into()),
            lines: vec![
                DocumentLine {
                    sku: Some("100200".into()),
                    description: Some("Fietsbel".into()),
                    quantity: dec("2"),
                    unit_price: Some(Money::new(dec("4.95"), Currency::EUR)),
                    ..Default::default()
                },
                DocumentLine {
                    sku: Some("100300".into()),
                    description: Some("Zadel".into()),
                    quantity: dec("1.5"),
                    unit_price: Some(Money::new(dec("39.50"), Currency::EUR)),
                    discount_percent: Some(dec("10")),
                    ..Default::default()
                },
            ],
            ..Default::default()
        }
    }

    #[test]
    fn a_payload_has_the_header_and_its_lines() {
        let p = payload(&sample(), "1001", "SO1", today()).unwrap();
        assert_eq!(p["BusinessObject"], "SO1");
        let names: Vec<&str> = p["Table"]["Definition"]["Fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["Name"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "RowId",
                "SUB_NR",
                "EXT_ID",
                "ORD_DATE",
                "CUR_CODE",
                "DISC_CODE",
                "DD_ACT",
                "COMMENT2"
            ]
        );
        let header = &p["TableData"]["Data"]["Rows"][0]["Values"];
        assert_eq!(header[1], "1001");
        assert_eq!(header[2], "500123");
        assert_eq!(header[3], "2024-05-01T00:00:00");
        assert_eq!(header[6], true);
        let lines = p["TableData"]["DetailData"][0]["Rows"].as_array().unwrap();
        assert_eq!(lines.len(), 2);
        // RowId, HeaderId, ART_CODE, ART_QTY, ART_DESC1, ART_PX, DISC_PCT: exact decimals.
        assert_eq!(lines[1]["Values"].to_string(), r#"["2","1","100300",1.5,"Zadel",39.5,10]"#);
        assert_eq!(lines[0]["Values"][6], 0);
    }

    #[test]
    fn refusals_name_the_field() {
        let mut o = sample();
        o.lines[1].sku = Some("1234567890123456".into());
        assert_eq!(payload(&o, "1001", "SO1", today()).unwrap_err().0, "lines[1].sku");
        let mut o = sample();
        o.number = None;
        assert_eq!(payload(&o, "1001", "SO1", today()).unwrap_err().0, "number");
        let mut o = sample();
        o.payment_term = Some(EntityRef::by_key("NET30"));
        assert_eq!(payload(&o, "1001", "SO1", today()).unwrap_err().0, "payment_term.key");
        let mut o = sample();
        o.lines[0].unit_price = Some(Money::new(dec("1"), Currency::USD));
        assert_eq!(payload(&o, "1001", "SO1", today()).unwrap_err().0, "lines[0].unit_price");
    }

    #[test]
    fn rows_read_back_as_an_order() {
        let header = json!({"REC_ID": "H1", "ORD_NR": "24001", "EXT_ID": "500123", "SUB_NR": "1001",
            "ORD_DATE": "2024-05-01T00:00:00", "CUR_CODE": "EUR", "DISC_CODE": "30", "DD_ACT": false});
        let line = json!({"HDR_ID": "H1", "ART_CODE": "100200", "ART_QTY": 2, "ART_PX": 4.95, "DISC_PCT": 0});
        let (h, l) = (header.as_object().unwrap(), line.as_object().unwrap());
        let o = order(h, &[l], Currency::EUR).unwrap();
        assert_eq!(o.number.as_deref(), Some("24001"));
        assert_eq!(o.party.customer.key.as_deref(), Some("1001"));
        assert_eq!(o.lines[0].unit_price.unwrap().amount.to_string(), "4.95");
        assert!(o.payment_method.is_none());
        let bad = json!({"ORD_NR": "24002", "ORD_DATE": "gisteren"});
        let r = order(bad.as_object().unwrap(), &[], Currency::EUR).unwrap_err();
        assert_eq!(r.error.field_errors()[0].field, "ORD_DATE");
    }
}
