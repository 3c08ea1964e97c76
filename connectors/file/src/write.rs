//! The blocking half of the sink: appends one batch to the file.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::Mutex;

use connector_core::{
    Entity, Error, ErrorKind, FieldError, Outcome, Result, WriteAction, WriteOutcome, WriteRequest,
};

use crate::config::{FileConfig, FileFormat};
use crate::csv_write::CsvLayout;
use crate::decode::decode;
use crate::flatten::flatten;
use crate::reader::io_error;

/// What a sink remembers between batches.
#[derive(Debug, Default)]
pub(crate) struct SinkState {
    /// The CSV header in use, once known.
    pub layout: Option<CsvLayout>,
}

/// The outcome of a record once it is on disk: `Updated` when the flow knows its target id,
/// else `Created`; the target id is the record's key.
fn landed<E: Entity>(req: &WriteRequest<E>, record: &E) -> Outcome {
    let target_id = record.key().map_or_else(|| req.key.clone(), Cow::into_owned);
    if req.target_id.is_some() && !req.is_create {
        Outcome::Updated { target_id }
    } else {
        Outcome::Created { target_id }
    }
}

fn failed<E: Entity>(key: &str, kind: ErrorKind, message: String) -> Outcome {
    Outcome::Failed { error: write_error::<E>(key, kind, message) }
}

fn write_error<E: Entity>(key: &str, kind: ErrorKind, message: String) -> Error {
    Error::new(kind, message)
        .with_record(key.to_owned())
        .with_connector("file")
        .with_operation(format!("write {}", E::KIND))
}

/// The header row of a non-empty CSV file, as written.
pub(crate) fn existing_header(path: &Path, delimiter: u8) -> Result<Option<Vec<String>>> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_error(path, "read", &e)),
    };
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(file);
    let mut record = csv::ByteRecord::new();
    let found = rdr
        .read_byte_record(&mut record)
        .map_err(|e| Error::internal(format!("reading the header of {}: {e}", path.display())))?;
    Ok(found.then(|| record.iter().map(|c| String::from_utf8_lossy(c).into_owned()).collect()))
}

/// Resolves the CSV header: the configured columns (which must match a header already in the
/// file), else the file's header, else the columns of this batch.
fn resolve_layout<E: Entity>(
    config: &FileConfig,
    flats: &[Vec<(String, String)>],
) -> Result<CsvLayout> {
    let existing = existing_header(&config.path, config.delimiter)?;
    let file_error = |message: String| {
        Error::new(
            ErrorKind::InvalidInput,
            format!("the header of {} is not usable: {message}", config.path.display()),
        )
        .with_connector("file")
    };
    match (&config.csv_columns, existing) {
        (Some(columns), existing) => {
            if let Some(existing) = existing {
                let trimmed = |v: &[String]| -> Vec<String> {
                    v.iter().map(|c| c.trim_start_matches('\u{feff}').trim().to_owned()).collect()
                };
                if trimmed(columns) != trimmed(&existing) {
                    return Err(Error::config(format!(
                        "the configured columns ({}) differ from the header of {} ({}); rows \
                         would land under the wrong columns",
                        columns.join(","),
                        config.path.display(),
                        existing.join(",")
                    ))
                    .with_connector("file"));
                }
            }
            CsvLayout::from_names(columns.clone(), E::KIND)
                .map_err(|e| Error::config(format!("columns: {e}")).with_connector("file"))
        }
        (None, Some(existing)) => CsvLayout::from_names(existing, E::KIND).map_err(file_error),
        (None, None) => Ok(CsvLayout::derive(flats.iter().map(Vec::as_slice), E::KIND)),
    }
}

const NO_COLUMN: &str = "has a value but the file's header has no such column (set the \
                         `columns` option, or use JSON Lines for records of varying shape)";

/// The values without a column whose loss would change the record: reading the rows back
/// does not give them. A default the model fills in again (`kind` = `company`,
/// `meta.lifecycle` = `active`) is not lost.
fn lost_fields<E: Entity>(
    layout: &CsvLayout,
    rows: &[Vec<&str>],
    flat: &[(String, String)],
    unplaced: &[&str],
) -> Vec<String> {
    let back: HashSet<(String, String)> = decode::<E>(layout.read_back(rows))
        .ok()
        .and_then(|(record, _)| flatten(&record).ok())
        .map(|pairs| pairs.into_iter().collect())
        .unwrap_or_default();
    flat.iter()
        .filter(|pair| unplaced.contains(&pair.0.as_str()) && !back.contains(*pair))
        .map(|(path, _)| path.clone())
        .collect()
}

fn csv_line(delimiter: u8, cells: &[&str]) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new()
        .delimiter(delimiter)
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    // Writing to a Vec cannot fail.
    let _ = w.write_record(cells);
    w.into_inner().unwrap_or_default()
}

/// Encodes the batch, then appends it with one write and flushes. Outcomes come back in
/// request order.
pub(crate) fn write_batch<E: Entity>(
    config: &FileConfig,
    state: &Mutex<SinkState>,
    batch: Vec<WriteRequest<E>>,
) -> Result<Vec<WriteOutcome>> {
    let mut state = state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let path = &config.path;
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| io_error(path, "open for appending", &e))?;
    let len = file.metadata().map_err(|e| io_error(path, "read", &e))?.len();

    // Outcomes by request position; `None` until the record is known to be on disk.
    let mut outcomes: Vec<(String, Option<Outcome>)> = Vec::with_capacity(batch.len());
    let mut pending: Vec<(usize, Outcome)> = Vec::new();
    let mut body = Vec::new();
    let mut upserts = Vec::new();
    for req in &batch {
        let idx = outcomes.len();
        outcomes.push((req.key.clone(), None));
        match &req.action {
            WriteAction::Deactivate => {
                outcomes[idx].1 = Some(Outcome::Skipped {
                    reason: "file sink cannot deactivate".to_owned(),
                    target_id: req.target_id.clone(),
                });
            }
            WriteAction::Upsert(record) => upserts.push((idx, req, record)),
        }
    }

    let mut header_line = Vec::new();
    match config.format {
        FileFormat::JsonLines => {
            for (idx, req, record) in upserts {
                match serde_json::to_vec(record) {
                    Ok(line) => {
                        body.extend_from_slice(&line);
                        body.push(b'\n');
                        pending.push((idx, landed(req, record)));
                    }
                    Err(e) => {
                        let message = format!("cannot serialise the record: {e}");
                        outcomes[idx].1 = Some(failed::<E>(&req.key, ErrorKind::Internal, message));
                    }
                }
            }
        }
        FileFormat::Csv => {
            let mut flats = Vec::with_capacity(upserts.len());
            let mut ok = Vec::with_capacity(upserts.len());
            for (idx, req, record) in upserts {
                match flatten(record) {
                    Ok(flat) => {
                        flats.push(flat);
                        ok.push((idx, req, record));
                    }
                    Err(e) => {
                        let message = format!("cannot flatten the record to CSV columns: {e}");
                        outcomes[idx].1 = Some(failed::<E>(&req.key, ErrorKind::Internal, message));
                    }
                }
            }
            let layout = match &state.layout {
                Some(layout) if len > 0 => layout.clone(),
                _ => resolve_layout::<E>(config, &flats)?,
            };
            for ((idx, req, record), flat) in ok.into_iter().zip(&flats) {
                let (rows, unplaced) = layout.rows(flat);
                let lost = if unplaced.is_empty() {
                    Vec::new()
                } else {
                    lost_fields::<E>(&layout, &rows, flat, &unplaced)
                };
                if lost.is_empty() {
                    for row in rows {
                        body.extend_from_slice(&csv_line(config.delimiter, &row));
                    }
                    pending.push((idx, landed(req, record)));
                } else {
                    let field_errors: Vec<FieldError> =
                        lost.into_iter().map(|field| FieldError::new(field, NO_COLUMN)).collect();
                    let message =
                        field_errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ");
                    let error = write_error::<E>(&req.key, ErrorKind::InvalidInput, message)
                        .with_field_errors(field_errors);
                    outcomes[idx].1 = Some(Outcome::Failed { error });
                }
            }
            if len == 0 {
                let names: Vec<&str> = layout.names().iter().map(String::as_str).collect();
                header_line = csv_line(config.delimiter, &names);
            }
            state.layout = Some(layout);
        }
    }

    if !body.is_empty() {
        let mut data = Vec::with_capacity(header_line.len() + body.len() + 1);
        if len > 0 && !ends_with_newline(path)? {
            data.push(b'\n');
        }
        data.extend_from_slice(&header_line);
        data.extend_from_slice(&body);
        if let Err(e) = file.write_all(&data).and_then(|()| file.flush()) {
            let error = io_error(path, "append to", &e);
            for (idx, _) in pending.drain(..) {
                let key = outcomes[idx].0.clone();
                let message =
                    format!("{}; the record may or may not be in the file", error.message());
                outcomes[idx].1 = Some(failed::<E>(&key, ErrorKind::UncertainWrite, message));
            }
        }
    }
    for (idx, outcome) in pending {
        outcomes[idx].1 = Some(outcome);
    }
    Ok(outcomes
        .into_iter()
        .map(|(key, outcome)| {
            let outcome = outcome.unwrap_or_else(|| {
                failed::<E>(&key, ErrorKind::Internal, "no outcome was recorded".to_owned())
            });
            WriteOutcome::new(key, outcome)
        })
        .collect())
}

fn ends_with_newline(path: &Path) -> Result<bool> {
    let mut f = File::open(path).map_err(|e| io_error(path, "read", &e))?;
    let mut last = [0u8; 1];
    f.seek(SeekFrom::End(-1))
        .and_then(|_| f.read_exact(&mut last))
        .map_err(|e| io_error(path, "read", &e))?;
    Ok(last[0] == b'\n')
}
