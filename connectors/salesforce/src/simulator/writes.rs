//! sObject Collections: `POST composite/sobjects` creates, `PATCH composite/sobjects`
//! updates by `Id`, `PATCH composite/sobjects/{Type}/{Field}` upserts by an External ID (a
//! field that is none is refused, as Salesforce refuses it). At most 200 records; each
//! record gets its own result; a field the object does not have fails its record with
//! `INVALID_FIELD`.

use connector_testkit::simulator::{Method, SimRequest, SimResponse};
use serde_json::{Map, Value, json};

use super::{State, errors};

fn failed(code: &str, message: String, fields: Vec<&str>) -> Value {
    json!({"success": false, "errors": [{"statusCode": code, "message": message, "fields": fields}]})
}

/// How a record is saved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Save<'a> {
    Create,
    Update,
    Upsert(&'a str),
}

impl State {
    fn save(&self, object: &str, rec: &Map<String, Value>, how: Save<'_>) -> Value {
        let (Some(coll), Some(def)) = (self.obj(object), self.def(object)) else {
            return failed(
                "INVALID_TYPE",
                format!("sObject type '{object}' is not supported."),
                vec![],
            );
        };
        let mut body = Map::new();
        for (k, v) in rec {
            if k == "attributes" {
                continue;
            }
            let Some(f) = def.field(k) else {
                return failed(
                    "INVALID_FIELD",
                    format!("No such column '{k}' on sobject of type {object}"),
                    vec![k],
                );
            };
            if let (Some(to), Some(id)) = (&f.reference_to, v.as_str()) {
                if self.obj(to).and_then(|c| c.get(id)).is_none() {
                    return failed(
                        "INVALID_CROSS_REFERENCE_KEY",
                        format!("invalid cross reference id: {id}"),
                        vec![k],
                    );
                }
            }
            body.insert(f.name.clone(), v.clone());
        }
        let has_id = body.get("Id").and_then(Value::as_str).is_some();
        let existing = match how {
            Save::Create if has_id => {
                return failed(
                    "INVALID_FIELD",
                    "cannot specify Id in an insert call".into(),
                    vec!["Id"],
                );
            }
            Save::Create => None,
            Save::Update => match body.get("Id").and_then(Value::as_str) {
                Some(id) => match coll.get(id) {
                    Some(r) => Some(r),
                    None => return failed("ENTITY_IS_DELETED", "entity is deleted".into(), vec![]),
                },
                None => {
                    return failed(
                        "MISSING_ARGUMENT",
                        "Id not specified in an update call".into(),
                        vec![],
                    );
                }
            },
            Save::Upsert(f) => {
                let Some(key) = body.get(f).and_then(Value::as_str).map(str::to_lowercase) else {
                    return failed("MISSING_ARGUMENT", format!("{f} not specified"), vec![f]);
                };
                let hits = coll.query(|r| {
                    r.value.get(f).and_then(Value::as_str).map(str::to_lowercase)
                        == Some(key.clone())
                });
                if hits.len() > 1 {
                    return failed(
                        "DUPLICATE_EXTERNAL_ID",
                        format!("{f}: more than one record found for external id field: {key}"),
                        vec![f],
                    );
                }
                hits.into_iter().next()
            }
        };
        match existing {
            Some(r) => {
                body.remove("Id");
                match coll.update(&r.id, &Value::Object(body)) {
                    Ok(r) => self.saved(&r.id, false, how),
                    Err(e) => failed("UNKNOWN_EXCEPTION", e.to_string(), vec![]),
                }
            }
            None => {
                for (object_name, required) in
                    [("Product2", "Name"), ("Account", "Name"), ("Contact", "LastName")]
                {
                    if object == object_name
                        && body
                            .get(required)
                            .and_then(Value::as_str)
                            .is_none_or(|n| n.trim().is_empty())
                    {
                        return failed(
                            "REQUIRED_FIELD_MISSING",
                            format!("Required fields are missing: [{required}]"),
                            vec![required],
                        );
                    }
                }
                if def.custom
                    && body.get("Name").and_then(Value::as_str).is_none_or(|n| n.trim().is_empty())
                {
                    // An auto-number name: the record's number.
                    body.insert("Name".into(), json!(format!("{}-{:06}", object, coll.len() + 1)));
                }
                match coll.insert(Value::Object(body)) {
                    Ok(r) => self.saved(&r.id, true, how),
                    Err(e) => failed("UNKNOWN_EXCEPTION", e.to_string(), vec![]),
                }
            }
        }
    }

    /// A save result; `created` only in upsert results (as Salesforce answers).
    fn saved(&self, id: &str, created: bool, how: Save<'_>) -> Value {
        match how {
            Save::Upsert(_) => json!({"id": id, "success": true, "errors": [], "created": created}),
            _ => json!({"id": id, "success": true, "errors": []}),
        }
    }

    pub(super) fn collections(&self, req: &SimRequest, rest: &str) -> SimResponse {
        let Ok(body) = req.json_value() else {
            return errors(400, "JSON_PARSER_ERROR", "the body is not JSON");
        };
        let Some(records) = body.get("records").and_then(Value::as_array) else {
            return errors(400, "INVALID_FIELD", "records is missing");
        };
        if records.len() > 200 {
            return errors(
                400,
                "EXCEEDED_ID_LIMIT",
                "record limit reached. cannot submit more than 200 records into this call",
            );
        }
        let mut parts: Vec<String> =
            rest.split('/').filter(|p| !p.is_empty()).map(str::to_owned).collect();
        if let [object, field] = parts.as_mut_slice() {
            let found = self.def(object).and_then(|d| d.field(field).cloned());
            if let Some(f) = &found {
                *field = f.name.clone();
            }
            if !found.is_some_and(|f| f.external_id) {
                return errors(
                    400,
                    "INVALID_FIELD",
                    &format!(
                        "Field name provided, {field} is not an External ID or indexed field for {object}"
                    ),
                );
            }
        }
        let results: Vec<Value> = records
            .iter()
            .map(|r| {
                let Some(m) = r.as_object() else {
                    return failed("INVALID_FIELD", "not an object".into(), vec![]);
                };
                let typed = m.get("attributes").and_then(|a| a.get("type")).and_then(Value::as_str);
                let object = parts.first().map(String::as_str).or(typed).unwrap_or_default();
                let how = match (&req.method, parts.get(1)) {
                    (&Method::PATCH, Some(field)) => Save::Upsert(field),
                    (&Method::PATCH, None) => Save::Update,
                    _ => Save::Create,
                };
                self.save(object, m, how)
            })
            .collect();
        SimResponse::json(200, Value::Array(results))
    }
}
