//! Settings: typed from text options ([`XeroSettings`]: a flow file's, `--option`, the
//! environment's `CONNECTOR_XERO_*`) or built in code.

use std::fmt;

use connector_core::Error;
use connector_core::model::Currency;
use secrecy::SecretString;
use serde::Deserialize;

/// `CONNECTOR_XERO_CLIENT_ID`: the app's OAuth2 client id.
pub const ENV_CLIENT_ID: &str = "CONNECTOR_XERO_CLIENT_ID";

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
    #[serde(alias = "draft")]
    Draft,
    /// `SUBMITTED` for approval.
    #[serde(alias = "submitted")]
    Submitted,
    /// `AUTHORISED`.
    #[serde(alias = "authorised")]
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

/// Xero's settings as text options give them (`client_id = …`): what
/// [`XeroConfig::from_options`] reads. Only the app's id and secret are required.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct XeroSettings {
    /// The app's client id.
    pub client_id: String,
    /// The app's client secret.
    pub client_secret: SecretString,
    /// A refresh token from the consent flow (rotates on use).
    #[serde(default)]
    pub refresh_token: Option<SecretString>,
    /// The organisation: its tenant id or exact name.
    #[serde(default)]
    pub tenant_id: Option<String>,
    /// A file for the rotating refresh token (read by the system, not the client).
    #[serde(default)]
    pub token_file: Option<String>,
    /// Records per page, 1 to 1,000.
    #[serde(default)]
    pub page_size: Option<u32>,
    /// The accounting API.
    #[serde(default)]
    pub api_url: Option<String>,
    /// The token endpoint.
    #[serde(default)]
    pub token_url: Option<String>,
    /// The connections endpoint.
    #[serde(default)]
    pub connections_url: Option<String>,
    /// The organisation's base currency (default: read from `/Organisation`).
    #[serde(default)]
    pub base_currency: Option<Currency>,
    /// The status of invoices written from orders: `DRAFT`, `SUBMITTED` or `AUTHORISED`.
    #[serde(default)]
    pub order_invoice_status: Option<OrderInvoiceStatus>,
    /// The revenue account of lines written without one (default `200`).
    #[serde(default)]
    pub sales_account_code: Option<String>,
    /// The tracking category that carries the sales rep.
    #[serde(default)]
    pub rep_tracking_category: Option<String>,
    /// The code of the price list built from the items' sales prices.
    #[serde(default)]
    pub price_list_code: Option<String>,
}

impl XeroSettings {
    /// The configuration these settings describe.
    pub fn into_config(self) -> Result<XeroConfig, Error> {
        use secrecy::ExposeSecret;
        if self.client_id.trim().is_empty() || self.client_secret.expose_secret().is_empty() {
            return Err(Error::config("xero settings: client_id and client_secret are required"));
        }
        let mut c = XeroConfig::new(self.client_id.trim(), self.client_secret);
        c.refresh_token = self.refresh_token.filter(|t| !t.expose_secret().is_empty());
        c.tenant = TenantSelector::parse(self.tenant_id.as_deref().unwrap_or_default());
        if let Some(n) = self.page_size {
            if !(1..=MAX_PAGE_SIZE).contains(&n) {
                return Err(Error::config(format!(
                    "xero settings: page_size is 1 to {MAX_PAGE_SIZE}, not {n}"
                )));
            }
            c.page_size = n;
        }
        if let Some(v) = self.api_url {
            c.api_url = v;
        }
        if let Some(v) = self.token_url {
            c.token_url = v;
        }
        if let Some(v) = self.connections_url {
            c.connections_url = v;
        }
        c.base_currency = self.base_currency.or(c.base_currency);
        if let Some(v) = self.order_invoice_status {
            c.order_invoice_status = v;
        }
        if let Some(v) = self.sales_account_code {
            c.sales_account_code = Some(v);
        }
        c.rep_tracking_category = self.rep_tracking_category;
        if let Some(v) = self.price_list_code {
            c.price_list_code = v;
        }
        Ok(c)
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

    /// Reads `CONNECTOR_XERO_*` from the environment (as [`XeroConfig::from_options`] reads
    /// options: `CONNECTOR_XERO_PAGE_SIZE` is `page_size`).
    pub fn from_env() -> Result<Self, Error> {
        Self::from_options(&connector_core::system::options_from_env(crate::NAME))
    }

    /// Reads the settings from text options (a flow file's, `--option`, or the environment's):
    /// the keys of [`XeroSettings`], an unknown one refused.
    pub fn from_options(
        options: &std::collections::BTreeMap<String, String>,
    ) -> Result<Self, Error> {
        let s: XeroSettings = connector_core::system::read_settings(crate::NAME, options)?;
        s.into_config()
    }

    /// Whether the environment holds Xero credentials.
    pub fn env_present() -> bool {
        std::env::var(ENV_CLIENT_ID).is_ok_and(|v| !v.is_empty())
    }
}
