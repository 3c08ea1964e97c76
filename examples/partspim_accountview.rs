//! APIcenter's Parts PIM ↔ Visma AccountView integration, the flows built so far:
//!
//! 1. Products AccountView → Parts PIM by SKU: digits-only SKUs (a SKU with a letter is
//!    quarantined naming it, never sent), the long description written on create and left
//!    alone on update, the employee number 999999 unless the record carries one.
//! 2. Stock AccountView → Parts PIM: available less sales reservations.
//! 3. Orders Parts PIM → AccountView: skipped when AccountView has them; the customer found
//!    by e-mail or created (a company debtor with its contact person, else a person debtor),
//!    or the debtor in `CONNECTOR_DEFAULT_DEBTOR`; payment terms and methods mapped; an order
//!    naming an unknown article quarantined naming the SKU.
//! 4. Orders AccountView → Parts PIM: orders entered in AccountView (not those that came
//!    from Parts PIM) placed once, each with the employee number (999999 unless set), an
//!    order naming a product Parts PIM lacks quarantined naming the SKU.
//!
//! Each runs its section of `examples/mappings/parts-pim-accountview.toml`.
//!
//! ```text
//! cargo run --example partspim_accountview --features full
//! ```
//!
//! With no `CONNECTOR_ACCOUNTVIEW_*` / `CONNECTOR_PARTS_PIM_*` settings it starts both
//! simulators (AccountView with a demo company and one article whose code has a letter,
//! Parts PIM with three orders).

#[path = "partspim_accountview/flows.rs"]
mod flows;

use std::sync::Arc;

use connector_sdk::accountview::simulator::AccountViewSimulator;
use connector_sdk::accountview::{AccountViewClient, AccountViewConfig};
use connector_sdk::flow::RunMode;
use connector_sdk::parts_pim::PartsPimConfig;
use connector_sdk::parts_pim::simulator::PartsPimSimulator;
use connector_sdk::registry::options_from_env;
use connector_sdk::state::{MemoryStore, StateStore};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let av_env = options_from_env("accountview");
    let pim_env = options_from_env("parts-pim");
    let (_av_sim, av_config) = if av_env.contains_key("client_id") {
        (None, AccountViewConfig::from_options(&av_env)?)
    } else {
        let sim = AccountViewSimulator::builder().demo_data().start().await?;
        sim.put_article(serde_json::json!({"REC_ID": "A0009", "ART_CODE": "100A00", "ART_DESC1": "Code met een letter", "UNIT": "st"}));
        let config = sim.config();
        (Some(sim), config)
    };
    let (_pim_sim, pim_config) = if pim_env.contains_key("base_url") {
        (None, PartsPimConfig::from_options(&pim_env)?)
    } else {
        let sim = PartsPimSimulator::start().await?;
        let config = sim.config();
        (Some(sim), config)
    };
    let av = AccountViewClient::new(av_config, None)?;
    let state: Arc<dyn StateStore> = Arc::new(MemoryStore::new());
    for report in [
        flows::products_flow(av.clone(), pim_config.clone(), state.clone())?
            .run(RunMode::Full)
            .await,
        flows::products_flow(av.clone(), pim_config.clone(), state.clone())?
            .run(RunMode::Full)
            .await,
    ] {
        println!(
            "{:<20} {:?}: created {} updated {} unchanged {} quarantined {}",
            report.flow,
            report.status,
            report.counts.created,
            report.counts.updated,
            report.counts.unchanged,
            report.counts.quarantined
        );
    }
    let stock =
        flows::stock_flow(av.clone(), pim_config.clone(), state.clone())?.run(RunMode::Full).await;
    println!(
        "{:<20} {:?}: sent {}",
        stock.flow,
        stock.status,
        stock.counts.created + stock.counts.updated
    );
    if let Some(sim) = &_pim_sim {
        for order in flows::sample_orders() {
            sim.put_order(order);
        }
    }
    let default_debtor = std::env::var("CONNECTOR_DEFAULT_DEBTOR").ok();
    let orders = flows::orders_flow(pim_config.clone(), av.clone(), default_debtor, state.clone())?
        .run(RunMode::Full)
        .await;
    if let Some(sim) = &_av_sim {
        let (header, lines) = flows::sample_accountview_order();
        sim.put_order(header, lines);
    }
    let back = flows::orders_to_pim_flow(av, pim_config, state.clone())?.run(RunMode::Full).await;
    for report in [orders, back] {
        println!(
            "{:<20} {:?}: placed {} skipped {} quarantined {}",
            report.flow,
            report.status,
            report.counts.created,
            report.counts.skipped,
            report.counts.quarantined
        );
    }
    for q in state.quarantine_list(&Default::default()).await? {
        println!("quarantined {}: {}", q.key, q.error);
    }
    Ok(())
}
