//! The value a rule works on while it runs: borrowed from the source where possible, typed
//! where a transform made it so. Amounts are always `Decimal`.

use std::borrow::Cow;
use std::str::FromStr;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde_json::{Map, Value};

/// A value on its way from the source to the target.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum V<'a> {
    /// Missing, null, or made empty by a transform.
    Absent,
    /// A source value kept as it is (numbers, objects, arrays).
    Json(Cow<'a, Value>),
    /// Text.
    Text(Cow<'a, str>),
    /// An exact number.
    Dec(Decimal),
    /// Yes or no.
    Bool(bool),
    /// A business date.
    Date(NaiveDate),
    /// An amount with its currency.
    Money(Decimal, Cow<'a, str>),
    /// Several values (a rule with several source paths).
    List(Vec<V<'a>>),
}

impl<'a> V<'a> {
    /// Wraps a source value.
    #[inline]
    pub fn from_json(v: Option<&'a Value>) -> V<'a> {
        match v {
            None | Some(Value::Null) => V::Absent,
            Some(Value::String(s)) => V::Text(Cow::Borrowed(s)),
            Some(Value::Bool(b)) => V::Bool(*b),
            Some(other) => V::Json(Cow::Borrowed(other)),
        }
    }

    /// Wraps a value the caller gives away (text stays owned, to be changed in place).
    #[inline]
    pub fn from_owned(v: Value) -> V<'a> {
        match v {
            Value::Null => V::Absent,
            Value::String(s) => V::Text(Cow::Owned(s)),
            Value::Bool(b) => V::Bool(b),
            other => V::Json(Cow::Owned(other)),
        }
    }

    /// Whether the value is missing, blank text, or a list or object with nothing in it.
    #[inline]
    pub fn is_empty(&self) -> bool {
        match self {
            V::Absent => true,
            V::Text(s) => crate::text::is_blank(s),
            V::List(items) => items.iter().all(V::is_empty),
            V::Json(j) => match &**j {
                Value::Null => true,
                Value::String(s) => crate::text::is_blank(s),
                Value::Array(a) => a.is_empty(),
                Value::Object(m) => m.is_empty(),
                _ => false,
            },
            _ => false,
        }
    }

    /// The value as text, for scalars.
    pub fn text(&self) -> Option<Cow<'_, str>> {
        match self {
            V::Text(s) => Some(Cow::Borrowed(s)),
            V::Dec(d) => Some(Cow::Owned(d.to_string())),
            V::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
            V::Date(d) => Some(Cow::Owned(d.format("%Y-%m-%d").to_string())),
            V::Json(j) => match &**j {
                Value::String(s) => Some(Cow::Borrowed(s)),
                Value::Number(n) => Some(Cow::Borrowed(n.as_str())),
                Value::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
                _ => None,
            },
            V::Absent | V::Money(..) | V::List(_) => None,
        }
    }

    /// The value as an exact decimal: a number, or text holding one in plain notation.
    pub fn decimal(&self) -> Result<Decimal, String> {
        match self {
            V::Dec(d) => Ok(*d),
            V::Money(d, _) => Ok(*d),
            _ => match self.text() {
                Some(t) => parse_decimal(&t),
                None => Err(format!("expected a number, got {}", self.kind_name())),
            },
        }
    }

    /// A Money value as (amount, currency), including a source `{"amount","currency"}` object.
    pub fn money(&self) -> Option<(Decimal, Cow<'_, str>)> {
        match self {
            V::Money(d, c) => Some((*d, Cow::Borrowed(c))),
            V::Json(j) => {
                let m = j.as_object()?;
                let amount = V::from_json(m.get("amount")).decimal().ok()?;
                let currency = m.get("currency")?.as_str()?;
                Some((amount, Cow::Borrowed(currency)))
            }
            _ => None,
        }
    }

    /// A short name of the value's shape for messages.
    pub fn kind_name(&self) -> &'static str {
        match self {
            V::Absent => "nothing",
            V::Text(_) => "text",
            V::Dec(_) => "a number",
            V::Bool(_) => "a boolean",
            V::Date(_) => "a date",
            V::Money(..) => "an amount of money",
            V::List(_) => "a list",
            V::Json(j) => match &**j {
                Value::Null => "null",
                Value::Bool(_) => "a boolean",
                Value::Number(_) => "a number",
                Value::String(_) => "text",
                Value::Array(_) => "an array",
                Value::Object(_) => "an object",
            },
        }
    }

    /// The value shortened for an error message; `None` when absent.
    pub fn describe(&self) -> Option<String> {
        let s = match self {
            V::Absent => return None,
            V::Money(d, c) => format!("{d} {c}"),
            V::List(items) => {
                let parts: Vec<String> =
                    items.iter().map(|v| v.describe().unwrap_or_default()).collect();
                format!("[{}]", parts.join(", "))
            }
            V::Json(j) if !(j.is_number() || j.is_string()) => j.to_string(),
            other => other.text().map(Cow::into_owned).unwrap_or_default(),
        };
        Some(if s.chars().count() > 80 {
            let cut: String = s.chars().take(77).collect();
            format!("{cut}...")
        } else {
            s
        })
    }

    /// The value as JSON, in the canonical forms (decimals and dates as strings).
    pub fn into_json(self) -> Value {
        match self {
            V::Absent => Value::Null,
            V::Json(j) => j.into_owned(),
            V::Text(s) => Value::String(s.into_owned()),
            V::Dec(d) => Value::String(d.to_string()),
            V::Bool(b) => Value::Bool(b),
            V::Date(d) => Value::String(d.format("%Y-%m-%d").to_string()),
            V::Money(d, c) => money_json(d, &c),
            V::List(items) => Value::Array(items.into_iter().map(V::into_json).collect()),
        }
    }

    /// A borrowed view of the value (no allocation): for constants and defaults kept in the
    /// plan.
    pub fn view(&self) -> V<'_> {
        match self {
            V::Absent => V::Absent,
            V::Json(j) => V::Json(Cow::Borrowed(&**j)),
            V::Text(s) => V::Text(Cow::Borrowed(&**s)),
            V::Dec(d) => V::Dec(*d),
            V::Bool(b) => V::Bool(*b),
            V::Date(d) => V::Date(*d),
            V::Money(d, c) => V::Money(*d, Cow::Borrowed(&**c)),
            V::List(items) => V::List(items.iter().map(V::view).collect()),
        }
    }

    /// Detaches the value from the source it borrows from.
    pub fn into_owned(self) -> V<'static> {
        match self {
            V::Absent => V::Absent,
            V::Json(j) => V::Json(Cow::Owned(j.into_owned())),
            V::Text(s) => V::Text(Cow::Owned(s.into_owned())),
            V::Dec(d) => V::Dec(d),
            V::Bool(b) => V::Bool(b),
            V::Date(d) => V::Date(d),
            V::Money(d, c) => V::Money(d, Cow::Owned(c.into_owned())),
            V::List(items) => V::List(items.into_iter().map(V::into_owned).collect()),
        }
    }
}

/// `{"amount": "<d>", "currency": "<c>"}`.
pub(crate) fn money_json(amount: Decimal, currency: &str) -> Value {
    let mut m = Map::new();
    m.insert("amount".into(), Value::String(amount.to_string()));
    m.insert("currency".into(), Value::String(currency.to_string()));
    Value::Object(m)
}

/// Parses a decimal in plain or scientific notation, never through a float.
pub(crate) fn parse_decimal(s: &str) -> Result<Decimal, String> {
    let t = crate::text::trim(s);
    Decimal::from_str(t)
        .or_else(|_| Decimal::from_scientific(t))
        .map_err(|_| format!("{s:?} is not a number"))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn emptiness_and_text() {
        assert!(V::Absent.is_empty());
        assert!(V::Text("  ".into()).is_empty());
        assert!(V::from_json(Some(&json!(null))).is_empty());
        assert!(V::from_json(Some(&json!([]))).is_empty());
        assert!(!V::from_json(Some(&json!(0))).is_empty());
        let n: Value = serde_json::from_str("12.50").unwrap();
        assert_eq!(V::from_json(Some(&n)).text().unwrap(), "12.50");
        assert_eq!(V::from_json(Some(&n)).decimal().unwrap().to_string(), "12.50");
        assert!(V::Text("abc".into()).decimal().is_err());
        assert!(V::from_json(Some(&json!({"a": 1}))).decimal().is_err());
    }

    #[test]
    fn money_from_source_objects() {
        let m = json!({"amount": "12.50", "currency": "EUR"});
        let v = V::from_json(Some(&m));
        let (a, c) = v.money().unwrap();
        assert_eq!((a.to_string().as_str(), &*c), ("12.50", "EUR"));
        assert_eq!(v.decimal().unwrap_err(), "expected a number, got an object");
        assert_eq!(V::Money(a, "EUR".into()).into_json(), m);
    }

    #[test]
    fn describe_shortens() {
        let long = "x".repeat(200);
        assert_eq!(V::Text(long.into()).describe().unwrap().chars().count(), 80);
        assert_eq!(V::Absent.describe(), None);
    }
}
