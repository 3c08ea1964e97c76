//! `connector tenants add|list --postgres URL`: the tenants of a fleet and each system's
//! settings for them, kept in the PostgreSQL state store (sealed with `CONNECTOR_STATE_KEY`;
//! settings that hold a secret are refused without it).

use std::collections::BTreeMap;
use std::process::ExitCode;

use connector_sdk::registry::registry;
use connector_sdk::state::Sealer;
use connector_sdk::state_postgres::PostgresStore;
use connector_sdk::{Error, Result};

/// Stores `tenant`'s settings for `system`: only keys the system takes, sealed when a state
/// key is set, and refused when one holds a secret and no key is set.
pub async fn add(
    url: &str,
    tenant: &str,
    system: &str,
    given: Vec<(String, String)>,
) -> Result<ExitCode> {
    let sys = registry().get(system)?;
    let settings = sys.settings();
    for (key, _) in &given {
        if !settings.iter().any(|s| s.key == key) {
            let known: Vec<&str> = settings.iter().map(|s| s.key).collect();
            return Err(Error::config(format!(
                "{system} has no setting `{key}`; it takes {}",
                known.join(", ")
            )));
        }
    }
    let sealer = Sealer::from_env()?;
    let secret = given.iter().find(|(k, _)| settings.iter().any(|s| s.key == k && s.secret));
    if let (Some((key, _)), None) = (secret, &sealer) {
        return Err(Error::config(format!(
            "`{key}` is a secret: set {} (64 hex digits) so it is stored sealed",
            connector_sdk::state::STATE_KEY_ENV
        )));
    }
    let values: BTreeMap<String, String> = given.into_iter().collect();
    let store = PostgresStore::connect(url).await?;
    store.save_tenant_settings(tenant, system, &values, sealer.as_ref()).await?;
    let how = if sealer.is_some() { "sealed" } else { "in clear: none is a secret" };
    say!("tenant {tenant}: {} {system} settings saved ({how})", values.len());
    Ok(ExitCode::SUCCESS)
}

/// Lists the tenants and the systems each has settings for.
pub async fn list(url: &str) -> Result<ExitCode> {
    let store = PostgresStore::connect(url).await?;
    for tenant in store.tenants().await? {
        say!("{}\t{}", tenant.id, tenant.systems.join(", "));
    }
    Ok(ExitCode::SUCCESS)
}
