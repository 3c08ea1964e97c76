//! Field values in SuperOffice's `CultureDataFormatter` encoding, both ways: dates
//! `[DT:12/31/2013 23:59:59.0000000]` (month first), numbers `[F:12345.6789]`, integers
//! `[I:12345]`, booleans `[I:1]` / `[I:0]`; strings and list-item keys go as they are.
//! Numbers are exact decimals: nothing passes through a binary float.

use std::str::FromStr;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use rust_decimal::Decimal;

/// A date and time as `[DT:MM/dd/yyyy HH:mm:ss.fffffff]` (UTC; the connector's times are UTC).
pub fn encode_datetime(at: DateTime<Utc>) -> String {
    // .NET's seven fraction digits: ticks of 100 ns.
    let ticks = at.timestamp_subsec_nanos() / 100;
    format!("[DT:{}.{ticks:07}]", at.format("%m/%d/%Y %H:%M:%S"))
}

/// A date as `[DT:MM/dd/yyyy 00:00:00.0000000]`.
pub fn encode_date(date: NaiveDate) -> String {
    encode_datetime(date.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc())
}

/// A decimal as `[F:…]`, with the digits it has (`12.50` stays `12.50`).
pub fn encode_decimal(value: Decimal) -> String {
    format!("[F:{value}]")
}

/// An integer as `[I:…]`.
pub fn encode_int(value: i64) -> String {
    format!("[I:{value}]")
}

/// A boolean as `[I:1]` or `[I:0]`.
pub fn encode_bool(value: bool) -> String {
    encode_int(i64::from(value))
}

/// Why a value could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueError(pub String);

impl std::fmt::Display for ValueError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The payload of `[TAG:payload]`, or the whole text when it is not bracketed.
fn payload<'a>(text: &'a str, tag: &str) -> Result<&'a str, ValueError> {
    let t = text.trim();
    match t.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        Some(inner) => match inner.split_once(':') {
            Some((found, rest)) if found == tag => Ok(rest),
            Some((found, _)) => {
                Err(ValueError(format!("`{t}` is a [{found}:…] value, not [{tag}:…]")))
            }
            None => Err(ValueError(format!("`{t}` is not a [{tag}:…] value"))),
        },
        None => Ok(t),
    }
}

/// Reads `[DT:MM/dd/yyyy HH:mm:ss.fffffff]` (fraction optional), or an ISO 8601 instant.
pub fn parse_datetime(text: &str) -> Result<DateTime<Utc>, ValueError> {
    let p = payload(text, "DT")?;
    for format in ["%m/%d/%Y %H:%M:%S%.f", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y"] {
        if let Ok(at) = NaiveDateTime::parse_from_str(p, format) {
            return Ok(at.and_utc());
        }
        if let Ok(date) = NaiveDate::parse_from_str(p, format) {
            return Ok(date.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc());
        }
    }
    DateTime::parse_from_rfc3339(p).map(|at| at.with_timezone(&Utc)).map_err(|_| {
        ValueError(format!("`{}` is not a date ([DT:MM/dd/yyyy HH:mm:ss])", text.trim()))
    })
}

/// Reads `[F:12345.6789]` (or a plain number) as an exact decimal.
pub fn parse_decimal(text: &str) -> Result<Decimal, ValueError> {
    let p = payload(text, "F").or_else(|_| payload(text, "I"))?;
    Decimal::from_str(p)
        .or_else(|_| Decimal::from_scientific(p))
        .map_err(|_| ValueError(format!("`{}` is not a number ([F:12345.6789])", text.trim())))
}

/// Reads `[I:12345]` (or a plain integer).
pub fn parse_int(text: &str) -> Result<i64, ValueError> {
    let p = payload(text, "I")?;
    p.parse().map_err(|_| ValueError(format!("`{}` is not an integer ([I:12345])", text.trim())))
}

/// Reads `[I:1]` / `[I:0]` (or `true` / `false`).
pub fn parse_bool(text: &str) -> Result<bool, ValueError> {
    let p = payload(text, "I")?;
    match p.trim().to_ascii_lowercase().as_str() {
        "1" | "true" => Ok(true),
        "0" | "false" | "" => Ok(false),
        _ => Err(ValueError(format!("`{}` is not a checkbox value ([I:1] or [I:0])", text.trim()))),
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn dates_go_month_first_with_seven_fraction_digits_and_come_back() {
        let at = Utc.with_ymd_and_hms(2013, 12, 31, 23, 59, 59).unwrap();
        assert_eq!(encode_datetime(at), "[DT:12/31/2013 23:59:59.0000000]");
        assert_eq!(parse_datetime("[DT:12/31/2013 23:59:59.0000000]").unwrap(), at);
        assert_eq!(parse_datetime("[DT:12/31/2013 23:59:59]").unwrap(), at);
        assert_eq!(parse_datetime("2013-12-31T23:59:59Z").unwrap(), at);
        let micro = at + chrono::Duration::microseconds(123_456);
        assert_eq!(parse_datetime(&encode_datetime(micro)).unwrap(), micro);
        assert!(parse_datetime("[DT:31/12/2013 00:00:00]").is_err(), "day first is refused");
        assert!(parse_datetime("[F:1.5]").unwrap_err().0.contains("[F:…]"));
    }

    #[test]
    fn numbers_are_exact_both_ways() {
        let d = Decimal::from_str("12345.6789").unwrap();
        assert_eq!(encode_decimal(d), "[F:12345.6789]");
        assert_eq!(parse_decimal("[F:12345.6789]").unwrap(), d);
        assert_eq!(
            parse_decimal("[F:0.1]").unwrap() + parse_decimal("[F:0.2]").unwrap(),
            Decimal::from_str("0.3").unwrap()
        );
        assert_eq!(encode_decimal(Decimal::from_str("12.50").unwrap()), "[F:12.50]");
        assert_eq!(parse_decimal("[I:7]").unwrap(), Decimal::from(7));
        assert_eq!(parse_decimal("1E+3").unwrap(), Decimal::from(1000));
        assert!(parse_decimal("[F:abc]").is_err());
        assert_eq!((encode_int(-5), parse_int("[I:-5]").unwrap()), ("[I:-5]".to_owned(), -5));
        assert_eq!((encode_bool(true), parse_bool("[I:0]").unwrap()), ("[I:1]".to_owned(), false));
        assert!(parse_bool("[I:2]").is_err());
    }
}
