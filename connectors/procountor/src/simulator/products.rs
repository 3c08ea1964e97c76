//! `/products`: keyset paging by `previousId` (no `page`), `code` and `name` matched by
//! substring, sales and purchase products when no `type` is asked.

use connector_testkit::simulator::{Params, Router, SimRequest, SimResponse};
use serde_json::{Value, json};

use super::{Sim, add, by_id, error, lock, parse_id, s, since_version};

pub(super) fn routes(r: Router, sim: &Sim) -> Router {
    let r = add(r, "GET", "/api/products", sim, search);
    add(r, "GET", "/api/products/{productId}", sim, get)
}

fn search(sim: &Sim, req: &SimRequest, _: &Params) -> SimResponse {
    let size = req.query("size").and_then(|s| s.parse::<usize>().ok()).unwrap_or(50);
    let contains = |p: &Value, field: &str| {
        req.query(field).is_none_or(|want| s(p, &[field]).is_some_and(|v| v.contains(want)))
    };
    let mut items: Vec<Value> = lock(&sim.state)
        .products
        .values()
        .filter(|p| match req.query("type") {
            Some(t) => s(p, &["type"]) == Some(t),
            None => matches!(s(p, &["type"]), Some("SALES" | "PURCHASE")),
        })
        .filter(|p| contains(p, "code") && contains(p, "name"))
        .filter(|p| {
            req.query("active")
                .is_none_or(|a| p["active"].as_bool().map(|b| b.to_string()).as_deref() == Some(a))
        })
        .cloned()
        .collect();
    since_version(req, &mut items);
    if req.query("orderById").is_none() {
        // Keyset paging runs in id order, oldest first.
        items.sort_by_key(|v| v["id"].as_i64().unwrap_or_default());
        if let Some(previous) = req.query("previousId").and_then(|p| p.parse::<i64>().ok()) {
            items.retain(|v| v["id"].as_i64().is_some_and(|id| id > previous));
        }
    } else {
        by_id(req, &mut items);
    }
    let total = items.len();
    items.truncate(size);
    SimResponse::json(
        200,
        json!({ "results": items, "meta": { "pageSize": size, "resultCount": items.len(), "totalCount": total } }),
    )
}

fn get(sim: &Sim, _: &SimRequest, params: &Params) -> SimResponse {
    match parse_id(params, "productId").and_then(|id| lock(&sim.state).products.get(&id).cloned()) {
        Some(p) => SimResponse::json(200, p),
        None => error(404, "productId", "NOT_FOUND: product not found"),
    }
}
