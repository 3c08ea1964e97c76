//! Integration tests of connector-testkit, in one binary.

mod contracts;
mod simulator;
