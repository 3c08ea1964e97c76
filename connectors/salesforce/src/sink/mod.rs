//! Sinks, all through sObject Collections (at most 200 records a call, `allOrNone: false`,
//! one result per record): Product → `Product2` by its SKU field, with its price in the
//! standard price book (`PricebookEntry`) (module `products`); StockLevel → the configured stock
//! field of `Product2` (module `stock`); Shipment → the configured shipment object, linked to
//! the `Order` found by `OrderNumber` (module `shipments`); Customer → `Account` by its number
//! field (module `customers`).
//!
//! A record is written by its key field: upserted when the
//! org marks the field an External ID (`describe`), else looked up by it and then updated
//! by `Id` or created, as a standard org's `AccountNumber` and `ProductCode` need.

mod customers;
mod products;
mod shipments;
mod stock;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use connector_core::http::Method;
use connector_core::model::CustomValue;
use connector_core::sink::{Outcome, WriteOutcome};
use connector_core::{Error, ErrorKind, FieldError, Result};
use serde_json::{Value, json};

pub use products::product_body;

use crate::client::{NAME, SalesforceClient, id18, literal};

/// The most records one collection call carries.
pub const MAX_BATCH: usize = 200;

/// Writes products, stock, shipments and accounts.
#[derive(Debug, Clone)]
pub struct SalesforceSink {
    pub(crate) client: SalesforceClient,
    standard_book: Arc<Mutex<Option<String>>>,
    orders: Arc<Mutex<HashMap<String, String>>>,
}

fn fail(key: &str, e: Error) -> WriteOutcome {
    WriteOutcome::new(
        key,
        Outcome::Failed { error: e.with_connector(NAME).with_record(key.to_owned()) },
    )
}

fn custom_json(v: &CustomValue) -> Value {
    match v {
        CustomValue::Text(s) | CustomValue::Choice(s) => json!(s),
        CustomValue::Number(d) => decimal(*d),
        CustomValue::Bool(b) => json!(b),
        CustomValue::Date(d) => json!(d.to_string()),
        CustomValue::DateTime(d) => json!(connector_core::http::dates::format_salesforce(*d)),
        CustomValue::Json(j) => j.clone(),
    }
}

fn decimal(d: rust_decimal::Decimal) -> Value {
    serde_json::from_str(&d.normalize().to_string()).unwrap_or(Value::Null)
}

/// One row of a collection call: the request key, whether it deactivates, the record.
pub(crate) struct Row {
    key: String,
    deactivate: bool,
    record: Value,
}

impl SalesforceSink {
    /// A sink over a connection.
    pub fn new(client: SalesforceClient) -> Self {
        Self {
            client,
            standard_book: Arc::new(Mutex::new(None)),
            orders: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// Writes rows keyed by `field` of `object`: an upsert by it where the org marks it an
    /// External ID, else a lookup by it (`SELECT Id, field … WHERE field IN (…)`), then an
    /// update by `Id` of the records found and a create of the others. On that lookup path a
    /// row that already carries the record's `Id` (the flow wrote it before) is updated by
    /// it, unlooked-up; a key held by two records fails its row, naming both, and a key that
    /// comes twice in one batch is created once (the second row fails, to be sent again).
    async fn upsert_by(
        &self,
        object: &str,
        field: &str,
        rows: Vec<Row>,
    ) -> Vec<(Row, Result<(String, bool)>)> {
        if rows.is_empty() {
            return Vec::new();
        }
        let described = match self.client.describe(object).await {
            Ok(d) => d,
            Err(e) => return rows.into_iter().map(|r| (r, Err(e.clone()))).collect(),
        };
        if described.is_external_id(field) {
            // An upsert by External ID carries no `Id`.
            let rows = rows
                .into_iter()
                .map(|mut r| {
                    if let Some(m) = r.record.as_object_mut() {
                        m.remove("Id");
                    }
                    r
                })
                .collect();
            return self.collection(object, Some(field), rows).await;
        }
        let (mut updates, rows): (Vec<Row>, Vec<Row>) =
            rows.into_iter().partition(|r| r.record.get("Id").is_some_and(Value::is_string));
        let key = |r: &Row| r.record[field].as_str().map(|k| k.trim().to_lowercase());
        let keys: Vec<String> =
            rows.iter().filter_map(|r| r.record[field].as_str()).map(str::to_owned).collect();
        let mut found: HashMap<String, Vec<String>> = HashMap::new();
        for list in in_lists(&keys) {
            let soql = format!("SELECT Id, {field} FROM {object} WHERE {field} IN ({list})");
            let mut pages = self.client.query(soql);
            while let Some(page) = futures_util::StreamExt::next(&mut pages).await {
                match page {
                    Ok(records) => {
                        for r in records {
                            if let (Some(id), Some(k)) = (r["Id"].as_str(), r[field].as_str()) {
                                found.entry(k.trim().to_lowercase()).or_default().push(id18(id));
                            }
                        }
                    }
                    Err(e) => {
                        let all = updates.into_iter().chain(rows);
                        return all.map(|r| (r, Err(e.clone()))).collect();
                    }
                }
            }
        }
        let mut out = Vec::new();
        let mut creates = Vec::new();
        let mut creating: std::collections::HashSet<String> = std::collections::HashSet::new();
        for mut row in rows {
            let k = key(&row);
            match k.as_ref().and_then(|k| found.get(k)).map(Vec::as_slice) {
                None | Some([]) => match k {
                    Some(k) if !creating.insert(k.clone()) => {
                        let e = Error::new(
                            ErrorKind::Conflict,
                            format!(
                                "{field} {k} comes twice in one batch: created once, this one is sent again later"
                            ),
                        );
                        out.push((row, Err(e)));
                    }
                    _ => creates.push(row),
                },
                Some([id]) => {
                    row.record["Id"] = json!(id);
                    updates.push(row);
                }
                Some(ids) => {
                    let e = Error::new(
                        ErrorKind::Conflict,
                        format!(
                            "{} {object} records have {field} {}: {} (the field is no External ID, so nothing keeps it unique)",
                            ids.len(),
                            row.record[field],
                            ids.join(", ")
                        ),
                    );
                    out.push((row, Err(e)));
                }
            }
        }
        out.extend(self.post_collection(object, creates).await);
        out.extend(self.collection(object, None, updates).await);
        out
    }

    /// Updates (`upsert_field` `None`, by `Id`) or upserts (by that External ID) rows
    /// through `PATCH composite/sobjects`, idempotent: the same request lands the same.
    async fn collection(
        &self,
        object: &str,
        upsert_field: Option<&str>,
        rows: Vec<Row>,
    ) -> Vec<(Row, Result<(String, bool)>)> {
        let path = match upsert_field {
            Some(f) => format!("composite/sobjects/{object}/{f}"),
            None => "composite/sobjects".to_owned(),
        };
        self.send(object, Method::PATCH, &path, rows).await
    }

    /// Creates rows through `POST composite/sobjects` (not idempotent: an uncertain answer
    /// is not sent again; the engine looks the record up first).
    async fn post_collection(
        &self,
        object: &str,
        rows: Vec<Row>,
    ) -> Vec<(Row, Result<(String, bool)>)> {
        self.send(object, Method::POST, "composite/sobjects", rows).await
    }

    /// Sends rows in calls of at most 200 and matches the per-record results by position:
    /// `(id, created)`; a create's result is created whether or not it says so.
    async fn send(
        &self,
        object: &str,
        method: Method,
        path: &str,
        rows: Vec<Row>,
    ) -> Vec<(Row, Result<(String, bool)>)> {
        let creating = method == Method::POST;
        let mut out = Vec::with_capacity(rows.len());
        let mut rows = rows.into_iter().peekable();
        while rows.peek().is_some() {
            let chunk: Vec<Row> = rows.by_ref().take(MAX_BATCH).collect();
            let records: Vec<Value> = chunk
                .iter()
                .map(|r| {
                    let mut rec = r.record.clone();
                    rec["attributes"] = json!({"type": object});
                    rec
                })
                .collect();
            let answer = match self.client.http().await {
                Ok(http) => {
                    http.request(method.clone(), path)
                        .operation(format!("{method} /{path}"))
                        .idempotent(!creating)
                        .json(&json!({"allOrNone": false, "records": records}))
                        .send_json::<Vec<Value>>()
                        .await
                }
                Err(e) => Err(e),
            };
            match answer {
                Ok(results) => {
                    for (i, row) in chunk.into_iter().enumerate() {
                        let r = save_result(object, i, results.get(i))
                            .map(|(id, created)| (id, created || creating));
                        out.push((row, r));
                    }
                }
                Err(e) => out.extend(chunk.into_iter().map(|row| (row, Err(e.clone())))),
            }
        }
        out
    }

    fn outcomes(results: Vec<(Row, Result<(String, bool)>)>) -> Vec<WriteOutcome> {
        results
            .into_iter()
            .map(|(row, r)| match r {
                Ok((id, _)) if row.deactivate => {
                    WriteOutcome::new(&row.key, Outcome::Deactivated { target_id: id })
                }
                Ok((id, true)) => WriteOutcome::new(&row.key, Outcome::Created { target_id: id }),
                Ok((id, false)) => WriteOutcome::new(&row.key, Outcome::Updated { target_id: id }),
                Err(e) => fail(&row.key, e),
            })
            .collect()
    }
}

/// The most characters of literals one SOQL `IN (…)` list takes: Salesforce refuses a
/// request line and headers over 16,384 bytes (`414`), and a query goes in the URL.
pub const IN_LIST_CHARS: usize = 4_000;

/// `values` as SOQL `IN` lists (`'a', 'b'`) of at most [`IN_LIST_CHARS`] characters and
/// [`MAX_BATCH`] values each.
fn in_lists(values: &[String]) -> Vec<String> {
    let mut lists = Vec::new();
    let (mut list, mut n) = (String::new(), 0);
    for v in values {
        let lit = literal(v);
        if n > 0 && (list.len() + lit.len() + 2 > IN_LIST_CHARS || n == MAX_BATCH) {
            lists.push(std::mem::take(&mut list));
            n = 0;
        }
        if n > 0 {
            list.push_str(", ");
        }
        list.push_str(&lit);
        n += 1;
    }
    if n > 0 {
        lists.push(list);
    }
    lists
}

/// One record's result: `{id, success, errors: [{statusCode, message, fields}], created}`.
fn save_result(object: &str, i: usize, res: Option<&Value>) -> Result<(String, bool)> {
    let Some(res) = res else {
        return Err(Error::new(
            ErrorKind::UncertainWrite,
            format!("Salesforce's answer has no result {i}"),
        ));
    };
    if res.get("success").and_then(Value::as_bool) == Some(true) {
        return Ok((
            res.get("id").and_then(Value::as_str).map(id18).unwrap_or_default(),
            res.get("created").and_then(Value::as_bool).unwrap_or(false),
        ));
    }
    let errs = res.get("errors").and_then(Value::as_array).cloned().unwrap_or_default();
    let msgs: Vec<String> = errs
        .iter()
        .map(|e| {
            format!(
                "{}: {}",
                e["statusCode"].as_str().unwrap_or(""),
                e["message"].as_str().unwrap_or("")
            )
        })
        .collect();
    let fe: Vec<FieldError> = errs
        .iter()
        .flat_map(|e| {
            let msg = e["message"].as_str().unwrap_or("").to_owned();
            let fields: Vec<String> = e["fields"]
                .as_array()
                .map(|a| a.iter().filter_map(|f| f.as_str().map(str::to_owned)).collect())
                .unwrap_or_default();
            let fields = if fields.is_empty() { vec!["record".to_owned()] } else { fields };
            fields.into_iter().map(move |f| FieldError::new(f, msg.clone()))
        })
        .collect();
    Err(Error::new(
        ErrorKind::InvalidInput,
        format!("Salesforce refused the {object}: {}", msgs.join("; ")),
    )
    .with_field_errors(fe))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_lists_keep_within_the_url_limit() {
        let values: Vec<String> = (0..300).map(|i| format!("{i:0>60}")).collect();
        let lists = in_lists(&values);
        assert!(
            lists.iter().all(|l| l.len() <= IN_LIST_CHARS),
            "{:?}",
            lists.iter().map(String::len).collect::<Vec<_>>()
        );
        assert_eq!(lists.iter().map(|l| l.matches(", ").count() + 1).sum::<usize>(), 300);
        assert_eq!(in_lists(&["O'Brien".to_owned()]), ["'O\\'Brien'"]);
        assert!(in_lists(&[]).is_empty());
    }
}
