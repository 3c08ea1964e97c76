#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

pub mod client;
pub mod config;
pub mod convert;
pub mod limits;
pub mod lookups;
#[cfg(feature = "simulator")]
pub mod simulator;
pub mod sink;
pub mod source;
pub mod system;
pub mod wire;

pub use client::{ExactClient, NAME, exchange_authorization_code};
pub use config::{ExactConfig, ItemVariants, OrderTarget};
pub use connector_core::http::FileTokenStore;
pub use sink::ExactSink;
pub use source::{ExactSource, ModifiedCursor, SyncCursor};
pub use system::ExactSystem;
