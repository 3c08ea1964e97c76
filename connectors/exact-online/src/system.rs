//! Exact Online as a [`System`]: what the registry, the CLI and flow files open by the name
//! `exact-online`.

use std::sync::Arc;

use async_trait::async_trait;
use connector_core::system::{AnySink, AnySource, Context, Description, Options, Setting, System};
use connector_core::{EntityKind, Error, Result};

use crate::client::ExactClient;
use crate::client::NAME;
use crate::config::ExactConfig;
use crate::sink::ExactSink;
use crate::source::ExactSource;

connector_core::entity_lists! {
    reads: [Customer, Product, PriceList, StockLevel, Invoice, Shipment],
    writes: [Order, Customer],
}

/// The keys of [`ExactSettings`](crate::config::ExactSettings), in its order (a test holds
/// them equal), with what the CLI and SuperOffice show for each.
const SETTINGS: &[Setting] = &[
    Setting::CLIENT_ID,
    Setting::CLIENT_SECRET,
    Setting::REFRESH_TOKEN,
    Setting::TOKEN_FILE,
    Setting::new("country", "the country host: nl, be, de, co.uk, com, fr or es"),
    Setting::new("division", "the division number (default: the user's current one)"),
    Setting::new("currency", "the division's currency (default EUR)"),
    Setting::new("default_debtor", "the account code that takes orders of unknown customers"),
    Setting::new("order_target", "sales_order (default) or sales_invoice"),
    Setting::new("product_prices", "on (default) or off: read products with their sales price"),
    Setting::new("item_variants", "default, off, or where variants sit in the free fields"),
    Setting::new("api_url", "the REST host (overrides the country)"),
    Setting::new("token_url", "the token endpoint"),
    Setting::new("default_vat_code", "the VAT code of order lines that carry none"),
    Setting::new("tracking_url_template", "a delivery's tracking URL, {code} for the number"),
    Setting::new("price_list_code", "the code of the price list of default sales prices"),
];

const DESCRIPTION: Description = Description::new(
    NAME,
    "Exact Online: accounts, items, sales invoices, deliveries and sales orders",
    READS,
    WRITES,
    SETTINGS,
)
.typed::<crate::config::ExactSettings>();

/// Exact Online: accounts, items (products, stock, prices), sales invoices and goods
/// deliveries to read; orders (sales orders, invoices or quotations) and accounts to write.
#[derive(Debug, Clone, Copy, Default)]
pub struct ExactSystem;

/// The client of `options`, not yet connected. Rotated refresh tokens go to the
/// `token_file` when one is named, else to the host's state store (`ctx`), else stay in
/// memory.
fn client(options: &Options, ctx: &Context) -> Result<ExactClient> {
    let config = ExactConfig::from_options(options)?;
    let store = ctx.token_store(NAME, options, &config.client_id, config.refresh_token.as_ref());
    ExactClient::new(config, store)
}

#[async_trait]
impl System for ExactSystem {
    fn description(&self) -> &'static Description {
        &DESCRIPTION
    }
    fn source(&self, kind: EntityKind, options: &Options, ctx: &Context) -> Result<AnySource> {
        let source = Arc::new(ExactSource::new(client(options, ctx)?));
        erase_source(kind, source)
    }
    fn sink(&self, kind: EntityKind, options: &Options, ctx: &Context) -> Result<AnySink> {
        let sink = Arc::new(ExactSink::new(client(options, ctx)?));
        erase_sink(kind, sink)
    }
    async fn check(&self, options: &Options, ctx: &Context) -> Result<()> {
        client(options, ctx)?.check().await
    }

    /// `sim_items` = N adds N items with their default prices (a load test's data set);
    /// `sim_limits` = `off` lifts Exact's limits (60 calls a minute, 5,000 a day) for a test
    /// of CPU and memory; `sim_per_minute` = N sets the minutely limit instead; and
    /// `sim_latency_ms` = N makes every call take N ms more, as a real API's round trip.
    #[cfg(feature = "simulator")]
    async fn simulate(
        &self,
        port: u16,
        settings: &Options,
    ) -> Result<Box<dyn connector_core::system::RunningSimulator>> {
        use connector_core::system::{sim_count, sim_off};
        let mut builder = crate::simulator::ExactSimulator::builder().port(port);
        if let Some(n) = sim_count(settings, "sim_per_minute")? {
            builder = builder.limits(u32::try_from(n).unwrap_or(u32::MAX), 5_000);
        }
        if sim_off(settings, "sim_limits") {
            builder = builder.limits(u32::MAX, u32::MAX);
        }
        let latency = sim_count(settings, "sim_latency_ms")?;
        let items = sim_count(settings, "sim_items")?;
        let sim = builder.start().await.map_err(|e| {
            Error::internal(format!("cannot start the Exact Online simulator: {e}"))
        })?;
        if let Some(n) = items {
            sim.seed_items(n);
        }
        if let Some(ms) = latency.filter(|ms| *ms > 0) {
            sim.faults().slow(std::time::Duration::from_millis(ms as u64));
        }
        Ok(Box::new(sim))
    }
}

#[cfg(feature = "simulator")]
#[async_trait]
impl connector_core::system::RunningSimulator for crate::simulator::ExactSimulator {
    fn base_url(&self) -> String {
        crate::simulator::ExactSimulator::base_url(self)
    }
    fn options(&self) -> Options {
        use crate::simulator::{CLIENT_ID, CLIENT_SECRET};
        use connector_core::reexports::secrecy::ExposeSecret;
        let c = self.config();
        let mut o = connector_core::system::options([
            ("api_url", c.api_url.clone()),
            ("token_url", c.token_url.clone()),
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
            "division {} from current/Me; refresh tokens rotate: each works once; the CLI \
             keeps the newest in its state file; authorization code {} gets a first one",
            crate::simulator::DIVISION,
            crate::simulator::AUTH_CODE
        )]
    }
    async fn serve_until_ctrl_c(self: Box<Self>) -> Result<()> {
        self.run_until_ctrl_c().await.map_err(|e| Error::internal(e.to_string()))
    }
}
