//! Dotted CSV column paths (`emails.0.address`) and the JSON tree a row's cells build.
//!
//! A column name is a path into the canonical JSON of a record: segments separated by `.`,
//! where a segment made only of digits indexes an array and any other segment names an object
//! field. Cells are inserted into a [`Tree`] that becomes a [`serde_json::Value`]; array
//! indexes only order the elements, so gaps close up (`emails.1.address` alone gives one
//! e-mail).

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;

use serde_json::{Map, Value};

/// One segment of a column path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Segment {
    /// An object field.
    Key(String),
    /// An array position.
    Index(usize),
}

impl Segment {
    fn same_kind(&self, other: &Segment) -> bool {
        matches!(
            (self, other),
            (Segment::Key(_), Segment::Key(_)) | (Segment::Index(_), Segment::Index(_))
        )
    }
}

/// A parsed column path.
pub(crate) type ColumnPath = Vec<Segment>;

/// Parses a dotted column name. The name must start with a field name and have no empty
/// segment.
pub(crate) fn parse(name: &str) -> Result<ColumnPath, String> {
    let name = name.trim();
    if name.is_empty() {
        return Err("the column name is empty".to_owned());
    }
    let mut path = Vec::new();
    for (i, seg) in name.split('.').enumerate() {
        if seg.is_empty() {
            return Err(format!("`{name}` has an empty segment"));
        }
        if seg.bytes().all(|b| b.is_ascii_digit()) {
            if i == 0 {
                return Err(format!("`{name}` starts with an array index, not a field name"));
            }
            let index =
                seg.parse::<usize>().map_err(|_| format!("`{name}`: index {seg} is too large"))?;
            path.push(Segment::Index(index));
        } else {
            path.push(Segment::Key(seg.to_owned()));
        }
    }
    Ok(path)
}

/// Writes a path as a column name: `emails.0.address`.
pub(crate) fn dotted(path: &[Segment]) -> String {
    let mut out = String::new();
    for (i, seg) in path.iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        match seg {
            Segment::Key(k) => out.push_str(k),
            Segment::Index(n) => out.push_str(&n.to_string()),
        }
    }
    out
}

/// Checks that a set of columns can live in one header: no duplicate, no column that is a
/// prefix of another (`name` and `name.first`), no place that is both an array and an object
/// (`emails.0` and `emails.primary`). The error names both columns.
pub(crate) fn check_columns(names: &[String], paths: &[ColumnPath]) -> Result<(), String> {
    let mut probe = Tree::default();
    for (i, path) in paths.iter().enumerate() {
        if !probe.insert(path, String::new()) {
            let earlier = (0..i).find(|&j| conflicts(&paths[j], path)).unwrap_or(0);
            return Err(format!(
                "column `{}` conflicts with column `{}`: {}",
                names[i].trim(),
                names[earlier].trim(),
                if paths[earlier] == *path {
                    "the same column twice"
                } else {
                    "one cannot be both a value and a nested field, or both a list and an object"
                }
            ));
        }
    }
    Ok(())
}

fn conflicts(a: &[Segment], b: &[Segment]) -> bool {
    let common = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    common == a.len().min(b.len()) || !a[common].same_kind(&b[common])
}

/// A JSON tree under construction. The root is an object.
#[derive(Debug, Default)]
pub(crate) struct Tree {
    root: BTreeMap<String, Node>,
}

#[derive(Debug)]
enum Node {
    Leaf(String),
    Object(BTreeMap<String, Node>),
    Array(BTreeMap<usize, Node>),
}

impl Node {
    fn container_for(next: &Segment) -> Node {
        match next {
            Segment::Key(_) => Node::Object(BTreeMap::new()),
            Segment::Index(_) => Node::Array(BTreeMap::new()),
        }
    }

    fn into_value(self) -> Value {
        match self {
            Node::Leaf(s) => Value::String(s),
            Node::Object(map) => object(map),
            Node::Array(items) => Value::Array(items.into_values().map(Node::into_value).collect()),
        }
    }
}

fn object(map: BTreeMap<String, Node>) -> Value {
    Value::Object(map.into_iter().map(|(k, v)| (k, v.into_value())).collect::<Map<_, _>>())
}

impl Tree {
    /// Inserts a string at a path. `false` when the place is taken or has another shape.
    pub(crate) fn insert(&mut self, path: &[Segment], value: String) -> bool {
        let Some((Segment::Key(first), rest)) = path.split_first() else {
            return false;
        };
        insert_at(&mut self.root, first, rest, value)
    }

    /// Whether nothing was inserted.
    pub(crate) fn is_empty(&self) -> bool {
        self.root.is_empty()
    }

    /// The tree as a JSON object.
    pub(crate) fn into_value(self) -> Value {
        object(self.root)
    }
}

fn insert_at<K: Ord + Clone>(
    map: &mut BTreeMap<K, Node>,
    key: &K,
    rest: &[Segment],
    value: String,
) -> bool {
    let Some((next, tail)) = rest.split_first() else {
        return match map.entry(key.clone()) {
            Entry::Vacant(slot) => {
                slot.insert(Node::Leaf(value));
                true
            }
            Entry::Occupied(_) => false,
        };
    };
    let child = map.entry(key.clone()).or_insert_with(|| Node::container_for(next));
    match (child, next) {
        (Node::Object(m), Segment::Key(k)) => insert_at(m, k, tail, value),
        (Node::Array(m), Segment::Index(i)) => insert_at(m, i, tail, value),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn p(s: &str) -> ColumnPath {
        parse(s).unwrap()
    }

    #[test]
    fn parses_keys_and_indexes() {
        assert_eq!(
            p(" emails.0.address "),
            vec![Segment::Key("emails".into()), Segment::Index(0), Segment::Key("address".into())]
        );
        assert_eq!(dotted(&p("meta.refs.012.id")), "meta.refs.12.id");
        assert!(parse("a..b").unwrap_err().contains("empty segment"));
        assert!(parse("0.name").unwrap_err().contains("starts with an array index"));
        assert!(parse("").is_err());
        assert!(parse("a.99999999999999999999999").unwrap_err().contains("too large"));
    }

    #[test]
    fn builds_nested_objects_and_compact_arrays() {
        let mut t = Tree::default();
        for (col, v) in [
            ("name", "Åsa Öberg"),
            ("emails.1.address", "b@x.example"),
            ("emails.1.primary", "true"),
            ("emails.3.address", "c@x.example"),
            ("credit_limit.amount", "12.50"),
            ("credit_limit.currency", "EUR"),
        ] {
            assert!(t.insert(&p(col), v.to_owned()), "{col}");
        }
        assert_eq!(
            t.into_value(),
            json!({
                "name": "Åsa Öberg",
                "emails": [{"address": "b@x.example", "primary": "true"}, {"address": "c@x.example"}],
                "credit_limit": {"amount": "12.50", "currency": "EUR"}
            })
        );
    }

    #[test]
    fn refuses_a_taken_or_mis_shaped_place() {
        let mut t = Tree::default();
        assert!(t.insert(&p("name"), "a".into()));
        assert!(!t.insert(&p("name"), "b".into()));
        assert!(!t.insert(&p("name.first"), "b".into()));
        assert!(t.insert(&p("emails.0.address"), "a".into()));
        assert!(!t.insert(&p("emails.primary"), "b".into()));
        assert!(!t.insert(&p("emails.0"), "b".into()));
        assert!(!t.insert(&[Segment::Index(0)], "b".into()));
    }

    #[test]
    fn header_conflicts_name_both_columns() {
        let names: Vec<String> =
            ["number", "emails.0.address", "name", "emails.primary"].map(String::from).to_vec();
        let paths: Vec<_> = names.iter().map(|n| p(n)).collect();
        let err = check_columns(&names, &paths).unwrap_err();
        assert!(err.contains("`emails.primary`") && err.contains("`emails.0.address`"), "{err}");

        let dup: Vec<String> = vec!["sku".into(), "sku".into()];
        let err = check_columns(&dup, &[p("sku"), p("sku")]).unwrap_err();
        assert!(err.contains("the same column twice"), "{err}");

        let ok: Vec<String> = vec!["a.b".into(), "a.c".into(), "x.0".into(), "x.1".into()];
        let paths: Vec<_> = ok.iter().map(|n| p(n)).collect();
        check_columns(&ok, &paths).unwrap();
    }
}
