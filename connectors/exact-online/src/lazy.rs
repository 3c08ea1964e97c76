//! [`ExactConnector`]: one connection opened on first use, as a source of every Exact Online
//! dataset and a sink of orders and accounts (what the CLI's registry hands out), and
//! [`FileTokenStore`], which keeps the rotating refresh token between runs.

use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use connector_core::http::{TokenSet, TokenStore};
use connector_core::sink::{Found, LookupKey, Sink, SinkCapabilities, WriteOutcome, WriteRequest};
use connector_core::source::{
    Change, ChangeDetection, DeleteSignal, ReadMode, Source, SourceCapabilities,
};
use connector_core::{Entity, Error, Result};
use futures_util::stream::{self, BoxStream, StreamExt};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use tokio::sync::OnceCell;

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

/// Keeps Exact Online's tokens in a JSON file (created with owner-only permissions on Unix), so
/// the rotating refresh token survives between runs.
#[derive(Debug, Clone)]
pub struct FileTokenStore {
    path: PathBuf,
}

impl FileTokenStore {
    /// A store at `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }
}

#[async_trait]
impl TokenStore for FileTokenStore {
    async fn load(&self) -> Result<Option<TokenSet>> {
        let text = match tokio::fs::read_to_string(&self.path).await {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::internal(format!("reading the token file: {e}"))),
        };
        let v: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| Error::internal(format!("the token file is not JSON: {e}")))?;
        let s = |k: &str| v[k].as_str().map(|s| SecretString::from(s.to_owned()));
        Ok(Some(TokenSet::new(
            s("access_token").unwrap_or_else(|| SecretString::from("")),
            s("refresh_token"),
            v["expires_at"]
                .as_str()
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                .map(|t| t.to_utc()),
        )))
    }

    async fn save(&self, tokens: &TokenSet) -> Result<()> {
        let body = json!({
            "access_token": tokens.access_token.expose_secret(),
            "refresh_token": tokens.refresh_token.as_ref().map(|t| t.expose_secret().to_owned()),
            "expires_at": tokens.expires_at.map(|t| t.to_rfc3339()),
        });
        let tmp = self.path.with_extension("tmp");
        let mut opts = tokio::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        opts.mode(0o600);
        let mut f = opts
            .open(&tmp)
            .await
            .map_err(|e| Error::internal(format!("writing the token file: {e}")))?;
        use tokio::io::AsyncWriteExt;
        f.write_all(body.to_string().as_bytes())
            .await
            .map_err(|e| Error::internal(e.to_string()))?;
        f.sync_all().await.map_err(|e| Error::internal(e.to_string()))?;
        tokio::fs::rename(&tmp, &self.path)
            .await
            .map_err(|e| Error::internal(format!("writing the token file: {e}")))
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
