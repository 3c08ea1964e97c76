//! Integration tests of the file connector: one binary, one module per concern. Fixtures in
//! `tests/fixtures/` and inline texts are hand-written, never produced by the crate itself.

#[path = "cases/support.rs"]
mod support;

#[path = "cases/changes.rs"]
mod changes;
#[path = "cases/check.rs"]
mod check;
#[path = "cases/csv_source.rs"]
mod csv_source;
#[path = "cases/find.rs"]
mod find;
#[path = "cases/invoices.rs"]
mod invoices;
#[path = "cases/jsonl.rs"]
mod jsonl;
#[path = "cases/readme.rs"]
mod readme;
#[path = "cases/round_trip.rs"]
mod round_trip;
#[path = "cases/sink.rs"]
mod sink;
