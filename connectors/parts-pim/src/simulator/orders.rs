//! Orders in the simulator: listed by number after `after`, changed at or after
//! `changed_since`; placed once each, with an employee number, digits-only numbers and SKUs,
//! and only for products the PIM has.

use serde_json::{Value, json};

use super::{Params, Router, Shared, SimRequest, SimResponse, error, lock, unauthorized};
use crate::config::is_digits;

/// The key orders are kept by: the number zero-padded, so they sort as numbers.
fn key(number: &str) -> String {
    format!("{number:0>20}")
}

pub(super) fn routes(router: Router, state: &Shared) -> Router {
    let (a, b, c) = (state.clone(), state.clone(), state.clone());
    router
        .get("/api/orders", move |req, _| {
            let state = a.clone();
            async move { list(&state, &req) }
        })
        .get("/api/orders/{number}", move |req, p| {
            let state = b.clone();
            async move { get(&state, &req, &p) }
        })
        .post("/api/orders", move |req, _| {
            let state = c.clone();
            async move { place(&state, &req) }
        })
}

fn list(state: &Shared, req: &SimRequest) -> SimResponse {
    if let Some(refused) = unauthorized(req) {
        return refused;
    }
    let limit: usize = req.query("limit").and_then(|l| l.parse().ok()).unwrap_or(100);
    let after = req.query("after").map(key);
    let since = match req.query("changed_since").map(chrono::DateTime::parse_from_rfc3339) {
        None => None,
        Some(Ok(d)) => Some(d),
        Some(Err(_)) => return error(400, "changed_since is not a date-time"),
    };
    let st = lock(state);
    let mut matching = st
        .orders
        .iter()
        .filter(|(k, _)| after.as_ref().is_none_or(|a| *k > a))
        .filter(|(_, o)| {
            since.is_none_or(|s| {
                o["updated_at"]
                    .as_str()
                    .and_then(|u| chrono::DateTime::parse_from_rfc3339(u).ok())
                    .is_some_and(|u| u >= s)
            })
        })
        .map(|(_, o)| o.clone());
    let orders: Vec<Value> = matching.by_ref().take(limit).collect();
    let has_more = matching.next().is_some();
    SimResponse::json(200, json!({ "orders": orders, "has_more": has_more }))
}

fn get(state: &Shared, req: &SimRequest, p: &Params) -> SimResponse {
    if let Some(refused) = unauthorized(req) {
        return refused;
    }
    match lock(state).orders.get(&key(p.get("number").unwrap_or_default())) {
        Some(o) => SimResponse::json(200, o.clone()),
        None => error(404, "no such order"),
    }
}

fn place(state: &Shared, req: &SimRequest) -> SimResponse {
    if let Some(refused) = unauthorized(req) {
        return refused;
    }
    let Ok(mut order) = serde_json::from_slice::<Value>(&req.body) else {
        return error(400, "the body is not JSON");
    };
    let number = order["number"].as_str().unwrap_or_default().to_owned();
    if !is_digits(&number) {
        return error(400, &format!("order number `{number}` is not numeric"));
    }
    if !order["employee_number"].as_str().is_some_and(is_digits) {
        return error(400, "an employee number is required on every change");
    }
    let mut st = lock(state);
    for line in order["lines"].as_array().into_iter().flatten() {
        let sku = line["sku"].as_str().unwrap_or_default();
        if !is_digits(sku) {
            return error(400, &format!("SKU `{sku}` is not numeric"));
        }
        if !st.products.contains_key(sku) {
            return error(422, &format!("product {sku} does not exist"));
        }
    }
    if st.orders.contains_key(&key(&number)) {
        return error(409, &format!("order {number} exists"));
    }
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    order["created_at"] = Value::from(now.clone());
    order["updated_at"] = Value::from(now);
    st.orders.insert(key(&number), order.clone());
    SimResponse::json(201, order)
}

impl super::PartsPimSimulator {
    /// Adds (or replaces) an order as if taken in the PIM (its `number` is the key).
    pub fn put_order(&self, order: Value) {
        let k = key(order["number"].as_str().unwrap_or_default());
        lock(&self.state).orders.insert(k, order);
    }

    /// Every order, by number.
    pub fn orders(&self) -> Vec<Value> {
        lock(&self.state).orders.values().cloned().collect()
    }

    /// Adds a product as if made in the PIM (for orders to name).
    pub fn put_product(&self, sku: &str, name: &str) {
        let row = json!({"sku": sku, "name": name, "employee_number": "999999"});
        if let Value::Object(o) = row {
            lock(&self.state).products.insert(sku.to_owned(), o);
        }
    }
}
