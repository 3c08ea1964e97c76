//! OAuth2 as an [`Auth`]: client credentials, (rotating) refresh tokens or JWT bearer
//! assertions, with a
//! single-flight refresh per connection.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use tokio::time::Instant;

use crate::error::{Error, ErrorKind, Result, RetryClass};

use super::auth::{Auth, AuthGeneration, AuthTarget};
use super::clock;
use super::jwt::AssertionSigner;
use super::token::{TokenSet, TokenStore};
use super::token_endpoint::TokenEndpoint;

/// Which OAuth2 grant renews the access token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grant {
    /// `client_credentials` (machine to machine: Procountor's API key flow, Salesforce).
    ClientCredentials,
    /// `refresh_token`, with the refresh token kept in a [`TokenStore`] (Xero, Exact Online).
    RefreshToken,
    /// `urn:ietf:params:oauth:grant-type:jwt-bearer`: a fresh signed assertion from an
    /// [`AssertionSigner`] for every token (Salesforce's server-to-server flow).
    JwtBearer,
}

/// OAuth2 bearer authentication that obtains and refreshes its own tokens.
///
/// - The access token is refreshed `refresh_skew` before it expires, and on a `401`.
/// - Refresh is single-flight: however many requests find the token expired at once, one
///   refresh is made and the others wait for it.
/// - A rotated refresh token is saved to the [`TokenStore`] before the new access token is
///   used; if saving fails the new tokens are not used and the save is retried first.
/// - `min_refresh_interval` (Exact Online: 570 s) forbids refreshing earlier after the last
///   refresh, unless a `401` says the token is dead.
/// - A refresh token the server refused (`invalid_grant`) is not sent again: every later
///   request fails at once with the same [`ErrorKind::Auth`] error.
pub struct OAuth2 {
    endpoint: TokenEndpoint,
    grant: Grant,
    signer: Option<Arc<dyn AssertionSigner>>,
    store: Option<Arc<dyn TokenStore>>,
    skew: Duration,
    min_interval: Duration,
    current: Mutex<Current>,
    refresh: tokio::sync::Mutex<RefreshState>,
    refreshes: AtomicU64,
}

#[derive(Default)]
struct Current {
    token: Option<SecretString>,
    expires_at: Option<DateTime<Utc>>,
    generation: u64,
    dead: bool,
}

#[derive(Default)]
struct RefreshState {
    loaded: bool,
    refresh_token: Option<SecretString>,
    last_refresh: Option<Instant>,
    pending_save: Option<TokenSet>,
    fatal: Option<Error>,
}

/// Builds an [`OAuth2`].
#[derive(Debug)]
pub struct OAuth2Builder {
    endpoint: TokenEndpoint,
    grant: Grant,
    signer: Option<Arc<dyn AssertionSigner>>,
    store: Option<Arc<dyn TokenStore>>,
    skew: Duration,
    min_interval: Duration,
}

impl OAuth2 {
    /// Client-credentials auth against `endpoint`.
    pub fn client_credentials(endpoint: TokenEndpoint) -> OAuth2Builder {
        OAuth2Builder::new(endpoint, Grant::ClientCredentials, None)
    }

    /// Refresh-token auth: the tokens are loaded from and saved to `store`.
    pub fn refresh_token(
        endpoint: TokenEndpoint,
        store: impl TokenStore + 'static,
    ) -> OAuth2Builder {
        OAuth2Builder::new(endpoint, Grant::RefreshToken, Some(Arc::new(store)))
    }

    /// JWT bearer auth: every token is obtained with a fresh assertion from `signer`
    /// (there is no refresh token; an expired or refused token is replaced the same way).
    pub fn jwt_bearer(
        endpoint: TokenEndpoint,
        signer: impl AssertionSigner + 'static,
    ) -> OAuth2Builder {
        let mut b = OAuth2Builder::new(endpoint, Grant::JwtBearer, None);
        b.signer = Some(Arc::new(signer));
        b
    }

    /// How many times tokens were obtained from the token endpoint.
    pub fn refreshes(&self) -> u64 {
        self.refreshes.load(Ordering::Relaxed)
    }

    /// The grant in use.
    pub fn grant(&self) -> Grant {
        self.grant
    }

    fn current(&self) -> MutexGuard<'_, Current> {
        self.current.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The current token if it is alive and not about to expire.
    fn usable(&self) -> Option<(SecretString, AuthGeneration)> {
        let c = self.current();
        let token = c.token.as_ref()?;
        let expiring =
            c.expires_at.is_some_and(|at| clock::now_utc() + clock::delta(self.skew) >= at);
        (!c.dead && !expiring).then(|| (token.clone(), AuthGeneration(c.generation)))
    }

    /// The current token even if it is near expiry, when refreshing now is too early.
    fn too_early(&self, st: &RefreshState) -> Option<(SecretString, AuthGeneration)> {
        let recent = st.last_refresh.is_some_and(|t| t.elapsed() < self.min_interval);
        let c = self.current();
        match &c.token {
            Some(t) if recent && !c.dead => Some((t.clone(), AuthGeneration(c.generation))),
            _ => None,
        }
    }

    fn install(&self, token: SecretString, expires_at: Option<DateTime<Utc>>) -> AuthGeneration {
        let mut c = self.current();
        c.token = Some(token);
        c.expires_at = expires_at;
        c.generation += 1;
        c.dead = false;
        AuthGeneration(c.generation)
    }

    async fn load(&self, st: &mut RefreshState) -> Result<()> {
        if st.loaded {
            return Ok(());
        }
        if let Some(store) = &self.store {
            if let Some(tokens) = store.load().await? {
                st.refresh_token = tokens.refresh_token.clone();
                if tokens.has_access_token() {
                    self.install(tokens.access_token, tokens.expires_at);
                }
            }
        }
        st.loaded = true;
        Ok(())
    }

    async fn obtain(&self) -> Result<(SecretString, AuthGeneration)> {
        let mut st = self.refresh.lock().await;
        self.load(&mut st).await?;
        if let Some(t) = self.usable().or_else(|| self.too_early(&st)) {
            return Ok(t);
        }
        self.refresh_locked(&mut st).await
    }

    /// Obtains new tokens, saves them, then installs them. Call with the refresh lock held.
    async fn refresh_locked(
        &self,
        st: &mut RefreshState,
    ) -> Result<(SecretString, AuthGeneration)> {
        if let Some(e) = &st.fatal {
            return Err(e.clone());
        }
        // Held (across processes sharing the stored tokens) until the new tokens are saved.
        let mut guard = None;
        let tokens = match st.pending_save.take() {
            Some(pending) => pending,
            None => {
                let answer = match self.grant {
                    Grant::ClientCredentials => self.endpoint.client_credentials().await,
                    Grant::JwtBearer => match &self.signer {
                        Some(signer) => match signer.assertion() {
                            Ok(assertion) => self.endpoint.jwt_bearer(&assertion).await,
                            Err(e) => Err(e),
                        },
                        None => Err(Error::config("the JWT bearer grant has no signer")),
                    },
                    Grant::RefreshToken => {
                        // Other processes may share the stored tokens (workers of a fleet):
                        // hold them for this refresh, and take theirs if one rotated them.
                        guard = match &self.store {
                            Some(store) => store.exclusive().await?,
                            None => None,
                        };
                        if let (Some(_), Some(store)) = (&guard, &self.store) {
                            if let Some(theirs) = store.load().await? {
                                let rotated =
                                    theirs.refresh_token.as_ref().map(|t| t.expose_secret())
                                        != st.refresh_token.as_ref().map(|t| t.expose_secret());
                                if rotated {
                                    st.refresh_token = theirs.refresh_token.clone();
                                    if !theirs.needs_refresh(self.skew) {
                                        let generation = self.install(
                                            theirs.access_token.clone(),
                                            theirs.expires_at,
                                        );
                                        tracing::debug!(
                                            generation = generation.0,
                                            "oauth2 tokens another process renewed"
                                        );
                                        return Ok((theirs.access_token, generation));
                                    }
                                }
                            }
                        }
                        let rt = st.refresh_token.clone().ok_or_else(no_refresh_token)?;
                        self.endpoint.refresh(&rt).await
                    }
                };
                let answer = match answer {
                    Ok(a) => a,
                    Err(e) => {
                        if self.grant == Grant::RefreshToken && e.kind() == ErrorKind::Auth {
                            st.fatal = Some(e.clone());
                        }
                        return Err(e);
                    }
                };
                st.last_refresh = Some(Instant::now());
                self.refreshes.fetch_add(1, Ordering::Relaxed);
                let mut tokens = answer.tokens;
                if tokens.refresh_token.is_none() {
                    tokens.refresh_token = st.refresh_token.clone();
                }
                tokens
            }
        };
        if let Some(store) = &self.store {
            if let Err(e) = store.save(&tokens).await {
                st.pending_save = Some(tokens);
                return Err(e.context("the new tokens could not be saved, so they are not used"));
            }
        }
        drop(guard);
        st.refresh_token = tokens.refresh_token.clone();
        let generation = self.install(tokens.access_token.clone(), tokens.expires_at);
        tracing::debug!(generation = generation.0, "oauth2 tokens renewed");
        Ok((tokens.access_token, generation))
    }
}

fn no_refresh_token() -> Error {
    Error::new(ErrorKind::Auth, "no refresh token is stored: authorise the connection first")
        .with_retry_class(RetryClass::Never)
}

#[async_trait]
impl Auth for OAuth2 {
    async fn apply(&self, target: &mut AuthTarget<'_>) -> Result<AuthGeneration> {
        let (token, generation) = match self.usable() {
            Some(t) => t,
            None => self.obtain().await?,
        };
        target.set_bearer(&token)?;
        Ok(generation)
    }

    async fn on_unauthorized(&self, used: AuthGeneration) -> Result<bool> {
        let mut st = self.refresh.lock().await;
        {
            let mut c = self.current();
            if c.generation != used.0 && c.token.is_some() && !c.dead {
                return Ok(true);
            }
            c.dead = true;
        }
        if self.grant == Grant::RefreshToken
            && st.refresh_token.is_none()
            && st.pending_save.is_none()
        {
            return Ok(false);
        }
        self.refresh_locked(&mut st).await?;
        Ok(true)
    }
}

impl fmt::Debug for OAuth2 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (generation, expires_at) = {
            let c = self.current();
            (c.generation, c.expires_at)
        };
        f.debug_struct("OAuth2")
            .field("grant", &self.grant)
            .field("endpoint", &self.endpoint)
            .field("signer", &self.signer)
            .field("store", &self.store)
            .field("refresh_skew", &self.skew)
            .field("min_refresh_interval", &self.min_interval)
            .field("generation", &generation)
            .field("expires_at", &expires_at)
            .field("refreshes", &self.refreshes())
            .finish_non_exhaustive()
    }
}

impl OAuth2Builder {
    fn new(endpoint: TokenEndpoint, grant: Grant, store: Option<Arc<dyn TokenStore>>) -> Self {
        Self {
            endpoint,
            grant,
            signer: None,
            store,
            skew: Duration::from_secs(60),
            min_interval: Duration::ZERO,
        }
    }

    /// Keeps client-credentials tokens in `store` too, so a restart reuses a live token.
    pub fn token_store(mut self, store: impl TokenStore + 'static) -> Self {
        self.store = Some(Arc::new(store));
        self
    }

    /// Refreshes this long before the access token expires (60 s by default). With a
    /// minimum refresh interval, keep `lifetime - skew >= interval` (Exact: 30 s).
    pub fn refresh_skew(mut self, skew: Duration) -> Self {
        self.skew = skew;
        self
    }

    /// Forbids a refresh sooner than this after the previous one, unless a `401` says the
    /// token is dead (Exact Online: 570 s). Zero by default.
    pub fn min_refresh_interval(mut self, interval: Duration) -> Self {
        self.min_interval = interval;
        self
    }

    /// The auth.
    pub fn build(self) -> OAuth2 {
        OAuth2 {
            endpoint: self.endpoint,
            grant: self.grant,
            signer: self.signer,
            store: self.store,
            skew: self.skew,
            min_interval: self.min_interval,
            current: Mutex::new(Current::default()),
            refresh: tokio::sync::Mutex::new(RefreshState::default()),
            refreshes: AtomicU64::new(0),
        }
    }
}
