//! Integration tests of the Exact Online connector against its simulator: one binary, one
//! module per concern.

#[path = "cases/support.rs"]
mod support;

#[path = "cases/auth.rs"]
mod auth;
#[path = "cases/faults.rs"]
mod faults;
#[path = "cases/read.rs"]
mod read;
#[path = "cases/write.rs"]
mod write;
