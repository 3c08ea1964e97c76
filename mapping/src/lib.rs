//! Declarative field mapping for the connector SDK.
//!
//! This crate is filled by the mapping issue; for now it only re-exports nothing.
#![deny(missing_docs)]
