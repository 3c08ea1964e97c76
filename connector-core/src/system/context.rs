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
    /// Keeps the tokens of one tenant apart from another's with the same app
    /// (`tokens/<scope>/<system>/<account>`).
    scope: Option<String>,
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
        self.tokens = Some(TokenHome { state, sealer, scope: None });
        self
    }

    /// The same context, keeping tokens under `scope`: for a host serving several tenants with
    /// one app (two organisations, one client id), each tenant's rotating refresh token in a
    /// place of its own.
    pub fn scoped(mut self, scope: impl Into<String>) -> Self {
        if let Some(home) = &mut self.tokens {
            home.scope = Some(scope.into());
        }
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
        let key = match &home.scope {
            Some(scope) => format!("tokens/{scope}/{system}/{account}"),
            None => format!("tokens/{system}/{account}"),
        };
        Some(Arc::new(StateTokenStore::new(
            home.state.clone(),
            key,
            configured,
            home.sealer.clone(),
        )))
    }
}
