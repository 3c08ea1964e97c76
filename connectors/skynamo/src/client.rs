//! The connection: `x-api-key` and `x-api-client` headers, the `{data, page}` envelope,
//! positional error bodies, lookups of users, custom fields, warehouses and price lists.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use connector_core::http::{
    HeaderAuth, HeaderMap, HttpClient, RetryPolicy, body_excerpt, paginate,
};
use connector_core::{Error, ErrorKind, FieldError, Result};
use futures_util::stream::BoxStream;
use secrecy::SecretString;
use serde_json::{Value, json};
use tokio::sync::OnceCell;

use crate::config::{PAGE_SIZE, SkynamoConfig};

/// The connector's name.
pub const NAME: &str = "skynamo";

/// A connection to one Skynamo instance. Cheap to clone.
#[derive(Debug, Clone)]
pub struct SkynamoClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    http: HttpClient,
    config: SkynamoConfig,
    users: OnceCell<Vec<Value>>,
    custom_fields: OnceCell<Vec<Value>>,
    warehouses: OnceCell<Vec<Value>>,
}

/// Whether an order was taken into the ERP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderStatus {
    /// Written to the ERP.
    Logged,
    /// Refused by the ERP (with a reason).
    Failed,
}

/// One element of an array write's answer.
pub type RowResult = std::result::Result<Value, Vec<String>>;

/// Turns a non-2xx answer into an error: `{"message": …, "errors": [{"index", "detail"}]}`
/// becomes field errors named `[index]`; API Gateway's `{"message":"Forbidden"}` says the key,
/// instance or region is wrong.
pub fn refine_error(status: u16, _headers: &HeaderMap, body: &[u8]) -> Error {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let message = parsed
        .as_ref()
        .and_then(|v| v["message"].as_str())
        .map(str::to_owned)
        .unwrap_or_else(|| body_excerpt(body));
    let mut e = Error::from_status(status, format!("Skynamo answered {status}: {message}"));
    if status == 403 && message == "Forbidden" {
        e = e.context("invalid region, instance name or API key");
    }
    if let Some(errors) = parsed.as_ref().and_then(|v| v["errors"].as_array()) {
        let fields: Vec<FieldError> =
            errors
                .iter()
                .flat_map(|err| {
                    let i = err["index"].as_u64().unwrap_or_default();
                    err["detail"].as_array().cloned().unwrap_or_default().into_iter().map(
                        move |d| FieldError::new(format!("[{i}]"), d.as_str().unwrap_or_default()),
                    )
                })
                .collect();
        e = e.with_field_errors(fields);
    }
    e
}

impl SkynamoClient {
    /// A client for the configuration (no call is made).
    pub fn new(config: SkynamoConfig) -> Result<Self> {
        let auth = HeaderAuth::api_key("x-api-key", config.api_key.clone())?
            .header("x-api-client", SecretString::from(config.instance.clone()))?;
        let http = HttpClient::builder(NAME, &config.api_url)
            .auth(auth)
            .retry(RetryPolicy::default())
            .attempt_timeout(Duration::from_secs(60))
            .deadline(Duration::from_secs(600))
            .error_refiner(refine_error)
            .default_header("accept", "application/json")
            .build()?;
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                config,
                users: OnceCell::new(),
                custom_fields: OnceCell::new(),
                warehouses: OnceCell::new(),
            }),
        })
    }

    /// The HTTP client.
    pub fn http(&self) -> &HttpClient {
        &self.inner.http
    }

    /// The configuration.
    pub fn config(&self) -> &SkynamoConfig {
        &self.inner.config
    }

    /// A connection test: one page of one user.
    pub async fn check(&self) -> Result<()> {
        self.http()
            .get("users")
            .query("page_size", 1)
            .operation("GET /users")
            .send()
            .await
            .map(|_| ())
    }

    /// Every record of a collection, page by page (`page_number` from 1, `page_size` 200),
    /// with optional `filters` (`["greater_than(row_version,42)"]`). The order is undefined:
    /// callers dedupe by id.
    pub fn list(
        &self,
        path: &'static str,
        filters: Option<String>,
    ) -> BoxStream<'_, Result<Value>> {
        let opts = paginate::PageNumbers::one_based(u64::from(PAGE_SIZE));
        paginate::page_numbers(opts, move |page| {
            let filters = filters.clone();
            async move {
                let mut req = self
                    .http()
                    .get(path)
                    .operation(format!("GET /{path}"))
                    .query("page_number", page)
                    .query("page_size", PAGE_SIZE);
                if let Some(f) = filters {
                    req = req.query("filters", f);
                }
                let mut body: Value = req.send_json().await?;
                let items = match body["data"].take() {
                    Value::Array(a) => a,
                    Value::Null => Vec::new(),
                    _ => {
                        return Err(Error::decode(format!("`data` of /{path} is not a list"))
                            .with_connector(NAME));
                    }
                };
                let mut p = paginate::NumberedPage::new(items);
                if let Some(n) = body["page"]["filtered_item_count"].as_u64() {
                    p = p.with_total_items(n);
                }
                Ok(p)
            }
        })
    }

    async fn all(&self, path: &'static str) -> Result<Vec<Value>> {
        use futures_util::TryStreamExt;
        self.list(path, None).try_collect().await
    }

    /// Sends an array write (at most 20 rows; `POST` or `PATCH`, never `PUT`) and returns one
    /// result per row. A refusal naming rows by index fails those rows; the others are sent
    /// again without them, so one bad row never holds back its batch.
    pub async fn write_array(
        &self,
        method: &str,
        path: &'static str,
        rows: Vec<Value>,
    ) -> Vec<RowResult> {
        let mut results: Vec<Option<RowResult>> = vec![None; rows.len()];
        let mut pending: Vec<usize> = (0..rows.len()).collect();
        for _round in 0..3 {
            if pending.is_empty() {
                break;
            }
            let body: Vec<&Value> = pending.iter().map(|&i| &rows[i]).collect();
            let req = match method {
                "PATCH" => self.http().patch(path),
                _ => self.http().post(path),
            };
            // Price and stock POSTs are upserts; PATCH is a merge: safe to send again.
            let idempotent = method == "PATCH"
                || matches!(
                    path,
                    "prices" | "stocklevels" | "invoicesbyexternalid" | "orderstatuses"
                );
            let answer = req
                .operation(format!("{method} /{path}"))
                .idempotent(idempotent)
                .json(&body)
                .send_json::<Value>()
                .await;
            match answer {
                Ok(v) => {
                    let data = v["data"].as_array().cloned().unwrap_or_default();
                    for (n, &i) in pending.iter().enumerate() {
                        results[i] = Some(Ok(data.get(n).cloned().unwrap_or(Value::Null)));
                    }
                    pending.clear();
                }
                Err(e) if !e.field_errors().is_empty() && e.kind() == ErrorKind::InvalidInput => {
                    let mut failed: HashMap<usize, Vec<String>> = HashMap::new();
                    for fe in e.field_errors() {
                        let idx =
                            fe.field.trim_matches(|c| c == '[' || c == ']').parse::<usize>().ok();
                        if let Some(idx) = idx.filter(|i| *i < pending.len()) {
                            failed.entry(idx).or_default().push(fe.message.clone());
                        }
                    }
                    if failed.is_empty() {
                        for &i in &pending {
                            results[i] = Some(Err(vec![e.message().to_owned()]));
                        }
                        pending.clear();
                    } else {
                        let mut rest = Vec::new();
                        for (n, &i) in pending.iter().enumerate() {
                            match failed.remove(&n) {
                                Some(msgs) => results[i] = Some(Err(msgs)),
                                None => rest.push(i),
                            }
                        }
                        pending = rest;
                    }
                }
                Err(e) => {
                    for &i in &pending {
                        results[i] = Some(Err(vec![e.to_string()]));
                    }
                    pending.clear();
                }
            }
        }
        results
            .into_iter()
            .map(|r| {
                r.unwrap_or_else(|| Err(vec!["not sent: too many rounds of refusals".to_owned()]))
            })
            .collect()
    }

    /// The first record whose `field` equals `value` (`filters=["equals(code,A1)"]`).
    pub async fn find_by(
        &self,
        path: &'static str,
        field: &str,
        value: &str,
    ) -> Result<Option<Value>> {
        let body: Value = self
            .http()
            .get(path)
            .operation(format!("GET /{path}"))
            .query("filters", json!([format!("equals({field},{value})")]).to_string())
            .query("page_size", 1)
            .send_json()
            .await?;
        Ok(body["data"].as_array().and_then(|a| a.first().cloned()))
    }

    /// The user id for a rep given as e-mail or name (case-insensitive).
    pub async fn user_id(&self, rep: &str) -> Result<Option<i64>> {
        let users = self.inner.users.get_or_try_init(|| self.all("users")).await?;
        let want = rep.trim().to_lowercase();
        Ok(users
            .iter()
            .find(|u| {
                ["email", "name", "code"]
                    .iter()
                    .any(|k| u[*k].as_str().is_some_and(|v| v.trim().to_lowercase() == want))
            })
            .and_then(|u| u["id"].as_i64()))
    }

    /// The custom-field id for a `meta.custom` key: the configured table first, then the
    /// instance's field of that name (`address` matches `Address`).
    pub async fn custom_field_id(&self, key: &str) -> Result<Option<String>> {
        if let Some(id) = self.config().custom_fields.get(key) {
            return Ok(Some(id.clone()));
        }
        let fields = self.inner.custom_fields.get_or_try_init(|| self.all("customfields")).await?;
        let norm = |s: &str| s.to_lowercase().replace([' ', '-'], "_");
        Ok(fields
            .iter()
            .find(|f| f["name"].as_str().is_some_and(|n| norm(n) == norm(key)))
            .and_then(|f| match &f["id"] {
                Value::Number(n) => Some(n.to_string()),
                Value::String(s) => Some(s.clone()),
                _ => None,
            }))
    }

    /// The warehouse id for a warehouse name or code.
    pub async fn warehouse_id(&self, name: &str) -> Result<Option<i64>> {
        let all = self.inner.warehouses.get_or_try_init(|| self.all("warehouses")).await?;
        Ok(all
            .iter()
            .find(|w| {
                ["name", "code"]
                    .iter()
                    .any(|k| w[*k].as_str().is_some_and(|v| v.eq_ignore_ascii_case(name)))
            })
            .and_then(|w| w["id"].as_i64()))
    }

    /// Acknowledges an order or quote through `/orderstatuses` (`Logged` or `Failed` with a
    /// reason), so Skynamo users see it was taken in.
    pub async fn acknowledge(
        &self,
        document_id: i64,
        status: OrderStatus,
        reason: Option<&str>,
    ) -> Result<()> {
        let now = connector_core::http::now_utc().format("%Y-%m-%dT%H:%M:%S").to_string();
        let row = json!({
            "document_id": document_id,
            "date": now,
            "status": match status { OrderStatus::Logged => "Logged", OrderStatus::Failed => "Failed" },
            "status_reason": reason.unwrap_or(""),
        });
        match self.write_array("POST", "orderstatuses", vec![row]).await.pop() {
            Some(Ok(_)) => Ok(()),
            Some(Err(msgs)) => {
                Err(Error::new(ErrorKind::InvalidInput, msgs.join("; ")).with_connector(NAME))
            }
            None => Ok(()),
        }
    }

    /// The ids of documents already acknowledged as `Logged`.
    pub async fn logged_documents(&self) -> Result<std::collections::HashSet<i64>> {
        let all = self.all("orderstatuses").await?;
        Ok(all
            .iter()
            .filter(|s| s["status"].as_str() == Some("Logged"))
            .filter_map(|s| s["document_id"].as_i64())
            .collect())
    }
}
