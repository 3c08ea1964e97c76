//! The HTTP client: auth, rate budget, retries, error bodies, reference data.

use std::sync::Arc;
use std::time::Duration;

use connector_core::http::{
    HeaderMap, HttpClient, OAuth2, RateBudget, RetryPolicy, TokenEndpoint, Window,
};
use connector_core::{Error, FieldError, Result};
use rust_decimal::Decimal;
use secrecy::SecretString;
use tokio::sync::OnceCell;

use crate::config::ProcountorConfig;
use crate::wire::{ErrorBody, VatInformation};

/// The connector's name in errors and logs.
pub const CONNECTOR: &str = "procountor";

/// The largest page `/invoices`, `/businesspartners` and `/products` return.
pub const MAX_PAGE_SIZE: u64 = 200;

/// A Procountor API client for one company (one API key). Cheap to clone.
#[derive(Debug, Clone)]
pub struct ProcountorClient {
    http: HttpClient,
    config: Arc<ProcountorConfig>,
    vats: Arc<OnceCell<Vec<Decimal>>>,
}

impl ProcountorClient {
    /// A client for `config`: the client-credentials grant with the API key, re-requested on
    /// a 401; a modest rate budget; retries of reads and of 429/5xx.
    pub fn new(config: ProcountorConfig) -> Result<Self> {
        let mut endpoint = TokenEndpoint::new(&config.token_endpoint_url(), &config.client_id)?
            .client_secret(config.client_secret.clone())
            .extra_param("api_key", config.api_key.clone())
            .connector(CONNECTOR);
        if let Some(uri) = &config.redirect_uri {
            endpoint = endpoint.extra_param("redirect_uri", SecretString::from(uri.clone()));
        }
        let auth = OAuth2::client_credentials(endpoint).build();
        let budget = RateBudget::builder()
            .name("procountor")
            .window(Window::new(
                "second",
                config.requests_per_second.max(1),
                Duration::from_secs(1),
            ))
            .max_concurrency(config.max_concurrency.max(1))
            .build();
        let http = HttpClient::builder(CONNECTOR, config.api_url.clone())
            .auth(auth)
            .rate_budget(budget)
            .retry(
                RetryPolicy::default()
                    .with_backoff(Duration::from_millis(200), Duration::from_secs(20)),
            )
            .error_refiner(refine_error)
            .build()?;
        Ok(Self { http, config: Arc::new(config), vats: Arc::new(OnceCell::new()) })
    }

    /// The underlying HTTP client.
    pub fn http(&self) -> &HttpClient {
        &self.http
    }

    /// The configuration.
    pub fn config(&self) -> &ProcountorConfig {
        &self.config
    }

    /// The VAT percentages the company may use on sales (`GET /vats/default`: the
    /// percentages of its own country marked `sales`), fetched once. None found is a
    /// configuration error: every invoice row would be refused.
    pub async fn vat_percentages(&self) -> Result<&[Decimal]> {
        let v = self
            .vats
            .get_or_try_init(|| async {
                let info: VatInformation = self
                    .http
                    .get("vats/default")
                    .operation("GET /vats/default")
                    .send_json()
                    .await?;
                let sales = info.sales_percentages();
                if sales.is_empty() {
                    return Err(Error::config(
                        "GET /vats/default lists no VAT percentage allowed on sales for the \
                         company: every invoice row would be refused",
                    )
                    .with_connector(CONNECTOR));
                }
                Ok::<_, Error>(sales)
            })
            .await?;
        Ok(v.as_slice())
    }

    /// A connection test: a token, then the company's VAT percentages for sales (at least
    /// one must be in use).
    pub async fn check(&self) -> Result<()> {
        self.vat_percentages().await.map(|_| ())
    }
}

/// Reads Procountor's error body into field errors.
pub fn refine_error(status: u16, _headers: &HeaderMap, body: &[u8]) -> Error {
    let parsed: Option<ErrorBody> = serde_json::from_slice(body).ok();
    let items = parsed.map(|b| b.errors).unwrap_or_default();
    if items.is_empty() {
        return connector_core::http::default_status_error(status, body);
    }
    let fields: Vec<FieldError> = items
        .iter()
        .map(|e| {
            FieldError::new(
                e.field.clone().unwrap_or_default(),
                e.message.clone().unwrap_or_else(|| "rejected".to_owned()),
            )
        })
        .collect();
    let message = fields
        .iter()
        .map(|f| if f.field.is_empty() { f.message.clone() } else { f.to_string() })
        .collect::<Vec<_>>()
        .join("; ");
    Error::from_status(status, format!("Procountor rejected the request: {message}"))
        .with_field_errors(fields)
}

#[cfg(test)]
mod tests {
    use super::*;
    use connector_core::ErrorKind;

    #[test]
    fn error_body_becomes_field_errors() {
        let body = br#"{"errors":[{"status":400,"field":"invoiceRows[0].vatPercent","message":"INVALID_VAT_PERCENT"},{"status":400,"field":"invoiceChannel","message":"Not allowed"}]}"#;
        let e = refine_error(400, &HeaderMap::new(), body);
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        assert_eq!(e.field_errors().len(), 2);
        assert_eq!(e.field_errors()[0].field, "invoiceRows[0].vatPercent");
        assert!(e.message().contains("INVALID_VAT_PERCENT"));
        let conflict = refine_error(
            409,
            &HeaderMap::new(),
            br#"{"errors":[{"status":409,"field":"version","message":"stale"}]}"#,
        );
        assert_eq!(conflict.kind(), ErrorKind::Conflict);
        let plain = refine_error(500, &HeaderMap::new(), b"oops");
        assert_eq!(plain.status(), Some(500));
    }
}
