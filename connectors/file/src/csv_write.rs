//! CSV writing: the header a sink writes under, and a record's rows under it.
//!
//! A record is flattened to dotted columns ([`crate::flatten`]). Documents whose header has
//! `lines.<field>` columns (or, for a new file, every invoice, order, shipment and price list)
//! are written one line per row with the document's fields repeated on each row, the layout the
//! source reads back as one document.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;

use connector_core::EntityKind;
use serde_json::Value;

use crate::header::Header;
use crate::paths::{self, Tree};
use crate::shape::shape;

/// The columns a sink writes and where each flattened value goes.
#[derive(Clone)]
pub(crate) struct CsvLayout {
    header: Header,
    /// Canonical dotted column name → position.
    index: HashMap<String, usize>,
}

impl fmt::Debug for CsvLayout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CsvLayout").field("columns", &self.header.names).finish()
    }
}

impl CsvLayout {
    /// A layout for given column names (configured, or the file's header).
    pub(crate) fn from_names(names: Vec<String>, kind: EntityKind) -> Result<Self, String> {
        let header = Header::analyze(names, kind)?;
        let index =
            (0..header.columns.len()).filter_map(|i| Some((header.dotted(i)?, i))).collect();
        Ok(Self { header, index })
    }

    /// A layout with the columns of some flattened records, in the order first seen: the
    /// record's own columns, then (for documents) the line columns `lines.<field>`. A column
    /// that cannot share the header with an earlier one (`status` and `status.other`) is left
    /// out, so the record that needs it fails instead of the batch.
    pub(crate) fn derive<'a>(
        flats: impl IntoIterator<Item = &'a [(String, String)]>,
        kind: EntityKind,
    ) -> Self {
        let group = shape(kind).group;
        let mut seen = HashSet::new();
        let mut probe = Tree::default();
        let (mut own, mut lines): (Vec<String>, Vec<String>) = (Vec::new(), Vec::new());
        for flat in flats {
            // Where this record's previous column sits, so a new column lands after it and the
            // header keeps the model's field order (`name`, `tax_number`, `meta.lifecycle`).
            let (mut after_own, mut after_line) = (None, None);
            for (path, _) in flat {
                let (name, in_group) = match group.and_then(|g| split_element(path, g)) {
                    Some((_, name)) => (name, true),
                    None => (path.clone(), false),
                };
                let (list, after) = if in_group {
                    (&mut lines, &mut after_line)
                } else {
                    (&mut own, &mut after_own)
                };
                if seen.contains(&name) {
                    if let Some(pos) = list.iter().position(|n| *n == name) {
                        *after = Some(pos);
                    }
                    continue;
                }
                let Ok(parsed) = paths::parse(&name) else { continue };
                if !probe.insert(&parsed, String::new()) {
                    continue;
                }
                seen.insert(name.clone());
                let pos = after.map_or(0, |p| p + 1);
                list.insert(pos, name);
                *after = Some(pos);
            }
        }
        own.extend(lines);
        // The probe above rules out every conflict `from_names` checks for; should one slip
        // through, an empty header makes every record fail with its fields named.
        Self::from_names(own, kind).unwrap_or_else(|_| Self {
            header: Header {
                names: Vec::new(),
                columns: Vec::new(),
                group: None,
                key_column: None,
            },
            index: HashMap::new(),
        })
    }

    /// The column names, in order.
    pub(crate) fn names(&self) -> &[String] {
        &self.header.names
    }

    /// The rows of one flattened record: one row, or one per group element (the document's
    /// fields repeated). Also returns the paths of the values that have no column.
    pub(crate) fn rows<'a>(
        &self,
        flat: &'a [(String, String)],
    ) -> (Vec<Vec<&'a str>>, Vec<&'a str>) {
        let width = self.header.names.len();
        let mut own = vec![""; width];
        let mut elements: BTreeMap<usize, Vec<(usize, &str)>> = BTreeMap::new();
        let mut unplaced = Vec::new();
        for (path, value) in flat {
            if value.is_empty() {
                continue;
            }
            let element = self.header.group.and_then(|g| split_element(path, g));
            let column = match &element {
                Some((_, name)) => self.index.get(name),
                None => self.index.get(path),
            };
            match (column, element) {
                (Some(&c), Some((i, _))) => elements.entry(i).or_default().push((c, value)),
                (Some(&c), None) => own[c] = value,
                (None, _) => unplaced.push(path.as_str()),
            }
        }
        if elements.is_empty() {
            return (vec![own], unplaced);
        }
        let rows = elements
            .into_values()
            .map(|cells| {
                let mut row = own.clone();
                for (c, value) in cells {
                    row[c] = value;
                }
                row
            })
            .collect();
        (rows, unplaced)
    }

    /// The JSON the source would build from these rows.
    pub(crate) fn read_back(&self, rows: &[Vec<&str>]) -> Value {
        self.header.build(rows.iter().map(|row| row.iter().copied().enumerate())).0
    }
}

/// Splits `lines.3.unit_price.amount` into element 3 and the column `lines.unit_price.amount`.
fn split_element(path: &str, group: &str) -> Option<(usize, String)> {
    let rest = path.strip_prefix(group)?.strip_prefix('.')?;
    let (index, tail) = rest.split_once('.')?;
    let index = index.parse().ok()?;
    Some((index, format!("{group}.{tail}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flat(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn documents_are_derived_one_line_per_row() {
        let a = flat(&[
            ("number", "INV-1"),
            ("lines.0.sku", "A"),
            ("lines.0.quantity", "1"),
            ("lines.1.sku", "B"),
            ("lines.1.quantity", "2"),
            ("currency", "EUR"),
        ]);
        let b = flat(&[
            ("number", "INV-2"),
            ("status", "paid"),
            ("lines.0.quantity", "3"),
            ("lines.0.unit", "pcs"),
        ]);
        let layout = CsvLayout::derive([&a[..], &b[..]], EntityKind::Invoice);
        assert_eq!(
            layout.names(),
            ["number", "status", "currency", "lines.sku", "lines.quantity", "lines.unit"]
        );
        let (rows, unplaced) = layout.rows(&a);
        assert!(unplaced.is_empty());
        assert_eq!(
            rows,
            [vec!["INV-1", "", "EUR", "A", "1", ""], vec!["INV-1", "", "EUR", "B", "2", ""]]
        );
    }

    #[test]
    fn values_without_a_column_are_reported() {
        let layout =
            CsvLayout::from_names(vec!["number".into(), "name".into()], EntityKind::Customer)
                .unwrap();
        let record = flat(&[("number", "C-1"), ("phones.0.number", "+358 1"), ("name", "A")]);
        let (rows, unplaced) = layout.rows(&record);
        assert_eq!(rows, [vec!["C-1", "A"]]);
        assert_eq!(unplaced, ["phones.0.number"]);
        assert_eq!(layout.read_back(&rows), serde_json::json!({"number": "C-1", "name": "A"}));
    }

    #[test]
    fn conflicting_columns_are_left_out_of_a_derived_header() {
        let a = flat(&[("number", "1"), ("status", "paid")]);
        let b = flat(&[("number", "2"), ("status.other", "weird")]);
        let layout = CsvLayout::derive([&a[..], &b[..]], EntityKind::Order);
        assert_eq!(layout.names(), ["number", "status"]);
        assert_eq!(layout.rows(&b).1, ["status.other"]);
    }

    #[test]
    fn an_indexed_header_writes_documents_on_one_row() {
        let layout = CsvLayout::from_names(
            vec!["number".into(), "lines.0.sku".into(), "lines.1.sku".into()],
            EntityKind::Order,
        )
        .unwrap();
        let record = flat(&[("number", "1"), ("lines.0.sku", "A"), ("lines.1.sku", "B")]);
        assert_eq!(layout.rows(&record).0, [vec!["1", "A", "B"]]);
    }
}
