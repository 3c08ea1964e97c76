//! `/invoices`: search, create (UNFINISHED), read, update (`version`, UNFINISHED only) and
//! the follow-up actions, with the rules Procountor states in words beyond its schema.

use chrono::NaiveDate;
use connector_testkit::simulator::{Params, Router, SimRequest, SimResponse};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::{Sim, State, add, error, errors, list, lock, paging, parse_id, s, since_version};
use crate::business_id::is_valid_bank_reference;

pub(super) fn routes(r: Router, sim: &Sim) -> Router {
    let r = add(r, "GET", "/api/invoices", sim, search);
    let r = add(r, "POST", "/api/invoices", sim, create);
    let r = add(r, "GET", "/api/invoices/{invoiceId}", sim, get);
    let r = add(r, "PUT", "/api/invoices/{invoiceId}", sim, replace);
    let r =
        add(r, "PUT", "/api/invoices/{invoiceId}/verify", sim, |s, q, p| action(s, q, p, "verify"));
    let r = add(r, "PUT", "/api/invoices/{invoiceId}/approve", sim, |s, q, p| {
        action(s, q, p, "approve")
    });
    add(r, "PUT", "/api/invoices/{invoiceId}/send", sim, |s, q, p| action(s, q, p, "send"))
}

/// The list answer's `InvoiceBasicInfo` of an invoice.
fn basic(i: &Value) -> Value {
    let mut b =
        json!({ "id": i["id"], "type": i["type"], "status": i["status"], "version": i["version"] });
    for k in [
        "partnerId",
        "date",
        "originalInvoiceNumber",
        "invoiceNumber",
        "invoiceChannel",
        "counterParty",
    ] {
        if let Some(v) = i.get(k).filter(|v| !v.is_null()) {
            b[k] = v.clone();
        }
    }
    if let Some(d) = i.pointer("/paymentInfo/dueDate") {
        b["dueDate"] = d.clone();
    }
    b
}

fn search(sim: &Sim, req: &SimRequest, _: &Params) -> SimResponse {
    let (page, size) = paging(req);
    let types: Vec<&str> =
        req.query("types").map(|t| t.split(',').map(str::trim).collect()).unwrap_or_default();
    let mut items: Vec<Value> = lock(&sim.state)
        .invoices
        .values()
        .filter(|i| types.is_empty() || s(i, &["type"]).is_some_and(|t| types.contains(&t)))
        .filter(|i| req.query("status").is_none_or(|st| s(i, &["status"]) == Some(st)))
        .filter(|i| {
            req.query("originalInvoiceNumber")
                .is_none_or(|n| s(i, &["originalInvoiceNumber"]) == Some(n))
        })
        .map(basic)
        .collect();
    since_version(req, &mut items);
    if let Some(order) = req.query("orderByVersion") {
        items.sort_by(|a, b| s(a, &["version"]).cmp(&s(b, &["version"])));
        if order == "DESC" {
            items.reverse();
        }
    }
    list(items, page, size)
}

fn get(sim: &Sim, _: &SimRequest, params: &Params) -> SimResponse {
    match parse_id(params, "invoiceId").and_then(|id| lock(&sim.state).invoices.get(&id).cloned()) {
        Some(i) => SimResponse::json(200, i),
        None => error(404, "invoiceId", "NOT_FOUND: invoice not found"),
    }
}

fn decimal(v: &Value) -> Option<Decimal> {
    match v {
        Value::Number(n) => n.to_string().parse().ok(),
        _ => None,
    }
}

/// Every reason beyond its schema the real API would refuse this invoice.
fn rules(body: &Value, st: &State) -> Vec<(String, String)> {
    let mut errs: Vec<(String, String)> = Vec::new();
    let mut refuse = |field: &str, message: &str| errs.push((field.to_owned(), message.to_owned()));
    let kind = s(body, &["type"]).unwrap_or_default();
    if kind != "TRAVEL_INVOICE" && body.get("vatStatus").is_none_or(Value::is_null) {
        refuse("vatStatus", "REQUIRED for every invoice type but travel and expense invoices");
    }
    if matches!(kind, "SALES_INVOICE" | "SALES_ORDER") && s(body, &["language"]).is_none() {
        refuse("language", "REQUIRED for sales invoices and orders");
    }
    if kind == "PERIODIC_TAX_RETURN" {
        refuse("type", "PERIODIC_TAX_RETURN is read-only");
    }
    let rows = body.get("invoiceRows").and_then(Value::as_array);
    if rows.is_none_or(Vec::is_empty) {
        refuse("invoiceRows", "REQUIRED: at least one row");
    }
    let sales = matches!(kind, "SALES_INVOICE" | "SALES_ORDER");
    for (i, row) in rows.into_iter().flatten().enumerate() {
        if let Some(v) = row.get("vatPercent").and_then(decimal) {
            let in_use = st.vats.iter().any(|(p, for_sales, for_purchases)| {
                p.parse::<Decimal>().is_ok_and(|p| p == v)
                    && if sales { *for_sales } else { *for_purchases }
            });
            if !in_use {
                refuse(
                    &format!("invoiceRows[{i}].vatPercent"),
                    "INVALID_VAT_PERCENT: not a percentage currently in use for the company",
                );
            }
        }
        if let Some(pid) = row.get("productId").and_then(Value::as_i64)
            && !st.products.contains_key(&pid)
        {
            refuse(&format!("invoiceRows[{i}].productId"), "NOT_FOUND: product not found");
        }
    }
    if let Some(d) = s(body, &["date"])
        && NaiveDate::parse_from_str(d, "%Y-%m-%d").is_err()
    {
        refuse("date", "expected YYYY-MM-DD");
    }
    if s(body, &["paymentInfo", "paymentMethod"]) == Some("DIRECT_DEBIT") {
        refuse("paymentInfo.paymentMethod", "PAYMENT_METHOD_NOT_ALLOWED: DIRECT_DEBIT");
    }
    if let Some(acc) = s(body, &["paymentInfo", "bankAccount", "accountNumber"])
        && acc.contains(char::is_whitespace)
    {
        refuse("paymentInfo.bankAccount.accountNumber", "INVALID_IBAN: spaces are not allowed");
    }
    if let Some(r) = s(body, &["paymentInfo", "bankReferenceCode"])
        && !r.is_empty()
        && !is_valid_bank_reference(r)
    {
        refuse("paymentInfo.bankReferenceCode", "INVALID_REFERENCE_CODE");
    }
    if let Some(n) = s(body, &["originalInvoiceNumber"])
        && n.chars().count() > 40
    {
        refuse("originalInvoiceNumber", "too long (max 40)");
    }
    if let Some(pid) = body.get("partnerId").and_then(Value::as_i64)
        && !st.partners.contains_key(&pid)
    {
        refuse("partnerId", "NOT_FOUND: business partner not found");
    }
    let cpa = |k: &str| {
        s(body, &["counterParty", "counterPartyAddress", k]).is_some_and(|v| !v.trim().is_empty())
    };
    match s(body, &["invoiceChannel"]) {
        Some("EDIFACT" | "PAPER_INVOICE") => refuse(
            "invoiceChannel",
            "INVOICE_CHANNEL_NOT_ALLOWED: EDIFACT and PAPER_INVOICE cannot be set through the API",
        ),
        Some("MAIL") => {
            for k in ["street", "zip", "city"] {
                if !cpa(k) {
                    refuse(
                        &format!("counterParty.counterPartyAddress.{k}"),
                        "REQUIRED for invoice channel MAIL",
                    );
                }
            }
        }
        Some("EMAIL") if s(body, &["counterParty", "email"]).is_none_or(|e| !e.contains('@')) => {
            refuse("counterParty.email", "REQUIRED for invoice channel EMAIL");
        }
        Some("ELECTRONIC_INVOICE") => {
            if s(body, &["counterParty", "einvoiceAddress", "address"])
                .is_none_or(|a| a.trim().is_empty())
            {
                refuse(
                    "counterParty.einvoiceAddress.address",
                    "REQUIRED for invoice channel ELECTRONIC_INVOICE",
                );
            }
            let finnish = s(body, &["counterParty", "counterPartyAddress", "country"])
                .is_none_or(|c| c == "FINLAND");
            if finnish
                && s(body, &["counterParty", "einvoiceAddress", "operator"])
                    .is_none_or(|o| o.trim().is_empty())
            {
                refuse(
                    "counterParty.einvoiceAddress.operator",
                    "REQUIRED for a Finnish e-invoice address",
                );
            }
            if !cpa("street") {
                refuse(
                    "counterParty.counterPartyAddress.street",
                    "REQUIRED for invoice channel ELECTRONIC_INVOICE",
                );
            }
            if s(body, &["billingAddress", "street"]).is_none_or(|v| v.trim().is_empty()) {
                refuse("billingAddress.street", "REQUIRED for invoice channel ELECTRONIC_INVOICE");
            }
        }
        _ => {}
    }
    errs
}

fn create(sim: &Sim, req: &SimRequest, _: &Params) -> SimResponse {
    let Ok(mut body) = req.json_value() else {
        return error(400, "", "Malformed JSON");
    };
    let mut st = lock(&sim.state);
    let errs = rules(&body, &st);
    if !errs.is_empty() {
        return errors(400, &errs);
    }
    let id = st.id();
    st.invoice_number += 1;
    body["id"] = json!(id);
    body["status"] = json!("UNFINISHED");
    body["invoiceNumber"] = json!(st.invoice_number);
    body["version"] = json!(st.version());
    st.invoices.insert(id, body.clone());
    SimResponse::json(200, body)
}

fn replace(sim: &Sim, req: &SimRequest, params: &Params) -> SimResponse {
    let Ok(mut body) = req.json_value() else {
        return error(400, "", "Malformed JSON");
    };
    let Some(id) = parse_id(params, "invoiceId") else {
        return error(404, "invoiceId", "NOT_FOUND: invoice not found");
    };
    let mut st = lock(&sim.state);
    let Some(current) = st.invoices.get(&id).cloned() else {
        return error(404, "invoiceId", "NOT_FOUND: invoice not found");
    };
    if s(&current, &["status"]) != Some("UNFINISHED") {
        return error(
            400,
            "status",
            "INVOICE_NOT_EDITABLE: only UNFINISHED invoices can be updated",
        );
    }
    if s(&body, &["version"]) != s(&current, &["version"]) {
        return error(
            409,
            "version",
            "CONCURRENT_MODIFICATION: the invoice has been modified by someone else",
        );
    }
    if body.get("partnerId") != current.get("partnerId")
        && !(body.get("partnerId").is_none() && current.get("partnerId").is_none_or(Value::is_null))
    {
        return error(400, "partnerId", "NOT_EDITABLE: partnerId is not editable in PUT /invoices");
    }
    let errs = rules(&body, &st);
    if !errs.is_empty() {
        return errors(400, &errs);
    }
    body["id"] = json!(id);
    body["status"] = current["status"].clone();
    body["invoiceNumber"] = current["invoiceNumber"].clone();
    body["version"] = json!(st.version());
    st.invoices.insert(id, body.clone());
    SimResponse::json(200, body)
}

/// Approve (UNFINISHED → NOT_SENT), send (NOT_SENT or SENT → SENT), and verify, which
/// supports purchase, travel and expense invoices only.
fn action(sim: &Sim, _: &SimRequest, params: &Params, what: &str) -> SimResponse {
    let Some(id) = parse_id(params, "invoiceId") else {
        return error(404, "invoiceId", "NOT_FOUND: invoice not found");
    };
    let mut st = lock(&sim.state);
    let version = st.version();
    let Some(inv) = st.invoices.get_mut(&id) else {
        return error(404, "invoiceId", "NOT_FOUND: invoice not found");
    };
    let status = s(inv, &["status"]).unwrap_or_default().to_owned();
    let kind = s(inv, &["type"]).unwrap_or_default().to_owned();
    let next = match (what, status.as_str()) {
        ("verify", _) if matches!(kind.as_str(), "SALES_INVOICE" | "SALES_ORDER") => {
            return error(
                400,
                "type",
                "INVALID_INVOICE_TYPE: verify supports purchase, travel and expense invoices",
            );
        }
        ("verify", "UNFINISHED" | "RECEIVED") => "VERIFIED",
        ("approve", "UNFINISHED") => "NOT_SENT",
        ("send", "NOT_SENT" | "SENT") => "SENT",
        _ => {
            return error(
                400,
                "status",
                &format!("INVALID_STATUS: cannot {what} an invoice in status {status}"),
            );
        }
    };
    inv["status"] = json!(next);
    inv["version"] = json!(version);
    SimResponse::json(200, json!({ "message": format!("Invoice {id}: {what} done") }))
}
