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
        _ => Err(unknown(system)),
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
