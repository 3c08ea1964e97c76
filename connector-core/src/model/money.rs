//! Money and currency codes.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::Error;

/// An ISO 4217 currency code (`EUR`), three upper-case ASCII letters, stored inline.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency([u8; 3]);

impl Currency {
    /// Euro.
    pub const EUR: Currency = Currency(*b"EUR");
    /// US dollar.
    pub const USD: Currency = Currency(*b"USD");
    /// Pound sterling.
    pub const GBP: Currency = Currency(*b"GBP");
    /// South African rand.
    pub const ZAR: Currency = Currency(*b"ZAR");
    /// New Zealand dollar.
    pub const NZD: Currency = Currency(*b"NZD");
    /// Australian dollar.
    pub const AUD: Currency = Currency(*b"AUD");

    /// Parses a code, accepting lower case; rejects anything but three ASCII letters.
    pub fn new(code: &str) -> Result<Self, Error> {
        let b = code.trim().as_bytes();
        if b.len() != 3 || !b.iter().all(u8::is_ascii_alphabetic) {
            return Err(Error::invalid_field(
                "currency",
                format!("{code:?} is not a three-letter ISO 4217 code"),
            ));
        }
        Ok(Currency([
            b[0].to_ascii_uppercase(),
            b[1].to_ascii_uppercase(),
            b[2].to_ascii_uppercase(),
        ]))
    }

    /// The code as a string slice.
    pub fn as_str(&self) -> &str {
        // Constructed only from ASCII letters.
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }
}

impl Default for Currency {
    /// `XXX`, ISO 4217's code for "no currency".
    fn default() -> Self {
        Currency(*b"XXX")
    }
}

impl FromStr for Currency {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Currency::new(s)
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Currency;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a three-letter currency code")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Currency, E> {
                Currency::new(v).map_err(|e| E::custom(e.message()))
            }
        }
        d.deserialize_str(V)
    }
}

/// An amount of money: an exact decimal with its currency. Serialised with the amount as a
/// string (`{"amount":"12.50","currency":"EUR"}`) so no reader passes it through a float.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    /// The amount.
    #[serde(with = "crate::model::decimal_str")]
    pub amount: Decimal,
    /// The currency.
    pub currency: Currency,
}

impl Money {
    /// An amount in a currency.
    pub fn new(amount: Decimal, currency: Currency) -> Self {
        Self { amount, currency }
    }

    /// Adds two amounts of the same currency; `None` when the currencies differ.
    pub fn checked_add(self, other: Money) -> Option<Money> {
        (self.currency == other.currency)
            .then(|| Money::new(self.amount + other.amount, self.currency))
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn currency_parses_and_rejects() {
        assert_eq!(Currency::new("eur").unwrap(), Currency::EUR);
        assert!(Currency::new("EURO").is_err());
        assert!(Currency::new("E1R").is_err());
    }

    #[test]
    fn money_serialises_amount_as_string() {
        let m = Money::new(Decimal::from_str("1234.5600").unwrap(), Currency::EUR);
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(json, r#"{"amount":"1234.5600","currency":"EUR"}"#);
        let back: Money = serde_json::from_str(&json).unwrap();
        assert_eq!(back.amount.to_string(), "1234.5600");
    }

    #[test]
    fn money_reads_json_numbers_exactly() {
        let m: Money =
            serde_json::from_str(r#"{"amount":0.1000000000000000055511,"currency":"USD"}"#)
                .unwrap();
        assert_eq!(m.amount.to_string(), "0.1000000000000000055511");
    }

    #[test]
    fn add_requires_same_currency() {
        let a = Money::new(Decimal::ONE, Currency::EUR);
        assert!(a.checked_add(Money::new(Decimal::ONE, Currency::USD)).is_none());
        assert_eq!(a.checked_add(a).unwrap().amount, Decimal::TWO);
    }
}
