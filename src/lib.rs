#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub use connector_core::*;
pub use connector_mapping as mapping;

#[cfg(feature = "file")]
#[cfg_attr(docsrs, doc(cfg(feature = "file")))]
pub use connector_file as file;

#[cfg(feature = "procountor")]
#[cfg_attr(docsrs, doc(cfg(feature = "procountor")))]
pub use connector_procountor as procountor;

#[cfg(feature = "xero")]
#[cfg_attr(docsrs, doc(cfg(feature = "xero")))]
pub use connector_xero as xero;

#[cfg(feature = "skynamo")]
#[cfg_attr(docsrs, doc(cfg(feature = "skynamo")))]
pub use connector_skynamo as skynamo;

#[cfg(feature = "exact-online")]
#[cfg_attr(docsrs, doc(cfg(feature = "exact-online")))]
pub use connector_exact_online as exact_online;

#[cfg(feature = "salesforce")]
#[cfg_attr(docsrs, doc(cfg(feature = "salesforce")))]
pub use connector_salesforce as salesforce;

#[cfg(feature = "accountview")]
#[cfg_attr(docsrs, doc(cfg(feature = "accountview")))]
pub use connector_accountview as accountview;

#[cfg(feature = "parts-pim")]
#[cfg_attr(docsrs, doc(cfg(feature = "parts-pim")))]
pub use connector_parts_pim as parts_pim;

#[cfg(feature = "superoffice")]
#[cfg_attr(docsrs, doc(cfg(feature = "superoffice")))]
pub use connector_superoffice as superoffice;

#[cfg(feature = "postgres")]
#[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
pub use connector_state_postgres as state_postgres;

#[cfg(feature = "dashboard")]
#[cfg_attr(docsrs, doc(cfg(feature = "dashboard")))]
pub use connector_dashboard as dashboard;

#[cfg(feature = "postgres")]
#[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
pub mod fleet;
#[cfg(feature = "dashboard")]
#[cfg_attr(docsrs, doc(cfg(feature = "dashboard")))]
pub mod flow_dir;
pub mod flowfile;
pub mod registry;
