//! [`read_all`]: a source read to its end, gathered for a test's assertions.

use std::collections::HashMap;

use futures_util::StreamExt;

use connector_core::Error;
use connector_core::model::Entity;
use connector_core::source::{Change, Cursor, ReadMode, Rejected, Source};

/// What a read delivered, in order within each kind.
#[derive(Debug)]
#[non_exhaustive]
pub struct ReadAll<E> {
    /// The upserted records.
    pub upserts: Vec<E>,
    /// The keys deleted.
    pub deletes: Vec<String>,
    /// The rejected records.
    pub rejected: Vec<Rejected>,
    /// The last checkpoint.
    pub last_cursor: Option<Cursor>,
    /// Whether a `SnapshotComplete` came.
    pub snapshot_complete: bool,
    /// The error the read stopped on, if any.
    pub error: Option<Error>,
}

impl<E: Entity> ReadAll<E> {
    /// Upserts by natural key; panics on a record without a key or a key delivered twice.
    pub fn by_key(&self) -> HashMap<String, &E> {
        let mut m = HashMap::new();
        for u in &self.upserts {
            let k = u.key().expect("a key").into_owned();
            assert!(m.insert(k.clone(), u).is_none(), "{k} delivered twice");
        }
        m
    }
}

/// Reads `source` in `mode` to its end, or to its first error.
pub async fn read_all<E: Entity>(source: &dyn Source<E>, mode: ReadMode) -> ReadAll<E> {
    let mut out = ReadAll {
        upserts: Vec::new(),
        deletes: Vec::new(),
        rejected: Vec::new(),
        last_cursor: None,
        snapshot_complete: false,
        error: None,
    };
    let mut stream = source.read(mode);
    while let Some(item) = stream.next().await {
        match item {
            Ok(Change::Upsert(e)) => out.upserts.push(e),
            Ok(Change::Rejected(r)) => out.rejected.push(r),
            Ok(Change::Checkpoint(c)) => out.last_cursor = Some(c),
            Ok(Change::SnapshotComplete) => out.snapshot_complete = true,
            Ok(Change::Delete { key }) => out.deletes.push(key),
            Err(e) => {
                out.error = Some(e);
                break;
            }
        }
    }
    out
}
