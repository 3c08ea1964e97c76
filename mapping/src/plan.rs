//! [`MappingPlan`]: a mapping compiled once and applied to many records. Paths are segment
//! vectors, regexes are compiled, value maps are hash maps; a record costs a handful of
//! small allocations for the values it writes.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate};
use connector_core::EntityKind;
use serde_json::{Map, Value};

use crate::coverage::{CoverageReport, Miss};
use crate::error::{FailureKind, FieldFailure, RecordFailure};
use crate::functions::Hook;
use crate::path::{self, Path};
use crate::rules::R;
use crate::spec::CopyMode;
use crate::transform::{Ctx, T};
use crate::value::{V, money_json};
use crate::value_map::ValueMap;

/// What applying a mapping to one record gave.
#[derive(Debug, Clone, PartialEq)]
pub enum Applied {
    /// The target record.
    Record(Value),
    /// The record is dropped on purpose, for this reason.
    Skip(String),
}

/// A compiled mapping for one entity pair.
pub struct MappingPlan {
    pub(crate) name: String,
    pub(crate) source: EntityKind,
    pub(crate) target: EntityKind,
    pub(crate) enabled: bool,
    pub(crate) copy: CopyMode,
    pub(crate) skips: Vec<Skip>,
    pub(crate) rules: Vec<Rule>,
    pub(crate) each: Vec<Each>,
    pub(crate) create_only: Vec<Path>,
    pub(crate) update_keep: Option<Vec<String>>,
    pub(crate) maps: Vec<Arc<ValueMap>>,
    pub(crate) hooks: Vec<(String, Hook)>,
    /// The order to run the rules in when applying in place, if there is one (see
    /// `in_place`).
    pub(crate) in_place: Option<Vec<crate::in_place::Step>>,
    /// The plan on the entity's structs, when it has only fields the typed lane knows (see
    /// `typed`).
    pub(crate) typed: Option<crate::typed::Typed>,
}

impl fmt::Debug for MappingPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MappingPlan")
            .field("name", &self.name)
            .field("source", &self.source)
            .field("target", &self.target)
            .field("enabled", &self.enabled)
            .field("copy", &self.copy)
            .field("rules", &self.rules.len())
            .field("each", &self.each.len())
            .field(
                "create_only",
                &self.create_only.iter().map(|p| p.text.as_str()).collect::<Vec<_>>(),
            )
            .field("maps", &self.maps.iter().map(|m| m.name()).collect::<Vec<_>>())
            .finish()
    }
}

/// A compiled skip rule.
#[derive(Debug)]
pub(crate) struct Skip {
    pub when: Cond,
    pub reason: String,
}

/// A skip condition on paths (or, in the typed lane, on the fields they name).
#[derive(Debug)]
pub(crate) enum Cond<P = Path> {
    AllEmpty(Vec<P>),
    AnyEmpty(Vec<P>),
    OneOf(P, Vec<String>),
    NotOneOf(P, Vec<String>),
}

impl Cond {
    pub(crate) fn holds(&self, src: &Value) -> bool {
        self.holds_by(|p| V::from_json(path::get(src, &p.segs)))
    }
}

impl<P> Cond<P> {
    /// Whether the condition holds, with `read` giving the value at each of its places.
    pub(crate) fn holds_by<'a>(&'a self, read: impl Fn(&'a P) -> V<'a>) -> bool {
        let empty = |p: &'a P| read(p).is_empty();
        let text_in = |p: &'a P, values: &[String]| {
            let v = read(p);
            v.text().is_some_and(|t| values.iter().any(|x| x == &*t))
        };
        match self {
            Cond::AllEmpty(places) => places.iter().all(empty),
            Cond::AnyEmpty(places) => places.iter().any(empty),
            Cond::OneOf(p, values) => text_in(p, values),
            Cond::NotOneOf(p, values) => !text_in(p, values),
        }
    }

    /// The same condition on other places; `None` when `f` cannot place one of them.
    pub(crate) fn try_map<Q>(&self, f: impl Fn(&P) -> Option<Q>) -> Option<Cond<Q>> {
        Some(match self {
            Cond::AllEmpty(ps) => Cond::AllEmpty(ps.iter().map(&f).collect::<Option<_>>()?),
            Cond::AnyEmpty(ps) => Cond::AnyEmpty(ps.iter().map(&f).collect::<Option<_>>()?),
            Cond::OneOf(p, values) => Cond::OneOf(f(p)?, values.clone()),
            Cond::NotOneOf(p, values) => Cond::NotOneOf(f(p)?, values.clone()),
        })
    }
}

/// Where a rule's value comes from.
#[derive(Debug)]
pub(crate) enum In {
    Path(Path),
    Paths(Vec<Path>),
    Const(V<'static>),
}

/// How a value is written into its target field.
#[derive(Debug)]
pub(crate) enum Out {
    Any,
    Text,
    Decimal,
    Int,
    Bool,
    Date,
    DateTime,
    Currency,
    Enum(&'static [&'static str]),
    Money(Option<CurrencySrc>),
    CustomField,
}

#[derive(Debug)]
pub(crate) enum CurrencySrc {
    Code(String),
    From(Path),
}

/// A compiled field rule.
#[derive(Debug)]
pub(crate) struct Rule {
    pub target: Path,
    pub input: In,
    pub transforms: Vec<T>,
    pub default: Option<V<'static>>,
    pub rules: Vec<R>,
    pub keep_empty: bool,
    pub out: Out,
    /// The target JSON of the default, when it is the same for every record (see
    /// [`Rule::with_default_json`]).
    pub default_json: Option<Value>,
}

/// A rule's final value.
pub(crate) enum Final<'a> {
    /// The value to write.
    Value(V<'a>),
    /// The default's target JSON, built when the plan was.
    Default(&'a Value),
    /// Nothing (missing, or blank text): the target is removed, or set empty with
    /// `keep_empty`.
    Empty,
}

/// Compiled per-element rules.
#[derive(Debug)]
pub(crate) struct Each {
    pub source: Path,
    pub target: Path,
    pub copy: CopyMode,
    pub rules: Vec<Rule>,
}

/// The name of a field in an error: `name`, or `lines[2].sku` inside per-line rules.
#[derive(Clone, Copy)]
pub(crate) struct Prefix<'p>(pub(crate) Option<(&'p str, usize)>);

impl Prefix<'_> {
    fn name(&self, target: &Path) -> String {
        match self.0 {
            None => target.text.clone(),
            Some((list, i)) => format!("{list}[{i}].{}", target.text),
        }
    }
}

impl Out {
    /// Turns a value into the target field's JSON.
    pub(crate) fn convert<'a>(&self, v: &V<'a>, ctx: &Ctx<'a>) -> Result<Value, String> {
        let text = |v: &V<'_>| -> Result<String, String> {
            v.text()
                .map(Cow::into_owned)
                .ok_or_else(|| format!("expected text, got {}", v.kind_name()))
        };
        Ok(match self {
            Out::Any => v.clone().into_json(),
            Out::Text => match v {
                V::Text(s) => Value::String(s.to_string()),
                other => Value::String(text(other)?),
            },
            Out::Decimal => Value::String(v.decimal()?.to_string()),
            Out::Int => {
                let d = v.decimal()?;
                if !d.fract().is_zero() {
                    return Err(format!("{d} is not a whole number"));
                }
                let n: i64 = d.trunc().try_into().map_err(|_| format!("{d} is out of range"))?;
                Value::Number(n.into())
            }
            Out::Bool => match v {
                V::Bool(b) => Value::Bool(*b),
                other => match text(other)?.trim().to_ascii_lowercase().as_str() {
                    "true" | "yes" | "y" | "1" => Value::Bool(true),
                    "false" | "no" | "n" | "0" => Value::Bool(false),
                    t => return Err(format!("{t:?} is not a boolean")),
                },
            },
            Out::Date => match v {
                V::Date(d) => Value::String(d.format("%Y-%m-%d").to_string()),
                other => {
                    let t = text(other)?;
                    NaiveDate::parse_from_str(t.trim(), "%Y-%m-%d").map_err(|_| {
                        format!("{t:?} is not an ISO date (add a `date` transform)")
                    })?;
                    Value::String(t.trim().to_string())
                }
            },
            Out::DateTime => {
                let t = text(v)?;
                DateTime::parse_from_rfc3339(t.trim())
                    .map_err(|_| format!("{t:?} is not an RFC 3339 date-time"))?;
                Value::String(t.trim().to_string())
            }
            Out::Currency => {
                let t = text(v)?;
                let t = t.trim();
                if t.len() != 3 || !t.bytes().all(|b| b.is_ascii_alphabetic()) {
                    return Err(format!("{t:?} is not a three-letter currency code"));
                }
                Value::String(t.to_ascii_uppercase())
            }
            Out::Enum(allowed) => {
                let t = text(v)?;
                if !allowed.contains(&t.as_str()) {
                    return Err(format!("{t:?} is not one of {}", allowed.join(", ")));
                }
                Value::String(t)
            }
            Out::Money(currency) => {
                if let Some((a, c)) = v.money() {
                    return Ok(money_json(a, &c));
                }
                let amount = v.decimal()?;
                let code = match currency {
                    Some(CurrencySrc::Code(c)) => Cow::Borrowed(c.as_str()),
                    Some(CurrencySrc::From(p)) => match ctx.read(p).text() {
                        Some(c) => Cow::Owned(c.into_owned()),
                        None => return Err(format!("no currency at `{p}`")),
                    },
                    None => return Err("a plain number needs `currency` to become Money".into()),
                };
                money_json(amount, &code)
            }
            Out::CustomField => {
                let (ty, value) = match v {
                    V::Text(s) => ("text", Value::String(s.to_string())),
                    V::Dec(d) => ("number", Value::String(d.to_string())),
                    V::Bool(b) => ("bool", Value::Bool(*b)),
                    V::Date(d) => ("date", Value::String(d.format("%Y-%m-%d").to_string())),
                    V::Json(j) => match &**j {
                        Value::Number(n) => ("number", Value::String(n.as_str().to_string())),
                        other => ("json", other.clone()),
                    },
                    other => ("json", other.clone().into_json()),
                };
                let mut inner = Map::new();
                inner.insert("type".into(), Value::String(ty.into()));
                inner.insert("value".into(), value);
                let mut field = Map::new();
                field.insert("value".into(), Value::Object(inner));
                Value::Object(field)
            }
        })
    }

    /// The value `keep_empty` writes for an empty result.
    pub(crate) fn empty(&self) -> Value {
        match self {
            Out::Text | Out::Any => Value::String(String::new()),
            _ => Value::Null,
        }
    }
}

impl Rule {
    /// Builds the default's target JSON once, when every record would get the same: the
    /// default passes the rule's validations (none of them custom code) and its conversion
    /// reads nothing from the record.
    pub(crate) fn with_default_json(mut self) -> Rule {
        static NOTHING: Value = Value::Null;
        let Some(default) = &self.default else { return self };
        let v = default.view();
        let fixed = !v.is_empty()
            && !matches!(self.out, Out::Money(Some(CurrencySrc::From(_))))
            && self.rules.iter().all(|r| !matches!(r, R::Custom(..)) && r.check(&v).is_ok());
        if fixed {
            let ctx = Ctx::new(&NOTHING, &NOTHING);
            self.default_json = self.out.convert(&v, &ctx).ok();
        }
        self
    }

    /// Reads, transforms, defaults and validates the rule's value; `None` when the rule
    /// failed (the failures are pushed).
    pub(crate) fn value<'a>(
        &'a self,
        ctx: &Ctx<'a>,
        prefix: Prefix<'_>,
        failures: &mut Vec<FieldFailure>,
    ) -> Option<Final<'a>> {
        let v = match &self.input {
            In::Path(p) => ctx.read(p),
            In::Paths(ps) => V::List(ps.iter().map(|p| ctx.read(p)).collect()),
            In::Const(c) => c.view(),
        };
        self.finish(v, ctx, prefix, failures)
    }

    /// [`Rule::value`] from the input value already read.
    pub(crate) fn finish<'a>(
        &'a self,
        mut v: V<'a>,
        ctx: &Ctx<'a>,
        prefix: Prefix<'_>,
        failures: &mut Vec<FieldFailure>,
    ) -> Option<Final<'a>> {
        let mut rest = &self.transforms[..];
        if let V::Text(Cow::Owned(s)) = &mut v {
            let ran;
            (ran, rest) = self.text_ops(s);
            if ran && s.is_empty() {
                v = V::Absent;
            }
        }
        for t in rest {
            match t.apply(v, ctx) {
                Ok(x) => v = x,
                Err(r) => {
                    failures.push(FieldFailure {
                        field: prefix.name(&self.target),
                        rule: r.rule,
                        value: r.value,
                        message: r.message,
                        kind: r.kind,
                    });
                    return None;
                }
            }
        }
        let mut empty = v.is_empty();
        if empty {
            if let Some(json) = &self.default_json {
                return Some(Final::Default(json));
            }
            if let Some(d) = &self.default {
                v = d.view();
                empty = v.is_empty();
            }
        }
        if !self.rules.is_empty() && !self.validate(&v, empty, prefix, failures) {
            return None;
        }
        Some(if empty { Final::Empty } else { Final::Value(v) })
    }

    /// The leading text transforms on text the rule owns, one after another on the same
    /// buffer; whether any ran, and the transforms left. Text a transform made empty is
    /// nothing (as `text_op` has it), and the transforms after it would pass it on as it is;
    /// text that was empty to begin with stays text for the transforms after these.
    #[inline]
    pub(crate) fn text_ops(&self, s: &mut String) -> (bool, &[T]) {
        let mut rest = &self.transforms[..];
        let ran = rest.first().is_some_and(T::is_text_op);
        while let Some((t, more)) = rest.split_first() {
            if !t.is_text_op() {
                break;
            }
            *s = t.on_text(Cow::Owned(std::mem::take(s))).into_owned();
            rest = more;
            if s.is_empty() {
                break;
            }
        }
        (ran, rest)
    }

    /// Checks the rule's validations on its final value; `false` when one fails (the
    /// failures are pushed).
    pub(crate) fn validate(
        &self,
        v: &V<'_>,
        empty: bool,
        prefix: Prefix<'_>,
        failures: &mut Vec<FieldFailure>,
    ) -> bool {
        let mut ok = true;
        for r in &self.rules {
            if let Err(message) = r.check_value(v, empty) {
                failures.push(FieldFailure {
                    field: prefix.name(&self.target),
                    rule: r.name(),
                    value: v.describe(),
                    message,
                    kind: FailureKind::Invalid,
                });
                ok = false;
            }
        }
        ok
    }

    /// The failure of a value that does not convert to the target field's type.
    pub(crate) fn type_failure(
        &self,
        v: &V<'_>,
        prefix: Prefix<'_>,
        message: String,
    ) -> FieldFailure {
        FieldFailure {
            field: prefix.name(&self.target),
            rule: "type".into(),
            value: v.describe(),
            message,
            kind: FailureKind::Invalid,
        }
    }

    fn apply<'a>(
        &'a self,
        ctx: &Ctx<'a>,
        out: &mut Value,
        prefix: Prefix<'_>,
        failures: &mut Vec<FieldFailure>,
    ) {
        let v = match self.value(ctx, prefix, failures) {
            None => return,
            Some(Final::Default(json)) => return path::set(out, &self.target.segs, json.clone()),
            Some(Final::Empty) if self.keep_empty => {
                return path::set(out, &self.target.segs, self.out.empty());
            }
            // Never overwrite with empty: the field is absent, so a sparse update leaves the
            // target's value alone.
            Some(Final::Empty) => return path::remove(out, &self.target.segs),
            Some(Final::Value(v)) => v,
        };
        if let (Out::Text, V::Text(_)) = (&self.out, &v) {
            let V::Text(s) = v else { unreachable!("matched above") };
            path::set(out, &self.target.segs, Value::String(s.into_owned()));
            return;
        }
        match self.out.convert(&v, ctx) {
            Ok(json) => path::set(out, &self.target.segs, json),
            Err(message) => failures.push(self.type_failure(&v, prefix, message)),
        }
    }
}

fn start(src: &Value, copy: CopyMode, record: bool) -> Value {
    match copy {
        CopyMode::Source => src.clone(),
        CopyMode::Empty => {
            let mut m = Map::new();
            if record {
                if let Some(meta) = src.get("meta").and_then(Value::as_object) {
                    let mut keep = Map::new();
                    for k in ["refs", "lifecycle", "created_at", "updated_at"] {
                        if let Some(v) = meta.get(k) {
                            keep.insert(k.into(), v.clone());
                        }
                    }
                    m.insert("meta".into(), Value::Object(keep));
                }
            }
            Value::Object(m)
        }
    }
}

impl MappingPlan {
    /// The mapping's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The entity it reads.
    pub fn source(&self) -> EntityKind {
        self.source
    }

    /// The entity it writes.
    pub fn target(&self) -> EntityKind {
        self.target
    }

    /// Whether the mapping lets records through (see `enabled`).
    pub fn is_enabled(&self) -> bool {
        self.enabled
    }

    /// How many field rules it has (per-line rules included).
    pub fn rule_count(&self) -> usize {
        self.rules.len() + self.each.iter().map(|e| e.rules.len()).sum::<usize>()
    }

    /// The create-only target fields.
    pub fn create_only_fields(&self) -> Vec<&str> {
        self.create_only.iter().map(|p| p.text.as_str()).collect()
    }

    /// Adds a hook that runs on every record after the rules: custom Rust code with the
    /// source and the target being built. Its failure fails the record like a rule's.
    pub fn with_hook(
        mut self,
        name: impl Into<String>,
        hook: impl Fn(&Value, &mut Value) -> Result<(), FieldFailure> + Send + Sync + 'static,
    ) -> Self {
        self.hooks.push((name.into(), Arc::new(hook)));
        // Hooks work on the record's JSON.
        self.typed = None;
        self
    }

    /// Applies the mapping to a source record's JSON (its canonical serde form).
    pub fn apply(&self, source: &Value) -> Result<Applied, RecordFailure> {
        if !self.enabled {
            return Ok(Applied::Skip(format!(
                "mapping `{}` is switched off (enabled = false)",
                self.name
            )));
        }
        for s in &self.skips {
            if s.when.holds(source) {
                return Ok(Applied::Skip(s.reason.clone()));
            }
        }
        let mut out = start(source, self.copy, true);
        let mut failures = Vec::new();
        let ctx = Ctx::new(source, source);
        for r in &self.rules {
            r.apply(&ctx, &mut out, Prefix(None), &mut failures);
        }
        for e in &self.each {
            let Some(Value::Array(items)) = path::get(source, &e.source.segs) else {
                if e.copy == CopyMode::Empty || e.source.segs != e.target.segs {
                    path::remove(&mut out, &e.target.segs);
                }
                continue;
            };
            let mut built = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let mut el = start(item, e.copy, false);
                let ctx = Ctx::new(source, item);
                for r in &e.rules {
                    r.apply(&ctx, &mut el, Prefix(Some((&e.target.text, i))), &mut failures);
                }
                built.push(el);
            }
            path::set(&mut out, &e.target.segs, Value::Array(built));
        }
        for (name, hook) in &self.hooks {
            if let Err(mut f) = hook(source, &mut out) {
                if f.rule.is_empty() {
                    f.rule = name.clone();
                }
                failures.push(f);
            }
        }
        if failures.is_empty() { Ok(Applied::Record(out)) } else { Err(RecordFailure { failures }) }
    }

    /// Maps a typed record into another typed record (`Order` → `Invoice`). A skip comes
    /// back as `Ok(None)`.
    pub fn apply_typed<S, T>(&self, source: &S) -> Result<Option<T>, connector_core::Error>
    where
        S: connector_core::Entity,
        T: connector_core::Entity,
    {
        let key = source.key().map(Cow::into_owned).unwrap_or_default();
        let value = serde_json::to_value(source)?;
        match self.apply(&value) {
            Ok(Applied::Record(v)) => serde_json::from_value(v).map(Some).map_err(|e| {
                connector_core::Error::invalid_field(
                    T::KIND.as_str(),
                    format!("the mapped record does not fit: {e}"),
                )
                .with_record(key)
            }),
            Ok(Applied::Skip(_)) => Ok(None),
            Err(f) => Err(f.to_error(&key)),
        }
    }

    /// Removes what an update must not send from a mapped record's JSON: create-only fields,
    /// and with `update_fields` every other optional top-level field.
    pub fn strip_for_update(&self, record: &mut Value) {
        for p in &self.create_only {
            path::remove(record, &p.segs);
        }
        if let (Some(keep), Value::Object(m)) = (&self.update_keep, record) {
            m.retain(|k, _| keep.iter().any(|x| x == k));
        }
    }

    /// Whether updates need [`MappingPlan::strip_for_update`].
    pub fn strips_updates(&self) -> bool {
        !self.create_only.is_empty() || self.update_keep.is_some()
    }

    /// Value maps without an entry for some looked-up value, and how often, since the plan
    /// was built or last reset. Maps shared by several plans of one document share counts.
    pub fn coverage(&self) -> CoverageReport {
        let mut misses = Vec::new();
        let mut lookups = Vec::new();
        for m in &self.maps {
            lookups.push((m.name().to_string(), m.counters.lookups()));
            for (value, count) in m.counters.misses() {
                misses.push(Miss {
                    map: m.name().to_string(),
                    value,
                    count,
                    policy: m.unmapped().describe(),
                });
            }
        }
        misses.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then_with(|| a.map.cmp(&b.map))
                .then_with(|| a.value.cmp(&b.value))
        });
        CoverageReport { entity: self.source.as_str().to_string(), lookups, misses }
    }

    /// Sets every coverage counter back to zero.
    pub fn reset_coverage(&self) {
        for m in &self.maps {
            m.counters.reset();
        }
    }
}

/// Load-time check of a literal against its target: the run-time conversion, result dropped.
pub(crate) fn check_out(out: &Out, v: &V<'_>, ctx: &Ctx<'_>) -> Result<(), String> {
    out.convert(v, ctx).map(|_| ())
}
