//! OAuth2 token sets and where they are kept between runs.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::error::{Error, Result};

use super::clock;

/// An access token, the refresh token that renews it, and when the access token expires.
///
/// Every secret is a [`SecretString`]; `Debug` prints none of them.
#[derive(Clone)]
pub struct TokenSet {
    /// The access token. Empty when only a refresh token is known.
    pub access_token: SecretString,
    /// The refresh token, if the grant issues one.
    pub refresh_token: Option<SecretString>,
    /// When the access token expires, if the server said.
    pub expires_at: Option<DateTime<Utc>>,
}

impl TokenSet {
    /// A token set.
    pub fn new(
        access_token: SecretString,
        refresh_token: Option<SecretString>,
        expires_at: Option<DateTime<Utc>>,
    ) -> Self {
        Self { access_token, refresh_token, expires_at }
    }

    /// The set as the JSON a token file or the state store keeps
    /// (`{"access_token", "refresh_token", "expires_at"}`): secrets in clear, for storage only.
    pub(crate) fn to_json(&self) -> serde_json::Value {
        use secrecy::ExposeSecret;
        serde_json::json!({
            "access_token": self.access_token.expose_secret(),
            "refresh_token": self.refresh_token.as_ref().map(|t| t.expose_secret().to_owned()),
            "expires_at": self.expires_at.map(|t| t.to_rfc3339()),
        })
    }

    /// A set from [`TokenSet::to_json`]'s JSON; missing parts are empty.
    pub(crate) fn from_json(v: &serde_json::Value) -> Self {
        let s = |k: &str| v[k].as_str().map(|s| SecretString::from(s.to_owned()));
        Self::new(
            s("access_token").unwrap_or_else(|| SecretString::from("")),
            s("refresh_token"),
            v["expires_at"]
                .as_str()
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                .map(|t| t.to_utc()),
        )
    }

    /// A set that holds only a refresh token: the first use refreshes it.
    pub fn from_refresh_token(refresh_token: SecretString) -> Self {
        Self {
            access_token: SecretString::from(""),
            refresh_token: Some(refresh_token),
            expires_at: None,
        }
    }

    /// Whether an access token is present.
    pub fn has_access_token(&self) -> bool {
        !self.access_token.expose_secret().is_empty()
    }

    /// Whether the access token is missing, or expires within `skew` from now.
    pub fn needs_refresh(&self, skew: Duration) -> bool {
        !self.has_access_token()
            || self.expires_at.is_some_and(|at| clock::now_utc() + clock::delta(skew) >= at)
    }
}

impl fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSet")
            .field("access_token", &if self.has_access_token() { "[REDACTED]" } else { "" })
            .field("refresh_token", &self.refresh_token.as_ref().map(|_| "[REDACTED]"))
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// Where tokens are kept between runs.
///
/// Rotating refresh tokens (Xero, Exact Online) are valid once: the HTTP layer calls
/// [`save`](TokenStore::save) with the new set *before* it uses the new access token, so a
/// crash never loses the only valid refresh token.
#[async_trait]
pub trait TokenStore: Send + Sync + fmt::Debug {
    /// The stored tokens, if any.
    async fn load(&self) -> Result<Option<TokenSet>>;
    /// Replaces the stored tokens. An error stops the new tokens from being used.
    async fn save(&self, tokens: &TokenSet) -> Result<()>;

    /// Holds the tokens for one refresh against every other process using them, until the
    /// guard is dropped; `None` when the store is this process's alone. While it is held the
    /// refresher loads the tokens again (another process may have rotated them meanwhile),
    /// refreshes only if they are still the ones it had, and saves.
    async fn exclusive(&self) -> Result<Option<crate::state::StateLock>> {
        Ok(None)
    }
}

#[async_trait]
impl<S: TokenStore + ?Sized> TokenStore for Arc<S> {
    async fn load(&self) -> Result<Option<TokenSet>> {
        (**self).load().await
    }
    async fn save(&self, tokens: &TokenSet) -> Result<()> {
        (**self).save(tokens).await
    }
    async fn exclusive(&self) -> Result<Option<crate::state::StateLock>> {
        (**self).exclusive().await
    }
}

/// A [`TokenStore`] in memory, for tests and short-lived processes. Clones share the tokens.
#[derive(Clone, Default)]
pub struct MemoryTokenStore {
    tokens: Arc<Mutex<Option<TokenSet>>>,
}

impl MemoryTokenStore {
    /// A store holding `tokens`.
    pub fn new(tokens: Option<TokenSet>) -> Self {
        Self { tokens: Arc::new(Mutex::new(tokens)) }
    }

    /// The tokens held now.
    pub fn current(&self) -> Option<TokenSet> {
        self.tokens.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

impl fmt::Debug for MemoryTokenStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryTokenStore").field("tokens", &self.current()).finish()
    }
}

#[async_trait]
impl TokenStore for MemoryTokenStore {
    async fn load(&self) -> Result<Option<TokenSet>> {
        Ok(self.current())
    }
    async fn save(&self, tokens: &TokenSet) -> Result<()> {
        *self.tokens.lock().unwrap_or_else(|p| p.into_inner()) = Some(tokens.clone());
        Ok(())
    }
}

/// A token endpoint's successful answer, as received.
#[derive(Deserialize)]
pub(crate) struct RawTokenResponse {
    pub access_token: SecretString,
    #[serde(default)]
    pub refresh_token: Option<SecretString>,
    #[serde(default, deserialize_with = "lenient_seconds")]
    pub expires_in: Option<u64>,
    #[serde(default)]
    pub token_type: Option<String>,
    #[serde(default)]
    pub scope: Option<String>,
    #[serde(default)]
    pub instance_url: Option<String>,
}

/// `expires_in` as a number (`3600`) or a string (`"600"`, Exact Online).
fn lenient_seconds<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    let v = Option::<serde_json::Value>::deserialize(d)?;
    let secs = match v {
        None | Some(serde_json::Value::Null) => return Ok(None),
        Some(serde_json::Value::Number(n)) => {
            n.as_u64().or_else(|| n.as_str().split('.').next().and_then(|i| i.parse().ok()))
        }
        Some(serde_json::Value::String(s)) => s.trim().parse().ok(),
        Some(_) => None,
    };
    secs.map(Some).ok_or_else(|| serde::de::Error::custom("expires_in is not a number of seconds"))
}

impl RawTokenResponse {
    /// Parses a token endpoint's body. The error never quotes the body: it holds secrets.
    pub(crate) fn parse(body: &[u8]) -> Result<Self> {
        serde_json::from_slice(body).map_err(|e| {
            Error::decode(format!(
                "the token endpoint's answer is not a token response (line {}, column {})",
                e.line(),
                e.column()
            ))
        })
    }

    /// The token set, with the expiry computed from now.
    pub(crate) fn token_set(&self) -> TokenSet {
        TokenSet {
            access_token: self.access_token.clone(),
            refresh_token: self.refresh_token.clone(),
            expires_at: self
                .expires_in
                .map(|s| clock::now_utc() + clock::delta(Duration::from_secs(s))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expires_in_as_number_or_string() {
        for body in [
            r#"{"access_token":"a","expires_in":600,"refresh_token":"r"}"#,
            r#"{"access_token":"a","expires_in":"600","refresh_token":"r","token_type":"bearer"}"#,
        ] {
            let r = RawTokenResponse::parse(body.as_bytes()).unwrap();
            assert_eq!(r.expires_in, Some(600));
            assert!(r.token_set().expires_at.is_some());
        }
        let r = RawTokenResponse::parse(br#"{"access_token":"a"}"#).unwrap();
        assert_eq!(r.expires_in, None);
        let e = RawTokenResponse::parse(br#"{"access_token":"SEKRIT","expires_in":"soon"}"#)
            .err()
            .unwrap();
        assert!(!e.to_string().contains("SEKRIT"), "{e}");
        assert!(RawTokenResponse::parse(b"not json").is_err());
    }

    #[test]
    fn debug_hides_secrets() {
        let t = TokenSet::new("AT-1".into(), Some("RT-1".into()), None);
        let s = format!("{t:?} {:?}", MemoryTokenStore::new(Some(t.clone())));
        assert!(!s.contains("AT-1") && !s.contains("RT-1"), "{s}");
        assert!(!TokenSet::from_refresh_token("r".into()).has_access_token());
        assert!(TokenSet::from_refresh_token("r".into()).needs_refresh(Duration::ZERO));
        assert!(!t.needs_refresh(Duration::from_secs(30)));
    }
}
