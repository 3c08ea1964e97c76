//! The rows of an exchanged CSV file, read lazily (a file of any size in flat memory), and
//! runs of rows that make one record (the lines of one order).

use std::iter::Peekable;
use std::path::Path;

use serde_json::{Map, Value};

/// A row: its line in the file and its cells by column name, or why it cannot be read.
pub type Row = (u64, Result<Map<String, Value>, String>);

/// The rows of a CSV file with a header row, each cell a JSON string under its column's name.
pub struct CsvRows {
    header: Vec<String>,
    records: csv::StringRecordsIntoIter<std::fs::File>,
}

impl std::fmt::Debug for CsvRows {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CsvRows").field("header", &self.header).finish()
    }
}

impl CsvRows {
    /// Opens `path`: `delimiter`-separated, its header row's names through `column` (to
    /// upper case, say). A file without a header row is an error saying so.
    pub fn open(path: &Path, delimiter: u8, column: fn(&str) -> String) -> Result<Self, String> {
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .from_path(path)
            .map_err(|e| e.to_string())?;
        let header: Vec<String> = reader
            .headers()
            .map_err(|e| format!("the header row: {e}"))?
            .iter()
            .map(|h| column(h.trim()))
            .collect();
        if header.iter().all(String::is_empty) {
            return Err("the file has no header row of column names".into());
        }
        Ok(Self { header, records: reader.into_records() })
    }
}

impl Iterator for CsvRows {
    type Item = Row;
    fn next(&mut self) -> Option<Row> {
        Some(match self.records.next()? {
            Ok(r) => {
                let line = r.position().map_or(0, |p| p.line());
                let cells =
                    self.header.iter().zip(r.iter()).map(|(h, v)| (h.clone(), Value::from(v)));
                (line, Ok(cells.collect()))
            }
            Err(e) => (e.position().map_or(0, |p| p.line()), Err(e.to_string())),
        })
    }
}

/// Runs of consecutive rows with the same value in one column (the rows of one order). A
/// run with a row that cannot be read is refused whole, never split into parts, and so is a
/// row without the column's value.
#[derive(Debug)]
pub struct Runs<I: Iterator<Item = Row>> {
    rows: Peekable<I>,
    column: String,
}

impl<I: Iterator<Item = Row>> Runs<I> {
    /// Runs of `rows` by `column`.
    pub fn new(rows: I, column: impl Into<String>) -> Self {
        Self { rows: rows.peekable(), column: column.into() }
    }
}

impl<I: Iterator<Item = Row>> Iterator for Runs<I> {
    type Item = (u64, Result<Vec<Map<String, Value>>, String>);
    fn next(&mut self) -> Option<Self::Item> {
        let (line, first) = self.rows.next()?;
        let first = match first {
            Ok(r) => r,
            Err(why) => return Some((line, Err(why))),
        };
        let key_of = |row: &Map<String, Value>| {
            row.get(&self.column).and_then(Value::as_str).map(str::trim).unwrap_or("").to_owned()
        };
        let key = key_of(&first);
        if key.is_empty() {
            return Some((line, Err(format!("a row without {}", self.column))));
        }
        let mut run = vec![first];
        let mut broken = None;
        loop {
            match self.rows.peek() {
                Some((_, Ok(next))) if key_of(next) == key => {
                    if let Some((_, Ok(row))) = self.rows.next() {
                        run.push(row);
                    }
                }
                // A row that cannot be read among (or right after) this record's rows: the
                // record is refused whole rather than split around it.
                Some((_, Err(_))) => {
                    if let Some((l, Err(why))) = self.rows.next() {
                        broken.get_or_insert(format!("{} {key}, line {l}: {why}", self.column));
                    }
                }
                _ => break,
            }
        }
        Some((line, broken.map_or(Ok(run), Err)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_and_runs() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("orders.csv");
        std::fs::write(&path, "number;sku\n1;a\n1;b\n2;c\n2\n3;d\n").unwrap();
        let runs: Vec<_> =
            Runs::new(CsvRows::open(&path, b';', str::to_owned).unwrap(), "number").collect();
        let sizes: Vec<_> = runs.iter().map(|(l, r)| (*l, r.as_ref().map(Vec::len))).collect();
        assert_eq!(sizes.len(), 3, "{sizes:?}");
        assert_eq!(sizes[0], (2, Ok(2)));
        let broken = sizes[1].1.as_ref().unwrap_err();
        assert!(broken.starts_with("number 2, line 5"), "the run of 2 refused whole: {broken}");
        assert_eq!(sizes[2], (6, Ok(1)));
        std::fs::write(&path, "number;sku\n;a\n").unwrap();
        let runs: Vec<_> =
            Runs::new(CsvRows::open(&path, b';', str::to_owned).unwrap(), "number").collect();
        assert_eq!(runs[0].1.as_ref().unwrap_err(), "a row without number");
        std::fs::write(&path, "").unwrap();
        assert!(CsvRows::open(&path, b';', str::to_owned).unwrap_err().contains("header"));
    }
}
