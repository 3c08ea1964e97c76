//! APIcenter's Salesforce ↔ Exact Online integration: five flows.
//!
//! 1. Orders Salesforce → Exact Online: paid orders only; an order already in Exact (by
//!    `YourRef`) is skipped; the customer is found by e-mail or created (a company with its
//!    contact person, or a person debtor); unknown SKUs are quarantined naming the SKU; the
//!    target document (sales order or sales invoice) is the Exact setting `order_target`.
//! 2. Shipments Exact → Salesforce: each goods delivery is one shipment record (carrier,
//!    tracking code and URL) on its order, so a split delivery gives two.
//! 3. Stock Exact → Salesforce: on hand minus sales reservations, into the stock field (left
//!    alone when the org does not manage stock).
//! 4. Products Exact → Salesforce by SKU, with the standard price; the long description is
//!    sent on create only; an item deleted in Exact becomes inactive.
//! 5. Customers Exact → Salesforce on every change, by ERP number, with a mandatory target
//!    setting on every account.
//!
//! ```text
//! cargo run --example salesforce_to_exact --features salesforce,exact-online
//! ```
//!
//! With no `CONNECTOR_SALESFORCE_*` / `CONNECTOR_EXACT_ONLINE_*` credentials it starts both
//! simulators; with them (and optionally `CONNECTOR_EXACT_ONLINE_API_URL`,
//! `CONNECTOR_SALESFORCE_INSTANCE_URL`, …) it works on the real systems.

use std::process::ExitCode;
use std::sync::Arc;

use connector_sdk::exact_online::simulator::ExactSimulator;
use connector_sdk::exact_online::{ExactClient, ExactConfig, ExactSink, ExactSource};
use connector_sdk::flow::steps::{FindOrCreateCustomer, SkipIfExists};
use connector_sdk::flow::{Flow, RunMode, RunReport, StepOutcome, filter, step_fn};
use connector_sdk::http::{MemoryTokenStore, TokenStore};
use connector_sdk::model::{
    CustomField, CustomValue, Customer, Order, OrderStatus, Product, Shipment, StockLevel,
};
use connector_sdk::salesforce::simulator::SalesforceSimulator;
use connector_sdk::salesforce::{
    SalesforceClient, SalesforceConfig, SalesforceSink, SalesforceSource,
};
use connector_sdk::sink::{LookupKey, Sink};
use connector_sdk::state::MemoryStore;
use connector_sdk::{Error, Result};

/// The Salesforce order statuses that count as paid.
pub const PAID_STATUSES: &[&str] = &["Paid", "Activated"];

/// Flow 1: orders Salesforce → Exact Online.
pub fn orders_flow(sf: SalesforceClient, exact: ExactClient) -> Flow<Order> {
    let sink = Arc::new(ExactSink::new(exact));
    let paid =
        filter::<Order, _>("paid-only", "the order is not in a paid status", |o: &Order| match &o
            .status
        {
            OrderStatus::Paid | OrderStatus::Open => true,
            OrderStatus::Other(s) => PAID_STATUSES.contains(&s.as_str()),
            _ => false,
        });
    // The party's id is Salesforce's: Exact's comes from the customer step.
    let drop_ids = step_fn("drop-source-ids", |mut o: Order, _ctx: &_| {
        o.party.customer.id = None;
        StepOutcome::Continue(o)
    });
    let skip = SkipIfExists::new(sink.clone() as Arc<dyn Sink<Order>>, |o: &Order| {
        o.number.as_ref().map(|n| LookupKey::new("number", n.clone()))
    });
    let customers =
        FindOrCreateCustomer::new(sink.clone() as Arc<dyn Sink<Customer>>).into_step::<Order>();
    Flow::builder(
        "apicenter-orders",
        Arc::new(SalesforceSource::new(sf)),
        sink as Arc<dyn Sink<Order>>,
        Arc::new(MemoryStore::new()),
    )
    .step(paid)
    .step(drop_ids)
    .step(skip)
    .step(customers)
    .build()
}

/// Flow 2: shipments Exact Online → Salesforce.
pub fn shipments_flow(exact: ExactClient, sf: SalesforceClient) -> Flow<Shipment> {
    Flow::builder(
        "apicenter-shipments",
        Arc::new(ExactSource::new(exact)),
        Arc::new(SalesforceSink::new(sf)) as Arc<dyn Sink<Shipment>>,
        Arc::new(MemoryStore::new()),
    )
    .build()
}

/// Flow 3: stock Exact Online → Salesforce.
pub fn stock_flow(exact: ExactClient, sf: SalesforceClient) -> Flow<StockLevel> {
    Flow::builder(
        "apicenter-stock",
        Arc::new(ExactSource::new(exact)),
        Arc::new(SalesforceSink::new(sf)) as Arc<dyn Sink<StockLevel>>,
        Arc::new(MemoryStore::new()),
    )
    .build()
}

/// Flow 4: products Exact Online → Salesforce.
pub fn products_flow(exact: ExactClient, sf: SalesforceClient) -> Flow<Product> {
    Flow::builder(
        "apicenter-products",
        Arc::new(ExactSource::new(exact)),
        Arc::new(SalesforceSink::new(sf)) as Arc<dyn Sink<Product>>,
        Arc::new(MemoryStore::new()),
    )
    .configure(|o| {
        // The long description goes on create only: enrichment in Salesforce stays.
        o.prepare_update = Some(Arc::new(|p: &mut Product| {
            p.long_description = None;
            p.description = None;
        }));
        o.deactivate_absent = true;
    })
    .build()
}

/// Flow 5: customers Exact Online → Salesforce, with a mandatory target setting.
pub fn customers_flow(exact: ExactClient, sf: SalesforceClient) -> Flow<Customer> {
    let settings = step_fn("target-settings", |mut c: Customer, _ctx: &_| {
        c.meta.custom.insert(
            "salesforce:Posting_Group__c".into(),
            CustomField { value: CustomValue::Choice("DOMESTIC".into()), source: None },
        );
        StepOutcome::Continue(c)
    });
    Flow::builder(
        "apicenter-customers",
        Arc::new(ExactSource::new(exact)),
        Arc::new(SalesforceSink::new(sf)) as Arc<dyn Sink<Customer>>,
        Arc::new(MemoryStore::new()),
    )
    .step(settings)
    .build()
}

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
        let configs = (sf.config(), eo.config());
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
