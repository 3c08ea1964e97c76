//! Settings: from the environment (`CONNECTOR_SKYNAMO_*`) or from code.

use std::collections::BTreeMap;
use std::fmt;

use connector_core::Error;
use secrecy::SecretString;

/// `CONNECTOR_SKYNAMO_API_KEY`: the integration token.
pub const ENV_API_KEY: &str = "CONNECTOR_SKYNAMO_API_KEY";
/// `CONNECTOR_SKYNAMO_INSTANCE`: the instance name (`demo` of `demo.za.skynamo.me`).
pub const ENV_INSTANCE: &str = "CONNECTOR_SKYNAMO_INSTANCE";
/// `CONNECTOR_SKYNAMO_REGION`: the region (`za`, `eu`, `us`, `au`).
pub const ENV_REGION: &str = "CONNECTOR_SKYNAMO_REGION";
/// `CONNECTOR_SKYNAMO_API_URL`: the API base URL, overriding the region.
pub const ENV_API_URL: &str = "CONNECTOR_SKYNAMO_API_URL";

/// Records per page: Skynamo's maximum, the default (the fewest calls).
pub const PAGE_SIZE: u32 = 200;
/// `CONNECTOR_SKYNAMO_PAGE_SIZE`: records per page when reading, 1 to [`PAGE_SIZE`].
pub const ENV_PAGE_SIZE: &str = "CONNECTOR_SKYNAMO_PAGE_SIZE";
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

    /// Reads `CONNECTOR_SKYNAMO_*` from the environment.
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
        let mut c = Self::new(
            SecretString::from(need(ENV_API_KEY)?),
            need(ENV_INSTANCE)?,
            get(ENV_REGION).as_deref(),
        );
        if let Some(url) = get(ENV_API_URL).filter(|v| !v.trim().is_empty()) {
            c.api_url = url;
        }
        if let Some(v) = get(ENV_PAGE_SIZE).filter(|v| !v.trim().is_empty()) {
            c.page_size =
                v.trim().parse().ok().filter(|n| (1..=PAGE_SIZE).contains(n)).ok_or_else(|| {
                    Error::config(format!("{ENV_PAGE_SIZE} is 1 to {PAGE_SIZE}, not {v:?}"))
                })?;
        }
        Ok(c)
    }

    /// Whether the environment holds Skynamo credentials.
    pub fn env_present() -> bool {
        std::env::var(ENV_API_KEY).is_ok_and(|v| !v.is_empty())
    }
}

impl SkynamoConfig {
    /// Reads the settings from CLI-style options (`api_key`, `instance`, `region`, `api_url`,
    /// `page_size`).
    pub fn from_options(options: &BTreeMap<String, String>) -> Result<Self, Error> {
        Self::from_lookup(|k| {
            options.get(&k.trim_start_matches("CONNECTOR_SKYNAMO_").to_ascii_lowercase()).cloned()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_from_region_or_override() {
        assert_eq!(region_url(Some("ZA")), "https://api.za.skynamo.me/v1");
        assert_eq!(region_url(None), "https://api.skynamo.me/v1");
        let c = SkynamoConfig::from_lookup(|k| match k {
            ENV_API_KEY => Some("k".into()),
            ENV_INSTANCE => Some("demo".into()),
            ENV_REGION => Some("eu".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(c.api_url, "https://api.eu.skynamo.me/v1");
        assert!(!format!("{c:?}").contains('k') || !format!("{c:?}").contains("\"k\""));
        assert_eq!(c.page_size, PAGE_SIZE, "the fewest calls unless lowered");
    }

    #[test]
    fn the_page_size_may_be_lowered_not_raised() {
        let with = |size: &str| {
            let size = size.to_owned();
            SkynamoConfig::from_lookup(move |k| match k {
                ENV_API_KEY => Some("k".into()),
                ENV_INSTANCE => Some("demo".into()),
                ENV_PAGE_SIZE => Some(size.clone()),
                _ => None,
            })
        };
        assert_eq!(with("50").unwrap().page_size, 50);
        assert!(with("500").is_err());
        assert!(with("0").is_err());
    }
}
