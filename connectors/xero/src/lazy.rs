//! [`XeroConnector`]: one connection opened on first use, as a source of every Xero dataset
//! and a sink of orders and contacts (what the CLI's registry hands out), and
//! [`FileTokenStore`], which keeps the rotating refresh token between runs.

use std::sync::Arc;

use async_trait::async_trait;
use connector_core::http::TokenStore;
use connector_core::sink::{Found, LookupKey, Sink, SinkCapabilities, WriteOutcome, WriteRequest};
use connector_core::source::{
    Change, ChangeDetection, DeleteSignal, ReadMode, Source, SourceCapabilities,
};
use connector_core::{Entity, Error, Result};
use futures_util::stream::{self, BoxStream, StreamExt};
use tokio::sync::OnceCell;

pub use connector_core::http::FileTokenStore;

use crate::client::{NAME, XeroClient};
use crate::config::XeroConfig;
use crate::sink::{MAX_BATCH, XeroSink};
use crate::source::XeroSource;

/// A Xero connection opened on first use (connect needs calls: token, tenants, currency).
#[derive(Debug)]
pub struct XeroConnector {
    config: XeroConfig,
    store: Option<Arc<dyn TokenStore>>,
    cell: OnceCell<(XeroSource, XeroSink)>,
}

impl XeroConnector {
    /// A connector that connects with `config` (tokens in `store`, or in memory) when first
    /// used.
    pub fn new(config: XeroConfig, store: Option<Arc<dyn TokenStore>>) -> Self {
        Self { config, store, cell: OnceCell::new() }
    }

    async fn get(&self) -> Result<&(XeroSource, XeroSink)> {
        self.cell
            .get_or_try_init(|| async {
                let c = XeroClient::connect(self.config.clone(), self.store.clone()).await?;
                Ok::<_, Error>((XeroSource::new(c.clone()), XeroSink::new(c)))
            })
            .await
    }
}

#[async_trait]
impl<E: Entity> Source<E> for XeroConnector
where
    XeroSource: Source<E>,
{
    fn name(&self) -> &str {
        NAME
    }
    fn capabilities(&self) -> SourceCapabilities {
        SourceCapabilities {
            entity: E::KIND,
            changes: ChangeDetection::Timestamp,
            deletes: DeleteSignal::Lifecycle,
            page_size: Some(self.config.page_size.clamp(1, crate::config::MAX_PAGE_SIZE) as usize),
        }
    }
    async fn check(&self) -> Result<()> {
        Source::<E>::check(&self.get().await?.0).await
    }
    fn read(&self, mode: ReadMode) -> BoxStream<'_, Result<Change<E>>> {
        stream::once(self.get())
            .flat_map(move |r| match r {
                Ok((src, _)) => Source::<E>::read(src, mode.clone()),
                Err(e) => stream::iter([Err(e)]).boxed(),
            })
            .boxed()
    }
}

#[async_trait]
impl<E: Entity> Sink<E> for XeroConnector
where
    XeroSink: Sink<E>,
{
    fn name(&self) -> &str {
        NAME
    }
    fn capabilities(&self) -> SinkCapabilities {
        SinkCapabilities {
            entity: E::KIND,
            max_batch: MAX_BATCH,
            max_concurrency: 1,
            can_find: true,
            can_deactivate: true,
            idempotent_writes: true,
            natural_key: if E::KIND == connector_core::EntityKind::Customer {
                "email"
            } else {
                "number"
            }
            .to_owned(),
        }
    }
    async fn check(&self) -> Result<()> {
        Sink::<E>::check(&self.get().await?.1).await
    }
    async fn find(&self, key: &LookupKey) -> Result<Option<Found<E>>> {
        Sink::<E>::find(&self.get().await?.1, key).await
    }
    async fn write(&self, batch: Vec<WriteRequest<E>>) -> Result<Vec<WriteOutcome>> {
        Sink::<E>::write(&self.get().await?.1, batch).await
    }
}

impl XeroConfig {
    /// Reads the settings from CLI-style options (`client_id`, `client_secret`,
    /// `refresh_token`, `tenant_id`, `api_url`, `token_url`, `connections_url`).
    pub fn from_options(options: &std::collections::BTreeMap<String, String>) -> Result<Self> {
        Self::from_lookup(|k| {
            options.get(&k.trim_start_matches("CONNECTOR_XERO_").to_ascii_lowercase()).cloned()
        })
    }
}
