//! Integration tests of the Procountor connector against its simulator: one binary, one
//! module per concern. The simulator's JSON is hand-written from Procountor's documented
//! shapes, never produced by the connector's own code, and both sides are held to the
//! description of the API in `tests/fixtures/procountor-api.json`.

#[path = "cases/support.rs"]
mod support;

#[path = "cases/auth.rs"]
mod auth;
#[path = "cases/channels.rs"]
mod channels;
#[path = "cases/conformance.rs"]
mod conformance;
#[path = "cases/dedupe.rs"]
mod dedupe;
#[path = "cases/faults.rs"]
mod faults;
#[path = "cases/matching.rs"]
mod matching;
#[path = "cases/simulator.rs"]
mod simulator;
#[path = "cases/sink.rs"]
mod sink;
#[path = "cases/source.rs"]
mod source;
