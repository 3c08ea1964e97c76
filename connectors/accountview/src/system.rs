//! AccountView as a [`System`]: what the registry, the CLI and flow files open by the name
//! `accountview`.

use std::sync::Arc;

use async_trait::async_trait;
use connector_core::system::{AnySink, AnySource, Context, Description, Options, Setting, System};
use connector_core::{EntityKind, Result};

use crate::client::{AccountViewClient, NAME};
use crate::config::AccountViewConfig;
use crate::files::AccountViewFiles;
use crate::sink::AccountViewSink;
use crate::source::AccountViewSource;

connector_core::entity_lists! {
    reads: [Customer, Product, StockLevel, Order],
    writes: [Customer, Order],
}

/// The keys of [`AccountViewSettings`](crate::config::AccountViewSettings), in its order.
const SETTINGS: &[Setting] = &[
    Setting::new(
        "transport",
        "rest (AccountView.Net, default) or file (import/export files in folder)",
    ),
    Setting::new("client_id", "the app's client id (registered with Visma; rest)"),
    Setting::CLIENT_SECRET,
    Setting::REFRESH_TOKEN,
    Setting::TOKEN_FILE,
    Setting::new("company_id", "the company (X-Company; default: the first of /companies)"),
    Setting::new("api_url", "the API (default https://www.accountview.net/api/v3)"),
    Setting::new("token_url", "the token endpoint (default <api_url>/token)"),
    Setting::new("page_size", "rows per page, 1 to 1,000 (default 200)"),
    Setting::new("currency", "the company's currency, of article prices (default EUR)"),
    Setting::new(
        "order_business_object",
        "the code of the order business object (ART_HDR/ART_LINE; GET /accountviewsystembusinessobjects lists them)",
    ),
    Setting::new("timezone", "the zone of AccountView's times (default Europe/Amsterdam; or UTC)"),
    Setting::new("folder", "the exchange folder: export/ read, import/ written (file)"),
    Setting::new(
        "settle_seconds",
        "seconds an exported file must stand still before it is read (file; default 2)",
    ),
];

const DESCRIPTION: Description = Description::new(
    NAME,
    "Visma AccountView (AccountView.Net): debtors, articles, stock and orders; debtors and orders to write",
    READS,
    WRITES,
    SETTINGS,
)
.typed::<crate::config::AccountViewSettings>();

/// Visma AccountView through AccountView.Net: debtors, articles and stock to read.
#[derive(Debug, Clone, Copy, Default)]
pub struct AccountViewSystem;

/// A connection by the settings' transport.
enum Transport {
    Rest(AccountViewClient),
    Files(AccountViewFiles),
}

fn open(options: &Options, ctx: &Context) -> Result<Transport> {
    let config = AccountViewConfig::from_options(options)?;
    if config.folder.is_some() {
        return Ok(Transport::Files(AccountViewFiles::new(&config)?));
    }
    let store = ctx.token_store(NAME, options, &config.client_id, config.refresh_token.as_ref());
    Ok(Transport::Rest(AccountViewClient::new(config, store)?))
}

#[async_trait]
impl System for AccountViewSystem {
    fn description(&self) -> &'static Description {
        &DESCRIPTION
    }
    fn source(&self, kind: EntityKind, options: &Options, ctx: &Context) -> Result<AnySource> {
        match open(options, ctx)? {
            Transport::Rest(c) => erase_source(kind, Arc::new(AccountViewSource::new(c))),
            Transport::Files(f) => erase_source(kind, Arc::new(f)),
        }
    }
    fn sink(&self, kind: EntityKind, options: &Options, ctx: &Context) -> Result<AnySink> {
        match open(options, ctx)? {
            Transport::Rest(c) => erase_sink(kind, Arc::new(AccountViewSink::new(c))),
            Transport::Files(f) => erase_sink(kind, Arc::new(f)),
        }
    }
    async fn check(&self, options: &Options, ctx: &Context) -> Result<()> {
        match open(options, ctx)? {
            Transport::Rest(c) => c.check().await,
            Transport::Files(f) => {
                connector_core::Source::<connector_core::model::Customer>::check(&f).await
            }
        }
    }

    /// Seeded with the demo company; `sim_contacts` = N adds N debtors. With `sim_folder`,
    /// the file transport instead: that folder with the demo company's export files.
    #[cfg(feature = "simulator")]
    async fn simulate(
        &self,
        port: u16,
        settings: &Options,
    ) -> Result<Box<dyn connector_core::system::RunningSimulator>> {
        if let Some(folder) = settings.get("sim_folder") {
            return Ok(Box::new(crate::simulator::export_folder(folder)?));
        }
        let sim = crate::simulator::AccountViewSimulator::builder()
            .port(port)
            .demo_data()
            .start()
            .await
            .map_err(|e| {
                connector_core::Error::internal(format!(
                    "cannot start the AccountView simulator: {e}"
                ))
            })?;
        if let Some(n) = connector_core::system::sim_count(settings, "sim_contacts")? {
            sim.seed_contacts(n);
        }
        Ok(Box::new(sim))
    }
}

#[cfg(feature = "simulator")]
#[async_trait]
impl connector_core::system::RunningSimulator for crate::simulator::AccountViewSimulator {
    fn base_url(&self) -> String {
        crate::simulator::AccountViewSimulator::base_url(self)
    }
    fn options(&self) -> Options {
        connector_core::system::options([
            ("api_url", self.api_url()),
            ("client_id", crate::simulator::CLIENT_ID.to_owned()),
            ("client_secret", crate::simulator::CLIENT_SECRET.to_owned()),
            ("refresh_token", self.refresh_token().to_owned()),
            ("order_business_object", crate::simulator::ORDER_BUSINESS_OBJECT.to_owned()),
        ])
    }
    fn notes(&self) -> Vec<String> {
        vec![format!(
            "one company, {}; refresh tokens rotate: each works once",
            crate::simulator::COMPANY_ID
        )]
    }
    async fn serve_until_ctrl_c(self: Box<Self>) -> Result<()> {
        self.run_until_ctrl_c().await.map_err(|e| connector_core::Error::internal(e.to_string()))
    }
}
