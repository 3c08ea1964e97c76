//! Shared helpers.

use std::collections::HashMap;
use std::time::Duration;

use connector_core::Entity;
use connector_core::source::{Change, Cursor, ReadMode, Source};
use connector_core::test_util::{PausedClockIo, hold_paused_clock_during_io};
use connector_xero::simulator::XeroSimulator;
use connector_xero::{XeroClient, XeroSource};
use futures_util::StreamExt;

/// Keeps a paused clock still while a request is on the wire.
pub fn hold() -> PausedClockIo {
    hold_paused_clock_during_io(Duration::from_secs(2))
}

/// A client connected to the simulator.
pub async fn connect(sim: &XeroSimulator) -> XeroClient {
    XeroClient::connect(sim.config(), None).await.expect("connect to the simulator")
}

/// What a read produced.
#[derive(Debug)]
pub struct Read<E> {
    pub upserts: Vec<E>,
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
pub async fn read<E: Entity>(source: &XeroSource, mode: ReadMode) -> Read<E>
where
    XeroSource: Source<E>,
{
    let mut out = Read {
        upserts: Vec::new(),
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
            Ok(Change::Delete { key }) => panic!("Xero sends no deletes, got {key}"),
            Err(e) => {
                out.error = Some(e);
                break;
            }
        }
    }
    out
}

/// `n` plain contacts named `Bulk NNNN`.
pub fn seed_contacts(sim: &XeroSimulator, n: usize) {
    for i in 0..n {
        sim.contacts()
            .insert(serde_json::json!({
                "ContactNumber": format!("B-{i:04}"),
                "ContactStatus": "ACTIVE",
                "Name": format!("Bulk {i:04}"),
                "EmailAddress": format!("bulk{i}@example.com"),
            }))
            .unwrap();
    }
}

/// Asserts that every request the connector sent, and every answer the simulator gave, kept
/// to the description of Xero's API.
pub fn assert_conforms(sim: &XeroSimulator) {
    let breaches = connector_xero::simulator::api_spec().breaches(sim.journal());
    assert!(
        breaches.is_empty(),
        "the exchange broke the API description:\n{}",
        breaches.join("\n")
    );
}
