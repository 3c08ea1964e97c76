#![doc = include_str!("format.md")]

mod check;
mod load;
mod types;

pub use check::{Side, Violation, ViolationKind};
pub use types::{ApiSpec, Operation, SpecError};

#[cfg(test)]
mod tests;
