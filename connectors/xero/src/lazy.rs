//! [`XeroConnector`]: one connection opened on first use, as a source of every Xero dataset
//! and a sink of orders and contacts (what the CLI's registry hands out), and
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
            page_size: Some(self.config.page_size as usize),
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

/// Keeps Xero's tokens in a JSON file (created with owner-only permissions on Unix), so
/// the single-use refresh token survives between runs.
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

impl XeroConfig {
    /// Reads the settings from CLI-style options (`client_id`, `client_secret`,
    /// `refresh_token`, `tenant_id`, `api_url`, `token_url`, `connections_url`).
    pub fn from_options(options: &std::collections::BTreeMap<String, String>) -> Result<Self> {
        Self::from_lookup(|k| {
            options.get(&k.trim_start_matches("CONNECTOR_XERO_").to_ascii_lowercase()).cloned()
        })
    }
}
