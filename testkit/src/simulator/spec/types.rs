//! The loaded description: operations, schemas and enums with every name resolved.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use rust_decimal::Decimal;
use serde_json::{Map, Value};

/// A vendor API's description, loaded and checked for consistency
/// ([`ApiSpec::from_json`]). Cheap to share behind an `Arc`.
#[derive(Debug, Clone)]
pub struct ApiSpec {
    pub(super) api: String,
    pub(super) base_path: String,
    pub(super) operations: Vec<Operation>,
    pub(super) schemas: HashMap<String, Schema>,
    pub(super) enums: HashMap<String, Vec<String>>,
    /// Enums whose values are integers (their texts in `enums`).
    pub(super) numeric_enums: std::collections::HashSet<String>,
}

impl ApiSpec {
    /// The API's name.
    pub fn api(&self) -> &str {
        &self.api
    }

    /// The prefix every path is served under (`/api`).
    pub fn base_path(&self) -> &str {
        &self.base_path
    }

    /// Every operation, in the order of the description.
    pub fn operations(&self) -> &[Operation] {
        &self.operations
    }

    /// The operation serving `method` on `path` (the path as sent, with the base path). A
    /// literal segment beats a `{param}` (`/invoices/groups` before `/invoices/{id}`).
    pub fn operation(&self, method: &str, path: &str) -> Option<&Operation> {
        let rest = self.relative(path)?;
        let segments: Vec<&str> = split(rest).collect();
        self.operations
            .iter()
            .filter(|op| op.method.eq_ignore_ascii_case(method) && op.matches(&segments))
            .max_by_key(|op| op.literal_segments())
    }

    /// Whether any operation serves `path`, whatever its method.
    pub fn knows_path(&self, path: &str) -> bool {
        let Some(rest) = self.relative(path) else { return false };
        let segments: Vec<&str> = split(rest).collect();
        self.operations.iter().any(|op| op.matches(&segments))
    }

    /// The field names of schema `name` (with those of the schema it extends), if the
    /// description has it: what a simulator checks a query language's field list against
    /// (SOQL's `SELECT`).
    pub fn schema_fields(&self, name: &str) -> Option<Vec<&str>> {
        self.schemas.get(name).map(|s| s.fields.keys().map(String::as_str).collect())
    }

    /// Whether schema `name` (with the schema it extends) has `field`: what a simulator
    /// projects a stored record to, field by field.
    pub fn has_field(&self, name: &str, field: &str) -> bool {
        self.schemas.get(name).is_some_and(|s| s.fields.contains_key(field))
    }

    /// The type of a schema's field as the description writes it (`"string"`, `"date-time"`,
    /// `"Account"`, `"[OrderItem]"`, `"A | B"`), if it has the field: what tells a simulator
    /// a relationship (a schema) from a plain field, or gives a describe its field types.
    pub fn field_type(&self, schema: &str, field: &str) -> Option<String> {
        self.schemas.get(schema)?.fields.get(field).map(|t| t.kind.written())
    }

    /// The values of enum `name`, if the description has it.
    pub fn enum_values(&self, name: &str) -> Option<&[String]> {
        self.enums.get(name).map(Vec::as_slice)
    }

    /// The path after the base path, or `None` when it is not under it.
    fn relative<'a>(&self, path: &'a str) -> Option<&'a str> {
        let rest = path.strip_prefix(self.base_path.as_str())?;
        (rest.is_empty() || rest.starts_with('/') || self.base_path.ends_with('/')).then_some(rest)
    }
}

fn split(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter(|s| !s.is_empty())
}

/// One operation: a method on a path template, its parameters, body and responses.
#[derive(Debug, Clone)]
pub struct Operation {
    pub(super) method: String,
    pub(super) path: String,
    pub(super) segments: Vec<Segment>,
    pub(super) source: String,
    pub(super) path_params: BTreeMap<String, TypeRef>,
    pub(super) query: BTreeMap<String, TypeRef>,
    pub(super) required_query: Vec<String>,
    /// Header names in lower case.
    pub(super) headers: BTreeMap<String, TypeRef>,
    pub(super) required_headers: Vec<String>,
    pub(super) body: Option<TypeRef>,
    /// Whether the body may be left out.
    pub(super) body_optional: bool,
    pub(super) form: Option<BTreeMap<String, TypeRef>>,
    pub(super) required_form: Vec<String>,
    /// `"200"`, `"default"` → the body's type (`None`: not described).
    pub(super) responses: BTreeMap<String, Option<TypeRef>>,
    pub(super) extensions: Map<String, Value>,
}

impl Operation {
    /// The method (`GET`).
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The path template, relative to the base path (`/businesspartners/{id}`).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Where in the vendor's documents this operation was read.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// `METHOD /path`.
    pub fn name(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    /// Whether the operation takes query parameter `name`.
    pub fn takes_query(&self, name: &str) -> bool {
        self.query.contains_key(name)
    }

    /// Whether the operation takes header parameter `name`.
    pub fn takes_header(&self, name: &str) -> bool {
        self.headers.contains_key(&name.to_ascii_lowercase())
    }

    /// A connector's own extension (`"x-filter-fields"`), if the description has it.
    pub fn extension(&self, key: &str) -> Option<&Value> {
        self.extensions.get(key)
    }

    /// The strings of an extension holding a list of strings (empty when absent).
    pub fn extension_strings(&self, key: &str) -> Vec<&str> {
        self.extension(key)
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default()
    }

    /// How specific the template is: whole literal segments count most, then the literal
    /// text around a parameter (`Accounts(guid'{id}')` before `{entity}`).
    fn literal_segments(&self) -> usize {
        self.segments
            .iter()
            .map(|s| match s {
                Segment::Literal(l) => 1_000 + l.len(),
                Segment::Pattern { prefix, suffix, .. } => prefix.len() + suffix.len(),
                Segment::Param(_) => 0,
            })
            .sum()
    }

    fn matches(&self, segments: &[&str]) -> bool {
        self.segments.len() == segments.len()
            && self.segments.iter().zip(segments).all(|(want, got)| match want {
                Segment::Literal(l) => l == got,
                Segment::Param(_) => !got.is_empty(),
                Segment::Pattern { prefix, suffix, .. } => {
                    got.len() > prefix.len() + suffix.len()
                        && got.starts_with(prefix.as_str())
                        && got.ends_with(suffix.as_str())
                }
            })
    }

    /// The path parameters of `path` (relative to the base path), by name.
    pub(super) fn path_values<'a>(&self, relative: &'a str) -> Vec<(&str, &'a str)> {
        self.segments
            .iter()
            .zip(split(relative))
            .filter_map(|(s, v)| match s {
                Segment::Param(name) => Some((name.as_str(), v)),
                Segment::Pattern { prefix, name, suffix } => Some((
                    name.as_str(),
                    v.get(prefix.len()..v.len().saturating_sub(suffix.len()))?,
                )),
                Segment::Literal(_) => None,
            })
            .collect()
    }
}

/// One segment of a path template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Segment {
    Literal(String),
    Param(String),
    /// A parameter inside literal text (OData's `Accounts(guid'{id}')`).
    Pattern {
        prefix: String,
        name: String,
        suffix: String,
    },
}

/// An object's fields and which of them are required.
#[derive(Debug, Clone, Default)]
pub(super) struct Schema {
    pub(super) fields: BTreeMap<String, TypeRef>,
    pub(super) required: Vec<String>,
    /// Groups of fields of which at least one must be present.
    pub(super) required_one_of: Vec<Vec<String>>,
    pub(super) additional_fields: bool,
}

/// A type with its limits.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct TypeRef {
    pub(super) kind: Kind,
    pub(super) min_length: Option<usize>,
    pub(super) max_length: Option<usize>,
    pub(super) min: Option<Decimal>,
    pub(super) max: Option<Decimal>,
    pub(super) read_only: bool,
}

impl TypeRef {
    pub(super) fn of(kind: Kind) -> Self {
        Self { kind, min_length: None, max_length: None, min: None, max: None, read_only: false }
    }
}

/// What a value must be.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Kind {
    String,
    Integer,
    Number,
    Boolean,
    Date,
    DateTime,
    Any,
    Schema(String),
    Enum(String),
    Array(Box<TypeRef>),
    /// Comma-separated names of a schema's fields (OData's `$select`).
    FieldList(String),
    /// Any one of these (`"A | B"`): an answer that comes in two shapes.
    OneOf(Vec<TypeRef>),
}

impl Kind {
    /// The type as the description writes it.
    pub(super) fn written(&self) -> String {
        match self {
            Kind::String => "string".into(),
            Kind::Integer => "integer".into(),
            Kind::Number => "number".into(),
            Kind::Boolean => "boolean".into(),
            Kind::Date => "date".into(),
            Kind::DateTime => "date-time".into(),
            Kind::Any => "any".into(),
            Kind::Schema(n) | Kind::Enum(n) => n.clone(),
            Kind::Array(t) => format!("[{}]", t.kind.written()),
            Kind::FieldList(n) => format!("fields({n})"),
            Kind::OneOf(kinds) => {
                kinds.iter().map(|k| k.kind.written()).collect::<Vec<_>>().join(" | ")
            }
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Kind::String => f.write_str("a string"),
            Kind::Integer => f.write_str("an integer"),
            Kind::Number => f.write_str("a number"),
            Kind::Boolean => f.write_str("a boolean"),
            Kind::Date => f.write_str("a date (YYYY-MM-DD)"),
            Kind::DateTime => f.write_str("a date-time (YYYY-MM-DDTHH:MM:SS)"),
            Kind::Any => f.write_str("any value"),
            Kind::Schema(name) => write!(f, "an object ({name})"),
            Kind::Enum(name) => write!(f, "one of {name}"),
            Kind::Array(item) => write!(f, "a list of {}", item.kind),
            Kind::FieldList(name) => write!(f, "field names of {name}"),
            Kind::OneOf(kinds) => {
                let names: Vec<String> = kinds.iter().map(|k| k.kind.to_string()).collect();
                write!(f, "{}", names.join(" or "))
            }
        }
    }
}

/// A description that cannot be loaded: bad JSON, an unknown type name, an `extends` cycle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecError(pub(super) String);

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "API description: {}", self.0)
    }
}

impl std::error::Error for SpecError {}
