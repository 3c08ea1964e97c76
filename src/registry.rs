//! The systems compiled into this build, opened by name with string options: what the CLI
//! and flow files use. Each connector feature registers its system here, one line each; what a
//! system reads and writes and the settings it takes are declared in its own crate (see
//! [`System`](connector_core::system::System)).

use std::sync::{Arc, LazyLock};

use connector_core::state::{Sealer, StateStore};
use connector_core::system::Registry;
use connector_core::{Entity, Result, Sink, Source};

pub use connector_core::system::{Options, merged_options, options_from_env};

/// The systems this build's features compile in.
pub fn registry() -> &'static Registry {
    static REGISTRY: LazyLock<Registry> = LazyLock::new(|| {
        #[allow(unused_mut)]
        let mut r = Registry::new();
        #[cfg(feature = "file")]
        r.register(connector_file::FileSystem);
        #[cfg(feature = "procountor")]
        r.register(connector_procountor::ProcountorSystem);
        #[cfg(feature = "xero")]
        r.register(connector_xero::XeroSystem);
        #[cfg(feature = "skynamo")]
        r.register(connector_skynamo::SkynamoSystem);
        #[cfg(feature = "exact-online")]
        r.register(connector_exact_online::ExactSystem);
        #[cfg(feature = "salesforce")]
        r.register(connector_salesforce::SalesforceSystem);
        #[cfg(feature = "accountview")]
        r.register(connector_accountview::AccountViewSystem);
        #[cfg(feature = "parts-pim")]
        r.register(connector_parts_pim::PartsPimSystem);
        r
    });
    &REGISTRY
}

/// The systems of [`registry`], keeping rotated refresh tokens in `state` (sealed with
/// `CONNECTOR_STATE_KEY` when set) unless an endpoint names a `token_file`: what the CLI and
/// flow files open systems with, so a second run starts from the token the first one got.
pub fn with_state(state: Arc<dyn StateStore>) -> Result<Registry> {
    Ok(registry().keep_tokens_in(state, Sealer::from_env()?.map(Arc::new)))
}

/// The names of the systems compiled into this build.
pub fn systems() -> Vec<&'static str> {
    registry().names()
}

/// Opens a source of `E` in `system` with `options` (already merged with the environment).
pub fn source<E: Entity>(system: &str, options: &Options) -> Result<Arc<dyn Source<E>>> {
    registry().source::<E>(system, options)
}

/// Opens a sink of `E` in `system` with `options` (already merged with the environment).
pub fn sink<E: Entity>(system: &str, options: &Options) -> Result<Arc<dyn Sink<E>>> {
    registry().sink::<E>(system, options)
}

/// Tests the connection to `system`: credentials, tenant, reachability.
pub async fn check(system: &str, options: &Options) -> Result<()> {
    registry().check(system, options).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use connector_core::EntityKind;

    #[test]
    fn unknown_system_is_a_config_error() {
        let err = source::<connector_core::model::Customer>("nope", &Options::new()).err().unwrap();
        assert_eq!(err.kind(), connector_core::ErrorKind::Config);
        assert!(err.to_string().contains("unknown system `nope`"));
    }

    /// Every registered system opens exactly the entities it declares, each source and sink
    /// reporting that entity; the settings its simulator hands out are all declared ones.
    #[cfg(feature = "full")]
    #[tokio::test]
    async fn every_system_opens_what_it_declares_and_nothing_else() {
        let dir = std::env::temp_dir().join(format!("registry-{}", std::process::id()));
        let mut sims = Vec::new();
        for sys in registry().systems() {
            let options = if sys.name() == "file" {
                [("path".to_string(), dir.join("x.jsonl").display().to_string())].into()
            } else {
                let sim = sys.simulate(0, &Options::new()).await.unwrap();
                let options = sim.options();
                sims.push(sim);
                options
            };
            for kind in EntityKind::ALL {
                let source = registry().any_source(sys.name(), kind, &options);
                assert_eq!(
                    source.is_ok(),
                    sys.reads().contains(&kind),
                    "{} reads {kind}: {source:?}",
                    sys.name()
                );
                if let Ok(s) = source {
                    assert_eq!((s.kind(), s.capabilities().entity), (kind, kind), "{}", sys.name());
                } else {
                    assert_eq!(source.unwrap_err().kind(), connector_core::ErrorKind::Unsupported);
                }
                let sink = registry().any_sink(sys.name(), kind, &options);
                assert_eq!(
                    sink.is_ok(),
                    sys.writes().contains(&kind),
                    "{} writes {kind}: {sink:?}",
                    sys.name()
                );
                if let Ok(s) = sink {
                    assert_eq!((s.kind(), s.capabilities().entity), (kind, kind), "{}", sys.name());
                }
            }
            assert!(!sys.about().is_empty() && !sys.settings().is_empty(), "{}", sys.name());
            let Some(keys) = sys.description().typed_keys else {
                panic!("{}: its settings are not a typed struct (Description::typed)", sys.name())
            };
            let declared: Vec<&str> = sys.settings().iter().map(|s| s.key).collect();
            assert_eq!(declared, keys(), "{}: declared settings = its settings struct", sys.name());
        }
        assert_eq!(
            systems(),
            [
                "accountview",
                "exact-online",
                "file",
                "parts-pim",
                "procountor",
                "salesforce",
                "skynamo",
                "xero"
            ]
        );
    }

    #[cfg(feature = "xero")]
    #[test]
    fn a_misspelt_setting_names_the_nearest_and_the_known_ones() {
        let options: Options = [("tenat_id".to_string(), "x".to_string())].into();
        let err = source::<connector_core::model::Invoice>("xero", &options).err().unwrap();
        assert_eq!(err.kind(), connector_core::ErrorKind::Config);
        assert!(err.message().starts_with("xero has no setting `tenat_id` (did you mean `tenant_id`?); it takes client_id, client_secret,"), "{err}");
    }

    /// Two runs, each opening the systems afresh from the same settings (the simulator's
    /// first refresh token) and a state file: the second starts from the token the first one
    /// was rotated to, with no token file; with a state key, the file holds it sealed.
    #[cfg(feature = "full")]
    #[tokio::test]
    async fn rotated_refresh_tokens_carry_over_to_the_next_run_without_a_token_file() {
        use connector_core::http::StateTokenStore;
        use connector_core::model::Customer;
        use connector_core::state::{Sealer, SqliteStore, StateStore};
        use connector_core::{ReadMode, Source};
        use futures_util::StreamExt;

        async fn read_all(source: Arc<dyn Source<Customer>>) -> usize {
            let changes: Vec<_> = source.read(ReadMode::Full).collect().await;
            for c in &changes {
                assert!(c.is_ok(), "{:?}", c.as_ref().err());
            }
            changes.len()
        }

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.sqlite");
        for system in ["xero", "exact-online"] {
            let sim = registry().get(system).unwrap().simulate(0, &Options::new()).await.unwrap();
            let options = sim.options();
            for run in 1..=2 {
                let state: Arc<dyn StateStore> = Arc::new(SqliteStore::open(&path).unwrap());
                let systems = with_state(state).unwrap();
                let n = read_all(systems.source::<Customer>(system, &options).unwrap()).await;
                assert!(n > 0, "{system} run {run} read nothing");
            }
            // A third run whose first refresh is a retry of the spent token would fail: the
            // simulator refuses a used refresh token.
            let spent = registry().source::<Customer>(system, &options).unwrap();
            let err = spent.read(ReadMode::Full).next().await.unwrap().err().unwrap();
            assert!(err.to_string().contains("refresh"), "{system}: {err}");
        }
        // With a key, what the state holds is sealed.
        let state: Arc<dyn StateStore> = Arc::new(SqliteStore::open(&path).unwrap());
        let sealer = Arc::new(Sealer::new(&[3; 32]));
        let store = StateTokenStore::new(state.clone(), "tokens/test/app", None, Some(sealer));
        connector_core::http::TokenStore::save(
            &store,
            &connector_core::http::TokenSet::from_refresh_token("rt-z".to_string().into()),
        )
        .await
        .unwrap();
        let held = state.secret("tokens/test/app").await.unwrap().unwrap();
        assert!(held.starts_with("sealed:v1:") && !held.contains("rt-z"));
    }

    /// Every source of every system keeps the source contract on its simulator's data (a
    /// full read with one `SnapshotComplete` at its end, keys on every record, a changes read
    /// from the last checkpoint that claims no snapshot and delivers no more than the full
    /// read).
    #[cfg(feature = "full")]
    #[tokio::test]
    async fn every_source_keeps_the_source_contract() {
        use connector_core::state::{MemoryStore, StateStore};
        use connector_testkit::check_source_contract;
        let state: Arc<dyn StateStore> = Arc::new(MemoryStore::default());
        let systems = with_state(state).unwrap();
        let mut breaches = Vec::new();
        let mut sims = Vec::new();
        for sys in registry().systems().filter(|s| s.name() != "file") {
            let sim = sys.simulate(0, &Options::new()).await.unwrap();
            let options = sim.options();
            sims.push(sim);
            for kind in sys.reads() {
                let found = connector_core::with_entity!(*kind, E => {
                    let source = systems.source::<E>(sys.name(), &options).unwrap();
                    check_source_contract(&*source).await.1
                });
                breaches.extend(found.into_iter().map(|b| format!("{} {kind}: {b}", sys.name())));
            }
        }
        assert!(breaches.is_empty(), "{}", breaches.join("\n"));
    }

    /// Every customer and product sink of every system keeps the sink contract on its
    /// simulator: one outcome per record, a retry that creates nothing twice, an update
    /// through the target id that is not a create.
    #[cfg(feature = "full")]
    #[tokio::test]
    async fn every_customer_and_product_sink_keeps_the_sink_contract() {
        use connector_core::model::{
            ContactKind, Currency, Customer, Email, EntityKind, Money, Product,
        };
        use connector_core::state::{MemoryStore, StateStore};
        use connector_testkit::check_sink_contract;
        use rust_decimal::Decimal;
        let customers = || -> Vec<Customer> {
            (1..=3)
                .map(|i| Customer {
                    number: Some(format!("SINK-{i}")),
                    name: Some(format!("Contract Customer {i} Oy")),
                    emails: vec![Email {
                        address: format!("contract{i}@example.com"),
                        kind: ContactKind::Work,
                        primary: true,
                    }],
                    ..Default::default()
                })
                .collect()
        };
        let products = || -> Vec<Product> {
            (1..=3)
                .map(|i| Product {
                    sku: format!("9000{i}"),
                    name: Some(format!("Contract product {i}")),
                    sales_price: Some(Money::new(
                        Decimal::new(1250 * i, 2),
                        Currency::new("EUR").unwrap(),
                    )),
                    ..Default::default()
                })
                .collect()
        };
        let state: Arc<dyn StateStore> = Arc::new(MemoryStore::default());
        let systems = with_state(state).unwrap();
        let mut breaches = Vec::new();
        let mut checked = 0;
        for sys in registry().systems().filter(|s| s.name() != "file") {
            let sim = sys.simulate(0, &Options::new()).await.unwrap();
            let options = sim.options();
            for kind in sys.writes() {
                let found = match kind {
                    EntityKind::Customer => {
                        let sink = systems.sink::<Customer>(sys.name(), &options).unwrap();
                        check_sink_contract(&*sink, customers()).await.1
                    }
                    EntityKind::Product => {
                        let sink = systems.sink::<Product>(sys.name(), &options).unwrap();
                        check_sink_contract(&*sink, products()).await.1
                    }
                    _ => continue,
                };
                checked += 1;
                breaches.extend(found.into_iter().map(|b| format!("{} {kind}: {b}", sys.name())));
            }
        }
        assert!(checked >= 7, "only {checked} sinks checked");
        assert!(breaches.is_empty(), "{}", breaches.join("\n"));
    }
}
