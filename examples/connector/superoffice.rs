//! `connector simulate superoffice`: plays SuperOffice's side of an ERP Sync Connector. Without
//! `--connector`, it first serves one here, in front of the system named by `--serves` (on
//! that system's simulator unless settings are given), so the whole loop runs on this machine.

use std::process::ExitCode;
use std::sync::Arc;

use connector_sdk::registry::{Options, registry};
use connector_sdk::state::{MemoryStore, Sealer, StateStore};
use connector_sdk::superoffice::{ConnectorServer, EisClient, ErpConnector, ServerOptions};
use connector_sdk::{Error, Result};

/// The connection GUID SuperOffice gives the link in this walk.
const GUID: &str = "6b1d2f3e-0c4a-4e5b-9d6f-7a8b9c0d1e2f";

/// What to walk: a connector URL (else one served here), the system behind it, the settings
/// of the connection (else its simulator's), the import's name prefix, and a port.
pub struct Walk {
    pub connector: Option<String>,
    pub serves: String,
    pub options: Options,
    pub prefix: String,
    pub port: u16,
}

pub async fn simulate(walk: Walk) -> Result<ExitCode> {
    let sys = registry().get(&walk.serves)?;
    let mut info = walk.options.clone();
    let mut _sim = None;
    if info.is_empty() {
        let sim = sys.simulate(0, &Options::new()).await?;
        info = sim.options();
        say!("{} simulator at {}", sys.name(), sim.base_url());
        _sim = Some(sim);
    }
    let mut _server = None;
    let url = match walk.connector {
        Some(url) => url,
        None => {
            let state: Arc<dyn StateStore> = Arc::new(MemoryStore::default());
            let sealer = match Sealer::from_env()? {
                Some(s) => s,
                None => Sealer::ephemeral()?,
            };
            let connector = ErpConnector::builder(registry().clone(), state)
                .systems([walk.serves.as_str()])
                .sealer(sealer)
                .build()?;
            let addr = ([127, 0, 0, 1], walk.port).into();
            let server = ConnectorServer::start(connector, addr, ServerOptions::default())
                .await
                .map_err(|e| Error::internal(format!("cannot serve the connector: {e}")))?;
            let url = server.url();
            _server = Some(server);
            url
        }
    };
    say!("SuperOffice ERP Sync Connector at {url} (WSDL at {url}?wsdl), serving {}", walk.serves);
    let pairs: Vec<(&str, &str)> = info.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let seen = EisClient::new(url)
        .walk(GUID, &pairs, &walk.prefix)
        .await
        .map_err(|e| Error::internal(e.to_string()))?;
    say!(
        "  connection dialog: {} fields ({})",
        seen.config_fields.len(),
        seen.config_fields.join(", ")
    );
    say!("  Test ERP link: {}", state_line(&seen.link_test));
    if !seen.link_test.is_ok() || !seen.connection_test.is_ok() {
        say!("  saved and tested: {}", state_line(&seen.connection_test));
        return Ok(ExitCode::FAILURE);
    }
    say!("  saved as {GUID}; tested again: {}", state_line(&seen.connection_test));
    say!("  actor types: {}", seen.actor_types.join(", "));
    say!(
        "  import (searchable fields → advanced search \"{}\" → get actors): {} customers",
        walk.prefix,
        seen.imported.len()
    );
    for actor in seen.imported.iter().take(5) {
        say!(
            "    {} {} {}",
            actor.erp_key,
            actor.value("name").unwrap_or_default(),
            actor.last_modified
        );
    }
    say!("  poll by timestamp since 01/01/2000: {} customers changed", seen.polled.len());
    Ok(ExitCode::SUCCESS)
}

fn state_line(r: &connector_sdk::superoffice::PluginResponse) -> String {
    if r.user_explanation.is_empty() {
        r.state.as_str().to_owned()
    } else {
        format!("{} — {}", r.state.as_str(), r.user_explanation)
    }
}
