//! Settings: typed from text options ([`AccountViewSettings`]: a flow file's, `--option`, the
//! environment's `CONNECTOR_ACCOUNTVIEW_*`) or built in code.

use connector_core::Error;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// The AccountView.Net REST API.
pub const DEFAULT_API_URL: &str = "https://www.accountview.net/api/v3";
/// The page size AccountView's clients use.
pub const DEFAULT_PAGE_SIZE: u32 = 200;

/// The settings of the connector, from text options; an unknown key is refused.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct AccountViewSettings {
    /// `rest` (AccountView.Net, the default) or `file` (import and export files in `folder`).
    #[serde(default)]
    pub transport: Option<String>,
    /// The app's client id (registered with Visma), for `rest`.
    #[serde(default)]
    pub client_id: Option<String>,
    /// The app's client secret, for `rest`.
    #[serde(default)]
    pub client_secret: Option<SecretString>,
    /// A refresh token from the consent flow.
    #[serde(default)]
    pub refresh_token: Option<SecretString>,
    /// A file for the refresh token (read by the system, not the client).
    #[serde(default)]
    pub token_file: Option<String>,
    /// The company (`X-Company`); default: the first `/companies` lists.
    #[serde(default)]
    pub company_id: Option<String>,
    /// The API (default `https://www.accountview.net/api/v3`).
    #[serde(default)]
    pub api_url: Option<String>,
    /// The token endpoint (default `<api_url>/token`).
    #[serde(default)]
    pub token_url: Option<String>,
    /// Rows per page (default 200).
    #[serde(default)]
    pub page_size: Option<u32>,
    /// The company's currency, of article prices (default EUR).
    #[serde(default)]
    pub currency: Option<String>,
    /// The code of the company's order business object (tables ART_HDR and ART_LINE), for
    /// reading and writing orders; `GET /accountviewsystembusinessobjects` lists the codes.
    #[serde(default)]
    pub order_business_object: Option<String>,
    /// The zone of AccountView's times (default `Europe/Amsterdam`; or `UTC`).
    #[serde(default)]
    pub timezone: Option<String>,
    /// For `file`: the folder whose `export/` AccountView's export definitions write to and
    /// whose `import/` its import definitions read from.
    #[serde(default)]
    pub folder: Option<String>,
    /// For `file`: how long an exported file's size must stand still before it is read, in
    /// seconds (default 2; AccountView leaves no marker).
    #[serde(default)]
    pub settle_seconds: Option<u64>,
}

/// A connection's configuration.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AccountViewConfig {
    /// The app's client id.
    pub client_id: String,
    /// The app's client secret.
    pub client_secret: SecretString,
    /// The refresh token to start from.
    pub refresh_token: Option<SecretString>,
    /// The company, when known.
    pub company_id: Option<String>,
    /// The API base.
    pub api_url: String,
    /// The token endpoint.
    pub token_url: String,
    /// Rows per page.
    pub page_size: u32,
    /// The company's currency.
    pub currency: connector_core::model::Currency,
    /// The code of the order business object (ART_HDR/ART_LINE), when orders are used.
    pub order_business_object: Option<String>,
    /// The zone of AccountView's zone-less times.
    pub timezone: crate::timezone::TimeZone,
    /// With the file transport: the exchange folder (no HTTP then).
    pub folder: Option<std::path::PathBuf>,
    /// With the file transport: how long an exported file must stand still before it is read.
    pub settle: std::time::Duration,
}

impl AccountViewConfig {
    /// A configuration for AccountView.Net with the app's credentials.
    pub fn new(client_id: impl Into<String>, client_secret: SecretString) -> Self {
        Self {
            client_id: client_id.into(),
            client_secret,
            refresh_token: None,
            company_id: None,
            api_url: DEFAULT_API_URL.to_owned(),
            token_url: format!("{DEFAULT_API_URL}/token"),
            page_size: DEFAULT_PAGE_SIZE,
            currency: connector_core::model::Currency::EUR,
            order_business_object: None,
            timezone: crate::timezone::TimeZone::default(),
            folder: None,
            settle: std::time::Duration::from_secs(2),
        }
    }

    /// A configuration for the file transport: exported files read from `folder/export`,
    /// files to import written to `folder/import`.
    pub fn file_exchange(folder: impl Into<std::path::PathBuf>) -> Self {
        let mut c = Self::new("", SecretString::from(String::new()));
        c.folder = Some(folder.into());
        c
    }

    /// Reads the settings from text options: the keys of [`AccountViewSettings`].
    pub fn from_options(
        options: &std::collections::BTreeMap<String, String>,
    ) -> Result<Self, Error> {
        let s: AccountViewSettings = connector_core::system::read_settings(crate::NAME, options)?;
        s.into_config()
    }
}

impl AccountViewSettings {
    /// The configuration these settings describe.
    pub fn into_config(self) -> Result<AccountViewConfig, Error> {
        let mut c = match self.transport.as_deref().map(str::trim).unwrap_or("rest") {
            "rest" => {
                let id = self.client_id.filter(|i| !i.trim().is_empty());
                let secret = self.client_secret.filter(|s| !s.expose_secret().is_empty());
                let (Some(id), Some(secret)) = (id, secret) else {
                    return Err(Error::config(
                        "accountview settings: client_id and client_secret are required with \
                         transport rest",
                    ));
                };
                AccountViewConfig::new(id.trim(), secret)
            }
            "file" => match self.folder.filter(|f| !f.trim().is_empty()) {
                Some(folder) => AccountViewConfig::file_exchange(folder.trim()),
                None => {
                    return Err(Error::config(
                        "accountview settings: folder is required with transport file",
                    ));
                }
            },
            other => {
                return Err(Error::config(format!(
                    "accountview settings: transport `{other}` is rest or file"
                )));
            }
        };
        if let Some(s) = self.settle_seconds {
            c.settle = std::time::Duration::from_secs(s);
        }
        c.refresh_token = self.refresh_token.filter(|t| !t.expose_secret().is_empty());
        c.company_id = self.company_id.filter(|v| !v.trim().is_empty());
        if let Some(url) = self.api_url {
            c.api_url = url.trim_end_matches('/').to_owned();
            c.token_url = format!("{}/token", c.api_url);
        }
        if let Some(url) = self.token_url {
            c.token_url = url;
        }
        if let Some(n) = self.page_size {
            if !(1..=1000).contains(&n) {
                return Err(Error::config("accountview settings: page_size is 1 to 1000"));
            }
            c.page_size = n;
        }
        if let Some(code) = self.currency.filter(|c| !c.trim().is_empty()) {
            c.currency = connector_core::model::Currency::new(code.trim())?;
        }
        c.order_business_object =
            self.order_business_object.map(|b| b.trim().to_owned()).filter(|b| !b.is_empty());
        if let Some(zone) = self.timezone.filter(|z| !z.trim().is_empty()) {
            c.timezone = crate::timezone::TimeZone::parse(&zone)?;
        }
        Ok(c)
    }
}
