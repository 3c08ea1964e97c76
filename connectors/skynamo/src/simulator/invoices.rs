//! Invoices by external id. `POST` only creates (a second `POST` of an external id makes a
//! second invoice: the spec documents no upsert); `PATCH` merges and `PUT` replaces by the
//! invoice's id; `DELETE` takes ids; `GET /invoicesbyexternalid/{id}` reads one. Invoices are
//! kept in their read shape: customer and product ids resolved from codes, the write status
//! (`OutStanding`, `NotSpecified`, `Void`) turned into the read one (`Outstanding`, none,
//! `Deleted`).

use connector_testkit::simulator::{Method, SimRequest, SimResponse, percent_decode};
use serde_json::{Map, Value, json};

use super::{State, message, refused};

/// The status an invoice reads back with, for the status it was written with.
fn read_status(written: &Value) -> Option<&'static str> {
    match written.as_str()? {
        "Paid" => Some("Paid"),
        "OutStanding" => Some("Outstanding"),
        "Deleted" | "Void" => Some("Deleted"),
        _ => None,
    }
}

impl State {
    /// `GET /invoicesbyexternalid/{ExternalID}`.
    pub(super) fn invoice_by_external_id(&self, raw: &str) -> SimResponse {
        let ext = percent_decode(raw);
        match self.invoices.find(|r| r.value["external_id"].as_str() == Some(ext.as_str())) {
            Some(r) => SimResponse::json(200, r.value),
            None => message(404, "Not Found"),
        }
    }

    /// The invoice in its read shape, or why a row is refused.
    fn invoice_record(&self, row: &Value) -> Result<Value, Vec<String>> {
        let mut d = Vec::new();
        let mut v: Map<String, Value> = row.as_object().cloned().unwrap_or_default();
        if let Some(code) = row["customer_code"].as_str() {
            match self.customers.find(|r| r.value["code"].as_str() == Some(code)) {
                Some(c) => {
                    v.insert("customer_id".into(), c.value["id"].clone());
                }
                None => d.push(format!("Unknown customer code {code}")),
            }
        } else if let Some(id) = row["customer_id"].as_i64() {
            match self.customers.get(&id.to_string()) {
                Some(c) => {
                    v.insert("customer_code".into(), c.value["code"].clone());
                }
                None => d.push(format!("Unknown customer id {id}")),
            }
        }
        if let Some(items) = v.get_mut("items").and_then(Value::as_array_mut) {
            for (n, item) in items.iter_mut().enumerate() {
                let code = item["product_code"].as_str().map(str::to_owned);
                let product = match (&code, item["product_id"].as_i64()) {
                    (Some(c), _) => self.products.find(|r| r.value["code"].as_str() == Some(c)),
                    (None, Some(id)) => self.products.get(&id.to_string()),
                    (None, None) => None,
                };
                match product {
                    Some(p) => {
                        item["product_id"] = p.value["id"].clone();
                        item["product_code"] = p.value["code"].clone();
                    }
                    None => d.push(format!("items[{n}]: unknown product {}", item["product_code"])),
                }
            }
        }
        if let Some(status) = v.remove("status")
            && let Some(s) = read_status(&status)
        {
            v.insert("status".into(), json!(s));
        }
        if d.is_empty() { Ok(Value::Object(v)) } else { Err(d) }
    }

    pub(super) fn write_invoices(&self, req: &SimRequest) -> SimResponse {
        if req.method == Method::DELETE {
            return self.delete_invoices(req);
        }
        let rows = match Self::body_rows(req) {
            Ok(r) => r,
            Err(e) => return e,
        };
        let post = req.method == Method::POST;
        let mut errors = Vec::new();
        let mut records = Vec::new();
        for (i, row) in rows.iter().enumerate() {
            let existing = row["id"].as_i64().and_then(|id| self.invoices.get(&id.to_string()));
            if !post && existing.is_none() {
                errors.push((i, vec![format!("No invoice with id {}", row["id"])]));
                continue;
            }
            match self.invoice_record(row) {
                Ok(v) => records.push((existing, v)),
                Err(d) => errors.push((i, d)),
            }
        }
        if !errors.is_empty() {
            return refused(errors);
        }
        let mut data = Vec::new();
        for (existing, v) in records {
            match existing {
                None => {
                    if let Ok(r) = self.invoices.insert(v) {
                        data.push(json!({"id": r.value["id"]}));
                    }
                }
                Some(e) if req.method == Method::PUT => {
                    let _ = self.invoices.replace(&e.id, v);
                }
                Some(e) => {
                    // What the row leaves out (a status too) stays as it is.
                    let mut patch = v;
                    if let Some(o) = patch.as_object_mut() {
                        o.remove("id");
                    }
                    let _ = self.invoices.update(&e.id, &patch);
                }
            }
        }
        if post {
            SimResponse::json(
                200,
                json!({"message": "Successfully created the new invoices", "data": data}),
            )
        } else {
            message(200, "Successfully updated the invoices")
        }
    }

    fn delete_invoices(&self, req: &SimRequest) -> SimResponse {
        let ids = match Self::body_rows(req) {
            Ok(r) => r,
            Err(e) => return e,
        };
        let errors: Vec<(usize, Vec<String>)> = ids
            .iter()
            .enumerate()
            .filter(|(_, id)| !self.invoices.contains(&id.to_string()))
            .map(|(i, id)| (i, vec![format!("No invoice with id {id}")]))
            .collect();
        if !errors.is_empty() {
            return refused(errors);
        }
        for id in ids {
            let _ = self.invoices.delete(&id.to_string());
        }
        message(200, "Successfully deleted the invoices")
    }
}
