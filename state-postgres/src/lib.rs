#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod batch;
mod error;
mod fenced;
mod migrations;
mod pool;
mod rate_windows;
mod schedule;
mod state_store;
mod store;
mod tenants;

pub use fenced::FencedStore;
pub use schedule::{Lease, MAX_SPAN, Schedule};
pub use store::{DEFAULT_POOL_SIZE, PostgresStore};
pub use tenants::Tenant;
