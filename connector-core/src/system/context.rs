//! What a system is opened with besides its options: where rotated refresh tokens are kept.

use std::sync::Arc;

use secrecy::SecretString;

use super::Options;
use crate::http::{FileTokenStore, StateTokenStore, TokenStore};
use crate::state::{Sealer, StateStore};

/// The host's side of opening a system: today, the state store that keeps rotated refresh
/// tokens (sealed with the state key when one is set). Systems ask it for a token store when
/// their options name no `token_file`.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Context {
    tokens: Option<TokenHome>,
}

/// The state store that keeps tokens, and the sealer it seals them with.
#[derive(Debug, Clone)]
struct TokenHome {
    state: Arc<dyn StateStore>,
    sealer: Option<Arc<Sealer>>,
}

impl Context {
    /// A context that keeps nothing: tokens live in memory for the process.
    pub fn new() -> Self {
        Self::default()
    }

    /// Keeps rotated tokens in `state`, sealed with `sealer` when given.
    pub fn keep_tokens_in(
        mut self,
        state: Arc<dyn StateStore>,
        sealer: Option<Arc<Sealer>>,
    ) -> Self {
        self.tokens = Some(TokenHome { state, sealer });
        self
    }

    /// Where `system` keeps the tokens of `account` (the app's client id), started from the
    /// settings' refresh token `configured`: the file the `token_file` option names, else the
    /// state store's when this context has one, else nowhere (in memory).
    pub fn token_store(
        &self,
        system: &str,
        options: &Options,
        account: &str,
        configured: Option<&SecretString>,
    ) -> Option<Arc<dyn TokenStore>> {
        if let Some(path) = options.get("token_file") {
            return Some(Arc::new(FileTokenStore::new(path)));
        }
        let home = self.tokens.as_ref()?;
        let key = format!("tokens/{system}/{account}");
        Some(Arc::new(StateTokenStore::new(
            home.state.clone(),
            key,
            configured,
            home.sealer.clone(),
        )))
    }
}
