//! [`FileSource`]: reads canonical records from a CSV or JSON Lines file.

use std::fmt;
use std::marker::PhantomData;

use async_trait::async_trait;
use connector_core::{
    Change, ChangeDetection, Cursor, DeleteSignal, Entity, Error, ErrorKind, ReadMode, Result,
    Source, SourceCapabilities,
};
use futures_util::StreamExt;
use futures_util::stream::{self, BoxStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::config::FileConfig;
use crate::reader::{Extent, Records, io_error};

/// Records buffered between the reading thread and the stream.
pub const CHANNEL_CAPACITY: usize = 256;

/// In changes mode, a checkpoint follows every this many records.
pub const CHECKPOINT_EVERY: u64 = 1_000;

/// Reads records of entity `E` from a file.
///
/// - [`ReadMode::Full`] streams every record, then [`Change::SnapshotComplete`].
/// - [`ReadMode::Changes`] treats the file as append-only: the cursor is the number of data
///   rows (CSV) or lines (JSON Lines) already consumed. The read skips them, streams the rest,
///   and emits a [`Change::Checkpoint`] every [`CHECKPOINT_EVERY`] records and at the end. Only
///   complete lines are read, so a line still being appended is left for the next run.
///
/// A row or line that does not decode becomes a [`Change::Rejected`] naming its row or line
/// number, its key when readable and the field at fault; the stream goes on. The file is read
/// on a blocking thread feeding a bounded channel, so memory stays flat whatever its size.
pub struct FileSource<E> {
    config: FileConfig,
    _entity: PhantomData<fn() -> E>,
}

impl<E> fmt::Debug for FileSource<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileSource").field("config", &self.config).finish()
    }
}

impl<E> Clone for FileSource<E> {
    fn clone(&self) -> Self {
        Self { config: self.config.clone(), _entity: PhantomData }
    }
}

impl<E: Entity> FileSource<E> {
    /// A source reading the configured file.
    pub fn new(config: FileConfig) -> Self {
        Self { config, _entity: PhantomData }
    }

    /// The configuration.
    pub fn config(&self) -> &FileConfig {
        &self.config
    }
}

/// Parses an append-only cursor: the count of units already consumed.
fn parse_cursor(cursor: Option<&Cursor>) -> Result<u64> {
    let Some(cursor) = cursor else { return Ok(0) };
    cursor.as_str().trim().parse().map_err(|_| {
        Error::new(
            ErrorKind::InvalidInput,
            format!("cursor {cursor:?} is not a file cursor (a count of rows or lines)"),
        )
        .with_connector("file")
    })
}

type Tx<E> = mpsc::Sender<Result<Change<E>>>;

/// Reads on the blocking thread, sending each change; stops when the stream is dropped.
fn run_read<E: Entity>(config: &FileConfig, mode: &ReadMode, tx: &Tx<E>) {
    let send = |item: Result<Change<E>>| tx.blocking_send(item).is_ok();
    let (extent, skip, changes) = match mode {
        ReadMode::Full => (Extent::Whole, 0, false),
        ReadMode::Changes { since } => match parse_cursor(since.as_ref()) {
            Ok(skip) => (Extent::CompleteLines, skip, true),
            Err(e) => {
                send(Err(e));
                return;
            }
        },
    };
    let operation = format!("read {}", E::KIND);
    let mut records = match Records::<E>::open(config, extent, skip) {
        Ok(records) => records,
        Err(e) => {
            send(Err(e.with_operation(operation)));
            return;
        }
    };
    let mut delivered = 0u64;
    while let Some(next) = records.next() {
        let change = match next {
            Ok(Ok(record)) => Change::Upsert(record),
            Ok(Err(rejected)) => Change::Rejected(rejected),
            Err(e) => {
                send(Err(e.context(config.path.display()).with_operation(operation)));
                return;
            }
        };
        if !send(Ok(change)) {
            return;
        }
        delivered += 1;
        if changes && delivered % CHECKPOINT_EVERY == 0 {
            let cursor = Cursor::new(records.consumed().to_string());
            if !send(Ok(Change::Checkpoint(cursor))) {
                return;
            }
        }
    }
    let last = if changes {
        Change::Checkpoint(Cursor::new(records.consumed().to_string()))
    } else {
        Change::SnapshotComplete
    };
    send(Ok(last));
}

enum ReadState<E> {
    Start(FileConfig, ReadMode),
    Running(mpsc::Receiver<Result<Change<E>>>, JoinHandle<()>),
    Done,
}

#[async_trait]
impl<E: Entity> Source<E> for FileSource<E> {
    fn name(&self) -> &str {
        "file"
    }

    fn capabilities(&self) -> SourceCapabilities {
        SourceCapabilities::new(E::KIND, ChangeDetection::None)
            .deletes(DeleteSignal::AbsenceOnly)
            .page_size(None)
    }

    /// Opens the file for reading and, for CSV, checks its header.
    async fn check(&self) -> Result<()> {
        let config = self.config.clone();
        tokio::task::spawn_blocking(move || {
            let metadata =
                std::fs::metadata(&config.path).map_err(|e| io_error(&config.path, "open", &e))?;
            if !metadata.is_file() {
                return Err(Error::config(format!("{} is not a file", config.path.display()))
                    .with_connector("file"));
            }
            Records::<E>::open(&config, Extent::Whole, 0).map(drop)
        })
        .await
        .map_err(|e| {
            Error::internal(format!("file check task failed: {e}")).with_connector("file")
        })?
        .map_err(|e| e.with_operation("check"))
    }

    fn read(&self, mode: ReadMode) -> BoxStream<'_, Result<Change<E>>> {
        let start = ReadState::Start(self.config.clone(), mode);
        stream::unfold(start, |mut state| async move {
            loop {
                state = match state {
                    ReadState::Start(config, mode) => {
                        let (tx, rx) = mpsc::channel(CHANNEL_CAPACITY);
                        let handle = tokio::task::spawn_blocking(move || {
                            run_read::<E>(&config, &mode, &tx);
                        });
                        ReadState::Running(rx, handle)
                    }
                    ReadState::Running(mut rx, handle) => {
                        if let Some(item) = rx.recv().await {
                            return Some((item, ReadState::Running(rx, handle)));
                        }
                        return match handle.await {
                            Ok(()) => None,
                            Err(e) => {
                                let error =
                                    Error::internal(format!("the reading thread failed: {e}"))
                                        .with_connector("file");
                                Some((Err(error), ReadState::Done))
                            }
                        };
                    }
                    ReadState::Done => return None,
                };
            }
        })
        .boxed()
    }
}
