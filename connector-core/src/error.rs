//! The one error type of the SDK.
//!
//! Every failure carries an [`ErrorKind`], the connector and operation that failed, the HTTP
//! status where there was one, and a [`RetryClass`]. HTTP statuses are mapped to kinds once,
//! here, by [`ErrorKind::from_status`]; connectors refine the kind from the error body.
//! Messages name the record and the field at fault. No secret ever appears in an error: the
//! HTTP layer redacts headers and query values before they reach a message.

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Result alias used throughout the SDK.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong, in the words a caller branches on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorKind {
    /// The configuration is missing a value or holds a wrong one.
    Config,
    /// The credentials were refused (HTTP 401) or could not be refreshed.
    Auth,
    /// The credentials are valid but lack a permission (HTTP 403).
    Permission,
    /// The addressed record or endpoint does not exist (HTTP 404).
    NotFound,
    /// The write conflicts with the current state (HTTP 409/412, a stale version).
    Conflict,
    /// The input was refused as invalid; see [`Error::field_errors`].
    InvalidInput,
    /// The server asked us to slow down (HTTP 429); see [`Error::retry_after`].
    RateLimited,
    /// A daily or other long-window budget is spent; see [`Error::budget_refills_at`].
    BudgetExhausted,
    /// An attempt or the whole call ran past its time limit.
    Timeout,
    /// The connection failed or was dropped.
    Transport,
    /// A body could not be decoded into the expected shape.
    Decode,
    /// The server failed (HTTP 5xx or an unexpected status).
    Upstream,
    /// A write may or may not have happened; look the record up before retrying it.
    UncertainWrite,
    /// The operation is not supported by this connector.
    Unsupported,
    /// A local failure: the state store, the file system, a bug.
    Internal,
}

impl ErrorKind {
    /// Maps an HTTP status to a kind. The only place in the SDK that does so.
    pub fn from_status(status: u16) -> Self {
        match status {
            400 | 422 => ErrorKind::InvalidInput,
            401 => ErrorKind::Auth,
            403 => ErrorKind::Permission,
            404 | 410 => ErrorKind::NotFound,
            408 => ErrorKind::Timeout,
            409 | 412 => ErrorKind::Conflict,
            429 => ErrorKind::RateLimited,
            405 | 501 => ErrorKind::Unsupported,
            _ if (400..500).contains(&status) => ErrorKind::InvalidInput,
            _ => ErrorKind::Upstream,
        }
    }

    /// The default retry class of this kind.
    pub fn retry_class(self) -> RetryClass {
        match self {
            ErrorKind::RateLimited => RetryClass::Always,
            ErrorKind::Timeout | ErrorKind::Transport | ErrorKind::Upstream => {
                RetryClass::IfIdempotent
            }
            ErrorKind::Decode => RetryClass::IfIdempotent,
            _ => RetryClass::Never,
        }
    }

    /// A short, stable, lower-case name (`rate_limited`).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Config => "config",
            ErrorKind::Auth => "auth",
            ErrorKind::Permission => "permission",
            ErrorKind::NotFound => "not_found",
            ErrorKind::Conflict => "conflict",
            ErrorKind::InvalidInput => "invalid_input",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::BudgetExhausted => "budget_exhausted",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Transport => "transport",
            ErrorKind::Decode => "decode",
            ErrorKind::Upstream => "upstream",
            ErrorKind::UncertainWrite => "uncertain_write",
            ErrorKind::Unsupported => "unsupported",
            ErrorKind::Internal => "internal",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether a failed call may be sent again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RetryClass {
    /// Retry (after the advised delay): the server did not act on the request.
    Always,
    /// Retry only when the request is idempotent (a read, or a write with an idempotency key).
    IfIdempotent,
    /// Never retry.
    Never,
}

/// One field-level problem, as a server or a validator reported it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// The field's path (`lines[2].quantity`, `email`).
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

impl FieldError {
    /// A field error.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// The SDK's error. Boxed (one pointer wide), cheap to clone; carries no secret.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Error(Box<Inner>);

#[derive(Clone, PartialEq, Serialize, Deserialize)]
struct Inner {
    kind: ErrorKind,
    message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    connector: Option<Cow<'static, str>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    operation: Option<Cow<'static, str>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    record: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    field_errors: Vec<FieldError>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "opt_duration_ms")]
    retry_after: Option<Duration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    budget_refills_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    retry_class: Option<RetryClass>,
    /// The lower-level error behind this one: given by [`std::error::Error::source`], neither
    /// stored (a quarantined error keeps its text) nor compared.
    #[serde(skip)]
    cause: Cause,
}

/// A lower-level error kept for [`std::error::Error::source`], if any.
#[derive(Clone, Default)]
struct Cause(Option<std::sync::Arc<dyn std::error::Error + Send + Sync>>);

impl PartialEq for Cause {
    /// Errors compare by what they say; where they came from does not count.
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Error {
    /// A new error of `kind` with a message.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self(Box::new(Inner {
            kind,
            message: message.into(),
            connector: None,
            operation: None,
            status: None,
            record: None,
            field_errors: Vec::new(),
            retry_after: None,
            budget_refills_at: None,
            retry_class: None,
            cause: Cause::default(),
        }))
    }

    /// Keeps the lower-level error this one came from, for [`std::error::Error::source`].
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.0.cause = Cause(Some(std::sync::Arc::new(source)));
        self
    }

    /// An error for an HTTP status, its kind mapped by [`ErrorKind::from_status`].
    pub fn from_status(status: u16, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::from_status(status), message).with_status(status)
    }

    /// A configuration error.
    pub fn config(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Config, message)
    }

    /// An invalid-input error naming one field.
    pub fn invalid_field(field: impl Into<String>, message: impl Into<String>) -> Self {
        let fe = FieldError::new(field, message);
        Self::new(ErrorKind::InvalidInput, fe.to_string()).with_field_errors(vec![fe])
    }

    /// A decoding error.
    pub fn decode(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Decode, message)
    }

    /// A local, internal error.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Internal, message)
    }

    /// An unsupported-operation error.
    pub fn unsupported(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Unsupported, message)
    }

    /// Names the connector (`xero`).
    pub fn with_connector(mut self, connector: impl Into<Cow<'static, str>>) -> Self {
        self.0.connector = Some(connector.into());
        self
    }

    /// Names the operation (`GET /Contacts`, `write customers`).
    pub fn with_operation(mut self, operation: impl Into<Cow<'static, str>>) -> Self {
        self.0.operation = Some(operation.into());
        self
    }

    /// Sets the HTTP status.
    pub fn with_status(mut self, status: u16) -> Self {
        self.0.status = Some(status);
        self
    }

    /// Names the record at fault (its natural key or id).
    pub fn with_record(mut self, record: impl Into<String>) -> Self {
        self.0.record = Some(record.into());
        self
    }

    /// Adds field errors.
    pub fn with_field_errors(mut self, errors: Vec<FieldError>) -> Self {
        self.0.field_errors.extend(errors);
        self
    }

    /// Sets the delay the server advised.
    pub fn with_retry_after(mut self, delay: Duration) -> Self {
        self.0.retry_after = Some(delay);
        self
    }

    /// Sets when a spent budget refills.
    pub fn with_budget_refills_at(mut self, at: DateTime<Utc>) -> Self {
        self.0.budget_refills_at = Some(at);
        self
    }

    /// Overrides the retry class derived from the kind.
    pub fn with_retry_class(mut self, class: RetryClass) -> Self {
        self.0.retry_class = Some(class);
        self
    }

    /// Changes the kind, keeping everything else.
    pub fn with_kind(mut self, kind: ErrorKind) -> Self {
        self.0.kind = kind;
        self
    }

    /// Prefixes the message with context.
    pub fn context(mut self, context: impl fmt::Display) -> Self {
        self.0.message = format!("{context}: {}", self.0.message);
        self
    }

    /// The kind.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    /// The message, without the connector and operation prefix.
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// The connector's name, if known.
    pub fn connector(&self) -> Option<&str> {
        self.0.connector.as_deref()
    }

    /// The operation, if known.
    pub fn operation(&self) -> Option<&str> {
        self.0.operation.as_deref()
    }

    /// The HTTP status, if the error came from a response.
    pub fn status(&self) -> Option<u16> {
        self.0.status
    }

    /// The record at fault, if known.
    pub fn record(&self) -> Option<&str> {
        self.0.record.as_deref()
    }

    /// Field-level problems.
    pub fn field_errors(&self) -> &[FieldError] {
        &self.0.field_errors
    }

    /// The first field at fault, if any.
    pub fn field(&self) -> Option<&str> {
        self.0.field_errors.first().map(|f| f.field.as_str())
    }

    /// The delay the server advised before another attempt.
    pub fn retry_after(&self) -> Option<Duration> {
        self.0.retry_after
    }

    /// When a spent budget refills.
    pub fn budget_refills_at(&self) -> Option<DateTime<Utc>> {
        self.0.budget_refills_at
    }

    /// Whether and when this failure may be retried.
    pub fn retry_class(&self) -> RetryClass {
        self.0.retry_class.unwrap_or_else(|| self.0.kind.retry_class())
    }

    /// Whether a retry is allowed for a request of the given idempotency.
    pub fn is_retryable(&self, idempotent: bool) -> bool {
        match self.retry_class() {
            RetryClass::Always => true,
            RetryClass::IfIdempotent => idempotent,
            RetryClass::Never => false,
        }
    }

    /// Whether this is a rate-limit error.
    pub fn is_rate_limited(&self) -> bool {
        self.0.kind == ErrorKind::RateLimited
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(c) = &self.0.connector {
            write!(f, "{c}: ")?;
        }
        if let Some(op) = &self.0.operation {
            write!(f, "{op}: ")?;
        }
        if let Some(r) = &self.0.record {
            write!(f, "record {r}: ")?;
        }
        write!(f, "{} ({}", self.0.message, self.0.kind)?;
        if let Some(s) = self.0.status {
            write!(f, ", HTTP {s}")?;
        }
        f.write_str(")")?;
        for fe in &self.0.field_errors {
            if !self.0.message.contains(fe.message.as_str()) {
                write!(f, "; {fe}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("kind", &self.0.kind).field("message", &self.0.message);
        if let Some(v) = &self.0.connector {
            d.field("connector", v);
        }
        if let Some(v) = &self.0.operation {
            d.field("operation", v);
        }
        if let Some(v) = &self.0.status {
            d.field("status", v);
        }
        if let Some(v) = &self.0.record {
            d.field("record", v);
        }
        if !self.0.field_errors.is_empty() {
            d.field("field_errors", &self.0.field_errors);
        }
        if let Some(v) = &self.0.retry_after {
            d.field("retry_after", v);
        }
        d.finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.cause.0.as_deref().map(|c| c as &(dyn std::error::Error + 'static))
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Error::decode(e.to_string()).with_source(e)
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::internal(format!("I/O: {e}")).with_source(e)
    }
}

mod opt_duration_ms {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_u64(d.as_millis() as u64),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        Ok(Option::<u64>::deserialize(d)?.map(Duration::from_millis))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cause_is_the_source_but_neither_stored_nor_compared() {
        use std::error::Error as _;
        let io = std::io::Error::new(std::io::ErrorKind::PermissionDenied, "no access");
        let e = Error::from(io).context("writing customers.csv");
        let source = e.source().expect("the I/O error is the source");
        assert_eq!(source.to_string(), "no access");
        let json = serde_json::to_string(&e).unwrap();
        let back: Error = serde_json::from_str(&json).unwrap();
        assert!(back.source().is_none());
        assert_eq!(back, e, "equal by what they say");
        let decode: Error = serde_json::from_str::<u8>("x").unwrap_err().into();
        assert!(decode.source().is_some());
    }

    #[test]
    fn status_maps_to_kind_once() {
        assert_eq!(ErrorKind::from_status(401), ErrorKind::Auth);
        assert_eq!(ErrorKind::from_status(403), ErrorKind::Permission);
        assert_eq!(ErrorKind::from_status(404), ErrorKind::NotFound);
        assert_eq!(ErrorKind::from_status(409), ErrorKind::Conflict);
        assert_eq!(ErrorKind::from_status(429), ErrorKind::RateLimited);
        assert_eq!(ErrorKind::from_status(418), ErrorKind::InvalidInput);
        assert_eq!(ErrorKind::from_status(503), ErrorKind::Upstream);
    }

    #[test]
    fn retry_class_follows_kind_and_idempotency() {
        let e = Error::from_status(503, "down");
        assert!(e.is_retryable(true));
        assert!(!e.is_retryable(false));
        assert!(Error::from_status(429, "slow").is_retryable(false));
        assert!(!Error::from_status(400, "bad").is_retryable(true));
        let never = Error::from_status(503, "x").with_retry_class(RetryClass::Never);
        assert!(!never.is_retryable(true));
    }

    #[test]
    fn display_names_record_and_field() {
        let e = Error::invalid_field("lines[0].quantity", "not a number: \"x\"")
            .with_record("INV-1")
            .with_connector("file");
        let s = e.to_string();
        assert!(s.contains("record INV-1"), "{s}");
        assert!(s.contains("lines[0].quantity"), "{s}");
        assert_eq!(e.field(), Some("lines[0].quantity"));
    }

    #[test]
    fn serde_round_trip() {
        let e = Error::from_status(429, "slow down")
            .with_retry_after(Duration::from_secs(3))
            .with_connector("xero");
        let json = serde_json::to_string(&e).unwrap();
        let back: Error = serde_json::from_str(&json).unwrap();
        assert_eq!(back, e);
    }
}
