//! Integration tests of the Skynamo connector against its simulator: one binary, one module
//! per concern.

#[path = "cases/support.rs"]
mod support;

#[path = "cases/sink.rs"]
mod sink;
#[path = "cases/source.rs"]
mod source;
