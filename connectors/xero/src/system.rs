//! Xero as a [`System`]: what the registry, the CLI and flow files open by the name `xero`.

use std::sync::Arc;

use async_trait::async_trait;
use connector_core::system::{AnySink, AnySource, Context, Description, Options, Setting, System};
use connector_core::{EntityKind, Error, Result};

use crate::client::NAME;
use crate::client::XeroClient;
use crate::config::XeroConfig;
use crate::sink::XeroSink;
use crate::source::XeroSource;

connector_core::entity_lists! {
    reads: [Customer, Product, PriceList, StockLevel, Invoice, Order],
    writes: [Order, Customer],
}

/// The keys of [`XeroSettings`](crate::config::XeroSettings), in its order (a test holds
/// them equal), with what the CLI and SuperOffice show for each.
const SETTINGS: &[Setting] = &[
    Setting::CLIENT_ID,
    Setting::CLIENT_SECRET,
    Setting::REFRESH_TOKEN,
    Setting::new("tenant_id", "the organisation: its tenant id or exact name"),
    Setting::TOKEN_FILE,
    Setting::new("page_size", "records per page, 1 to 1,000 (default 1,000)"),
    Setting::new("api_url", "the accounting API (default Xero's)"),
    Setting::new("token_url", "the token endpoint (default Xero's)"),
    Setting::new("connections_url", "the connections endpoint (default Xero's)"),
    Setting::new("base_currency", "the base currency (default: read from the organisation)"),
    Setting::new("order_invoice_status", "invoices from orders: DRAFT, SUBMITTED or AUTHORISED"),
    Setting::new("sales_account_code", "the revenue account of lines without one (default 200)"),
    Setting::new("rep_tracking_category", "the tracking category that names the sales rep"),
    Setting::new("price_list_code", "the code of the price list of sales prices"),
];

const DESCRIPTION: Description = Description::new(
    NAME,
    "Xero accounting: contacts, items, sales invoices and quotes",
    READS,
    WRITES,
    SETTINGS,
)
.typed::<crate::config::XeroSettings>();

/// Xero: contacts, items (products, stock, sales prices), sales invoices and quotes to read;
/// orders (as draft invoices or quotes) and contacts to write.
#[derive(Debug, Clone, Copy, Default)]
pub struct XeroSystem;

/// The client of `options`, not yet connected. Rotated refresh tokens go to the
/// `token_file` when one is named, else to the host's state store (`ctx`), else stay in
/// memory.
fn client(options: &Options, ctx: &Context) -> Result<XeroClient> {
    let config = XeroConfig::from_options(options)?;
    let store = ctx.token_store(NAME, options, &config.client_id, config.refresh_token.as_ref());
    XeroClient::new(config, store)
}

#[async_trait]
impl System for XeroSystem {
    fn description(&self) -> &'static Description {
        &DESCRIPTION
    }
    fn source(&self, kind: EntityKind, options: &Options, ctx: &Context) -> Result<AnySource> {
        let source = Arc::new(XeroSource::new(client(options, ctx)?));
        erase_source(kind, source)
    }
    fn sink(&self, kind: EntityKind, options: &Options, ctx: &Context) -> Result<AnySink> {
        let sink = Arc::new(XeroSink::new(client(options, ctx)?));
        erase_sink(kind, sink)
    }
    async fn check(&self, options: &Options, ctx: &Context) -> Result<()> {
        client(options, ctx)?.check().await
    }

    /// `sim_invoices` = N serves N generated invoices (three lines each, made page by page:
    /// a load test's data set); `sim_limits` = `off` lifts Xero's limits (60 calls a minute,
    /// 5,000 a day) for a test of CPU and memory.
    #[cfg(feature = "simulator")]
    async fn simulate(
        &self,
        port: u16,
        settings: &Options,
    ) -> Result<Box<dyn connector_core::system::RunningSimulator>> {
        use connector_core::system::{sim_count, sim_off};
        let mut builder = crate::simulator::XeroSimulator::builder().port(port);
        if let Some(n) = sim_count(settings, "sim_invoices")? {
            builder = builder.generated_invoices(n);
        }
        if sim_off(settings, "sim_limits") {
            builder = builder.limits(u32::MAX, u32::MAX, 1_000).app_limit(u32::MAX);
        }
        let sim = builder
            .start()
            .await
            .map_err(|e| Error::internal(format!("cannot start the Xero simulator: {e}")))?;
        Ok(Box::new(sim))
    }
}

#[cfg(feature = "simulator")]
#[async_trait]
impl connector_core::system::RunningSimulator for crate::simulator::XeroSimulator {
    fn base_url(&self) -> String {
        crate::simulator::XeroSimulator::base_url(self)
    }
    fn options(&self) -> Options {
        use crate::simulator::{CLIENT_ID, CLIENT_SECRET, TENANT_ID};
        use connector_core::reexports::secrecy::ExposeSecret;
        let c = self.config();
        let mut o = connector_core::system::options([
            ("api_url", c.api_url.clone()),
            ("token_url", c.token_url.clone()),
            ("connections_url", c.connections_url.clone()),
            ("tenant_id", TENANT_ID.to_string()),
            ("client_id", CLIENT_ID.to_string()),
            ("client_secret", CLIENT_SECRET.to_string()),
        ]);
        if let Some(rt) = &c.refresh_token {
            o.insert("refresh_token".into(), rt.expose_secret().to_string());
        }
        o
    }
    fn notes(&self) -> Vec<String> {
        vec![format!(
            "refresh tokens rotate: each works once; the CLI keeps the newest in its state \
             file; authorization code {} gets a first one",
            crate::simulator::AUTH_CODE
        )]
    }
    async fn serve_until_ctrl_c(self: Box<Self>) -> Result<()> {
        self.run_until_ctrl_c().await.map_err(|e| Error::internal(e.to_string()))
    }
}
