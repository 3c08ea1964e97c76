//! Configuration: which file, in which format, with which CSV delimiter and columns.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use connector_core::{Error, Result};
use serde::Deserialize;

use crate::paths;

/// The settings of the file connector, read from text options (a flow file's, `--option`, or
/// the environment's `CONNECTOR_FILE_<KEY>`) by [`FileConfig::from_options`]; an unknown key
/// is refused, naming the known ones.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct FileSettings {
    /// The file (required).
    #[serde(default)]
    pub path: Option<String>,
    /// `csv` or `jsonl` (default: from the file's extension).
    #[serde(default)]
    pub format: Option<String>,
    /// The CSV delimiter: one ASCII character, or `tab` (default `,`; tab for `.tsv`).
    #[serde(default)]
    pub delimiter: Option<String>,
    /// The sink's CSV columns, as dotted paths (comma-separated in text).
    #[serde(default)]
    pub columns: Option<Vec<String>>,
}

/// The layout of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileFormat {
    /// Comma-separated values with a header row of dotted column paths.
    Csv,
    /// One canonical JSON record per line (`.jsonl`, `.ndjson`).
    JsonLines,
}

impl FileFormat {
    /// Parses `csv`, `jsonl`, `json-lines`, `jsonlines`, `ndjson` (any case).
    pub fn parse(s: &str) -> Option<FileFormat> {
        match s.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "csv" | "tsv" => Some(FileFormat::Csv),
            "jsonl" | "json-lines" | "jsonlines" | "ndjson" => Some(FileFormat::JsonLines),
            _ => None,
        }
    }

    /// The format a file name's extension implies: `.csv`/`.tsv`, `.jsonl`/`.ndjson`.
    pub fn from_extension(path: &Path) -> Option<FileFormat> {
        let ext = path.extension()?.to_str()?;
        match ext.to_ascii_lowercase().as_str() {
            "csv" | "tsv" => Some(FileFormat::Csv),
            "jsonl" | "ndjson" => Some(FileFormat::JsonLines),
            _ => None,
        }
    }

    /// A short name (`csv`, `jsonl`).
    pub fn as_str(self) -> &'static str {
        match self {
            FileFormat::Csv => "csv",
            FileFormat::JsonLines => "jsonl",
        }
    }
}

impl fmt::Display for FileFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where the file is and how it is laid out.
///
/// Build it with [`FileConfig::new`] (format from the extension), [`FileConfig::csv`],
/// [`FileConfig::json_lines`], [`FileConfig::from_options`], [`FileConfig::from_env`] or
/// [`FileConfig::from_env_and_options`], then adjust it with the `with_*` setters.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FileConfig {
    /// The file to read or append to.
    pub path: PathBuf,
    /// CSV or JSON Lines.
    pub format: FileFormat,
    /// The CSV delimiter byte (`,` unless set; tab for a `.tsv` file). Ignored for JSON Lines.
    pub delimiter: u8,
    /// The sink's CSV header, as dotted column paths. `None`: the header already in the file,
    /// else the columns of the first batch written. Ignored by the source and for JSON Lines.
    pub csv_columns: Option<Vec<String>>,
}

impl FileConfig {
    /// A configuration for `path`, its format taken from the extension
    /// (`.csv`, `.tsv`, `.jsonl`, `.ndjson`).
    pub fn new(path: impl Into<PathBuf>) -> Result<Self> {
        let path = path.into();
        let format = FileFormat::from_extension(&path).ok_or_else(|| {
            config_error(format!(
                "cannot tell the format of {}: name it .csv, .jsonl or .ndjson, or set \
                 `format` (csv or jsonl)",
                path.display()
            ))
        })?;
        Ok(Self::with_path_and_format(path, format))
    }

    /// A CSV configuration for `path`.
    pub fn csv(path: impl Into<PathBuf>) -> Self {
        Self::with_path_and_format(path.into(), FileFormat::Csv)
    }

    /// A JSON Lines configuration for `path`.
    pub fn json_lines(path: impl Into<PathBuf>) -> Self {
        Self::with_path_and_format(path.into(), FileFormat::JsonLines)
    }

    fn with_path_and_format(path: PathBuf, format: FileFormat) -> Self {
        let tsv = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("tsv"));
        Self { path, format, delimiter: if tsv { b'\t' } else { b',' }, csv_columns: None }
    }

    /// Sets the format.
    pub fn with_format(mut self, format: FileFormat) -> Self {
        self.format = format;
        self
    }

    /// Sets the CSV delimiter (an ASCII byte other than a quote or a line break).
    pub fn with_delimiter(mut self, delimiter: u8) -> Result<Self> {
        check_delimiter(delimiter)?;
        self.delimiter = delimiter;
        Ok(self)
    }

    /// Sets the sink's CSV header (dotted column paths, validated here).
    pub fn with_columns<I, S>(mut self, columns: I) -> Result<Self>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let columns: Vec<String> = columns.into_iter().map(Into::into).collect();
        check_columns(&columns)?;
        self.csv_columns = Some(columns);
        Ok(self)
    }

    /// Reads the settings `path` (required), `format` (`csv` or `jsonl`; default from the
    /// extension), `delimiter` (one character, or `tab`) and `columns` (comma-separated
    /// dotted paths) from text options ([`FileSettings`]). An unknown key is an error naming
    /// the known ones, so a typo never goes unnoticed.
    pub fn from_options(options: &BTreeMap<String, String>) -> Result<Self> {
        let settings: FileSettings = connector_core::system::read_settings("file", options)
            .map_err(|e| e.with_connector("file"))?;
        Self::from_settings(settings)
    }

    /// Reads `CONNECTOR_FILE_PATH`, `CONNECTOR_FILE_FORMAT`, `CONNECTOR_FILE_DELIMITER` and
    /// `CONNECTOR_FILE_COLUMNS`.
    pub fn from_env() -> Result<Self> {
        Self::from_env_and_options(&BTreeMap::new())
    }

    /// Reads the environment, then lets each option present in `options` override it.
    pub fn from_env_and_options(options: &BTreeMap<String, String>) -> Result<Self> {
        Self::from_options(&connector_core::system::merged_options("file", options))
    }

    /// The configuration the settings describe, each value checked; an error names the
    /// setting (`delimiter`, also `CONNECTOR_FILE_DELIMITER`).
    pub fn from_settings(settings: FileSettings) -> Result<Self> {
        let given = |v: Option<String>| v.filter(|v| !v.trim().is_empty());
        let path = given(settings.path).ok_or_else(|| {
            config_error("no file given: set `path` (or CONNECTOR_FILE_PATH)".to_owned())
        })?;
        let mut config = match given(settings.format) {
            Some(format) => {
                let format = FileFormat::parse(&format).ok_or_else(|| {
                    config_error(format!(
                        "{}: unknown format {format:?}; use csv or jsonl",
                        origin("format")
                    ))
                })?;
                Self::with_path_and_format(PathBuf::from(path.trim()), format)
            }
            None => Self::new(path.trim())?,
        };
        if let Some(delimiter) = settings.delimiter.filter(|d| !d.is_empty()) {
            config.delimiter = parse_delimiter(&delimiter)
                .map_err(|e| config_error(format!("{}: {}", origin("delimiter"), e.message())))?;
        }
        if let Some(columns) = settings.columns {
            let columns: Vec<String> = columns.iter().map(|c| c.trim().to_owned()).collect();
            check_columns(&columns)
                .map_err(|e| config_error(format!("{}: {}", origin("columns"), e.message())))?;
            config.csv_columns = Some(columns);
        }
        Ok(config)
    }
}

/// How a setting is named in an error: its key and its variable.
fn origin(key: &str) -> String {
    format!("setting `{key}` (CONNECTOR_FILE_{})", key.to_ascii_uppercase())
}

fn config_error(message: String) -> Error {
    Error::config(message).with_connector("file")
}

/// Parses a delimiter: one ASCII character, or `tab` / `\t`.
fn parse_delimiter(s: &str) -> Result<u8> {
    let byte = match s {
        "\t" | "\\t" => b'\t',
        _ if s.trim().eq_ignore_ascii_case("tab") => b'\t',
        _ => match s.as_bytes() {
            [b] => *b,
            _ => {
                return Err(config_error(format!(
                    "delimiter {s:?} must be one ASCII character (or `tab`)"
                )));
            }
        },
    };
    check_delimiter(byte)?;
    Ok(byte)
}

fn check_delimiter(byte: u8) -> Result<()> {
    if !byte.is_ascii() || matches!(byte, b'"' | b'\n' | b'\r') {
        return Err(config_error(format!(
            "delimiter {:?} cannot be used: pick an ASCII character other than a quote or a \
             line break",
            char::from(byte)
        )));
    }
    Ok(())
}

fn check_columns(columns: &[String]) -> Result<()> {
    if columns.is_empty() || columns.iter().all(|c| c.trim().is_empty()) {
        return Err(config_error("`columns` is empty".to_owned()));
    }
    let parsed = columns
        .iter()
        .map(|c| paths::parse(c).map_err(|e| config_error(format!("column `{c}`: {e}"))))
        .collect::<Result<Vec<_>>>()?;
    paths::check_columns(columns, &parsed).map_err(config_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn format_comes_from_the_extension() {
        assert_eq!(FileConfig::new("a/b.CSV").unwrap().format, FileFormat::Csv);
        assert_eq!(FileConfig::new("b.jsonl").unwrap().format, FileFormat::JsonLines);
        assert_eq!(FileConfig::new("b.ndjson").unwrap().format, FileFormat::JsonLines);
        let tsv = FileConfig::new("b.tsv").unwrap();
        assert_eq!((tsv.format, tsv.delimiter), (FileFormat::Csv, b'\t'));
        let err = FileConfig::new("b.txt").unwrap_err();
        assert_eq!(err.kind(), connector_core::ErrorKind::Config);
        assert!(err.message().contains("b.txt"), "{err}");
    }

    #[test]
    fn options_are_read_and_validated() {
        let c = FileConfig::from_options(&opts(&[
            ("path", "out.txt"),
            ("format", "CSV"),
            ("delimiter", ";"),
            ("columns", "number, name,emails.0.address"),
        ]))
        .unwrap();
        assert_eq!(c.path, PathBuf::from("out.txt"));
        assert_eq!(c.format, FileFormat::Csv);
        assert_eq!(c.delimiter, b';');
        assert_eq!(
            c.csv_columns.as_deref(),
            Some(&["number".to_owned(), "name".into(), "emails.0.address".into()][..])
        );
        let tab = FileConfig::from_options(&opts(&[("path", "x.csv"), ("delimiter", "tab")]));
        assert_eq!(tab.unwrap().delimiter, b'\t');
    }

    #[test]
    fn config_errors_are_clear() {
        let cases: [(&[(&str, &str)], &str); 6] = [
            (&[], "CONNECTOR_FILE_PATH"),
            (&[("path", "x.csv"), ("delimter", ";")], "unknown field `delimter`"),
            (&[("path", "x.csv"), ("format", "xml")], "unknown format \"xml\""),
            (&[("path", "x.csv"), ("delimiter", ";;")], "one ASCII character"),
            (&[("path", "x.csv"), ("delimiter", "\"")], "quote"),
            (&[("path", "x.csv"), ("columns", "name,name.first")], "name.first"),
        ];
        for (options, needle) in cases {
            let err = FileConfig::from_options(&opts(options)).unwrap_err();
            assert_eq!(err.kind(), connector_core::ErrorKind::Config, "{err}");
            assert!(err.to_string().contains(needle), "{needle:?} not in {err}");
        }
    }

    #[test]
    fn a_bad_value_names_the_setting_and_its_variable() {
        let err =
            FileConfig::from_options(&opts(&[("path", "x.csv"), ("delimiter", "ab")])).unwrap_err();
        assert!(err.to_string().contains("`delimiter` (CONNECTOR_FILE_DELIMITER)"), "{err}");
    }
}
