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

/// How long a read of the product codes is trusted for a code it does not hold.
pub const PRODUCT_INDEX_TTL: std::time::Duration = std::time::Duration::from_secs(600);

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
    forms: OnceCell<Vec<Value>>,
    warehouses: OnceCell<Vec<Value>>,
    /// Product ids by code and when they were read (`code` is not a filter of `/products`).
    products: tokio::sync::Mutex<Option<(std::time::Instant, HashMap<String, i64>)>>,
}

/// The record a custom field belongs to: its form in `GET /formdefinitions`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CustomFieldForm {
    /// Customers (form id -1).
    Customer,
    /// Products (form id -3).
    Product,
}

impl CustomFieldForm {
    /// The form's id in `/formdefinitions`.
    pub fn form_id(self) -> i64 {
        match self {
            CustomFieldForm::Customer => -1,
            CustomFieldForm::Product => -3,
        }
    }
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
                forms: OnceCell::new(),
                warehouses: OnceCell::new(),
                products: tokio::sync::Mutex::new(None),
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
        let size = self.config().page_size.clamp(1, PAGE_SIZE);
        let opts = paginate::PageNumbers::one_based(u64::from(size));
        paginate::page_numbers(opts, move |page| {
            let filters = filters.clone();
            async move {
                let mut req = self
                    .http()
                    .get(path)
                    .operation(format!("GET /{path}"))
                    .query("page_number", page)
                    .query("page_size", size);
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
                "POST" => self.http().post(path),
                other => {
                    let e = format!("array writes are POST or PATCH, not {other}");
                    return rows.iter().map(|_| Err(vec![e.clone()])).collect();
                }
            };
            // Price and stock POSTs are upserts; PATCH is a merge: safe to send again. A POST
            // of anything else creates (invoices by external id too), so it is never resent.
            let idempotent =
                method == "PATCH" || matches!(path, "prices" | "stocklevels" | "orderstatuses");
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

    /// The record whose `field` equals `value`, through a filter the API documents for
    /// `path` (`filters=["equals(code,A1)"]` on `/customers`). What comes back is checked: a
    /// row that does not carry the value means the filter was not applied, which is an error,
    /// never a reason to take (and overwrite) that row or to conclude the record is missing.
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
            .query("page_size", 2)
            .send_json()
            .await?;
        let rows = body["data"].as_array().cloned().unwrap_or_default();
        let carries = |v: &Value| match &v[field] {
            Value::String(s) => s == value,
            Value::Number(n) => n.to_string() == value,
            _ => false,
        };
        if let Some(stray) = rows.iter().find(|v| !carries(v)) {
            return Err(Error::new(
                ErrorKind::Upstream,
                format!(
                    "Skynamo answered /{path} filtered on {field} = {value:?} with a record whose \
                     {field} is {}: the filter was not applied",
                    stray[field]
                ),
            )
            .with_connector(NAME));
        }
        Ok(rows.into_iter().next())
    }

    /// The id of the product with exactly this code. `code` is not a filter of `/products`
    /// (its filters are id, row_version, customer_id, customer_code, user_id), so the codes
    /// are read page by page and kept; a code not among them is looked for again in a fresh
    /// read once the kept one is [`PRODUCT_INDEX_TTL`] old (a product created in Skynamo
    /// meanwhile). Products this client creates are added with
    /// [`SkynamoClient::remember_product`].
    pub async fn product_id(&self, code: &str) -> Result<Option<i64>> {
        let mut index = self.inner.products.lock().await;
        let stale = index.as_ref().is_none_or(|(at, codes)| {
            !codes.contains_key(code) && at.elapsed() >= PRODUCT_INDEX_TTL
        });
        if stale {
            *index = Some((std::time::Instant::now(), self.product_codes().await?));
        }
        Ok(index.as_ref().and_then(|(_, codes)| codes.get(code).copied()))
    }

    async fn product_codes(&self) -> Result<HashMap<String, i64>> {
        use futures_util::TryStreamExt;
        let mut codes = HashMap::new();
        let mut rows = self.list("products", None);
        while let Some(v) = rows.try_next().await? {
            if let (Some(c), Some(id)) = (v["code"].as_str(), v["id"].as_i64()) {
                codes.insert(c.to_owned(), id);
            }
        }
        Ok(codes)
    }

    /// Records the id of a product this client created, for [`SkynamoClient::product_id`].
    pub async fn remember_product(&self, code: &str, id: i64) {
        if let Some((_, codes)) = self.inner.products.lock().await.as_mut() {
            codes.insert(code.to_owned(), id);
        }
    }

    /// The user id for a rep given as e-mail, login (`user_name`) or name (`display_name`),
    /// case-insensitive.
    pub async fn user_id(&self, rep: &str) -> Result<Option<i64>> {
        let users = self.inner.users.get_or_try_init(|| self.all("users")).await?;
        let want = rep.trim().to_lowercase();
        Ok(users
            .iter()
            .find(|u| {
                ["email", "user_name", "display_name"]
                    .iter()
                    .any(|k| u[*k].as_str().is_some_and(|v| v.trim().to_lowercase() == want))
            })
            .and_then(|u| u["id"].as_i64()))
    }

    /// The custom-field id for a `meta.custom` key on customers or products: the configured
    /// table first, then the field of that name on the form's definition
    /// (`GET /formdefinitions`, form -1 for customers, -3 for products; `address` matches
    /// `Address`).
    pub async fn custom_field_id(&self, form: CustomFieldForm, key: &str) -> Result<Option<i64>> {
        if let Some(id) = self.config().custom_fields.get(key) {
            return id.trim().parse().map(Some).map_err(|_| {
                Error::config(format!("custom field id `{id}` for `{key}` is not a number"))
            });
        }
        let forms = self.inner.forms.get_or_try_init(|| self.all("formdefinitions")).await?;
        let norm = |s: &str| s.to_lowercase().replace([' ', '-'], "_");
        Ok(forms
            .iter()
            .filter(|f| f["id"].as_i64() == Some(form.form_id()))
            .flat_map(|f| f["custom_fields"].as_array().cloned().unwrap_or_default())
            .find(|f| f["name"].as_str().is_some_and(|n| norm(n) == norm(key)))
            .and_then(|f| f["id"].as_i64()))
    }

    /// The warehouse id for a warehouse name (warehouses have no code), case-insensitive.
    pub async fn warehouse_id(&self, name: &str) -> Result<Option<i64>> {
        let all = self.inner.warehouses.get_or_try_init(|| self.all("warehouses")).await?;
        Ok(all
            .iter()
            .find(|w| {
                w["name"].as_str().is_some_and(|v| v.trim().eq_ignore_ascii_case(name.trim()))
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
