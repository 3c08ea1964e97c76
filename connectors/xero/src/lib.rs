#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

pub mod client;
pub mod config;
pub mod convert;
pub mod limits;
mod page;
#[cfg(feature = "simulator")]
pub mod simulator;
pub mod sink;
pub mod source;
pub mod system;
pub mod wire;

pub use client::{NAME, XeroClient, exchange_authorization_code};
pub use config::{OrderInvoiceStatus, TenantSelector, XeroConfig};
pub use connector_core::http::FileTokenStore;
pub use sink::XeroSink;
pub use source::{XeroCursor, XeroSource};
pub use system::XeroSystem;
