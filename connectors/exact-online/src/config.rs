//! Settings: typed from text options ([`ExactSettings`]: a flow file's, `--option`, the
//! environment's `CONNECTOR_EXACT_ONLINE_*`) or built in code.

use std::fmt;

use connector_core::Error;
use connector_core::model::Currency;
use secrecy::SecretString;
use serde::Deserialize;

/// `CONNECTOR_EXACT_ONLINE_CLIENT_ID`: the app's OAuth2 client id.
pub const ENV_CLIENT_ID: &str = "CONNECTOR_EXACT_ONLINE_CLIENT_ID";

/// The host of a country (`nl` → `https://start.exactonline.nl`).
pub fn country_host(country: &str) -> Result<String, Error> {
    let c = country.trim().trim_start_matches('.').to_ascii_lowercase();
    match c.as_str() {
        "nl" | "be" | "de" | "co.uk" | "com" | "fr" | "es" => {
            Ok(format!("https://start.exactonline.{c}"))
        }
        "uk" | "gb" => Ok("https://start.exactonline.co.uk".to_owned()),
        "us" => Ok("https://start.exactonline.com".to_owned()),
        _ => Err(Error::config(format!(
            "unknown Exact Online country {country:?}: use nl, be, de, co.uk, com, fr or es"
        ))),
    }
}

/// What an order becomes in Exact.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderTarget {
    /// `salesorder/SalesOrders` (the default).
    #[default]
    SalesOrder,
    /// `salesinvoice/SalesInvoices` (a draft invoice).
    SalesInvoice,
}

impl OrderTarget {
    /// Parses `sales_order` / `sales_invoice` (also `SalesOrder`, `invoice`).
    pub fn parse(s: &str) -> Result<Self, Error> {
        match s.trim().to_ascii_lowercase().replace(['_', '-', ' '], "").as_str() {
            "salesorder" | "order" | "salesorders" => Ok(OrderTarget::SalesOrder),
            "salesinvoice" | "invoice" | "salesinvoices" => Ok(OrderTarget::SalesInvoice),
            _ => Err(Error::config(format!(
                "unknown order target {s:?}: use sales_order or sales_invoice"
            ))),
        }
    }
}

/// Where a division keeps variant information on its items.
///
/// Exact Online has no variants or configurable items: an item is one sellable thing.
/// Divisions that sell sizes and colours keep them in the items' free text fields
/// (`FreeTextField_01` … `FreeTextField_10`), one item per variant: the configurable
/// (parent) product's code in one field, each attribute in another. An item whose parent
/// field names another code is a variant of it ([`Product::variant_of`], with its
/// [`attributes`][attributes]); an item whose parent field holds its own code is the
/// configurable product itself ([`ProductKind::Configurable`]). Features (extra information
/// such as the country of origin) are read from their fields on every item.
///
/// [`Product::variant_of`]: connector_core::model::Product::variant_of
/// [attributes]: connector_core::model::Product::attributes
/// [`ProductKind::Configurable`]: connector_core::model::ProductKind::Configurable
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemVariants {
    /// The free text field holding the configurable product's code (`FreeTextField_01`).
    pub parent_field: String,
    /// The attributes that make a variant: `(name, free text field)`.
    pub attributes: Vec<(String, String)>,
    /// Features, extra information on any item: `(name, free text field)`.
    pub features: Vec<(String, String)>,
}

impl Default for ItemVariants {
    /// The parent code in `FreeTextField_01`, `size` in `_02`, `colour` in `_03`, and the
    /// feature `country_of_origin` in `_04`.
    fn default() -> Self {
        let pair = |n: &str, f: &str| (n.to_owned(), f.to_owned());
        Self {
            parent_field: "FreeTextField_01".to_owned(),
            attributes: vec![pair("size", "FreeTextField_02"), pair("colour", "FreeTextField_03")],
            features: vec![pair("country_of_origin", "FreeTextField_04")],
        }
    }
}

impl ItemVariants {
    /// Parses a setting: `default` (or `on`, `true`) gives [`ItemVariants::default`], `off`
    /// (or `false`, `none`) gives `None`; otherwise comma-separated `name=FreeTextField_NN`
    /// pairs: `parent=…` (required) names the configurable product's field, `feature:name=…`
    /// a feature, any other name an attribute.
    pub fn parse(s: &str) -> Result<Option<Self>, Error> {
        match s.trim().to_ascii_lowercase().as_str() {
            "default" | "on" | "true" | "yes" => return Ok(Some(Self::default())),
            "off" | "false" | "no" | "none" | "" => return Ok(None),
            _ => {}
        }
        let mut v = Self { parent_field: String::new(), attributes: vec![], features: vec![] };
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, field) = part.split_once('=').ok_or_else(|| {
                Error::config(format!("item variants: {part:?} is not name=FreeTextField_NN"))
            })?;
            let (name, field) = (name.trim(), field.trim());
            let n: u8 =
                field.strip_prefix("FreeTextField_").and_then(|n| n.parse().ok()).unwrap_or(0);
            if !(1..=10).contains(&n) {
                return Err(Error::config(format!(
                    "item variants: {field:?} is not one of FreeTextField_01 … FreeTextField_10"
                )));
            }
            let field = format!("FreeTextField_{n:02}");
            match name.strip_prefix("feature:") {
                _ if name == "parent" => v.parent_field = field,
                Some(f) => v.features.push((f.trim().to_owned(), field)),
                None => v.attributes.push((name.to_owned(), field)),
            }
        }
        if v.parent_field.is_empty() {
            return Err(Error::config("item variants: parent=FreeTextField_NN is required"));
        }
        Ok(Some(v))
    }
}

/// Everything the Exact Online connector needs.
#[derive(Clone)]
pub struct ExactConfig {
    /// OAuth2 client id.
    pub client_id: String,
    /// OAuth2 client secret.
    pub client_secret: SecretString,
    /// The refresh token to start from when the token store holds none.
    pub refresh_token: Option<SecretString>,
    /// The REST host (`https://start.exactonline.nl`); paths go under `/api/v1/`.
    pub api_url: String,
    /// The token endpoint (`{api_url}/api/oauth2/token`).
    pub token_url: String,
    /// The division; `None` reads `CurrentDivision` from `current/Me`.
    pub division: Option<i64>,
    /// The division's currency (amounts without a `Currency` field).
    pub currency: Currency,
    /// What an order becomes.
    pub order_target: OrderTarget,
    /// The VAT code put on order lines that carry none (`None`: Exact's item default).
    pub default_vat_code: Option<String>,
    /// The tracking URL of a goods delivery, with `{code}` for the tracking number.
    pub tracking_url_template: Option<String>,
    /// The code of the price list built from the default sales prices.
    pub price_list_code: String,
    /// The account code of the debtor that receives orders matching no customer (`None`:
    /// such orders fail, naming the customer).
    pub default_debtor: Option<String>,
    /// Variants, attributes and features in the items' free fields; `None` (the default)
    /// reads every item as a simple product, its free fields unused.
    pub item_variants: Option<ItemVariants>,
    /// Whether a product read gives each product its default sales price: the price without
    /// an account, in [`currency`](Self::currency), valid today, for the smallest quantity
    /// (`true`). `sync/Logistics/Items` has no price, so this reads every row of
    /// `sync/Logistics/SalesItemPrices` once per product read (one call per 1,000 prices)
    /// and holds one price per item in memory (about 50 bytes an item).
    pub product_prices: bool,
}

impl fmt::Debug for ExactConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExactConfig")
            .field("client_id", &self.client_id)
            .field("client_secret", &"[REDACTED]")
            .field("refresh_token", &self.refresh_token.as_ref().map(|_| "[REDACTED]"))
            .field("api_url", &self.api_url)
            .field("token_url", &self.token_url)
            .field("division", &self.division)
            .field("order_target", &self.order_target)
            .finish_non_exhaustive()
    }
}

/// Exact Online's settings as text options give them: what [`ExactConfig::from_options`]
/// reads. Only the app's id and secret are required.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExactSettings {
    /// The app's client id.
    pub client_id: String,
    /// The app's client secret.
    pub client_secret: SecretString,
    /// A refresh token from the consent flow (rotates on use).
    #[serde(default)]
    pub refresh_token: Option<SecretString>,
    /// A file for the rotating refresh token (read by the system, not the client).
    #[serde(default)]
    pub token_file: Option<String>,
    /// The country host: `nl`, `be`, `de`, `co.uk`, `com`, `fr` or `es`.
    #[serde(default)]
    pub country: Option<String>,
    /// The division number (default: the user's current one).
    #[serde(default)]
    pub division: Option<i64>,
    /// The division's currency (default EUR).
    #[serde(default)]
    pub currency: Option<Currency>,
    /// The account code that takes orders of unknown customers.
    #[serde(default)]
    pub default_debtor: Option<String>,
    /// `sales_order` (default) or `sales_invoice`.
    #[serde(default)]
    pub order_target: Option<String>,
    /// Whether products are read with their default sales price (default on).
    #[serde(default)]
    pub product_prices: Option<bool>,
    /// `default`, `off`, or where variants sit in the free fields (see
    /// [`ItemVariants::parse`]).
    #[serde(default)]
    pub item_variants: Option<String>,
    /// The REST host (overrides the country).
    #[serde(default)]
    pub api_url: Option<String>,
    /// The token endpoint.
    #[serde(default)]
    pub token_url: Option<String>,
    /// The VAT code of order lines that carry none.
    #[serde(default)]
    pub default_vat_code: Option<String>,
    /// A goods delivery's tracking URL, with `{code}` for the tracking number.
    #[serde(default)]
    pub tracking_url_template: Option<String>,
    /// The code of the price list built from the default sales prices.
    #[serde(default)]
    pub price_list_code: Option<String>,
}

impl ExactSettings {
    /// The configuration these settings describe.
    pub fn into_config(self) -> Result<ExactConfig, Error> {
        use secrecy::ExposeSecret;
        if self.client_id.trim().is_empty() || self.client_secret.expose_secret().is_empty() {
            return Err(Error::config(
                "exact-online settings: client_id and client_secret are required",
            ));
        }
        let mut c = ExactConfig::new(self.client_id.trim(), self.client_secret);
        c.refresh_token = self.refresh_token.filter(|t| !t.expose_secret().is_empty());
        if let Some(country) = &self.country {
            c = c.with_country(country)?;
        }
        if let Some(v) = &self.api_url {
            c.token_url = format!("{}/api/oauth2/token", v.trim_end_matches('/'));
            c.api_url = v.trim_end_matches('/').to_owned();
        }
        if let Some(v) = self.token_url {
            c.token_url = v;
        }
        c.division = self.division;
        if let Some(v) = self.currency {
            c.currency = v;
        }
        c.default_debtor = self.default_debtor.map(|v| v.trim().to_owned());
        if let Some(v) = &self.order_target {
            c.order_target = OrderTarget::parse(v)?;
        }
        if let Some(v) = self.product_prices {
            c.product_prices = v;
        }
        if let Some(v) = &self.item_variants {
            c.item_variants = ItemVariants::parse(v).map_err(|e| e.context("item_variants"))?;
        }
        c.default_vat_code = self.default_vat_code;
        c.tracking_url_template = self.tracking_url_template;
        if let Some(v) = self.price_list_code {
            c.price_list_code = v;
        }
        Ok(c)
    }
}

impl ExactConfig {
    /// A configuration for the Dutch host (`start.exactonline.nl`).
    pub fn new(client_id: impl Into<String>, client_secret: SecretString) -> Self {
        let api = "https://start.exactonline.nl".to_owned();
        Self {
            client_id: client_id.into(),
            client_secret,
            refresh_token: None,
            token_url: format!("{api}/api/oauth2/token"),
            api_url: api,
            division: None,
            currency: Currency::EUR,
            order_target: OrderTarget::SalesOrder,
            default_vat_code: None,
            tracking_url_template: None,
            price_list_code: "exact-sales".to_owned(),
            default_debtor: None,
            item_variants: None,
            product_prices: true,
        }
    }

    /// Points the API and token URLs at a country's host.
    pub fn with_country(mut self, country: &str) -> Result<Self, Error> {
        let host = country_host(country)?;
        self.token_url = format!("{host}/api/oauth2/token");
        self.api_url = host;
        Ok(self)
    }

    /// Reads `CONNECTOR_EXACT_ONLINE_*` from the environment (as
    /// [`ExactConfig::from_options`] reads options).
    pub fn from_env() -> Result<Self, Error> {
        Self::from_options(&connector_core::system::options_from_env(crate::NAME))
    }

    /// Reads the settings from text options (a flow file's, `--option`, or the environment's):
    /// the keys of [`ExactSettings`], an unknown one refused.
    pub fn from_options(
        options: &std::collections::BTreeMap<String, String>,
    ) -> Result<Self, Error> {
        let s: ExactSettings = connector_core::system::read_settings(crate::NAME, options)?;
        s.into_config()
    }

    /// Whether the environment holds Exact Online credentials.
    pub fn env_present() -> bool {
        std::env::var(ENV_CLIENT_ID).is_ok_and(|v| !v.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The app's id and secret and `pairs`.
    fn options(pairs: &[(&str, &str)]) -> std::collections::BTreeMap<String, String> {
        [("client_id", "id"), ("client_secret", "secret")]
            .iter()
            .chain(pairs)
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn country_hosts_and_overrides() {
        assert_eq!(country_host("be").unwrap(), "https://start.exactonline.be");
        assert_eq!(country_host("uk").unwrap(), "https://start.exactonline.co.uk");
        assert!(country_host("xx").is_err());
        let c = ExactConfig::from_options(&options(&[
            ("country", "de"),
            ("division", "123456"),
            ("order_target", "sales_invoice"),
        ]))
        .unwrap();
        assert_eq!(c.api_url, "https://start.exactonline.de");
        assert_eq!(c.token_url, "https://start.exactonline.de/api/oauth2/token");
        assert_eq!(c.division, Some(123_456));
        assert_eq!(c.order_target, OrderTarget::SalesInvoice);
        assert!(!format!("{c:?}").contains("secret\""));
        assert_eq!(c.item_variants, None, "off unless set");
        assert!(c.product_prices, "on unless set");
        let off = |v: &str| ExactConfig::from_options(&options(&[("product_prices", v)]));
        assert!(!off("off").unwrap().product_prices);
        assert!(off("sometimes").is_err());
    }

    #[test]
    fn item_variant_settings() {
        assert_eq!(ItemVariants::parse("default").unwrap(), Some(ItemVariants::default()));
        assert_eq!(ItemVariants::parse("off").unwrap(), None);
        let v = ItemVariants::parse(
            "parent=FreeTextField_05, maat=FreeTextField_6, feature:origin=FreeTextField_10",
        )
        .unwrap()
        .unwrap();
        assert_eq!(v.parent_field, "FreeTextField_05");
        assert_eq!(v.attributes, vec![("maat".to_owned(), "FreeTextField_06".to_owned())]);
        assert_eq!(v.features, vec![("origin".to_owned(), "FreeTextField_10".to_owned())]);
        assert!(ItemVariants::parse("size=FreeTextField_02").is_err(), "no parent");
        assert!(ItemVariants::parse("parent=FreeTextField_11").is_err());
        assert!(ItemVariants::parse("parent=Description").is_err());
        let c = ExactConfig::from_options(&options(&[("item_variants", "default")])).unwrap();
        assert_eq!(c.item_variants, Some(ItemVariants::default()));
    }
}
