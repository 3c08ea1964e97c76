//! Skynamo Link as flows: Xero → Skynamo (customers, products, price lists, stock levels,
//! invoices; full, then changes only) and Skynamo → Xero (orders as draft invoices, quotes
//! as quotes, each switched on or off by `enabled` in the mapping file), with every order
//! acknowledged back in Skynamo (`Logged`, or `Failed` with the reason).
//!
//! Shared by `examples/xero_to_skynamo.rs`, the CLI's `demo` and `tests/skynamo_link.rs`.

use std::path::PathBuf;
use std::sync::Arc;

use connector_sdk::flow::{Flow, RunMode, RunReport, Step};
use connector_sdk::mapping::{Loader, MappingPlan};
use connector_sdk::model::{Customer, Invoice, Order, PriceList, Product, StockLevel};
use connector_sdk::sink::LookupKey;
use connector_sdk::skynamo::{OrderStatus, SkynamoClient, SkynamoSink, SkynamoSource};
use connector_sdk::state::StateStore;
use connector_sdk::xero::{XeroClient, XeroSink, XeroSource};
use connector_sdk::{Entity, Error, Result, Sink, Source};
use futures_util::StreamExt;

/// The mapping file of the example.
pub fn default_mapping() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/mappings/skynamo-link.toml")
}

/// The two connections, the mapping file and the state store.
pub struct SkynamoLink {
    /// Xero.
    pub xero: XeroClient,
    /// Skynamo.
    pub skynamo: SkynamoClient,
    /// `skynamo-link.toml`.
    pub mapping: PathBuf,
    /// Checkpoints, ledger, quarantine.
    pub state: Arc<dyn StateStore>,
}

/// The report of one flow of a run.
pub type Reports = Vec<RunReport>;

impl SkynamoLink {
    fn plan(&self, name: &str) -> Result<Arc<MappingPlan>> {
        let mut set = Loader::new()
            .load_file(&self.mapping)
            .map_err(|e| Error::config(format!("{}: {e}", self.mapping.display())))?;
        set.take(name).map(Arc::new).ok_or_else(|| {
            Error::config(format!("{} has no mapping named {name}", self.mapping.display()))
        })
    }

    fn flow<E: Entity>(
        &self,
        name: &str,
        source: Arc<dyn Source<E>>,
        sink: Arc<dyn Sink<E>>,
        extra: Vec<Arc<dyn Step<E>>>,
    ) -> Result<Flow<E>> {
        let plan = self.plan(name)?;
        let mut b = Flow::builder(format!("skynamo-link/{name}"), source, sink, self.state.clone())
            .step(plan.step::<E>()?);
        for s in extra {
            b = b.step(s);
        }
        let prepare = plan.prepare_update::<E>();
        Ok(b.configure(|o| o.prepare_update = prepare).build())
    }

    /// Xero → Skynamo: the five datasets, in dependency order (customers before invoices,
    /// products before prices and stock).
    pub async fn erp_to_crm(&self, mode: RunMode) -> Result<Reports> {
        let src = Arc::new(XeroSource::new(self.xero.clone()));
        let dst = Arc::new(SkynamoSink::new(self.skynamo.clone()));
        let mut out = Vec::new();
        out.push(
            self.flow::<Customer>("customers", src.clone(), dst.clone(), vec![])?.run(mode).await,
        );
        out.push(
            self.flow::<Product>("products", src.clone(), dst.clone(), vec![])?.run(mode).await,
        );
        out.push(
            self.flow::<PriceList>("price-lists", src.clone(), dst.clone(), vec![])?
                .run(mode)
                .await,
        );
        out.push(
            self.flow::<StockLevel>("stock", src.clone(), dst.clone(), vec![])?.run(mode).await,
        );
        out.push(self.flow::<Invoice>("invoices", src, dst, vec![])?.run(mode).await);
        Ok(out)
    }

    /// The names of the Xero → Skynamo flows, as [`erp_to_crm`](Self::erp_to_crm) runs them.
    pub const ERP_TO_CRM: [&'static str; 5] =
        ["customers", "products", "price-lists", "stock", "invoices"];

    /// Replays one Xero → Skynamo flow's quarantined records (`customers`, …) with the
    /// mapping file as it is now, so a value map fixed since takes effect; or, with
    /// `dry_run`, plans a full run of it and sends nothing.
    pub async fn one(&self, name: &str, dry_run: bool) -> Result<RunReport> {
        let src = Arc::new(XeroSource::new(self.xero.clone()));
        let dst = Arc::new(SkynamoSink::new(self.skynamo.clone()));
        macro_rules! go {
            ($e:ty) => {{
                let flow = self.flow::<$e>(name, src, dst, vec![])?;
                Ok(if dry_run { flow.dry_run(RunMode::Full).await } else { flow.replay().await })
            }};
        }
        match name {
            "customers" => go!(Customer),
            "products" => go!(Product),
            "price-lists" => go!(PriceList),
            "stock" => go!(StockLevel),
            "invoices" => go!(Invoice),
            other => Err(Error::config(format!("Skynamo Link has no Xero → Skynamo flow {other}"))),
        }
    }

    /// Skynamo → Xero: orders, then quotes, each skipped when already in Xero (an invoice by
    /// its number in the reference, a quote by its quote number); then every document Xero
    /// now holds is acknowledged
    /// `Logged`, and every one that failed `Failed` with the reason.
    pub async fn crm_to_erp(&self) -> Result<Reports> {
        let currency = self.xero.currency().await?;
        let src: Arc<dyn Source<Order>> =
            Arc::new(SkynamoSource::new(self.skynamo.clone(), currency));
        let xero: Arc<dyn Sink<Order>> = Arc::new(XeroSink::new(self.xero.clone()));
        let skip = || -> Arc<dyn Step<Order>> {
            let step: Arc<dyn Step<Order>> =
                connector_sdk::flow::steps::SkipIfExists::new(xero.clone(), |o: &Order| {
                    o.number.as_ref().map(|n| LookupKey::new("number", n))
                });
            step
        };
        let mut out = Vec::new();
        for name in ["orders-to-xero", "quotes-to-xero"] {
            let report = self
                .flow::<Order>(name, src.clone(), xero.clone(), vec![skip()])?
                .run(RunMode::Full)
                .await;
            out.push(report);
        }
        self.acknowledge(&out, src.as_ref(), xero.as_ref()).await?;
        Ok(out)
    }

    async fn acknowledge(
        &self,
        reports: &[RunReport],
        src: &dyn Source<Order>,
        xero: &dyn Sink<Order>,
    ) -> Result<()> {
        let failures: std::collections::HashMap<&str, &Error> =
            reports.iter().flat_map(|r| r.errors.iter().map(|(k, e)| (k.as_str(), e))).collect();
        let mut stream = src.read(connector_sdk::ReadMode::Full);
        while let Some(change) = stream.next().await {
            let connector_sdk::Change::Upsert(order) = change? else { continue };
            let (Some(number), Some(id)) = (order.number.as_deref(), order.meta.refs.id("skynamo"))
            else {
                continue;
            };
            let Ok(id) = id.parse::<i64>() else { continue };
            // Logged only when Xero holds the order: a document carrying its number.
            if connector_sdk::find_checked(xero, &LookupKey::new("number", number)).await?.is_some()
            {
                self.skynamo.acknowledge(id, OrderStatus::Logged, None).await?;
            } else if let Some(e) = failures.get(number) {
                self.skynamo.acknowledge(id, OrderStatus::Failed, Some(e.message())).await?;
            }
        }
        Ok(())
    }
}

/// One line per report: `customers: 4 received, 3 created, …`.
pub fn summary(reports: &[RunReport]) -> String {
    reports
        .iter()
        .map(|r| {
            let c = &r.counts;
            format!(
                "{:<34} {:>4} received {:>4} created {:>4} updated {:>4} unchanged {:>4} skipped {:>4} quarantined{}",
                r.flow,
                c.received,
                c.created,
                c.updated,
                c.unchanged,
                c.skipped,
                c.quarantined,
                r.failure.as_ref().map(|f| format!("  FAILED: {f}")).unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}
