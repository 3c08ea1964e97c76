//! Shared helpers.

use std::collections::HashMap;
use std::time::Duration;

use connector_core::Entity;
use connector_core::source::{Change, Cursor, ReadMode, Source};
use connector_core::test_util::{PausedClockIo, hold_paused_clock_during_io};
use connector_exact_online::simulator::ExactSimulator;
use connector_exact_online::{ExactClient, ExactSource};
use futures_util::StreamExt;

/// Keeps a paused clock still while a request is on the wire.
pub fn hold() -> PausedClockIo {
    hold_paused_clock_during_io(Duration::from_secs(2))
}

/// A client connected to the simulator.
pub async fn connect(sim: &ExactSimulator) -> ExactClient {
    ExactClient::connect(sim.config(), None).await.expect("connect to the simulator")
}

/// What a read produced.
#[derive(Debug)]
pub struct Read<E> {
    pub upserts: Vec<E>,
    pub deletes: Vec<String>,
    pub rejected: Vec<connector_core::source::Rejected>,
    pub last_cursor: Option<Cursor>,
    pub snapshot_complete: bool,
    pub error: Option<connector_core::Error>,
}

impl<E: Entity> Read<E> {
    /// Upserts by key; panics on a duplicate key.
    pub fn by_key(&self) -> HashMap<String, &E> {
        let mut m = HashMap::new();
        for u in &self.upserts {
            let k = u.key().expect("a key").into_owned();
            assert!(m.insert(k.clone(), u).is_none(), "{k} delivered twice");
        }
        m
    }
}

/// Reads a source to the end (or its first error).
pub async fn read<E: Entity>(source: &ExactSource, mode: ReadMode) -> Read<E>
where
    ExactSource: Source<E>,
{
    let mut out = Read {
        upserts: Vec::new(),
        deletes: Vec::new(),
        rejected: Vec::new(),
        last_cursor: None,
        snapshot_complete: false,
        error: None,
    };
    let mut stream = Source::<E>::read(source, mode);
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
