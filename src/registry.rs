//! The systems compiled into this build, opened by name with string options: what the CLI
//! and flow files use. Each connector feature adds its system here.

use std::collections::BTreeMap;
use std::sync::Arc;

use connector_core::{Entity, Error, Result, Sink, Source};

/// Settings of one system: option key → value (`path` → `customers.csv`).
pub type Options = BTreeMap<String, String>;

/// Runs `$body` with the type alias `$E` bound to the canonical type of an
/// [`EntityKind`](connector_core::EntityKind).
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

/// The names of the systems compiled into this build.
pub fn systems() -> &'static [&'static str] {
    &[
        #[cfg(feature = "file")]
        "file",
        #[cfg(feature = "procountor")]
        "procountor",
    ]
}

/// The options of `system` from the environment: `CONNECTOR_<SYSTEM>_<KEY>` becomes `key`
/// (`CONNECTOR_FILE_PATH` → `path`, `CONNECTOR_EXACT_ONLINE_API_URL` → `api_url`).
pub fn options_from_env(system: &str) -> Options {
    let prefix = format!("CONNECTOR_{}_", system.to_ascii_uppercase().replace('-', "_"));
    std::env::vars()
        .filter_map(|(k, v)| k.strip_prefix(&prefix).map(|rest| (rest.to_ascii_lowercase(), v)))
        .collect()
}

/// The environment's options overridden by `explicit` ones.
pub fn merged_options(system: &str, explicit: &Options) -> Options {
    let mut options = options_from_env(system);
    options.extend(explicit.iter().map(|(k, v)| (k.clone(), v.clone())));
    options
}

fn unknown(system: &str) -> Error {
    let known = systems();
    Error::config(format!(
        "unknown system `{system}`; this build has: {} (enable more with cargo features)",
        if known.is_empty() { "none".to_string() } else { known.join(", ") }
    ))
}

/// Opens a source of `E` in `system` with `options` (already merged with the environment).
pub fn source<E: Entity>(system: &str, options: &Options) -> Result<Arc<dyn Source<E>>> {
    let _ = options;
    match system {
        #[cfg(feature = "file")]
        "file" => {
            let config = connector_file::FileConfig::from_options(options)?;
            Ok(Arc::new(connector_file::FileSource::<E>::new(config)))
        }
        #[cfg(feature = "procountor")]
        "procountor" => procountor_system::source::<E>(options),
        _ => Err(unknown(system)),
    }
}

/// Opens a sink of `E` in `system` with `options` (already merged with the environment).
pub fn sink<E: Entity>(system: &str, options: &Options) -> Result<Arc<dyn Sink<E>>> {
    let _ = options;
    match system {
        #[cfg(feature = "file")]
        "file" => {
            let config = connector_file::FileConfig::from_options(options)?;
            Ok(Arc::new(connector_file::FileSink::<E>::new(config)))
        }
        #[cfg(feature = "procountor")]
        "procountor" => procountor_system::sink::<E>(options),
        _ => Err(unknown(system)),
    }
}

/// Tests the connection to `system`: credentials, tenant, reachability.
pub async fn check(system: &str, options: &Options) -> Result<()> {
    let _ = options;
    match system {
        #[cfg(feature = "file")]
        "file" => {
            let config = connector_file::FileConfig::from_options(options)?;
            if config.path.exists() {
                Source::<connector_core::model::Customer>::check(&connector_file::FileSource::new(
                    config,
                ))
                .await
            } else {
                Sink::<connector_core::model::Customer>::check(&connector_file::FileSink::new(
                    config,
                ))
                .await
            }
        }
        #[cfg(feature = "procountor")]
        "procountor" => procountor_system::client(options)?.check().await,
        _ => Err(unknown(system)),
    }
}

/// Starts the built-in simulator of `system` on 127.0.0.1 (`port` 0: any free port) and
/// serves until Ctrl-C, printing its base URL.
pub async fn simulate(system: &str, port: u16) -> Result<()> {
    let _ = port;
    match system {
        "file" => Err(Error::unsupported(
            "the file connector reads and writes local files: it needs no simulator",
        )),
        #[cfg(feature = "procountor")]
        "procountor" => procountor_system::simulate(port).await,
        _ => Err(unknown(system)),
    }
}

/// Procountor: customers, products and invoices to read; orders to write as sales invoices.
#[cfg(feature = "procountor")]
mod procountor_system {
    use std::any::Any;
    use std::sync::Arc;

    use connector_core::model::{Customer, Invoice, Order, Product};
    use connector_core::{Entity, EntityKind, Error, Result, Sink, Source};
    use connector_procountor as pc;

    use super::Options;

    /// `Arc<dyn Source<Customer>>` as `Arc<dyn Source<E>>` when `E` is `Customer`.
    fn cast<T: 'static, U: 'static>(value: T) -> Result<U> {
        (Box::new(value) as Box<dyn Any>)
            .downcast::<U>()
            .map(|b| *b)
            .map_err(|_| Error::internal("procountor: entity type mismatch"))
    }

    pub fn client(options: &Options) -> Result<pc::ProcountorClient> {
        pc::ProcountorClient::new(pc::ProcountorConfig::from_options(options)?)
    }

    pub fn source<E: Entity>(options: &Options) -> Result<Arc<dyn Source<E>>> {
        match E::KIND {
            EntityKind::Customer => {
                let s: Arc<dyn Source<Customer>> =
                    Arc::new(pc::CustomerSource::new(client(options)?));
                cast(s)
            }
            EntityKind::Product => {
                let s: Arc<dyn Source<Product>> =
                    Arc::new(pc::ProductSource::new(client(options)?));
                cast(s)
            }
            EntityKind::Invoice => {
                let s: Arc<dyn Source<Invoice>> =
                    Arc::new(pc::InvoiceSource::new(client(options)?));
                cast(s)
            }
            other => Err(Error::unsupported(format!(
                "procountor reads customers, products and invoices, not {other}"
            ))),
        }
    }

    pub fn sink<E: Entity>(options: &Options) -> Result<Arc<dyn Sink<E>>> {
        match E::KIND {
            EntityKind::Order => {
                let s: Arc<dyn Sink<Order>> = Arc::new(pc::ProcountorSink::new(client(options)?));
                cast(s)
            }
            other => Err(Error::unsupported(format!(
                "procountor takes orders (written as sales invoices), not {other}"
            ))),
        }
    }

    pub async fn simulate(port: u16) -> Result<()> {
        let sim = pc::simulator::ProcountorSimulator::start_on(port)
            .await
            .map_err(|e| Error::internal(format!("cannot start the Procountor simulator: {e}")))?;
        sim.seed_demo_data();
        println!("Procountor simulator at {}", sim.api_url());
        println!(
            "  CONNECTOR_PROCOUNTOR_API_URL={} CONNECTOR_PROCOUNTOR_CLIENT_ID={} \\",
            sim.api_url(),
            pc::simulator::SIM_CLIENT_ID
        );
        println!(
            "  CONNECTOR_PROCOUNTOR_CLIENT_SECRET={} CONNECTOR_PROCOUNTOR_API_KEY={}",
            pc::simulator::SIM_CLIENT_SECRET,
            pc::simulator::SIM_API_KEY
        );
        sim.run_until_ctrl_c().await.map_err(|e| Error::internal(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_options_are_lower_cased_and_overridden() {
        let explicit: Options = [("path".to_string(), "x.csv".to_string())].into();
        let merged = merged_options("no-such-system", &explicit);
        assert_eq!(merged.get("path").map(String::as_str), Some("x.csv"));
    }

    #[test]
    fn unknown_system_is_a_config_error() {
        let err = source::<connector_core::model::Customer>("nope", &Options::new()).err().unwrap();
        assert_eq!(err.kind(), connector_core::ErrorKind::Config);
        assert!(err.to_string().contains("unknown system `nope`"));
    }
}
