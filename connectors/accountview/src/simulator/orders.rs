//! Orders in the simulator: the company's business objects, and article pages (`ART_HDR`
//! with `ART_LINE`) read and written through the order business object. A write is held to
//! the tables' columns and types in `accountview-api.json`; its debtor and every line's
//! article must exist.

use serde_json::{Map, Value, json};

use super::{Filter, Sim, SimRequest, SimResponse, api_spec, error, json_type, lock, parse_filter};

/// The code the simulator gives its order business object. AccountView does not publish the
/// code of the business object that writes article pages, so a real company's is read from
/// `GET /accountviewsystembusinessobjects` and set as `order_business_object`; this one is
/// the simulator's own.
pub const ORDER_BUSINESS_OBJECT: &str = "SO1";

/// `GET accountviewsystembusinessobjects`: the business objects the simulator serves.
pub(super) fn business_objects(sim: &Sim, req: &SimRequest) -> SimResponse {
    if let Err(e) = sim.tokens.authorize(req) {
        return e.to_response(false);
    }
    let object = |code: &str, description: &str, insert: bool| {
        json!({"Code": code, "Description": description, "InsertAllowed": insert,
               "UpdateAllowed": insert, "DeleteAllowed": false})
    };
    SimResponse::json(
        200,
        json!([
            object("AR1", "Debiteuren", true),
            object("AK1", "Artikelen", false),
            object(ORDER_BUSINESS_OBJECT, "Verkooporders", true),
        ]),
    )
}

/// The columns `Fields` asks for, by table (`art_hdr.ord_nr,art_line.art_code`); `*` is
/// every column of both.
fn columns(fields: &str) -> Result<(Vec<String>, Vec<String>), String> {
    let spec = api_spec();
    let known = |schema: &str| -> Vec<String> {
        spec.schema_fields(schema).unwrap_or_default().into_iter().map(str::to_owned).collect()
    };
    let (all_hdr, all_line) = (known("ArtHdrRow"), known("ArtLineRow"));
    let (mut hdr, mut line) = (Vec::new(), Vec::new());
    for f in fields.split(',').map(str::trim).filter(|f| !f.is_empty()) {
        if f == "*" {
            return Ok((all_hdr, all_line));
        }
        let (table, col) = f.split_once('.').unwrap_or(("art_hdr", f));
        let col = col.to_ascii_uppercase();
        let (known, into) = match table.to_ascii_uppercase().as_str() {
            "ART_HDR" => (&all_hdr, &mut hdr),
            "ART_LINE" => (&all_line, &mut line),
            _ => return Err(format!("Veld {f} bestaat niet in ART_HDR of ART_LINE")),
        };
        if !known.contains(&col) || col == "ROWID" || col == "HEADERID" {
            return Err(format!("Veld {f} bestaat niet"));
        }
        into.push(col);
    }
    Ok((hdr, line))
}

fn pick(row: &Value, cols: &[String]) -> Value {
    let mut out = Map::new();
    for c in cols {
        out.insert(c.clone(), row.get(c).cloned().unwrap_or(Value::Null));
    }
    Value::Object(out)
}

/// `GET accountviewdata` of the order business object: a page of headers by `REC_ID` after
/// `lastKey`, with the lines of those headers.
pub(super) fn get(sim: &Sim, req: &SimRequest) -> SimResponse {
    let (hdr_cols, line_cols) = match columns(req.query("Fields").unwrap_or("*")) {
        Ok(c) => c,
        Err(m) => return error(400, &m),
    };
    let filter: Option<Filter> = match req.query("Filter").map(parse_filter) {
        None => None,
        Some(Ok(f)) => Some(f),
        Some(Err(m)) => return error(400, &m),
    };
    let size: usize = req.query("PageSize").and_then(|s| s.parse().ok()).unwrap_or(200);
    let after = req.query("lastKey").map(str::to_owned);
    let t = lock(&sim.tables);
    let headers: Vec<&Value> = t
        .orders
        .iter()
        .filter(|(k, _)| after.as_ref().is_none_or(|a| k.as_str() > a.as_str()))
        .filter(|(_, row)| filter.as_ref().is_none_or(|f| f.keeps(row)))
        .take(size)
        .map(|(_, row)| row)
        .collect();
    let ids: Vec<&str> = headers.iter().filter_map(|h| h["REC_ID"].as_str()).collect();
    let lines: Vec<Value> = if line_cols.is_empty() {
        Vec::new()
    } else {
        t.order_lines
            .iter()
            .filter(|l| l["HDR_ID"].as_str().is_some_and(|h| ids.contains(&h)))
            .map(|l| pick(l, &line_cols))
            .collect()
    };
    let headers: Vec<Value> = headers.into_iter().map(|h| pick(h, &hdr_cols)).collect();
    SimResponse::json(200, json!({ "ART_HDR": headers, "ART_LINE": lines }))
}

/// The columns of a definition, each a column of `schema` declared with its type.
fn definition(def: &Value, table: &str, schema: &str) -> Result<Vec<String>, String> {
    if def["Name"].as_str() != Some(table) {
        return Err(format!("{ORDER_BUSINESS_OBJECT} schrijft in tabel {table}"));
    }
    let spec = api_spec();
    let mut out = Vec::new();
    for f in def["Fields"].as_array().into_iter().flatten() {
        let (name, letter) =
            (f["Name"].as_str().unwrap_or_default(), f["FieldType"].as_str().unwrap_or_default());
        match spec.field_type(schema, name) {
            None => return Err(format!("Veld {name} bestaat niet in {table}")),
            Some(t) if t != json_type(letter) => {
                return Err(format!("Veld {name} heeft type {t}, niet {letter}"));
            }
            Some(_) => out.push(name.to_owned()),
        }
    }
    Ok(out)
}

/// The rows of a row set as records of `columns`, each held to `schema`.
fn records(
    set: &Value,
    columns: &[String],
    schema: &str,
) -> Result<Vec<Map<String, Value>>, String> {
    let spec = api_spec();
    let mut out = Vec::new();
    for row in set["Rows"].as_array().into_iter().flatten() {
        let values = row["Values"].as_array().cloned().unwrap_or_default();
        if values.len() != columns.len() {
            return Err(format!(
                "Een rij heeft {} waarden voor {} velden",
                values.len(),
                columns.len()
            ));
        }
        let record: Map<String, Value> = columns.iter().cloned().zip(values).collect();
        if let Some(v) = spec.check_value(schema, &Value::Object(record.clone())).first() {
            return Err(v.to_string());
        }
        out.push(record);
    }
    Ok(out)
}

fn text<'a>(r: &'a Map<String, Value>, col: &str) -> &'a str {
    r.get(col).and_then(Value::as_str).map(str::trim).unwrap_or_default()
}

/// `POST accountviewdata` of the order business object: article pages with their lines.
/// Each header needs a RowId and an existing debtor (SUB_NR); each line a header's RowId,
/// an existing article (ART_CODE) and a quantity. Nothing is stored unless all is right.
pub(super) fn post(sim: &Sim, body: &Value) -> SimResponse {
    let table = &body["Table"];
    let header_cols = match definition(&table["Definition"], "ART_HDR", "ArtHdrRow") {
        Ok(c) => c,
        Err(m) => return error(400, &m),
    };
    let line_def = &table["DetailDefinitions"][0];
    let line_cols = match definition(line_def, "ART_LINE", "ArtLineRow") {
        Ok(c) => c,
        Err(m) => return error(400, &m),
    };
    let data = &body["TableData"];
    let (headers, lines) = match (
        records(&data["Data"], &header_cols, "ArtHdrRow"),
        records(&data["DetailData"][0], &line_cols, "ArtLineRow"),
    ) {
        (Ok(h), Ok(l)) => (h, l),
        (Err(m), _) | (_, Err(m)) => return error(400, &m),
    };
    let now = crate::TimeZone::CentralEurope
        .to_local(chrono::Utc::now())
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string();
    let mut t = lock(&sim.tables);
    for h in &headers {
        if text(h, "RowId").is_empty() {
            return error(400, "Veld RowId is verplicht");
        }
        let debtor = text(h, "SUB_NR");
        if debtor.is_empty() {
            return error(400, "Veld SUB_NR is verplicht");
        }
        if !t.contacts.contains_key(debtor) {
            return error(400, &format!("Debiteur {debtor} bestaat niet"));
        }
    }
    for l in &lines {
        if !headers.iter().any(|h| text(h, "RowId") == text(l, "HeaderId")) {
            return error(400, &format!("Regel {} hoort bij geen bladzijde", text(l, "RowId")));
        }
        let code = text(l, "ART_CODE");
        if !t.articles.values().any(|a| a["ART_CODE"].as_str() == Some(code)) {
            return error(400, &format!("Artikel {code} bestaat niet"));
        }
        if l.get("ART_QTY").is_none_or(Value::is_null) {
            return error(400, "Veld ART_QTY is verplicht");
        }
    }
    let (mut out_headers, mut out_lines) = (Vec::new(), Vec::new());
    for mut h in headers {
        let n = t.orders.len() + 1;
        let (rec_id, ord_nr) = (format!("H{n:05}"), format!("24{n:04}"));
        let row_id = h.remove("RowId").unwrap_or_default();
        for mut l in lines.iter().filter(|l| l.get("HeaderId") == Some(&row_id)).cloned() {
            l.remove("RowId");
            l.remove("HeaderId");
            l.insert("HDR_ID".into(), Value::from(rec_id.clone()));
            l.insert("REC_ID".into(), Value::from(format!("L{:06}", t.order_lines.len() + 1)));
            t.order_lines.push(Value::Object(l.clone()));
            out_lines.push(Value::Object(l));
        }
        h.insert("REC_ID".into(), Value::from(rec_id.clone()));
        h.insert("ORD_NR".into(), Value::from(ord_nr));
        h.insert("CNG_DATE".into(), Value::from(now.clone()));
        t.orders.insert(rec_id, Value::Object(h.clone()));
        out_headers.push(Value::Object(h));
    }
    SimResponse::json(200, json!({ "ART_HDR": out_headers, "ART_LINE": out_lines }))
}

impl super::AccountViewSimulator {
    /// Adds an order as if entered in AccountView: a header row (given a `REC_ID` and an
    /// `ORD_NR` when it has none) and its lines (each given the header's `HDR_ID`).
    pub fn put_order(&self, header: Value, lines: Vec<Value>) {
        let mut t = lock(&self.sim.tables);
        let n = t.orders.len() + 1;
        let mut h = header;
        let rec_id = h["REC_ID"].as_str().map_or_else(|| format!("H{n:05}"), str::to_owned);
        h["REC_ID"] = Value::from(rec_id.clone());
        if h["ORD_NR"].is_null() {
            h["ORD_NR"] = Value::from(format!("24{n:04}"));
        }
        for mut l in lines {
            l["HDR_ID"] = Value::from(rec_id.clone());
            l["REC_ID"] = Value::from(format!("L{:06}", t.order_lines.len() + 1));
            t.order_lines.push(l);
        }
        t.orders.insert(rec_id, h);
    }

    /// The order headers (ART_HDR rows) the company holds, oldest first.
    pub fn orders(&self) -> Vec<Value> {
        lock(&self.sim.tables).orders.values().cloned().collect()
    }

    /// The lines (ART_LINE rows) of the order header `rec_id`.
    pub fn order_lines(&self, rec_id: &str) -> Vec<Value> {
        lock(&self.sim.tables)
            .order_lines
            .iter()
            .filter(|l| l["HDR_ID"].as_str() == Some(rec_id))
            .cloned()
            .collect()
    }
}
