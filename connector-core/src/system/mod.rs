//! Systems: the contract each connector crate implements once, and the [`Registry`] the CLI,
//! flow files and hosts open sources and sinks through by name.
//!
//! A [`System`] declares its name, the entities it reads and writes, and its settings; it
//! opens a source or sink of an [`EntityKind`] chosen at run time from string options, tests
//! a connection, and (with the `simulator` feature) starts its simulator. Opening does no
//! I/O: a connection is made on first use. The registry checks every option key against the
//! system's declared settings and every entity against its declared lists, so a misspelt key
//! or an entity the system does not handle fails at once with the known ones named.

mod any;
mod context;
mod registry;
mod settings;
mod typed;

use std::collections::BTreeMap;

use async_trait::async_trait;

pub use any::{AnySink, AnySource, Erased};
pub use context::Context;
pub use registry::Registry;
pub use settings::{Setting, merged_options, options_from_env, simulator_options_from_env};
pub use typed::{read_settings, setting_keys};

use crate::error::Result;
use crate::model::EntityKind;

/// Settings of one system as text: key → value (`path` → `customers.csv`).
pub type Options = BTreeMap<String, String>;

/// What a system is, declared once as a constant: its name, a line about it, the entities it
/// reads and writes, and the settings it takes.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Description {
    /// Its name in the CLI, flow files and environment variables (`exact-online`).
    pub name: &'static str,
    /// One line on what it is.
    pub about: &'static str,
    /// The entities it reads.
    pub reads: &'static [EntityKind],
    /// The entities it writes.
    pub writes: &'static [EntityKind],
    /// The settings it takes, secrets marked.
    pub settings: &'static [Setting],
    /// The keys of its typed settings struct, when it reads one with [`read_settings`]: the
    /// registry's tests hold `settings` equal to them.
    pub typed_keys: Option<fn() -> Vec<&'static str>>,
}

impl Description {
    /// A description (a `const fn`, for a `const` in the connector's crate).
    pub const fn new(
        name: &'static str,
        about: &'static str,
        reads: &'static [EntityKind],
        writes: &'static [EntityKind],
        settings: &'static [Setting],
    ) -> Self {
        Self { name, about, reads, writes, settings, typed_keys: None }
    }

    /// Names the settings struct `T` the system reads its options into.
    pub const fn typed<T: serde::de::DeserializeOwned>(mut self) -> Self {
        self.typed_keys = Some(setting_keys::<T>);
        self
    }
}

/// One ERP, CRM or file format the SDK can read from or write to.
#[async_trait]
pub trait System: Send + Sync + 'static {
    /// What it is (name, entities, settings).
    fn description(&self) -> &'static Description;

    /// Its name in the CLI, flow files and environment variables (`exact-online`).
    fn name(&self) -> &'static str {
        self.description().name
    }

    /// One line on what it is.
    fn about(&self) -> &'static str {
        self.description().about
    }

    /// The entities it reads.
    fn reads(&self) -> &'static [EntityKind] {
        self.description().reads
    }

    /// The entities it writes.
    fn writes(&self) -> &'static [EntityKind] {
        self.description().writes
    }

    /// The settings it takes, secrets marked.
    fn settings(&self) -> &'static [Setting] {
        self.description().settings
    }

    /// A source of `kind` (one of [`System::reads`]); no I/O.
    fn source(&self, kind: EntityKind, options: &Options, ctx: &Context) -> Result<AnySource>;

    /// A sink of `kind` (one of [`System::writes`]); no I/O.
    fn sink(&self, kind: EntityKind, options: &Options, ctx: &Context) -> Result<AnySink>;

    /// Tests the connection: credentials, tenant, reachability.
    async fn check(&self, options: &Options, ctx: &Context) -> Result<()>;

    /// Starts its simulator on 127.0.0.1 (`port` 0: any free one) with the simulator's own
    /// settings (`sim_*` keys, such as a generated data set's size).
    #[cfg(feature = "simulator")]
    async fn simulate(&self, port: u16, settings: &Options) -> Result<Box<dyn RunningSimulator>> {
        let _ = (port, settings);
        Err(crate::Error::unsupported(format!("{} has no simulator", self.name())))
    }
}

/// A simulator started by [`System::simulate`].
#[cfg(feature = "simulator")]
#[async_trait]
pub trait RunningSimulator: Send {
    /// Where it listens.
    fn base_url(&self) -> String;

    /// The options a client needs to reach it (`api_url`, `client_id`, …), secrets included:
    /// they are the simulator's own.
    fn options(&self) -> Options;

    /// Lines for a person: how its tokens rotate, what it was seeded with.
    fn notes(&self) -> Vec<String> {
        Vec::new()
    }

    /// Serves until Ctrl-C.
    async fn serve_until_ctrl_c(self: Box<Self>) -> Result<()>;
}

/// Options from `(key, value)` pairs: `options([("api_url", url), ("client_id", id)])`.
pub fn options<K: Into<String>, V: Into<String>>(
    pairs: impl IntoIterator<Item = (K, V)>,
) -> Options {
    pairs.into_iter().map(|(k, v)| (k.into(), v.into())).collect()
}

/// A simulator setting that is a count (`sim_invoices` = `100000`), if given.
#[cfg(feature = "simulator")]
pub fn sim_count(settings: &Options, key: &str) -> Result<Option<usize>> {
    match settings.get(key).map(|v| v.trim()).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => v.parse().map(Some).map_err(|_| {
            crate::Error::config(format!("{} is a count, not {v:?}", key.to_ascii_uppercase()))
        }),
    }
}

/// Whether a simulator setting says `off` (`sim_limits` = `off`: the API's limits lifted).
#[cfg(feature = "simulator")]
pub fn sim_off(settings: &Options, key: &str) -> bool {
    settings.get(key).is_some_and(|v| v.trim().eq_ignore_ascii_case("off"))
}

/// Declares what a system reads and writes, once: `READS` and `WRITES` constants, and
/// `erase_source` / `erase_sink`, which turn one value that is a source (sink) of every listed
/// entity into the [`AnySource`] ([`AnySink`]) of a kind (an `Unsupported` error for a kind
/// not listed).
///
/// ```ignore
/// connector_core::entity_lists! {
///     reads: [Customer, Product, Invoice],
///     writes: [Order],
/// }
/// ```
#[macro_export]
macro_rules! entity_lists {
    (reads: [$($R:ident),* $(,)?], writes: [$($W:ident),* $(,)?] $(,)?) => {
        /// The entities this system reads.
        pub const READS: &[$crate::EntityKind] = &[$($crate::EntityKind::$R),*];
        /// The entities this system writes.
        pub const WRITES: &[$crate::EntityKind] = &[$($crate::EntityKind::$W),*];

        /// `value` as the source of `kind`, if `kind` is read.
        #[allow(dead_code)]
        pub fn erase_source<T>(
            kind: $crate::EntityKind,
            value: ::std::sync::Arc<T>,
        ) -> $crate::Result<$crate::system::AnySource>
        where
            T: 'static $(+ $crate::Source<$crate::model::$R>)*,
        {
            let _ = &value;
            match kind {
                $($crate::EntityKind::$R => Ok($crate::system::AnySource::$R(value)),)*
                #[allow(unreachable_patterns)]
                _ => Err($crate::Error::unsupported(format!("{kind} is not read here"))),
            }
        }

        /// `value` as the sink of `kind`, if `kind` is written.
        #[allow(dead_code)]
        pub fn erase_sink<T>(
            kind: $crate::EntityKind,
            value: ::std::sync::Arc<T>,
        ) -> $crate::Result<$crate::system::AnySink>
        where
            T: 'static $(+ $crate::Sink<$crate::model::$W>)*,
        {
            let _ = &value;
            match kind {
                $($crate::EntityKind::$W => Ok($crate::system::AnySink::$W(value)),)*
                #[allow(unreachable_patterns)]
                _ => Err($crate::Error::unsupported(format!("{kind} is not written here"))),
            }
        }
    };
}

/// Runs `$body` with the type alias `$E` bound to the canonical type of an [`EntityKind`].
#[macro_export]
macro_rules! with_entity {
    ($kind:expr, $E:ident => $body:expr) => {{
        use $crate::model as __m;
        match $kind {
            $crate::EntityKind::Customer => {
                type $E = __m::Customer;
                $body
            }
            $crate::EntityKind::Product => {
                type $E = __m::Product;
                $body
            }
            $crate::EntityKind::PriceList => {
                type $E = __m::PriceList;
                $body
            }
            $crate::EntityKind::StockLevel => {
                type $E = __m::StockLevel;
                $body
            }
            $crate::EntityKind::Invoice => {
                type $E = __m::Invoice;
                $body
            }
            $crate::EntityKind::Order => {
                type $E = __m::Order;
                $body
            }
            $crate::EntityKind::Shipment => {
                type $E = __m::Shipment;
                $body
            }
            $crate::EntityKind::TaxRate => {
                type $E = __m::TaxRate;
                $body
            }
            $crate::EntityKind::PaymentTerm => {
                type $E = __m::PaymentTerm;
                $body
            }
            $crate::EntityKind::User => {
                type $E = __m::User;
                $body
            }
        }
    }};
}

/// `a, b and c`.
pub(crate) fn and_list<I: IntoIterator<Item = S>, S: AsRef<str>>(items: I) -> String {
    let items: Vec<String> = items.into_iter().map(|s| s.as_ref().to_string()).collect();
    match items.as_slice() {
        [] => "nothing".to_string(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests;
