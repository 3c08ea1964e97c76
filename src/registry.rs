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
        #[cfg(feature = "xero")]
        "xero",
        #[cfg(feature = "skynamo")]
        "skynamo",
        #[cfg(feature = "exact-online")]
        "exact-online",
        #[cfg(feature = "salesforce")]
        "salesforce",
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
        #[cfg(feature = "xero")]
        "xero" => xero_system::source::<E>(options),
        #[cfg(feature = "skynamo")]
        "skynamo" => skynamo_system::source::<E>(options),
        #[cfg(feature = "exact-online")]
        "exact-online" => exact_online_system::source::<E>(options),
        #[cfg(feature = "salesforce")]
        "salesforce" => salesforce_system::source::<E>(options),
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
        #[cfg(feature = "xero")]
        "xero" => xero_system::sink::<E>(options),
        #[cfg(feature = "skynamo")]
        "skynamo" => skynamo_system::sink::<E>(options),
        #[cfg(feature = "exact-online")]
        "exact-online" => exact_online_system::sink::<E>(options),
        #[cfg(feature = "salesforce")]
        "salesforce" => salesforce_system::sink::<E>(options),
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
        #[cfg(feature = "xero")]
        "xero" => xero_system::check(options).await,
        #[cfg(feature = "skynamo")]
        "skynamo" => skynamo_system::client(options)?.check().await,
        #[cfg(feature = "exact-online")]
        "exact-online" => exact_online_system::check(options).await,
        #[cfg(feature = "salesforce")]
        "salesforce" => salesforce_system::check(options).await,
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
        #[cfg(feature = "xero")]
        "xero" => xero_system::simulate(port).await,
        #[cfg(feature = "skynamo")]
        "skynamo" => skynamo_system::simulate(port).await,
        #[cfg(feature = "exact-online")]
        "exact-online" => exact_online_system::simulate(port).await,
        #[cfg(feature = "salesforce")]
        "salesforce" => salesforce_system::simulate(port).await,
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

/// `Arc<dyn Source<Customer>>` as `Arc<dyn Source<E>>` when `E` is `Customer`.
#[cfg(any(
    feature = "xero",
    feature = "skynamo",
    feature = "exact-online",
    feature = "salesforce"
))]
fn cast_to<T: 'static, U: 'static>(value: T, system: &str) -> Result<U> {
    (Box::new(value) as Box<dyn std::any::Any>)
        .downcast::<U>()
        .map(|b| *b)
        .map_err(|_| Error::internal(format!("{system}: entity type mismatch")))
}

/// Xero: customers, products, price lists, stock levels, invoices and quotes (as orders) to
/// read; orders (as draft invoices), quotes and customers to write. Option `token_file`
/// keeps the rotating refresh token between runs.
#[cfg(feature = "xero")]
mod xero_system {
    use std::sync::Arc;

    use connector_core::http::TokenStore;
    use connector_core::model::{Customer, Invoice, Order, PriceList, Product, StockLevel};
    use connector_core::{Entity, EntityKind, Error, Result, Sink, Source};
    use connector_xero as xr;

    use super::{Options, cast_to};

    fn connector(options: &Options) -> Result<Arc<xr::XeroConnector>> {
        let config = xr::XeroConfig::from_options(options)?;
        let store: Option<Arc<dyn TokenStore>> = options
            .get("token_file")
            .map(|p| Arc::new(xr::FileTokenStore::new(p)) as Arc<dyn TokenStore>);
        Ok(Arc::new(xr::XeroConnector::new(config, store)))
    }

    pub fn source<E: Entity>(options: &Options) -> Result<Arc<dyn Source<E>>> {
        let c = connector(options)?;
        match E::KIND {
            EntityKind::Customer => cast_to(c as Arc<dyn Source<Customer>>, "xero"),
            EntityKind::Product => cast_to(c as Arc<dyn Source<Product>>, "xero"),
            EntityKind::PriceList => cast_to(c as Arc<dyn Source<PriceList>>, "xero"),
            EntityKind::StockLevel => cast_to(c as Arc<dyn Source<StockLevel>>, "xero"),
            EntityKind::Invoice => cast_to(c as Arc<dyn Source<Invoice>>, "xero"),
            EntityKind::Order => cast_to(c as Arc<dyn Source<Order>>, "xero"),
            other => Err(Error::unsupported(format!(
                "xero reads customers, products, price-lists, stock-levels, invoices and orders (quotes), not {other}"
            ))),
        }
    }

    pub fn sink<E: Entity>(options: &Options) -> Result<Arc<dyn Sink<E>>> {
        let c = connector(options)?;
        match E::KIND {
            EntityKind::Order => cast_to(c as Arc<dyn Sink<Order>>, "xero"),
            EntityKind::Customer => cast_to(c as Arc<dyn Sink<Customer>>, "xero"),
            other => Err(Error::unsupported(format!(
                "xero takes orders and quotes (as draft invoices and quotes) and customers, not {other}"
            ))),
        }
    }

    pub async fn check(options: &Options) -> Result<()> {
        Source::<Customer>::check(connector(options)?.as_ref()).await
    }

    /// `CONNECTOR_XERO_SIM_INVOICES=N` serves `N` generated invoices (three lines each,
    /// made page by page: a load test's data set); `CONNECTOR_XERO_SIM_LIMITS=off` lifts
    /// Xero's limits (60 calls a minute, 5,000 a day) for a test of CPU and memory.
    pub async fn simulate(port: u16) -> Result<()> {
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        let mut builder = xr::simulator::XeroSimulator::builder().port(port);
        if let Some(n) = env("CONNECTOR_XERO_SIM_INVOICES") {
            let n = n.trim().parse().map_err(|_| {
                Error::config(format!("CONNECTOR_XERO_SIM_INVOICES is a count, not {n:?}"))
            })?;
            builder = builder.generated_invoices(n);
        }
        if env("CONNECTOR_XERO_SIM_LIMITS").is_some_and(|v| v.trim().eq_ignore_ascii_case("off")) {
            builder = builder.limits(u32::MAX, u32::MAX, 1_000).app_limit(u32::MAX);
        }
        let sim = builder
            .start()
            .await
            .map_err(|e| Error::internal(format!("cannot start the Xero simulator: {e}")))?;
        let c = sim.config();
        println!("Xero simulator at {}", sim.base_url());
        println!(
            "  CONNECTOR_XERO_API_URL={} CONNECTOR_XERO_TOKEN_URL={} \\",
            c.api_url, c.token_url
        );
        println!(
            "  CONNECTOR_XERO_CONNECTIONS_URL={} CONNECTOR_XERO_TENANT_ID={} \\",
            c.connections_url,
            xr::simulator::TENANT_ID
        );
        println!(
            "  CONNECTOR_XERO_CLIENT_ID={} CONNECTOR_XERO_CLIENT_SECRET={} CONNECTOR_XERO_REFRESH_TOKEN=<see below>",
            xr::simulator::CLIENT_ID,
            xr::simulator::CLIENT_SECRET
        );
        println!(
            "  (refresh tokens rotate: exchange authorization code {} or use CONNECTOR_XERO_TOKEN_FILE)",
            xr::simulator::AUTH_CODE
        );
        if let Some(rt) = c.refresh_token.as_ref() {
            use connector_core::reexports::secrecy::ExposeSecret;
            println!("  first refresh token: {}", rt.expose_secret());
        }
        sim.run_until_ctrl_c().await.map_err(|e| Error::internal(e.to_string()))
    }
}

/// Skynamo: customers, products, price lists, stock levels and invoices to write; orders
/// and quotes (option `currency`, default ZAR, for documents without one), customers and
/// products to read.
#[cfg(feature = "skynamo")]
mod skynamo_system {
    use std::sync::Arc;

    use connector_core::model::{
        Currency, Customer, Invoice, Order, PriceList, Product, StockLevel,
    };
    use connector_core::{Entity, EntityKind, Error, Result, Sink, Source};
    use connector_skynamo as sk;

    use super::{Options, cast_to};

    pub fn client(options: &Options) -> Result<sk::SkynamoClient> {
        sk::SkynamoClient::new(sk::SkynamoConfig::from_options(options)?)
    }

    pub fn source<E: Entity>(options: &Options) -> Result<Arc<dyn Source<E>>> {
        let currency = Currency::new(options.get("currency").map(String::as_str).unwrap_or("ZAR"))?;
        let s = Arc::new(sk::SkynamoSource::new(client(options)?, currency));
        match E::KIND {
            EntityKind::Order => cast_to(s as Arc<dyn Source<Order>>, "skynamo"),
            EntityKind::Customer => cast_to(s as Arc<dyn Source<Customer>>, "skynamo"),
            EntityKind::Product => cast_to(s as Arc<dyn Source<Product>>, "skynamo"),
            other => Err(Error::unsupported(format!(
                "skynamo reads orders (and quotes), customers and products, not {other}"
            ))),
        }
    }

    pub fn sink<E: Entity>(options: &Options) -> Result<Arc<dyn Sink<E>>> {
        let s = Arc::new(sk::SkynamoSink::new(client(options)?));
        match E::KIND {
            EntityKind::Customer => cast_to(s as Arc<dyn Sink<Customer>>, "skynamo"),
            EntityKind::Product => cast_to(s as Arc<dyn Sink<Product>>, "skynamo"),
            EntityKind::PriceList => cast_to(s as Arc<dyn Sink<PriceList>>, "skynamo"),
            EntityKind::StockLevel => cast_to(s as Arc<dyn Sink<StockLevel>>, "skynamo"),
            EntityKind::Invoice => cast_to(s as Arc<dyn Sink<Invoice>>, "skynamo"),
            other => Err(Error::unsupported(format!(
                "skynamo takes customers, products, price-lists, stock-levels and invoices, not {other}"
            ))),
        }
    }

    pub async fn simulate(port: u16) -> Result<()> {
        let sim = sk::simulator::SkynamoSimulator::start_on(port)
            .await
            .map_err(|e| Error::internal(format!("cannot start the Skynamo simulator: {e}")))?;
        println!("Skynamo simulator at {}", sim.config().api_url);
        println!(
            "  CONNECTOR_SKYNAMO_API_URL={} CONNECTOR_SKYNAMO_API_KEY={} CONNECTOR_SKYNAMO_INSTANCE={}",
            sim.config().api_url,
            sk::simulator::API_KEY,
            sk::simulator::INSTANCE
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

/// Exact Online: customers (accounts), products (items), price lists, stock levels, invoices
/// and shipments (goods deliveries) to read; orders (sales orders, or sales invoices with
/// option `order_target`) and customers to write. Option `token_file` keeps the rotating
/// refresh token between runs.
#[cfg(feature = "exact-online")]
mod exact_online_system {
    use std::sync::Arc;

    use connector_core::http::TokenStore;
    use connector_core::model::{
        Customer, Invoice, Order, PriceList, Product, Shipment, StockLevel,
    };
    use connector_core::{Entity, EntityKind, Error, Result, Sink, Source};
    use connector_exact_online as eo;

    use super::{Options, cast_to};

    fn connector(options: &Options) -> Result<Arc<eo::ExactConnector>> {
        let config = eo::ExactConfig::from_options(options)?;
        let store: Option<Arc<dyn TokenStore>> = options
            .get("token_file")
            .map(|p| Arc::new(eo::FileTokenStore::new(p)) as Arc<dyn TokenStore>);
        Ok(Arc::new(eo::ExactConnector::new(config, store)))
    }

    pub fn source<E: Entity>(options: &Options) -> Result<Arc<dyn Source<E>>> {
        let c = connector(options)?;
        match E::KIND {
            EntityKind::Customer => cast_to(c as Arc<dyn Source<Customer>>, "exact-online"),
            EntityKind::Product => cast_to(c as Arc<dyn Source<Product>>, "exact-online"),
            EntityKind::PriceList => cast_to(c as Arc<dyn Source<PriceList>>, "exact-online"),
            EntityKind::StockLevel => cast_to(c as Arc<dyn Source<StockLevel>>, "exact-online"),
            EntityKind::Invoice => cast_to(c as Arc<dyn Source<Invoice>>, "exact-online"),
            EntityKind::Shipment => cast_to(c as Arc<dyn Source<Shipment>>, "exact-online"),
            other => Err(Error::unsupported(format!(
                "exact-online reads customers, products, price-lists, stock-levels, invoices and shipments, not {other}"
            ))),
        }
    }

    pub fn sink<E: Entity>(options: &Options) -> Result<Arc<dyn Sink<E>>> {
        let c = connector(options)?;
        match E::KIND {
            EntityKind::Order => cast_to(c as Arc<dyn Sink<Order>>, "exact-online"),
            EntityKind::Customer => cast_to(c as Arc<dyn Sink<Customer>>, "exact-online"),
            other => Err(Error::unsupported(format!(
                "exact-online takes orders (as sales orders or invoices, quotes as quotations) and customers, not {other}"
            ))),
        }
    }

    pub async fn check(options: &Options) -> Result<()> {
        Source::<Customer>::check(connector(options)?.as_ref()).await
    }

    /// `CONNECTOR_EXACT_ONLINE_SIM_ITEMS=N` adds `N` items with their default prices (a load
    /// test's data set); `CONNECTOR_EXACT_ONLINE_SIM_LIMITS=off` lifts Exact's limits (60
    /// calls a minute, 5,000 a day) for a test of CPU and memory.
    pub async fn simulate(port: u16) -> Result<()> {
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        let mut builder = eo::simulator::ExactSimulator::builder().port(port);
        if env("CONNECTOR_EXACT_ONLINE_SIM_LIMITS")
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("off"))
        {
            builder = builder.limits(u32::MAX, u32::MAX);
        }
        let sim = builder.start().await.map_err(|e| {
            Error::internal(format!("cannot start the Exact Online simulator: {e}"))
        })?;
        if let Some(n) = env("CONNECTOR_EXACT_ONLINE_SIM_ITEMS") {
            let n = n.trim().parse().map_err(|_| {
                Error::config(format!("CONNECTOR_EXACT_ONLINE_SIM_ITEMS is a count, not {n:?}"))
            })?;
            sim.seed_items(n);
        }
        let c = sim.config();
        println!("Exact Online simulator at {}", sim.base_url());
        println!(
            "  CONNECTOR_EXACT_ONLINE_API_URL={} CONNECTOR_EXACT_ONLINE_CLIENT_ID={} CONNECTOR_EXACT_ONLINE_CLIENT_SECRET={} \\",
            c.api_url,
            eo::simulator::CLIENT_ID,
            eo::simulator::CLIENT_SECRET
        );
        println!(
            "  (division {} from current/Me; refresh tokens rotate: exchange authorization code {} or keep them in a token_file)",
            eo::simulator::DIVISION,
            eo::simulator::AUTH_CODE
        );
        if let Some(rt) = c.refresh_token.as_ref() {
            use connector_core::reexports::secrecy::ExposeSecret;
            println!("  CONNECTOR_EXACT_ONLINE_REFRESH_TOKEN={}", rt.expose_secret());
        }
        sim.run_until_ctrl_c().await.map_err(|e| Error::internal(e.to_string()))
    }
}

/// Salesforce: customers (accounts), orders and products to read; products (with standard
/// prices), stock levels, shipments and customers to write.
#[cfg(feature = "salesforce")]
mod salesforce_system {
    use std::sync::Arc;

    use connector_core::model::{Customer, Order, Product, Shipment, StockLevel};
    use connector_core::{Entity, EntityKind, Error, Result, Sink, Source};
    use connector_salesforce as sf;

    use super::{Options, cast_to};

    fn connector(options: &Options) -> Result<Arc<sf::SalesforceConnector>> {
        Ok(Arc::new(sf::SalesforceConnector::new(
            sf::SalesforceConfig::from_options(options)?,
            None,
        )))
    }

    pub fn source<E: Entity>(options: &Options) -> Result<Arc<dyn Source<E>>> {
        let c = connector(options)?;
        match E::KIND {
            EntityKind::Customer => cast_to(c as Arc<dyn Source<Customer>>, "salesforce"),
            EntityKind::Order => cast_to(c as Arc<dyn Source<Order>>, "salesforce"),
            EntityKind::Product => cast_to(c as Arc<dyn Source<Product>>, "salesforce"),
            other => Err(Error::unsupported(format!(
                "salesforce reads customers, orders and products, not {other}"
            ))),
        }
    }

    pub fn sink<E: Entity>(options: &Options) -> Result<Arc<dyn Sink<E>>> {
        let c = connector(options)?;
        match E::KIND {
            EntityKind::Product => cast_to(c as Arc<dyn Sink<Product>>, "salesforce"),
            EntityKind::StockLevel => cast_to(c as Arc<dyn Sink<StockLevel>>, "salesforce"),
            EntityKind::Shipment => cast_to(c as Arc<dyn Sink<Shipment>>, "salesforce"),
            EntityKind::Customer => cast_to(c as Arc<dyn Sink<Customer>>, "salesforce"),
            other => Err(Error::unsupported(format!(
                "salesforce takes products, stock-levels, shipments and customers, not {other}"
            ))),
        }
    }

    pub async fn check(options: &Options) -> Result<()> {
        Source::<Customer>::check(connector(options)?.as_ref()).await
    }

    pub async fn simulate(port: u16) -> Result<()> {
        let sim =
            sf::simulator::SalesforceSimulator::builder().port(port).start().await.map_err(
                |e| Error::internal(format!("cannot start the Salesforce simulator: {e}")),
            )?;
        let c = sim.config();
        println!("Salesforce simulator at {}", sim.base_url());
        println!(
            "  CONNECTOR_SALESFORCE_LOGIN_URL={} CONNECTOR_SALESFORCE_CLIENT_ID={} CONNECTOR_SALESFORCE_CLIENT_SECRET={} \\",
            c.login_url,
            sf::simulator::CLIENT_ID,
            sf::simulator::CLIENT_SECRET
        );
        if let Some(rt) = c.refresh_token.as_ref() {
            use connector_core::reexports::secrecy::ExposeSecret;
            println!("  CONNECTOR_SALESFORCE_REFRESH_TOKEN={}", rt.expose_secret());
        }
        println!("  (or leave the refresh token out to use client credentials)");
        sim.run_until_ctrl_c().await.map_err(|e| Error::internal(e.to_string()))
    }
}
