//! Integration tests of the Xero connector against its simulator: one binary, one module
//! per concern. Both sides are held to the description of Xero's API in
//! `tests/fixtures/xero-api.json`.

#[path = "cases/support.rs"]
mod support;

#[path = "cases/auth.rs"]
mod auth;
#[path = "cases/conformance.rs"]
mod conformance;
#[path = "cases/faults.rs"]
mod faults;
#[path = "cases/limits.rs"]
mod limits;
#[path = "cases/read.rs"]
mod read;
#[path = "cases/spec_findings.rs"]
mod spec_findings;
#[path = "cases/write.rs"]
mod write;
