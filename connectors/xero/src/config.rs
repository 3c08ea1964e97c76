//! Settings: from the environment (`CONNECTOR_XERO_*`) or from code.

use std::fmt;

use connector_core::Error;
use connector_core::model::Currency;
use secrecy::SecretString;
use serde::Deserialize;

/// `CONNECTOR_XERO_CLIENT_ID`: the app's OAuth2 client id.
pub const ENV_CLIENT_ID: &str = "CONNECTOR_XERO_CLIENT_ID";
/// `CONNECTOR_XERO_CLIENT_SECRET`: the app's OAuth2 client secret.
pub const ENV_CLIENT_SECRET: &str = "CONNECTOR_XERO_CLIENT_SECRET";
/// `CONNECTOR_XERO_REFRESH_TOKEN`: the refresh token to start from (single-use, rotated).
pub const ENV_REFRESH_TOKEN: &str = "CONNECTOR_XERO_REFRESH_TOKEN";
/// `CONNECTOR_XERO_TENANT_ID`: the tenant (organisation) id, or its exact name.
pub const ENV_TENANT_ID: &str = "CONNECTOR_XERO_TENANT_ID";
/// `CONNECTOR_XERO_API_URL`: the accounting API base URL.
pub const ENV_API_URL: &str = "CONNECTOR_XERO_API_URL";
/// `CONNECTOR_XERO_TOKEN_URL`: the OAuth2 token endpoint.
pub const ENV_TOKEN_URL: &str = "CONNECTOR_XERO_TOKEN_URL";
/// `CONNECTOR_XERO_CONNECTIONS_URL`: the endpoint listing the connected tenants.
pub const ENV_CONNECTIONS_URL: &str = "CONNECTOR_XERO_CONNECTIONS_URL";
/// `CONNECTOR_XERO_PAGE_SIZE`: records per page where Xero takes `pageSize` (1 to 1,000;
/// 1,000 by default: the fewest calls).
pub const ENV_PAGE_SIZE: &str = "CONNECTOR_XERO_PAGE_SIZE";

/// The default accounting API base URL.
pub const DEFAULT_API_URL: &str = "https://api.xero.com/api.xro/2.0";
/// The largest `pageSize` Xero serves.
pub const MAX_PAGE_SIZE: u32 = 1000;
/// The default token endpoint.
pub const DEFAULT_TOKEN_URL: &str = "https://identity.xero.com/connect/token";
/// The default connections endpoint.
pub const DEFAULT_CONNECTIONS_URL: &str = "https://api.xero.com/connections";

/// Which organisation to work in.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TenantSelector {
    /// The only tenant the token reaches (an error when it reaches several).
    Only,
    /// The tenant with this `tenantId`.
    Id(String),
    /// The tenant whose organisation name is exactly this (Skynamo Link asks for the name).
    Name(String),
}

impl TenantSelector {
    /// A GUID-shaped value selects by id, anything else by exact name; empty means the only
    /// tenant.
    pub fn parse(value: &str) -> Self {
        let v = value.trim();
        if v.is_empty() {
            TenantSelector::Only
        } else if looks_like_guid(v) {
            TenantSelector::Id(v.to_owned())
        } else {
            TenantSelector::Name(v.to_owned())
        }
    }
}

fn looks_like_guid(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, c)| {
            if matches!(i, 8 | 13 | 18 | 23) { c == '-' } else { c.is_ascii_hexdigit() }
        })
}

/// The status given to invoices created from orders.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum OrderInvoiceStatus {
    /// `DRAFT` (the default: someone in the office checks it).
    #[default]
    Draft,
    /// `SUBMITTED` for approval.
    Submitted,
    /// `AUTHORISED`.
    Authorised,
}

impl OrderInvoiceStatus {
    /// Xero's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderInvoiceStatus::Draft => "DRAFT",
            OrderInvoiceStatus::Submitted => "SUBMITTED",
            OrderInvoiceStatus::Authorised => "AUTHORISED",
        }
    }
}

/// Everything the Xero connector needs.
#[derive(Clone)]
pub struct XeroConfig {
    /// OAuth2 client id.
    pub client_id: String,
    /// OAuth2 client secret.
    pub client_secret: SecretString,
    /// The refresh token to start from when the token store holds none.
    pub refresh_token: Option<SecretString>,
    /// Which tenant.
    pub tenant: TenantSelector,
    /// Accounting API base URL.
    pub api_url: String,
    /// Token endpoint.
    pub token_url: String,
    /// Connections endpoint.
    pub connections_url: String,
    /// The currency of amounts without a `CurrencyCode`; read from `/Organisation` when `None`.
    pub base_currency: Option<Currency>,
    /// Records per page for endpoints that take `pageSize` (Contacts, Invoices), kept within
    /// 1 and [`MAX_PAGE_SIZE`] when sent; [`MAX_PAGE_SIZE`] by default (the fewest calls:
    /// 100k invoices in 100 calls instead of 1,000).
    pub page_size: u32,
    /// The status of invoices created from orders.
    pub order_invoice_status: OrderInvoiceStatus,
    /// The revenue account code put on lines written without one.
    pub sales_account_code: Option<String>,
    /// The tracking category that carries the sales rep (`Sales Rep`); `None` puts the rep in
    /// the reference instead.
    pub rep_tracking_category: Option<String>,
    /// The code of the price list built from the items' sales prices.
    pub price_list_code: String,
}

impl fmt::Debug for XeroConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("XeroConfig")
            .field("client_id", &self.client_id)
            .field("client_secret", &"[REDACTED]")
            .field("refresh_token", &self.refresh_token.as_ref().map(|_| "[REDACTED]"))
            .field("tenant", &self.tenant)
            .field("api_url", &self.api_url)
            .field("token_url", &self.token_url)
            .field("connections_url", &self.connections_url)
            .field("page_size", &self.page_size)
            .finish_non_exhaustive()
    }
}

impl XeroConfig {
    /// A configuration with the default URLs.
    pub fn new(client_id: impl Into<String>, client_secret: SecretString) -> Self {
        Self {
            client_id: client_id.into(),
            client_secret,
            refresh_token: None,
            tenant: TenantSelector::Only,
            api_url: DEFAULT_API_URL.to_owned(),
            token_url: DEFAULT_TOKEN_URL.to_owned(),
            connections_url: DEFAULT_CONNECTIONS_URL.to_owned(),
            base_currency: None,
            page_size: MAX_PAGE_SIZE,
            order_invoice_status: OrderInvoiceStatus::Draft,
            sales_account_code: Some("200".to_owned()),
            rep_tracking_category: None,
            price_list_code: "xero-sales".to_owned(),
        }
    }

    /// Reads `CONNECTOR_XERO_*` from the environment.
    pub fn from_env() -> Result<Self, Error> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Reads the settings through `get` (environment-style names).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let need = |k: &str| {
            get(k)
                .filter(|v| !v.trim().is_empty())
                .ok_or_else(|| Error::config(format!("{k} is not set")))
        };
        let mut c = Self::new(need(ENV_CLIENT_ID)?, SecretString::from(need(ENV_CLIENT_SECRET)?));
        c.refresh_token = get(ENV_REFRESH_TOKEN).filter(|v| !v.is_empty()).map(SecretString::from);
        c.tenant = TenantSelector::parse(&get(ENV_TENANT_ID).unwrap_or_default());
        if let Some(v) = get(ENV_API_URL).filter(|v| !v.is_empty()) {
            c.api_url = v;
        }
        if let Some(v) = get(ENV_TOKEN_URL).filter(|v| !v.is_empty()) {
            c.token_url = v;
        }
        if let Some(v) = get(ENV_CONNECTIONS_URL).filter(|v| !v.is_empty()) {
            c.connections_url = v;
        }
        if let Some(v) = get(ENV_PAGE_SIZE).filter(|v| !v.trim().is_empty()) {
            c.page_size =
                v.trim().parse().ok().filter(|n| (1..=MAX_PAGE_SIZE).contains(n)).ok_or_else(
                    || Error::config(format!("{ENV_PAGE_SIZE} is 1 to {MAX_PAGE_SIZE}, not {v:?}")),
                )?;
        }
        Ok(c)
    }

    /// Reads the settings from CLI-style options (`client_id`, `client_secret`,
    /// `refresh_token`, `tenant_id`, `api_url`, `token_url`, `connections_url`, `page_size`).
    pub fn from_options(
        options: &std::collections::BTreeMap<String, String>,
    ) -> Result<Self, Error> {
        Self::from_lookup(|k| {
            options.get(&k.trim_start_matches("CONNECTOR_XERO_").to_ascii_lowercase()).cloned()
        })
    }

    /// Whether the environment holds Xero credentials.
    pub fn env_present() -> bool {
        std::env::var(ENV_CLIENT_ID).is_ok_and(|v| !v.is_empty())
    }
}
