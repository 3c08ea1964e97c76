//! Checks a [`MappingDocument`] against the field catalogue and compiles it into plans,
//! collecting every problem with its file position before any record flows.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;

use regex::Regex;
use rust_decimal::Decimal;

use crate::catalog::{self, Struct, Ty};
use crate::char_class::CharClass;
use crate::error::{LoadError, Location, SourceText};
use crate::functions::Functions;
use crate::path::{Path, Seg};
use crate::plan::{Cond, CurrencySrc, Each, In, MappingPlan, Out, Rule, Skip};
use crate::rules::R;
use crate::spec::*;
use crate::transform::{Ctx, Kind, Rate, T, strategy, tax_factor};
use crate::value::{V, parse_decimal};
use crate::value_map::ValueMap;

pub(crate) struct Compiler<'a> {
    functions: &'a Functions,
    src: Option<&'a SourceText>,
    pub errors: Vec<LoadError>,
    maps: HashMap<String, Arc<ValueMap>>,
}

/// Where a rule sits, for messages of mappings built in Rust.
struct Here<'s> {
    mapping: &'s str,
    what: String,
}

/// The record types a rule's paths are checked against.
#[derive(Clone, Copy)]
struct Scope {
    root_source: &'static Struct,
    source: &'static Struct,
    target: &'static Struct,
    in_each: bool,
}

impl<'a> Compiler<'a> {
    pub fn new(functions: &'a Functions, src: Option<&'a SourceText>) -> Self {
        Self { functions, src, errors: Vec::new(), maps: HashMap::new() }
    }

    fn err(&mut self, span: &Span, fallback: &Here<'_>, message: impl Into<String>) {
        let location = match (self.src, span) {
            (Some(src), Some(s)) => src.locate(s),
            (Some(src), None) => src.locate(&(0..0)),
            (None, _) => {
                Location::Builder(format!("mapping `{}`, {}", fallback.mapping, fallback.what))
            }
        };
        self.errors.push(LoadError { location, message: message.into() });
    }

    /// Compiles every mapping of the document.
    pub fn document(&mut self, doc: &MappingDocument) -> Vec<MappingPlan> {
        for m in &doc.maps {
            let here = Here { mapping: "(value maps)", what: format!("value map `{}`", m.name) };
            if self.maps.contains_key(&m.name) {
                self.err(&m.span, &here, format!("value map `{}` is defined twice", m.name));
                continue;
            }
            self.maps.insert(m.name.clone(), Arc::new(ValueMap::new(m)));
        }
        let mut names: HashMap<String, ()> = HashMap::new();
        let mut plans = Vec::new();
        for m in &doc.mappings {
            let name = m.display_name();
            if names.insert(name.clone(), ()).is_some() {
                let here = Here { mapping: &name, what: "its name".into() };
                self.err(
                    &m.span,
                    &here,
                    format!("two mappings are named `{name}`: give them different `name`s"),
                );
            }
            plans.push(self.mapping(m, &name));
        }
        plans
    }

    fn mapping(&mut self, m: &MappingSpec, name: &str) -> MappingPlan {
        let source = catalog::entity(m.source);
        let target = catalog::entity(m.target);
        let copy =
            m.copy.unwrap_or(if m.source == m.target { CopyMode::Source } else { CopyMode::Empty });
        let scope = Scope { root_source: source, source, target, in_each: false };
        let mut used_maps: Vec<Arc<ValueMap>> = Vec::new();
        let mut rules = Vec::new();
        let mut create_only = Vec::new();
        for (i, f) in m.fields.iter().enumerate() {
            let here = Here { mapping: name, what: format!("field #{} (`{}`)", i + 1, f.target) };
            if let Some(r) = self.field(f, scope, &here, &mut used_maps) {
                if f.create_only {
                    create_only.push(r.target.clone());
                }
                rules.push(r);
            }
        }
        let mut each = Vec::new();
        for (i, e) in m.each.iter().enumerate() {
            let here = Here { mapping: name, what: format!("each #{} (`{}`)", i + 1, e.source) };
            if let Some(x) = self.each(e, source, target, copy, &here, &mut used_maps) {
                each.push(x);
            }
        }
        let mut skips = Vec::new();
        for (i, s) in m.skip.iter().enumerate() {
            let here = Here { mapping: name, what: format!("skip #{}", i + 1) };
            let paths = |c: &mut Self, list: &[String]| -> Vec<Path> {
                list.iter()
                    .filter_map(|p| c.source_path(p, &s.span, scope, &here).map(|(p, _)| p))
                    .collect()
            };
            let when = match &s.when {
                Condition::AllEmpty(l) => Cond::AllEmpty(paths(self, l)),
                Condition::AnyEmpty(l) => Cond::AnyEmpty(paths(self, l)),
                Condition::OneOf { path, values } => {
                    match self.source_path(path, &s.span, scope, &here) {
                        Some((p, _)) => Cond::OneOf(p, values.clone()),
                        None => continue,
                    }
                }
                Condition::NotOneOf { path, values } => {
                    match self.source_path(path, &s.span, scope, &here) {
                        Some((p, _)) => Cond::NotOneOf(p, values.clone()),
                        None => continue,
                    }
                }
            };
            skips.push(Skip { when, reason: s.reason.clone() });
        }
        let update_keep = m.update_fields.as_ref().map(|list| {
            let here = Here { mapping: name, what: "update_fields".into() };
            let mut keep: Vec<String> = vec!["meta".into()];
            keep.extend(target.fields.iter().filter(|f| f.required).map(|f| f.name.to_string()));
            for f in list {
                match target.field(f) {
                    Some(_) => keep.push(f.clone()),
                    None => {
                        let near = catalog::suggest(f, target.fields.iter().map(|x| x.name));
                        self.err(
                            &m.update_fields_span,
                            &here,
                            format!(
                                "update_fields: unknown field `{f}` in {}{}",
                                target.name,
                                near.map(|n| format!("; did you mean `{n}`?")).unwrap_or_default()
                            ),
                        );
                    }
                }
            }
            keep
        });
        let in_place = crate::in_place::order(&rules);
        let mut plan = MappingPlan {
            name: name.to_string(),
            source: m.source,
            target: m.target,
            enabled: m.enabled,
            copy,
            skips,
            rules,
            each,
            create_only,
            update_keep,
            maps: used_maps,
            hooks: Vec::new(),
            in_place,
            typed: None,
        };
        plan.typed = crate::typed::Typed::build(&plan);
        plan
    }

    fn each(
        &mut self,
        e: &EachSpec,
        source: &'static Struct,
        target: &'static Struct,
        copy: CopyMode,
        here: &Here<'_>,
        used_maps: &mut Vec<Arc<ValueMap>>,
    ) -> Option<Each> {
        let list_struct =
            |c: &mut Self, text: &str, root: &'static Struct, span: &Span, side: &str| {
                let p = match Path::parse(text) {
                    Ok(p) => p,
                    Err(m) => {
                        c.err(span, here, format!("each {side}: {m}"));
                        return None;
                    }
                };
                match catalog::resolve(root, &p.segs) {
                    Ok(r) => match r.ty {
                        Ty::List(Ty::Object(st)) => Some((p, *st)),
                        other => {
                            c.err(
                                span,
                                here,
                                format!(
                                    "each {side} `{text}` must be a list of records, not {}",
                                    other.name()
                                ),
                            );
                            None
                        }
                    },
                    Err(m) => {
                        c.err(span, here, format!("each {side}: {m}"));
                        None
                    }
                }
            };
        let s = list_struct(self, &e.source, source, &e.source_span, "source");
        let t = list_struct(self, &e.target, target, &e.target_span, "target");
        let (s, t) = (s?, t?);
        let scope = Scope { root_source: source, source: s.1, target: t.1, in_each: true };
        let mut rules = Vec::new();
        for (i, f) in e.fields.iter().enumerate() {
            let here = Here {
                mapping: here.mapping,
                what: format!("{} field #{} (`{}`)", here.what, i + 1, f.target),
            };
            if f.create_only {
                self.err(
                    &f.spans.create_only,
                    &here,
                    "create_only works on record-level fields, not inside [[each]]",
                );
            }
            if let Some(r) = self.field(f, scope, &here, used_maps) {
                rules.push(r);
            }
        }
        Some(Each { source: s.0, target: t.0, copy: e.copy.unwrap_or(copy), rules })
    }

    /// Parses and checks a source path; its kind.
    fn source_path(
        &mut self,
        text: &str,
        span: &Span,
        scope: Scope,
        here: &Here<'_>,
    ) -> Option<(Path, Kind)> {
        let mut p = match Path::parse(text) {
            Ok(p) => p,
            Err(m) => {
                self.err(span, here, m);
                return None;
            }
        };
        if p.rooted && !scope.in_each {
            p.rooted = false;
        }
        let st = if p.rooted { scope.root_source } else { scope.source };
        match catalog::resolve(st, &p.segs) {
            Ok(r) => {
                if r.custom_field {
                    // `meta.custom.<key>` reads the custom field's value.
                    p.segs.push(Seg::Key("value".into()));
                    p.segs.push(Seg::Key("value".into()));
                }
                Some((p, Kind::of(&r.ty)))
            }
            Err(m) => {
                self.err(span, here, format!("source `{text}`: {m}"));
                None
            }
        }
    }

    fn field(
        &mut self,
        f: &FieldSpec,
        scope: Scope,
        here: &Here<'_>,
        used_maps: &mut Vec<Arc<ValueMap>>,
    ) -> Option<Rule> {
        let n_errors = self.errors.len();
        let sp = &f.spans;
        let tspan = sp.target.clone().or_else(|| sp.whole.clone());
        // Target.
        let target = match Path::parse(&f.target) {
            Ok(p) if p.rooted => {
                self.err(&tspan, here, "a target path cannot start with `/`");
                None
            }
            Ok(p) => match catalog::resolve(scope.target, &p.segs) {
                Ok(r) => Some((p, r)),
                Err(m) => {
                    self.err(&tspan, here, format!("target `{}`: {m}", f.target));
                    None
                }
            },
            Err(m) => {
                self.err(&tspan, here, format!("target: {m}"));
                None
            }
        };
        if let (Some((_, r)), true) = (&target, f.create_only) {
            if r.required {
                self.err(
                    &sp.create_only.clone().or(tspan.clone()),
                    here,
                    format!(
                        "`{}` cannot be create-only: the model requires it in every record",
                        f.target
                    ),
                );
            }
        }
        // Input.
        let in_span = |i: usize| sp.input.get(i).cloned().flatten().or_else(|| sp.whole.clone());
        let (input, mut kind) = match &f.input {
            Input::Path(p) => match self.source_path(p, &in_span(0), scope, here) {
                Some((p, k)) => (Some(In::Path(p)), k),
                None => (None, Kind::Any),
            },
            Input::Paths(list) => {
                let mut out = Vec::new();
                for (i, p) in list.iter().enumerate() {
                    if let Some((p, _)) = self.source_path(p, &in_span(i), scope, here) {
                        out.push(p);
                    }
                }
                (Some(In::Paths(out)), Kind::List)
            }
            Input::Constant(c) => {
                let (v, k) = scalar(c);
                (Some(In::Const(v)), k)
            }
        };
        // Transforms.
        let mut transforms = Vec::new();
        let mut chain_ok = true;
        for (i, t) in f.transforms.iter().enumerate() {
            let span = sp.transforms.get(i).cloned().flatten().or_else(|| sp.whole.clone());
            let Some(ct) = self.transform(t, &span, scope, here, used_maps) else {
                chain_ok = false;
                continue;
            };
            if chain_ok {
                match ct.check(kind) {
                    Ok(k) => kind = k,
                    Err(m) => {
                        self.err(&span, here, format!("type mismatch: {m}"));
                        chain_ok = false;
                    }
                }
            }
            transforms.push(ct);
        }
        // Default.
        let default = f.default.as_ref().map(|d| {
            let (v, k) = scalar(d);
            (v, k)
        });
        // Rules.
        let mut rules = Vec::new();
        for (i, r) in f.validate.iter().enumerate() {
            let span = sp.rules.get(i).cloned().flatten().or_else(|| sp.whole.clone());
            match r {
                RuleSpec::Required => rules.push(R::Required),
                RuleSpec::Digits => rules.push(R::Digits),
                RuleSpec::MaxLen(n) => rules.push(R::MaxLen(*n)),
                RuleSpec::OneOf(v) => rules.push(R::OneOf(v.clone())),
                RuleSpec::Regex(p) => match Regex::new(p) {
                    Ok(re) => rules.push(R::Regex(re)),
                    Err(e) => self.err(
                        &span,
                        here,
                        format!("bad regex in rule: {}", one_line(&e.to_string())),
                    ),
                },
                RuleSpec::Custom(name) => match self.functions.predicates.get(name) {
                    Some(p) => rules.push(R::Custom(name.clone(), p.clone())),
                    None => self.err(
                        &span,
                        here,
                        format!(
                            "unknown predicate `{name}`; registered: {}",
                            self.functions.predicate_names().join(", ")
                        ),
                    ),
                },
            }
        }
        // Target type.
        let (target_path, resolved) = target?;
        let out = self.out_for(&resolved, f, scope, here);
        if chain_ok {
            if let Some(out) = &out {
                if let Err(m) =
                    compatible(kind, &resolved.ty, resolved.custom_field, f.currency.is_some())
                {
                    let why = match f.transforms.last() {
                        Some(t) => format!("`{}` gives {}", t.op(), kind.name()),
                        None => format!("the source is {}", kind.name()),
                    };
                    let _ = out;
                    self.err(
                        &tspan,
                        here,
                        format!(
                            "type mismatch: {why}, but target `{}` is {}{m}",
                            f.target,
                            resolved.ty.name()
                        ),
                    );
                }
            }
        }
        // Constants and defaults must fit the target now, not at the first record.
        let dummy = serde_json::Value::Null;
        let ctx = Ctx::new(&dummy, &dummy);
        if let (Some(out), Input::Constant(_), Some(In::Const(v)), true) =
            (&out, &f.input, &input, f.transforms.is_empty())
        {
            if !matches!(out, Out::Money(Some(CurrencySrc::From(_)))) {
                if let Err(m) = out_check(out, v, &ctx) {
                    self.err(
                        &in_span(0),
                        here,
                        format!("constant does not fit target `{}`: {m}", f.target),
                    );
                }
            }
        }
        if let (Some(out), Some((v, k))) = (&out, &default) {
            if let Err(m) =
                compatible(*k, &resolved.ty, resolved.custom_field, f.currency.is_some())
            {
                self.err(
                    &sp.default.clone().or(tspan.clone()),
                    here,
                    format!(
                        "default does not fit target `{}` ({}){m}",
                        f.target,
                        resolved.ty.name()
                    ),
                );
            } else if !matches!(out, Out::Money(Some(CurrencySrc::From(_)))) {
                if let Err(m) = out_check(out, v, &ctx) {
                    self.err(
                        &sp.default.clone().or(tspan.clone()),
                        here,
                        format!("default does not fit target `{}`: {m}", f.target),
                    );
                }
            }
        }
        if self.errors.len() > n_errors {
            return None;
        }
        Some(
            Rule {
                target: target_path,
                input: input?,
                transforms,
                default: default.map(|d| d.0),
                rules,
                keep_empty: f.keep_empty,
                out: out?,
                default_json: None,
            }
            .with_default_json(),
        )
    }

    fn out_for(
        &mut self,
        r: &catalog::Resolved,
        f: &FieldSpec,
        scope: Scope,
        here: &Here<'_>,
    ) -> Option<Out> {
        if f.currency.is_some() && !matches!(r.ty, Ty::Money) {
            self.err(
                &f.spans.currency,
                here,
                format!(
                    "`currency` only applies to Money targets; `{}` is {}",
                    f.target,
                    r.ty.name()
                ),
            );
            return None;
        }
        if r.custom_field {
            return Some(Out::CustomField);
        }
        Some(match r.ty {
            Ty::Text => Out::Text,
            Ty::Decimal => Out::Decimal,
            Ty::Int => Out::Int,
            Ty::Bool => Out::Bool,
            Ty::Date => Out::Date,
            Ty::DateTime => Out::DateTime,
            Ty::Currency => Out::Currency,
            Ty::Enum(v) => Out::Enum(v),
            Ty::Money => Out::Money(match &f.currency {
                None => None,
                Some(CurrencySpec::Code(c)) => {
                    let ok = c.len() == 3 && c.bytes().all(|b| b.is_ascii_alphabetic());
                    if !ok {
                        self.err(
                            &f.spans.currency,
                            here,
                            format!("currency {c:?} is not a three-letter code"),
                        );
                        return None;
                    }
                    Some(CurrencySrc::Code(c.to_ascii_uppercase()))
                }
                Some(CurrencySpec::From(p)) => {
                    let (p, _) = self.source_path(p, &f.spans.currency, scope, here)?;
                    Some(CurrencySrc::From(p))
                }
            }),
            Ty::Object(_) | Ty::List(_) | Ty::Custom | Ty::Json => Out::Any,
        })
    }

    fn transform(
        &mut self,
        t: &TransformSpec,
        span: &Span,
        scope: Scope,
        here: &Here<'_>,
        used_maps: &mut Vec<Arc<ValueMap>>,
    ) -> Option<T> {
        let number = |c: &mut Self, what: &str, s: &str| -> Option<Decimal> {
            match parse_decimal(s) {
                Ok(d) => Some(d),
                Err(m) => {
                    c.err(span, here, format!("{what}: {m}"));
                    None
                }
            }
        };
        let regex = |c: &mut Self, p: &str| -> Option<Regex> {
            match Regex::new(p) {
                Ok(r) => Some(r),
                Err(e) => {
                    c.err(
                        span,
                        here,
                        format!("bad regex in `{}`: {}", t.op(), one_line(&e.to_string())),
                    );
                    None
                }
            }
        };
        let rate = |c: &mut Self, r: &RateSpec| -> Option<Rate> {
            match r {
                RateSpec::Percent(p) => {
                    let pct = number(c, "rate", p)?;
                    match tax_factor(pct) {
                        Some(f) => Some(Rate::Factor(f)),
                        None => {
                            c.err(span, here, format!("rate {p} is out of range"));
                            None
                        }
                    }
                }
                RateSpec::From(p) => {
                    let (p, k) = c.source_path(p, span, scope, here)?;
                    if !matches!(k, Kind::Any | Kind::Decimal | Kind::Int | Kind::Text) {
                        c.err(
                            span,
                            here,
                            format!("rate_from `{p}` is {}, not a percentage", k.name()),
                        );
                        return None;
                    }
                    Some(Rate::From(p))
                }
            }
        };
        Some(match t {
            TransformSpec::Trim => T::Trim,
            TransformSpec::Upper => T::Upper,
            TransformSpec::Lower => T::Lower,
            TransformSpec::Title => T::Title,
            TransformSpec::DigitsOnly => T::DigitsOnly,
            TransformSpec::Street => T::Street,
            TransformSpec::HouseNumber => T::HouseNumber,
            TransformSpec::Concat { separator } => T::Concat(separator.clone()),
            TransformSpec::RegexExtract { pattern, group } => {
                let re = regex(self, pattern)?;
                let groups = re.captures_len() - 1;
                let g = group.unwrap_or(usize::from(groups > 0));
                if g > groups {
                    self.err(
                        span,
                        here,
                        format!(
                            "regex_extract: group {g} does not exist (the pattern has {groups})"
                        ),
                    );
                    return None;
                }
                T::RegexExtract(re, g)
            }
            TransformSpec::RegexReplace { pattern, with } => {
                let re = regex(self, pattern)?;
                let fast = CharClass::new(&re, with);
                T::RegexReplace(re, with.clone(), fast)
            }
            TransformSpec::Date { formats, format } => {
                for fm in formats.iter().chain(format) {
                    if chrono::format::StrftimeItems::new(fm)
                        .any(|i| matches!(i, chrono::format::Item::Error))
                    {
                        self.err(span, here, format!("bad date format {fm:?}"));
                        return None;
                    }
                }
                T::Date { formats: formats.clone(), format: format.clone() }
            }
            TransformSpec::Number { decimal, group } => {
                if Some(*decimal) == *group {
                    self.err(span, here, "number: `decimal` and `group` must differ");
                    return None;
                }
                T::Number { decimal: *decimal, group: *group }
            }
            TransformSpec::Round { scale, mode } => T::Round(*scale, strategy(*mode)),
            TransformSpec::AddTax { rate: r } => T::AddTax(rate(self, r)?),
            TransformSpec::RemoveTax { rate: r } => T::RemoveTax(rate(self, r)?),
            TransformSpec::Multiply { by } => T::Multiply(number(self, "multiply by", by)?),
            TransformSpec::Divide { by } => {
                let d = number(self, "divide by", by)?;
                if d.is_zero() {
                    self.err(span, here, "divide by zero");
                    return None;
                }
                T::Divide(d)
            }
            TransformSpec::Truncate { max } => T::Truncate(*max),
            TransformSpec::Map { map } => match self.maps.get(map) {
                Some(m) => {
                    if !used_maps.iter().any(|x| Arc::ptr_eq(x, m)) {
                        used_maps.push(m.clone());
                    }
                    T::Map(m.clone())
                }
                None => {
                    let mut known: Vec<&str> = self.maps.keys().map(String::as_str).collect();
                    known.sort_unstable();
                    let near = catalog::suggest(map, known.iter().copied())
                        .map(|n| format!("; did you mean `{n}`?"));
                    let list = if known.is_empty() { "none".to_string() } else { known.join(", ") };
                    self.err(
                        span,
                        here,
                        format!(
                            "unknown value map `{map}`{}",
                            near.unwrap_or_else(|| format!("; defined: {list}"))
                        ),
                    );
                    return None;
                }
            },
            TransformSpec::Custom { name } => match self.functions.transforms.get(name) {
                Some(f) => T::Custom(name.clone(), f.clone()),
                None => {
                    self.err(
                        span,
                        here,
                        format!(
                            "unknown custom transform `{name}`; registered: {}",
                            self.functions.transform_names().join(", ")
                        ),
                    );
                    return None;
                }
            },
        })
    }
}

fn one_line(s: &str) -> String {
    s.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(" ")
}

fn scalar(s: &Scalar) -> (V<'static>, Kind) {
    match s {
        Scalar::Text(t) => (V::Text(t.clone().into()), Kind::Text),
        Scalar::Bool(b) => (V::Bool(*b), Kind::Bool),
        Scalar::Number(n) => match Decimal::from_str(n).or_else(|_| Decimal::from_scientific(n)) {
            Ok(d) => (V::Dec(d), Kind::Decimal),
            Err(_) => (V::Text(n.clone().into()), Kind::Text),
        },
    }
}

fn out_check(out: &Out, v: &V<'_>, ctx: &Ctx<'_>) -> Result<(), String> {
    // Reuse the run-time conversion on the literal.
    crate::plan::check_out(out, v, ctx)
}

/// Whether a value of `kind` can be written into a field of type `ty`. The error text is
/// appended to the type-mismatch message.
fn compatible(kind: Kind, ty: &Ty, custom_field: bool, has_currency: bool) -> Result<(), String> {
    if kind == Kind::Any || custom_field || matches!(ty, Ty::Json) {
        return Ok(());
    }
    let ok = match ty {
        Ty::Text | Ty::Enum(_) | Ty::Currency => {
            matches!(
                kind,
                Kind::Text | Kind::Decimal | Kind::Int | Kind::Bool | Kind::Date | Kind::DateTime
            )
        }
        Ty::Decimal | Ty::Int => matches!(kind, Kind::Text | Kind::Decimal | Kind::Int),
        Ty::Bool => matches!(kind, Kind::Bool | Kind::Text),
        Ty::Date => matches!(kind, Kind::Date | Kind::Text),
        Ty::DateTime => matches!(kind, Kind::DateTime | Kind::Text),
        Ty::Money => {
            if matches!(kind, Kind::Decimal | Kind::Int | Kind::Text) && !has_currency {
                return Err(
                    ": a plain number needs `currency` (or `currency_from`) to become Money".into(),
                );
            }
            matches!(kind, Kind::Money | Kind::Decimal | Kind::Int | Kind::Text)
        }
        Ty::List(_) => kind == Kind::List,
        Ty::Object(s) => kind == Kind::Object(s.name),
        Ty::Custom => matches!(kind, Kind::Object("custom fields")),
        Ty::Json => true,
    };
    if ok { Ok(()) } else { Err(String::new()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compatibility_table() {
        assert!(compatible(Kind::Date, &Ty::Money, false, false).is_err());
        assert!(compatible(Kind::Date, &Ty::Decimal, false, false).is_err());
        assert!(
            compatible(Kind::Decimal, &Ty::Money, false, false)
                .unwrap_err()
                .contains("needs `currency`")
        );
        assert!(compatible(Kind::Decimal, &Ty::Money, false, true).is_ok());
        assert!(compatible(Kind::Money, &Ty::Text, false, false).is_err());
        assert!(compatible(Kind::Text, &Ty::Date, false, false).is_ok());
        assert!(compatible(Kind::Any, &Ty::Money, false, false).is_ok());
        assert!(compatible(Kind::Money, &Ty::Text, true, false).is_ok());
        assert!(compatible(Kind::List, &Ty::List(&Ty::Text), false, false).is_ok());
        assert!(compatible(Kind::Object("Address"), &Ty::Text, false, false).is_err());
    }
}
