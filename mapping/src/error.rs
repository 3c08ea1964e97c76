//! Errors: load-time problems with their file, line and column, and per-record failures
//! naming the field, the rule and the value.

use std::fmt;
use std::ops::Range;

use connector_core::{Error, ErrorKind, FieldError};

/// Where a load-time problem is: a file position, or a description for mappings built in Rust.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A position in a mapping file (line and column are 1-based; the column counts characters).
    File {
        /// The file's name as given to the loader.
        file: String,
        /// Line, from 1.
        line: usize,
        /// Column, from 1.
        column: usize,
    },
    /// A mapping built with the Rust API: which mapping and element.
    Builder(String),
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::File { file, line, column } => write!(f, "{file}:{line}:{column}"),
            Location::Builder(what) => f.write_str(what),
        }
    }
}

/// One problem found while loading or compiling a mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    /// Where it is.
    pub location: Location,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

/// Every problem found in a mapping document: loading does not stop at the first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadErrors(pub Vec<LoadError>);

impl LoadErrors {
    /// The problems.
    pub fn errors(&self) -> &[LoadError] {
        &self.0
    }

    /// As the SDK's error (kind `config`), with every problem in the message.
    pub fn into_error(self) -> Error {
        Error::config(self.to_string())
    }
}

impl fmt::Display for LoadErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        write!(f, "{n} error{} in mapping", if n == 1 { "" } else { "s" })?;
        for e in &self.0 {
            write!(f, "\n  {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for LoadErrors {}

impl From<LoadErrors> for Error {
    fn from(e: LoadErrors) -> Self {
        e.into_error()
    }
}

/// The text of a mapping file, for turning byte offsets into lines and columns.
#[derive(Debug, Clone)]
pub(crate) struct SourceText {
    pub name: String,
    pub text: String,
}

impl SourceText {
    pub fn locate(&self, span: &Range<usize>) -> Location {
        let (line, column) = line_col(&self.text, span.start);
        Location::File { file: self.name.clone(), line, column }
    }
}

/// The 1-based line and (character) column of a byte offset.
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// Whether a failure fails the record or holds it until a value map is fixed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// A rule, a transform or a value map with policy `fail` refused the value.
    Invalid,
    /// A value map with policy `quarantine` has no entry for the value.
    Quarantine,
}

/// One field of one record that the mapping refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldFailure {
    /// The target field (`lines[2].sku`, `name`).
    pub field: String,
    /// The rule, transform or value map at fault (`digits`, `date`, `map rep_users`).
    pub rule: String,
    /// The offending value, shortened; `None` when the value was missing.
    pub value: Option<String>,
    /// What is wrong.
    pub message: String,
    /// Fail or quarantine.
    pub kind: FailureKind,
}

impl fmt::Display for FieldFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            Some(v) => write!(
                f,
                "{}: rule `{}` refused value {v:?}: {}",
                self.field, self.rule, self.message
            ),
            None => write!(f, "{}: rule `{}` failed: {}", self.field, self.rule, self.message),
        }
    }
}

/// Why a record could not be mapped: every field failure found in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordFailure {
    /// The failures, in rule order.
    pub failures: Vec<FieldFailure>,
}

impl RecordFailure {
    /// Whether every failure is a value-map miss under policy `quarantine`: the record waits
    /// for the map to be fixed rather than being wrong.
    pub fn is_quarantine(&self) -> bool {
        !self.failures.is_empty() && self.failures.iter().all(|f| f.kind == FailureKind::Quarantine)
    }

    /// As the SDK's error (kind `invalid_input`) for the record `key`, one field error per
    /// failure. Quarantines and failures carry different messages.
    pub fn to_error(&self, key: &str) -> Error {
        let head = if self.is_quarantine() {
            "held in quarantine by the mapping until a value map is fixed (then replay)"
        } else {
            "mapping refused the record"
        };
        let details: Vec<String> = self.failures.iter().map(ToString::to_string).collect();
        let fields = self
            .failures
            .iter()
            .map(|f| {
                let msg = f.to_string();
                let msg = msg.strip_prefix(&format!("{}: ", f.field)).unwrap_or(&msg).to_string();
                FieldError::new(f.field.clone(), msg)
            })
            .collect();
        Error::new(ErrorKind::InvalidInput, format!("{head}: {}", details.join("; ")))
            .with_record(key)
            .with_field_errors(fields)
    }
}

impl fmt::Display for RecordFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, x) in self.failures.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{x}")?;
        }
        Ok(())
    }
}

impl std::error::Error for RecordFailure {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_from_offsets() {
        let text = "a = 1\nbé = 2\n  c";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 6), (2, 1));
        // after "bé " (the é is two bytes)
        assert_eq!(line_col(text, 10), (2, 4));
        assert_eq!(line_col(text, text.len()), (3, 4));
        assert_eq!(line_col(text, 999), (3, 4));
    }

    #[test]
    fn record_failure_messages_differ_for_quarantine() {
        let q = FieldFailure {
            field: "sales_rep.key".into(),
            rule: "map rep_users".into(),
            value: Some("JV".into()),
            message: "no mapping".into(),
            kind: FailureKind::Quarantine,
        };
        let mut f = q.clone();
        f.kind = FailureKind::Invalid;
        let qe = RecordFailure { failures: vec![q] }.to_error("C1");
        let fe = RecordFailure { failures: vec![f] }.to_error("C1");
        assert!(qe.to_string().contains("held in quarantine"), "{qe}");
        assert!(fe.to_string().contains("mapping refused"), "{fe}");
        assert_eq!(qe.record(), Some("C1"));
        assert_eq!(qe.field(), Some("sales_rep.key"));
        assert!(qe.to_string().contains("\"JV\""), "{qe}");
    }
}
