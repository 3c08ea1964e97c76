//! [`FileSink`]: appends canonical records to a CSV or JSON Lines file.

use std::fmt;
use std::fs::{File, OpenOptions};
use std::marker::PhantomData;
use std::path::Path;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use connector_core::{
    Entity, Error, ErrorKind, Found, LookupKey, Result, Sink, SinkCapabilities, WriteOutcome,
    WriteRequest,
};

use crate::config::{FileConfig, FileFormat};
use crate::csv_write::CsvLayout;
use crate::reader::io_error;
use crate::shape::shape;
use crate::write::{SinkState, existing_header, write_batch};

/// The most records one `write` call should carry.
pub const MAX_BATCH: usize = 500;

/// Appends records of entity `E` to a file (created if missing).
///
/// - JSON Lines: one canonical JSON record per line.
/// - CSV: records flattened to dotted columns under the configured `columns`, else the header
///   already in the file, else the columns of the first batch (written as the header of a new
///   or empty file). Documents are written one line per row when the header has
///   `lines.<field>` columns (the default for a new file). A record with a value in a column
///   the header lacks fails on its own ([`connector_core::Outcome::Failed`], `InvalidInput`,
///   naming the field) and the rest of the batch is written; a value the model restores by
///   itself when the row is read back (a default such as `kind` = `company`) is not data and
///   needs no column.
///
/// An upsert reports `Updated` when the flow knows the record's target id and `Created`
/// otherwise, with the record's key as the target id. Deactivation is not supported (a file
/// holds no state to change): it reports `Skipped`. Each batch is appended with one write on a
/// blocking thread and flushed (not fsynced).
pub struct FileSink<E> {
    config: FileConfig,
    state: Arc<Mutex<SinkState>>,
    _entity: PhantomData<fn() -> E>,
}

impl<E> fmt::Debug for FileSink<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileSink").field("config", &self.config).finish_non_exhaustive()
    }
}

impl<E> Clone for FileSink<E> {
    /// A handle on the same file that shares the header in use and the write lock.
    fn clone(&self) -> Self {
        Self { config: self.config.clone(), state: self.state.clone(), _entity: PhantomData }
    }
}

impl<E: Entity> FileSink<E> {
    /// A sink appending to the configured file.
    pub fn new(config: FileConfig) -> Self {
        Self { config, state: Arc::default(), _entity: PhantomData }
    }

    /// The configuration.
    pub fn config(&self) -> &FileConfig {
        &self.config
    }
}

fn task_failed(e: tokio::task::JoinError) -> Error {
    Error::internal(format!("the file task failed: {e}")).with_connector("file")
}

/// The sink's connection test, blocking.
fn check_writable<E: Entity>(config: &FileConfig) -> Result<()> {
    let path = &config.path;
    if path.exists() {
        if !path.is_file() {
            return Err(Error::config(format!("{} is not a file", path.display())));
        }
        OpenOptions::new()
            .append(true)
            .open(path)
            .map_err(|e| io_error(path, "open for appending", &e))?;
        if config.format == FileFormat::Csv {
            if let Some(names) = existing_header(path, config.delimiter)? {
                CsvLayout::from_names(names, E::KIND).map_err(|e| {
                    Error::new(ErrorKind::InvalidInput, format!("the CSV header is not valid: {e}"))
                })?;
            }
        }
        return Ok(());
    }
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        return Err(Error::new(
            ErrorKind::NotFound,
            format!("directory {} does not exist", dir.display()),
        ));
    }
    let probe = dir.join(format!(".connector-file-check-{}", std::process::id()));
    File::create(&probe).map_err(|e| io_error(dir, "create a file in", &e))?;
    std::fs::remove_file(&probe).map_err(|e| io_error(&probe, "remove", &e))
}

#[async_trait]
impl<E: Entity> Sink<E> for FileSink<E> {
    fn name(&self) -> &str {
        "file"
    }

    fn capabilities(&self) -> SinkCapabilities {
        SinkCapabilities::new(E::KIND)
            .max_batch(MAX_BATCH)
            .max_concurrency(1)
            .can_find(true)
            .can_deactivate(false)
            .idempotent_writes(false)
            .natural_key(shape(E::KIND).natural_key.to_owned())
    }

    /// Checks that the file can be appended to (and its CSV header is valid), or that a file
    /// can be created in its directory.
    async fn check(&self) -> Result<()> {
        let config = self.config.clone();
        tokio::task::spawn_blocking(move || check_writable::<E>(&config))
            .await
            .map_err(task_failed)?
            .map_err(|e| e.with_connector("file").with_operation("check"))
    }

    /// Scans the whole file (fine for small files; linear in its size) and returns the last
    /// matching record: by key when the field is the natural key or `key`, else by the value
    /// at a dotted path (`emails.address`, `tax_number`), `email` matching any e-mail address.
    async fn find(&self, key: &LookupKey) -> Result<Option<Found<E>>> {
        let config = self.config.clone();
        let key = key.clone();
        tokio::task::spawn_blocking(move || crate::find::find::<E>(&config, &key))
            .await
            .map_err(task_failed)?
            .map_err(|e| e.with_operation(format!("find {}", E::KIND)))
    }

    async fn write(&self, batch: Vec<WriteRequest<E>>) -> Result<Vec<WriteOutcome>> {
        let config = self.config.clone();
        let state = self.state.clone();
        tokio::task::spawn_blocking(move || write_batch(&config, &state, batch))
            .await
            .map_err(task_failed)?
            .map_err(|e| e.with_operation(format!("write {}", E::KIND)))
    }
}
