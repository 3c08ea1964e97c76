//! [`FileTokenStore`]: tokens in a JSON file, so a rotating refresh token survives between
//! runs (Xero's and Exact Online's refresh tokens are single-use).

use std::path::PathBuf;

use async_trait::async_trait;
use tokio::io::AsyncWriteExt;

use super::token::{TokenSet, TokenStore};
use crate::error::{Error, Result};

/// Keeps OAuth2 tokens in a JSON file (created with owner-only permissions on Unix), so
/// a rotated refresh token survives between runs. Written to a temporary file, synced and
/// renamed, so a crash never leaves half a token file.
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
        Ok(Some(TokenSet::from_json(&v)))
    }

    async fn save(&self, tokens: &TokenSet) -> Result<()> {
        let body = tokens.to_json();
        let tmp = self.path.with_extension("tmp");
        let mut opts = tokio::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        opts.mode(0o600);
        let mut f = opts
            .open(&tmp)
            .await
            .map_err(|e| Error::internal(format!("writing the token file: {e}")))?;
        f.write_all(body.to_string().as_bytes())
            .await
            .map_err(|e| Error::internal(e.to_string()))?;
        f.sync_all().await.map_err(|e| Error::internal(e.to_string()))?;
        tokio::fs::rename(&tmp, &self.path)
            .await
            .map_err(|e| Error::internal(format!("writing the token file: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::{ExposeSecret, SecretString};

    #[tokio::test]
    async fn saved_tokens_load_back_and_a_missing_file_is_none() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileTokenStore::new(dir.path().join("tokens.json"));
        assert!(store.load().await.unwrap().is_none());
        let at = chrono::DateTime::parse_from_rfc3339("2026-11-22T05:00:00Z").unwrap().to_utc();
        let tokens =
            TokenSet::new(SecretString::from("at-1"), Some(SecretString::from("rt-1")), Some(at));
        store.save(&tokens).await.unwrap();
        let back = store.load().await.unwrap().unwrap();
        assert_eq!(back.access_token.expose_secret(), "at-1");
        assert_eq!(back.refresh_token.unwrap().expose_secret(), "rt-1");
        assert_eq!(back.expires_at, Some(at));
    }
}
