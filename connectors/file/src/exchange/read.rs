//! Exchanged CSV files as a source's read: the settled files of an inbox, each row (or each
//! run of rows with the same key) one record, a checkpoint after each file naming every file
//! read whole so far, so the next read moves exactly those on.

use std::sync::{Arc, Mutex};

use connector_core::error::{Error, ErrorKind, Result};
use connector_core::source::{Change, Cursor, Rejected};
use futures_util::stream::{self, BoxStream, StreamExt};
use serde_json::{Map, Value};

use super::{CsvRows, FileStamp, Inbox, InboxFile, ReadFiles, Runs};

/// Turns the rows of one record into it, or rejects them.
pub type Records<E> =
    Arc<dyn Fn(&[Map<String, Value>]) -> std::result::Result<E, Rejected> + Send + Sync>;

/// How the files of a read look.
#[derive(Debug, Clone)]
pub struct FileLayout {
    /// The files' names start with this (`orders`).
    pub prefix: &'static str,
    /// … and end with this (`.csv`).
    pub suffix: &'static str,
    /// The field separator.
    pub delimiter: u8,
    /// What a header name becomes (`str::to_ascii_uppercase`).
    pub column: fn(&str) -> String,
    /// With a key column, each run of rows with the same key is one record (the lines of an
    /// order); without, each row is.
    pub key: Option<&'static str>,
    /// The connector the errors name.
    pub connector: &'static str,
}

fn rejected(connector: &str, file: &str, line: u64, why: String) -> Rejected {
    Rejected {
        key: Some(format!("{file}:{line}")),
        payload: None,
        error: Error::invalid_field("row", format!("{file} line {line}: {why}"))
            .with_connector(connector.to_owned()),
    }
}

fn io(connector: &str, what: &str, e: std::io::Error) -> Error {
    Error::new(ErrorKind::Transport, format!("{what}: {e}")).with_connector(connector.to_owned())
}

/// The changes of the pending files of `inbox` after the committed cursor `since`: each
/// record through `records`, a checkpoint after each file read whole. A file that is not CSV
/// moves to `failed/` with the reason and is one rejection.
pub fn read_pending<E: Send + 'static>(
    inbox: &Inbox,
    layout: FileLayout,
    since: Option<String>,
    records: Records<E>,
) -> BoxStream<'_, Result<Change<E>>> {
    let read = Arc::new(Mutex::new(ReadFiles::default()));
    let connector = layout.connector;
    stream::once(async move { inbox.pending(layout.prefix, layout.suffix, since.as_deref()).await })
        .flat_map(move |files| match files {
            Err(e) => stream::iter(vec![Err(io(connector, "reading the inbox", e))]).boxed(),
            Ok(files) => {
                let (layout, records, read) = (layout.clone(), records.clone(), read.clone());
                stream::iter(files)
                    .flat_map(move |f| file_changes(f, &layout, records.clone(), read.clone()))
                    .boxed()
            }
        })
        .boxed()
}

fn file_changes<E: Send + 'static>(
    file: InboxFile,
    layout: &FileLayout,
    records: Records<E>,
    read: Arc<Mutex<ReadFiles>>,
) -> BoxStream<'static, Result<Change<E>>> {
    let connector = layout.connector;
    let name = file.name.clone();
    let opened = FileStamp::of(&file.path, &name)
        .map_err(|e| e.to_string())
        .and_then(|stamp| Ok((stamp, CsvRows::open(&file.path, layout.delimiter, layout.column)?)));
    let (stamp, rows) = match opened {
        Ok(o) => o,
        Err(why) => {
            let mut out = vec![Ok(Change::Rejected(rejected(connector, &name, 1, why.clone())))];
            if let Err(e) = file.failed(&why) {
                out.push(Err(io(connector, "moving a file to failed/", e)));
            }
            return stream::iter(out).boxed();
        }
    };
    let runs: Box<dyn Iterator<Item = _> + Send> = match layout.key {
        Some(key) => Box::new(Runs::new(rows, key)),
        None => Box::new(rows.map(|(line, row)| (line, row.map(|r| vec![r])))),
    };
    let file_name = name;
    let changes = runs.map(move |(line, run)| {
        Ok(match run {
            Ok(rows) => match records(&rows) {
                Ok(r) => Change::Upsert(r),
                Err(r) => Change::Rejected(r),
            },
            Err(why) => Change::Rejected(rejected(connector, &file_name, line, why)),
        })
    });
    // The file stays in the inbox until a later read finds it in a committed checkpoint.
    let checkpoint = stream::once(async move {
        let mut files = read.lock().unwrap_or_else(|p| p.into_inner());
        files.push(stamp);
        Ok(Change::Checkpoint(Cursor::new(files.cursor())))
    });
    stream::iter(changes).chain(checkpoint).boxed()
}
