//! TOML text → [`Node`] tree, keeping every key's and value's span.

use std::ops::Range;

use toml::de::{DeTable, DeValue};

use super::node::{NV, Node};

/// Parses a TOML document; a syntax error comes back with its span.
pub(crate) fn parse(text: &str) -> Result<Node, (Range<usize>, String)> {
    let table = DeTable::parse(text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        (span, e.message().trim().to_string())
    })?;
    let span = table.span();
    Ok(Node { span, v: table_nv(table.get_ref()) })
}

fn table_nv(t: &DeTable<'_>) -> NV {
    let mut entries: Vec<_> = t
        .iter()
        .map(|(k, v)| (k.get_ref().to_string(), k.span(), node(v.get_ref(), v.span())))
        .collect();
    // Keep the file's order (the table is sorted by key).
    entries.sort_by_key(|(_, ks, _)| ks.start);
    NV::Table(entries)
}

fn node(v: &DeValue<'_>, span: Range<usize>) -> Node {
    let v = match v {
        DeValue::String(s) => NV::Str(s.to_string()),
        DeValue::Integer(i) => {
            let digits = i.as_str().replace('_', "");
            let radix = i.radix();
            if radix == 10 {
                NV::Number(digits)
            } else {
                match i64::from_str_radix(&digits, radix) {
                    Ok(n) => NV::Number(n.to_string()),
                    Err(_) => NV::Other("an integer out of range"),
                }
            }
        }
        DeValue::Float(f) => {
            let s = f.as_str().replace('_', "");
            if s.contains("inf") || s.contains("nan") {
                NV::Other("an infinite or NaN float")
            } else {
                NV::Number(s)
            }
        }
        DeValue::Boolean(b) => NV::Bool(*b),
        DeValue::Datetime(_) => NV::Other("a date-time"),
        DeValue::Array(a) => NV::Array(a.iter().map(|x| node(x.get_ref(), x.span())).collect()),
        DeValue::Table(t) => table_nv(t),
    };
    Node { span, v }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_and_order() {
        let text = "b = 1_000\na = [\"x\", 2.5]\n[t]\nz = true\n";
        let n = parse(text).unwrap();
        let NV::Table(e) = n.v else { panic!() };
        assert_eq!(e.iter().map(|x| x.0.as_str()).collect::<Vec<_>>(), ["b", "a", "t"]);
        assert!(matches!(&e[0].2.v, NV::Number(s) if s == "1000"));
        assert_eq!(&text[e[1].2.span.clone()], "[\"x\", 2.5]");
        let NV::Array(items) = &e[1].2.v else { panic!() };
        assert!(matches!(&items[1].v, NV::Number(s) if s == "2.5"));
        let err = parse("a = \n").unwrap_err();
        assert!(!err.1.is_empty());
    }
}
