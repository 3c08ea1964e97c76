//! The connector SDK facade.
#![deny(missing_docs)]
pub use connector_core::*;
