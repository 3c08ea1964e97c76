//! Integration tests of connector-core, in one binary.

#[cfg(feature = "test-util")]
mod contracts;
mod http;
#[cfg(feature = "simulator")]
mod simulator;
