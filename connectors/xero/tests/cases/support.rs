//! Shared helpers.

use std::time::Duration;

use connector_core::Entity;
use connector_core::source::{ReadMode, Source};
use connector_core::test_util::{PausedClockIo, hold_paused_clock_during_io};
use connector_xero::simulator::XeroSimulator;
use connector_xero::{XeroClient, XeroSource};

/// Keeps a paused clock still while a request is on the wire.
pub fn hold() -> PausedClockIo {
    hold_paused_clock_during_io(Duration::from_secs(2))
}

/// A client connected to the simulator.
pub async fn connect(sim: &XeroSimulator) -> XeroClient {
    XeroClient::connect(sim.config(), None).await.expect("connect to the simulator")
}

/// What a read produced, and the read that gathers it (core's test kit).
pub use connector_testkit::{ReadAll as Read, read_all};

/// Reads a source to the end (or its first error).
pub async fn read<E: Entity>(source: &XeroSource, mode: ReadMode) -> Read<E>
where
    XeroSource: Source<E>,
{
    read_all::<E>(source, mode).await
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
