//! Settings: typed from text options ([`SalesforceSettings`]: a flow file's, `--option`,
//! the environment's `CONNECTOR_SALESFORCE_*`) or built in code.

use std::collections::BTreeMap;
use std::fmt;

use connector_core::Error;
use connector_core::model::Currency;
use secrecy::SecretString;
use serde::Deserialize;

/// `CONNECTOR_SALESFORCE_CLIENT_ID`: the connected app's consumer key.
pub const ENV_CLIENT_ID: &str = "CONNECTOR_SALESFORCE_CLIENT_ID";
/// `CONNECTOR_SALESFORCE_LOGIN_URL`: `https://login.salesforce.com`, `https://test…` or My
/// Domain.
pub const ENV_LOGIN_URL: &str = "CONNECTOR_SALESFORCE_LOGIN_URL";

/// Refuses the client-credentials flow on `login.salesforce.com` and `test.salesforce.com`:
/// Salesforce serves it only on the org's My Domain (`https://acme.my.salesforce.com`) and
/// answers the shared hosts `invalid_grant: request not supported on this domain`.
pub fn client_credentials_host(login_url: &str) -> Result<(), Error> {
    let host = login_url
        .trim()
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .split(['/', ':'])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    if host == "login.salesforce.com" || host == "test.salesforce.com" {
        return Err(Error::config(format!(
            "the client-credentials flow needs the org's My Domain login URL (https://<domain>.my.salesforce.com); Salesforce refuses it on {host}: set {ENV_LOGIN_URL}, or use a refresh token or the JWT bearer flow"
        )));
    }
    Ok(())
}

/// The OAuth2 JWT bearer flow: the connected app's consumer key signs in as `username` with
/// an assertion signed by `private_key` (whose certificate is uploaded to the app).
#[derive(Clone)]
pub struct JwtBearerConfig {
    /// The user to log in as (`sub`).
    pub username: String,
    /// The RSA private key, PEM (PKCS#8 `BEGIN PRIVATE KEY`, or PKCS#1).
    pub private_key: SecretString,
    /// The assertion's `aud`: `https://login.salesforce.com`, `https://test.salesforce.com`,
    /// or an Experience Cloud site URL.
    pub audience: String,
}

impl JwtBearerConfig {
    /// The flow for `username` with `private_key`, with the audience that suits `login_url`.
    pub fn new(username: impl Into<String>, private_key: SecretString, login_url: &str) -> Self {
        Self { username: username.into(), private_key, audience: default_audience(login_url) }
    }
}

impl fmt::Debug for JwtBearerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtBearerConfig")
            .field("username", &self.username)
            .field("private_key", &"[REDACTED]")
            .field("audience", &self.audience)
            .finish()
    }
}

/// `https://test.salesforce.com` for sandbox login hosts, else `https://login.salesforce.com`.
pub fn default_audience(login_url: &str) -> String {
    let host = login_url.to_ascii_lowercase();
    if host.contains("test.salesforce.com") || host.contains(".sandbox.my.salesforce.com") {
        "https://test.salesforce.com".into()
    } else {
        "https://login.salesforce.com".into()
    }
}

/// The names of the custom object and fields that hold shipments (a standard org has no
/// shipment object for orders: an org that takes shipments creates one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShipmentObject {
    /// The object (`Shipment__c`).
    pub object: String,
    /// Its external id: the shipment number (`Shipment_Number__c`).
    pub number: String,
    /// The lookup to the order (`Order__c`).
    pub order: String,
    /// The carrier (`Carrier__c`).
    pub carrier: String,
    /// The tracking code (`Tracking_Code__c`).
    pub tracking_code: String,
    /// The tracking URL (`Tracking_Url__c`).
    pub tracking_url: String,
}

impl ShipmentObject {
    /// `object` with the fields named `Shipment_Number__c`, `Order__c`, `Carrier__c`,
    /// `Tracking_Code__c` and `Tracking_Url__c`.
    pub fn named(object: impl Into<String>) -> Self {
        Self {
            object: object.into(),
            number: "Shipment_Number__c".into(),
            order: "Order__c".into(),
            carrier: "Carrier__c".into(),
            tracking_code: "Tracking_Code__c".into(),
            tracking_url: "Tracking_Url__c".into(),
        }
    }

    /// The fields, for a describe check.
    pub fn fields(&self) -> [&str; 5] {
        [&self.number, &self.order, &self.carrier, &self.tracking_code, &self.tracking_url]
    }
}

/// Everything the Salesforce connector needs.
#[derive(Clone)]
pub struct SalesforceConfig {
    /// Consumer key.
    pub client_id: String,
    /// Consumer secret.
    pub client_secret: SecretString,
    /// A refresh token; `None` uses the client-credentials flow (or the JWT bearer flow).
    pub refresh_token: Option<SecretString>,
    /// The JWT bearer flow; when set it is used instead of a refresh token or client
    /// credentials (the client secret is then not needed).
    pub jwt: Option<JwtBearerConfig>,
    /// The login host (the token endpoint is `{login_url}/services/oauth2/token`).
    pub login_url: String,
    /// Overrides the `instance_url` of the token answer.
    pub instance_url: Option<String>,
    /// The REST API version (`59.0`).
    pub api_version: String,
    /// The org currency (amounts without `CurrencyIsoCode`).
    pub currency: Currency,
    /// The `Product2` field that holds the SKU: `ProductCode` (standard) by default. Products
    /// are upserted by it when the org marks it an External ID (a custom field such as
    /// `SKU__c`), else found by it and then updated or created.
    pub product_sku_field: String,
    /// The `Account` field that holds the ERP customer number: `AccountNumber` (standard) by
    /// default; upserted by like [`product_sku_field`](Self::product_sku_field).
    pub account_number_field: String,
    /// The `Product2` number field that takes the stock (a custom field such as
    /// `Stock_Quantity__c`: a standard org has none); `None` (the default) takes no stock.
    pub stock_field: Option<String>,
    /// Where shipments go (a custom object); `None` (the default) takes no shipments.
    pub shipment: Option<ShipmentObject>,
    /// Records per query batch (`Sforce-Query-Options: batchSize`, 200–2000).
    pub batch_size: u32,
    /// The `Order` field holding the payment term (a custom picklist such as
    /// `Payment_Term__c`); `None` reads none.
    pub order_payment_term_field: Option<String>,
    /// The `Order` field holding the payment method; `None` reads none.
    pub order_payment_method_field: Option<String>,
    /// The `Product2` lookup field (to `Product2`) that points a variant at its
    /// configurable product (a custom field such as `Parent_Product__c`); `None` (the
    /// default) takes no variants.
    pub product_parent_field: Option<String>,
    /// The `Product2` field of each product attribute or feature by its name (`size` →
    /// `Size__c`). A name not listed goes to the field named after it: words capitalised,
    /// joined by `_`, with `__c` (`country_of_origin` → `Country_Of_Origin__c`).
    pub product_attribute_fields: BTreeMap<String, String>,
}

impl fmt::Debug for SalesforceConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SalesforceConfig")
            .field("client_id", &self.client_id)
            .field("client_secret", &"[REDACTED]")
            .field("refresh_token", &self.refresh_token.as_ref().map(|_| "[REDACTED]"))
            .field("jwt", &self.jwt)
            .field("login_url", &self.login_url)
            .field("instance_url", &self.instance_url)
            .field("api_version", &self.api_version)
            .finish_non_exhaustive()
    }
}

/// Salesforce's settings as text options give them: what [`SalesforceConfig::from_options`]
/// reads. The auth mode: the JWT bearer flow when a private key (text or path) is set, which
/// then needs the username and no client secret; else a refresh token when one is set; else
/// client credentials (which need the org's My Domain as `login_url`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SalesforceSettings {
    /// The connected app's consumer key.
    pub client_id: String,
    /// The connected app's consumer secret (not needed for the JWT bearer flow).
    #[serde(default)]
    pub client_secret: Option<SecretString>,
    /// A refresh token.
    #[serde(default)]
    pub refresh_token: Option<SecretString>,
    /// The org's My Domain or login host.
    #[serde(default)]
    pub login_url: Option<String>,
    /// The JWT bearer flow's PEM key.
    #[serde(default)]
    pub private_key: Option<SecretString>,
    /// A file with the JWT bearer flow's PEM key.
    #[serde(default)]
    pub private_key_path: Option<String>,
    /// The user the JWT bearer flow acts as.
    #[serde(default)]
    pub username: Option<String>,
    /// The JWT audience (default: from the login host).
    #[serde(default)]
    pub audience: Option<String>,
    /// The org's instance (default: from the token answer).
    #[serde(default)]
    pub instance_url: Option<String>,
    /// The REST API version, like `59.0`.
    #[serde(default)]
    pub api_version: Option<String>,
    /// The org's currency.
    #[serde(default)]
    pub currency: Option<Currency>,
    /// The `Product2` field that holds the SKU.
    #[serde(default)]
    pub product_sku_field: Option<String>,
    /// The `Account` field that holds the customer number.
    #[serde(default)]
    pub account_number_field: Option<String>,
    /// The `Product2` field that takes stock levels.
    #[serde(default)]
    pub stock_field: Option<String>,
    /// The `Product2` field that links a variant to its parent.
    #[serde(default)]
    pub product_parent_field: Option<String>,
    /// The object shipments are written to.
    #[serde(default)]
    pub shipment_object: Option<String>,
    /// The `Order` field with the payment term.
    #[serde(default)]
    pub order_payment_term_field: Option<String>,
    /// The `Order` field with the payment method.
    #[serde(default)]
    pub order_payment_method_field: Option<String>,
    /// Records per query batch, 200 to 2,000 (default 2,000).
    #[serde(default)]
    pub batch_size: Option<u32>,
}

impl SalesforceSettings {
    /// The configuration these settings describe.
    pub fn into_config(self) -> Result<SalesforceConfig, Error> {
        use secrecy::ExposeSecret;
        let text = |v: Option<String>| v.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let key = match (self.private_key, text(self.private_key_path)) {
            (Some(pem), _) if !pem.expose_secret().trim().is_empty() => Some(pem),
            (_, Some(path)) => {
                Some(SecretString::from(std::fs::read_to_string(&path).map_err(|e| {
                    Error::config(format!(
                        "salesforce settings: private_key_path: cannot read {path}: {e}"
                    ))
                })?))
            }
            _ => None,
        };
        if self.client_id.trim().is_empty() {
            return Err(Error::config("salesforce settings: client_id is required"));
        }
        let secret = match (&key, self.client_secret) {
            (_, Some(s)) if !s.expose_secret().is_empty() => s,
            (Some(_), _) => SecretString::from(""),
            (None, _) => {
                return Err(Error::config(
                    "salesforce settings: client_secret is required without a private_key",
                ));
            }
        };
        let mut c = SalesforceConfig::new(self.client_id.trim(), secret);
        c.refresh_token = self.refresh_token.filter(|t| !t.expose_secret().is_empty());
        if let Some(v) = text(self.login_url) {
            c.login_url = v.trim_end_matches('/').to_owned();
        }
        if let Some(key) = key {
            let username = text(self.username).ok_or_else(|| {
                Error::config("salesforce settings: username is required with a private_key")
            })?;
            let mut jwt = JwtBearerConfig::new(username, key, &c.login_url);
            if let Some(aud) = text(self.audience) {
                jwt.audience = aud.trim_end_matches('/').to_owned();
            }
            c.jwt = Some(jwt);
        }
        c.instance_url = text(self.instance_url).map(|v| v.trim_end_matches('/').to_owned());
        if let Some(v) = text(self.api_version) {
            let v = v.trim_start_matches('v').to_owned();
            if v.split('.').count() != 2 || !v.chars().all(|c| c.is_ascii_digit() || c == '.') {
                return Err(Error::config(format!(
                    "salesforce settings: api_version is not a version like 59.0: {v:?}"
                )));
            }
            c.api_version = v;
        }
        if let Some(v) = self.currency {
            c.currency = v;
        }
        if let Some(v) = text(self.product_sku_field) {
            c.product_sku_field = v;
        }
        if let Some(v) = text(self.account_number_field) {
            c.account_number_field = v;
        }
        c.stock_field = text(self.stock_field);
        c.product_parent_field = text(self.product_parent_field);
        c.shipment = text(self.shipment_object).map(ShipmentObject::named);
        c.order_payment_term_field = text(self.order_payment_term_field);
        c.order_payment_method_field = text(self.order_payment_method_field);
        if let Some(n) = self.batch_size {
            if !(200..=2000).contains(&n) {
                return Err(Error::config(format!(
                    "salesforce settings: batch_size is 200 to 2,000, not {n}"
                )));
            }
            c.batch_size = n;
        }
        if c.jwt.is_none() && c.refresh_token.is_none() {
            client_credentials_host(&c.login_url)?;
        }
        Ok(c)
    }
}

impl SalesforceConfig {
    /// A configuration for `login.salesforce.com`, API 59.0, on a standard org's fields.
    pub fn new(client_id: impl Into<String>, client_secret: SecretString) -> Self {
        Self {
            client_id: client_id.into(),
            client_secret,
            refresh_token: None,
            jwt: None,
            login_url: "https://login.salesforce.com".into(),
            instance_url: None,
            api_version: "59.0".into(),
            currency: Currency::EUR,
            product_sku_field: "ProductCode".into(),
            account_number_field: "AccountNumber".into(),
            stock_field: None,
            shipment: None,
            batch_size: 2000,
            order_payment_term_field: None,
            order_payment_method_field: None,
            product_parent_field: None,
            product_attribute_fields: BTreeMap::new(),
        }
    }

    /// The `Product2` field of a product attribute or feature (see
    /// [`product_attribute_fields`](Self::product_attribute_fields)).
    pub fn attribute_field(&self, name: &str) -> String {
        if let Some(f) = self.product_attribute_fields.get(name) {
            return f.clone();
        }
        let words: Vec<String> = name
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(|w| {
                let mut c = w.chars();
                c.next()
                    .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                    .unwrap_or_default()
            })
            .collect();
        format!("{}__c", words.join("_"))
    }

    /// The token endpoint.
    pub fn token_url(&self) -> String {
        format!("{}/services/oauth2/token", self.login_url.trim_end_matches('/'))
    }

    /// Reads `CONNECTOR_SALESFORCE_*` from the environment (as
    /// [`SalesforceConfig::from_options`] reads options).
    pub fn from_env() -> Result<Self, Error> {
        Self::from_options(&connector_core::system::options_from_env(crate::NAME))
    }

    /// Reads the settings from text options (a flow file's, `--option`, or the environment's):
    /// the keys of [`SalesforceSettings`], an unknown one refused.
    pub fn from_options(options: &BTreeMap<String, String>) -> Result<Self, Error> {
        let s: SalesforceSettings = connector_core::system::read_settings(crate::NAME, options)?;
        s.into_config()
    }

    /// Whether the environment holds Salesforce credentials.
    pub fn env_present() -> bool {
        std::env::var(ENV_CLIENT_ID).is_ok_and(|v| !v.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_fields_are_configured_or_named_after_the_attribute() {
        let mut c = SalesforceConfig::new("id", SecretString::from("s"));
        assert_eq!(c.attribute_field("size"), "Size__c");
        assert_eq!(c.attribute_field("country_of_origin"), "Country_Of_Origin__c");
        assert_eq!(c.attribute_field("Shoe size"), "Shoe_Size__c");
        c.product_attribute_fields.insert("colour".into(), "Color__c".into());
        assert_eq!(c.attribute_field("colour"), "Color__c");
    }

    #[test]
    fn options_and_versions() {
        let o: BTreeMap<String, String> = [
            ("client_id", "id"),
            ("client_secret", "s"),
            ("refresh_token", "r"),
            ("login_url", "https://test.salesforce.com/"),
            ("api_version", "v60.0"),
            ("stock_field", "Stock_Quantity__c"),
            ("shipment_object", "Shipment__c"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let c = SalesforceConfig::from_options(&o).unwrap();
        assert_eq!(c.token_url(), "https://test.salesforce.com/services/oauth2/token");
        assert_eq!(c.api_version, "60.0");
        assert_eq!(c.stock_field.as_deref(), Some("Stock_Quantity__c"));
        assert_eq!(c.shipment.as_ref().unwrap().order, "Order__c");
        assert_eq!(
            (c.product_sku_field.as_str(), c.account_number_field.as_str()),
            ("ProductCode", "AccountNumber")
        );
        assert_eq!(c.product_parent_field, None);
        let mut bad = o.clone();
        bad.insert("api_version".into(), "latest".into());
        assert!(SalesforceConfig::from_options(&bad).is_err());
        // Client credentials (no refresh token) need My Domain.
        let mut cc = o;
        cc.remove("refresh_token");
        let e = SalesforceConfig::from_options(&cc).unwrap_err();
        assert!(e.to_string().contains("My Domain"), "{e}");
        cc.insert("login_url".into(), "https://acme.my.salesforce.com".into());
        assert!(SalesforceConfig::from_options(&cc).is_ok());
    }

    #[test]
    fn a_private_key_selects_the_jwt_bearer_flow_without_a_secret() {
        let pem = "-----BEGIN PRIVATE KEY-----\nMIIsecretbits\n-----END PRIVATE KEY-----\n";
        let with = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
        };
        let jwt_options = [
            ("client_id", "3MVG9key"),
            ("private_key", pem),
            ("username", "integration@example.com"),
            ("login_url", "https://acme--uat.sandbox.my.salesforce.com"),
        ];
        let c = SalesforceConfig::from_options(&with(&jwt_options)).unwrap();
        let jwt = c.jwt.as_ref().expect("the JWT bearer flow");
        assert_eq!(jwt.username, "integration@example.com");
        assert_eq!(jwt.audience, "https://test.salesforce.com");
        let debug = format!("{c:?}");
        assert!(!debug.contains("secretbits") && !debug.contains("PRIVATE KEY"), "{debug}");

        let mut no_user = with(&jwt_options);
        no_user.remove("username");
        let e = SalesforceConfig::from_options(&no_user).unwrap_err();
        assert!(e.to_string().contains("username is required"), "{e}");
        let path = with(&[
            ("client_id", "k"),
            ("username", "u"),
            ("private_key_path", "/nonexistent/key.pem"),
            ("audience", "https://login.salesforce.com/"),
        ]);
        let e = SalesforceConfig::from_options(&path).unwrap_err();
        assert!(e.to_string().contains("/nonexistent/key.pem"), "{e}");
        assert_eq!(
            default_audience("https://login.salesforce.com"),
            "https://login.salesforce.com"
        );
    }
}
