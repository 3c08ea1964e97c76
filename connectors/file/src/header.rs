//! What the columns of a CSV header mean for an entity: dotted paths, and for documents
//! exported one line per row, which columns belong to the row's line (`lines.<field>`).

use connector_core::EntityKind;
use serde_json::Value;

use crate::paths::{self, ColumnPath, Segment, Tree};
use crate::shape::shape;

/// One named column.
#[derive(Debug, Clone)]
pub(crate) struct Column {
    /// The path in the record or, when `in_group`, in the row's element of the group array.
    pub path: ColumnPath,
    /// Whether the column fills the row's element of the group array (`lines.sku`).
    pub in_group: bool,
}

/// An analysed header.
#[derive(Debug, Clone)]
pub(crate) struct Header {
    /// The trimmed column names.
    pub names: Vec<String>,
    /// Each position's column; `None` for a column without a name.
    pub columns: Vec<Option<Column>>,
    /// The array filled one element per row (`lines`), when the header has `lines.<field>`
    /// columns without an index.
    pub group: Option<&'static str>,
    /// In grouped mode, the natural-key column (`number`) whose equal values in consecutive
    /// rows make one document.
    pub key_column: Option<usize>,
}

fn starts_with(path: &ColumnPath, group: &str) -> bool {
    matches!(path.first(), Some(Segment::Key(k)) if k == group)
}

fn is_group_column(path: &ColumnPath, group: &str) -> bool {
    starts_with(path, group) && matches!(path.get(1), Some(Segment::Key(_)))
}

impl Header {
    /// Analyses column names (a leading byte-order mark and surrounding spaces are dropped).
    /// The error says which column is wrong and why.
    pub(crate) fn analyze(names: Vec<String>, kind: EntityKind) -> Result<Self, String> {
        let names: Vec<String> = names
            .into_iter()
            .enumerate()
            .map(|(i, n)| {
                let n = if i == 0 { n.trim_start_matches('\u{feff}') } else { &n };
                n.trim().to_owned()
            })
            .collect();
        let mut parsed = Vec::with_capacity(names.len());
        for (i, name) in names.iter().enumerate() {
            parsed.push(if name.is_empty() {
                None
            } else {
                Some(paths::parse(name).map_err(|e| format!("column {}: {e}", i + 1))?)
            });
        }

        let shape = shape(kind);
        let group = shape.group.filter(|g| parsed.iter().flatten().any(|p| is_group_column(p, g)));
        let mut columns = Vec::with_capacity(parsed.len());
        let (mut doc_names, mut doc_paths) = (Vec::new(), Vec::new());
        let (mut line_names, mut line_paths) = (Vec::new(), Vec::new());
        for (name, path) in names.iter().zip(parsed) {
            let Some(mut path) = path else {
                columns.push(None);
                continue;
            };
            let in_group = match group {
                Some(g) if starts_with(&path, g) => {
                    if !is_group_column(&path, g) {
                        return Err(format!(
                            "column `{name}`: with `{g}.<field>` columns (one element of `{g}` \
                             per row), `{g}` cannot also have indexed or whole-value columns"
                        ));
                    }
                    path.remove(0);
                    true
                }
                _ => false,
            };
            let (names, paths) = if in_group {
                (&mut line_names, &mut line_paths)
            } else {
                (&mut doc_names, &mut doc_paths)
            };
            names.push(name.clone());
            paths.push(path.clone());
            columns.push(Some(Column { path, in_group }));
        }
        paths::check_columns(&doc_names, &doc_paths)?;
        paths::check_columns(&line_names, &line_paths)?;

        let key_column = group.and_then(|_| {
            columns.iter().position(|c| {
                c.as_ref().is_some_and(|c| {
                    !c.in_group
                        && matches!(&c.path[..], [Segment::Key(k)] if k == shape.natural_key)
                })
            })
        });
        Ok(Header { names, columns, group, key_column })
    }

    /// Builds a record's JSON from its rows, each given as its non-empty cells (column
    /// position, text). The record's own fields come from the first row; in grouped mode each
    /// row with group cells adds one element to the group array. Cells of unnamed columns are
    /// skipped. Also returns, for each element, the position of the row it came from.
    pub(crate) fn build<'a, R, C>(&self, rows: R) -> (Value, Vec<usize>)
    where
        R: IntoIterator<Item = C>,
        C: IntoIterator<Item = (usize, &'a str)>,
    {
        let mut own = Tree::default();
        let mut elements = Vec::new();
        let mut element_rows = Vec::new();
        for (r, cells) in rows.into_iter().enumerate() {
            let mut element = Tree::default();
            for (c, text) in cells {
                let Some(Some(column)) = self.columns.get(c) else { continue };
                if text.trim().is_empty() {
                    continue;
                }
                let tree = match (column.in_group, r) {
                    (true, _) => &mut element,
                    (false, 0) => &mut own,
                    (false, _) => continue,
                };
                let inserted = tree.insert(&column.path, text.to_owned());
                debug_assert!(inserted, "`analyze` rules out conflicting columns");
            }
            if !element.is_empty() {
                elements.push(element.into_value());
                element_rows.push(r);
            }
        }
        let mut value = own.into_value();
        if let (Some(group), Value::Object(map)) = (self.group, &mut value) {
            if !elements.is_empty() {
                map.insert(group.to_owned(), Value::Array(elements));
            }
        }
        (value, element_rows)
    }

    /// The canonical dotted name of a column (`lines.unit_price.amount`, `emails.0.address`),
    /// as [`crate::flatten`] names values.
    pub(crate) fn dotted(&self, index: usize) -> Option<String> {
        let column = self.columns.get(index)?.as_ref()?;
        let path = paths::dotted(&column.path);
        Some(match (column.in_group, self.group) {
            (true, Some(g)) => format!("{g}.{path}"),
            _ => path,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(s: &str) -> Vec<String> {
        s.split(',').map(String::from).collect()
    }

    #[test]
    fn one_line_per_row_columns_are_grouped() {
        let h = Header::analyze(
            names("\u{feff}number , currency,lines.sku,lines.unit_price.amount,,memo"),
            EntityKind::Invoice,
        )
        .unwrap();
        assert_eq!(h.group, Some("lines"));
        assert_eq!(h.key_column, Some(0));
        assert_eq!(h.names[0], "number");
        assert!(h.columns[4].is_none());
        let unit_price = h.columns[3].as_ref().unwrap();
        assert!(unit_price.in_group);
        assert_eq!(paths::dotted(&unit_price.path), "unit_price.amount");
        assert_eq!(h.dotted(3).as_deref(), Some("lines.unit_price.amount"));
    }

    #[test]
    fn rows_build_one_document() {
        let h = Header::analyze(names("number,lines.sku,lines.quantity,memo"), EntityKind::Invoice)
            .unwrap();
        let rows = [
            vec![(0, "INV-1"), (1, "A"), (2, "1"), (3, "first")],
            vec![(0, "INV-1"), (3, "ignored: not the first row")],
            vec![(0, "INV-1"), (1, "B"), (2, "2.50")],
        ];
        let (value, element_rows) = h.build(rows.iter().map(|r| r.iter().copied()));
        assert_eq!(
            value,
            serde_json::json!({
                "number": "INV-1",
                "memo": "first",
                "lines": [{"sku": "A", "quantity": "1"}, {"sku": "B", "quantity": "2.50"}]
            })
        );
        assert_eq!(element_rows, [0, 2]);
    }

    #[test]
    fn indexed_lines_are_plain_paths() {
        let h =
            Header::analyze(names("number,lines.0.sku,lines.1.sku"), EntityKind::Invoice).unwrap();
        assert_eq!((h.group, h.key_column), (None, None));
        assert_eq!(h.dotted(2).as_deref(), Some("lines.1.sku"));
    }

    #[test]
    fn mixing_grouped_and_indexed_lines_is_refused() {
        let err = Header::analyze(names("number,lines.sku,lines.0.quantity"), EntityKind::Order)
            .unwrap_err();
        assert!(err.contains("`lines.0.quantity`"), "{err}");
        let err = Header::analyze(names("sku,name,name"), EntityKind::Product).unwrap_err();
        assert!(err.contains("the same column twice"), "{err}");
        let err = Header::analyze(names("sku,a..b"), EntityKind::Product).unwrap_err();
        assert!(err.starts_with("column 2:"), "{err}");
    }

    #[test]
    fn entities_without_a_group_never_group() {
        let h = Header::analyze(names("number,lines.sku"), EntityKind::Customer).unwrap();
        assert_eq!(h.group, None);
        assert!(!h.columns[1].as_ref().unwrap().in_group);
    }
}
