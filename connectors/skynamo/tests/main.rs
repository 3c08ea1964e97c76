//! Integration tests of the Skynamo connector against its simulator: one binary, one module
//! per concern. Both sides are held to the description of the API in
//! `tests/fixtures/skynamo-api.json`.

#[path = "cases/support.rs"]
mod support;

#[path = "cases/conformance.rs"]
mod conformance;
#[path = "cases/sink.rs"]
mod sink;
#[path = "cases/source.rs"]
mod source;
