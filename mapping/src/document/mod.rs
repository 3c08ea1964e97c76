//! Mapping files: TOML (the primary format) and JSON, read into a [`MappingDocument`] with
//! every problem reported by file, line and column. YAML is not supported (it would need a
//! YAML parser that keeps positions; TOML and JSON cover the need).

mod json;
mod node;
mod read;
mod toml;

use std::path::Path;

use crate::error::{LoadError, LoadErrors, SourceText};
use crate::spec::MappingDocument;

/// The format of a mapping file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// TOML.
    Toml,
    /// JSON.
    Json,
}

impl Format {
    /// The format a file name implies (`.json` → JSON, anything else → TOML).
    pub fn from_path(path: &Path) -> Format {
        match path.extension().and_then(|e| e.to_str()) {
            Some(e) if e.eq_ignore_ascii_case("json") => Format::Json,
            _ => Format::Toml,
        }
    }
}

/// Parses a document's text: a syntax error stops here; other problems come back beside the
/// (partial) document so that compiling it can report more.
pub(crate) fn parse(
    src: &SourceText,
    format: Format,
) -> Result<(MappingDocument, Vec<LoadError>), LoadErrors> {
    let node = match format {
        Format::Toml => toml::parse(&src.text),
        Format::Json => json::parse(&src.text),
    };
    let node = node.map_err(|(span, message)| {
        let what = match format {
            Format::Toml => "TOML",
            Format::Json => "JSON",
        };
        LoadErrors(vec![LoadError {
            location: src.locate(&span),
            message: format!("{what} syntax: {message}"),
        }])
    })?;
    let mut reader = read::Reader::new(src);
    let doc = reader.document(&node);
    Ok((doc, reader.errors))
}
