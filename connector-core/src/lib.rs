//! # connector-core
//!
//! The ground every connector of the SDK stands on:
//!
//! - [`model`]: canonical records (customers, products, price lists, stock levels, invoices,
//!   orders and quotes, shipments, and the small entities that carry value maps);
//! - [`Source`] and [`Sink`]: the async traits every connector implements;
//! - [`Error`]: one error type with a kind, a retry class and the record and field at fault;
//! - [`http`]: the HTTP pipeline (deadline, retry, rate budget, auth, timeout), pagination as
//!   lazy streams, and date helpers for every wire format;
//! - [`state`]: checkpoints, the write ledger, quarantine, activity log and run history in
//!   SQLite (or memory);
//! - [`flow`]: the engine that moves records from a source through steps into a sink;
//! - [`system`]: the contract each connector implements once, and the [`system::Registry`]
//!   that opens sources and sinks by system name.
//!
//! The simulator kit and the contract suites are in the `connector-testkit` crate.
//!
//! ## Optional features
//! - `simulator`: [`system::System::simulate`], with which systems start their simulators.
//! - `test-util`: helpers for tests (tracing capture, a paused clock held during I/O).
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod error;
pub mod flow;
pub mod http;
pub mod memory;
pub mod model;
pub mod sink;
pub mod source;
pub mod state;
pub mod system;

#[cfg(any(test, feature = "test-util"))]
pub mod test_util;

pub use error::{Error, ErrorKind, FieldError, Result, RetryClass};
pub use model::{Entity, EntityKind};
pub use sink::{
    Found, LookupKey, Outcome, Sink, SinkCapabilities, WriteAction, WriteOutcome, WriteRequest,
    find_checked,
};
pub use source::{
    Change, ChangeDetection, Cursor, DeleteSignal, ReadMode, Rejected, Source, SourceCapabilities,
};

/// Re-exports of the crates whose types appear in the public API.
pub mod reexports {
    pub use async_trait::async_trait;
    pub use chrono;
    pub use futures_util;
    pub use rust_decimal;
    pub use secrecy;
    pub use serde_json;
}
