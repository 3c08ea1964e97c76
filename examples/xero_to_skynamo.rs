//! Skynamo Link: Xero → Skynamo (customers, products, price lists, stock levels, invoices;
//! a full snapshot, then changes only) and Skynamo → Xero (orders and quotes, switched on or
//! off in `examples/mappings/skynamo-link.toml`).
//!
//! Without credentials it runs on the two simulators. With `CONNECTOR_XERO_CLIENT_ID`,
//! `_CLIENT_SECRET`, `_REFRESH_TOKEN` (and `_TENANT_ID`: the id or the exact organisation
//! name) and `CONNECTOR_SKYNAMO_API_KEY`, `_INSTANCE`, `_REGION` set, it runs against the
//! real services; the rotated Xero refresh token is kept in `xero-tokens.json` and the state
//! in `skynamo-link.sqlite`.
//!
//! ```text
//! cargo run --example xero_to_skynamo --features xero,skynamo
//! ```

#[allow(dead_code)]
#[path = "xero_to_skynamo/link.rs"]
mod link;

use std::process::ExitCode;
use std::sync::Arc;

use connector_sdk::Result;
use connector_sdk::flow::RunMode;
use connector_sdk::skynamo::simulator::SkynamoSimulator;
use connector_sdk::skynamo::{SkynamoClient, SkynamoConfig};
use connector_sdk::state::{MemoryStore, SqliteStore, StateStore};
use connector_sdk::xero::simulator::XeroSimulator;
use connector_sdk::xero::{FileTokenStore, XeroClient, XeroConfig};

async fn run() -> Result<()> {
    let real = XeroConfig::env_present() && SkynamoConfig::env_present();
    let mut sims = None;
    let (xero, skynamo, state): (XeroClient, SkynamoClient, Arc<dyn StateStore>) = if real {
        let store = Arc::new(FileTokenStore::new("xero-tokens.json"));
        (
            XeroClient::connect(XeroConfig::from_env()?, Some(store)).await?,
            SkynamoClient::new(SkynamoConfig::from_env()?)?,
            Arc::new(SqliteStore::open("skynamo-link.sqlite")?),
        )
    } else {
        println!(
            "No CONNECTOR_XERO_* / CONNECTOR_SKYNAMO_* credentials: running on the simulators."
        );
        let x = XeroSimulator::start()
            .await
            .map_err(|e| connector_sdk::Error::internal(e.to_string()))?;
        let s = SkynamoSimulator::start()
            .await
            .map_err(|e| connector_sdk::Error::internal(e.to_string()))?;
        let clients =
            (XeroClient::connect(x.config(), None).await?, SkynamoClient::new(s.config())?);
        sims = Some((x, s));
        (clients.0, clients.1, Arc::new(MemoryStore::new()))
    };
    println!("Xero organisation: {}", xero.tenant_name().or(xero.tenant_id()).unwrap_or_default());
    let link = link::SkynamoLink { xero, skynamo, mapping: link::default_mapping(), state };

    println!("\n== Xero → Skynamo, full");
    println!("{}", link::summary(&link.erp_to_crm(RunMode::Full).await?));
    if let Some((x, s)) = &sims {
        // Something happens in both systems between runs.
        x.archive_contact("9e6dd0b3-1d63-4ad8-b2ba-1b7a1d3a8f11");
        x.archive_contact("5b96e86b-418e-48e8-8949-308c14aec278");
        s.place(false, "C-1001", 1, &[("GB1-WHITE", "12.5", "5.9525"), ("UMB-1", "2", "19.9875")]);
        s.place(true, "C-1002", 2, &[("LESSON-30", "1", "45.00")]);
    }
    println!("\n== Xero → Skynamo, changes");
    println!("{}", link::summary(&link.erp_to_crm(RunMode::Changes).await?));
    println!("\n== Skynamo → Xero (orders on, quotes off in the mapping)");
    println!("{}", link::summary(&link.crm_to_erp().await?));
    println!("\n== Skynamo → Xero again (nothing new)");
    println!("{}", link::summary(&link.crm_to_erp().await?));
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
