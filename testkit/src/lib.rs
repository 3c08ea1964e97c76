//! The connector SDK's test kit.
//!
//! - [`simulator`]: the pieces every connector's in-process API simulator is built from (an
//!   HTTP server on 127.0.0.1, routes, a record store, rate limits, faults, tokens, a journal
//!   and the vendor API description that requests and answers are held to).
//! - [`contract`]: the behaviour suites any [`Source`](connector_core::Source),
//!   [`Sink`](connector_core::Sink) or [`StateStore`](connector_core::state::StateStore) keeps;
//!   every connector of the SDK runs them, and a third party runs them on its own.
//! - [`read_all`]: a source read to its end, gathered for a test's assertions.
//! - `postgres` (feature `postgres`): a throwaway PostgreSQL server for a test.
#![deny(missing_docs)]

pub mod contract;
#[cfg(feature = "postgres")]
pub mod postgres;
mod read_all;
pub mod simulator;

pub use contract::{
    SinkRun, SourceRun, assert_sink_contract, assert_source_contract, assert_state_store_contract,
    check_sink_contract, check_source_contract,
};
pub use read_all::{ReadAll, read_all};
