#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

pub mod client;
pub mod config;
#[cfg(feature = "simulator")]
pub mod simulator;
pub mod sink;
pub mod system;

pub use client::NAME;
pub use config::{PartsPimConfig, PartsPimSettings};
pub use sink::PartsPimSink;
pub use system::PartsPimSystem;
