//! Loading a description: the JSON as written, then every name resolved and checked.

use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::types::{ApiSpec, Kind, Operation, Schema, Segment, SpecError, TypeRef};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSpec {
    api: String,
    #[serde(default)]
    base_path: String,
    #[serde(default)]
    sources: BTreeMap<String, String>,
    operations: Vec<RawOperation>,
    #[serde(default)]
    schemas: BTreeMap<String, RawSchema>,
    #[serde(default)]
    enums: BTreeMap<String, RawEnum>,
}

#[derive(Deserialize)]
struct RawOperation {
    method: String,
    path: String,
    source: String,
    #[serde(default)]
    path_params: BTreeMap<String, Value>,
    #[serde(default)]
    query: BTreeMap<String, Value>,
    #[serde(default)]
    required_query: Vec<String>,
    #[serde(default)]
    headers: BTreeMap<String, Value>,
    #[serde(default)]
    required_headers: Vec<String>,
    #[serde(default)]
    body: Option<Value>,
    #[serde(default)]
    body_optional: bool,
    #[serde(default)]
    form: Option<BTreeMap<String, Value>>,
    #[serde(default)]
    required_form: Vec<String>,
    responses: BTreeMap<String, Value>,
    #[serde(default)]
    #[allow(dead_code)]
    note: Option<String>,
    /// `x-…` extensions (anything else is refused at load time).
    #[serde(flatten)]
    extra: Map<String, Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSchema {
    #[allow(dead_code)]
    source: Option<String>,
    #[serde(default)]
    extends: Option<String>,
    #[serde(default)]
    required: Option<Vec<String>>,
    #[serde(default)]
    required_one_of: Option<Vec<Vec<String>>>,
    #[serde(default)]
    fields: BTreeMap<String, Value>,
    #[serde(default)]
    additional_fields: Option<bool>,
    #[serde(default)]
    #[allow(dead_code)]
    note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEnum {
    #[allow(dead_code)]
    source: Option<String>,
    /// Strings, or integers (a code list such as OData's status numbers).
    values: Vec<serde_json::Value>,
    #[serde(default)]
    #[allow(dead_code)]
    note: Option<String>,
}

fn err(message: impl Into<String>) -> SpecError {
    SpecError(message.into())
}

impl ApiSpec {
    /// Loads a description (the format is in the [module docs](super)). Every type name must
    /// resolve, every `source` tag must be listed in `sources`, and every `required` name must
    /// be a field: a mistake in the description fails here, not in a test far away.
    pub fn from_json(text: &str) -> Result<Self, SpecError> {
        let raw: RawSpec = serde_json::from_str(text).map_err(|e| err(e.to_string()))?;
        let names = Names { schemas: &raw.schemas, enums: &raw.enums };
        let known_source = |what: &str, source: Option<&str>| -> Result<(), SpecError> {
            let tag = source.and_then(|s| s.split_whitespace().next()).unwrap_or_default();
            if raw.sources.is_empty() || raw.sources.contains_key(tag) {
                Ok(())
            } else {
                Err(err(format!("{what}: source `{tag}` is not listed in `sources`")))
            }
        };
        let mut schemas = HashMap::new();
        for (name, s) in &raw.schemas {
            known_source(&format!("schema {name}"), s.source.as_deref())?;
            schemas.insert(name.clone(), resolve_schema(name, &raw.schemas, &names, 0)?);
        }
        let mut enums = HashMap::new();
        let mut numeric_enums = std::collections::HashSet::new();
        for (name, e) in &raw.enums {
            known_source(&format!("enum {name}"), e.source.as_deref())?;
            if e.values.is_empty() {
                return Err(err(format!("enum {name} has no values")));
            }
            let numeric = e.values.iter().all(|v| v.as_i64().is_some());
            let texts: Vec<String> = e
                .values
                .iter()
                .map(|v| match v {
                    serde_json::Value::String(s) if !numeric => Ok(s.clone()),
                    serde_json::Value::Number(n) if numeric => Ok(n.to_string()),
                    other => Err(err(format!(
                        "enum {name}: {other} (values are all strings or all integers)"
                    ))),
                })
                .collect::<Result<_, _>>()?;
            if numeric {
                numeric_enums.insert(name.clone());
            }
            enums.insert(name.clone(), texts);
        }
        let mut operations = Vec::with_capacity(raw.operations.len());
        for op in raw.operations {
            let what = format!("{} {}", op.method, op.path);
            known_source(&what, Some(&op.source))?;
            operations.push(operation(op, &names).map_err(|e| err(format!("{what}: {}", e.0)))?);
        }
        let base_path = raw.base_path.trim_end_matches('/').to_owned();
        Ok(ApiSpec { api: raw.api, base_path, operations, schemas, enums, numeric_enums })
    }
}

struct Names<'a> {
    schemas: &'a BTreeMap<String, RawSchema>,
    enums: &'a BTreeMap<String, RawEnum>,
}

fn operation(op: RawOperation, names: &Names<'_>) -> Result<Operation, SpecError> {
    if let Some(key) = op.extra.keys().find(|k| !k.starts_with("x-")) {
        return Err(err(format!("unknown key `{key}` (extensions start with `x-`)")));
    }
    let segments: Vec<Segment> = op
        .path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| match (s.find('{'), s.rfind('}')) {
            (Some(0), Some(end)) if end == s.len() - 1 => Segment::Param(s[1..end].to_owned()),
            (Some(start), Some(end)) if start < end => Segment::Pattern {
                prefix: s[..start].to_owned(),
                name: s[start + 1..end].to_owned(),
                suffix: s[end + 1..].to_owned(),
            },
            _ => Segment::Literal(s.to_owned()),
        })
        .collect();
    let params = |raw: BTreeMap<String, Value>, lower: bool| {
        raw.into_iter()
            .map(|(k, t)| {
                let key = if lower { k.to_ascii_lowercase() } else { k };
                Ok((key, type_ref(&t, names)?))
            })
            .collect::<Result<BTreeMap<_, _>, SpecError>>()
    };
    let path_params = params(op.path_params, false)?;
    for name in path_params.keys() {
        let in_path = segments.iter().any(|s| match s {
            Segment::Param(n) | Segment::Pattern { name: n, .. } => n == name,
            Segment::Literal(_) => false,
        });
        if !in_path {
            return Err(err(format!("path parameter `{name}` is not in the path")));
        }
    }
    let query = params(op.query, false)?;
    let headers = params(op.headers, true)?;
    let form = op.form.map(|f| params(f, false)).transpose()?;
    let required = |list: &[String], within: &BTreeMap<String, TypeRef>, what: &str| match list
        .iter()
        .find(|n| !within.contains_key(n.as_str()))
    {
        Some(n) => Err(err(format!("required {what} `{n}` is not described"))),
        None => Ok(()),
    };
    required(&op.required_query, &query, "query parameter")?;
    let required_headers: Vec<String> =
        op.required_headers.iter().map(|h| h.to_ascii_lowercase()).collect();
    required(&required_headers, &headers, "header")?;
    required(&op.required_form, form.as_ref().unwrap_or(&BTreeMap::new()), "form field")?;
    if op.body.is_some() && form.is_some() {
        return Err(err("an operation takes a JSON body or a form, not both"));
    }
    if op.responses.is_empty() {
        return Err(err("no responses described"));
    }
    let mut responses = BTreeMap::new();
    for (status, t) in op.responses {
        if status != "default" && status.parse::<u16>().is_err() {
            return Err(err(format!("response `{status}` is not a status or `default`")));
        }
        let t = if t.is_null() { None } else { Some(type_ref(&t, names)?) };
        responses.insert(status, t);
    }
    Ok(Operation {
        method: op.method.to_ascii_uppercase(),
        path: op.path,
        segments,
        source: op.source,
        path_params,
        query,
        required_query: op.required_query,
        headers,
        required_headers,
        body: op.body.as_ref().map(|t| type_ref(t, names)).transpose()?,
        body_optional: op.body_optional,
        form,
        required_form: op.required_form,
        responses,
        extensions: op.extra,
    })
}

/// A schema with its `extends` chain flattened.
fn resolve_schema(
    name: &str,
    all: &BTreeMap<String, RawSchema>,
    names: &Names<'_>,
    depth: usize,
) -> Result<Schema, SpecError> {
    if depth > 16 {
        return Err(err(format!("schema {name}: `extends` goes round in a circle")));
    }
    let raw = all.get(name).ok_or_else(|| err(format!("no schema {name}")))?;
    let mut schema = match &raw.extends {
        Some(base) => resolve_schema(base, all, names, depth + 1)
            .map_err(|e| err(format!("schema {name} extends {base}: {}", e.0)))?,
        None => Schema::default(),
    };
    for (field, t) in &raw.fields {
        let t = type_ref(t, names).map_err(|e| err(format!("schema {name}.{field}: {}", e.0)))?;
        schema.fields.insert(field.clone(), t);
    }
    if let Some(required) = &raw.required {
        schema.required.clone_from(required);
    }
    if let Some(groups) = &raw.required_one_of {
        schema.required_one_of.clone_from(groups);
    }
    if let Some(additional) = raw.additional_fields {
        schema.additional_fields = additional;
    }
    let mut named = schema.required.iter().chain(schema.required_one_of.iter().flatten());
    if !schema.additional_fields
        && let Some(missing) = named.find(|r| !schema.fields.contains_key(*r))
    {
        return Err(err(format!("schema {name}: required field `{missing}` is not a field")));
    }
    Ok(schema)
}

/// A type written as a name (`"string"`, `"[Invoice]"`) or as an object with limits.
fn type_ref(raw: &Value, names: &Names<'_>) -> Result<TypeRef, SpecError> {
    let obj = match raw {
        Value::String(name) => return Ok(TypeRef::of(kind(name, names)?)),
        Value::Object(obj) => obj,
        other => return Err(err(format!("`{other}` is not a type"))),
    };
    if let Some(key) = obj.keys().find(|k| {
        !matches!(
            k.as_str(),
            "type" | "min_length" | "max_length" | "min" | "max" | "read_only" | "note"
        )
    }) {
        return Err(err(format!("unknown key `{key}` in a type")));
    }
    let name =
        obj.get("type").and_then(Value::as_str).ok_or_else(|| err("a type without `type`"))?;
    let number = |key: &str| -> Result<Option<Decimal>, SpecError> {
        match obj.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => {
                let text = n.to_string();
                Decimal::from_str(&text)
                    .or_else(|_| Decimal::from_scientific(&text))
                    .map(Some)
                    .map_err(|_| err(format!("`{key}`: `{text}` is not a number")))
            }
            Some(other) => Err(err(format!("`{key}`: `{other}` is not a number"))),
        }
    };
    let length = |key: &str| -> Result<Option<usize>, SpecError> {
        number(key)?
            .map(|n| usize::try_from(n).map_err(|_| err(format!("`{key}` is not a length"))))
            .transpose()
    };
    let (min_length, max_length) = (length("min_length")?, length("max_length")?);
    let read_only = match obj.get("read_only") {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(other) => return Err(err(format!("`read_only`: `{other}` is not true or false"))),
    };
    Ok(TypeRef {
        kind: kind(name, names)?,
        min_length,
        max_length,
        min: number("min")?,
        max: number("max")?,
        read_only,
    })
}

fn kind(name: &str, names: &Names<'_>) -> Result<Kind, SpecError> {
    let name = name.trim();
    if name.contains('|') {
        let kinds = name.split('|').map(|k| kind(k, names).map(TypeRef::of));
        return Ok(Kind::OneOf(kinds.collect::<Result<_, _>>()?));
    }
    if let Some(item) = name.strip_prefix('[').and_then(|n| n.strip_suffix(']')) {
        return Ok(Kind::Array(Box::new(TypeRef::of(kind(item, names)?))));
    }
    if let Some(schema) = name.strip_prefix("fields(").and_then(|n| n.strip_suffix(')')) {
        return match names.schemas.contains_key(schema) {
            true => Ok(Kind::FieldList(schema.to_owned())),
            false => Err(err(format!("unknown schema `{schema}` in `{name}`"))),
        };
    }
    Ok(match name {
        "string" => Kind::String,
        "integer" => Kind::Integer,
        "number" => Kind::Number,
        "boolean" => Kind::Boolean,
        "date" => Kind::Date,
        "date-time" => Kind::DateTime,
        "any" => Kind::Any,
        other if names.schemas.contains_key(other) => Kind::Schema(other.to_owned()),
        other if names.enums.contains_key(other) => Kind::Enum(other.to_owned()),
        other => return Err(err(format!("unknown type `{other}`"))),
    })
}
