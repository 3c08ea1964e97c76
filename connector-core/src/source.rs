//! The [`Source`] trait: where records come from.

use std::fmt;

use async_trait::async_trait;
use futures_util::stream::BoxStream;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::{Entity, EntityKind};

/// An opaque, serialisable position in a source's change feed. Each connector decides what
/// it holds (an instant, a row version, a composite); the engine only stores and returns it.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Cursor(pub String);

impl Cursor {
    /// A cursor from its text.
    pub fn new(s: impl Into<String>) -> Self {
        Cursor(s.into())
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cursor({})", self.0)
    }
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadMode {
    /// Every record, ending with [`Change::SnapshotComplete`].
    Full,
    /// Changes since a cursor; `None` means from the beginning.
    Changes {
        /// Where the last run stopped.
        since: Option<Cursor>,
    },
}

/// A record the source could not turn into a canonical record.
#[derive(Debug, Clone)]
pub struct Rejected {
    /// The record's key, if it could be read (`row 7`, an id).
    pub key: Option<String>,
    /// What the source sent, as text.
    pub payload: Option<String>,
    /// Why, naming the field.
    pub error: Error,
}

/// One item of a source's stream.
#[derive(Debug, Clone)]
pub enum Change<E> {
    /// A record was created or changed (or exists, in a snapshot).
    Upsert(E),
    /// A record was deleted at the source.
    Delete {
        /// Its natural key.
        key: String,
    },
    /// Everything before this point is delivered; resume from here.
    Checkpoint(Cursor),
    /// A full snapshot is complete: records not seen are absent from the source.
    SnapshotComplete,
    /// A record failed to decode or validate; the stream goes on.
    Rejected(Rejected),
}

/// How precisely a source detects changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ChangeDetection {
    /// Only full snapshots.
    None,
    /// By a modification timestamp (inclusive boundaries are deduplicated).
    Timestamp,
    /// By a monotonic row version.
    RowVersion,
    /// By remembering what was processed (immutable records, no change filter).
    Ledger,
}

/// How a source reports deletions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum DeleteSignal {
    /// Deletions are never reported; only absence from a full snapshot shows them.
    AbsenceOnly,
    /// Deleted records arrive as [`Change::Delete`].
    Tombstones,
    /// Records arrive with an inactive or deleted lifecycle (archived, void).
    Lifecycle,
}

/// What a source can do: `SourceCapabilities::new(kind, changes)` and the setters below.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SourceCapabilities {
    /// The entity it reads.
    pub entity: EntityKind,
    /// Change detection.
    pub changes: ChangeDetection,
    /// Deletion signal.
    pub deletes: DeleteSignal,
    /// Records per page, when paged.
    pub page_size: Option<usize>,
}

impl SourceCapabilities {
    /// A source of `entity` that detects changes as `changes` says; deletions only show as
    /// absence from a full snapshot, and it is not paged.
    pub fn new(entity: EntityKind, changes: ChangeDetection) -> Self {
        Self { entity, changes, deletes: DeleteSignal::AbsenceOnly, page_size: None }
    }

    /// How deletions show.
    #[must_use]
    pub fn deletes(mut self, deletes: DeleteSignal) -> Self {
        self.deletes = deletes;
        self
    }

    /// How changes are detected.
    #[must_use]
    pub fn changes(mut self, changes: ChangeDetection) -> Self {
        self.changes = changes;
        self
    }

    /// Records per page (`None`: not paged).
    #[must_use]
    pub fn page_size(mut self, page_size: impl Into<Option<usize>>) -> Self {
        self.page_size = page_size.into();
        self
    }
}

/// A source of canonical records. Object safe: hold it as `Arc<dyn Source<Customer>>`.
#[async_trait]
pub trait Source<E: Entity>: Send + Sync {
    /// The connector's name (`xero`).
    fn name(&self) -> &str;

    /// What it can do.
    fn capabilities(&self) -> SourceCapabilities;

    /// A connection test: credentials, tenant, permissions.
    async fn check(&self) -> Result<()>;

    /// Reads records as a lazy stream of changes. Pages are fetched as the stream is polled.
    fn read(&self, mode: ReadMode) -> BoxStream<'_, Result<Change<E>>>;
}

/// A read that ends at its first error: the error is the last item, so nothing after a
/// failed page (no later records, no checkpoint, no snapshot claim) is given.
pub fn end_at_first_error<'a, T: Send + 'a>(
    s: BoxStream<'a, Result<T>>,
) -> BoxStream<'a, Result<T>> {
    use futures_util::StreamExt;
    s.scan(false, |failed, item| {
        let out = if *failed { None } else { Some(item) };
        if matches!(out, Some(Err(_))) {
            *failed = true;
        }
        futures_util::future::ready(out)
    })
    .boxed()
}
