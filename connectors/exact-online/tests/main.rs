//! Integration tests of the Exact Online connector against its simulator: one binary, one
//! module per concern.

#[path = "cases/support.rs"]
mod support;

#[path = "cases/auth.rs"]
mod auth;
#[path = "cases/conformance.rs"]
mod conformance;
#[path = "cases/faults.rs"]
mod faults;
#[path = "cases/read.rs"]
mod read;
#[path = "cases/spec_findings.rs"]
mod spec_findings;
#[path = "cases/write.rs"]
mod write;
