#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod business_id;
mod client;
mod config;
mod convert;
mod country;
mod sink;
mod source;
pub mod wire;

#[cfg(feature = "simulator")]
#[cfg_attr(docsrs, doc(cfg(feature = "simulator")))]
pub mod simulator;
pub mod system;

pub use business_id::{is_valid_bank_reference, is_valid_business_id, normalize_business_id};
pub use client::{CONNECTOR, MAX_PAGE_SIZE, ProcountorClient, refine_error};
pub use config::{
    ChannelPolicy, DetailsFrom, ENV_API_KEY, ENV_API_URL, ENV_API_VERSION, ENV_CLIENT_ID,
    ENV_CLIENT_SECRET, ENV_REDIRECT_URI, FollowUp, InvoiceChannel, InvoiceSettings,
    PRODUCTION_HOST, ProcountorConfig, ProcountorSettings, TEST_HOST, api_base,
};
pub use convert::{
    OrderRows, PartyDetails, RegisterProduct, choose_channel, invoice_body, order_party, order_rows,
};
pub use country::{UNITS, compact_iban, country_enum, country_iso, unit_enum};
pub use sink::{MAX_BATCH, ProcountorSink};
pub use source::{CustomerSource, InvoiceSource, ProductSource};
pub use system::ProcountorSystem;

/// Locks a mutex, carrying on with the data if another thread panicked while holding it.
pub(crate) fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
