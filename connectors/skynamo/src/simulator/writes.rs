//! Array writes: customers and products, price lists, prices and stock levels, order
//! statuses, custom-field renames. The description has already refused what breaks the
//! schema; these handlers keep the rules Skynamo states in words.

use connector_testkit::simulator::{Collection, Method, Record, SimRequest, SimResponse};
use serde_json::{Map, Value, json};

use super::{State, message, refused};

impl State {
    pub(super) fn body_rows(req: &SimRequest) -> Result<Vec<Value>, SimResponse> {
        match req.json_value() {
            Ok(Value::Array(a)) => Ok(a),
            Ok(_) => Err(message(400, "The request body must be an array")),
            Err(_) => Err(message(400, "The request body is not valid JSON")),
        }
    }

    fn by_id(coll: &Collection, v: &Value) -> Option<Record> {
        v["id"].as_i64().and_then(|id| coll.get(&id.to_string()))
    }

    /// Whether the form holds a custom field with this id.
    fn custom_field_on(&self, form: i64, id: &Value) -> bool {
        super::lock(&self.forms).iter().any(|f| {
            f["id"].as_i64() == Some(form)
                && f["custom_fields"].as_array().is_some_and(|c| c.iter().any(|x| x["id"] == *id))
        })
    }

    /// Customers and products: `POST` creates (a code already used makes a second record:
    /// the API has no upsert by code), `PATCH` merges by id, `PUT` replaces by id.
    pub(super) fn write_master(
        &self,
        req: &SimRequest,
        coll: &Collection,
        customers: bool,
    ) -> SimResponse {
        let rows = match Self::body_rows(req) {
            Ok(r) => r,
            Err(e) => return e,
        };
        let method = req.method.clone();
        let form = if customers { -1 } else { -3 };
        let mut errors = Vec::new();
        for (i, row) in rows.iter().enumerate() {
            let mut d = Vec::new();
            if method != Method::POST && Self::by_id(coll, row).is_none() {
                d.push(format!("No record with id {}", row["id"]));
            }
            if customers {
                for u in row["assigned_users"].as_array().cloned().unwrap_or_default() {
                    if !self.users.iter().any(|x| x["id"] == u) {
                        d.push(format!("Unknown user id {u}"));
                    }
                }
            }
            for f in row["custom_fields"].as_array().cloned().unwrap_or_default() {
                if !self.custom_field_on(form, &f["id"]) {
                    d.push(format!("Unknown custom field id {}", f["id"]));
                }
            }
            if !d.is_empty() {
                errors.push((i, d));
            }
        }
        if !errors.is_empty() {
            return refused(errors);
        }
        let mut data = Vec::new();
        for mut row in rows {
            if let Some(units) = row.get_mut("order_units").and_then(Value::as_array_mut) {
                for u in units {
                    if u.get("id").is_none() {
                        u["id"] =
                            json!(self.unit_ids.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
                    }
                }
            }
            if method == Method::POST {
                if row.get("active").is_none() {
                    row["active"] = json!(true);
                }
                let Ok(r) = coll.insert(row) else { continue };
                if row_code(&r).is_none() {
                    // No code given: Skynamo makes one.
                    let _ = coll.update(&r.id, &json!({ "code": format!("{}", r.id) }));
                }
                let saved = coll.get(&r.id).unwrap_or(r);
                let mut echo = json!({"id": saved.value["id"], "code": saved.value["code"]});
                if customers {
                    echo["row_version"] = saved.value["row_version"].clone();
                }
                data.push(echo);
            } else if let Some(existing) = Self::by_id(coll, &row) {
                if method == Method::PUT {
                    // A replace: what the body omits is reset.
                    let mut fresh = Map::new();
                    fresh.insert("code".into(), existing.value["code"].clone());
                    fresh.insert("active".into(), json!(true));
                    if let Value::Object(o) = row {
                        fresh.extend(o);
                    }
                    let _ = coll.replace(&existing.id, Value::Object(fresh));
                } else {
                    let _ = coll.update(&existing.id, &row);
                }
            }
        }
        if method == Method::POST {
            SimResponse::json(200, json!({"message": "Successfully created", "data": data}))
        } else {
            message(200, "Successfully updated")
        }
    }

    /// Price lists: `POST` creates and answers only a message (no ids); `PATCH` merges and
    /// `PUT` replaces by id.
    pub(super) fn write_price_lists(&self, req: &SimRequest) -> SimResponse {
        let rows = match Self::body_rows(req) {
            Ok(r) => r,
            Err(e) => return e,
        };
        let post = req.method == Method::POST;
        let errors: Vec<(usize, Vec<String>)> = rows
            .iter()
            .enumerate()
            .filter(|(_, r)| !post && Self::by_id(&self.pricelists, r).is_none())
            .map(|(i, r)| (i, vec![format!("No price list with id {}", r["id"])]))
            .collect();
        if !errors.is_empty() {
            return refused(errors);
        }
        for row in rows {
            if post {
                let _ = self.pricelists.insert(row);
            } else if let Some(existing) = Self::by_id(&self.pricelists, &row) {
                let _ = if req.method == Method::PUT {
                    self.pricelists.replace(&existing.id, row)
                } else {
                    self.pricelists.update(&existing.id, &row)
                };
            }
        }
        message(200, if post { "Successfully created price lists" } else { "Successfully updated" })
    }

    /// Prices and stock levels: `POST` upserts per product × order unit × price list (or
    /// warehouse); a row without its value deletes.
    pub(super) fn write_keyed(&self, req: &SimRequest, prices: bool) -> SimResponse {
        let rows = match Self::body_rows(req) {
            Ok(r) => r,
            Err(e) => return e,
        };
        let mut errors = Vec::new();
        let mut keys = Vec::new();
        for (i, row) in rows.iter().enumerate() {
            let mut d = Vec::new();
            let code = row["product_code"].as_str().unwrap_or_default();
            let unit = row["order_unit_name"].as_str().unwrap_or_default();
            match self.products.find(|r| r.value["code"].as_str() == Some(code)) {
                None => d.push(format!("Unknown product code {code}")),
                Some(p) => {
                    let has_unit = p.value["order_units"]
                        .as_array()
                        .is_some_and(|u| u.iter().any(|u| u["name"].as_str() == Some(unit)));
                    if !has_unit {
                        d.push(format!("Unknown order unit {unit} for product {code}"));
                    }
                }
            }
            let scope = if prices {
                let list = row["price_list_id"].clone();
                if !self.pricelists.contains(&list.to_string()) {
                    d.push("Unknown price list id".to_owned());
                }
                list.to_string()
            } else {
                let w = row["warehouse_id"].clone();
                if !w.is_null() && !self.warehouses.iter().any(|x| x["id"] == w) {
                    d.push("Unknown warehouse id".to_owned());
                }
                w.to_string()
            };
            keys.push(format!("{code}|{unit}|{scope}"));
            if !d.is_empty() {
                errors.push((i, d));
            }
        }
        if !errors.is_empty() {
            return refused(errors);
        }
        let coll = if prices { &self.prices } else { &self.stocklevels };
        for (row, key) in rows.into_iter().zip(keys) {
            let delete = if prices {
                row.get("price").is_none_or(Value::is_null)
            } else {
                row.get("level").is_none_or(Value::is_null)
                    && row.get("label").is_none_or(Value::is_null)
            };
            if delete {
                let _ = coll.delete(&key);
            } else {
                let _ = coll.upsert(&key, row);
            }
        }
        message(200, "Successfully saved")
    }

    /// Order statuses: each row a new acknowledgement of an order, quote or credit request.
    pub(super) fn write_order_statuses(&self, req: &SimRequest) -> SimResponse {
        let rows = match Self::body_rows(req) {
            Ok(r) => r,
            Err(e) => return e,
        };
        let errors: Vec<(usize, Vec<String>)> = rows
            .iter()
            .enumerate()
            .filter(|(_, r)| {
                let id = r["document_id"].to_string();
                !self.orders.contains(&id) && !self.quotes.contains(&id)
            })
            .map(|(i, r)| (i, vec![format!("Unknown document id {}", r["document_id"])]))
            .collect();
        if !errors.is_empty() {
            return refused(errors);
        }
        let data: Vec<Value> = rows
            .into_iter()
            .filter_map(|r| self.orderstatuses.insert(r).ok())
            .map(|r| json!({"id": r.value["id"]}))
            .collect();
        SimResponse::json(200, json!({"message": "Successfully created", "data": data}))
    }

    /// `PATCH /customfields`: renames custom fields by id.
    pub(super) fn rename_custom_fields(&self, req: &SimRequest) -> SimResponse {
        let rows = match Self::body_rows(req) {
            Ok(r) => r,
            Err(e) => return e,
        };
        let mut forms = super::lock(&self.forms);
        for row in rows {
            for form in forms.iter_mut() {
                for f in form["custom_fields"].as_array_mut().into_iter().flatten() {
                    if f["id"] == row["id"] {
                        f["name"] = row["name"].clone();
                    }
                }
            }
        }
        message(200, "Successfully updated")
    }
}

fn row_code(r: &Record) -> Option<&str> {
    r.value["code"].as_str().filter(|c| !c.is_empty())
}
