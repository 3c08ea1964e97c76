//! Integration tests of the Salesforce connector against its simulator.

#[path = "cases/support.rs"]
mod support;

#[path = "cases/conformance.rs"]
mod conformance;
#[path = "cases/jwt.rs"]
mod jwt;
#[path = "cases/read.rs"]
mod read;
#[path = "cases/spec_findings.rs"]
mod spec_findings;
#[path = "cases/write.rs"]
mod write;
