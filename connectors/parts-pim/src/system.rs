//! Parts PIM as a [`System`]: what the registry, the CLI and flow files open by the name
//! `parts-pim`.

use std::sync::Arc;

use async_trait::async_trait;
use connector_core::system::{AnySink, AnySource, Context, Description, Options, Setting, System};
use connector_core::{EntityKind, Result};

use crate::client::NAME;
use crate::config::PartsPimConfig;
use crate::sink::PartsPimSink;
use crate::source::PartsPimSource;

connector_core::entity_lists! {
    reads: [Order],
    writes: [Product, StockLevel, Order],
}

/// The keys of [`PartsPimSettings`](crate::config::PartsPimSettings), in its order.
const SETTINGS: &[Setting] = &[
    Setting::new("transport", "http (default) or file (CSV files dropped in folder)"),
    Setting::new("base_url", "the interface's base URL (http)"),
    Setting::secret("api_key", "the API key, X-Api-Key (http)"),
    Setting::new("folder", "the folder CSV files are dropped in (file)"),
    Setting::new("employee_number", "the employee number of every write (digits; default 999999)"),
    Setting::new("products_path", "where products are under the base URL (default /products)"),
    Setting::new("stock_path", "where stock is under the base URL (default /stock)"),
    Setting::new("orders_path", "where orders are under the base URL (default /orders)"),
    Setting::new("format", "the format of dropped files: csv (default) or xml (file)"),
    Setting::new(
        "settle_seconds",
        "seconds an order file in folder/orders must stand still before it is read (file; default 2)",
    ),
];

const DESCRIPTION: Description = Description::new(
    NAME,
    "Parts PIM: orders to read and place; products (digits-only SKUs) and stock to write",
    READS,
    WRITES,
    SETTINGS,
)
.typed::<crate::config::PartsPimSettings>();

/// Parts PIM: orders to read and place, products and stock to write.
#[derive(Debug, Clone, Copy, Default)]
pub struct PartsPimSystem;

#[async_trait]
impl System for PartsPimSystem {
    fn description(&self) -> &'static Description {
        &DESCRIPTION
    }
    fn source(&self, kind: EntityKind, options: &Options, _ctx: &Context) -> Result<AnySource> {
        erase_source(kind, Arc::new(PartsPimSource::new(PartsPimConfig::from_options(options)?)?))
    }
    fn sink(&self, kind: EntityKind, options: &Options, _ctx: &Context) -> Result<AnySink> {
        erase_sink(kind, Arc::new(PartsPimSink::new(PartsPimConfig::from_options(options)?)?))
    }
    async fn check(&self, options: &Options, _ctx: &Context) -> Result<()> {
        let sink = PartsPimSink::new(PartsPimConfig::from_options(options)?)?;
        connector_core::Sink::<connector_core::model::Product>::check(&sink).await
    }

    #[cfg(feature = "simulator")]
    async fn simulate(
        &self,
        port: u16,
        settings: &Options,
    ) -> Result<Box<dyn connector_core::system::RunningSimulator>> {
        // With `sim_folder`, the file transport: the drop folder the PIM would read.
        if let Some(folder) = settings.get("sim_folder") {
            let options = connector_core::system::options([
                ("transport", "file".to_owned()),
                ("folder", folder.clone()),
            ]);
            let sim = connector_testkit::simulator::FolderSimulator::new(folder, options)?.note(
                "products-….csv and stock-….csv files are dropped here, each with a .done marker",
            );
            return Ok(Box::new(sim));
        }
        let sim = crate::simulator::PartsPimSimulator::builder().port(port).start().await.map_err(
            |e| {
                connector_core::Error::internal(format!(
                    "cannot start the Parts PIM simulator: {e}"
                ))
            },
        )?;
        Ok(Box::new(sim))
    }
}

#[cfg(feature = "simulator")]
#[async_trait]
impl connector_core::system::RunningSimulator for crate::simulator::PartsPimSimulator {
    fn base_url(&self) -> String {
        crate::simulator::PartsPimSimulator::base_url(self)
    }
    fn options(&self) -> Options {
        connector_core::system::options([
            ("base_url", self.api_url()),
            ("api_key", crate::simulator::API_KEY.to_owned()),
        ])
    }
    fn notes(&self) -> Vec<String> {
        vec!["SKUs must be digits only; every write needs an employee number".into()]
    }
    async fn serve_until_ctrl_c(self: Box<Self>) -> Result<()> {
        self.run_until_ctrl_c().await.map_err(|e| connector_core::Error::internal(e.to_string()))
    }
}
