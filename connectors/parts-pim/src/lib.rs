#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

pub mod client;
pub mod config;
pub mod format;
pub mod order;
mod order_sink;
#[cfg(feature = "simulator")]
pub mod simulator;
pub mod sink;
pub mod source;
pub mod system;

pub use client::NAME;
pub use config::{PartsPimConfig, PartsPimSettings};
pub use sink::PartsPimSink;
pub use source::PartsPimSource;
pub use system::PartsPimSystem;
