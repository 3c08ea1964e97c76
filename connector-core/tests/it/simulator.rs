//! Simulator kit tests.
