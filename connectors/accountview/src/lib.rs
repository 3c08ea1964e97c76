#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

pub mod client;
pub mod config;
pub mod convert;
pub mod files;
pub mod order;
mod order_sink;
#[cfg(feature = "simulator")]
pub mod simulator;
pub mod sink;
pub mod source;
pub mod system;
pub mod timezone;

pub use client::{AccountViewClient, NAME};
pub use config::{AccountViewConfig, AccountViewSettings};
pub use files::AccountViewFiles;
pub use sink::AccountViewSink;
pub use source::AccountViewSource;
pub use system::AccountViewSystem;
pub use timezone::TimeZone;
