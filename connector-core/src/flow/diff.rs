//! Field diffs between two versions of a record, for dry-run plans.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One changed field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldDiff {
    /// The field's path (`addresses[0].city`).
    pub path: String,
    /// The target's current value (`None`: absent).
    pub before: Option<Value>,
    /// The value that would be written (`None`: absent).
    pub after: Option<Value>,
}

/// The fields that differ between `before` and `after`, leaf by leaf. `meta.raw` and
/// `meta.refs` are ignored: they describe where a record came from, not its content.
pub fn diff(before: &Value, after: &Value) -> Vec<FieldDiff> {
    let mut out = Vec::new();
    walk("", before, after, &mut out);
    out.retain(|d| !d.path.starts_with("meta.raw") && !d.path.starts_with("meta.refs"));
    out
}

fn walk(path: &str, before: &Value, after: &Value, out: &mut Vec<FieldDiff>) {
    match (before, after) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, va) in a {
                let p = join(path, k);
                match b.get(k) {
                    Some(vb) => walk(&p, va, vb, out),
                    None => out.push(FieldDiff { path: p, before: Some(va.clone()), after: None }),
                }
            }
            for (k, vb) in b {
                if !a.contains_key(k) {
                    out.push(FieldDiff {
                        path: join(path, k),
                        before: None,
                        after: Some(vb.clone()),
                    });
                }
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (va, vb)) in a.iter().zip(b).enumerate() {
                walk(&format!("{path}[{i}]"), va, vb, out);
            }
        }
        _ if before != after => out.push(FieldDiff {
            path: path.to_string(),
            before: Some(before.clone()),
            after: Some(after.clone()),
        }),
        _ => {}
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() { key.to_string() } else { format!("{path}.{key}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_changed_added_and_removed_leaves() {
        let a = serde_json::json!({"name": "A", "city": "X", "lines": [{"q": "1"}], "meta": {"raw": 1}});
        let b = serde_json::json!({"name": "B", "lines": [{"q": "2"}], "vat": "NL1", "meta": {"raw": 2}});
        let d = diff(&a, &b);
        let paths: Vec<_> = d.iter().map(|d| d.path.as_str()).collect();
        assert_eq!(paths, vec!["city", "lines[0].q", "name", "vat"]);
    }
}
