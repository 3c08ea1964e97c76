//! The connection to AccountView.Net: OAuth2 with rotating refresh tokens, the company
//! (`X-Company`) from the settings or the first of `/companies`, AccountView's error body
//! (`{"ErrorType","ErrorNumbers","ErrorMessage"}`) and the generic `accountviewdata`
//! endpoint read page by page with keyset paging (`lastKey`).

use std::sync::Arc;
use std::time::Duration;

use connector_core::http::{
    ClientAuthMethod, HeaderMap, HttpClient, MemoryTokenStore, OAuth2, RetryPolicy, TokenEndpoint,
    TokenSet, TokenStore, body_excerpt,
};
use connector_core::{Error, FieldError, Result};
use futures_util::stream::{self, BoxStream, StreamExt};
use serde::Deserialize;
use serde_json::{Map, Value};
use tokio::sync::OnceCell;

use crate::config::AccountViewConfig;

/// The connector's name.
pub const NAME: &str = "accountview";

/// A connection to one AccountView company. Made without I/O; the session (token, company)
/// is opened on first use, once.
#[derive(Debug, Clone)]
pub struct AccountViewClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: AccountViewConfig,
    auth: Arc<OAuth2>,
    store: Arc<dyn TokenStore>,
    session: OnceCell<Session>,
}

#[derive(Debug)]
struct Session {
    http: HttpClient,
    company: String,
}

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(rename = "ErrorMessage", default)]
    message: String,
}

/// A non-2xx answer as an error: AccountView's `ErrorMessage` is the message and the field
/// error of a refused write.
pub fn refine_error(status: u16, _headers: &HeaderMap, body: &[u8]) -> Error {
    let text =
        serde_json::from_slice::<ErrorBody>(body).ok().map(|b| b.message).filter(|m| !m.is_empty());
    let head = text.clone().unwrap_or_else(|| body_excerpt(body));
    let mut e = Error::from_status(status, format!("AccountView answered {status}: {head}"));
    if let (Some(t), 400..=499) = (text, status) {
        // "Veld SUB_NR is verplicht": the column AccountView names, else the record.
        let field = t
            .split_whitespace()
            .skip_while(|w| !w.eq_ignore_ascii_case("veld"))
            .nth(1)
            .filter(|f| f.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
            .unwrap_or("record")
            .to_owned();
        e = e.with_field_errors(vec![FieldError::new(field, t)]);
    }
    e.with_connector(NAME)
}

/// One page of a business object: its rows (upper-case DBF columns).
pub type Rows = Vec<Map<String, Value>>;

impl AccountViewClient {
    /// A client for the configuration: tokens in `store` (seeded with the configured refresh
    /// token when it holds none), or in memory. No I/O.
    pub fn new(config: AccountViewConfig, store: Option<Arc<dyn TokenStore>>) -> Result<Self> {
        let store: Arc<dyn TokenStore> = match store {
            Some(s) => s,
            None => Arc::new(MemoryTokenStore::new(
                config.refresh_token.clone().map(TokenSet::from_refresh_token),
            )),
        };
        let endpoint = TokenEndpoint::new(&config.token_url, config.client_id.clone())?
            .client_secret(config.client_secret.clone())
            .client_auth(ClientAuthMethod::RequestBody)
            .connector(NAME);
        let auth = Arc::new(
            OAuth2::refresh_token(endpoint, store.clone())
                .refresh_skew(Duration::from_secs(30))
                .build(),
        );
        Ok(Self { inner: Arc::new(Inner { config, auth, store, session: OnceCell::new() }) })
    }

    /// The configuration.
    pub fn config(&self) -> &AccountViewConfig {
        &self.inner.config
    }

    async fn session(&self) -> Result<&Session> {
        self.inner.session.get_or_try_init(|| self.open_session()).await
    }

    fn http_for(&self, company: Option<&str>) -> Result<HttpClient> {
        let mut b = HttpClient::builder(
            NAME,
            format!("{}/", self.inner.config.api_url.trim_end_matches('/')),
        )
        .auth(self.inner.auth.clone())
        .retry(RetryPolicy::default().with_retry_client_errors(false))
        .attempt_timeout(Duration::from_secs(60))
        .error_refiner(refine_error)
        .default_header("accept", "application/json");
        if let Some(c) = company {
            b = b.default_header("x-company", c);
        }
        b.build()
    }

    async fn open_session(&self) -> Result<Session> {
        let config = &self.inner.config;
        if self.inner.store.load().await?.is_none() {
            match &config.refresh_token {
                Some(rt) => {
                    self.inner.store.save(&TokenSet::from_refresh_token(rt.clone())).await?
                }
                None => {
                    return Err(Error::config(
                        "no AccountView refresh token: set CONNECTOR_ACCOUNTVIEW_REFRESH_TOKEN",
                    ));
                }
            }
        }
        let company = match &config.company_id {
            Some(c) => c.clone(),
            None => {
                let companies: Vec<Value> = self
                    .http_for(None)?
                    .get("companies")
                    .operation("GET companies")
                    .send_json()
                    .await?;
                companies
                    .first()
                    .and_then(|c| c.get("Id"))
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .ok_or_else(|| {
                        Error::config("the AccountView account has no company").with_connector(NAME)
                    })?
            }
        };
        Ok(Session { http: self.http_for(Some(&company))?, company })
    }

    /// The HTTP client, with `X-Company` (connecting first if need be).
    pub async fn http(&self) -> Result<&HttpClient> {
        Ok(&self.session().await?.http)
    }

    /// The company, once connected.
    pub fn company(&self) -> Option<&str> {
        self.inner.session.get().map(|s| s.company.as_str())
    }

    /// A connection test: one row of the debtors.
    pub async fn check(&self) -> Result<()> {
        let http = &self.session().await?.http;
        let _: Value = http
            .get("accountviewdata")
            .query("BusinessObject", "AR1")
            .query("PageSize", 1)
            .query("Fields", "contact.sub_nr")
            .operation("GET accountviewdata")
            .send_json()
            .await?;
        Ok(())
    }

    /// The code of the order business object (the setting `order_business_object`), or an
    /// error saying how to find it.
    pub fn order_business_object(&self) -> Result<&str> {
        self.inner.config.order_business_object.as_deref().ok_or_else(|| {
            Error::config(
                "AccountView orders need the setting order_business_object: the code of the \
                 company's order business object (tables ART_HDR and ART_LINE), one of those \
                 GET /accountviewsystembusinessobjects lists",
            )
            .with_connector(NAME)
        })
    }

    /// The business objects of the company (`GET accountviewsystembusinessobjects`): code,
    /// description and whether inserts are allowed.
    pub async fn business_objects(&self) -> Result<Vec<BusinessObjectInfo>> {
        self.session()
            .await?
            .http
            .get("accountviewsystembusinessobjects")
            .operation("GET accountviewsystembusinessobjects")
            .send_json()
            .await
    }

    /// Streams the rows of `business_object` (table `table`, keyed by `key` for paging) with
    /// `fields` (`contact.sub_nr,…`) and an optional VFP `filter`, page by page: a full page
    /// means there may be more, and the next starts after the last row's key (`lastKey`).
    pub fn pages<'a>(
        &'a self,
        business_object: impl Into<String>,
        table: &'static str,
        key: &'static str,
        fields: String,
        filter: Option<String>,
    ) -> BoxStream<'a, Result<Rows>> {
        self.answers(business_object, table, key, fields, filter)
            .map(move |answer| answer.and_then(|a| rows_of(Value::Object(a), table)))
            .boxed()
    }

    /// As [`pages`](Self::pages), each page the whole answer: a header/detail business
    /// object answers with both tables (`{"ART_HDR":[…],"ART_LINE":[…]}`); paging follows
    /// `table`'s rows.
    pub fn answers<'a>(
        &'a self,
        business_object: impl Into<String>,
        table: &'static str,
        key: &'static str,
        fields: String,
        filter: Option<String>,
    ) -> BoxStream<'a, Result<Map<String, Value>>> {
        let size = self.inner.config.page_size;
        let business_object = business_object.into();
        stream::unfold(Some(None::<String>), move |state| {
            let (fields, filter, object) =
                (fields.clone(), filter.clone(), business_object.clone());
            async move {
                let last_key = state?;
                let http = match self.session().await {
                    Ok(s) => &s.http,
                    Err(e) => return Some((Err(e), None)),
                };
                let mut req = http
                    .get("accountviewdata")
                    .query("BusinessObject", &object)
                    .query("PageSize", size)
                    .query("Fields", &fields)
                    .operation(format!("GET accountviewdata {object}"));
                if let Some(f) = &filter {
                    req = req.query("Filter", f);
                }
                if let Some(k) = &last_key {
                    req = req.query("lastKey", k);
                }
                let answer = match req.send_json::<Value>().await {
                    Ok(Value::Object(map)) => map,
                    Ok(_) => {
                        let e = Error::decode("an accountviewdata answer is not an object");
                        return Some((Err(e.with_connector(NAME)), None));
                    }
                    Err(e) => return Some((Err(e), None)),
                };
                let rows = match answer.get(table) {
                    None | Some(Value::Null) => &[][..],
                    Some(Value::Array(rows)) => rows.as_slice(),
                    Some(_) => {
                        let e = Error::decode(format!("{table} is not a list of rows"));
                        return Some((Err(e.with_connector(NAME)), None));
                    }
                };
                let next = if !rows.is_empty() && rows.len() % size as usize == 0 {
                    match rows.last().and_then(|r| r.get(key)).and_then(Value::as_str) {
                        Some(k) => Some(Some(k.to_owned())),
                        None => {
                            let e = Error::decode(format!(
                                "a full page of {table} without {key}: cannot page on"
                            ));
                            return Some((Err(e.with_connector(NAME)), None));
                        }
                    }
                } else {
                    None
                };
                Some((Ok(answer), next))
            }
        })
        .boxed()
    }
}

/// One business object of a company, as `GET accountviewsystembusinessobjects` lists it.
#[derive(Debug, Clone, Deserialize)]
#[non_exhaustive]
pub struct BusinessObjectInfo {
    /// The code (`AR1`).
    #[serde(rename = "Code")]
    pub code: String,
    /// What it is, in the company's language.
    #[serde(rename = "Description", default)]
    pub description: String,
    /// Whether rows may be inserted through it.
    #[serde(rename = "InsertAllowed", default)]
    pub insert_allowed: bool,
}

/// The rows of `table` in an `accountviewdata` answer (`{"CONTACT":[…]}`); an answer without
/// the table is an empty page.
pub fn rows_of(body: Value, table: &str) -> Result<Rows> {
    let Value::Object(mut map) = body else {
        return Err(
            Error::decode("an accountviewdata answer is not an object").with_connector(NAME)
        );
    };
    match map.remove(table) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(rows)) => {
            rows.into_iter()
                .map(|r| match r {
                    Value::Object(o) => Ok(o),
                    _ => Err(Error::decode(format!("a {table} row is not an object"))
                        .with_connector(NAME)),
                })
                .collect()
        }
        Some(_) => {
            Err(Error::decode(format!("{table} is not a list of rows")).with_connector(NAME))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_and_rows() {
        let e = refine_error(400, &HeaderMap::new(), br#"{"ErrorType":"AccountViewError","ErrorNumbers":null,"ErrorMessage":"Veld SUB_NR is verplicht"}"#);
        assert!(e.message().contains("Veld SUB_NR is verplicht"), "{e}");
        assert_eq!(e.field_errors()[0].message, "Veld SUB_NR is verplicht");
        assert_eq!(e.field_errors()[0].field, "SUB_NR");
        let rows = rows_of(serde_json::json!({"CONTACT":[{"SUB_NR":"1"}]}), "CONTACT").unwrap();
        assert_eq!(rows.len(), 1);
        assert!(rows_of(serde_json::json!({}), "CONTACT").unwrap().is_empty());
        assert!(rows_of(serde_json::json!([]), "CONTACT").is_err());
    }
}
