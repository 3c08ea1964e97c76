//! Orders → Procountor sales invoices, as Flashnode's Procountor integration does it.
//!
//! Orders come from a webshop's CSV export through the file connector, pass the mapping
//! `examples/mappings/procountor.toml` (countries, VAT codes → percentages, units), and land
//! in Procountor as `SALES_INVOICE`s (status UNFINISHED) with the invoice channel chosen
//! from each order's data, customers matched to the register by customer number or business
//! ID, and rows matched to the product register by code.
//!
//! ```text
//! cargo run --example orders_to_procountor --features procountor,file [-- orders.csv]
//! ```
//!
//! With no `CONNECTOR_PROCOUNTOR_*` credentials set it starts the built-in simulator (with
//! a small customer and product register) and needs no network; with
//! `CONNECTOR_PROCOUNTOR_CLIENT_ID`, `_CLIENT_SECRET` and `_API_KEY` (and optionally
//! `_API_URL`, `_API_VERSION`) it writes to the real company. With no file argument a
//! built-in webshop export is used: one order per channel rule, and one order with a bad
//! business ID, which is quarantined while the rest lands. The flow runs twice: the second
//! run creates nothing.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use connector_sdk::file::{FileConfig, FileSource};
use connector_sdk::flow::{Flow, RunMode, RunReport};
use connector_sdk::mapping::Loader;
use connector_sdk::model::Order;
use connector_sdk::procountor::simulator::ProcountorSimulator;
use connector_sdk::procountor::{ProcountorClient, ProcountorConfig, ProcountorSink};
use connector_sdk::state::{MemoryStore, SqliteStore, StateStore};
use connector_sdk::{Error, Result, Source};

/// A webshop export: one row per order line, orders grouped by number.
pub const WEBSHOP_ORDERS: &str = "\
number,order_date,currency,party.customer.key,party.company_name,party.email,party.registration_number,party.e_invoice_address,meta.custom.einvoice_operator.value.type,meta.custom.einvoice_operator.value.value,billing_address.lines.0,billing_address.postal_code,billing_address.city,billing_address.country,lines.sku,lines.description,lines.quantity,lines.unit,lines.unit_price.amount,lines.unit_price.currency,lines.tax_rate.key
WEB-1001,2026-05-04,EUR,1001,Asiakas Oy,laskut@asiakas.example,0112038-9,,,,Katu 1,00100,Helsinki,FI,WID-1,Widget,2,pcs,10.00,EUR,standard
WEB-1001,2026-05-04,EUR,1001,Asiakas Oy,laskut@asiakas.example,0112038-9,,,,Katu 1,00100,Helsinki,FI,GIFT,Gift wrap,1,pcs,3.50,EUR,standard
WEB-1002,2026-05-05,EUR,,Kauppa Ab,,0109862-8,003701098628,text,003721291126,Gatan 2,65100,Vaasa,FI,GAD-2,Gadget,1,pcs,24.90,EUR,standard
WEB-1003,2026-05-05,EUR,W-77,Matti Meikäläinen,,,,,,Kotikatu 3 B 12,33100,Tampere,FI,SRV-H,Installation,1.5,h,85.00,EUR,standard
WEB-1004,2026-05-06,EUR,W-78,Virhe Oy,virhe@virhe.example,0112038-8,,,,Virhetie 1,00200,Helsinki,FI,WID-1,Widget,1,pcs,10.00,EUR,standard
";

/// Builds the orders → Procountor flow from any order source (here a webshop CSV through
/// the file connector; a Skynamo or other `Source<Order>` fits the same way).
pub fn orders_flow(
    source: Arc<dyn Source<Order>>,
    sink: Arc<ProcountorSink>,
    state: Arc<dyn StateStore>,
) -> Result<Flow<Order>> {
    let mapping =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/mappings/procountor.toml");
    let mut set = Loader::new()
        .load_file(&mapping)
        .map_err(|e| Error::config(format!("{}: {e}", mapping.display())))?;
    let plan = Arc::new(
        set.take("orders-to-invoices")
            .ok_or_else(|| Error::config("procountor.toml has no `orders-to-invoices` mapping"))?,
    );
    let mut builder =
        Flow::builder("orders-to-procountor", source, sink, state).step(plan.step::<Order>()?);
    if let Some(prepare) = plan.prepare_update::<Order>() {
        builder = builder.configure(|o| o.prepare_update = Some(prepare));
    }
    Ok(builder.build())
}

fn print(report: &RunReport) {
    let c = &report.counts;
    println!(
        "run {}: {} received, {} created, {} updated, {} unchanged, {} skipped, {} quarantined",
        report.status, c.received, c.created, c.updated, c.unchanged, c.skipped, c.quarantined
    );
    for (key, error) in &report.errors {
        println!("  quarantined {key}: {error}");
    }
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

async fn run() -> Result<()> {
    let dir = std::env::temp_dir().join("orders-to-procountor");
    std::fs::create_dir_all(&dir)?;
    let orders = match std::env::args().nth(1) {
        Some(path) => PathBuf::from(path),
        None => {
            let path = dir.join("webshop-orders.csv");
            std::fs::write(&path, WEBSHOP_ORDERS)?;
            path
        }
    };
    let (config, simulator) = if ProcountorConfig::env_present() {
        println!("Writing to Procountor with CONNECTOR_PROCOUNTOR_* credentials.");
        (ProcountorConfig::from_env()?, None)
    } else {
        let sim = ProcountorSimulator::with_demo_data()
            .await
            .map_err(|e| Error::internal(format!("cannot start the simulator: {e}")))?;
        println!("No credentials set: using the Procountor simulator at {}.", sim.api_url());
        (sim.config(), Some(sim))
    };
    let sink = Arc::new(ProcountorSink::new(ProcountorClient::new(config)?));
    // The simulator starts empty each time, so its runs keep their state in memory.
    let state: Arc<dyn StateStore> = if simulator.is_some() {
        Arc::new(MemoryStore::new())
    } else {
        Arc::new(SqliteStore::open(dir.join("state.sqlite"))?)
    };
    let source: Arc<dyn Source<Order>> =
        Arc::new(FileSource::<Order>::new(FileConfig::csv(orders)));
    let flow = orders_flow(source, sink, state)?;
    print(&flow.run(RunMode::Full).await);
    println!("Again (nothing new is created):");
    print(&flow.run(RunMode::Full).await);
    if let Some(sim) = simulator {
        for inv in sim.invoices() {
            println!(
                "  invoice {} for {}: {} via {}, {} row(s)",
                inv["id"],
                inv["originalInvoiceNumber"],
                inv["status"],
                inv["invoiceChannel"],
                inv["invoiceRows"].as_array().map_or(0, Vec::len)
            );
        }
        sim.shutdown().await;
    }
    Ok(())
}
