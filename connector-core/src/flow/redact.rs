//! Redaction of personal data in activity-log payloads.

use serde_json::Value;

/// Field names whose values are personal data (matched case-insensitively on the last
/// path segment).
const PERSONAL_FIELDS: &[&str] = &[
    "name",
    "first_name",
    "last_name",
    "company_name",
    "email",
    "emails",
    "address",
    "phone",
    "phones",
    "number_of_phone",
    "lines_address",
    "attention",
    "iban",
    "bic",
    "bank_accounts",
    "tax_number",
    "registration_number",
    "e_invoice_address",
    "notes",
    "memo",
    "websites",
];

/// The placeholder written instead of a personal value.
pub const REDACTED: &str = "[redacted]";

/// Replaces personal data in a canonical record's JSON with [`REDACTED`]: names, e-mail
/// addresses, phones, postal addresses, bank and tax identifiers, free notes.
pub fn redact_personal(value: &mut Value) {
    walk(value, false);
}

fn walk(value: &mut Value, inside_address: bool) {
    match value {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                let key = k.to_ascii_lowercase();
                let is_address = key.contains("address") && !key.contains("kind");
                if PERSONAL_FIELDS.contains(&key.as_str())
                    || (inside_address && key != "kind" && key != "country")
                {
                    blank(v);
                } else {
                    walk(v, inside_address || is_address);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| walk(v, inside_address)),
        _ => {}
    }
}

fn blank(v: &mut Value) {
    match v {
        Value::Null => {}
        Value::Array(items) => items.iter_mut().for_each(blank),
        Value::Object(map) => map.values_mut().for_each(blank),
        _ => *v = Value::String(REDACTED.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn personal_fields_are_blanked_and_amounts_kept() {
        let mut v = serde_json::json!({
            "number": "C-1",
            "name": "Åsa Öberg",
            "emails": [{"address": "asa@example.com", "kind": "work", "primary": true}],
            "addresses": [{"kind": "billing", "lines": ["Storgatan 1"], "city": "Umeå", "country": "SE"}],
            "party": {"email": "x@y.z", "customer": {"key": "C-1"}},
            "credit_limit": {"amount": "100.00", "currency": "SEK"}
        });
        redact_personal(&mut v);
        let s = v.to_string();
        for secret in ["Åsa", "asa@example.com", "Storgatan", "Umeå", "x@y.z"] {
            assert!(!s.contains(secret), "{secret} leaked: {s}");
        }
        assert!(s.contains("C-1") && s.contains("100.00") && s.contains("SE"), "{s}");
    }
}
