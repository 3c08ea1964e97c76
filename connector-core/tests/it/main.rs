//! Integration tests of connector-core, in one binary.

mod http;
