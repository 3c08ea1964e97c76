//! [`TokenIssuer`]: bearer and refresh tokens for simulated OAuth servers.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::time::Instant;

use super::{Faults, SimRequest, SimResponse, lock};

/// Tokens handed out by [`TokenIssuer::issue`] or [`TokenIssuer::refresh`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedTokens {
    /// Who the tokens are for (a client id, a tenant).
    pub subject: String,
    /// The bearer token.
    pub access_token: String,
    /// The refresh token, if one was issued.
    pub refresh_token: Option<String>,
    /// How long the access token lives.
    pub expires_in: Duration,
}

impl IssuedTokens {
    /// The standard OAuth 2 token response body (`expires_in` in seconds, as a number).
    pub fn to_json(&self) -> Value {
        let mut body = json!({
            "access_token": self.access_token,
            "token_type": "Bearer",
            "expires_in": self.expires_in.as_secs(),
        });
        if let (Some(refresh), Some(obj)) = (&self.refresh_token, body.as_object_mut()) {
            obj.insert("refresh_token".to_owned(), Value::from(refresh.as_str()));
        }
        body
    }
}

/// Why a token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// The request had no bearer token.
    #[error("no bearer token")]
    Missing,
    /// The token was never issued (or was forgotten by `expire_all`).
    #[error("unknown token")]
    Unknown,
    /// The token's lifetime is over, or it was expired by [`Faults::expire_tokens`].
    #[error("token expired")]
    Expired,
    /// The refresh token was already used once and rotation is on.
    #[error("refresh token already used")]
    RefreshReused,
}

impl TokenError {
    /// The usual answer: 401 with `WWW-Authenticate` for a bad access token; 400
    /// `{"error":"invalid_grant"}` for a bad refresh token ([`TokenError::RefreshReused`],
    /// or any error returned by [`TokenIssuer::refresh`]).
    pub fn to_response(self, refreshing: bool) -> SimResponse {
        if refreshing {
            return SimResponse::json(
                400,
                json!({ "error": "invalid_grant", "error_description": self.to_string() }),
            );
        }
        SimResponse::json(
            401,
            json!({ "error": "invalid_token", "error_description": self.to_string() }),
        )
        .with_header("WWW-Authenticate", "Bearer error=\"invalid_token\"")
    }
}

/// Counters of what a [`TokenIssuer`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TokenStats {
    /// Token sets issued by [`TokenIssuer::issue`] (an authorisation or client-credentials
    /// grant).
    pub issued: u64,
    /// Successful refreshes.
    pub refreshed: u64,
    /// Refresh attempts refused.
    pub refresh_refused: u64,
    /// Access tokens accepted.
    pub accepted: u64,
    /// Access tokens refused (missing, unknown, expired).
    pub refused: u64,
}

struct AccessToken {
    subject: String,
    expires_at: Instant,
    generation: u64,
}

struct RefreshToken {
    subject: String,
    expires_at: Instant,
    used: bool,
}

struct IssuerState {
    prefix: String,
    access_ttl: Duration,
    refresh_ttl: Duration,
    rotate: bool,
    faults: Option<Faults>,
    counter: u64,
    rng: fastrand::Rng,
    access: HashMap<String, AccessToken>,
    refresh: HashMap<String, RefreshToken>,
    stats: TokenStats,
}

/// Issues and checks bearer tokens and refresh tokens, on tokio's clock. Cheap to clone;
/// clones share the tokens.
///
/// Defaults: access tokens live 30 minutes, refresh tokens 60 days, and refresh tokens rotate
/// (each works once; its refresh returns a new one), as Xero's and Exact's do.
#[derive(Clone)]
pub struct TokenIssuer {
    state: Arc<Mutex<IssuerState>>,
}

impl fmt::Debug for TokenIssuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = lock(&self.state);
        f.debug_struct("TokenIssuer")
            .field("access_ttl", &state.access_ttl)
            .field("refresh_ttl", &state.refresh_ttl)
            .field("rotate", &state.rotate)
            .field("stats", &state.stats)
            .finish_non_exhaustive()
    }
}

impl Default for TokenIssuer {
    fn default() -> Self {
        Self::new()
    }
}

impl TokenIssuer {
    /// An issuer with the defaults.
    pub fn new() -> Self {
        TokenIssuer {
            state: Arc::new(Mutex::new(IssuerState {
                prefix: "sim".to_owned(),
                access_ttl: Duration::from_secs(30 * 60),
                refresh_ttl: Duration::from_secs(60 * 24 * 60 * 60),
                rotate: true,
                faults: None,
                counter: 0,
                rng: fastrand::Rng::new(),
                access: HashMap::new(),
                refresh: HashMap::new(),
                stats: TokenStats::default(),
            })),
        }
    }

    /// Starts every token with `prefix` (`xero`, `exact`), to tell them apart in logs.
    #[must_use]
    pub fn prefix(self, prefix: &str) -> Self {
        lock(&self.state).prefix = prefix.to_owned();
        self
    }

    /// How long access tokens live.
    #[must_use]
    pub fn access_ttl(self, ttl: Duration) -> Self {
        lock(&self.state).access_ttl = ttl;
        self
    }

    /// How long refresh tokens live.
    #[must_use]
    pub fn refresh_ttl(self, ttl: Duration) -> Self {
        lock(&self.state).refresh_ttl = ttl;
        self
    }

    /// Whether a refresh token works only once (default) or stays valid.
    #[must_use]
    pub fn rotate_refresh_tokens(self, rotate: bool) -> Self {
        lock(&self.state).rotate = rotate;
        self
    }

    /// Lets [`Faults::expire_tokens`] expire this issuer's access tokens.
    #[must_use]
    pub fn linked_to(self, faults: &Faults) -> Self {
        lock(&self.state).faults = Some(faults.clone());
        self
    }

    /// Issues an access token and a refresh token for `subject`.
    pub fn issue(&self, subject: &str) -> IssuedTokens {
        let mut state = lock(&self.state);
        state.stats.issued += 1;
        state.mint(subject, true)
    }

    /// Issues an access token only (a client-credentials grant).
    pub fn issue_access_only(&self, subject: &str) -> IssuedTokens {
        let mut state = lock(&self.state);
        state.stats.issued += 1;
        state.mint(subject, false)
    }

    /// Trades a refresh token for new tokens. With rotation the old refresh token stops
    /// working and a new one is returned; without, the same one is returned.
    pub fn refresh(&self, refresh_token: &str) -> Result<IssuedTokens, TokenError> {
        let mut state = lock(&self.state);
        let now = Instant::now();
        let rotate = state.rotate;
        let verdict = match state.refresh.get_mut(refresh_token) {
            None => Err(TokenError::Unknown),
            Some(t) if t.used => Err(TokenError::RefreshReused),
            Some(t) if now >= t.expires_at => Err(TokenError::Expired),
            Some(t) => {
                t.used = rotate;
                Ok(t.subject.clone())
            }
        };
        match verdict {
            Ok(subject) => {
                state.stats.refreshed += 1;
                let mut tokens = state.mint(&subject, rotate);
                if !rotate {
                    tokens.refresh_token = Some(refresh_token.to_owned());
                }
                Ok(tokens)
            }
            Err(e) => {
                state.stats.refresh_refused += 1;
                Err(e)
            }
        }
    }

    /// Checks an access token; returns its subject.
    pub fn validate(&self, access_token: &str) -> Result<String, TokenError> {
        let mut state = lock(&self.state);
        let generation = state.generation();
        let verdict = match state.access.get(access_token) {
            None => Err(TokenError::Unknown),
            Some(t) if t.generation != generation || Instant::now() >= t.expires_at => {
                Err(TokenError::Expired)
            }
            Some(t) => Ok(t.subject.clone()),
        };
        match verdict {
            Ok(_) => state.stats.accepted += 1,
            Err(_) => state.stats.refused += 1,
        }
        verdict
    }

    /// Checks the request's bearer token; returns its subject.
    pub fn authorize(&self, req: &SimRequest) -> Result<String, TokenError> {
        match req.bearer_token() {
            Some(token) => self.validate(token),
            None => {
                lock(&self.state).stats.refused += 1;
                Err(TokenError::Missing)
            }
        }
    }

    /// Forgets every access token issued so far (refresh tokens keep working).
    pub fn expire_all(&self) {
        lock(&self.state).access.clear();
    }

    /// What the issuer did so far.
    pub fn stats(&self) -> TokenStats {
        lock(&self.state).stats
    }
}

impl IssuerState {
    fn generation(&self) -> u64 {
        self.faults.as_ref().map_or(0, Faults::token_generation)
    }

    fn token(&mut self, kind: &str) -> String {
        self.counter += 1;
        format!("{}-{kind}-{}-{:016x}", self.prefix, self.counter, self.rng.u64(..))
    }

    fn mint(&mut self, subject: &str, with_refresh: bool) -> IssuedTokens {
        let now = Instant::now();
        let access_token = self.token("at");
        let generation = self.generation();
        self.access.insert(
            access_token.clone(),
            AccessToken {
                subject: subject.to_owned(),
                expires_at: now + self.access_ttl,
                generation,
            },
        );
        let refresh_token = with_refresh.then(|| {
            let token = self.token("rt");
            self.refresh.insert(
                token.clone(),
                RefreshToken {
                    subject: subject.to_owned(),
                    expires_at: now + self.refresh_ttl,
                    used: false,
                },
            );
            token
        });
        IssuedTokens {
            subject: subject.to_owned(),
            access_token,
            refresh_token,
            expires_in: self.access_ttl,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn tokens_expire_rotate_and_count() {
        let faults = Faults::new();
        let issuer = TokenIssuer::new().access_ttl(Duration::from_secs(600)).linked_to(&faults);
        let first = issuer.issue("acme");
        assert_eq!(issuer.validate(&first.access_token).as_deref(), Ok("acme"));
        tokio::time::advance(Duration::from_secs(600)).await;
        assert_eq!(issuer.validate(&first.access_token), Err(TokenError::Expired));

        let refresh = first.refresh_token.clone().unwrap();
        let second = issuer.refresh(&refresh).unwrap();
        assert_eq!(issuer.refresh(&refresh), Err(TokenError::RefreshReused));
        assert_ne!(second.refresh_token, first.refresh_token);
        assert!(issuer.validate(&second.access_token).is_ok());
        faults.expire_tokens();
        assert_eq!(issuer.validate(&second.access_token), Err(TokenError::Expired));
        assert_eq!(issuer.validate("nope"), Err(TokenError::Unknown));

        let stats = issuer.stats();
        assert_eq!((stats.issued, stats.refreshed, stats.refresh_refused), (1, 1, 1));
        assert_eq!((stats.accepted, stats.refused), (2, 3));
        assert_eq!(second.to_json()["expires_in"], 600);
    }
}
