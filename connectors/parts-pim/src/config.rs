//! Settings: typed from text options ([`PartsPimSettings`]: a flow file's, `--option`, the
//! environment's `CONNECTOR_PARTS_PIM_*`) or built in code. Parts PIM publishes no API, so
//! where its endpoints are is a setting (the endpoint map), with the paths this connector's
//! simulator serves as defaults.

use connector_core::Error;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// The employee number every write carries when none is set (APIcenter's default).
pub const DEFAULT_EMPLOYEE_NUMBER: &str = "999999";

/// The settings of the connector, from text options; an unknown key is refused.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct PartsPimSettings {
    /// `http` (the default) or `file` (CSV files dropped in `folder`).
    #[serde(default)]
    pub transport: Option<String>,
    /// The interface's base URL (`https://pim.example/api`), for `http`.
    #[serde(default)]
    pub base_url: Option<String>,
    /// The API key (`X-Api-Key`), for `http`.
    #[serde(default)]
    pub api_key: Option<SecretString>,
    /// The folder CSV files are dropped in, for `file`.
    #[serde(default)]
    pub folder: Option<String>,
    /// The employee number every write carries (digits; default 999999).
    #[serde(default)]
    pub employee_number: Option<String>,
    /// Where products are, under the base URL (default `/products`).
    #[serde(default)]
    pub products_path: Option<String>,
    /// Where stock is, under the base URL (default `/stock`).
    #[serde(default)]
    pub stock_path: Option<String>,
    /// Where orders are, under the base URL (default `/orders`).
    #[serde(default)]
    pub orders_path: Option<String>,
    /// For `file`: the format of dropped files, `csv` (the default) or `xml`.
    #[serde(default)]
    pub format: Option<String>,
    /// For `file`: how long an order file the PIM exports (into `folder/orders`) must stand
    /// still before it is read, in seconds (default 2).
    #[serde(default)]
    pub settle_seconds: Option<u64>,
}

/// A connection's configuration.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PartsPimConfig {
    /// The base URL.
    pub base_url: String,
    /// The API key.
    pub api_key: SecretString,
    /// The employee number of writes that carry none.
    pub employee_number: String,
    /// The products path.
    pub products_path: String,
    /// The stock path.
    pub stock_path: String,
    /// The orders path.
    pub orders_path: String,
    /// With the file transport: the folder CSV files are dropped in (no HTTP then).
    pub folder: Option<std::path::PathBuf>,
    /// With the file transport: how long an exported order file must stand still.
    pub settle: std::time::Duration,
    /// With the file transport: the format of dropped files.
    pub format: crate::format::FileFormat,
}

impl PartsPimConfig {
    /// A configuration for `base_url` with the default endpoint map and employee number.
    pub fn new(base_url: impl Into<String>, api_key: SecretString) -> Self {
        Self {
            base_url: base_url.into().trim_end_matches('/').to_owned(),
            api_key,
            employee_number: DEFAULT_EMPLOYEE_NUMBER.to_owned(),
            products_path: "/products".to_owned(),
            stock_path: "/stock".to_owned(),
            orders_path: "/orders".to_owned(),
            folder: None,
            settle: std::time::Duration::from_secs(2),
            format: crate::format::FileFormat::Csv,
        }
    }

    /// A configuration that drops CSV files in `folder` instead of calling an interface.
    pub fn file_drop(folder: impl Into<std::path::PathBuf>) -> Self {
        let mut c = Self::new("", SecretString::from(String::new()));
        c.folder = Some(folder.into());
        c
    }

    /// Reads the settings from text options: the keys of [`PartsPimSettings`].
    pub fn from_options(
        options: &std::collections::BTreeMap<String, String>,
    ) -> Result<Self, Error> {
        let s: PartsPimSettings = connector_core::system::read_settings(crate::NAME, options)?;
        s.into_config()
    }
}

/// Whether `text` is a Parts PIM number: one or more ASCII digits.
pub fn is_digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

impl PartsPimSettings {
    /// The configuration these settings describe.
    pub fn into_config(self) -> Result<PartsPimConfig, Error> {
        let mut c = match self.transport.as_deref().map(str::trim).unwrap_or("http") {
            "http" => {
                let base = self.base_url.filter(|b| !b.trim().is_empty());
                let key = self.api_key.filter(|k| !k.expose_secret().is_empty());
                let (Some(base), Some(key)) = (base, key) else {
                    return Err(Error::config(
                        "parts-pim settings: base_url and api_key are required with transport http",
                    ));
                };
                PartsPimConfig::new(base.trim(), key)
            }
            "file" => match self.folder.filter(|f| !f.trim().is_empty()) {
                Some(folder) => PartsPimConfig::file_drop(folder.trim()),
                None => {
                    return Err(Error::config(
                        "parts-pim settings: folder is required with transport file",
                    ));
                }
            },
            other => {
                return Err(Error::config(format!(
                    "parts-pim settings: transport `{other}` is http or file"
                )));
            }
        };
        if let Some(n) = self.employee_number.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty())
        {
            if !is_digits(&n) {
                return Err(Error::config(format!(
                    "parts-pim settings: employee_number `{n}` must be digits"
                )));
            }
            c.employee_number = n;
        }
        let path = |p: String| format!("/{}", p.trim().trim_matches('/'));
        if let Some(p) = self.products_path {
            c.products_path = path(p);
        }
        if let Some(p) = self.stock_path {
            c.stock_path = path(p);
        }
        if let Some(p) = self.orders_path {
            c.orders_path = path(p);
        }
        if let Some(s) = self.settle_seconds {
            c.settle = std::time::Duration::from_secs(s);
        }
        if let Some(f) = self.format.filter(|f| !f.trim().is_empty()) {
            c.format = crate::format::FileFormat::parse(&f).ok_or_else(|| {
                Error::config(format!("parts-pim settings: format `{f}` is csv or xml"))
            })?;
        }
        Ok(c)
    }
}
