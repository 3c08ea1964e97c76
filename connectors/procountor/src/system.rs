//! Procountor as a [`System`]: what the registry, the CLI and flow files open by the name
//! `procountor`.

use std::sync::Arc;

use async_trait::async_trait;
use connector_core::system::{AnySink, AnySource, Context, Description, Options, Setting, System};
use connector_core::{EntityKind, Error, Result};

use crate::client::{CONNECTOR, ProcountorClient};
use crate::config::ProcountorConfig;
use crate::sink::ProcountorSink;
use crate::source::{CustomerSource, InvoiceSource, ProductSource};

connector_core::entity_lists! {
    reads: [Customer, Product, Invoice],
    writes: [Order],
}

/// The keys of [`ProcountorSettings`](crate::ProcountorSettings), in its order (the
/// registry's tests hold them equal), with what the CLI and SuperOffice show for each.
const SETTINGS: &[Setting] = &[
    Setting::CLIENT_ID,
    Setting::CLIENT_SECRET,
    Setting::secret("api_key", "the company's API key"),
    Setting::new("api_url", "the API (default Procountor's)"),
    Setting::new("api_version", "the API version in the path"),
    Setting::new("redirect_uri", "the app's registered redirect URI"),
    Setting::new("channel", "how invoices go out: auto, email, mail, e-invoice, no_sending"),
    Setting::new("match_customers", "find the customer's business partner (true/false)"),
    Setting::new("create_partners", "create a missing business partner (true/false)"),
    Setting::new("update_register", "update a partner's details from the order (true/false)"),
    Setting::new("details_from", "the invoice's party details: order or register"),
    Setting::new("match_products", "find the lines' products (true/false)"),
    Setting::new("payment_method", "the invoices' payment method"),
    Setting::new("bank_account", "the bank account invoices are paid to"),
    Setting::new("payment_days", "days to pay"),
    Setting::new("language", "the invoices' language"),
    Setting::new("vat_status", "the invoices' VAT status code"),
    Setting::new("follow_up", "what follows writing: approve, send (comma-separated)"),
];

const DESCRIPTION: Description = Description::new(
    CONNECTOR,
    "Procountor financial management: partners, products and sales invoices",
    READS,
    WRITES,
    SETTINGS,
)
.typed::<crate::ProcountorSettings>();

/// Procountor: customers (business partners), products and invoices to read; orders to
/// write as sales invoices.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcountorSystem;

fn client(options: &Options) -> Result<ProcountorClient> {
    ProcountorClient::new(ProcountorConfig::from_options(options)?)
}

#[async_trait]
impl System for ProcountorSystem {
    fn description(&self) -> &'static Description {
        &DESCRIPTION
    }
    fn source(&self, kind: EntityKind, options: &Options, _ctx: &Context) -> Result<AnySource> {
        // One source type per entity.
        let c = client(options)?;
        Ok(match kind {
            EntityKind::Customer => AnySource::Customer(Arc::new(CustomerSource::new(c))),
            EntityKind::Product => AnySource::Product(Arc::new(ProductSource::new(c))),
            EntityKind::Invoice => AnySource::Invoice(Arc::new(InvoiceSource::new(c))),
            _ => return Err(Error::unsupported("not read")),
        })
    }
    fn sink(&self, kind: EntityKind, options: &Options, _ctx: &Context) -> Result<AnySink> {
        erase_sink(kind, Arc::new(ProcountorSink::new(client(options)?)))
    }
    async fn check(&self, options: &Options, _ctx: &Context) -> Result<()> {
        client(options)?.check().await
    }

    /// Seeded with the demo data.
    #[cfg(feature = "simulator")]
    async fn simulate(
        &self,
        port: u16,
        _settings: &Options,
    ) -> Result<Box<dyn connector_core::system::RunningSimulator>> {
        let sim = crate::simulator::ProcountorSimulator::builder()
            .port(port)
            .demo_data()
            .start()
            .await
            .map_err(|e| Error::internal(format!("cannot start the Procountor simulator: {e}")))?;
        Ok(Box::new(sim))
    }
}

#[cfg(feature = "simulator")]
#[async_trait]
impl connector_core::system::RunningSimulator for crate::simulator::ProcountorSimulator {
    fn base_url(&self) -> String {
        self.api_url()
    }
    fn options(&self) -> Options {
        use crate::simulator::{SIM_API_KEY, SIM_CLIENT_ID, SIM_CLIENT_SECRET};
        connector_core::system::options([
            ("api_url", self.api_url()),
            ("client_id", SIM_CLIENT_ID.into()),
            ("client_secret", SIM_CLIENT_SECRET.into()),
            ("api_key", SIM_API_KEY.into()),
        ])
    }
    async fn serve_until_ctrl_c(self: Box<Self>) -> Result<()> {
        self.run_until_ctrl_c().await.map_err(|e| Error::internal(e.to_string()))
    }
}
