//! GET: the sync and standard listings, `sync/Deleted`, and each record projected to the
//! fields its endpoint has (from the description: a sync item has no `StandardSalesPrice`,
//! a standard account no `Timestamp`).

use connector_testkit::simulator::{Collection, Record, SimRequest, SimResponse};
use serde_json::{Map, Value, json};

use super::{DIVISION, State, api_spec, error, filter};

/// What an endpoint serves.
pub(super) struct Endpoint<'a> {
    pub(super) coll: &'a Collection,
    /// The entity's name in `__metadata.type`.
    pub(super) entity: &'static str,
    /// The description's schema of a row.
    pub(super) schema: &'static str,
    pub(super) sync: bool,
    /// The lines (navigation property) and their schema.
    pub(super) lines: Option<(&'static str, &'static str)>,
}

impl State {
    pub(super) fn endpoint(&self, path: &str) -> Option<Endpoint<'_>> {
        let e = |coll, entity, schema, sync, lines| Endpoint { coll, entity, schema, sync, lines };
        Some(match path {
            "sync/CRM/Accounts" => e(&self.accounts, "Account", "SyncAccount", true, None),
            "sync/Logistics/Items" => e(&self.items, "Item", "SyncItem", true, None),
            "sync/Inventory/StockPositions" => {
                e(&self.stock, "StockPosition", "SyncStockPosition", true, None)
            }
            "sync/Logistics/SalesItemPrices" => {
                e(&self.prices, "SalesItemPrice", "SyncSalesItemPrice", true, None)
            }
            "crm/Accounts" => e(&self.accounts, "Account", "Account", false, None),
            "crm/Contacts" => e(&self.contacts, "Contact", "Contact", false, None),
            "logistics/Items" => e(&self.items, "Item", "Item", false, None),
            "vat/VATCodes" => e(&self.vat_codes, "VATCode", "VATCode", false, None),
            "sales/ShippingMethods" => {
                e(&self.shipping_methods, "ShippingMethod", "ShippingMethod", false, None)
            }
            "salesorder/SalesOrders" => e(
                &self.orders,
                "SalesOrder",
                "SalesOrder",
                false,
                Some(("SalesOrderLines", "SalesOrderLine")),
            ),
            "salesinvoice/SalesInvoices" => e(
                &self.invoices,
                "SalesInvoice",
                "SalesInvoice",
                false,
                Some(("SalesInvoiceLines", "SalesInvoiceLine")),
            ),
            "crm/Quotations" => e(
                &self.quotations,
                "Quotation",
                "Quotation",
                false,
                Some(("QuotationLines", "QuotationLine")),
            ),
            "salesorder/GoodsDeliveries" => e(
                &self.deliveries,
                "GoodsDelivery",
                "GoodsDelivery",
                false,
                Some(("GoodsDeliveryLines", "GoodsDeliveryLine")),
            ),
            _ => return None,
        })
    }

    /// A record as its endpoint answers it: `__metadata`, the fields of its schema that
    /// `$select` asks for (all without one), lines expanded or deferred.
    pub(super) fn shape(
        &self,
        path: &str,
        ep: &Endpoint<'_>,
        r: &Record,
        select: Option<&[String]>,
        expand: bool,
    ) -> Value {
        let spec = api_spec();
        let uri = format!("{}/api/v1/{DIVISION}/{path}(guid'{}')", self.base(), r.id);
        let mut out = Map::new();
        out.insert(
            "__metadata".into(),
            json!({"uri": uri, "type": format!("Exact.Web.Api.Models.{}", ep.entity)}),
        );
        let wanted = |k: &str| {
            spec.has_field(ep.schema, k)
                && k != "__metadata"
                && select.is_none_or(|s| s.iter().any(|f| f == k))
        };
        if let Value::Object(m) = &r.value {
            for (k, v) in m {
                if wanted(k) && ep.lines.is_none_or(|(lf, _)| lf != k) {
                    out.insert(k.clone(), v.clone());
                }
            }
        }
        if let Some((lf, line_schema)) = ep.lines {
            if wanted(lf) {
                let value = if expand {
                    let lines: Vec<Value> = r.value[lf]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|l| {
                            let mut lm = Map::new();
                            if let Value::Object(m) = l {
                                for (k, v) in m {
                                    if spec.has_field(line_schema, k) {
                                        lm.insert(k.clone(), v.clone());
                                    }
                                }
                            }
                            Value::Object(lm)
                        })
                        .collect();
                    json!({"results": lines})
                } else {
                    json!({"__deferred": {"uri": format!("{uri}/{lf}")}})
                };
                out.insert(lf.to_owned(), value);
            }
        }
        Value::Object(out)
    }

    /// A listing: the sync endpoints 1,000 rows a page in `Timestamp` order with a
    /// `Timestamp` skiptoken; the standard ones 60 a page with `$skiptoken=guid'<last key>'`,
    /// which continues after that key in key order (with a `$orderby` on another field, a
    /// page starts after the wrong row, as a key-based token does).
    pub(super) fn list(&self, req: &SimRequest, path: &str) -> SimResponse {
        let Some(ep) = self.endpoint(path) else {
            return error(404, &format!("Resource not found: {path}"));
        };
        let select: Option<Vec<String>> = req
            .query("$select")
            .map(|s| s.split(',').map(|f| f.trim().to_owned()).filter(|f| !f.is_empty()).collect());
        let top = req.query("$top").and_then(|t| t.trim().parse::<usize>().ok());
        if ep.sync {
            if select.is_none() {
                return error(400, "$select is mandatory on sync and bulk endpoints.");
            }
        } else if select.is_none() && top != Some(1) {
            return error(400, "Please add a $select or a $top=1 statement to the query string.");
        }
        let filter = match req.query("$filter") {
            Some(f) => match filter::parse(f) {
                Some(c) => c,
                None => return error(400, &format!("Invalid $filter: {f}")),
            },
            None => Vec::new(),
        };
        if ep.sync && !filter.iter().any(|c| c.field == "Timestamp") {
            return error(400, "A filter on Timestamp is mandatory on sync endpoints.");
        }
        let expand = req
            .query("$expand")
            .is_some_and(|e| ep.lines.is_some_and(|(lf, _)| e.split(',').any(|x| x.trim() == lf)));
        let mut rows: Vec<Record> = ep.coll.select().all();
        rows.retain(|r| filter::eval(&filter, &r.value));
        let page = if ep.sync { 1000 } else { 60 };
        if ep.sync {
            rows.sort_by_key(|r| r.version);
            if let Some(tok) = req.query("$skiptoken") {
                let after: u64 = tok.trim().trim_end_matches('L').parse().unwrap_or(0);
                rows.retain(|r| r.version > after);
            }
        } else {
            rows.sort_by(|a, b| a.id.cmp(&b.id));
            if let Some(tok) = req.query("$skiptoken") {
                let after =
                    tok.trim().trim_start_matches("guid'").trim_end_matches('\'').to_lowercase();
                rows.retain(|r| r.id.to_lowercase() > after);
            }
            if let Some(o) = req.query("$orderby").filter(|o| o.trim().starts_with("Modified")) {
                rows.sort_by(|a, b| (a.updated_at, &a.id).cmp(&(b.updated_at, &b.id)));
                if o.trim().to_ascii_lowercase().ends_with(" desc") {
                    rows.reverse();
                }
            }
        }
        let shape = |r: &Record| self.shape(path, &ep, r, select.as_deref(), expand);
        if let Some(t) = top {
            let items: Vec<Value> = rows.iter().take(t.min(page)).map(shape).collect();
            return SimResponse::json(200, json!({"d": items}));
        }
        let more = rows.len() > page;
        let items: Vec<Value> = rows.iter().take(page).map(shape).collect();
        let mut d = Map::new();
        d.insert("results".into(), Value::Array(items));
        if more {
            let last = &rows[page - 1];
            let token =
                if ep.sync { format!("{}L", last.version) } else { format!("guid'{}'", last.id) };
            let mut pairs: Vec<(String, String)> = Vec::new();
            for k in ["$select", "$filter", "$expand", "$orderby"] {
                if let Some(v) = req.query(k) {
                    pairs.push((k.to_owned(), v.to_owned()));
                }
            }
            pairs.push(("$skiptoken".to_owned(), token));
            let query: Vec<String> =
                pairs.iter().map(|(k, v)| format!("{k}={}", encode(v))).collect();
            d.insert(
                "__next".into(),
                json!(format!("{}/api/v1/{DIVISION}/{path}?{}", self.base(), query.join("&"))),
            );
        }
        SimResponse::json(200, json!({"d": Value::Object(d)}))
    }

    /// `sync/Deleted`: the store's tombstones with Exact's entity types.
    pub(super) fn deleted(&self, req: &SimRequest) -> SimResponse {
        if req.query("$select").is_none() {
            return error(400, "$select is mandatory on sync and bulk endpoints.");
        }
        let filter = match req.query("$filter").map(filter::parse) {
            Some(Some(c)) if c.iter().any(|c| c.field == "Timestamp") => c,
            _ => return error(400, "A filter on Timestamp is mandatory on sync endpoints."),
        };
        let after: u64 =
            req.query("$skiptoken").and_then(|t| t.trim_end_matches('L').parse().ok()).unwrap_or(0);
        let rows: Vec<Value> = self
            .store
            .deleted_since(after)
            .into_iter()
            .map(|t| {
                json!({
                    "__metadata": {
                        "uri": format!("{}/api/v1/{DIVISION}/sync/Deleted({}L)", self.base(), t.version),
                        "type": "Exact.Web.Api.Models.Sync.Deleted",
                    },
                    "ID": format!("de1e7ed0-0000-4000-8000-{:012}", t.version),
                    "EntityKey": t.id,
                    "EntityType": entity_type(&t.collection),
                    "DeletedBy": "7c1b7c6a-0000-4000-8000-000000000001",
                    "DeletedDate": format!("/Date({})/", t.deleted_at.timestamp_millis()),
                    "Division": DIVISION,
                    "Timestamp": t.version,
                })
            })
            .filter(|v| filter::eval(&filter, v))
            .take(1000)
            .collect();
        SimResponse::json(200, json!({"d": {"results": rows}}))
    }
}

/// `sync/Deleted`'s entity type of a collection.
fn entity_type(collection: &str) -> i64 {
    match collection {
        "Accounts" => 2,
        "Contacts" => 5,
        "SalesItemPrices" => 8,
        "Items" => 9,
        "SalesInvoices" => 13,
        "StockPositions" => 15,
        "GoodsDeliveries" => 16,
        "SalesOrders" => 32,
        "Quotations" => 34,
        _ => 0,
    }
}

fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'$' | b',' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
