//! Writes: `POST /Contacts`, `/Invoices` and `/Quotes` envelopes, element by element, with
//! `summarizeErrors`, idempotency keys, and the rules Xero applies to documents.

use std::time::Duration;

use connector_core::http::dates;
use connector_testkit::simulator::{SimRequest, SimResponse};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use tokio::time::Instant;

use super::{State, dec, envelope, lock, new_guid, num, tax_rate, validation_exception};

/// How long Xero keeps the answer to a keyed request: about six minutes.
pub const IDEMPOTENCY_WINDOW: Duration = Duration::from_secs(6 * 60);

/// A keyed request Xero remembers: when, what was asked, and the answer.
pub(super) struct Keyed {
    at: Instant,
    request: String,
    answer: SimResponse,
}

/// Xero's answer to a key used again with another request within the window.
fn key_reused(key: &str) -> SimResponse {
    SimResponse::json(
        400,
        json!({
            "ErrorNumber": 10,
            "Type": "ValidationException",
            "Message": format!("Idempotency Key {key} is used with a different request."),
        }),
    )
}

impl State {
    /// A write envelope. A request with an `Idempotency-Key` seen within the window is
    /// answered from the cache when it is the same request (method, path, query and body),
    /// and refused when it is another; answers are kept for the window only, errors too.
    pub(super) fn post(&self, req: &SimRequest, name: &str) -> SimResponse {
        let request = format!(
            "{} {}?{} {}",
            req.method,
            req.path,
            req.raw_query.as_deref().unwrap_or_default(),
            req.text()
        );
        let key = req.header("idempotency-key").map(str::to_owned);
        if let Some(k) = &key {
            let mut cache = lock(&self.idempotency);
            cache.retain(|_, e| e.at.elapsed() < IDEMPOTENCY_WINDOW);
            if let Some(e) = cache.get(k) {
                return if e.request == request { e.answer.clone() } else { key_reused(k) };
            }
        }
        let body = match req.json_value() {
            Ok(b) => b,
            Err(e) => {
                return validation_exception(vec![
                    json!({"ValidationErrors":[{"Message": format!("The request body is not JSON: {e}")}]}),
                ]);
            }
        };
        let rows = match body.get(name) {
            Some(Value::Array(a)) => a.clone(),
            _ => vec![body.clone()],
        };
        let summarize =
            !req.query("summarizeErrors").is_some_and(|v| v.eq_ignore_ascii_case("false"));
        let mut out = Vec::new();
        let mut any_error = false;
        for row in rows {
            let result = match name {
                "Contacts" => self.save_contact(row.clone()),
                "Invoices" => self.save_document(row.clone(), "Invoices"),
                "Quotes" => self.save_document(row.clone(), "Quotes"),
                _ => Err(vec!["unsupported".to_owned()]),
            };
            match result {
                Ok(mut saved) => {
                    match name {
                        "Contacts" => saved["HasValidationErrors"] = json!(false),
                        "Invoices" => saved["HasErrors"] = json!(false),
                        _ => {}
                    }
                    out.push(saved);
                }
                Err(messages) => {
                    any_error = true;
                    let mut el = row;
                    let errs: Vec<Value> = messages.iter().map(|m| json!({"Message": m})).collect();
                    // Quotes carry no error flag: their validation errors say it.
                    match name {
                        "Contacts" => el["HasValidationErrors"] = json!(true),
                        "Invoices" => el["HasErrors"] = json!(true),
                        _ => {}
                    }
                    el["ValidationErrors"] = Value::Array(errs);
                    el["StatusAttributeString"] = json!("ERROR");
                    out.push(el);
                }
            }
        }
        let resp = if any_error && summarize {
            validation_exception(
                out.into_iter().filter(|e| e.get("ValidationErrors").is_some()).collect(),
            )
        } else {
            envelope(name, out, None)
        };
        if let Some(k) = key {
            let keyed = Keyed { at: Instant::now(), request, answer: resp.clone() };
            lock(&self.idempotency).insert(k, keyed);
        }
        resp
    }

    fn save_contact(&self, row: Value) -> Result<Value, Vec<String>> {
        let id = row["ContactID"].as_str().map(str::to_owned);
        let existing = id.as_ref().and_then(|i| self.contacts.get(i));
        if id.is_some() && existing.is_none() {
            return Err(vec![format!("The ContactID {} does not exist", id.unwrap_or_default())]);
        }
        let name = row["Name"].as_str().map(str::trim).map(str::to_owned);
        let mut errors = Vec::new();
        if existing.is_none() && name.as_deref().is_none_or(str::is_empty) {
            errors.push("The contact name must be specified.".to_owned());
        }
        if let Some(n) = name.as_deref().filter(|n| !n.is_empty()) {
            let clash = self.contacts.find(|r| {
                r.value["Name"].as_str() == Some(n)
                    && Some(r.id.as_str()) != id.as_deref()
                    && r.value["ContactStatus"].as_str() != Some("ARCHIVED")
            });
            if clash.is_some() {
                errors.push(format!(
                    "The contact name {n} is already assigned to another contact. The contact name must be unique across all active contacts."
                ));
            }
        }
        if let Some(e) = row["EmailAddress"].as_str() {
            if !e.is_empty() && !e.contains('@') {
                errors.push("Email address must be valid.".to_owned());
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let saved = match existing {
            Some(r) => self.contacts.update(&r.id, &row),
            None => {
                let mut row = row;
                if row.get("ContactStatus").is_none() {
                    row["ContactStatus"] = json!("ACTIVE");
                }
                self.contacts.insert(row)
            }
        };
        saved.map(|r| r.value).map_err(|e| vec![e.to_string()])
    }

    fn save_document(&self, row: Value, name: &str) -> Result<Value, Vec<String>> {
        let (coll, id_field, number_field, prefix) = if name == "Quotes" {
            (&self.quotes, "QuoteID", "QuoteNumber", "QU-")
        } else {
            (&self.invoices, "InvoiceID", "InvoiceNumber", "INV-")
        };
        let id = row[id_field].as_str().map(str::to_owned);
        let existing = id.as_ref().and_then(|i| coll.get(i));
        if id.is_some() && existing.is_none() {
            return Err(vec![format!("{id_field} {} could not be found", id.unwrap_or_default())]);
        }
        if let Some(r) = &existing {
            let from = r.value["Status"].as_str().unwrap_or("DRAFT");
            let to = row["Status"].as_str().unwrap_or(from);
            if let Some(refusal) = status_change(name, from, to, &r.value) {
                return Err(vec![refusal]);
            }
            // A status change alone (DELETED, VOIDED) on an existing document.
            if row.get("LineItems").is_none() {
                return coll
                    .update(&r.id, &json!({"Status": to}))
                    .map(|r| r.value)
                    .map_err(|e| vec![e.to_string()]);
            }
        }
        let mut errors = Vec::new();
        let mut doc = row.clone();
        // The contact: by id, by number, or by name (Xero creates a contact for a new name).
        let c = &row["Contact"];
        let contact = if let Some(cid) = c["ContactID"].as_str() {
            self.contacts.get(cid)
        } else if let Some(n) = c["ContactNumber"].as_str() {
            self.contacts.find(|r| r.value["ContactNumber"].as_str() == Some(n))
        } else if let Some(n) = c["Name"].as_str() {
            self.contacts.find(|r| r.value["Name"].as_str() == Some(n))
        } else {
            None
        };
        match contact {
            Some(r) => {
                doc["Contact"] = json!({"ContactID": r.id, "ContactNumber": r.value["ContactNumber"], "Name": r.value["Name"]})
            }
            None => {
                errors.push("A Contact must be specified for this type of transaction".to_owned())
            }
        }
        if row["Date"].as_str().is_none() {
            errors.push("Date is required".to_owned());
        }
        let inclusive =
            row["LineAmountTypes"].as_str().is_some_and(|t| t.eq_ignore_ascii_case("Inclusive"));
        let lines = row["LineItems"].as_array().cloned().unwrap_or_default();
        if lines.is_empty() {
            errors.push("At least one line item is required".to_owned());
        }
        let (mut sub, mut tax) = (Decimal::ZERO, Decimal::ZERO);
        let mut out_lines = Vec::new();
        for (i, l) in lines.into_iter().enumerate() {
            let mut l = l;
            if let Some(code) = l["ItemCode"].as_str() {
                if self.items.find(|r| r.value["Code"].as_str() == Some(code)).is_none() {
                    errors.push(format!("Item code '{code}' is not valid"));
                }
            }
            let qty = dec(&l["Quantity"]);
            let unit = dec(&l["UnitAmount"]);
            if l.get("Quantity").is_none() && l.get("UnitAmount").is_none() {
                out_lines.push(l); // a description-only line
                continue;
            }
            let (Some(q), Some(u)) = (qty, unit) else {
                errors.push(format!("Line {}: Quantity and UnitAmount must be numbers", i + 1));
                continue;
            };
            let disc = dec(&l["DiscountRate"]).unwrap_or_default();
            let amount = (q * u * (Decimal::ONE_HUNDRED - disc) / Decimal::ONE_HUNDRED).round_dp(2);
            if let Some(given) = dec(&l["LineAmount"])
                && given != amount
            {
                errors.push(format!(
                    "The line total {given} does not match the expected line total {amount}"
                ));
                continue;
            }
            let rate = tax_rate(l["TaxType"].as_str());
            let t = if inclusive {
                (amount - amount / (Decimal::ONE + rate)).round_dp(2)
            } else {
                (amount * rate).round_dp(2)
            };
            l["LineAmount"] = num(amount);
            l["TaxAmount"] = num(t);
            l["LineItemID"] = json!(new_guid());
            if inclusive {
                sub += amount - t
            } else {
                sub += amount
            }
            tax += t;
            out_lines.push(l);
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        doc["LineItems"] = Value::Array(out_lines);
        doc["SubTotal"] = num(sub);
        doc["TotalTax"] = num(tax);
        doc["Total"] = num(sub + tax);
        if name == "Invoices" {
            doc["AmountDue"] = num(sub + tax);
            doc["AmountPaid"] = num(Decimal::ZERO);
        }
        if doc["Status"].as_str().is_none() {
            // A new document is a draft; an update without a status keeps its own.
            let current = existing.as_ref().and_then(|r| r.value["Status"].as_str());
            doc["Status"] = json!(current.unwrap_or("DRAFT"));
        }
        if doc["CurrencyCode"].as_str().is_none() {
            doc["CurrencyCode"] = json!("NZD");
        }
        for f in ["Date", "DueDate", "ExpiryDate"] {
            if let Some(d) = doc[f].as_str().and_then(|s| dates::parse_date(s).ok()) {
                let ms = d
                    .and_hms_opt(0, 0, 0)
                    .map(|t| t.and_utc().timestamp_millis())
                    .unwrap_or_default();
                doc[f] = json!(format!("/Date({ms}+0000)/"));
            }
        }
        if let Some(n) = doc[number_field].as_str().filter(|n| !n.is_empty()) {
            let taken = coll.find(|r| {
                r.value[number_field].as_str() == Some(n)
                    && existing.as_ref().is_none_or(|e| e.id != r.id)
            });
            if name == "Quotes" && taken.is_some() {
                return Err(vec![format!("Quote number {n} already exists")]);
            }
        }
        let saved = match existing {
            Some(r) => coll.update(&r.id, &doc),
            None => {
                if doc[number_field].as_str().is_none_or(str::is_empty) {
                    doc[number_field] = json!(format!("{prefix}{:04}", coll.len() + 1));
                }
                coll.insert(doc)
            }
        };
        saved.map(|r| r.value).map_err(|e| vec![e.to_string()])
    }
}

/// Why Xero refuses to move a document from status `from` to `to`, if it does: a draft or
/// submitted invoice is deleted, an approved unpaid one voided, and nothing approved goes
/// back; paid, voided and deleted invoices no longer change.
fn status_change(name: &str, from: &str, to: &str, current: &Value) -> Option<String> {
    if name == "Quotes" {
        return (from == "DELETED" && to != "DELETED")
            .then(|| "This quote has been deleted and cannot be edited".to_owned());
    }
    let paid = dec(&current["AmountPaid"]).is_some_and(|p| !p.is_zero());
    let allowed = match (from, to) {
        (_, _) if from == to && !matches!(from, "PAID" | "VOIDED" | "DELETED") => true,
        ("DRAFT", "SUBMITTED" | "AUTHORISED" | "DELETED") => true,
        ("SUBMITTED", "DRAFT" | "AUTHORISED" | "DELETED") => true,
        ("AUTHORISED", "VOIDED") => !paid,
        _ => false,
    };
    (!allowed).then(|| match (from, to) {
        (_, "DELETED") => format!("Document cannot be deleted as it is {from}"),
        ("AUTHORISED", "VOIDED") => "Payments have been applied to this invoice".to_owned(),
        _ => format!("Invoice not of valid status for modification: it is {from}, not {to}"),
    })
}
