//! A SuperOffice ERP Sync Connector in front of Xero.
//!
//! ```sh
//! cargo run --example superoffice_erp_connector --features full            # serve until Ctrl-C
//! cargo run --example superoffice_erp_connector --features full -- --once  # link, import, poll, exit
//! ```
//!
//! Without `CONNECTOR_XERO_CLIENT_ID` it starts the Xero simulator and prints the settings to
//! enter in SuperOffice's "Define new ERP connection" dialog; with the `CONNECTOR_XERO_*`
//! variables it serves your Xero organisation. Connections are kept in
//! `superoffice-connector.sqlite`, sealed under `CONNECTOR_STATE_KEY` (64 hex digits; without
//! it a key for this run only, so saved connections do not survive a restart). Give SuperOffice
//! the printed URL under Settings and maintenance → Quote/Sync → Sync; or play SuperOffice's
//! side yourself with `connector simulate superoffice --connector <URL> -o key=value …`.

use std::sync::Arc;

use connector_sdk::registry::{options_from_env, registry};
use connector_sdk::state::{Sealer, SqliteStore, StateStore};
use connector_sdk::superoffice::{ConnectorServer, EisClient, ErpConnector, ServerOptions};
use connector_sdk::system::Options;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let once = std::env::args().any(|a| a == "--once");
    let xero = registry().get("xero")?;
    // Xero itself when its settings are in the environment, else its simulator.
    let mut settings: Options = options_from_env("xero");
    let mut _simulator = None;
    if !settings.contains_key("client_id") {
        let sim = xero.simulate(0, &Options::new()).await?;
        println!("Xero simulator at {}", sim.base_url());
        settings = sim.options();
        _simulator = Some(sim);
    }
    let sealer = match Sealer::from_env()? {
        Some(s) => s,
        None => {
            println!(
                "(CONNECTOR_STATE_KEY is not set: connections are sealed with a key for this run only)"
            );
            Sealer::ephemeral()?
        }
    };
    let state: Arc<dyn StateStore> = Arc::new(SqliteStore::open("superoffice-connector.sqlite")?);
    let connector = ErpConnector::builder(registry().clone(), state)
        .systems(["xero"])
        .sealer(sealer)
        .build()?;
    let port = if once { 0 } else { 8080 };
    let server =
        ConnectorServer::start(connector, ([127, 0, 0, 1], port).into(), ServerOptions::default())
            .await?;
    println!("SuperOffice ERP Sync Connector at {}", server.url());
    println!("WSDL at {}?wsdl", server.url());
    // The simulator's credentials are its own test values; real ones are never printed.
    let simulated = _simulator.is_some();
    println!("Connection settings for SuperOffice's dialog:");
    for (key, value) in &settings {
        let secret = xero.settings().iter().any(|s| s.key == key && s.secret);
        println!("  {key} = {}", if secret && !simulated { "********" } else { value.as_str() });
    }
    if once {
        let info: Vec<(&str, &str)> =
            settings.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let walk = EisClient::new(server.url())
            .walk("0f8fad5b-d9cb-469f-a165-70867728950e", &info, "")
            .await?;
        println!("Test ERP link: {}", walk.link_test.state.as_str());
        println!(
            "Imported {} customers; the first poll saw {}.",
            walk.imported.len(),
            walk.polled.len()
        );
        for actor in &walk.imported {
            println!("  {} {}", actor.erp_key, actor.value("name").unwrap_or_default());
        }
        server.shutdown().await;
        return Ok(());
    }
    println!("Serving until Ctrl-C.");
    tokio::signal::ctrl_c().await?;
    server.shutdown().await;
    Ok(())
}
