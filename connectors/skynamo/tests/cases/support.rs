//! Shared helpers.

use connector_core::Entity;
use connector_core::simulator::{JournalEntry, Method};
use connector_core::sink::{WriteAction, WriteRequest};
use connector_skynamo::simulator::SkynamoSimulator;
use connector_skynamo::{SkynamoClient, SkynamoSink};

/// A sink on the simulator.
pub fn sink(sim: &SkynamoSimulator) -> SkynamoSink {
    SkynamoSink::new(SkynamoClient::new(sim.config()).unwrap())
}

/// An upsert request keyed by the record's key.
pub fn upsert<E: Entity>(e: E) -> WriteRequest<E> {
    let key = e.key().unwrap().into_owned();
    WriteRequest {
        key: key.clone(),
        target_id: None,
        action: WriteAction::Upsert(e),
        idempotency_key: key,
        is_create: true,
    }
}

/// Write calls seen by the simulator.
pub fn writes(sim: &SkynamoSimulator) -> Vec<JournalEntry> {
    sim.journal().entries().into_iter().filter(|e| e.method != Method::GET).collect()
}

/// Asserts that every request the connector sent, and every answer the simulator gave, kept
/// to the description of Skynamo's API.
pub fn assert_conforms(sim: &SkynamoSimulator) {
    let served = sim.journal().spec_violations();
    assert!(served.is_empty(), "the exchange broke the API description:\n{}", served.join("\n"));
    let sent = connector_skynamo::simulator::api_spec().check_journal(sim.journal());
    assert!(sent.is_empty(), "requests broke the API description:\n{}", sent.join("\n"));
}
