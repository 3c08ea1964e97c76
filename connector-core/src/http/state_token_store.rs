//! [`StateTokenStore`]: tokens kept in the [`StateStore`](crate::state::StateStore), so a
//! rotated refresh token survives between runs without a token file.

use std::sync::Arc;

use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

use super::token::{TokenSet, TokenStore};
use crate::error::{Error, Result};
use crate::state::{Sealer, StateStore, unseal};

/// Keeps one account's tokens under a key of the state store (sealed when a [`Sealer`] is
/// given). The tokens are tied to the refresh token the settings started from: when the
/// settings name another one (the account was connected again), the stored tokens are set
/// aside and the new one is used.
#[derive(Clone)]
pub struct StateTokenStore {
    state: Arc<dyn StateStore>,
    key: String,
    seed: Option<String>,
    sealer: Option<Arc<Sealer>>,
}

impl std::fmt::Debug for StateTokenStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StateTokenStore")
            .field("key", &self.key)
            .field("sealed", &self.sealer.is_some())
            .finish_non_exhaustive()
    }
}

impl StateTokenStore {
    /// The tokens under `key` (`tokens/xero/<client id>`), started from `configured` (the
    /// settings' refresh token, if any).
    pub fn new(
        state: Arc<dyn StateStore>,
        key: impl Into<String>,
        configured: Option<&SecretString>,
        sealer: Option<Arc<Sealer>>,
    ) -> Self {
        let seed = configured.map(|rt| {
            format!("{:032x}", xxhash_rust::xxh3::xxh3_128(rt.expose_secret().as_bytes()))
        });
        Self { state, key: key.into(), seed, sealer }
    }
}

#[async_trait]
impl TokenStore for StateTokenStore {
    async fn load(&self) -> Result<Option<TokenSet>> {
        let Some(stored) = self.state.secret(&self.key).await? else { return Ok(None) };
        let text = unseal(self.sealer.as_deref(), &stored)?;
        let v: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| Error::internal(format!("stored tokens are not JSON: {e}")))?;
        if self.seed.is_some() && v["seed"].as_str() != self.seed.as_deref() {
            return Ok(None);
        }
        Ok(Some(TokenSet::from_json(&v["tokens"])))
    }

    async fn save(&self, tokens: &TokenSet) -> Result<()> {
        let text = json!({ "seed": self.seed, "tokens": tokens.to_json() }).to_string();
        let value = match &self.sealer {
            Some(s) => s.seal(&text)?,
            None => text,
        };
        self.state.save_secret(&self.key, &value).await
    }

    async fn exclusive(&self) -> Result<Option<crate::state::StateLock>> {
        self.state.lock(&format!("refresh:{}", self.key)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::MemoryStore;

    fn tokens(rt: &str) -> TokenSet {
        TokenSet::from_refresh_token(SecretString::from(rt.to_owned()))
    }

    fn rt(t: &TokenSet) -> String {
        t.refresh_token.as_ref().unwrap().expose_secret().to_owned()
    }

    #[tokio::test]
    async fn rotated_tokens_come_back_until_the_settings_name_another_refresh_token() {
        let state: Arc<dyn StateStore> = Arc::new(MemoryStore::default());
        let a = SecretString::from("rt-a");
        let store = StateTokenStore::new(state.clone(), "tokens/xero/app", Some(&a), None);
        assert!(store.load().await.unwrap().is_none());
        store.save(&tokens("rt-b")).await.unwrap();
        // The next run starts from the same settings: the rotated token comes back.
        let next = StateTokenStore::new(state.clone(), "tokens/xero/app", Some(&a), None);
        assert_eq!(rt(&next.load().await.unwrap().unwrap()), "rt-b");
        // No refresh token in the settings: whatever is stored.
        let bare = StateTokenStore::new(state.clone(), "tokens/xero/app", None, None);
        assert_eq!(rt(&bare.load().await.unwrap().unwrap()), "rt-b");
        // Connected again: the settings' new token wins.
        let x = SecretString::from("rt-x");
        let again = StateTokenStore::new(state.clone(), "tokens/xero/app", Some(&x), None);
        assert!(again.load().await.unwrap().is_none());
        let stored = state.secret("tokens/xero/app").await.unwrap().unwrap();
        assert!(stored.contains("rt-b"), "kept in clear without a key");
    }

    #[tokio::test]
    async fn with_a_key_the_stored_tokens_are_sealed() {
        let state: Arc<dyn StateStore> = Arc::new(MemoryStore::default());
        let sealer = Some(Arc::new(Sealer::new(&[9; 32])));
        let store = StateTokenStore::new(state.clone(), "k", None, sealer.clone());
        store.save(&tokens("rt-secret")).await.unwrap();
        let stored = state.secret("k").await.unwrap().unwrap();
        assert!(stored.starts_with("sealed:v1:") && !stored.contains("rt-secret"));
        assert_eq!(rt(&store.load().await.unwrap().unwrap()), "rt-secret");
        let keyless = StateTokenStore::new(state, "k", None, None);
        assert!(keyless.load().await.is_err());
        assert!(!format!("{store:?}").contains("rt-secret"));
    }
}
