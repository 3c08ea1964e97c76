//! Turns a record's JSON into a canonical entity, and a failure into a [`Rejected`] that names
//! the row or line, the record's key and the field at fault.

use connector_core::{Entity, EntityKind, Error, ErrorKind, FieldError, Rejected};
use serde_json::Value;

use crate::coerce;

/// One field at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Fault {
    /// The field's path (`lines[0].quantity`); empty for the record as a whole.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl Fault {
    /// A fault of the record as a whole.
    pub(crate) fn whole(message: impl Into<String>) -> Self {
        Self { field: String::new(), message: message.into() }
    }
}

/// Decodes an entity through the coercing deserializer. On success, also returns the paths of
/// the fields the entity does not have (ignored). A missing required field is named as the
/// field itself (`lines[1].quantity`), not its parent.
pub(crate) fn decode<E: Entity>(value: Value) -> Result<(E, Vec<String>), Fault> {
    coerce::from_value::<E>(value).map_err(|e| {
        let path = e.path().to_string();
        let path = if path == "." { String::new() } else { path };
        let message = e.inner().to_string();
        let field = match missing_field(&message) {
            Some(name) if path.is_empty() => name.to_owned(),
            Some(name) => format!("{path}.{name}"),
            None => path,
        };
        Fault { field, message }
    })
}

/// The field named by serde's "missing field `x`" message.
fn missing_field(message: &str) -> Option<&str> {
    message.strip_prefix("missing field `")?.split('`').next()
}

/// Builds the rejection of one record: the error (of `kind`, with a field error per fault)
/// names `location` (`row 7`, `line 3`) and the key, and the key falls back to the location.
pub(crate) fn reject(
    entity: EntityKind,
    kind: ErrorKind,
    location: &str,
    key: Option<String>,
    payload: String,
    faults: Vec<Fault>,
) -> Rejected {
    let mut message = location.to_owned();
    for (i, fault) in faults.iter().enumerate() {
        message.push_str(if i == 0 { ": " } else { "; " });
        if !fault.field.is_empty() {
            message.push_str(&fault.field);
            message.push_str(": ");
        }
        message.push_str(&fault.message);
    }
    let field_errors = faults
        .into_iter()
        .filter(|f| !f.field.is_empty())
        .map(|f| FieldError::new(f.field, f.message))
        .collect();
    let mut error = Error::new(kind, message)
        .with_field_errors(field_errors)
        .with_connector("file")
        .with_operation(format!("read {entity}"));
    if let Some(key) = &key {
        error = error.with_record(key.clone());
    }
    Rejected {
        key: Some(key.unwrap_or_else(|| location.to_owned())),
        payload: Some(payload),
        error,
    }
}

#[cfg(test)]
mod tests {
    use connector_core::model::{Customer, Invoice};
    use serde_json::json;

    use super::*;

    #[test]
    fn a_missing_field_is_named_by_its_full_path() {
        let v = json!({"currency": "EUR", "lines": [{"quantity": "1"}, {"sku": "A"}]});
        let fault = decode::<Invoice>(v).unwrap_err();
        assert_eq!(fault.field, "lines[1].quantity");
        assert_eq!(fault.message, "missing field `quantity`");
        let fault = decode::<Invoice>(json!({})).unwrap_err();
        assert_eq!(fault.field, "currency");
    }

    #[test]
    fn a_bad_value_is_named_by_its_path() {
        let v = json!({"credit_limit": {"amount": "12,3x", "currency": "EUR"}});
        let fault = decode::<Customer>(v).unwrap_err();
        assert_eq!(fault.field, "credit_limit.amount");
        assert!(fault.message.contains("12,3x"), "{}", fault.message);
    }

    #[test]
    fn a_rejection_names_location_key_and_field() {
        let r = reject(
            EntityKind::Customer,
            ErrorKind::InvalidInput,
            "row 4",
            Some("C-3".into()),
            "number\nC-3".into(),
            vec![Fault { field: "credit_limit.amount".into(), message: "bad".into() }],
        );
        assert_eq!(r.key.as_deref(), Some("C-3"));
        assert_eq!(r.error.record(), Some("C-3"));
        assert_eq!(r.error.field(), Some("credit_limit.amount"));
        assert_eq!(r.error.message(), "row 4: credit_limit.amount: bad");
        assert_eq!(r.error.operation(), Some("read customers"));
        let keyless = reject(
            EntityKind::Product,
            ErrorKind::Decode,
            "line 2",
            None,
            "{".into(),
            vec![Fault::whole("not JSON")],
        );
        assert_eq!(keyless.key.as_deref(), Some("line 2"));
        assert!(keyless.error.field_errors().is_empty());
    }
}
