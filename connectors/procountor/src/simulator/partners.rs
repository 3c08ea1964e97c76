//! `/businesspartners`: search (the business ID in the `identifier` header, inactive
//! partners only when asked), read, create, replace (`PUT`) and update (`PATCH` with
//! `version`).

use connector_testkit::simulator::{Params, Router, SimRequest, SimResponse};
use serde_json::{Map, Value, json};

use super::{Sim, add, by_id, error, errors, list, lock, paging, parse_id, s, since_version};

pub(super) fn routes(r: Router, sim: &Sim) -> Router {
    let r = add(r, "GET", "/api/businesspartners", sim, search);
    let r = add(r, "POST", "/api/businesspartners", sim, create);
    let r = add(r, "GET", "/api/businesspartners/{id}", sim, get);
    let r = add(r, "PUT", "/api/businesspartners/{id}", sim, replace);
    add(r, "PATCH", "/api/businesspartners/{id}", sim, update)
}

fn active(p: &Value) -> bool {
    p.pointer("/registryInfo/active").and_then(Value::as_bool) != Some(false)
}

/// The list answer's `BusinessPartnerBasicInfo` of a partner.
fn basic(p: &Value) -> Value {
    let mut b = json!({
        "id": p["id"], "name": p["name"], "type": p["type"], "version": p["version"],
        "registryInfo": { "active": active(p) },
    });
    let mut invoicing = Map::new();
    for k in ["customerNumber", "identifier", "identifierType"] {
        if let Some(v) = p.pointer(&format!("/invoicingInfo/{k}")) {
            invoicing.insert(k.into(), v.clone());
        }
    }
    b["invoicingInfo"] = Value::Object(invoicing);
    if let Some(a) = p.get("billingAddress") {
        b["billingAddress"] = a.clone();
    }
    b
}

fn search(sim: &Sim, req: &SimRequest, _: &Params) -> SimResponse {
    let (page, size) = paging(req);
    let want_active = req.query("active") != Some("false");
    let identifier = req.header("identifier");
    let name = req.header("name");
    let mut items: Vec<Value> = lock(&sim.state)
        .partners
        .values()
        .filter(|p| active(p) == want_active)
        .filter(|p| req.query("type").is_none_or(|t| s(p, &["type"]) == Some(t)))
        .filter(|p| {
            req.query("customerNumber")
                .is_none_or(|n| s(p, &["invoicingInfo", "customerNumber"]) == Some(n))
        })
        .filter(|p| identifier.is_none_or(|n| s(p, &["invoicingInfo", "identifier"]) == Some(n)))
        .filter(|p| name.is_none_or(|n| s(p, &["name"]).is_some_and(|x| x.contains(n))))
        .map(basic)
        .collect();
    since_version(req, &mut items);
    by_id(req, &mut items);
    list(items, page, size)
}

fn get(sim: &Sim, _: &SimRequest, params: &Params) -> SimResponse {
    match parse_id(params, "id").and_then(|id| lock(&sim.state).partners.get(&id).cloned()) {
        Some(p) => SimResponse::json(200, p),
        None => error(404, "id", "NOT_FOUND: business partner not found"),
    }
}

/// What the description cannot say: a customer needs its address (P-TS: "Required for
/// customer").
fn rules(body: &Value) -> Vec<(String, String)> {
    let mut errs = Vec::new();
    if s(body, &["type"]) == Some("CUSTOMER") && !body.get("address").is_some_and(Value::is_object)
    {
        errs.push(("address".to_owned(), "REQUIRED: a customer needs its address".to_owned()));
    }
    errs
}

fn create(sim: &Sim, req: &SimRequest, _: &Params) -> SimResponse {
    let Ok(mut body) = req.json_value() else {
        return error(400, "", "Malformed JSON");
    };
    let errs = rules(&body);
    if !errs.is_empty() {
        return errors(400, &errs);
    }
    let mut st = lock(&sim.state);
    let id = st.id();
    body["id"] = json!(id);
    body["version"] = json!(st.version());
    st.partners.insert(id, body.clone());
    SimResponse::json(200, body)
}

/// The partner to change, if `version` (in the body or the query) is its current one.
#[allow(clippy::result_large_err)] // the refusal itself, once per request
fn current(
    sim: &Sim,
    req: &SimRequest,
    params: &Params,
    body: &Value,
) -> Result<(i64, Value), SimResponse> {
    let id = parse_id(params, "id").ok_or_else(|| error(404, "id", "NOT_FOUND"))?;
    let current = lock(&sim.state)
        .partners
        .get(&id)
        .cloned()
        .ok_or_else(|| error(404, "id", "NOT_FOUND: business partner not found"))?;
    let version = s(body, &["version"]).or(req.query("version"));
    match version {
        None => Err(error(400, "version", "REQUIRED")),
        Some(v) if Some(v) != s(&current, &["version"]) => Err(error(
            409,
            "version",
            "CONCURRENT_MODIFICATION: the business partner has been modified by someone else",
        )),
        Some(_) => Ok((id, current)),
    }
}

/// `PUT`: the body replaces the partner whole.
fn replace(sim: &Sim, req: &SimRequest, params: &Params) -> SimResponse {
    let Ok(mut body) = req.json_value() else {
        return error(400, "", "Malformed JSON");
    };
    let (id, _) = match current(sim, req, params, &body) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let errs = rules(&body);
    if !errs.is_empty() {
        return errors(400, &errs);
    }
    let mut st = lock(&sim.state);
    body["id"] = json!(id);
    body["version"] = json!(st.version());
    st.partners.insert(id, body.clone());
    SimResponse::json(200, body)
}

/// `PATCH`: the fields sent replace the partner's; an object sent (`invoicingInfo`,
/// `address`) replaces that object whole, so a client must send all of it.
fn update(sim: &Sim, req: &SimRequest, params: &Params) -> SimResponse {
    let Ok(body) = req.json_value() else {
        return error(400, "", "Malformed JSON");
    };
    let (id, mut partner) = match current(sim, req, params, &body) {
        Ok(c) => c,
        Err(r) => return r,
    };
    if let (Some(p), Some(b)) = (partner.as_object_mut(), body.as_object()) {
        for (k, v) in b {
            if k != "id" && k != "version" {
                p.insert(k.clone(), v.clone());
            }
        }
    }
    let mut st = lock(&sim.state);
    partner["version"] = json!(st.version());
    st.partners.insert(id, partner.clone());
    SimResponse::json(200, partner)
}
