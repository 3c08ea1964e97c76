//! Skynamo as a [`System`]: what the registry, the CLI and flow files open by the name
//! `skynamo`.

use std::sync::Arc;

use async_trait::async_trait;
use connector_core::model::Currency;
use connector_core::system::{AnySink, AnySource, Context, Description, Options, Setting, System};
use connector_core::{EntityKind, Error, Result};

use crate::client::{NAME, SkynamoClient};
use crate::config::SkynamoConfig;
use crate::sink::SkynamoSink;
use crate::source::SkynamoSource;

connector_core::entity_lists! {
    reads: [Order, Customer, Product],
    writes: [Customer, Product, PriceList, StockLevel, Invoice],
}

/// The keys of [`SkynamoSettings`](crate::config::SkynamoSettings), in its order (a test
/// holds them equal), with what the CLI and SuperOffice show for each.
const SETTINGS: &[Setting] = &[
    Setting::secret("api_key", "the integration token"),
    Setting::new("instance", "the instance name"),
    Setting::new("region", "the region host (default: the global one)"),
    Setting::new("api_url", "the API (overrides the region)"),
    Setting::new("page_size", "records per page (default Skynamo's maximum, 200)"),
    Setting::new("currency", "the currency of documents that carry none (default ZAR)"),
    Setting::new("default_order_unit", "the order unit of products that name none (default Each)"),
];

const DESCRIPTION: Description = Description::new(
    NAME,
    "Skynamo field sales: customers, products, prices, stock, invoices and orders",
    READS,
    WRITES,
    SETTINGS,
)
.typed::<crate::config::SkynamoSettings>();

/// Skynamo: customers, products, price lists, stock levels and invoices to write; orders and
/// quotes, customers and products to read.
#[derive(Debug, Clone, Copy, Default)]
pub struct SkynamoSystem;

fn client(options: &Options) -> Result<SkynamoClient> {
    SkynamoClient::new(SkynamoConfig::from_options(options)?)
}

#[async_trait]
impl System for SkynamoSystem {
    fn description(&self) -> &'static Description {
        &DESCRIPTION
    }
    fn source(&self, kind: EntityKind, options: &Options, _ctx: &Context) -> Result<AnySource> {
        let currency = Currency::new(options.get("currency").map(String::as_str).unwrap_or("ZAR"))?;
        let source = Arc::new(SkynamoSource::new(client(options)?, currency));
        erase_source(kind, source)
    }
    fn sink(&self, kind: EntityKind, options: &Options, _ctx: &Context) -> Result<AnySink> {
        let sink = Arc::new(SkynamoSink::new(client(options)?));
        erase_sink(kind, sink)
    }
    async fn check(&self, options: &Options, _ctx: &Context) -> Result<()> {
        client(options)?.check().await
    }

    #[cfg(feature = "simulator")]
    async fn simulate(
        &self,
        port: u16,
        _settings: &Options,
    ) -> Result<Box<dyn connector_core::system::RunningSimulator>> {
        let sim = crate::simulator::SkynamoSimulator::builder()
            .port(port)
            .start()
            .await
            .map_err(|e| Error::internal(format!("cannot start the Skynamo simulator: {e}")))?;
        Ok(Box::new(sim))
    }
}

#[cfg(feature = "simulator")]
#[async_trait]
impl connector_core::system::RunningSimulator for crate::simulator::SkynamoSimulator {
    fn base_url(&self) -> String {
        self.config().api_url
    }
    fn options(&self) -> Options {
        use crate::simulator::{API_KEY, INSTANCE};
        connector_core::system::options([
            ("api_url", self.config().api_url),
            ("api_key", API_KEY.into()),
            ("instance", INSTANCE.into()),
        ])
    }
    async fn serve_until_ctrl_c(self: Box<Self>) -> Result<()> {
        self.run_until_ctrl_c().await.map_err(|e| Error::internal(e.to_string()))
    }
}
