//! Holding requests and responses to a description.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, NaiveDateTime};
use hyper::header::HeaderMap;
use rust_decimal::Decimal;
use serde_json::Value;

use super::types::{ApiSpec, Kind, Operation, TypeRef};
use crate::simulator::request::{decode_form, percent_decode};
use crate::simulator::{Journal, JournalEntry, SimRequest};

/// Whether a violation is in what the client sent or in what the simulator answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// In the request.
    Request,
    /// In the response.
    Response,
}

/// What is wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ViolationKind {
    /// No operation of the description serves this method and path.
    UnknownOperation,
    /// A query parameter the operation does not take.
    UnknownParameter,
    /// A required parameter, header or field is missing (or null).
    MissingRequired,
    /// A body field the schema does not have.
    UnknownField,
    /// A value of the wrong type (or a body that is not JSON).
    WrongType,
    /// A value outside its enum.
    NotInEnum,
    /// A number outside its limits or a text longer than its maximum.
    OutOfRange,
    /// A read-only field in a request.
    ReadOnly,
    /// A body where the operation takes none, or none where it takes one.
    UnexpectedBody,
    /// A response status the operation does not describe.
    UndescribedStatus,
}

/// One breach of the description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Request or response.
    pub side: Side,
    /// What is wrong.
    pub kind: ViolationKind,
    /// Where: `query.size`, `header.identifier`, `path.id`, `form.api_key`,
    /// `body.invoicingInfo.email`, `body[0].code`; empty for the operation itself.
    pub place: String,
    /// A sentence saying what the description expects.
    pub message: String,
}

impl Violation {
    fn new(side: Side, kind: ViolationKind, place: impl Into<String>, message: String) -> Self {
        Self { side, kind, place: place.into(), message }
    }

    /// The place inside the body without the leading `body.` (`invoicingInfo.email`,
    /// `[0].code`), or `None` when the violation is not in the body.
    pub fn body_field(&self) -> Option<&str> {
        let rest = self.place.strip_prefix("body")?;
        Some(rest.strip_prefix('.').unwrap_or(rest))
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let side = match self.side {
            Side::Request => "request",
            Side::Response => "response",
        };
        if self.place.is_empty() {
            write!(f, "{side}: {}", self.message)
        } else {
            write!(f, "{side} {}: {}", self.place, self.message)
        }
    }
}

impl ApiSpec {
    /// Every way `req` breaks the description.
    pub fn check_request(&self, req: &SimRequest) -> Vec<Violation> {
        self.check_parts(req.method.as_str(), &req.path, &req.query, &req.headers, &req.body)
    }

    /// Every way the response `body` with `status`, answered to `method` on `path`, breaks
    /// the description. Nothing is checked for an operation the description does not know.
    pub fn check_response(
        &self,
        method: &str,
        path: &str,
        status: u16,
        body: &[u8],
    ) -> Vec<Violation> {
        let Some(op) = self.operation(method, path) else { return Vec::new() };
        let described =
            op.responses.get(&status.to_string()).or_else(|| op.responses.get("default"));
        let mut out = Vec::new();
        let Some(described) = described else {
            out.push(Violation::new(
                Side::Response,
                ViolationKind::UndescribedStatus,
                "",
                format!("{} does not answer {status}", op.name()),
            ));
            return out;
        };
        if let Some(t) = described {
            Checker { spec: self, side: Side::Response, out: &mut out }.body(body, t);
        }
        out
    }

    /// Every way `value`, sent in a request, breaks schema `schema` (its fields, types,
    /// lengths, ranges, enums and read-only fields): for a simulator that receives records
    /// in another shape (a columnar payload) and holds each one to the description.
    pub fn check_value(&self, schema: &str, value: &serde_json::Value) -> Vec<Violation> {
        let mut out = Vec::new();
        let t = TypeRef::of(Kind::Schema(schema.to_owned()));
        Checker { spec: self, side: Side::Request, out: &mut out }.value("", value, &t);
        out
    }

    /// Every request of `journal` that breaks the description, one line per violation
    /// (`POST /api/invoices: request body.foo: … `): what a test asserts is empty.
    pub fn check_journal(&self, journal: &Journal) -> Vec<String> {
        journal
            .entries()
            .iter()
            .flat_map(|e| {
                self.check_entry(e)
                    .into_iter()
                    .map(move |v| format!("{} {}: {v}", e.method, e.path))
            })
            .collect()
    }

    /// Every breach of the description in `journal`, one line each: what the server recorded
    /// (requests it refused, answers it gave) and every request checked again here. What a
    /// test asserts is empty after driving a connector against its simulator.
    pub fn breaches(&self, journal: &Journal) -> Vec<String> {
        let mut lines = journal.spec_violations();
        lines.extend(self.check_journal(journal));
        lines
    }

    /// The operations of the description that no request of `journal` reached (`GET
    /// /products`): what a test that means to exercise every operation asserts is empty.
    pub fn unvisited(&self, journal: &Journal) -> Vec<String> {
        let entries = journal.entries();
        self.operations
            .iter()
            .filter(|op| {
                !entries.iter().any(|e| {
                    self.operation(e.method.as_str(), &e.path)
                        .is_some_and(|hit| std::ptr::eq(hit, *op))
                })
            })
            .map(Operation::name)
            .collect()
    }

    fn check_entry(&self, e: &JournalEntry) -> Vec<Violation> {
        self.check_parts(e.method.as_str(), &e.path, &e.query, &e.headers, &e.body)
    }

    fn check_parts(
        &self,
        method: &str,
        path: &str,
        query: &[(String, String)],
        headers: &HeaderMap,
        body: &[u8],
    ) -> Vec<Violation> {
        let mut out = Vec::new();
        let Some(op) = self.operation(method, path) else {
            out.push(Violation::new(
                Side::Request,
                ViolationKind::UnknownOperation,
                "",
                format!("the API has no operation {method} {path}"),
            ));
            return out;
        };
        let mut c = Checker { spec: self, side: Side::Request, out: &mut out };
        let relative = path.strip_prefix(self.base_path.as_str()).unwrap_or(path);
        for (name, value) in op.path_values(relative) {
            if let Some(t) = op.path_params.get(name) {
                c.text(&format!("path.{name}"), &percent_decode(value), t);
            }
        }
        c.params("query", query.iter().map(|(k, v)| (k.as_str(), v.as_str())), &op.query);
        c.required("query", &op.required_query, |n| query.iter().any(|(k, _)| k == n));
        for (name, t) in &op.headers {
            for value in headers.get_all(name.as_str()) {
                match value.to_str() {
                    Ok(v) => c.text(&format!("header.{name}"), v, t),
                    Err(_) => c.push(
                        ViolationKind::WrongType,
                        format!("header.{name}"),
                        "is not visible text".into(),
                    ),
                }
            }
        }
        c.required("header", &op.required_headers, |n| headers.contains_key(n));
        c.request_body(op, body);
        out
    }
}

struct Checker<'a> {
    spec: &'a ApiSpec,
    side: Side,
    out: &'a mut Vec<Violation>,
}

impl Checker<'_> {
    fn push(&mut self, kind: ViolationKind, place: String, message: String) {
        self.out.push(Violation::new(self.side, kind, place, message));
    }

    fn params<'v>(
        &mut self,
        what: &str,
        given: impl Iterator<Item = (&'v str, &'v str)>,
        described: &std::collections::BTreeMap<String, TypeRef>,
    ) {
        let mut seen: Vec<&str> = Vec::new();
        for (name, value) in given {
            let place = format!("{what}.{name}");
            let again = seen.contains(&name);
            seen.push(name);
            match described.get(name) {
                Some(t) if again && !matches!(t.kind, Kind::Array(_)) => self.push(
                    ViolationKind::WrongType,
                    place,
                    "is given more than once, and takes one value".into(),
                ),
                Some(t) => self.text(&place, value, t),
                None => self.push(
                    ViolationKind::UnknownParameter,
                    place,
                    format!("the operation takes no {what} parameter `{name}`"),
                ),
            }
        }
    }

    fn required(&mut self, what: &str, names: &[String], present: impl Fn(&str) -> bool) {
        for name in names.iter().filter(|n| !present(n)) {
            self.push(
                ViolationKind::MissingRequired,
                format!("{what}.{name}"),
                "is required".into(),
            );
        }
    }

    fn request_body(&mut self, op: &Operation, body: &[u8]) {
        let empty = body.iter().all(u8::is_ascii_whitespace);
        if let Some(form) = &op.form {
            let pairs = decode_form(&String::from_utf8_lossy(body));
            for (name, value) in &pairs {
                let place = format!("form.{name}");
                match form.get(name) {
                    Some(t) => self.text(&place, value, t),
                    None => self.push(
                        ViolationKind::UnknownField,
                        place,
                        format!("the form has no field `{name}`"),
                    ),
                }
            }
            self.required("form", &op.required_form, |n| pairs.iter().any(|(k, _)| k == n));
            return;
        }
        match &op.body {
            Some(_) if empty && op.body_optional => {}
            Some(t) if empty => self.push(
                ViolationKind::UnexpectedBody,
                "body".into(),
                format!("{} takes a body ({})", op.name(), t.kind),
            ),
            Some(t) => self.body(body, t),
            None if !empty => self.push(
                ViolationKind::UnexpectedBody,
                "body".into(),
                format!("{} takes no body", op.name()),
            ),
            None => {}
        }
    }

    fn body(&mut self, body: &[u8], t: &TypeRef) {
        if body.iter().all(u8::is_ascii_whitespace) {
            if t.kind != Kind::Any {
                self.push(
                    ViolationKind::UnexpectedBody,
                    "body".into(),
                    format!("expected {}", t.kind),
                );
            }
            return;
        }
        match serde_json::from_slice::<Value>(body) {
            Ok(v) => self.value("body", &v, t),
            Err(e) => self.push(ViolationKind::WrongType, "body".into(), format!("not JSON: {e}")),
        }
    }

    /// A parameter's text against its type.
    fn text(&mut self, place: &str, value: &str, t: &TypeRef) {
        let ok = match &t.kind {
            Kind::Array(item) => {
                for part in value.split(',') {
                    self.text(place, part.trim(), item);
                }
                return;
            }
            Kind::String | Kind::Any => {
                self.length(place, value, t);
                true
            }
            Kind::Integer => match value.parse::<i64>() {
                Ok(n) => {
                    self.range(place, Decimal::from(n), t);
                    true
                }
                Err(_) => false,
            },
            Kind::Number => match Decimal::from_str(value) {
                Ok(n) => {
                    self.range(place, n, t);
                    true
                }
                Err(_) => false,
            },
            Kind::Boolean => matches!(value, "true" | "false"),
            Kind::Date => is_date(value),
            Kind::DateTime => is_date_time(value),
            Kind::Enum(name) => {
                self.enumerated(place, name, value);
                true
            }
            Kind::FieldList(schema) => {
                self.field_list(place, schema, value);
                true
            }
            Kind::OneOf(kinds) => kinds.iter().any(|k| {
                let mut found = Vec::new();
                Checker { spec: self.spec, side: self.side, out: &mut found }.text(place, value, k);
                found.is_empty()
            }),
            Kind::Schema(_) => false,
        };
        if !ok {
            self.push(
                ViolationKind::WrongType,
                place.to_owned(),
                format!("`{value}` is not {}", t.kind),
            );
        }
    }

    fn field_list(&mut self, place: &str, schema: &str, value: &str) {
        let Some(s) = self.spec.schemas.get(schema) else { return };
        for name in value.split(',').map(str::trim) {
            if !s.fields.contains_key(name) {
                self.push(
                    ViolationKind::UnknownField,
                    place.to_owned(),
                    format!("`{name}` is not a field of {schema}"),
                );
            }
        }
    }

    fn length(&mut self, place: &str, value: &str, t: &TypeRef) {
        let n = value.chars().count();
        if let Some(max) = t.max_length
            && n > max
        {
            self.push(
                ViolationKind::OutOfRange,
                place.to_owned(),
                format!("is longer than {max} characters"),
            );
        }
        if let Some(min) = t.min_length
            && n < min
        {
            self.push(
                ViolationKind::OutOfRange,
                place.to_owned(),
                format!("is shorter than {min} characters"),
            );
        }
    }

    fn range(&mut self, place: &str, n: Decimal, t: &TypeRef) {
        let low = t.min.is_some_and(|m| n < m);
        let high = t.max.is_some_and(|m| n > m);
        if low || high {
            let bound = |b: Option<Decimal>| b.map_or_else(|| "…".to_owned(), |b| b.to_string());
            self.push(
                ViolationKind::OutOfRange,
                place.to_owned(),
                format!("{n} is outside {}..={}", bound(t.min), bound(t.max)),
            );
        }
    }

    fn enumerated(&mut self, place: &str, name: &str, value: &str) {
        let values = self.spec.enums.get(name).map(Vec::as_slice).unwrap_or_default();
        if !values.iter().any(|v| v == value) {
            let shown: Vec<&str> = values.iter().take(12).map(String::as_str).collect();
            let more = if values.len() > shown.len() { ", …" } else { "" };
            self.push(
                ViolationKind::NotInEnum,
                place.to_owned(),
                format!("`{value}` is not one of {name} ({}{more})", shown.join(", ")),
            );
        }
    }

    /// A JSON value against its type.
    fn value(&mut self, place: &str, v: &Value, t: &TypeRef) {
        let wrong = |c: &mut Self| {
            c.push(
                ViolationKind::WrongType,
                place.to_owned(),
                format!("{} is not {}", short(v), t.kind),
            );
        };
        match (&t.kind, v) {
            (Kind::Any, _) => {}
            (Kind::String, Value::String(s)) => self.length(place, s, t),
            (Kind::Integer, Value::Number(n)) => match integer(n) {
                Some(d) => self.range(place, d, t),
                None => wrong(self),
            },
            (Kind::Number, Value::Number(n)) => match decimal(n) {
                Some(d) => self.range(place, d, t),
                None => wrong(self),
            },
            (Kind::Boolean, Value::Bool(_)) => {}
            (Kind::Date, Value::String(s)) if is_date(s) => {}
            (Kind::DateTime, Value::String(s)) if is_date_time(s) => {}
            (Kind::Enum(name), Value::String(s)) if !self.spec.numeric_enums.contains(name) => {
                self.enumerated(place, name, s)
            }
            (Kind::Enum(name), Value::Number(n))
                if self.spec.numeric_enums.contains(name) && integer(n).is_some() =>
            {
                self.enumerated(place, name, &n.to_string())
            }
            (Kind::FieldList(schema), Value::String(s)) => self.field_list(place, schema, s),
            (Kind::Array(item), Value::Array(items)) => {
                for (i, x) in items.iter().enumerate() {
                    self.value(&format!("{place}[{i}]"), x, item);
                }
            }
            (Kind::Schema(name), Value::Object(o)) => self.object(place, name, o),
            (Kind::OneOf(kinds), _) => self.one_of(place, v, kinds),
            _ => wrong(self),
        }
    }

    /// A value that may take one of several types: it keeps to the description when it
    /// keeps to one of them; otherwise the closest one's breaches are reported.
    fn one_of(&mut self, place: &str, v: &Value, kinds: &[TypeRef]) {
        // Closest: the value has the type's shape (no breach at `place` itself), then the
        // fewest breaches.
        let rank = |found: &[Violation]| {
            let misshapen = found.iter().any(|f| f.place == place);
            (misshapen, found.len())
        };
        let mut closest: Option<Vec<Violation>> = None;
        for t in kinds {
            let mut found = Vec::new();
            Checker { spec: self.spec, side: self.side, out: &mut found }.value(place, v, t);
            if found.is_empty() {
                return;
            }
            if closest.as_ref().is_none_or(|c| rank(&found) < rank(c)) {
                closest = Some(found);
            }
        }
        match closest {
            Some(found) if !rank(&found).0 => self.out.extend(found),
            _ => self.push(
                ViolationKind::WrongType,
                place.to_owned(),
                format!("{} is not {}", short(v), Kind::OneOf(kinds.to_vec())),
            ),
        }
    }

    fn object(&mut self, place: &str, name: &str, o: &serde_json::Map<String, Value>) {
        let Some(schema) = self.spec.schemas.get(name) else { return };
        for (key, v) in o {
            let at = format!("{place}.{key}");
            match schema.fields.get(key) {
                None if schema.additional_fields => {}
                None => self.push(
                    ViolationKind::UnknownField,
                    at,
                    format!("{name} has no field `{key}`"),
                ),
                Some(t) => {
                    if t.read_only && self.side == Side::Request {
                        self.push(ViolationKind::ReadOnly, at.clone(), "is read-only".into());
                    }
                    if !v.is_null() {
                        self.value(&at, v, t);
                    }
                }
            }
        }
        for field in &schema.required {
            if o.get(field).is_none_or(Value::is_null) {
                self.push(
                    ViolationKind::MissingRequired,
                    format!("{place}.{field}"),
                    format!("is required in {name}"),
                );
            }
        }
        for group in &schema.required_one_of {
            if !group.iter().any(|f| o.get(f).is_some_and(|v| !v.is_null())) {
                self.push(
                    ViolationKind::MissingRequired,
                    format!("{place}.{}", group.join("|")),
                    format!("one of {} is required in {name}", group.join(", ")),
                );
            }
        }
    }
}

fn short(v: &Value) -> String {
    let text = v.to_string();
    match text.char_indices().nth(40) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text,
    }
}

fn decimal(n: &serde_json::Number) -> Option<Decimal> {
    let text = n.to_string();
    Decimal::from_str(&text).or_else(|_| Decimal::from_scientific(&text)).ok()
}

fn integer(n: &serde_json::Number) -> Option<Decimal> {
    let text = n.to_string();
    if text.contains(['.', 'e', 'E']) {
        return None;
    }
    Decimal::from_str(&text).ok()
}

fn is_date(s: &str) -> bool {
    s.len() == 10 && NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok()
}

fn is_date_time(s: &str) -> bool {
    DateTime::parse_from_rfc3339(s).is_ok()
        || DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f%z").is_ok()
        || NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f").is_ok()
}
