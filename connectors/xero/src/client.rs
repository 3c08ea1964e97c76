//! The connection: OAuth2 with rotating refresh tokens, tenant selection through
//! `GET /connections`, the per-tenant and per-app rate budgets, Xero's error bodies.

use std::sync::Arc;
use std::time::Duration;

use connector_core::http::{
    ClientAuthMethod, HeaderMap, HttpClient, MemoryTokenStore, OAuth2, RateBudget, RetryPolicy,
    TokenEndpoint, TokenSet, TokenStore, body_excerpt,
};
use connector_core::model::Currency;
use connector_core::{Error, ErrorKind, FieldError};
use secrecy::SecretString;
use tokio::sync::OnceCell;

use crate::config::{TenantSelector, XeroConfig};
use crate::limits;
use crate::wire;

/// The connector's name.
pub const NAME: &str = "xero";

/// A connection to one Xero organisation, shared by every source and sink of a run so the
/// single-use refresh token is renewed in one place. Made without I/O; the session (token,
/// tenant, base currency) is opened on first use, once.
#[derive(Debug, Clone)]
pub struct XeroClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: XeroConfig,
    auth: Arc<OAuth2>,
    store: Arc<dyn TokenStore>,
    session: OnceCell<Session>,
}

/// What connecting found: the tenant, its HTTP client and its currency.
#[derive(Debug)]
struct Session {
    http: HttpClient,
    tenant_id: String,
    tenant_name: Option<String>,
    currency: Currency,
}

fn token_endpoint(config: &XeroConfig) -> Result<TokenEndpoint, Error> {
    Ok(TokenEndpoint::new(&config.token_url, config.client_id.clone())?
        .client_secret(config.client_secret.clone())
        .client_auth(ClientAuthMethod::BasicHeader)
        .connector(NAME))
}

/// Exchanges an authorization code (from the consent redirect to `redirect_uri`) for
/// tokens and saves them to `store`: the first step of connecting an organisation. Pass the
/// PKCE verifier when the authorize call used one.
pub async fn exchange_authorization_code(
    config: &XeroConfig,
    store: &dyn TokenStore,
    code: &SecretString,
    redirect_uri: &str,
    code_verifier: Option<&SecretString>,
) -> Result<TokenSet, Error> {
    let answer = token_endpoint(config)?.exchange_code(code, redirect_uri, code_verifier).await?;
    store.save(&answer.tokens).await?;
    Ok(answer.tokens)
}

/// Turns a non-2xx Xero answer into an error: `ValidationException` messages become field
/// errors, `401`/`403` problem details keep their `Detail`.
pub fn refine_error(status: u16, headers: &HeaderMap, body: &[u8]) -> Error {
    let mut e = match serde_json::from_slice::<wire::ApiError>(body) {
        Ok(api) => {
            let messages: Vec<String> = api
                .elements
                .iter()
                .flat_map(|el| el.validation_errors.iter().map(|v| v.message.clone()))
                .collect();
            let head =
                api.message.or(api.detail).or(api.title).unwrap_or_else(|| body_excerpt(body));
            let message = if messages.is_empty() {
                format!("Xero answered {status}: {head}")
            } else {
                format!("Xero answered {status}: {head}: {}", messages.join("; "))
            };
            let mut e = Error::from_status(status, message);
            if !messages.is_empty() {
                e = e.with_field_errors(
                    messages.into_iter().map(|m| FieldError::new("record", m)).collect(),
                );
            }
            e
        }
        Err(_) => {
            Error::from_status(status, format!("Xero answered {status}: {}", body_excerpt(body)))
        }
    };
    if status == 429 {
        let problem = headers
            .get("x-rate-limit-problem")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("unknown")
            .to_owned();
        if let Some(d) = headers
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(connector_core::http::parse_retry_after)
        {
            e = e.with_retry_after(d);
        }
        if problem.eq_ignore_ascii_case("day") {
            e = e.with_kind(ErrorKind::BudgetExhausted);
        }
        e = e.context(format!("rate limit: {problem}"));
    }
    e
}

fn build_http(
    base: &str,
    auth: Arc<OAuth2>,
    budgets: Vec<RateBudget>,
    tenant: Option<&str>,
) -> Result<HttpClient, Error> {
    let mut b = HttpClient::builder(NAME, base)
        .auth(auth)
        .retry(
            RetryPolicy::default()
                .with_backoff(Duration::from_millis(500), Duration::from_secs(90)),
        )
        .attempt_timeout(Duration::from_secs(60))
        .deadline(Duration::from_secs(600))
        .error_refiner(refine_error)
        .rate_feedback(limits::feedback)
        .default_header("accept", "application/json");
    for budget in budgets {
        b = b.rate_budget(budget);
    }
    if let Some(t) = tenant {
        b = b.default_header("xero-tenant-id", t);
    }
    b.build()
}

impl XeroClient {
    /// A client for the configuration: tokens in `store` (seeded with the configured refresh
    /// token when it holds none), or in memory. No I/O: see [`XeroClient::connect`].
    pub fn new(config: XeroConfig, store: Option<Arc<dyn TokenStore>>) -> Result<Self, Error> {
        let store: Arc<dyn TokenStore> = match store {
            Some(s) => s,
            None => Arc::new(MemoryTokenStore::new(
                config.refresh_token.clone().map(TokenSet::from_refresh_token),
            )),
        };
        let auth = Arc::new(OAuth2::refresh_token(token_endpoint(&config)?, store.clone()).build());
        Ok(Self { inner: Arc::new(Inner { config, auth, store, session: OnceCell::new() }) })
    }

    /// A client with its session open: the tenant from `GET /connections`, the base currency
    /// from `GET /Organisation` unless configured.
    pub async fn connect(
        config: XeroConfig,
        store: Option<Arc<dyn TokenStore>>,
    ) -> Result<Self, Error> {
        let client = Self::new(config, store)?;
        client.session().await?;
        Ok(client)
    }

    /// The session, opened on the first call; a failed opening is tried again next time.
    async fn session(&self) -> Result<&Session, Error> {
        self.inner.session.get_or_try_init(|| self.open_session()).await
    }

    async fn open_session(&self) -> Result<Session, Error> {
        let config = &self.inner.config;
        let store = &self.inner.store;
        if store.load().await?.is_none() {
            match &config.refresh_token {
                Some(rt) => store.save(&TokenSet::from_refresh_token(rt.clone())).await?,
                None => {
                    return Err(Error::config(
                        "no Xero refresh token: set CONNECTOR_XERO_REFRESH_TOKEN or exchange an authorization code first",
                    ));
                }
            }
        }
        let auth = &self.inner.auth;
        let app = RateBudget::shared(
            &format!("xero:app:{}:{}", config.client_id, config.api_url),
            limits::app_budget,
        );
        let connections =
            build_http(&config.connections_url, auth.clone(), vec![app.clone()], None)?;
        let list: Vec<wire::Connection> = connections
            .get(&config.connections_url)
            .operation("GET /connections")
            .send_json()
            .await
            .map_err(|e| e.context("listing the connected Xero organisations"))?;
        let chosen = choose_tenant(&list, &config.tenant)?;
        let tenant_budget = RateBudget::shared(
            &format!("xero:tenant:{}:{}", chosen.tenant_id, config.api_url),
            limits::tenant_budget,
        );
        let http = build_http(
            &config.api_url,
            auth.clone(),
            vec![tenant_budget, app],
            Some(&chosen.tenant_id),
        )?;
        let currency = match config.base_currency {
            Some(c) => c,
            None => {
                let org: serde_json::Value =
                    http.get("Organisation").operation("GET /Organisation").send_json().await?;
                let code = org["Organisations"][0]["BaseCurrency"].as_str().unwrap_or_default();
                Currency::new(code).map_err(|e| e.context("Organisation.BaseCurrency"))?
            }
        };
        Ok(Session {
            http,
            tenant_id: chosen.tenant_id.clone(),
            tenant_name: chosen.tenant_name.clone(),
            currency,
        })
    }

    /// The HTTP client of the accounting API (sends `xero-tenant-id`), once connected.
    pub async fn http(&self) -> Result<&HttpClient, Error> {
        Ok(&self.session().await?.http)
    }

    /// The chosen tenant's id, once connected.
    pub fn tenant_id(&self) -> Option<&str> {
        self.inner.session.get().map(|s| s.tenant_id.as_str())
    }

    /// The chosen organisation's name, as `GET /connections` gave it, once connected.
    pub fn tenant_name(&self) -> Option<&str> {
        self.inner.session.get().and_then(|s| s.tenant_name.as_deref())
    }

    /// The organisation's base currency (connecting first if need be).
    pub async fn currency(&self) -> Result<Currency, Error> {
        Ok(self.session().await?.currency)
    }

    /// The configuration.
    pub fn config(&self) -> &XeroConfig {
        &self.inner.config
    }

    /// How many times tokens were refreshed.
    pub fn token_refreshes(&self) -> u64 {
        self.inner.auth.refreshes()
    }

    /// A connection test: connecting, then one call to `/Organisation`.
    pub async fn check(&self) -> Result<(), Error> {
        let http = self.http().await?;
        http.get("Organisation").operation("GET /Organisation").send().await.map(|_| ())
    }
}

fn choose_tenant<'a>(
    list: &'a [wire::Connection],
    selector: &TenantSelector,
) -> Result<&'a wire::Connection, Error> {
    let orgs: Vec<&wire::Connection> = list
        .iter()
        .filter(|c| c.tenant_type.as_deref().is_none_or(|t| t.eq_ignore_ascii_case("ORGANISATION")))
        .collect();
    let names = || {
        orgs.iter()
            .map(|c| c.tenant_name.clone().unwrap_or_default())
            .collect::<Vec<_>>()
            .join(", ")
    };
    match selector {
        TenantSelector::Only => match orgs.as_slice() {
            [one] => Ok(one),
            [] => Err(Error::config("the Xero token reaches no organisation: reconnect the app")),
            _ => Err(Error::config(format!(
                "the Xero token reaches several organisations ({}): set CONNECTOR_XERO_TENANT_ID",
                names()
            ))),
        },
        TenantSelector::Id(id) => {
            orgs.iter().copied().find(|c| c.tenant_id.eq_ignore_ascii_case(id)).ok_or_else(|| {
                Error::config(format!("no connected Xero organisation has tenant id {id}"))
            })
        }
        TenantSelector::Name(name) => {
            let hits: Vec<_> = orgs
                .iter()
                .copied()
                .filter(|c| c.tenant_name.as_deref() == Some(name.as_str()))
                .collect();
            match hits.as_slice() {
                [one] => Ok(one),
                [] => Err(Error::config(format!(
                    "no connected Xero organisation is named exactly {name:?} (connected: {})",
                    names()
                ))),
                _ => Err(Error::config(format!(
                    "several connected Xero organisations are named {name:?}: use the tenant id"
                ))),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn(id: &str, name: &str) -> wire::Connection {
        wire::Connection {
            id: None,
            tenant_id: id.into(),
            tenant_type: Some("ORGANISATION".into()),
            tenant_name: Some(name.into()),
        }
    }

    #[test]
    fn tenants_by_id_name_or_the_only_one() {
        let list = vec![conn("a", "Demo Company (NZ)"), conn("b", "Acme Ltd")];
        assert_eq!(choose_tenant(&list, &TenantSelector::Id("B".into())).unwrap().tenant_id, "b");
        assert_eq!(
            choose_tenant(&list, &TenantSelector::Name("Acme Ltd".into())).unwrap().tenant_id,
            "b"
        );
        assert!(choose_tenant(&list, &TenantSelector::Name("acme ltd".into())).is_err());
        let e = choose_tenant(&list, &TenantSelector::Only).unwrap_err();
        assert!(e.message().contains("Acme Ltd"), "{}", e.message());
        assert_eq!(choose_tenant(&list[..1], &TenantSelector::Only).unwrap().tenant_id, "a");
    }

    #[test]
    fn validation_errors_become_field_errors() {
        let body = br#"{"ErrorNumber":10,"Type":"ValidationException","Message":"A validation exception occurred","Elements":[{"ValidationErrors":[{"Message":"Email address must be valid."}]}]}"#;
        let e = refine_error(400, &HeaderMap::new(), body);
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        assert_eq!(e.field_errors()[0].message, "Email address must be valid.");
    }
}
