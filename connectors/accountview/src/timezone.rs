//! AccountView's times are local wall-clock times without a zone (`2024-05-01T10:00:00`):
//! the company's, which for a Dutch administration is Europe/Amsterdam. [`TimeZone`] turns
//! them into instants and back (for `Filter` literals), with the European Union's summer
//! time rule (since 1996: from 01:00 UTC on the last Sunday of March to 01:00 UTC on the
//! last Sunday of October), so no time-zone database is needed.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Utc, Weekday};
use connector_core::Error;

/// The zone AccountView's times are in: the setting `timezone`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum TimeZone {
    /// Central European Time with the EU's summer time (Europe/Amsterdam, Brussels, Berlin,
    /// Paris, Luxembourg…): UTC+1, UTC+2 in summer. The default.
    #[default]
    CentralEurope,
    /// Times are UTC.
    Utc,
}

/// The zone names the setting takes for [`TimeZone::CentralEurope`].
const CENTRAL_EUROPE: &[&str] = &[
    "Europe/Amsterdam",
    "Europe/Brussels",
    "Europe/Luxembourg",
    "Europe/Berlin",
    "Europe/Paris",
    "CET",
];

/// The last Sunday of `month` in `year`, at 01:00 UTC.
fn last_sunday_at_one(year: i32, month: u32) -> DateTime<Utc> {
    let first_of_next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    }
    .unwrap_or_default();
    let last = first_of_next - Duration::days(1);
    let back = last.weekday().num_days_from_sunday();
    let sunday = last - Duration::days(i64::from(back));
    debug_assert_eq!(sunday.weekday(), Weekday::Sun);
    sunday.and_hms_opt(1, 0, 0).unwrap_or_default().and_utc()
}

fn summer(at: DateTime<Utc>) -> bool {
    let y = at.year();
    at >= last_sunday_at_one(y, 3) && at < last_sunday_at_one(y, 10)
}

impl TimeZone {
    /// The zone a setting names (`Europe/Amsterdam`, `UTC`…).
    pub fn parse(name: &str) -> Result<Self, Error> {
        let n = name.trim();
        if n.eq_ignore_ascii_case("UTC") || n.eq_ignore_ascii_case("Etc/UTC") {
            Ok(Self::Utc)
        } else if CENTRAL_EUROPE.iter().any(|z| z.eq_ignore_ascii_case(n)) {
            Ok(Self::CentralEurope)
        } else {
            Err(Error::config(format!(
                "accountview settings: timezone `{n}` is not one this connector knows; it takes \
                 UTC or {}",
                CENTRAL_EUROPE.join(", ")
            )))
        }
    }

    /// The instant of a local time. A time the clock skips in spring is read as standard
    /// time; one it passes twice in autumn as the first (summer-time) pass.
    pub fn to_utc(self, local: NaiveDateTime) -> DateTime<Utc> {
        match self {
            Self::Utc => local.and_utc(),
            Self::CentralEurope => {
                let as_summer = (local - Duration::hours(2)).and_utc();
                if summer(as_summer) { as_summer } else { (local - Duration::hours(1)).and_utc() }
            }
        }
    }

    /// The local time of an instant.
    pub fn to_local(self, at: DateTime<Utc>) -> NaiveDateTime {
        match self {
            Self::Utc => at.naive_utc(),
            Self::CentralEurope => {
                let offset = if summer(at) { 2 } else { 1 };
                (at + Duration::hours(offset)).naive_utc()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S").unwrap()
    }

    #[test]
    fn amsterdam_times_become_instants_and_back() {
        let z = TimeZone::CentralEurope;
        assert_eq!(
            z.to_utc(local("2024-01-15T12:00:00")).to_rfc3339(),
            "2024-01-15T11:00:00+00:00"
        );
        assert_eq!(
            z.to_utc(local("2024-07-15T12:00:00")).to_rfc3339(),
            "2024-07-15T10:00:00+00:00"
        );
        // 2024: summer time from 31 March 01:00 UTC to 27 October 01:00 UTC.
        assert_eq!(
            z.to_utc(local("2024-03-31T01:59:59")).to_rfc3339(),
            "2024-03-31T00:59:59+00:00"
        );
        assert_eq!(
            z.to_utc(local("2024-03-31T03:00:00")).to_rfc3339(),
            "2024-03-31T01:00:00+00:00"
        );
        assert_eq!(
            z.to_utc(local("2024-10-27T02:30:00")).to_rfc3339(),
            "2024-10-27T00:30:00+00:00"
        );
        assert_eq!(
            z.to_utc(local("2024-10-27T03:30:00")).to_rfc3339(),
            "2024-10-27T02:30:00+00:00"
        );
        for s in ["2024-01-15T12:00:00", "2024-07-15T12:00:00", "2024-10-27T03:30:00"] {
            assert_eq!(z.to_local(z.to_utc(local(s))), local(s), "{s}");
        }
        assert_eq!(
            TimeZone::Utc.to_utc(local("2024-07-15T12:00:00")).to_rfc3339(),
            "2024-07-15T12:00:00+00:00"
        );
    }

    #[test]
    fn zone_names() {
        assert_eq!(TimeZone::parse("europe/amsterdam").unwrap(), TimeZone::CentralEurope);
        assert_eq!(TimeZone::parse("UTC").unwrap(), TimeZone::Utc);
        let e = TimeZone::parse("America/New_York").unwrap_err();
        assert!(e.to_string().contains("Europe/Amsterdam"), "{e}");
    }
}
