//! POST and PUT: accounts, contacts, and documents with their lines deep-inserted.
//!
//! A document line is priced as Exact defines its fields: `UnitPrice` is the price per
//! unit (the item's sales price when absent), `Discount` a fraction of it, and `NetPrice`
//! the unit price after the discount; when `NetPrice` is sent it is the line's price, so a
//! `NetPrice` equal to the undiscounted price with a `Discount` beside it loses the
//! discount. The VAT percentage comes from the line's (or the item's) VAT code in
//! `vat/VATCodes`; `ShippingMethod` must be the GUID of a shipping method.

use connector_testkit::simulator::{Record, SimRequest, SimResponse};
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

use super::{State, dec, error, lock, num};

/// Whether `s` is a GUID (`Edm.Guid`).
fn is_guid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.iter().map(|p| p.len()).eq([8, 4, 4, 4, 12])
        && parts.iter().all(|p| p.chars().all(|c| c.is_ascii_hexdigit()))
}

impl State {
    fn created(&self, path: &str, r: &Record) -> SimResponse {
        let Some(ep) = self.endpoint(path) else { return error(500, "no endpoint") };
        SimResponse::json(201, json!({"d": self.shape(path, &ep, r, None, true)}))
    }

    pub(super) fn post(&self, req: &SimRequest, path: &str) -> SimResponse {
        let Ok(Value::Object(body)) = req.json_value() else {
            return error(400, "The request body is not a JSON object.");
        };
        match path {
            "crm/Accounts" => self.post_account(path, body),
            "crm/Contacts" => {
                let account =
                    body.get("Account").and_then(Value::as_str).unwrap_or_default().to_lowercase();
                if self.accounts.get(&account).is_none() {
                    return error(400, "Account: the account does not exist");
                }
                if body.get("LastName").and_then(Value::as_str).is_none_or(|l| l.trim().is_empty())
                {
                    return error(400, "Mandatory: LastName");
                }
                match self.contacts.insert(Value::Object(body)) {
                    Ok(r) => self.created(path, &r),
                    Err(e) => error(500, &e.to_string()),
                }
            }
            "salesorder/SalesOrders" | "salesinvoice/SalesInvoices" | "crm/Quotations" => {
                self.post_document(path, body)
            }
            _ => error(405, &format!("POST is not supported on {path}")),
        }
    }

    fn post_account(&self, path: &str, body: Map<String, Value>) -> SimResponse {
        let name = body.get("Name").and_then(Value::as_str).map(str::trim).unwrap_or_default();
        if name.is_empty() {
            return error(400, "Mandatory: Name");
        }
        let mut row = Value::Object(body.clone());
        let code = match body.get("Code").and_then(Value::as_str).map(str::trim) {
            Some(c) if !c.is_empty() => c.to_owned(),
            _ => (self.accounts.len() + 100_001).to_string(),
        };
        let padded = format!("{code:>18}");
        if self.accounts.find(|r| r.value["Code"].as_str() == Some(padded.as_str())).is_some() {
            return error(400, &format!("Code already exists: {code}"));
        }
        row["Code"] = json!(padded);
        if row.get("Status").is_none() {
            row["Status"] = json!("C");
        }
        row["IsSales"] = json!(row["Status"].as_str() == Some("C"));
        match self.accounts.insert(row) {
            Ok(r) => self.created(path, &r),
            Err(e) => error(500, &e.to_string()),
        }
    }

    /// The VAT percentage (a fraction) of a code.
    fn vat_fraction(&self, code: &str) -> Option<Decimal> {
        self.vat_codes
            .find(|r| r.value["Code"].as_str().map(str::trim) == Some(code.trim()))
            .and_then(|r| dec(&r.value["Percentage"]))
    }

    fn post_document(&self, path: &str, body: Map<String, Value>) -> SimResponse {
        let (coll, lines_key, account_key, number_key, status) = match path {
            "salesorder/SalesOrders" => {
                (&self.orders, "SalesOrderLines", "OrderedBy", "OrderNumber", 12)
            }
            "salesinvoice/SalesInvoices" => {
                (&self.invoices, "SalesInvoiceLines", "OrderedBy", "InvoiceNumber", 10)
            }
            _ => (&self.quotations, "QuotationLines", "OrderAccount", "QuotationNumber", 20),
        };
        let account_id =
            body.get(account_key).and_then(Value::as_str).unwrap_or_default().to_lowercase();
        let Some(account) = self.accounts.get(&account_id) else {
            return error(400, &format!("{account_key}: the account does not exist"));
        };
        if let Some(sm) = body.get("ShippingMethod").and_then(Value::as_str) {
            if !is_guid(sm.trim()) {
                return error(
                    400,
                    &format!("ShippingMethod: '{sm}' is not a valid value for Edm.Guid"),
                );
            }
            if self.shipping_methods.get(&sm.trim().to_lowercase()).is_none() {
                return error(400, &format!("ShippingMethod: {sm} does not exist"));
            }
        }
        let lines = match body.get(lines_key) {
            Some(Value::Array(l)) if !l.is_empty() => l.clone(),
            _ => {
                return error(
                    400,
                    &format!("{lines_key} are mandatory: lines are inserted with the header"),
                );
            }
        };
        let mut out_lines = Vec::new();
        let (mut total, mut vat) = (Decimal::ZERO, Decimal::ZERO);
        for (i, l) in lines.iter().enumerate() {
            let item_id = l["Item"].as_str().unwrap_or_default().to_lowercase();
            let Some(item) = self.items.get(&item_id) else {
                return error(400, &format!("Item: the item of line {} does not exist", i + 1));
            };
            let Some(qty) = dec(&l["Quantity"]) else {
                return error(400, &format!("Quantity: line {} has no quantity", i + 1));
            };
            let unit = dec(&l["UnitPrice"])
                .or_else(|| dec(&item.value["StandardSalesPrice"]))
                .unwrap_or(Decimal::ZERO);
            let discount = dec(&l["Discount"]).unwrap_or(Decimal::ZERO);
            let net = dec(&l["NetPrice"]).unwrap_or_else(|| unit * (Decimal::ONE - discount));
            let amount = (qty * net).round_dp(2);
            let code = l["VATCode"]
                .as_str()
                .or(item.value["SalesVatCode"].as_str())
                .unwrap_or("0")
                .to_owned();
            let Some(pct) = self.vat_fraction(&code) else {
                return error(400, &format!("VATCode: '{code}' does not exist"));
            };
            let line_vat = (amount * pct).round_dp(2);
            total += amount;
            vat += line_vat;
            let mut ol = l.clone();
            ol["LineNumber"] = json!(i + 1);
            ol["ItemCode"] = item.value["Code"].clone();
            ol["ItemDescription"] = item.value["Description"].clone();
            ol["UnitPrice"] = num(unit);
            ol["Discount"] = num(discount);
            ol["NetPrice"] = num(net);
            ol["AmountFC"] = num(amount);
            ol["VATAmountFC"] = num(line_vat);
            ol["VATPercentage"] = num(pct);
            ol["VATCode"] = json!(code);
            out_lines.push(ol);
        }
        let number = {
            let mut n = lock(&self.numbers);
            let slot = match number_key {
                "OrderNumber" => &mut n.order,
                "InvoiceNumber" => &mut n.invoice,
                _ => &mut n.quotation,
            };
            *slot += 1;
            *slot
        };
        let mut row = Value::Object(body);
        row[lines_key] = Value::Array(out_lines);
        row[number_key] = json!(number);
        row["AmountFC"] = num(total + vat);
        row["AmountDC"] = num(total + vat);
        row["VATAmountFC"] = num(vat);
        row["Status"] = json!(status);
        row[format!("{account_key}Name").as_str()] = account.value["Name"].clone();
        if path == "salesinvoice/SalesInvoices" {
            // The invoice date is Exact's: the entry date.
            row["InvoiceDate"] = json!(format!(
                "/Date({})/",
                connector_core::http::now_utc()
                    .date_naive()
                    .and_hms_opt(0, 0, 0)
                    .map(|d| d.and_utc().timestamp_millis())
                    .unwrap_or(0)
            ));
        }
        if row.get("Currency").is_none() {
            row["Currency"] = json!("EUR");
        }
        match coll.insert(row) {
            Ok(r) => self.created(path, &r),
            Err(e) => error(500, &e.to_string()),
        }
    }

    /// `PUT crm/Accounts(guid'…')`: a partial update, `204` without a body.
    pub(super) fn put(&self, req: &SimRequest, path: &str) -> SimResponse {
        let Some((entity, rest)) = path.split_once("(guid'") else {
            return error(405, "PUT needs a key: Entity(guid'…')");
        };
        let id = rest.trim_end_matches("')").to_lowercase();
        let Some(ep) = self.endpoint(entity) else {
            return error(404, &format!("Resource not found: {entity}"));
        };
        let Ok(patch @ Value::Object(_)) = req.json_value() else {
            return error(400, "The request body is not a JSON object.");
        };
        if ep.coll.get(&id).is_none() {
            return error(404, &format!("Resource not found: {entity}(guid'{id}')"));
        }
        match ep.coll.update(&id, &patch) {
            Ok(_) => SimResponse::empty(204),
            Err(e) => error(500, &e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guids() {
        assert!(is_guid("5b000000-0000-4000-8000-000000000001"));
        assert!(!is_guid("DHL"));
        assert!(!is_guid("5b000000-0000-4000-8000-00000000000g"));
    }
}
