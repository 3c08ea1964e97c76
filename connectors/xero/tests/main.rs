//! Integration tests of the Xero connector against its simulator: one binary, one module
//! per concern.

#[path = "cases/support.rs"]
mod support;

#[path = "cases/auth.rs"]
mod auth;
#[path = "cases/faults.rs"]
mod faults;
#[path = "cases/limits.rs"]
mod limits;
#[path = "cases/read.rs"]
mod read;
#[path = "cases/write.rs"]
mod write;
