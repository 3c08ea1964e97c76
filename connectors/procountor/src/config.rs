//! Configuration: where the API is, the credentials, and the invoice settings.

use std::fmt;

use connector_core::{Error, Result};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

/// `CONNECTOR_PROCOUNTOR_API_URL`: the host (`https://api.procountor.com`), or a full API
/// base ending in `/api`.
pub const ENV_API_URL: &str = "CONNECTOR_PROCOUNTOR_API_URL";
/// `CONNECTOR_PROCOUNTOR_API_VERSION`: `latest`, `supported` or a pinned `v2401`; empty for
/// the plain `/api` path.
pub const ENV_API_VERSION: &str = "CONNECTOR_PROCOUNTOR_API_VERSION";
/// `CONNECTOR_PROCOUNTOR_CLIENT_ID`.
pub const ENV_CLIENT_ID: &str = "CONNECTOR_PROCOUNTOR_CLIENT_ID";
/// `CONNECTOR_PROCOUNTOR_CLIENT_SECRET`.
pub const ENV_CLIENT_SECRET: &str = "CONNECTOR_PROCOUNTOR_CLIENT_SECRET";
/// `CONNECTOR_PROCOUNTOR_API_KEY`: the company's API key for this integration.
pub const ENV_API_KEY: &str = "CONNECTOR_PROCOUNTOR_API_KEY";
/// `CONNECTOR_PROCOUNTOR_REDIRECT_URI`: the client's registered redirect URI (sent with the
/// token request, as Procountor expects).
pub const ENV_REDIRECT_URI: &str = "CONNECTOR_PROCOUNTOR_REDIRECT_URI";

/// The production host.
pub const PRODUCTION_HOST: &str = "https://api.procountor.com";
/// The test environment host.
pub const TEST_HOST: &str = "https://pts-api.procountor.com";

/// The invoice channel (`invoiceChannel`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum InvoiceChannel {
    /// E-mail to the billing address.
    Email,
    /// Printed and posted (needs street, zip and city).
    Mail,
    /// Finnish e-invoice (needs the e-invoice address and operator).
    ElectronicInvoice,
    /// Not sent by Procountor.
    NoSending,
}

impl InvoiceChannel {
    /// Procountor's name.
    pub fn as_str(self) -> &'static str {
        match self {
            InvoiceChannel::Email => "EMAIL",
            InvoiceChannel::Mail => "MAIL",
            InvoiceChannel::ElectronicInvoice => "ELECTRONIC_INVOICE",
            InvoiceChannel::NoSending => "NO_SENDING",
        }
    }

    /// From Procountor's name or a loose spelling (`e-invoice`, `email`). EDIFACT and
    /// PAPER_INVOICE are refused: the API rejects them on POST and PUT.
    pub fn parse(s: &str) -> Result<Self> {
        match s.trim().to_ascii_uppercase().replace(['-', ' '], "_").as_str() {
            "EMAIL" | "E_MAIL" => Ok(InvoiceChannel::Email),
            "MAIL" | "POST" | "LETTER" => Ok(InvoiceChannel::Mail),
            "ELECTRONIC_INVOICE" | "E_INVOICE" | "EINVOICE" => {
                Ok(InvoiceChannel::ElectronicInvoice)
            }
            "NO_SENDING" | "NONE" => Ok(InvoiceChannel::NoSending),
            "EDIFACT" | "PAPER_INVOICE" => Err(Error::config(format!(
                "invoice channel {s} is rejected by Procountor's API on create and update"
            ))),
            _ => Err(Error::config(format!("unknown invoice channel `{s}`"))),
        }
    }
}

/// How the invoice channel is chosen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "mode", content = "channel")]
pub enum ChannelPolicy {
    /// From the order's data: a billing e-mail → EMAIL; else an e-invoice address →
    /// ELECTRONIC_INVOICE; else a full postal address → MAIL.
    #[default]
    FromOrder,
    /// One channel for every order.
    Forced(InvoiceChannel),
}

/// Where the customer details on the invoice come from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DetailsFrom {
    /// The order's customer data (name, address, e-mail, e-invoice address).
    #[default]
    Order,
    /// Procountor's customer register, when the customer was matched.
    Register,
}

/// An action run after the invoice is created. A sales invoice is approved (UNFINISHED →
/// NOT_SENT), then sent; Procountor's `verify` applies to purchase, travel and expense
/// invoices only, so it is not offered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FollowUp {
    /// `PUT /invoices/{id}/approve`.
    Approve,
    /// `PUT /invoices/{id}/send` (the invoice must be approved: NOT_SENT).
    Send,
}

impl FollowUp {
    /// The action's path segment.
    pub fn as_str(self) -> &'static str {
        match self {
            FollowUp::Approve => "approve",
            FollowUp::Send => "send",
        }
    }

    /// From its name. `verify` is refused with the reason: it does not apply to sales
    /// invoices.
    pub fn parse(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "approve" => Ok(FollowUp::Approve),
            "send" => Ok(FollowUp::Send),
            "verify" => Err(Error::config(
                "follow_up `verify` applies to purchase, travel and expense invoices only; a \
                 sales invoice is approved, then sent (`follow_up = approve,send`)",
            )),
            other => Err(Error::config(format!("follow_up `{other}` is not approve or send"))),
        }
    }
}

/// The Flashnode-style settings of the orders → sales invoices transfer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct InvoiceSettings {
    /// How the invoice channel is chosen.
    pub channel: ChannelPolicy,
    /// Match customers to the register (by customer number, then business ID).
    pub match_customers: bool,
    /// Create a business partner when no customer matches.
    pub create_partners: bool,
    /// Update a matched partner from the order's customer data.
    pub update_register: bool,
    /// Where the invoice's customer details come from.
    pub details_from: DetailsFrom,
    /// Match rows to the product register by product code; otherwise free rows.
    pub match_products: bool,
    /// `paymentInfo.paymentMethod` (BANK_TRANSFER by default).
    pub payment_method: String,
    /// The company's IBAN for `paymentInfo.bankAccount` (spaces are removed).
    pub bank_account: Option<String>,
    /// Days from the invoice date to the due date when the order sets no payment date.
    pub payment_days: u32,
    /// `language` (FINNISH, SWEDISH, ENGLISH).
    pub language: String,
    /// `vatStatus` code (from `GET /vats/default`; 1 is domestic sales).
    pub vat_status: i64,
    /// Actions after creating the invoice, in order.
    pub follow_up: Vec<FollowUp>,
}

impl Default for InvoiceSettings {
    fn default() -> Self {
        Self {
            channel: ChannelPolicy::FromOrder,
            match_customers: true,
            create_partners: true,
            update_register: false,
            details_from: DetailsFrom::Order,
            match_products: true,
            payment_method: "BANK_TRANSFER".to_owned(),
            bank_account: None,
            payment_days: 14,
            language: "FINNISH".to_owned(),
            vat_status: 1,
            follow_up: Vec::new(),
        }
    }
}

/// Everything the connector needs (deserialisable from a settings file; never serialised,
/// so secrets cannot leak through it).
#[derive(Clone, Deserialize)]
pub struct ProcountorConfig {
    /// The API base, ending in `/api` (`https://api.procountor.com/latest/api`).
    pub api_url: String,
    /// The token endpoint; `{api_url}/oauth/token` when `None`.
    #[serde(default)]
    pub token_url: Option<String>,
    /// The OAuth client id.
    pub client_id: String,
    /// The OAuth client secret.
    pub client_secret: SecretString,
    /// The company's API key.
    pub api_key: SecretString,
    /// The registered redirect URI, sent with the token request.
    #[serde(default)]
    pub redirect_uri: Option<String>,
    /// Requests per second. Procountor allows at most 20 a second per API client
    /// (dev.procountor.com, "API requests"), the default; companies served with the same
    /// client share that limit.
    #[serde(default = "default_per_second")]
    pub requests_per_second: u64,
    /// Requests in flight at once.
    #[serde(default = "default_concurrency")]
    pub max_concurrency: usize,
    /// The invoice settings.
    #[serde(default)]
    pub invoices: InvoiceSettings,
}

fn default_per_second() -> u64 {
    20
}

fn default_concurrency() -> usize {
    4
}

impl fmt::Debug for ProcountorConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProcountorConfig")
            .field("api_url", &self.api_url)
            .field("token_url", &self.token_url)
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .field("api_key", &"[redacted]")
            .field("redirect_uri", &self.redirect_uri)
            .field("invoices", &self.invoices)
            .finish()
    }
}

/// The API base for a host and an optional version (`latest`, `supported`, `v2401`).
/// A URL already ending in `/api` is kept as it is.
pub fn api_base(host: &str, version: Option<&str>) -> String {
    let host = host.trim().trim_end_matches('/');
    if host.ends_with("/api") {
        return host.to_owned();
    }
    match version.map(str::trim).map(|v| v.trim_matches('/')).filter(|v| !v.is_empty()) {
        Some(v) => format!("{host}/{v}/api"),
        None => format!("{host}/api"),
    }
}

/// Procountor's settings as text options give them: what [`ProcountorConfig::from_options`]
/// reads. The app's id and secret and the company's API key are required.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProcountorSettings {
    /// The app's client id.
    pub client_id: String,
    /// The app's client secret.
    pub client_secret: SecretString,
    /// The company's API key.
    pub api_key: SecretString,
    /// The API host (default production).
    #[serde(default)]
    pub api_url: Option<String>,
    /// The API version in the path (`latest`, `v2401`).
    #[serde(default)]
    pub api_version: Option<String>,
    /// The app's registered redirect URI.
    #[serde(default)]
    pub redirect_uri: Option<String>,
    /// How invoices go out: `auto` (from the order), `email`, `mail`, `e-invoice`,
    /// `no_sending`.
    #[serde(default)]
    pub channel: Option<String>,
    /// Find the order's customer in the register.
    #[serde(default)]
    pub match_customers: Option<bool>,
    /// Create a business partner when none matches.
    #[serde(default)]
    pub create_partners: Option<bool>,
    /// Update a matched partner from the order.
    #[serde(default)]
    pub update_register: Option<bool>,
    /// Where the invoice's party details come from: `order` or `register`.
    #[serde(default)]
    pub details_from: Option<String>,
    /// Match rows to the product register.
    #[serde(default)]
    pub match_products: Option<bool>,
    /// The invoices' payment method.
    #[serde(default)]
    pub payment_method: Option<String>,
    /// The bank account invoices are paid to.
    #[serde(default)]
    pub bank_account: Option<String>,
    /// Days to pay.
    #[serde(default)]
    pub payment_days: Option<u32>,
    /// The invoices' language.
    #[serde(default)]
    pub language: Option<String>,
    /// The invoices' VAT status code.
    #[serde(default)]
    pub vat_status: Option<i64>,
    /// What follows writing: `approve`, `send` (comma-separated).
    #[serde(default)]
    pub follow_up: Option<Vec<String>>,
}

impl ProcountorSettings {
    /// The configuration these settings describe.
    pub fn into_config(self) -> Result<ProcountorConfig> {
        use secrecy::ExposeSecret;
        if self.client_id.trim().is_empty()
            || self.client_secret.expose_secret().is_empty()
            || self.api_key.expose_secret().is_empty()
        {
            return Err(Error::config(
                "procountor settings: client_id, client_secret and api_key are required",
            ));
        }
        let host = self.api_url.unwrap_or_else(|| PRODUCTION_HOST.to_owned());
        let mut cfg = ProcountorConfig::new(
            api_base(&host, self.api_version.as_deref()),
            self.client_id.trim(),
            self.client_secret,
            self.api_key,
        );
        cfg.redirect_uri = self.redirect_uri;
        let s = &mut cfg.invoices;
        if let Some(c) = self.channel {
            s.channel = match c.trim().to_ascii_lowercase().as_str() {
                "" | "auto" | "from_order" | "order" => ChannelPolicy::FromOrder,
                other => ChannelPolicy::Forced(InvoiceChannel::parse(other)?),
            };
        }
        s.match_customers = self.match_customers.unwrap_or(s.match_customers);
        s.create_partners = self.create_partners.unwrap_or(s.create_partners);
        s.update_register = self.update_register.unwrap_or(s.update_register);
        s.match_products = self.match_products.unwrap_or(s.match_products);
        if let Some(d) = self.details_from {
            s.details_from = match d.trim().to_ascii_lowercase().as_str() {
                "order" => DetailsFrom::Order,
                "register" => DetailsFrom::Register,
                other => {
                    return Err(Error::config(format!(
                        "option `details_from`: `{other}` is not order or register"
                    )));
                }
            };
        }
        if let Some(v) = self.payment_method {
            s.payment_method = v.trim().to_ascii_uppercase();
        }
        s.bank_account = self.bank_account;
        s.payment_days = self.payment_days.unwrap_or(s.payment_days);
        if let Some(v) = self.language {
            s.language = v.trim().to_ascii_uppercase();
        }
        s.vat_status = self.vat_status.unwrap_or(s.vat_status);
        if let Some(actions) = self.follow_up {
            s.follow_up = actions.iter().map(|a| FollowUp::parse(a)).collect::<Result<_>>()?;
        }
        Ok(cfg)
    }
}

impl ProcountorConfig {
    /// A configuration with default settings.
    pub fn new(
        api_url: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: SecretString,
        api_key: SecretString,
    ) -> Self {
        Self {
            api_url: api_url.into(),
            token_url: None,
            client_id: client_id.into(),
            client_secret,
            api_key,
            redirect_uri: None,
            requests_per_second: default_per_second(),
            max_concurrency: default_concurrency(),
            invoices: InvoiceSettings::default(),
        }
    }

    /// From `CONNECTOR_PROCOUNTOR_*` variables (as [`ProcountorConfig::from_options`] reads
    /// options). The API URL defaults to production.
    pub fn from_env() -> Result<Self> {
        Self::from_options(&connector_core::system::options_from_env(crate::CONNECTOR))
    }

    /// Whether the credentials are set in the environment.
    pub fn env_present() -> bool {
        [ENV_CLIENT_ID, ENV_CLIENT_SECRET, ENV_API_KEY]
            .iter()
            .all(|k| std::env::var(k).is_ok_and(|v| !v.trim().is_empty()))
    }

    /// From text options (the CLI's and flow files' `key = value` settings, merged with
    /// `CONNECTOR_PROCOUNTOR_<KEY>`): the keys of [`ProcountorSettings`], an unknown one
    /// refused.
    pub fn from_options(options: &std::collections::BTreeMap<String, String>) -> Result<Self> {
        let s: ProcountorSettings =
            connector_core::system::read_settings(crate::CONNECTOR, options)?;
        s.into_config()
    }

    /// The token endpoint's URL.
    pub fn token_endpoint_url(&self) -> String {
        self.token_url
            .clone()
            .unwrap_or_else(|| format!("{}/oauth/token", self.api_url.trim_end_matches('/')))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bases() {
        assert_eq!(api_base("https://api.procountor.com", None), "https://api.procountor.com/api");
        assert_eq!(
            api_base("https://api.procountor.com/", Some("latest")),
            "https://api.procountor.com/latest/api"
        );
        assert_eq!(api_base("https://h/v2401/api", Some("latest")), "https://h/v2401/api");
    }

    #[test]
    fn from_options_and_debug_hides_secrets() {
        let opts: std::collections::BTreeMap<String, String> = [
            ("client_id", "cid"),
            ("client_secret", "s3cret"),
            ("api_key", "k3y"),
            ("api_version", "v2401"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let cfg = ProcountorConfig::from_options(&opts).unwrap();
        assert_eq!(cfg.api_url, "https://api.procountor.com/v2401/api");
        assert_eq!(cfg.requests_per_second, 20, "Procountor's published limit per client");
        assert_eq!(cfg.token_endpoint_url(), "https://api.procountor.com/v2401/api/oauth/token");
        let dbg = format!("{cfg:?}");
        assert!(!dbg.contains("s3cret") && !dbg.contains("k3y"));
        let missing = ProcountorConfig::from_options(&Default::default()).unwrap_err();
        assert!(missing.message().contains("missing field `client_id`"), "{missing}");
    }

    #[test]
    fn options() {
        let opts: std::collections::BTreeMap<String, String> = [
            ("client_id", "cid"),
            ("client_secret", "sec"),
            ("api_key", "key"),
            ("api_url", "https://pts-api.procountor.com"),
            ("channel", "e-invoice"),
            ("create_partners", "no"),
            ("details_from", "register"),
            ("follow_up", "approve, send"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let cfg = ProcountorConfig::from_options(&opts).unwrap();
        assert_eq!(cfg.api_url, "https://pts-api.procountor.com/api");
        assert_eq!(cfg.invoices.channel, ChannelPolicy::Forced(InvoiceChannel::ElectronicInvoice));
        assert!(!cfg.invoices.create_partners);
        assert_eq!(cfg.invoices.details_from, DetailsFrom::Register);
        assert_eq!(cfg.invoices.follow_up, vec![FollowUp::Approve, FollowUp::Send]);
        let mut bad = opts.clone();
        bad.insert("channel".into(), "EDIFACT".into());
        assert!(ProcountorConfig::from_options(&bad).is_err());
        let mut verify = opts;
        verify.insert("follow_up".into(), "verify,send".into());
        let e = ProcountorConfig::from_options(&verify).unwrap_err();
        assert!(e.message().contains("purchase, travel and expense"), "{}", e.message());
    }

    #[test]
    fn channels() {
        assert_eq!(InvoiceChannel::parse("e-invoice").unwrap(), InvoiceChannel::ElectronicInvoice);
        assert!(InvoiceChannel::parse("EDIFACT").is_err());
        assert!(InvoiceChannel::parse("PAPER_INVOICE").is_err());
    }
}
