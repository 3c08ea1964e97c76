//! PostgreSQL errors as the SDK's [`Error`], and the timestamp encoding.

use chrono::{DateTime, Utc};
use connector_core::error::{Error, ErrorKind};

/// A PostgreSQL error as an internal error naming the operation. Only the server's message
/// and SQLSTATE are kept, never its `DETAIL`, which can quote the values of a row (a secret,
/// a payload).
pub(crate) fn pg_error(context: &str, e: &tokio_postgres::Error) -> Error {
    let reason = match e.as_db_error() {
        Some(db) => format!("{} (SQLSTATE {})", db.message(), db.code().code()),
        None => e.to_string(),
    };
    let error = Error::internal(format!("state store (PostgreSQL): {context}: {reason}"));
    // A deadlock or serialization failure (two commits touching the same ledger rows in
    // another order) rolled the transaction back: running it again succeeds.
    if e.code().is_some_and(|c| {
        *c == tokio_postgres::error::SqlState::T_R_DEADLOCK_DETECTED
            || *c == tokio_postgres::error::SqlState::T_R_SERIALIZATION_FAILURE
    }) {
        return error.with_kind(ErrorKind::Transport);
    }
    if e.is_closed() {
        // The connection went away (the server restarted, the network dropped): worth a retry.
        return error.with_kind(ErrorKind::Transport);
    }
    error
}

/// `map_err` adapter naming the operation that failed.
pub(crate) fn pg(context: &'static str) -> impl Fn(tokio_postgres::Error) -> Error {
    move |e| pg_error(context, &e)
}

/// A value read back that the store could not have written.
pub(crate) fn corrupt(what: impl std::fmt::Display) -> Error {
    Error::internal(format!("state store (PostgreSQL): {what}"))
}

/// Unix nanoseconds, how every instant is stored (saturating outside 1677..2262): exact to
/// the nanosecond, which `timestamptz` (microseconds) is not, and ordered as time.
pub(crate) fn nanos(at: &DateTime<Utc>) -> i64 {
    at.timestamp_nanos_opt().unwrap_or(if at.timestamp() < 0 { i64::MIN } else { i64::MAX })
}

/// An instant read back from Unix nanoseconds.
pub(crate) fn from_nanos(n: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_nanos(n)
}

/// A count as the `BIGINT` PostgreSQL takes.
pub(crate) fn to_i64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nanoseconds_round_trip_and_order() {
        let a = DateTime::parse_from_rfc3339("2024-05-01T12:00:00.123456789Z").unwrap().to_utc();
        let b = a + chrono::Duration::nanoseconds(1);
        assert_eq!(from_nanos(nanos(&a)), a);
        assert!(nanos(&a) < nanos(&b));
        let far = DateTime::parse_from_rfc3339("3000-01-01T00:00:00Z").unwrap().to_utc();
        assert_eq!(nanos(&far), i64::MAX);
    }
}
