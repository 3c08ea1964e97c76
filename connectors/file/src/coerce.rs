//! A deserializer over a [`serde_json::Value`] that coerces strings to what the target asks.
//!
//! CSV cells are all text. When the target type asks for a bool (`true`/`false`, `1`/`0`,
//! `yes`/`no`) or an integer, a string is parsed; strings stay strings (a SKU `00123` is never
//! a number); decimals already read strings. A JSON number is accepted where a string is asked
//! (`"sku": 123` reads as `"123"`). Every field the target ignores (not a field of the type) is
//! recorded with its path, so a misspelt CSV column is reported instead of silently dropped.

use std::cell::RefCell;
use std::fmt;

use serde::de::value::StringDeserializer;
use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, Error as _, IntoDeserializer, MapAccess,
    SeqAccess, Unexpected, VariantAccess, Visitor,
};
use serde_json::{Error, Value};

/// Deserializes `T` from `value`, tracking the path of an error with serde_path_to_error.
/// Returns the record and the paths of the fields `T` ignored.
pub(crate) fn from_value<T: de::DeserializeOwned>(
    value: Value,
) -> Result<(T, Vec<String>), serde_path_to_error::Error<Error>> {
    let ignored = RefCell::new(Vec::new());
    let de = Coerce { value, chain: Chain::Root, ignored: &ignored };
    let record = serde_path_to_error::deserialize(de)?;
    Ok((record, ignored.into_inner()))
}

/// Where in the tree a value sits, as a linked list up to the root.
#[derive(Clone, Copy)]
enum Chain<'a> {
    Root,
    Key(&'a Chain<'a>, &'a str),
    Index(&'a Chain<'a>, usize),
}

impl fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Chain::Root => Ok(()),
            Chain::Key(Chain::Root, k) => f.write_str(k),
            Chain::Key(parent, k) => write!(f, "{parent}.{k}"),
            Chain::Index(parent, i) => write!(f, "{parent}[{i}]"),
        }
    }
}

struct Coerce<'a> {
    value: Value,
    chain: Chain<'a>,
    ignored: &'a RefCell<Vec<String>>,
}

fn unexpected(v: &Value) -> Unexpected<'_> {
    match v {
        Value::Null => Unexpected::Unit,
        Value::Bool(b) => Unexpected::Bool(*b),
        Value::Number(_) => Unexpected::Other("number"),
        Value::String(s) => Unexpected::Str(s),
        Value::Array(_) => Unexpected::Seq,
        Value::Object(_) => Unexpected::Map,
    }
}

/// Parses a boolean cell.
pub(crate) fn parse_bool(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "y" => Some(true),
        "false" | "0" | "no" | "n" => Some(false),
        _ => None,
    }
}

macro_rules! coerce_integer {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            match self.value {
                Value::String(s) => visit_integer(&s, visitor),
                Value::Number(n) => n.$method(visitor),
                _ => self.deserialize_any(visitor),
            }
        }
    )*};
}

fn visit_integer<'de, V: Visitor<'de>>(s: &str, visitor: V) -> Result<V::Value, Error> {
    let t = s.trim();
    if let Ok(n) = t.parse::<i64>() {
        visitor.visit_i64(n)
    } else if let Ok(n) = t.parse::<u64>() {
        visitor.visit_u64(n)
    } else if let Ok(n) = t.parse::<i128>() {
        visitor.visit_i128(n)
    } else if let Ok(n) = t.parse::<u128>() {
        visitor.visit_u128(n)
    } else {
        Err(Error::invalid_value(Unexpected::Str(s), &"a whole number"))
    }
}

impl<'de> Deserializer<'de> for Coerce<'_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(b),
            Value::Number(n) => n.deserialize_any(visitor),
            Value::String(s) => visitor.visit_string(s),
            Value::Array(items) => {
                let len = items.len();
                let mut seq = SeqDe {
                    items: items.into_iter(),
                    index: 0,
                    chain: self.chain,
                    ignored: self.ignored,
                };
                let out = visitor.visit_seq(&mut seq)?;
                match seq.items.len() {
                    0 => Ok(out),
                    _ => Err(Error::invalid_length(len, &"fewer elements")),
                }
            }
            Value::Object(map) => visitor.visit_map(MapDe {
                entries: map.into_iter(),
                current: None,
                chain: self.chain,
                ignored: self.ignored,
            }),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match &self.value {
            Value::String(s) => match parse_bool(s) {
                Some(b) => visitor.visit_bool(b),
                None => Err(Error::invalid_value(
                    Unexpected::Str(s),
                    &"true or false (also 1/0, yes/no)",
                )),
            },
            _ => self.deserialize_any(visitor),
        }
    }

    coerce_integer! {
        deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64 deserialize_i128
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 deserialize_u128
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::Number(n) => visitor.visit_string(n.to_string()),
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.value {
            Value::String(s) => visitor.visit_enum(s.into_deserializer()),
            Value::Object(map) if map.len() == 1 => {
                let Some((variant, value)) = map.into_iter().next() else {
                    return Err(Error::custom("an enum object needs exactly one entry"));
                };
                visitor.visit_enum(EnumDe {
                    variant,
                    value,
                    chain: self.chain,
                    ignored: self.ignored,
                })
            }
            other => Err(Error::invalid_type(unexpected(&other), &"a variant name")),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.ignored.borrow_mut().push(self.chain.to_string());
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        f32 f64 char bytes byte_buf unit unit_struct seq tuple tuple_struct map struct
    }
}

struct SeqDe<'a> {
    items: std::vec::IntoIter<Value>,
    index: usize,
    chain: Chain<'a>,
    ignored: &'a RefCell<Vec<String>>,
}

impl<'de> SeqAccess<'de> for SeqDe<'_> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        let Some(value) = self.items.next() else {
            return Ok(None);
        };
        let index = self.index;
        self.index += 1;
        let chain = Chain::Index(&self.chain, index);
        seed.deserialize(Coerce { value, chain, ignored: self.ignored }).map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

struct MapDe<'a> {
    entries: serde_json::map::IntoIter,
    current: Option<(String, Value)>,
    chain: Chain<'a>,
    ignored: &'a RefCell<Vec<String>>,
}

impl<'de> MapAccess<'de> for MapDe<'_> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let Some((key, value)) = self.entries.next() else {
            return Ok(None);
        };
        let key_de =
            Coerce { value: Value::String(key.clone()), chain: Chain::Root, ignored: self.ignored };
        self.current = Some((key, value));
        seed.deserialize(key_de).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let Some((key, value)) = self.current.take() else {
            return Err(Error::custom("a map value was asked before its key"));
        };
        let chain = Chain::Key(&self.chain, &key);
        seed.deserialize(Coerce { value, chain, ignored: self.ignored })
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

struct EnumDe<'a> {
    variant: String,
    value: Value,
    chain: Chain<'a>,
    ignored: &'a RefCell<Vec<String>>,
}

impl<'de, 'a> EnumAccess<'de> for EnumDe<'a> {
    type Error = Error;
    type Variant = VariantDe<'a>;

    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, VariantDe<'a>), Error> {
        let name: StringDeserializer<Error> = self.variant.clone().into_deserializer();
        let tag = seed.deserialize(name)?;
        let variant = VariantDe {
            name: self.variant,
            value: self.value,
            chain: self.chain,
            ignored: self.ignored,
        };
        Ok((tag, variant))
    }
}

struct VariantDe<'a> {
    name: String,
    value: Value,
    chain: Chain<'a>,
    ignored: &'a RefCell<Vec<String>>,
}

impl<'de> VariantAccess<'de> for VariantDe<'_> {
    type Error = Error;

    fn unit_variant(self) -> Result<(), Error> {
        match self.value {
            Value::Null => Ok(()),
            other => Err(Error::invalid_type(unexpected(&other), &"a unit variant")),
        }
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, Error> {
        let chain = Chain::Key(&self.chain, &self.name);
        seed.deserialize(Coerce { value: self.value, chain, ignored: self.ignored })
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, Error> {
        let chain = Chain::Key(&self.chain, &self.name);
        Coerce { value: self.value, chain, ignored: self.ignored }.deserialize_seq(visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        let chain = Chain::Key(&self.chain, &self.name);
        Coerce { value: self.value, chain, ignored: self.ignored }.deserialize_map(visitor)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Deserialize;
    use serde_json::json;

    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Row {
        sku: String,
        #[serde(default)]
        sold: bool,
        #[serde(default)]
        due_days: Option<u32>,
        #[serde(default)]
        delta: Option<i64>,
        #[serde(default)]
        tags: Vec<String>,
        #[serde(default)]
        status: Option<Status>,
        #[serde(default)]
        extra: BTreeMap<String, Value>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "snake_case")]
    enum Status {
        Open,
        Other(String),
        Parked { days: u8 },
    }

    fn read(v: Value) -> Result<(Row, Vec<String>), String> {
        from_value::<Row>(v).map_err(|e| format!("{}: {}", e.path(), e.inner()))
    }

    #[test]
    fn strings_become_bools_and_integers_only_when_asked() {
        let (row, ignored) = read(json!({
            "sku": "00123", "sold": "Yes", "due_days": " 30 ", "delta": "-4",
            "tags": ["007", "x"], "status": "open"
        }))
        .unwrap();
        assert_eq!(row.sku, "00123");
        assert!(row.sold);
        assert_eq!(row.due_days, Some(30));
        assert_eq!(row.delta, Some(-4));
        assert_eq!(row.tags, ["007", "x"]);
        assert_eq!(row.status, Some(Status::Open));
        assert!(ignored.is_empty());
        for (cell, want) in [("0", false), ("FALSE", false), ("1", true), ("no", false)] {
            let (row, _) = read(json!({"sku": "a", "sold": cell})).unwrap();
            assert_eq!(row.sold, want, "{cell}");
        }
    }

    #[test]
    fn json_numbers_and_bools_still_work_and_numbers_read_as_strings() {
        let (row, _) = read(json!({"sku": 123, "sold": true, "due_days": 14})).unwrap();
        assert_eq!((row.sku.as_str(), row.sold, row.due_days), ("123", true, Some(14)));
    }

    #[test]
    fn errors_carry_the_path() {
        let err = read(json!({"sku": "a", "due_days": "30x"})).unwrap_err();
        assert_eq!(err, "due_days: invalid value: string \"30x\", expected a whole number");
        let err = read(json!({"sku": "a", "due_days": "-1"})).unwrap_err();
        assert!(err.starts_with("due_days: invalid value: integer `-1`"), "{err}");
        let err = read(json!({"sku": "a", "sold": "maybe"})).unwrap_err();
        assert!(err.starts_with("sold: invalid value: string \"maybe\""), "{err}");
        let err = read(json!({"sku": "a", "tags": ["x", {"y": "1"}]})).unwrap_err();
        assert!(err.starts_with("tags[1]: invalid type: map"), "{err}");
        let err = read(json!({"sold": "1"})).unwrap_err();
        assert_eq!(err, ".: missing field `sku`");
    }

    #[test]
    fn enums_from_names_and_one_entry_objects() {
        let (row, _) = read(json!({"sku": "a", "status": {"other": "weird"}})).unwrap();
        assert_eq!(row.status, Some(Status::Other("weird".into())));
        let (row, _) = read(json!({"sku": "a", "status": {"parked": {"days": "3"}}})).unwrap();
        assert_eq!(row.status, Some(Status::Parked { days: 3 }));
        let err = read(json!({"sku": "a", "status": {"parked": {"days": "x"}}})).unwrap_err();
        assert!(err.starts_with("status.parked.days: invalid value"), "{err}");
        let err = read(json!({"sku": "a", "status": "shut"})).unwrap_err();
        assert!(err.starts_with("status: unknown variant `shut`"), "{err}");
    }

    #[test]
    fn ignored_fields_are_recorded_with_their_path() {
        #[derive(Debug, Deserialize)]
        struct Outer {
            #[allow(dead_code)]
            inner: Vec<Row>,
        }
        let (_, ignored) = from_value::<Outer>(json!({
            "inner": [{"sku": "a"}, {"sku": "b", "colour": "red", "size": {"x": "1"}}],
            "note": "n"
        }))
        .unwrap();
        assert_eq!(ignored, ["inner[1].colour", "inner[1].size", "note"]);
    }

    #[test]
    fn arbitrary_values_keep_exact_numbers() {
        let v: Value =
            serde_json::from_str(r#"{"sku":"a","extra":{"n":0.10000000000000000001}}"#).unwrap();
        let (row, _) = read(v).unwrap();
        assert_eq!(row.extra["n"].to_string(), "0.10000000000000000001");
    }
}
