//! Parsers and formatters for the date and time wire formats of the supported systems
//! (`apis.md` §9.1).
//!
//! | Format | Systems | Function |
//! |---|---|---|
//! | `/Date(1573755038314+0000)/`, `/Date(1573755038314)/` | Xero, Exact Online | [`parse_ms_json`] |
//! | `2024-01-02T03:04:05.000+0000` | Salesforce | [`parse_salesforce`] |
//! | `2024-01-02T03:04:05.1234567Z`, without `Z`, with `+02:00` | Skynamo | [`parse_skynamo`] |
//! | `2024-01-02T03:04:05` in a known offset | Procountor, AccountView | [`parse_naive`] |
//! | `[DT:12/31/2013 23:59:59.0000000]` | SuperOffice | [`parse_superoffice`] |
//! | `Sun, 06 Nov 1994 08:49:37 GMT` | HTTP (`If-Modified-Since`, `Retry-After`) | [`parse_http_date`] |
//! | `2024-01-02`, `2024-01-02T00:00:00` | business dates everywhere | [`parse_date`] |

use chrono::{
    DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Offset, SecondsFormat, TimeZone,
    Utc,
};

use crate::error::{Error, Result};

use super::redact::truncate;

fn bad(what: &str, input: &str) -> Error {
    Error::decode(format!("not a valid {what}: {:?}", truncate(input, 64)))
}

/// Parses an MS-JSON date (`/Date(1573755038314+0000)/`, `/Date(1573755038314)/`,
/// `/Date(-86400000)/`, also with JSON-escaped slashes). The number is milliseconds since
/// the Unix epoch in UTC: the instant. The offset, when present, says where it was local;
/// [`parse_ms_json_date`] uses it for calendar dates.
pub fn parse_ms_json(s: &str) -> Result<DateTime<Utc>> {
    let (millis, _offset) = split_ms_json(s).ok_or_else(|| bad("MS-JSON date", s))?;
    DateTime::from_timestamp_millis(millis).ok_or_else(|| bad("MS-JSON date", s))
}

/// Parses an MS-JSON date whose milliseconds carry wall-clock time in `offset` rather than
/// UTC (Exact Online integrators report division-local times).
pub fn parse_ms_json_local(s: &str, offset: FixedOffset) -> Result<DateTime<Utc>> {
    let naive = parse_ms_json(s)?.naive_utc();
    offset
        .from_local_datetime(&naive)
        .single()
        .map(|d| d.with_timezone(&Utc))
        .ok_or_else(|| bad("MS-JSON date", s))
}

/// The calendar date of an MS-JSON date in its own offset: Xero's "Dates and Timestamps"
/// page says to add the offset to the milliseconds (`/Date(1419937200000+1300)/`, 11:00 UTC
/// on 30 December, is 31 December there). Without an offset, the UTC date.
pub fn parse_ms_json_date(s: &str) -> Result<NaiveDate> {
    let (millis, offset) = split_ms_json(s).ok_or_else(|| bad("MS-JSON date", s))?;
    let at = DateTime::from_timestamp_millis(millis).ok_or_else(|| bad("MS-JSON date", s))?;
    let Some(offset) = offset else { return Ok(at.date_naive()) };
    let sign = if offset.starts_with('-') { -1 } else { 1 };
    let hours: i32 = offset[1..3].parse().map_err(|_| bad("MS-JSON date", s))?;
    let minutes: i32 = offset[3..5].parse().map_err(|_| bad("MS-JSON date", s))?;
    let zone = FixedOffset::east_opt(sign * (hours * 3600 + minutes * 60))
        .ok_or_else(|| bad("MS-JSON date", s))?;
    Ok(at.with_timezone(&zone).date_naive())
}

/// Formats an instant as `/Date(1573755038314+0000)/`.
pub fn format_ms_json(at: DateTime<Utc>) -> String {
    format!("/Date({}+0000)/", at.timestamp_millis())
}

fn split_ms_json(s: &str) -> Option<(i64, Option<&str>)> {
    let s = s.trim().trim_matches('"');
    let s = s.strip_prefix("\\/").or_else(|| s.strip_prefix('/'))?;
    let s = s.strip_suffix(")\\/").or_else(|| s.strip_suffix(")/"))?;
    let inner = s.strip_prefix("Date(")?;
    let digits_start = usize::from(inner.starts_with('-'));
    let end = inner[digits_start..]
        .find(|c: char| !c.is_ascii_digit())
        .map_or(inner.len(), |i| i + digits_start);
    let (number, rest) = inner.split_at(end);
    let millis = number.parse::<i64>().ok()?;
    if rest.is_empty() {
        return Some((millis, None));
    }
    let valid_offset = rest.len() == 5
        && rest.starts_with(['+', '-'])
        && rest[1..].bytes().all(|b| b.is_ascii_digit());
    valid_offset.then_some((millis, Some(rest)))
}

/// Parses a Salesforce datetime (`2024-01-02T03:04:05.000+0000`: the offset has no
/// colon); RFC 3339 forms (`Z`, `+00:00`) are accepted too.
pub fn parse_salesforce(s: &str) -> Result<DateTime<Utc>> {
    parse_with_offset(s).ok_or_else(|| bad("Salesforce datetime", s))
}

/// Formats an instant the way Salesforce writes it: `2024-01-02T03:04:05.000+0000`.
pub fn format_salesforce(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.3f+0000").to_string()
}

/// Parses a Skynamo timestamp: seven fractional digits, with `Z`, with an offset
/// (`+02:00`), or without a zone (then UTC).
pub fn parse_skynamo(s: &str) -> Result<DateTime<Utc>> {
    parse_with_offset(s)
        .or_else(|| parse_naive_datetime(s).map(|n| n.and_utc()))
        .ok_or_else(|| bad("Skynamo timestamp", s))
}

fn parse_with_offset(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    DateTime::parse_from_rfc3339(s)
        .or_else(|_| DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f%z"))
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

fn parse_naive_datetime(s: &str) -> Option<NaiveDateTime> {
    let s = s.trim();
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f"))
        .ok()
}

/// Parses a zone-less `YYYY-MM-DDTHH:MM:SS` (optionally with a fraction) as wall-clock time
/// in `offset` (Procountor, AccountView).
pub fn parse_naive(s: &str, offset: FixedOffset) -> Result<DateTime<Utc>> {
    let naive = parse_naive_datetime(s).ok_or_else(|| bad("date-time (YYYY-MM-DDTHH:MM:SS)", s))?;
    offset
        .from_local_datetime(&naive)
        .single()
        .map(|d| d.with_timezone(&Utc))
        .ok_or_else(|| bad("date-time (YYYY-MM-DDTHH:MM:SS)", s))
}

/// Parses a zone-less `YYYY-MM-DDTHH:MM:SS` as UTC.
pub fn parse_naive_utc(s: &str) -> Result<DateTime<Utc>> {
    parse_naive(s, Utc.fix())
}

/// Formats an instant as zone-less `YYYY-MM-DDTHH:MM:SS` in `offset` (Procountor's
/// `versionStartDate`).
pub fn format_naive(at: DateTime<Utc>, offset: FixedOffset) -> String {
    at.with_timezone(&offset).format("%Y-%m-%dT%H:%M:%S").to_string()
}

/// Parses a SuperOffice `CultureDataFormatter` date: `[DT:12/31/2013 23:59:59.0000000]`
/// (US month/day order, no zone).
pub fn parse_superoffice(s: &str) -> Result<NaiveDateTime> {
    let inner = s
        .trim()
        .strip_prefix("[DT:")
        .and_then(|r| r.strip_suffix(']'))
        .ok_or_else(|| bad("SuperOffice date ([DT:MM/dd/yyyy HH:mm:ss.fffffff])", s))?;
    NaiveDateTime::parse_from_str(inner, "%m/%d/%Y %H:%M:%S%.f")
        .map_err(|_| bad("SuperOffice date ([DT:MM/dd/yyyy HH:mm:ss.fffffff])", s))
}

/// Formats a wall-clock time as SuperOffice does: `[DT:12/31/2013 23:59:59.0000000]`.
pub fn format_superoffice(at: NaiveDateTime) -> String {
    let ticks = at.and_utc().timestamp_subsec_nanos() / 100;
    format!("[DT:{}.{ticks:07}]", at.format("%m/%d/%Y %H:%M:%S"))
}

/// Parses an HTTP-date: IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), and the obsolete
/// RFC 850 and asctime forms that RFC 7231 asks recipients to accept.
pub fn parse_http_date(s: &str) -> Result<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(d) = DateTime::parse_from_rfc2822(s) {
        return Ok(d.with_timezone(&Utc));
    }
    NaiveDateTime::parse_from_str(s, "%A, %d-%b-%y %H:%M:%S GMT")
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%a %b %e %H:%M:%S %Y"))
        .map(|n| n.and_utc())
        .map_err(|_| bad("HTTP-date", s))
}

/// Formats an instant as an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), for
/// `If-Modified-Since` (Xero).
pub fn format_http_date(at: DateTime<Utc>) -> String {
    at.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// Formats an instant as RFC 3339 with milliseconds and `Z`.
pub fn format_rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Parses a business date: `YYYY-MM-DD`, `YYYY-MM-DDT00:00:00` (a midnight, optionally with
/// a zero fraction), or an MS-JSON date (Xero's `x-is-msdate` fields, taken in UTC).
/// A time other than midnight is refused: that is an instant, not a date.
pub fn parse_date(s: &str) -> Result<NaiveDate> {
    let t = s.trim();
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return Ok(d);
    }
    if t.starts_with('/') || t.starts_with("\\/") {
        return parse_ms_json_date(t).map_err(|_| bad("date", s));
    }
    match parse_naive_datetime(t) {
        Some(n) if n.time() == NaiveTime::MIN => Ok(n.date()),
        _ => Err(bad("date (YYYY-MM-DD)", s)),
    }
}

/// Parses an instant in any of the formats above, trying MS-JSON, RFC 3339 and offsets
/// without a colon, zone-less date-times (as UTC) and HTTP-dates, in that order.
pub fn parse_instant(s: &str) -> Result<DateTime<Utc>> {
    let t = s.trim();
    if t.starts_with('/') || t.starts_with("\\/") {
        return parse_ms_json(t);
    }
    parse_with_offset(t)
        .or_else(|| parse_naive_datetime(t).map(|n| n.and_utc()))
        .or_else(|| parse_http_date(t).ok())
        .ok_or_else(|| bad("date-time", s))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn ms_json_dates_are_read_in_their_offset() {
        let d = |s: &str| parse_ms_json_date(s).unwrap().to_string();
        assert_eq!(d("/Date(1419937200000+1300)/"), "2014-12-31");
        assert_eq!(d("/Date(1419937200000+0000)/"), "2014-12-30");
        assert_eq!(d("/Date(1419937200000-1130)/"), "2014-12-29");
        assert_eq!(d("/Date(1419937200000)/"), "2014-12-30");
        assert_eq!(parse_date("/Date(1419937200000+1300)/").unwrap().to_string(), "2014-12-31");
        // The instant stays the instant.
        assert_eq!(
            parse_ms_json("/Date(1419937200000+1300)/").unwrap().to_rfc3339(),
            "2014-12-30T11:00:00+00:00"
        );
    }

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn ms_json() {
        assert_eq!(
            parse_ms_json("/Date(1573755038314+0000)/").unwrap(),
            utc("2019-11-14T18:10:38.314Z")
        );
        assert_eq!(
            parse_ms_json("/Date(1573755038314)/").unwrap(),
            utc("2019-11-14T18:10:38.314Z")
        );
        assert_eq!(
            parse_ms_json("/Date(1573755038314-0800)/").unwrap(),
            utc("2019-11-14T18:10:38.314Z")
        );
        assert_eq!(parse_ms_json("\\/Date(0+0000)\\/").unwrap(), utc("1970-01-01T00:00:00Z"));
        assert_eq!(parse_ms_json("/Date(-86400000)/").unwrap(), utc("1969-12-31T00:00:00Z"));
        let at = utc("2024-05-06T07:08:09.123Z");
        assert_eq!(parse_ms_json(&format_ms_json(at)).unwrap(), at);
        for b in
            ["", "/Date()/", "/Date(12a)/", "Date(1)", "/Date(1+00)/", "/Date(1)", "1573755038314"]
        {
            let e = parse_ms_json(b).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Decode, "{b}");
        }
        let local =
            parse_ms_json_local("/Date(1641034800000)/", FixedOffset::east_opt(3600).unwrap())
                .unwrap();
        assert_eq!(local, utc("2022-01-01T10:00:00Z"));
    }

    #[test]
    fn salesforce() {
        assert_eq!(
            parse_salesforce("2024-01-02T03:04:05.000+0000").unwrap(),
            utc("2024-01-02T03:04:05Z")
        );
        assert_eq!(
            parse_salesforce("2013-05-20T20:49:32.000-0700").unwrap(),
            utc("2013-05-21T03:49:32Z")
        );
        assert_eq!(parse_salesforce("2024-01-02T03:04:05Z").unwrap(), utc("2024-01-02T03:04:05Z"));
        assert_eq!(
            format_salesforce(utc("2024-01-02T03:04:05.5Z")),
            "2024-01-02T03:04:05.500+0000"
        );
        assert!(parse_salesforce("2024-01-02 03:04").is_err());
        assert!(parse_salesforce("2024-01-02T03:04:05").is_err());
    }

    #[test]
    fn skynamo() {
        let want = DateTime::parse_from_rfc3339("2024-01-02T03:04:05.1234567Z").unwrap();
        assert_eq!(parse_skynamo("2024-01-02T03:04:05.1234567Z").unwrap(), want);
        assert_eq!(parse_skynamo("2024-01-02T03:04:05.1234567").unwrap(), want);
        assert_eq!(
            parse_skynamo("2026-01-01T00:00:00.0000000+02:00").unwrap(),
            utc("2025-12-31T22:00:00Z")
        );
        assert!(parse_skynamo("01/02/2024").is_err());
        assert!(parse_skynamo("2024-13-02T03:04:05.1234567Z").is_err());
    }

    #[test]
    fn naive() {
        let helsinki = FixedOffset::east_opt(2 * 3600).unwrap();
        assert_eq!(
            parse_naive("2024-01-02T03:04:05", helsinki).unwrap(),
            utc("2024-01-02T01:04:05Z")
        );
        assert_eq!(parse_naive_utc("2024-01-02T03:04:05").unwrap(), utc("2024-01-02T03:04:05Z"));
        assert_eq!(
            parse_naive_utc("2024-01-02T03:04:05.250").unwrap(),
            utc("2024-01-02T03:04:05.25Z")
        );
        assert_eq!(format_naive(utc("2024-01-02T01:04:05Z"), helsinki), "2024-01-02T03:04:05");
        assert!(parse_naive_utc("2024-01-02").is_err());
        assert!(parse_naive_utc("2024-01-02T25:00:00").is_err());
        assert!(parse_naive_utc("").is_err());
    }

    #[test]
    fn superoffice() {
        let n = parse_superoffice("[DT:12/31/2013 23:59:59.0000000]").unwrap();
        assert_eq!(
            n,
            NaiveDate::from_ymd_opt(2013, 12, 31).unwrap().and_hms_opt(23, 59, 59).unwrap()
        );
        let frac = parse_superoffice("[DT:01/02/2024 03:04:05.1234567]").unwrap();
        assert_eq!(format_superoffice(frac), "[DT:01/02/2024 03:04:05.1234567]");
        assert_eq!(format_superoffice(n), "[DT:12/31/2013 23:59:59.0000000]");
        assert!(parse_superoffice("[DT:31/12/2013 23:59:59.0000000]").is_err());
        assert!(parse_superoffice("12/31/2013 23:59:59").is_err());
        assert!(parse_superoffice("[I:1]").is_err());
    }

    #[test]
    fn http_date() {
        let at = utc("1994-11-06T08:49:37Z");
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").unwrap(), at);
        assert_eq!(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT").unwrap(), at);
        assert_eq!(parse_http_date("Sun Nov  6 08:49:37 1994").unwrap(), at);
        assert_eq!(format_http_date(at), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert!(parse_http_date("yesterday").is_err());
        assert!(parse_http_date("2024-01-02").is_err());
    }

    #[test]
    fn dates() {
        let d = NaiveDate::from_ymd_opt(2024, 1, 2).unwrap();
        assert_eq!(parse_date("2024-01-02").unwrap(), d);
        assert_eq!(parse_date("2024-01-02T00:00:00").unwrap(), d);
        assert_eq!(parse_date("2024-01-02T00:00:00.000").unwrap(), d);
        assert_eq!(parse_date("/Date(1704153600000+0000)/").unwrap(), d);
        assert!(parse_date("2024-01-02T10:00:00").is_err());
        assert!(parse_date("2024-02-30").is_err());
        assert!(parse_date("02.01.2024").is_err());
    }

    #[test]
    fn instants() {
        let at = utc("2024-01-02T03:04:05Z");
        for s in [
            "/Date(1704164645000)/",
            "2024-01-02T03:04:05Z",
            "2024-01-02T03:04:05.000+0000",
            "2024-01-02T03:04:05",
            "Tue, 02 Jan 2024 03:04:05 GMT",
        ] {
            assert_eq!(parse_instant(s).unwrap(), at, "{s}");
        }
        assert_eq!(format_rfc3339(at), "2024-01-02T03:04:05.000Z");
        assert!(parse_instant("not a date").is_err());
    }
}
