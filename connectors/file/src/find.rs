//! The sink's lookup: a scan of the whole file for the last record that matches.

use std::borrow::Cow;

use connector_core::model::normalize_email;
use connector_core::{Entity, Found, LookupKey, Result};

use crate::config::FileConfig;
use crate::flatten::flatten;
use crate::reader::{Extent, Records};
use crate::shape::shape;

/// Scans the file and returns the last record matching `key` (an append-only file's latest
/// version of a record). Rejected rows are skipped. A missing file holds nothing.
pub(crate) fn find<E: Entity>(config: &FileConfig, key: &LookupKey) -> Result<Option<Found<E>>> {
    if !config.path.exists() {
        return Ok(None);
    }
    let mut last = None;
    for read in Records::<E>::open(config, Extent::Whole, 0)? {
        if let Ok(record) = read? {
            if matches(&record, key) {
                last = Some(record);
            }
        }
    }
    // `matches` compared the record's own field with the value: it is what matched.
    Ok(last.map(|record| {
        let id = record.key().map_or_else(|| key.value.clone(), Cow::into_owned);
        Found::new(id, key.value.clone()).with_record(record)
    }))
}

/// Whether a record matches a lookup:
/// - the field is the natural key (`number`, `sku`, `code`) or `key`, and the record's key
///   ([`Entity::key`]) equals the value; or
/// - a value of the record at the field's dotted path, array indexes left out, equals it
///   (`emails.address`, `party.customer.key`, `meta.refs.id`); or
/// - the field is `email` and an e-mail address of the record equals it, ignoring case
///   (`email`, `emails.address`, `party.email`, `contacts.emails.address`).
pub(crate) fn matches<E: Entity>(record: &E, key: &LookupKey) -> bool {
    let field = key.field.trim();
    let value = key.value.trim();
    if (field == "key" || field == shape(E::KIND).natural_key)
        && record.key().is_some_and(|k| k == value)
    {
        return true;
    }
    let Ok(flat) = flatten(record) else { return false };
    let is_email = field == "email";
    flat.iter().any(|(path, v)| {
        let path = without_indexes(path);
        if is_email {
            let email_path = path == "email"
                || path.ends_with(".email")
                || path == "emails.address"
                || path.ends_with(".emails.address");
            email_path && normalize_email(v) == normalize_email(value)
        } else {
            path == field && v.trim() == value
        }
    })
}

/// `emails.0.address` → `emails.address`.
fn without_indexes(path: &str) -> String {
    path.split('.').filter(|s| !s.bytes().all(|b| b.is_ascii_digit())).collect::<Vec<_>>().join(".")
}

#[cfg(test)]
mod tests {
    use connector_core::model::{Customer, Email, StockLevel};

    use super::*;

    fn customer() -> Customer {
        Customer {
            number: Some("C-1".into()),
            emails: vec![Email {
                address: "Info@Acme.example".into(),
                kind: Default::default(),
                primary: true,
            }],
            tax_number: Some("FI123".into()),
            ..Default::default()
        }
    }

    #[test]
    fn matches_by_key_path_and_email() {
        let c = customer();
        assert!(matches(&c, &LookupKey::new("number", "C-1")));
        assert!(matches(&c, &LookupKey::new("key", "C-1")));
        assert!(!matches(&c, &LookupKey::new("number", "C-2")));
        assert!(matches(&c, &LookupKey::new("email", " info@acme.EXAMPLE")));
        assert!(matches(&c, &LookupKey::new("emails.address", "Info@Acme.example")));
        assert!(matches(&c, &LookupKey::new("tax_number", "FI123")));
        assert!(!matches(&c, &LookupKey::new("name", "FI123")));
    }

    #[test]
    fn stock_levels_match_by_sku_or_full_key() {
        let s: StockLevel =
            serde_json::from_str(r#"{"sku":"A","warehouse":"W1","on_hand":"3"}"#).unwrap();
        assert!(matches(&s, &LookupKey::new("sku", "A")));
        assert!(matches(&s, &LookupKey::new("key", "A@W1")));
    }

    #[test]
    fn indexes_are_left_out() {
        assert_eq!(without_indexes("contacts.10.emails.0.address"), "contacts.emails.address");
    }
}
