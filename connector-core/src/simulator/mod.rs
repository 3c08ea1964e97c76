//! The simulator kit.
