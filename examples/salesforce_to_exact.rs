//! APIcenter's Salesforce ↔ Exact Online integration: five flows.
//!
//! 1. Orders Salesforce → Exact Online: paid orders only; an order already in Exact (by
//!    `YourRef`) is skipped; the customer is found by e-mail or created (a company with its
//!    contact person, or a person debtor); unknown SKUs are quarantined naming the SKU; the
//!    target document (sales order or sales invoice) is the Exact setting `order_target`.
//! 2. Shipments Exact → Salesforce: each goods delivery is one shipment record (carrier,
//!    tracking code and URL) on its order, so a split delivery gives two.
//! 3. Stock Exact → Salesforce: Exact's free stock into the stock field (`stock_field`, a
//!    custom field: a standard org has none).
//! 4. Products Exact → Salesforce by SKU, with the standard price; the long description is
//!    sent on create only; an item deleted in Exact becomes inactive.
//! 5. Customers Exact → Salesforce on every change, by ERP number, with a mandatory target
//!    setting on every account (a custom `Posting_Group__c`).
//!
//! On the simulators the Salesforce org is a standard one with the custom fields these flows
//! are set up for added (`flows::apicenter_org`): the ERP number and SKU as External IDs,
//! the stock field, the shipment object and the posting group.
//!
//! Each flow runs its section of `examples/mappings/apicenter.toml` (`orders`, `shipments`,
//! `stock`, `products`, `customers`): edit the file to change the field mappings, value
//! maps, constants and create-only fields. Items whose free text fields name a configurable
//! product arrive in Salesforce as its variants (with the simulators; against a real
//! division set `ExactConfig::item_variants`).
//!
//! ```text
//! cargo run --example salesforce_to_exact --features salesforce,exact-online
//! ```
//!
//! With no `CONNECTOR_SALESFORCE_*` / `CONNECTOR_EXACT_ONLINE_*` credentials it starts both
//! simulators; with them (and optionally `CONNECTOR_EXACT_ONLINE_API_URL`,
//! `CONNECTOR_SALESFORCE_INSTANCE_URL`, …) it works on the real systems. Salesforce signs
//! in with the JWT bearer flow when `CONNECTOR_SALESFORCE_PRIVATE_KEY` (or `_PRIVATE_KEY_PATH`)
//! and `CONNECTOR_SALESFORCE_USERNAME` are set, else with a refresh token or client
//! credentials.

use std::process::ExitCode;
use std::sync::Arc;

use connector_sdk::exact_online::simulator::ExactSimulator;
use connector_sdk::exact_online::{ExactClient, ExactConfig};
use connector_sdk::flow::{RunMode, RunReport};
use connector_sdk::http::{MemoryTokenStore, TokenStore};
use connector_sdk::salesforce::simulator::SalesforceSimulator;
use connector_sdk::salesforce::{SalesforceClient, SalesforceConfig};
use connector_sdk::{Error, Result};

#[path = "salesforce_to_exact/flows.rs"]
mod flows;
use flows::{
    apicenter_org, customers_flow, orders_flow, products_flow, shipments_flow, stock_flow,
};

fn print(report: &RunReport) {
    let c = &report.counts;
    println!(
        "{:<22} {:<8} received {:>4}  created {:>3}  updated {:>3}  skipped {:>3}  quarantined {:>3}  deactivated {:>3}",
        report.flow,
        report.status,
        c.received,
        c.created,
        c.updated,
        c.skipped,
        c.quarantined,
        c.deactivated
    );
    for (key, e) in &report.errors {
        println!("    {key}: {e}");
    }
}

async fn run() -> Result<()> {
    let real = SalesforceConfig::env_present() && ExactConfig::env_present();
    let mut sims = None;
    let (sf_config, exact_config) = if real {
        (SalesforceConfig::from_env()?, ExactConfig::from_env()?)
    } else {
        let sf = SalesforceSimulator::start().await.map_err(|e| Error::internal(e.to_string()))?;
        let eo = ExactSimulator::start().await.map_err(|e| Error::internal(e.to_string()))?;
        println!("simulators: Salesforce {}  Exact Online {}", sf.base_url(), eo.base_url());
        // A standard org with the custom fields the flows are set up for.
        let configs = (apicenter_org(&sf), eo.config());
        sims = Some((sf, eo));
        configs
    };
    // One token store for every Exact connection: its refresh tokens rotate.
    let tokens: Arc<dyn TokenStore> = Arc::new(MemoryTokenStore::new(None));
    let exact = ExactClient::connect(exact_config, Some(tokens)).await?;
    let sf = SalesforceClient::connect(sf_config, None).await?;

    let products = products_flow(exact.clone(), sf.clone());
    print(&products.run(RunMode::Full).await);
    print(&customers_flow(exact.clone(), sf.clone()).run(RunMode::Full).await);
    let orders = orders_flow(sf.clone(), exact.clone());
    print(&orders.run(RunMode::Full).await);
    if let Some((_, eo)) = &sims {
        // The warehouse ships the first order in two parts.
        if let Some(so) = eo.orders().all().into_iter().next() {
            let number = so.value["OrderNumber"].as_i64().unwrap_or_default();
            let lines = so.value["SalesOrderLines"].as_array().cloned().unwrap_or_default();
            for (i, l) in lines.iter().enumerate() {
                let code = l["ItemCode"].as_str().unwrap_or_default().to_owned();
                let qty = l["Quantity"].to_string();
                eo.deliver(
                    number,
                    &[(code.as_str(), qty.as_str())],
                    &format!("3SDEMO{i:04}"),
                    "PostNL",
                );
            }
        }
    }
    print(&shipments_flow(exact.clone(), sf.clone()).run(RunMode::Full).await);
    print(&stock_flow(exact.clone(), sf.clone()).run(RunMode::Full).await);
    // A second order run creates nothing.
    print(&orders.run(RunMode::Changes).await);
    if let Some((sf, eo)) = sims {
        sf.shutdown().await;
        eo.shutdown().await;
    }
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("salesforce_to_exact: {e}");
            ExitCode::FAILURE
        }
    }
}
