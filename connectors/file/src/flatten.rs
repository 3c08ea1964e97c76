//! Flattens a record's canonical serde shape into dotted `(column, text)` pairs, in the order
//! of the struct's fields: `number`, `name`, `emails.0.address`, `credit_limit.amount`, ...
//!
//! The inverse of the CSV column convention: array elements get their index as a segment,
//! `None` and empty strings give no column, numbers keep their exact text (decimals are
//! strings already; serde_json's arbitrary-precision numbers are unwrapped), unit enum variants
//! are their name and a newtype variant is a segment (`status.other`).

use std::fmt;

use serde::ser::{self, Serialize};

/// The token serde_json uses to carry an arbitrary-precision number through a serializer.
const JSON_NUMBER_TOKEN: &str = "$serde_json::private::Number";

/// Flattens `value` into `(dotted path, text)` pairs.
pub(crate) fn flatten<T: Serialize + ?Sized>(value: &T) -> Result<Vec<(String, String)>, Error> {
    let mut out = Vec::new();
    value.serialize(Flat { out: &mut out, path: String::new() })?;
    Ok(out)
}

/// A value that has no place in a flat row (bytes, a map key that is not text).
#[derive(Debug)]
pub(crate) struct Error(String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl ser::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error(msg.to_string())
    }
}

fn join(prefix: &str, segment: &str) -> String {
    if prefix.is_empty() { segment.to_owned() } else { format!("{prefix}.{segment}") }
}

struct Flat<'a> {
    out: &'a mut Vec<(String, String)>,
    path: String,
}

impl<'a> Flat<'a> {
    fn leaf(self, text: String) -> Result<(), Error> {
        if !text.is_empty() {
            self.out.push((self.path, text));
        }
        Ok(())
    }

    fn compound(self, number: bool) -> Compound<'a> {
        Compound { out: self.out, path: self.path, index: 0, key: None, number }
    }
}

macro_rules! leaf_to_string {
    ($($method:ident: $ty:ty),*) => {$(
        fn $method(self, v: $ty) -> Result<(), Error> {
            self.leaf(v.to_string())
        }
    )*};
}

impl<'a> ser::Serializer for Flat<'a> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Compound<'a>;
    type SerializeTuple = Compound<'a>;
    type SerializeTupleStruct = Compound<'a>;
    type SerializeTupleVariant = Compound<'a>;
    type SerializeMap = Compound<'a>;
    type SerializeStruct = Compound<'a>;
    type SerializeStructVariant = Compound<'a>;

    leaf_to_string! {
        serialize_bool: bool, serialize_i8: i8, serialize_i16: i16, serialize_i32: i32,
        serialize_i64: i64, serialize_i128: i128, serialize_u8: u8, serialize_u16: u16,
        serialize_u32: u32, serialize_u64: u64, serialize_u128: u128, serialize_f32: f32,
        serialize_f64: f64, serialize_char: char
    }

    fn serialize_str(self, v: &str) -> Result<(), Error> {
        self.leaf(v.to_owned())
    }

    fn serialize_bytes(self, _v: &[u8]) -> Result<(), Error> {
        Err(Error(format!("`{}` holds bytes, which have no CSV form", self.path)))
    }

    fn serialize_none(self) -> Result<(), Error> {
        Ok(())
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), Error> {
        Ok(())
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Error> {
        Ok(())
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        self.leaf(variant.to_owned())
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        let path = join(&self.path, variant);
        value.serialize(Flat { out: self.out, path })
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Compound<'a>, Error> {
        Ok(self.compound(false))
    }

    fn serialize_tuple(self, _len: usize) -> Result<Compound<'a>, Error> {
        Ok(self.compound(false))
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Compound<'a>, Error> {
        Ok(self.compound(false))
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a>, Error> {
        let path = join(&self.path, variant);
        Ok(Flat { out: self.out, path }.compound(false))
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Compound<'a>, Error> {
        Ok(self.compound(false))
    }

    fn serialize_struct(self, name: &'static str, _len: usize) -> Result<Compound<'a>, Error> {
        Ok(self.compound(name == JSON_NUMBER_TOKEN))
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a>, Error> {
        let path = join(&self.path, variant);
        Ok(Flat { out: self.out, path }.compound(false))
    }
}

struct Compound<'a> {
    out: &'a mut Vec<(String, String)>,
    path: String,
    index: usize,
    key: Option<String>,
    /// A serde_json number in disguise: its one field is the number's text, at this path.
    number: bool,
}

impl Compound<'_> {
    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        let path = join(&self.path, &self.index.to_string());
        self.index += 1;
        value.serialize(Flat { out: self.out, path })
    }

    fn field<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> Result<(), Error> {
        let path = if self.number { self.path.clone() } else { join(&self.path, key) };
        value.serialize(Flat { out: self.out, path })
    }
}

macro_rules! sequence_like {
    ($($trait:ident :: $method:ident),*) => {$(
        impl ser::$trait for Compound<'_> {
            type Ok = ();
            type Error = Error;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
                self.element(value)
            }
            fn end(self) -> Result<(), Error> {
                Ok(())
            }
        }
    )*};
}

sequence_like! {
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
}

macro_rules! struct_like {
    ($($trait:ident),*) => {$(
        impl ser::$trait for Compound<'_> {
            type Ok = ();
            type Error = Error;
            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                key: &'static str,
                value: &T,
            ) -> Result<(), Error> {
                self.field(key, value)
            }
            fn end(self) -> Result<(), Error> {
                Ok(())
            }
        }
    )*};
}

struct_like! { SerializeStruct, SerializeStructVariant }

impl ser::SerializeMap for Compound<'_> {
    type Ok = ();
    type Error = Error;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        let key = match serde_json::to_value(key).map_err(|e| Error(e.to_string()))? {
            serde_json::Value::String(s) => s,
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::Bool(b) => b.to_string(),
            other => {
                return Err(Error(format!("map key {other} under `{}` is not text", self.path)));
            }
        };
        self.key = Some(key);
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        let key = self.key.take().ok_or_else(|| Error("a map value without a key".into()))?;
        self.field(&key, value)
    }

    fn end(self) -> Result<(), Error> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Serialize;
    use serde_json::json;

    use super::*;

    #[derive(Serialize)]
    #[serde(rename_all = "snake_case")]
    enum Status {
        Open,
        Other(String),
    }

    #[derive(Serialize)]
    struct Line {
        sku: &'static str,
        quantity: &'static str,
    }

    #[derive(Serialize)]
    struct Doc {
        number: &'static str,
        note: Option<&'static str>,
        empty: &'static str,
        status: Status,
        other: Status,
        lines: Vec<Line>,
        due_days: u32,
        paid: bool,
        custom: BTreeMap<&'static str, serde_json::Value>,
    }

    #[test]
    fn flattens_in_field_order_with_indexes() {
        let doc = Doc {
            number: "INV-1",
            note: None,
            empty: "",
            status: Status::Open,
            other: Status::Other("weird".into()),
            lines: vec![Line { sku: "00123", quantity: "1.500" }, Line { sku: "B", quantity: "2" }],
            due_days: 30,
            paid: false,
            custom: BTreeMap::from([
                ("z", serde_json::from_str(r#"{"n": 0.10000000000000000001}"#).unwrap()),
                ("a", json!(1)),
            ]),
        };
        let flat = flatten(&doc).unwrap();
        let got: Vec<(&str, &str)> = flat.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(
            got,
            [
                ("number", "INV-1"),
                ("status", "open"),
                ("other.other", "weird"),
                ("lines.0.sku", "00123"),
                ("lines.0.quantity", "1.500"),
                ("lines.1.sku", "B"),
                ("lines.1.quantity", "2"),
                ("due_days", "30"),
                ("paid", "false"),
                ("custom.a", "1"),
                ("custom.z.n", "0.10000000000000000001"),
            ]
        );
    }
}
