//! How credentials reach a request: the [`Auth`] trait and the static kinds (header sets,
//! bearer tokens). OAuth2 lives in [`OAuth2`](super::OAuth2).

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use reqwest::Url;
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderName, HeaderValue};
use secrecy::{ExposeSecret, SecretString};

use crate::error::{Error, Result};

/// Which credentials a request was sent with, so a `401` can tell whether they were renewed
/// since (then the request is simply sent again) or are still the dead ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct AuthGeneration(pub u64);

/// The parts of an outgoing request that credentials may be added to.
#[derive(Debug)]
pub struct AuthTarget<'a> {
    /// The request's headers.
    pub headers: &'a mut HeaderMap,
    /// The request's URL (for APIs that take a key as a query parameter).
    pub url: &'a mut Url,
}

impl AuthTarget<'_> {
    /// Sets a header whose value is a secret; the value is marked sensitive.
    pub fn set_secret_header(&mut self, name: HeaderName, value: &SecretString) -> Result<()> {
        let mut v = HeaderValue::from_str(value.expose_secret()).map_err(|_| {
            Error::config(format!("the value for header {name} is not a valid header value"))
        })?;
        v.set_sensitive(true);
        self.headers.insert(name, v);
        Ok(())
    }

    /// Sets `Authorization: Bearer <token>`.
    pub fn set_bearer(&mut self, token: &SecretString) -> Result<()> {
        let mut v = HeaderValue::from_str(&format!("Bearer {}", token.expose_secret()))
            .map_err(|_| Error::config("the access token is not a valid header value"))?;
        v.set_sensitive(true);
        self.headers.insert(AUTHORIZATION, v);
        Ok(())
    }

    /// Appends a query parameter whose value is a secret. Logged URLs redact it by name
    /// only, so use a name that [`is_sensitive_name`](super::is_sensitive_name) knows.
    pub fn append_secret_query(&mut self, name: &str, value: &SecretString) {
        self.url.query_pairs_mut().append_pair(name, value.expose_secret());
    }
}

/// Puts credentials on requests and renews them when the server refuses them.
///
/// The client calls [`apply`](Auth::apply) before every attempt. On a `401` it calls
/// [`on_unauthorized`](Auth::on_unauthorized) once with the generation the attempt used;
/// `Ok(true)` means "renewed, send it again" and the request is sent once more.
#[async_trait]
pub trait Auth: Send + Sync + fmt::Debug {
    /// Adds credentials to the request; returns the generation of the credentials used.
    async fn apply(&self, target: &mut AuthTarget<'_>) -> Result<AuthGeneration>;

    /// Reacts to a `401` for a request sent with `used`. Returns whether the request should
    /// be sent again. Static credentials cannot be renewed and return `Ok(false)`.
    async fn on_unauthorized(&self, used: AuthGeneration) -> Result<bool> {
        let _ = used;
        Ok(false)
    }
}

#[async_trait]
impl<A: Auth + ?Sized> Auth for Arc<A> {
    async fn apply(&self, target: &mut AuthTarget<'_>) -> Result<AuthGeneration> {
        (**self).apply(target).await
    }
    async fn on_unauthorized(&self, used: AuthGeneration) -> Result<bool> {
        (**self).on_unauthorized(used).await
    }
}

/// No credentials (public endpoints, or auth carried another way).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoAuth;

#[async_trait]
impl Auth for NoAuth {
    async fn apply(&self, _target: &mut AuthTarget<'_>) -> Result<AuthGeneration> {
        Ok(AuthGeneration::default())
    }
}

/// A fixed set of secret headers: API keys (Skynamo's `x-api-key` with `x-api-client`),
/// SuperOffice's `SO-AppToken`, or any other header-borne credential.
#[derive(Clone, Default)]
pub struct HeaderAuth {
    headers: Vec<(HeaderName, SecretString)>,
}

impl HeaderAuth {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// A set with one header (`x-api-key: <key>`).
    pub fn api_key(name: &str, key: SecretString) -> Result<Self> {
        Self::new().header(name, key)
    }

    /// Adds a header. Fails with a configuration error if the name is not a valid header name.
    pub fn header(mut self, name: &str, value: SecretString) -> Result<Self> {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| Error::config(format!("{name:?} is not a valid header name")))?;
        if HeaderValue::from_str(value.expose_secret()).is_err() {
            return Err(Error::config(format!("the value for header {name} is not valid")));
        }
        self.headers.retain(|(n, _)| *n != name);
        self.headers.push((name, value));
        Ok(self)
    }
}

impl fmt::Debug for HeaderAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("HeaderAuth").field("headers", &names).finish_non_exhaustive()
    }
}

#[async_trait]
impl Auth for HeaderAuth {
    async fn apply(&self, target: &mut AuthTarget<'_>) -> Result<AuthGeneration> {
        for (name, value) in &self.headers {
            target.set_secret_header(name.clone(), value)?;
        }
        Ok(AuthGeneration::default())
    }
}

/// A static bearer token (`Authorization: Bearer <token>`).
#[derive(Clone)]
pub struct BearerToken {
    token: SecretString,
}

impl BearerToken {
    /// A bearer token.
    pub fn new(token: SecretString) -> Self {
        Self { token }
    }
}

impl fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BearerToken").finish_non_exhaustive()
    }
}

#[async_trait]
impl Auth for BearerToken {
    async fn apply(&self, target: &mut AuthTarget<'_>) -> Result<AuthGeneration> {
        target.set_bearer(&self.token)?;
        Ok(AuthGeneration::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn header_auth_sets_sensitive_headers() {
        let auth = HeaderAuth::api_key("x-api-key", "K-123".into())
            .unwrap()
            .header("x-api-client", "demo".into())
            .unwrap();
        let mut headers = HeaderMap::new();
        let mut url = Url::parse("https://api.example/v1").unwrap();
        auth.apply(&mut AuthTarget { headers: &mut headers, url: &mut url }).await.unwrap();
        assert_eq!(headers["x-api-key"], "K-123");
        assert!(headers["x-api-key"].is_sensitive());
        assert_eq!(headers["x-api-client"], "demo");
        assert!(!format!("{auth:?}").contains("K-123"));
        assert!(!auth.on_unauthorized(AuthGeneration(0)).await.unwrap());
        assert!(HeaderAuth::new().header("bad name", "x".into()).is_err());
        assert!(HeaderAuth::new().header("x", "bad\nvalue".into()).is_err());
    }

    #[tokio::test]
    async fn bearer_sets_authorization() {
        let auth = BearerToken::new("T0K".into());
        let mut headers = HeaderMap::new();
        let mut url = Url::parse("https://api.example/v1").unwrap();
        auth.apply(&mut AuthTarget { headers: &mut headers, url: &mut url }).await.unwrap();
        assert_eq!(headers[AUTHORIZATION], "Bearer T0K");
        assert!(!format!("{auth:?}").contains("T0K"));
    }
}
