#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

pub mod client;
pub mod config;
pub mod convert;
#[cfg(feature = "simulator")]
pub mod simulator;
pub mod sink;
pub mod source;
pub mod system;

pub use client::{NAME, OrderStatus, SkynamoClient};
pub use config::SkynamoConfig;
pub use sink::SkynamoSink;
pub use source::SkynamoSource;
pub use system::SkynamoSystem;
