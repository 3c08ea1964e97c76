//! [`ExactConnector`]: one connection opened on first use, as a source of every Exact Online
//! dataset and a sink of orders and accounts (what the CLI's registry hands out), and
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

use crate::client::{ExactClient, NAME};
use crate::config::ExactConfig;
use crate::sink::ExactSink;
use crate::source::ExactSource;

/// An Exact Online connection opened on first use (connect needs calls: token, `current/Me`).
#[derive(Debug)]
pub struct ExactConnector {
    config: ExactConfig,
    store: Option<Arc<dyn TokenStore>>,
    cell: OnceCell<(ExactSource, ExactSink)>,
}

impl ExactConnector {
    /// A connector that connects with `config` (tokens in `store`, or in memory) when first
    /// used.
    pub fn new(config: ExactConfig, store: Option<Arc<dyn TokenStore>>) -> Self {
        Self { config, store, cell: OnceCell::new() }
    }

    async fn get(&self) -> Result<&(ExactSource, ExactSink)> {
        self.cell
            .get_or_try_init(|| async {
                let c = ExactClient::connect(self.config.clone(), self.store.clone()).await?;
                Ok::<_, Error>((ExactSource::new(c.clone()), ExactSink::new(c)))
            })
            .await
    }
}

#[async_trait]
impl<E: Entity> Source<E> for ExactConnector
where
    ExactSource: Source<E>,
{
    fn name(&self) -> &str {
        NAME
    }
    fn capabilities(&self) -> SourceCapabilities {
        SourceCapabilities {
            entity: E::KIND,
            changes: ChangeDetection::RowVersion,
            deletes: DeleteSignal::Tombstones,
            page_size: Some(1000),
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
impl<E: Entity> Sink<E> for ExactConnector
where
    ExactSink: Sink<E>,
{
    fn name(&self) -> &str {
        NAME
    }
    fn capabilities(&self) -> SinkCapabilities {
        SinkCapabilities {
            entity: E::KIND,
            max_batch: 20,
            max_concurrency: 1,
            can_find: true,
            can_deactivate: E::KIND == connector_core::EntityKind::Customer,
            idempotent_writes: false,
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

impl ExactConfig {
    /// Reads the settings from CLI-style options (`client_id`, `client_secret`,
    /// `refresh_token`, `country`, `division`, `api_url`, `token_url`, `currency`,
    /// `order_target`, `default_debtor`).
    pub fn from_options(options: &std::collections::BTreeMap<String, String>) -> Result<Self> {
        Self::from_lookup(|k| {
            options
                .get(&k.trim_start_matches("CONNECTOR_EXACT_ONLINE_").to_ascii_lowercase())
                .cloned()
        })
    }
}
