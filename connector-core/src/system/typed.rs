//! Typed settings from text options: [`read_settings`] fills any `Deserialize` settings struct
//! from `key = value` text (a flow file's options, `--option`, `CONNECTOR_<SYSTEM>_<KEY>`),
//! parsing each value as its field needs, and [`setting_keys`] names a struct's keys.

use serde::de::value::{Error as ValueError, MapDeserializer, SeqDeserializer};
use serde::de::{self, DeserializeOwned, Error as _, IntoDeserializer, Unexpected, Visitor};
use serde::forward_to_deserialize_any;

use super::Options;
use super::settings::is_simulator_key;
use crate::error::{Error, Result};

/// The settings of `system` from text options. Numbers are parsed, booleans are `true`,
/// `false`, `yes`, `no`, `on`, `off`, `1` or `0`, a list is comma-separated, and an empty value
/// is an absent `Option`. With `#[serde(deny_unknown_fields)]` on `T`, a key it lacks is an
/// error naming the known ones. Simulator keys (`sim_*`) are left out.
pub fn read_settings<T: DeserializeOwned>(system: &str, options: &Options) -> Result<T> {
    let pairs = options
        .iter()
        .filter(|(k, _)| !is_simulator_key(k))
        .map(|(k, v)| (k.as_str(), Text(v.as_str())));
    T::deserialize(MapDeserializer::new(pairs))
        .map_err(|e: ValueError| Error::config(format!("{system} settings: {e}")))
}

/// The keys of a settings struct, in declaration order (for checking a system's declared
/// settings against its struct).
pub fn setting_keys<T: DeserializeOwned>() -> Vec<&'static str> {
    let mut keys = Vec::new();
    let _ = T::deserialize(Probe(&mut keys));
    keys
}

/// One option's text, read as whatever the field wants.
struct Text<'a>(&'a str);

impl<'de> IntoDeserializer<'de, ValueError> for Text<'_> {
    type Deserializer = Self;
    fn into_deserializer(self) -> Self {
        self
    }
}

macro_rules! parse_number {
    ($($method:ident => $visit:ident),* $(,)?) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> std::result::Result<V::Value, ValueError> {
                match self.0.trim().parse() {
                    Ok(n) => visitor.$visit(n),
                    Err(_) => Err(ValueError::invalid_value(Unexpected::Str(self.0), &visitor)),
                }
            }
        )*
    };
}

impl<'de> de::Deserializer<'de> for Text<'_> {
    type Error = ValueError;

    fn deserialize_any<V: Visitor<'de>>(
        self,
        visitor: V,
    ) -> std::result::Result<V::Value, ValueError> {
        visitor.visit_str(self.0)
    }

    fn deserialize_bool<V: Visitor<'de>>(
        self,
        visitor: V,
    ) -> std::result::Result<V::Value, ValueError> {
        match self.0.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" | "1" => visitor.visit_bool(true),
            "false" | "no" | "off" | "0" => visitor.visit_bool(false),
            _ => Err(ValueError::invalid_value(Unexpected::Str(self.0), &visitor)),
        }
    }

    parse_number!(
        deserialize_u8 => visit_u8, deserialize_u16 => visit_u16, deserialize_u32 => visit_u32,
        deserialize_u64 => visit_u64, deserialize_i8 => visit_i8, deserialize_i16 => visit_i16,
        deserialize_i32 => visit_i32, deserialize_i64 => visit_i64, deserialize_f32 => visit_f32,
        deserialize_f64 => visit_f64,
    );

    fn deserialize_option<V: Visitor<'de>>(
        self,
        visitor: V,
    ) -> std::result::Result<V::Value, ValueError> {
        if self.0.trim().is_empty() { visitor.visit_none() } else { visitor.visit_some(self) }
    }

    fn deserialize_seq<V: Visitor<'de>>(
        self,
        visitor: V,
    ) -> std::result::Result<V::Value, ValueError> {
        let items = self.0.split(',').map(str::trim).filter(|s| !s.is_empty()).map(Text);
        visitor.visit_seq(SeqDeserializer::new(items))
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> std::result::Result<V::Value, ValueError> {
        visitor.visit_newtype_struct(self)
    }

    /// A unit variant by its name (`sales_invoice`).
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> std::result::Result<V::Value, ValueError> {
        visitor.visit_enum(IntoDeserializer::<ValueError>::into_deserializer(self.0.trim()))
    }

    forward_to_deserialize_any! {
        char str string bytes byte_buf unit unit_struct tuple tuple_struct map struct
        identifier ignored_any
    }
}

/// A deserializer that only notes the field names a struct asks for.
struct Probe<'k>(&'k mut Vec<&'static str>);

impl<'de> de::Deserializer<'de> for Probe<'_> {
    type Error = ValueError;

    fn deserialize_any<V: Visitor<'de>>(
        self,
        _visitor: V,
    ) -> std::result::Result<V::Value, ValueError> {
        Err(ValueError::custom("not a struct"))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> std::result::Result<V::Value, ValueError> {
        self.0.extend_from_slice(fields);
        Err(ValueError::custom("probed"))
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

#[cfg(test)]
mod tests {
    use secrecy::{ExposeSecret, SecretString};
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Target {
        SalesOrder,
        SalesInvoice,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Demo {
        client_id: String,
        secret: SecretString,
        #[serde(default)]
        page_size: Option<u32>,
        #[serde(default)]
        strict: bool,
        #[serde(default)]
        follow_up: Vec<String>,
        #[serde(default)]
        target: Option<Target>,
        #[serde(default)]
        division: Option<i64>,
    }

    fn options(pairs: &[(&str, &str)]) -> Options {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn text_options_fill_typed_fields() {
        let d: Demo = read_settings(
            "demo",
            &options(&[
                ("client_id", "app"),
                ("secret", "s3cret"),
                ("page_size", " 500 "),
                ("strict", "yes"),
                ("follow_up", "approve, send"),
                ("target", "sales_invoice"),
                ("division", ""),
                ("sim_items", "10"),
            ]),
        )
        .unwrap();
        assert_eq!((d.client_id.as_str(), d.page_size, d.strict), ("app", Some(500), true));
        assert_eq!(d.secret.expose_secret(), "s3cret");
        assert_eq!(d.follow_up, ["approve", "send"]);
        assert!(matches!(d.target, Some(Target::SalesInvoice)));
        assert_eq!(d.division, None);
        let _ = Target::SalesOrder;
    }

    #[test]
    fn misspelt_missing_and_malformed_settings_are_named() {
        let err = read_settings::<Demo>(
            "demo",
            &options(&[("client_id", "a"), ("secret", "s"), ("pagesize", "5")]),
        )
        .unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Config);
        assert!(err.message().contains("unknown field `pagesize`, expected one of"), "{err}");
        let err = read_settings::<Demo>("demo", &options(&[("client_id", "a")])).unwrap_err();
        assert!(err.message().contains("missing field `secret`"), "{err}");
        let err = read_settings::<Demo>(
            "demo",
            &options(&[("client_id", "a"), ("secret", "s"), ("page_size", "many")]),
        )
        .unwrap_err();
        assert!(err.message().contains("invalid value: string \"many\""), "{err}");
    }

    #[test]
    fn a_structs_keys_are_named_in_order() {
        assert_eq!(
            setting_keys::<Demo>(),
            ["client_id", "secret", "page_size", "strict", "follow_up", "target", "division"]
        );
    }
}
