#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

pub mod client;
pub mod config;
pub mod describe;
pub mod limits;
#[cfg(feature = "simulator")]
pub mod simulator;
pub mod sink;
pub mod source;
pub mod system;

pub use client::{NAME, SalesforceClient, id18};
pub use config::{JwtBearerConfig, SalesforceConfig, ShipmentObject};
pub use sink::SalesforceSink;
pub use source::{SalesforceSource, SfCursor};
pub use system::SalesforceSystem;
