//! [`SalesforceConnector`]: one connection opened on first use, as a source of accounts,
//! orders and products and a sink of products, stock, shipments and accounts (what the CLI's
//! registry hands out).

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

use crate::client::{NAME, SalesforceClient};
use crate::config::SalesforceConfig;
use crate::sink::{MAX_BATCH, SalesforceSink};
use crate::source::SalesforceSource;

/// A Salesforce connection opened on first use (connecting is a token call).
#[derive(Debug)]
pub struct SalesforceConnector {
    config: SalesforceConfig,
    store: Option<Arc<dyn TokenStore>>,
    cell: OnceCell<(SalesforceSource, SalesforceSink)>,
}

impl SalesforceConnector {
    /// A connector that connects with `config` (tokens in `store`, or in memory) when first
    /// used.
    pub fn new(config: SalesforceConfig, store: Option<Arc<dyn TokenStore>>) -> Self {
        Self { config, store, cell: OnceCell::new() }
    }

    async fn get(&self) -> Result<&(SalesforceSource, SalesforceSink)> {
        self.cell
            .get_or_try_init(|| async {
                let c = SalesforceClient::connect(self.config.clone(), self.store.clone()).await?;
                Ok::<_, Error>((SalesforceSource::new(c.clone()), SalesforceSink::new(c)))
            })
            .await
    }
}

#[async_trait]
impl<E: Entity> Source<E> for SalesforceConnector
where
    SalesforceSource: Source<E>,
{
    fn name(&self) -> &str {
        NAME
    }
    fn capabilities(&self) -> SourceCapabilities {
        SourceCapabilities {
            entity: E::KIND,
            changes: ChangeDetection::Timestamp,
            deletes: DeleteSignal::Tombstones,
            page_size: Some(self.config.batch_size as usize),
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
impl<E: Entity> Sink<E> for SalesforceConnector
where
    SalesforceSink: Sink<E>,
{
    fn name(&self) -> &str {
        NAME
    }
    fn capabilities(&self) -> SinkCapabilities {
        SinkCapabilities {
            entity: E::KIND,
            max_batch: MAX_BATCH,
            max_concurrency: 1,
            can_find: matches!(
                E::KIND,
                connector_core::EntityKind::Product | connector_core::EntityKind::Customer
            ),
            can_deactivate: E::KIND == connector_core::EntityKind::Product,
            idempotent_writes: true,
            natural_key: match E::KIND {
                connector_core::EntityKind::Product | connector_core::EntityKind::StockLevel => {
                    "sku"
                }
                _ => "number",
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
