//! The benchmark's 15 rules written by hand on the same `serde_json::Value`, in place: what
//! the mapping would cost with no interpreter at all (no paths, no value wrapper, no
//! dispatch, no failure bookkeeping), for this data. A floor for any mapping engine that
//! works on `serde_json::Value`, not a replacement for one: it knows the data is ASCII and
//! well formed.

use serde_json::{Map, Value};

fn trim(s: &mut String) {
    let end = s.trim_end().len();
    s.truncate(end);
    let start = s.len() - s.trim_start().len();
    s.drain(..start);
}

fn title(s: &mut String) {
    s.make_ascii_lowercase();
    let mut start = true;
    for i in 0..s.len() {
        let b = s.as_bytes()[i];
        if start {
            s[i..=i].make_ascii_uppercase();
        }
        start = matches!(b, b' ' | b'-' | b'\'' | b'(');
    }
}

fn text<'v>(m: &'v mut Map<String, Value>, key: &str) -> Option<&'v mut String> {
    match m.get_mut(key) {
        Some(Value::String(s)) => Some(s),
        _ => None,
    }
}

fn first<'v>(m: &'v mut Map<String, Value>, key: &str) -> Option<&'v mut Map<String, Value>> {
    m.get_mut(key)?.as_array_mut()?.first_mut()?.as_object_mut()
}

/// Rounds plain `digits.digits` text half up to two places.
fn round_2(s: &mut String) {
    let Some(dot) = s.find('.') else { return s.push_str(".00") };
    while s.len() < dot + 3 {
        s.push('0');
    }
    let up = s.as_bytes().get(dot + 3).is_some_and(|&d| d >= b'5');
    s.truncate(dot + 3);
    if up {
        let mut digits = std::mem::take(s).into_bytes();
        let mut i = digits.len();
        loop {
            if i == 0 {
                digits.insert(0, b'1');
                break;
            }
            i -= 1;
            match digits[i] {
                b'.' => continue,
                b'9' => digits[i] = b'0',
                _ => {
                    digits[i] += 1;
                    break;
                }
            }
        }
        *s = String::from_utf8(digits).expect("ASCII");
    }
}

/// The benchmark's `reps` value map (its unmapped values default to `house`).
const REPS: &[(&str, &str)] =
    &[("JV", "jan.vermeer"), ("PB", "piet.bos"), ("KM", "karin.mol"), ("AB", "anna.berg")];

/// The 15 rules on one record.
pub fn apply_owned_by_hand(mut record: Value) -> Value {
    let m = record.as_object_mut().expect("an object");
    if let Some(s) = text(m, "number") {
        trim(s);
        s.make_ascii_uppercase();
    }
    if let Some(s) = text(m, "name") {
        trim(s);
        assert!(s.chars().count() <= 100);
    }
    for key in ["first_name", "last_name"] {
        if let Some(s) = text(m, key) {
            title(s);
        }
    }
    if let Some(s) = first(m, "emails").and_then(|e| text(e, "address")) {
        trim(s);
        s.make_ascii_lowercase();
    }
    if let Some(s) = first(m, "phones").and_then(|p| text(p, "number")) {
        s.retain(|c| c.is_ascii_digit() || c == '+');
    }
    if let Some(a) = first(m, "addresses") {
        let line = a.get_mut("lines").and_then(|l| l.get_mut(0));
        if let Some(Value::String(s)) = line {
            trim(s);
            let at = s.rfind(' ').expect("street and number") + 1;
            let number = s[at..].to_string();
            s.truncate(at - 1);
            a.insert("street_number".to_string(), Value::String(number));
        }
        if let Some(s) = text(a, "postal_code") {
            trim(s);
            s.make_ascii_uppercase();
        }
        if let Some(s) = text(a, "city") {
            trim(s);
        }
        if let Some(s) = text(a, "country") {
            s.make_ascii_uppercase();
        }
    }
    if let Some(s) = text(m, "tax_number") {
        s.retain(|c| !c.is_whitespace());
    }
    if let Some(Value::Object(rep)) = m.get_mut("sales_rep") {
        if let Some(s) = text(rep, "key") {
            let user = REPS.iter().find(|(k, _)| *k == s.as_str()).map_or("house", |(_, u)| u);
            s.clear();
            s.push_str(user);
        }
    }
    if let Some(Value::Object(c)) = m.get_mut("credit_limit") {
        if let Some(s) = text(c, "amount") {
            round_2(s);
        }
    }
    if let Some(Value::Object(meta)) = m.get_mut("meta") {
        let custom = meta.entry("custom").or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(custom) = custom {
            let mut inner = Map::new();
            inner.insert("type".to_string(), Value::String("text".to_string()));
            inner.insert("value".to_string(), Value::String("retail".to_string()));
            let mut field = Map::new();
            field.insert("value".to_string(), Value::Object(inner));
            custom.insert("segment".to_string(), Value::Object(field));
        }
    }
    record
}
