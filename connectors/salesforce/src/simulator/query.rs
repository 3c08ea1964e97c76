//! `query` and `query/{locator}`: SOQL held to the org's fields (an unknown column is
//! `400 INVALID_FIELD`, as Salesforce answers it), batches with a relative
//! `nextRecordsUrl`, and child subqueries paged on their own beyond
//! [`CHILD_BATCH`] rows; and `sobjects/{Type}/deleted/`.

use chrono::{DateTime, Utc};
use connector_core::http::{dates, now_utc};
use connector_testkit::simulator::{Record, SimRequest, SimResponse};
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

use super::org::child;
use super::soql::{self, Expr, Field, Lit, Query};
use super::{API_VERSION, State, errors, lock};

/// The child records a subquery carries in one answer before it pages on its own.
pub const CHILD_BATCH: usize = 200;

fn cmp_values(a: &Value, lit: &Lit) -> Option<std::cmp::Ordering> {
    match lit {
        Lit::Str(s) => a.as_str().map(|x| x.to_lowercase().cmp(&s.to_lowercase())),
        Lit::Num(n) => {
            let number = |t: &str| Decimal::from_str_exact(t.trim()).ok();
            let x = match a {
                Value::Number(x) => number(&x.to_string()),
                Value::String(x) => number(x),
                _ => None,
            }?;
            Some(x.cmp(&number(n)?))
        }
        Lit::Bool(b) => a.as_bool().map(|x| x.cmp(b)),
        Lit::Null => {
            Some(if a.is_null() { std::cmp::Ordering::Equal } else { std::cmp::Ordering::Greater })
        }
        Lit::Time(t) => {
            let x = dates::parse_salesforce(a.as_str()?).ok()?;
            let y = dates::parse_instant(t).ok()?;
            Some(x.cmp(&y))
        }
    }
}

/// Salesforce's answer to a column an object does not have.
fn no_such_column(field: &str, object: &str) -> String {
    format!(
        "No such column '{field}' on entity '{object}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names."
    )
}

impl State {
    /// The value of a field path (`Account.Name`) of a record of `object`.
    fn resolve(&self, object: &str, rec: &Value, path: &str) -> Value {
        match path.split_once('.') {
            None => self.field_value(object, rec, path),
            Some((rel, rest)) => {
                let Some((idf, target)) = self.def(object).and_then(|d| d.parent(rel)) else {
                    return Value::Null;
                };
                let parent =
                    rec.get(&idf).and_then(Value::as_str).and_then(|id| self.obj(&target)?.get(id));
                match parent {
                    Some(p) => self.resolve(&target, &p.value, rest),
                    None => Value::Null,
                }
            }
        }
    }

    /// A field of a record by its name in any case (API names are case-insensitive).
    fn field_value(&self, object: &str, rec: &Value, field: &str) -> Value {
        let name = self.def(object).and_then(|d| d.field(field).map(|f| f.name.clone()));
        rec.get(name.as_deref().unwrap_or(field)).cloned().unwrap_or(Value::Null)
    }

    /// Checks every field of a query against the org: `Err` is Salesforce's error text.
    fn validate(&self, q: &Query) -> Result<(), (String, String)> {
        let Some(def) = self.def(&q.from) else {
            return Err((
                "INVALID_TYPE".into(),
                format!("sObject type '{}' is not supported.", q.from),
            ));
        };
        let path = |p: &str| -> Result<(), (String, String)> {
            let mut object = def.clone();
            let mut parts = p.split('.').peekable();
            while let Some(part) = parts.next() {
                if parts.peek().is_none() {
                    return match object.field(part) {
                        Some(_) => Ok(()),
                        None => Err(("INVALID_FIELD".into(), no_such_column(part, &object.name))),
                    };
                }
                let Some((_, target)) = object.parent(part) else {
                    return Err((
                        "INVALID_FIELD".into(),
                        format!(
                            "Didn't understand relationship '{part}' in field path. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name."
                        ),
                    ));
                };
                object = self.def(&target).ok_or_else(|| {
                    ("INVALID_FIELD".to_owned(), no_such_column(part, &object.name))
                })?;
            }
            Ok(())
        };
        for f in &q.fields {
            match f {
                Field::Path(p) => path(p)?,
                Field::Sub(sub) => {
                    let Some((kid, _)) = child(&q.from, &sub.from) else {
                        return Err((
                            "INVALID_TYPE".into(),
                            format!(
                                "Didn't understand relationship '{}' in FROM part of query call. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name.",
                                sub.from
                            ),
                        ));
                    };
                    let mut inner = (**sub).clone();
                    inner.from = kid.to_owned();
                    self.validate(&inner)?;
                }
            }
        }
        for (f, _) in &q.order {
            path(f)?;
        }
        fn filters(e: &Expr, out: &mut Vec<String>) {
            match e {
                Expr::And(a, b) | Expr::Or(a, b) => {
                    filters(a, out);
                    filters(b, out);
                }
                Expr::Cmp(f, ..) | Expr::In(f, _) | Expr::InSub(f, _) => out.push(f.clone()),
            }
        }
        let mut used = Vec::new();
        if let Some(e) = &q.filter {
            filters(e, &mut used);
        }
        for f in used {
            path(&f)?;
        }
        Ok(())
    }

    fn eval(&self, object: &str, e: &Expr, rec: &Value) -> bool {
        match e {
            Expr::And(a, b) => self.eval(object, a, rec) && self.eval(object, b, rec),
            Expr::Or(a, b) => self.eval(object, a, rec) || self.eval(object, b, rec),
            Expr::Cmp(f, op, lit) => {
                let v = self.resolve(object, rec, f);
                let Some(o) = cmp_values(&v, lit) else { return false };
                match op.as_str() {
                    "=" => o.is_eq(),
                    "!=" | "<>" => o.is_ne(),
                    "<" => o.is_lt(),
                    ">" => o.is_gt(),
                    "<=" => o.is_le(),
                    ">=" => o.is_ge(),
                    _ => false,
                }
            }
            Expr::In(f, list) => {
                let v = self.resolve(object, rec, f);
                list.iter().any(|l| cmp_values(&v, l).is_some_and(|o| o.is_eq()))
            }
            Expr::InSub(f, q) => {
                let v = self.resolve(object, rec, f);
                let field = match q.fields.first() {
                    Some(Field::Path(p)) => p.clone(),
                    _ => return false,
                };
                self.select(q, None).iter().any(|r| self.resolve(&q.from, r, &field) == v)
            }
        }
    }

    /// Runs a query: the matching records shaped with `attributes`, parent fields nested
    /// and child subqueries as query results of their own.
    pub(super) fn select(&self, q: &Query, parent_id: Option<(&str, &str)>) -> Vec<Value> {
        let Some(coll) = self.obj(&q.from) else { return Vec::new() };
        let mut rows: Vec<Record> = coll.all();
        if let Some((field, id)) = parent_id {
            rows.retain(|r| r.value.get(field).and_then(Value::as_str) == Some(id));
        }
        if let Some(f) = &q.filter {
            rows.retain(|r| self.eval(&q.from, f, &r.value));
        }
        let key = |r: &Record, f: &str| -> (Option<DateTime<Utc>>, String) {
            let v = self.resolve(&q.from, &r.value, f);
            let s = v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string());
            (dates::parse_salesforce(&s).ok(), s)
        };
        rows.sort_by(|a, b| {
            for (f, desc) in &q.order {
                let o = key(a, f).cmp(&key(b, f));
                let o = if *desc { o.reverse() } else { o };
                if o.is_ne() {
                    return o;
                }
            }
            a.id.cmp(&b.id)
        });
        if let Some(n) = q.limit {
            rows.truncate(n);
        }
        rows.iter().map(|r| self.shape(q, r)).collect()
    }

    fn shape(&self, q: &Query, r: &Record) -> Value {
        let base = format!("/services/data/v{API_VERSION}/sobjects");
        let mut m = Map::new();
        m.insert(
            "attributes".into(),
            json!({"type": q.from, "url": format!("{base}/{}/{}", q.from, r.id)}),
        );
        for f in &q.fields {
            match f {
                Field::Path(p) => self.put_path(&mut m, &q.from, &r.value, p),
                Field::Sub(sub) => {
                    let Some((obj, fk)) = child(&q.from, &sub.from) else { continue };
                    let mut sq = (**sub).clone();
                    sq.from = obj.to_owned();
                    let kids = self.select(&sq, Some((fk, &r.id)));
                    m.insert(sub.from.clone(), self.page(kids));
                }
            }
        }
        Value::Object(m)
    }

    /// Puts a field path's value into a record: `Name`, or `Account.Name` nested as
    /// `{"Account": {"attributes": …, "Name": …}}` (null when there is no parent).
    fn put_path(&self, m: &mut Map<String, Value>, object: &str, rec: &Value, p: &str) {
        let Some((rel, rest)) = p.split_once('.') else {
            let name = self.def(object).and_then(|d| d.field(p).map(|f| f.name.clone()));
            m.insert(name.unwrap_or_else(|| p.to_owned()), self.field_value(object, rec, p));
            return;
        };
        let Some((idf, target)) = self.def(object).and_then(|d| d.parent(rel)) else { return };
        let parent =
            rec.get(&idf).and_then(Value::as_str).and_then(|id| self.obj(&target)?.get(id));
        let entry = m.entry(rel.to_owned()).or_insert(Value::Null);
        let Some(p) = parent else { return };
        if entry.is_null() {
            let url = format!("/services/data/v{API_VERSION}/sobjects/{target}/{}", p.id);
            *entry = json!({"attributes": {"type": target, "url": url}});
        }
        if let Value::Object(inner) = entry {
            self.put_path(inner, &target, &p.value, rest);
        }
    }

    /// A child relationship's records as a query result: null when empty, paged beyond
    /// [`CHILD_BATCH`].
    fn page(&self, mut kids: Vec<Value>) -> Value {
        if kids.is_empty() {
            return Value::Null;
        }
        let total = kids.len();
        let rest = if kids.len() > CHILD_BATCH { kids.split_off(CHILD_BATCH) } else { Vec::new() };
        let mut v = json!({"totalSize": total, "done": rest.is_empty(), "records": kids});
        if !rest.is_empty() {
            v["nextRecordsUrl"] = json!(self.park(rest, total));
        }
        v
    }

    /// Keeps rows for `query/{locator}`; the locator's URL.
    fn park(&self, rows: Vec<Value>, total: usize) -> String {
        let n = lock(&self.cursors).len() + 1;
        let id = format!("01gSIM{n:012}-{}", total - rows.len());
        lock(&self.cursors).insert(id.clone(), rows);
        format!("/services/data/v{API_VERSION}/query/{id}")
    }

    fn batch_answer(&self, mut rows: Vec<Value>, batch: usize, total: usize) -> SimResponse {
        let rest = if rows.len() > batch { rows.split_off(batch) } else { Vec::new() };
        let mut body = json!({"totalSize": total, "done": rest.is_empty(), "records": rows});
        if !rest.is_empty() {
            body["nextRecordsUrl"] = json!(self.park(rest, total));
        }
        SimResponse::json(200, body)
    }

    pub(super) fn query(&self, req: &SimRequest) -> SimResponse {
        let Some(q) = req.query("q") else {
            return errors(400, "MALFORMED_QUERY", "q is missing");
        };
        let Some(parsed) = soql::parse(q) else {
            return errors(400, "MALFORMED_QUERY", &format!("unexpected token in: {q}"));
        };
        if let Err((code, message)) = self.validate(&parsed) {
            return errors(400, &code, &format!("\n{q}\n^\nERROR at Row:1:Column:1\n{message}"));
        }
        let rows = self.select(&parsed, None);
        let total = rows.len();
        self.batch_answer(rows, batch_size(req), total)
    }

    pub(super) fn more(&self, req: &SimRequest, id: &str) -> SimResponse {
        let Some(rows) = lock(&self.cursors).remove(id) else {
            return errors(400, "INVALID_QUERY_LOCATOR", "invalid query locator");
        };
        let seen: usize = id.rsplit('-').next().and_then(|n| n.parse().ok()).unwrap_or(0);
        let total = seen + rows.len();
        self.batch_answer(rows, batch_size(req), total)
    }

    pub(super) fn deleted(&self, req: &SimRequest, object: &str) -> SimResponse {
        let parse = |k: &str| req.query(k).and_then(|v| dates::parse_instant(v).ok());
        let (Some(start), Some(end)) = (parse("start"), parse("end")) else {
            return errors(400, "INVALID_REPLICATION_DATE", "start and end are required");
        };
        let Some(coll) = self.obj(object) else {
            return errors(404, "NOT_FOUND", "The requested resource does not exist");
        };
        let now = now_utc();
        let earliest = lock(&self.earliest_deleted).unwrap_or(now - chrono::Duration::days(15));
        let recs: Vec<Value> = coll
            .deleted_since(0)
            .into_iter()
            // Salesforce keeps milliseconds.
            .filter(|t| {
                let at = DateTime::from_timestamp_millis(t.deleted_at.timestamp_millis())
                    .unwrap_or(t.deleted_at);
                at >= start.max(earliest) && at <= end
            })
            .map(|t| json!({"id": t.id, "deletedDate": dates::format_salesforce(t.deleted_at)}))
            .collect();
        SimResponse::json(
            200,
            json!({"deletedRecords": recs, "earliestDateAvailable": dates::format_salesforce(earliest), "latestDateCovered": dates::format_salesforce(end.min(now))}),
        )
    }
}

fn batch_size(req: &SimRequest) -> usize {
    req.header("sforce-query-options")
        .and_then(|h| h.split(',').find_map(|p| p.trim().strip_prefix("batchSize=")))
        .and_then(|n| n.trim().parse::<usize>().ok())
        .map(|n| n.clamp(200, 2000))
        .unwrap_or(2000)
}
