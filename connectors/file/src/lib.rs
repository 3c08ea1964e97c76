//! File connector.
#![deny(missing_docs)]
