//! An OAuth2 token endpoint: client credentials, refresh and authorization-code grants.

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use reqwest::Url;
use reqwest::header::{ACCEPT, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use tokio::time::Instant;

use crate::error::{Error, ErrorKind, Result, RetryClass};

use super::redact::{redact_url, truncate};
use super::token::{RawTokenResponse, TokenSet};

/// How the client authenticates itself to the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClientAuthMethod {
    /// `client_id` and `client_secret` as form fields (Exact Online, Procountor, Salesforce).
    #[default]
    RequestBody,
    /// HTTP Basic with the client id and secret (Xero).
    BasicHeader,
}

/// A token endpoint's successful answer.
#[derive(Debug, Clone)]
pub struct TokenResponse {
    /// The tokens, with the expiry computed from `expires_in`.
    pub tokens: TokenSet,
    /// `token_type`, usually `bearer`.
    pub token_type: Option<String>,
    /// The granted scopes.
    pub scope: Option<String>,
    /// Salesforce's `instance_url`: the host every later call must go to.
    pub instance_url: Option<String>,
}

/// An OAuth2 token endpoint and the client's credentials for it.
///
/// Used by [`OAuth2`](super::OAuth2) to obtain and refresh tokens, and directly by a
/// connector's connect flow to exchange an authorization code.
#[derive(Clone)]
pub struct TokenEndpoint {
    url: Url,
    client_id: String,
    client_secret: Option<SecretString>,
    client_auth: ClientAuthMethod,
    extra: Vec<(String, SecretString)>,
    scope: Option<String>,
    timeout: Duration,
    connector: Option<Cow<'static, str>>,
    http: reqwest::Client,
}

#[derive(Deserialize)]
struct OAuthErrorBody {
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    error_description: Option<String>,
}

impl TokenEndpoint {
    /// An endpoint at `url` for the client `client_id`. Fails if the URL is invalid.
    pub fn new(url: &str, client_id: impl Into<String>) -> Result<Self> {
        let url = Url::parse(url)
            .map_err(|e| Error::config(format!("invalid token endpoint URL: {e}")))?;
        let http = reqwest::Client::builder()
            .build()
            .map_err(|e| Error::config(format!("could not build the HTTP client: {e}")))?;
        Ok(Self {
            url,
            client_id: client_id.into(),
            client_secret: None,
            client_auth: ClientAuthMethod::default(),
            extra: Vec::new(),
            scope: None,
            timeout: Duration::from_secs(30),
            connector: None,
            http,
        })
    }

    /// Sets the client secret.
    pub fn client_secret(mut self, secret: SecretString) -> Self {
        self.client_secret = Some(secret);
        self
    }

    /// Sets how the client authenticates (form fields by default).
    pub fn client_auth(mut self, method: ClientAuthMethod) -> Self {
        self.client_auth = method;
        self
    }

    /// Adds a form field sent with every grant (Procountor's `api_key` and `redirect_uri`).
    /// Values are treated as secrets.
    pub fn extra_param(mut self, name: impl Into<String>, value: SecretString) -> Self {
        self.extra.push((name.into(), value));
        self
    }

    /// Sets the scope requested with the client-credentials grant.
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into());
        self
    }

    /// Sets the timeout of one token request (30 s by default).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Names the connector in errors.
    pub fn connector(mut self, name: impl Into<Cow<'static, str>>) -> Self {
        self.connector = Some(name.into());
        self
    }

    /// The endpoint's URL.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The client-credentials grant.
    pub async fn client_credentials(&self) -> Result<TokenResponse> {
        let scope = self.scope.clone();
        let params: Vec<(&str, &str)> =
            scope.as_deref().map(|s| vec![("scope", s)]).unwrap_or_default();
        self.request("client_credentials", &params).await
    }

    /// The JWT bearer grant (RFC 7523): `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`
    /// with the signed `assertion`. The assertion authenticates the client, so neither the
    /// client id nor a secret is sent (extra parameters are).
    pub async fn jwt_bearer(&self, assertion: &SecretString) -> Result<TokenResponse> {
        self.send(
            super::jwt::JWT_BEARER_GRANT,
            "jwt-bearer",
            &[("assertion", assertion.expose_secret())],
            false,
        )
        .await
    }

    /// The refresh-token grant. The answer may carry a new refresh token (rotation): save
    /// it before using the new access token.
    pub async fn refresh(&self, refresh_token: &SecretString) -> Result<TokenResponse> {
        self.request("refresh_token", &[("refresh_token", refresh_token.expose_secret())]).await
    }

    /// The authorization-code grant: exchanges `code` (with the `redirect_uri` of the
    /// authorize call and the PKCE verifier, if one was used) for tokens.
    pub async fn exchange_code(
        &self,
        code: &SecretString,
        redirect_uri: &str,
        code_verifier: Option<&SecretString>,
    ) -> Result<TokenResponse> {
        let mut params = vec![("code", code.expose_secret()), ("redirect_uri", redirect_uri)];
        if let Some(v) = code_verifier {
            params.push(("code_verifier", v.expose_secret()));
        }
        self.request("authorization_code", &params).await
    }

    async fn request(&self, grant: &str, params: &[(&str, &str)]) -> Result<TokenResponse> {
        self.send(grant, grant, params, true).await
    }

    /// Posts a grant. `grant` is the `grant_type`, `label` names it in logs and errors, and
    /// `client_auth` says whether the client id and secret go along.
    async fn send(
        &self,
        grant_type: &str,
        grant: &str,
        params: &[(&str, &str)],
        client_auth: bool,
    ) -> Result<TokenResponse> {
        let operation = format!("oauth2 token ({grant})");
        let mut form: Vec<(&str, &str)> = vec![("grant_type", grant_type)];
        form.extend_from_slice(params);
        let mut builder = self.http.post(self.url.clone());
        match self.client_auth {
            _ if !client_auth => {}
            ClientAuthMethod::RequestBody => {
                form.push(("client_id", &self.client_id));
                if let Some(s) = &self.client_secret {
                    form.push(("client_secret", s.expose_secret()));
                }
            }
            ClientAuthMethod::BasicHeader => {
                builder = builder.basic_auth(
                    &self.client_id,
                    self.client_secret.as_ref().map(|s| s.expose_secret()),
                );
            }
        }
        for (k, v) in &self.extra {
            form.push((k, v.expose_secret()));
        }
        let builder =
            builder.form(&form).header(ACCEPT, HeaderValue::from_static("application/json"));
        let started = Instant::now();
        let hold = super::io_hold::hold();
        let sent = tokio::time::timeout(self.timeout, async {
            let resp = builder.send().await?;
            let status = resp.status().as_u16();
            let body = resp.bytes().await?;
            Ok::<_, reqwest::Error>((status, body))
        })
        .await;
        drop(hold);
        let elapsed_ms = started.elapsed().as_millis() as u64;
        let result = match sent {
            Err(_) => {
                tracing::debug!(url = %redact_url(&self.url), grant, elapsed_ms, "oauth2 token request timed out");
                Err(Error::new(
                    ErrorKind::Timeout,
                    format!("the token endpoint did not answer within {:?}", self.timeout),
                ))
            }
            Ok(Err(e)) => {
                tracing::debug!(url = %redact_url(&self.url), grant, elapsed_ms, "oauth2 token request failed");
                let kind = if e.is_timeout() { ErrorKind::Timeout } else { ErrorKind::Transport };
                Err(Error::new(kind, format!("token endpoint: {}", e.without_url())))
            }
            Ok(Ok((status, body))) => {
                tracing::debug!(url = %redact_url(&self.url), grant, status, elapsed_ms, "oauth2 token request");
                if (200..300).contains(&status) {
                    RawTokenResponse::parse(&body).map(|raw| TokenResponse {
                        tokens: raw.token_set(),
                        token_type: raw.token_type,
                        scope: raw.scope,
                        instance_url: raw.instance_url,
                    })
                } else {
                    Err(refused(status, grant, &body))
                }
            }
        };
        result.map_err(|e| {
            let e = e.with_operation(operation);
            match &self.connector {
                Some(c) => e.with_connector(c.clone()),
                None => e,
            }
        })
    }
}

/// The error for a non-2xx token answer. Only `error` and `error_description` are quoted.
fn refused(status: u16, grant: &str, body: &[u8]) -> Error {
    let parsed = serde_json::from_slice::<OAuthErrorBody>(body).ok();
    let code = parsed.as_ref().and_then(|p| p.error.as_deref()).unwrap_or("");
    let desc = parsed.as_ref().and_then(|p| p.error_description.as_deref()).unwrap_or("");
    let mut detail = truncate(code, 64);
    if !desc.is_empty() {
        detail = format!("{detail}: {}", truncate(desc, 200));
    }
    if matches!(status, 400 | 401) {
        let hint = if grant == "refresh_token" {
            "; the refresh token is no longer valid: reconnect the account"
        } else if grant == "jwt-bearer" {
            "; check the client id (iss), the username (sub), the audience (aud), the clock, \
             and that the certificate registered for the app matches the private key"
        } else {
            "; check the client credentials"
        };
        Error::new(
            ErrorKind::Auth,
            format!("the token endpoint refused the {grant} grant: {detail}{hint}"),
        )
        .with_status(status)
        .with_retry_class(RetryClass::Never)
    } else {
        Error::from_status(status, format!("the token endpoint failed: {detail}"))
    }
}

impl fmt::Debug for TokenEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let extra: Vec<&str> = self.extra.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("TokenEndpoint")
            .field("url", &redact_url(&self.url))
            .field("client_id", &self.client_id)
            .field("client_auth", &self.client_auth)
            .field("extra_params", &extra)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}
