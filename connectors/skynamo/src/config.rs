//! Settings: typed from text options ([`SkynamoSettings`]: a flow file's, `--option`, the
//! environment's `CONNECTOR_SKYNAMO_*`) or built in code.

use std::collections::BTreeMap;
use std::fmt;

use connector_core::Error;
use connector_core::model::Currency;
use secrecy::SecretString;
use serde::Deserialize;

/// `CONNECTOR_SKYNAMO_API_KEY`: the integration token.
pub const ENV_API_KEY: &str = "CONNECTOR_SKYNAMO_API_KEY";

/// Records per page: Skynamo's maximum, the default (the fewest calls).
pub const PAGE_SIZE: u32 = 200;
/// Records per array write: the official SDK sends a whole group at once; 20 keeps a refused
/// array small.
pub const WRITE_BATCH: usize = 20;

/// Everything the Skynamo connector needs.
#[derive(Clone)]
pub struct SkynamoConfig {
    /// The integration token (`x-api-key`).
    pub api_key: SecretString,
    /// The instance name (`x-api-client`).
    pub instance: String,
    /// The API base URL.
    pub api_url: String,
    /// The order unit used for prices and stock when a product names none.
    pub default_order_unit: String,
    /// Custom-field ids by the key used in `meta.custom` (`address` → `12`). Keys not listed
    /// are matched to the instance's custom fields by name (`GET /customfields`).
    pub custom_fields: BTreeMap<String, String>,
    /// Records per page when reading, 1 to [`PAGE_SIZE`] ([`PAGE_SIZE`] by default).
    pub page_size: u32,
}

impl fmt::Debug for SkynamoConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SkynamoConfig")
            .field("api_key", &"[REDACTED]")
            .field("instance", &self.instance)
            .field("api_url", &self.api_url)
            .finish_non_exhaustive()
    }
}

/// The base URL of a region (`https://api.za.skynamo.me/v1`), or the spec's global one.
pub fn region_url(region: Option<&str>) -> String {
    match region.map(str::trim).filter(|r| !r.is_empty()) {
        Some(r) => format!("https://api.{}.skynamo.me/v1", r.to_ascii_lowercase()),
        None => "https://api.skynamo.me/v1".to_owned(),
    }
}

impl SkynamoConfig {
    /// A configuration for `instance` in `region` (`None`: the spec's global host).
    pub fn new(api_key: SecretString, instance: impl Into<String>, region: Option<&str>) -> Self {
        Self {
            api_key,
            instance: instance.into(),
            api_url: region_url(region),
            default_order_unit: "Each".to_owned(),
            custom_fields: BTreeMap::new(),
            page_size: PAGE_SIZE,
        }
    }

    /// Reads `CONNECTOR_SKYNAMO_*` from the environment (as [`SkynamoConfig::from_options`]
    /// reads options).
    pub fn from_env() -> Result<Self, Error> {
        Self::from_options(&connector_core::system::options_from_env(crate::NAME))
    }

    /// Whether the environment holds Skynamo credentials.
    pub fn env_present() -> bool {
        std::env::var(ENV_API_KEY).is_ok_and(|v| !v.is_empty())
    }
}

impl SkynamoConfig {
    /// Reads the settings from text options (a flow file's, `--option`, or the environment's):
    /// the keys of [`SkynamoSettings`], an unknown one refused.
    pub fn from_options(options: &BTreeMap<String, String>) -> Result<Self, Error> {
        let s: SkynamoSettings = connector_core::system::read_settings(crate::NAME, options)?;
        s.into_config()
    }
}

/// Skynamo's settings as text options give them: what [`SkynamoConfig::from_options`] reads.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SkynamoSettings {
    /// The integration token.
    pub api_key: SecretString,
    /// The instance name.
    pub instance: String,
    /// The region host (`za`, `eu`, `us`, `au`; default: the global one).
    #[serde(default)]
    pub region: Option<String>,
    /// The API (overrides the region).
    #[serde(default)]
    pub api_url: Option<String>,
    /// Records per page when reading, 1 to [`PAGE_SIZE`].
    #[serde(default)]
    pub page_size: Option<u32>,
    /// The currency of documents that carry none (read by the source; default ZAR).
    #[serde(default)]
    pub currency: Option<Currency>,
    /// The order unit of prices and stock for products that name none (default `Each`).
    #[serde(default)]
    pub default_order_unit: Option<String>,
}

impl SkynamoSettings {
    /// The configuration these settings describe.
    pub fn into_config(self) -> Result<SkynamoConfig, Error> {
        use secrecy::ExposeSecret;
        if self.api_key.expose_secret().trim().is_empty() || self.instance.trim().is_empty() {
            return Err(Error::config("skynamo settings: api_key and instance are required"));
        }
        let mut c = SkynamoConfig::new(self.api_key, self.instance.trim(), self.region.as_deref());
        if let Some(url) = self.api_url {
            c.api_url = url;
        }
        if let Some(n) = self.page_size {
            if !(1..=PAGE_SIZE).contains(&n) {
                return Err(Error::config(format!(
                    "skynamo settings: page_size is 1 to {PAGE_SIZE}, not {n}"
                )));
            }
            c.page_size = n;
        }
        if let Some(unit) = self.default_order_unit {
            c.default_order_unit = unit;
        }
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A key, an instance and `pairs`.
    fn options(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        [("api_key", "k"), ("instance", "demo")]
            .iter()
            .chain(pairs)
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn base_url_from_region_or_override() {
        assert_eq!(region_url(Some("ZA")), "https://api.za.skynamo.me/v1");
        assert_eq!(region_url(None), "https://api.skynamo.me/v1");
        let c = SkynamoConfig::from_options(&options(&[("region", "eu")])).unwrap();
        assert_eq!(c.api_url, "https://api.eu.skynamo.me/v1");
        assert!(!format!("{c:?}").contains('k') || !format!("{c:?}").contains("\"k\""));
        assert_eq!(c.page_size, PAGE_SIZE, "the fewest calls unless lowered");
    }

    #[test]
    fn the_page_size_may_be_lowered_not_raised() {
        let with = |size: &str| SkynamoConfig::from_options(&options(&[("page_size", size)]));
        assert_eq!(with("50").unwrap().page_size, 50);
        assert!(with("500").is_err());
        assert!(with("0").is_err());
    }
}
