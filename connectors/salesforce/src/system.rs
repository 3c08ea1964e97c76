//! Salesforce as a [`System`]: what the registry, the CLI and flow files open by the name
//! `salesforce`.

use std::sync::Arc;

use async_trait::async_trait;
use connector_core::system::{AnySink, AnySource, Context, Description, Options, Setting, System};
use connector_core::{EntityKind, Error, Result};

use crate::client::NAME;
use crate::client::SalesforceClient;
use crate::config::SalesforceConfig;
use crate::sink::SalesforceSink;
use crate::source::SalesforceSource;

connector_core::entity_lists! {
    reads: [Customer, Order, Product],
    writes: [Product, StockLevel, Shipment, Customer],
}

/// The keys of [`SalesforceSettings`](crate::config::SalesforceSettings), in its order (the
/// registry's tests hold them equal), with what the CLI and SuperOffice show for each.
const SETTINGS: &[Setting] = &[
    Setting::new("client_id", "the connected app's consumer key"),
    Setting::secret("client_secret", "the connected app's consumer secret"),
    Setting::secret("refresh_token", "a refresh token (else client credentials or JWT bearer)"),
    Setting::new("login_url", "the org's My Domain or login host"),
    Setting::secret("private_key", "the JWT bearer flow's PEM key"),
    Setting::new("private_key_path", "a file with the JWT bearer flow's PEM key"),
    Setting::new("username", "the user the JWT bearer flow acts as"),
    Setting::new("audience", "the JWT audience (default: the login host)"),
    Setting::new("instance_url", "the org's instance (default: from the token answer)"),
    Setting::new("api_version", "the REST API version, like 59.0"),
    Setting::new("currency", "the org's currency"),
    Setting::new("product_sku_field", "the Product2 field that holds the SKU"),
    Setting::new("account_number_field", "the Account field that holds the customer number"),
    Setting::new("stock_field", "the Product2 field that takes stock levels"),
    Setting::new("product_parent_field", "the Product2 field that links a variant to its parent"),
    Setting::new("shipment_object", "the object shipments are written to"),
    Setting::new("order_payment_term_field", "the Order field with the payment term"),
    Setting::new("order_payment_method_field", "the Order field with the payment method"),
    Setting::new("batch_size", "records per query batch, 200 to 2,000 (default 2,000)"),
];

const DESCRIPTION: Description = Description::new(
    NAME,
    "Salesforce: accounts, orders, products, stock and shipments",
    READS,
    WRITES,
    SETTINGS,
)
.typed::<crate::config::SalesforceSettings>();

/// Salesforce: accounts, orders and products to read; products (with standard prices),
/// stock levels, shipments and accounts to write.
#[derive(Debug, Clone, Copy, Default)]
pub struct SalesforceSystem;

/// The client of `options`, not yet connected.
fn client(options: &Options) -> Result<SalesforceClient> {
    SalesforceClient::new(SalesforceConfig::from_options(options)?, None)
}

#[async_trait]
impl System for SalesforceSystem {
    fn description(&self) -> &'static Description {
        &DESCRIPTION
    }
    fn source(&self, kind: EntityKind, options: &Options, _ctx: &Context) -> Result<AnySource> {
        let source = Arc::new(SalesforceSource::new(client(options)?));
        erase_source(kind, source)
    }
    fn sink(&self, kind: EntityKind, options: &Options, _ctx: &Context) -> Result<AnySink> {
        let sink = Arc::new(SalesforceSink::new(client(options)?));
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
        let sim =
            crate::simulator::SalesforceSimulator::builder().port(port).start().await.map_err(
                |e| Error::internal(format!("cannot start the Salesforce simulator: {e}")),
            )?;
        Ok(Box::new(sim))
    }
}

#[cfg(feature = "simulator")]
#[async_trait]
impl connector_core::system::RunningSimulator for crate::simulator::SalesforceSimulator {
    fn base_url(&self) -> String {
        crate::simulator::SalesforceSimulator::base_url(self)
    }
    fn options(&self) -> Options {
        use crate::simulator::{CLIENT_ID, CLIENT_SECRET};
        use connector_core::reexports::secrecy::ExposeSecret;
        let c = self.config();
        let mut o = connector_core::system::options([
            ("login_url", c.login_url.clone()),
            ("client_id", CLIENT_ID.to_string()),
            ("client_secret", CLIENT_SECRET.to_string()),
        ]);
        if let Some(rt) = &c.refresh_token {
            o.insert("refresh_token".into(), rt.expose_secret().to_string());
        }
        o
    }
    fn notes(&self) -> Vec<String> {
        vec!["leave the refresh token out to use client credentials".to_string()]
    }
    async fn serve_until_ctrl_c(self: Box<Self>) -> Result<()> {
        self.run_until_ctrl_c().await.map_err(|e| Error::internal(e.to_string()))
    }
}
