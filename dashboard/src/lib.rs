#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod alerts;
mod app;
mod chart;
mod pages;
mod runner;
mod security;

pub use alerts::{Alert, AlertRule, Alerts};
pub use app::{Dashboard, DashboardBuilder, GRACE, Served};
pub use runner::FlowRunner;
pub use security::{Access, TOKEN_ENV};
