//! Compiled transforms: each checks at load time which kinds of value it takes and gives, and
//! at run time turns one value into another. Amount math is exact `Decimal`.

use std::borrow::Cow;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, NaiveDateTime};
use regex::Regex;
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::Value;

use crate::catalog::Ty;
use crate::char_class::CharClass;
use crate::error::FailureKind;
use crate::functions::CustomTransform;
use crate::path::{self, Path};
use crate::spec::Rounding;
use crate::text;
use crate::value::{V, parse_decimal};
use crate::value_map::{Looked, ValueMap};

/// The kind of a value as far as load-time checking knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Unknown until run time (raw JSON, custom fields, custom transforms).
    Any,
    Text,
    Decimal,
    Int,
    Bool,
    Date,
    DateTime,
    Money,
    List,
    Object(&'static str),
}

impl Kind {
    pub fn of(ty: &Ty) -> Kind {
        match ty {
            Ty::Text | Ty::Enum(_) | Ty::Currency => Kind::Text,
            Ty::Decimal => Kind::Decimal,
            Ty::Int => Kind::Int,
            Ty::Bool => Kind::Bool,
            Ty::Date => Kind::Date,
            Ty::DateTime => Kind::DateTime,
            Ty::Money => Kind::Money,
            Ty::List(_) => Kind::List,
            Ty::Object(s) => Kind::Object(s.name),
            Ty::Custom => Kind::Object("custom fields"),
            Ty::Json => Kind::Any,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Kind::Any => "any value",
            Kind::Text => "text",
            Kind::Decimal => "a decimal",
            Kind::Int => "an integer",
            Kind::Bool => "a boolean",
            Kind::Date => "a date",
            Kind::DateTime => "a date-time",
            Kind::Money => "Money",
            Kind::List => "a list",
            Kind::Object(n) => n,
        }
    }

    fn scalar(self) -> bool {
        matches!(
            self,
            Kind::Any
                | Kind::Text
                | Kind::Decimal
                | Kind::Int
                | Kind::Bool
                | Kind::Date
                | Kind::DateTime
        )
    }

    fn numeric(self) -> bool {
        matches!(self, Kind::Any | Kind::Text | Kind::Decimal | Kind::Int | Kind::Money)
    }
}

/// A tax rate, as the factor (1 + rate/100) or read per record.
#[derive(Debug, Clone)]
pub(crate) enum Rate {
    Factor(Decimal),
    From(Path),
}

/// A compiled transform.
#[derive(Clone)]
pub(crate) enum T {
    Trim,
    Upper,
    Lower,
    Title,
    DigitsOnly,
    Street,
    HouseNumber,
    Concat(String),
    RegexExtract(Regex, usize),
    /// The regex, the replacement, and the character-by-character form when there is one.
    RegexReplace(Regex, String, Option<CharClass>),
    Date {
        formats: Vec<String>,
        format: Option<String>,
    },
    Number {
        decimal: char,
        group: Option<char>,
    },
    Round(u32, RoundingStrategy),
    AddTax(Rate),
    RemoveTax(Rate),
    Multiply(Decimal),
    Divide(Decimal),
    Truncate(usize),
    Map(Arc<ValueMap>),
    Custom(String, CustomTransform),
}

impl std::fmt::Debug for T {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.op())
    }
}

/// Why a transform refused a value.
#[derive(Debug)]
pub(crate) struct Refusal {
    pub rule: String,
    pub message: String,
    pub value: Option<String>,
    pub kind: FailureKind,
}

fn refuse(rule: impl Into<String>, message: impl Into<String>) -> Box<Refusal> {
    Box::new(Refusal {
        rule: rule.into(),
        message: message.into(),
        value: None,
        kind: FailureKind::Invalid,
    })
}

impl Refusal {
    fn of(mut self: Box<Self>, v: &V<'_>) -> Box<Refusal> {
        self.value = v.describe();
        self
    }

    fn of_text(mut self: Box<Self>, s: &str) -> Box<Refusal> {
        self.value = V::Text(Cow::Borrowed(s)).describe();
        self
    }
}

/// What a transform may read beside its input.
pub(crate) struct Ctx<'a> {
    /// The source record.
    pub root: &'a Value,
    /// The current element (the record itself outside per-line rules).
    pub here: &'a Value,
    /// How many leading segments of every path `root` and `here` already stand for: a rule
    /// whose paths all start alike runs on the part of the record they lead to.
    pub depth: usize,
}

impl<'a> Ctx<'a> {
    /// A context at the top of `root`, or of the element `here` inside it.
    pub fn new(root: &'a Value, here: &'a Value) -> Ctx<'a> {
        Ctx { root, here, depth: 0 }
    }

    pub fn read(&self, p: &Path) -> V<'a> {
        let base = if p.rooted { self.root } else { self.here };
        V::from_json(path::get(base, &p.segs[self.depth..]))
    }
}

pub(crate) fn strategy(r: Rounding) -> RoundingStrategy {
    match r {
        Rounding::HalfEven => RoundingStrategy::MidpointNearestEven,
        Rounding::HalfUp => RoundingStrategy::MidpointAwayFromZero,
        Rounding::Down => RoundingStrategy::ToZero,
        Rounding::Up => RoundingStrategy::AwayFromZero,
    }
}

impl T {
    pub fn op(&self) -> &'static str {
        match self {
            T::Trim => "trim",
            T::Upper => "upper",
            T::Lower => "lower",
            T::Title => "title",
            T::DigitsOnly => "digits_only",
            T::Street => "street",
            T::HouseNumber => "house_number",
            T::Concat(_) => "concat",
            T::RegexExtract(..) => "regex_extract",
            T::RegexReplace(..) => "regex_replace",
            T::Date { .. } => "date",
            T::Number { .. } => "number",
            T::Round(..) => "round",
            T::AddTax(_) => "add_tax",
            T::RemoveTax(_) => "remove_tax",
            T::Multiply(_) => "multiply",
            T::Divide(_) => "divide",
            T::Truncate(_) => "truncate",
            T::Map(_) => "map",
            T::Custom(..) => "custom",
        }
    }

    fn rule(&self) -> String {
        match self {
            T::Map(m) => format!("map {}", m.name()),
            T::Custom(n, _) => format!("custom {n}"),
            other => other.op().to_string(),
        }
    }

    /// Whether the transform turns text into text and reads nothing else (see
    /// [`T::on_text`]).
    pub fn is_text_op(&self) -> bool {
        matches!(
            self,
            T::Trim
                | T::Upper
                | T::Lower
                | T::Title
                | T::DigitsOnly
                | T::Street
                | T::HouseNumber
                | T::Truncate(_)
                | T::RegexReplace(..)
        )
    }

    /// A text transform ([`T::is_text_op`]) on text: borrowed text stays borrowed where the
    /// result is a part of it, owned text is changed in place where it can be. Any other
    /// transform gives the text back.
    pub fn on_text<'a>(&'a self, s: Cow<'a, str>) -> Cow<'a, str> {
        match self {
            T::Trim => match s {
                Cow::Borrowed(b) => Cow::Borrowed(text::trim(b)),
                Cow::Owned(o) => Cow::Owned(text::trim_owned(o)),
            },
            T::Upper => text::upper(s),
            T::Lower => text::lower(s),
            T::Title => text::title(s),
            T::DigitsOnly => {
                if s.bytes().all(|b| b.is_ascii_digit()) {
                    s
                } else {
                    let mut o = s.into_owned();
                    o.retain(|c| c.is_ascii_digit());
                    Cow::Owned(o)
                }
            }
            T::Street => part(s, |x| split_street(x).0),
            T::HouseNumber => part(s, |x| split_street(x).1),
            T::Truncate(max) => match s.char_indices().nth(*max) {
                None => s,
                Some((end, _)) => match s {
                    Cow::Borrowed(b) => Cow::Borrowed(&b[..end]),
                    Cow::Owned(mut o) => {
                        o.truncate(end);
                        Cow::Owned(o)
                    }
                },
            },
            T::RegexReplace(_, _, Some(fast)) => fast.replace(s),
            T::RegexReplace(re, with, None) => match re.replace_all(&s, with.as_str()) {
                Cow::Borrowed(_) => s,
                Cow::Owned(o) => Cow::Owned(o),
            },
            _ => s,
        }
    }

    /// `round`, `multiply`, `divide`, and tax at a fixed rate, applied to an amount: `None`
    /// when the transform is none of these, `Some(None)` when the result is out of range.
    pub fn fixed_amount(&self, d: Decimal) -> Option<Option<Decimal>> {
        Some(match self {
            T::Round(scale, strat) => {
                let mut r = d.round_dp_with_strategy(*scale, *strat);
                r.rescale(*scale);
                Some(r)
            }
            T::Multiply(by) => d.checked_mul(*by),
            T::Divide(by) => d.checked_div(*by),
            T::AddTax(Rate::Factor(f)) => d.checked_mul(*f),
            T::RemoveTax(Rate::Factor(f)) => d.checked_div(*f),
            _ => return None,
        })
    }

    /// Load-time check: the kind this transform gives for `input`, or why it cannot take it.
    pub fn check(&self, input: Kind) -> Result<Kind, String> {
        let needs = |ok: bool, what: &str, out: Kind| {
            if ok {
                Ok(out)
            } else {
                Err(format!("`{}` takes {what}, not {}", self.op(), input.name()))
            }
        };
        match self {
            T::Trim
            | T::Upper
            | T::Lower
            | T::Title
            | T::DigitsOnly
            | T::Street
            | T::HouseNumber
            | T::RegexExtract(..)
            | T::RegexReplace(..)
            | T::Truncate(_)
            | T::Map(_) => needs(input.scalar(), "text (or a number, date or boolean)", Kind::Text),
            T::Concat(_) => needs(
                matches!(input, Kind::List | Kind::Any),
                "a list (several source paths or a list field)",
                Kind::Text,
            ),
            T::Date { format, .. } => needs(
                matches!(input, Kind::Any | Kind::Text | Kind::Date | Kind::DateTime),
                "text, a date or a date-time",
                if format.is_some() { Kind::Text } else { Kind::Date },
            ),
            T::Number { .. } => needs(
                matches!(input, Kind::Any | Kind::Text | Kind::Decimal | Kind::Int),
                "text or a number",
                Kind::Decimal,
            ),
            T::Round(..) | T::AddTax(_) | T::RemoveTax(_) | T::Multiply(_) | T::Divide(_) => needs(
                input.numeric(),
                "a number or Money",
                if input == Kind::Money { Kind::Money } else { Kind::Decimal },
            ),
            T::Custom(..) => Ok(Kind::Any),
        }
    }

    /// Applies the transform. Nothing in gives nothing out (except `concat`, which skips
    /// empty parts).
    pub fn apply<'a>(&'a self, v: V<'a>, ctx: &Ctx<'a>) -> Result<V<'a>, Box<Refusal>> {
        if matches!(v, V::Absent) {
            return Ok(V::Absent);
        }
        if self.is_text_op() {
            return text_op(self, v, |s| self.on_text(s));
        }
        match self {
            T::RegexExtract(re, group) => {
                let s = text_of(self, &v)?;
                let found =
                    re.captures(&s).and_then(|c| c.get(*group)).map(|m| m.as_str().to_string());
                Ok(found.map_or(V::Absent, |m| V::Text(Cow::Owned(m))))
            }
            T::Concat(sep) => {
                let parts: Vec<V<'a>> = match v {
                    V::List(items) => items,
                    V::Json(j) => match j {
                        Cow::Borrowed(Value::Array(a)) => {
                            a.iter().map(|x| V::from_json(Some(x))).collect()
                        }
                        Cow::Owned(Value::Array(a)) => {
                            a.into_iter().map(|x| V::from_json(Some(&x)).into_owned()).collect()
                        }
                        other => vec![V::Json(other)],
                    },
                    other => vec![other],
                };
                let mut out = String::new();
                for p in &parts {
                    if p.is_empty() {
                        continue;
                    }
                    let t = p.text().ok_or_else(|| {
                        refuse(self.rule(), format!("cannot join {}", p.kind_name())).of(p)
                    })?;
                    let t = t.trim();
                    if t.is_empty() {
                        continue;
                    }
                    if !out.is_empty() {
                        out.push_str(sep);
                    }
                    out.push_str(t);
                }
                Ok(if out.is_empty() { V::Absent } else { V::Text(Cow::Owned(out)) })
            }
            T::Date { formats, format } => {
                let d = match &v {
                    V::Date(d) => *d,
                    _ => {
                        let s = text_of(self, &v)?;
                        parse_date(&s, formats).ok_or_else(|| {
                            let tried = if formats.is_empty() {
                                "ISO dates".to_string()
                            } else {
                                format!("ISO dates and {}", formats.join(", "))
                            };
                            refuse(self.rule(), format!("not a date ({tried})")).of_text(&s)
                        })?
                    }
                };
                Ok(match format {
                    Some(f) => V::Text(Cow::Owned(d.format(f).to_string())),
                    None => V::Date(d),
                })
            }
            T::Number { decimal, group } => {
                if let V::Dec(_) = v {
                    return Ok(v);
                }
                if let V::Json(j) = &v {
                    if let Value::Number(n) = &**j {
                        return parse_decimal(n.as_str())
                            .map(V::Dec)
                            .map_err(|m| refuse(self.rule(), m).of_text(n.as_str()));
                    }
                }
                let s = text_of(self, &v)?;
                let mut clean = String::with_capacity(s.len());
                for c in s.trim().chars() {
                    if Some(c) == *group || c == ' ' || c == '\u{a0}' || c == '\u{202f}' {
                        continue;
                    }
                    clean.push(if c == *decimal { '.' } else { c });
                }
                parse_decimal(&clean).map(V::Dec).map_err(|_| {
                    refuse(self.rule(), format!("not a number with decimal `{decimal}`"))
                        .of_text(&s)
                })
            }
            T::Round(..) | T::Multiply(_) | T::Divide(_) => {
                amount_op(self, v, |d| self.fixed_amount(d).flatten())
            }
            T::AddTax(rate) | T::RemoveTax(rate) => {
                let factor = match rate {
                    Rate::Factor(f) => *f,
                    Rate::From(p) => {
                        let r = ctx.read(p);
                        if r.is_empty() {
                            return Err(refuse(self.rule(), format!("no tax rate at `{p}`")));
                        }
                        let pct = r.decimal().map_err(|m| {
                            refuse(self.rule(), format!("tax rate at `{p}`: {m}")).of(&r)
                        })?;
                        tax_factor(pct)
                            .ok_or_else(|| refuse(self.rule(), "tax rate out of range").of(&r))?
                    }
                };
                let add = matches!(self, T::AddTax(_));
                amount_op(
                    self,
                    v,
                    |d| if add { d.checked_mul(factor) } else { d.checked_div(factor) },
                )
            }
            T::Map(map) => {
                let key = text_of(self, &v)?;
                match map.lookup(&key) {
                    Looked::Value(s) => Ok(V::Text(Cow::Borrowed(s))),
                    Looked::Pass => Ok(v),
                    Looked::Fail => Err(refuse(
                        self.rule(),
                        format!(
                            "value map `{}` has no mapping for {key:?} (policy: fail)",
                            map.name()
                        ),
                    )
                    .of_text(&key)),
                    Looked::Quarantine => Err(Box::new(Refusal {
                        rule: self.rule(),
                        message: format!(
                            "value map `{}` has no mapping for {key:?} (policy: quarantine): add it and replay",
                            map.name()
                        ),
                        value: Some(key.to_string()),
                        kind: FailureKind::Quarantine,
                    })),
                }
            }
            T::Custom(_, f) => {
                let input = v.into_json();
                match f(&input) {
                    Ok(Value::Null) => Ok(V::Absent),
                    Ok(Value::String(s)) => Ok(V::Text(Cow::Owned(s))),
                    Ok(other) => Ok(V::Json(Cow::Owned(other))),
                    Err(m) => Err(refuse(self.rule(), m).of(&V::Json(Cow::Owned(input)))),
                }
            }
            // The text transforms, handled above.
            _ => text_op(self, v, |s| self.on_text(s)),
        }
    }
}

/// (1 + pct/100), when representable.
pub(crate) fn tax_factor(pct: Decimal) -> Option<Decimal> {
    let f = Decimal::ONE.checked_add(pct.checked_div(Decimal::ONE_HUNDRED)?)?;
    (f > Decimal::ZERO).then_some(f)
}

fn text_of<'v>(t: &T, v: &'v V<'_>) -> Result<Cow<'v, str>, Box<Refusal>> {
    v.text().ok_or_else(|| refuse(t.rule(), format!("expected text, got {}", v.kind_name())).of(v))
}

fn text_op<'a>(
    t: &T,
    v: V<'a>,
    f: impl FnOnce(Cow<'a, str>) -> Cow<'a, str>,
) -> Result<V<'a>, Box<Refusal>> {
    let s: Cow<'a, str> = match v {
        V::Text(s) => s,
        V::Json(Cow::Borrowed(Value::String(s))) => Cow::Borrowed(s.as_str()),
        V::Json(Cow::Borrowed(Value::Number(n))) => Cow::Borrowed(n.as_str()),
        other => match other.text() {
            Some(s) => Cow::Owned(s.into_owned()),
            None => {
                return Err(refuse(t.rule(), format!("expected text, got {}", other.kind_name()))
                    .of(&other));
            }
        },
    };
    let out = f(s);
    Ok(if out.is_empty() { V::Absent } else { V::Text(out) })
}

fn amount_op<'a>(
    t: &T,
    v: V<'a>,
    f: impl Fn(Decimal) -> Option<Decimal>,
) -> Result<V<'a>, Box<Refusal>> {
    let overflow = || refuse(t.rule(), "the result is out of range");
    // The currency stays borrowed when the source object is.
    let money: Option<(Decimal, Cow<'a, str>)> = match &v {
        V::Json(Cow::Borrowed(j)) => V::from_json(Some(*j))
            .money()
            .and_then(|(a, _)| Some((a, Cow::Borrowed(j.get("currency")?.as_str()?)))),
        other => other.money().map(|(a, c)| (a, Cow::Owned(c.into_owned()))),
    };
    if let Some((amount, currency)) = money {
        let r = f(amount).ok_or_else(|| overflow().of_text(&amount.to_string()))?;
        return Ok(V::Money(r, currency));
    }
    let d = v.decimal().map_err(|m| refuse(t.rule(), m).of(&v))?;
    f(d).map(V::Dec).ok_or_else(|| overflow().of(&v))
}

/// Splits "Hoofdstraat 12a", "Laan van Meerdervoort 1001-B", "12 Main St" and
/// "Main St, 12" into (street, house number). The number is the last word that starts with a
/// digit, with at most two short words after it ("12 bis"); when only the first word starts
/// with a digit, it is the number ("12 Main St"). Allocates nothing.
pub(crate) fn split_street(s: &str) -> (Option<&str>, Option<&str>) {
    let s = text::trim(s);
    if s.is_empty() {
        return (None, None);
    }
    if s.is_ascii() {
        split_at_words(s, text::ascii_words(s))
    } else {
        let offset = |w: &str| w.as_ptr() as usize - s.as_ptr() as usize;
        split_at_words(s, s.split_whitespace().map(|w| (offset(w), offset(w) + w.len())))
    }
}

/// [`split_street`] of trimmed, non-empty text, given the byte ranges of its words.
fn split_at_words(
    s: &str,
    words: impl Iterator<Item = (usize, usize)>,
) -> (Option<&str>, Option<&str>) {
    // Whether `w`, past any leading `,` and `#`, starts with a digit.
    let starts_digit =
        |w: &str| w.bytes().find(|&b| b != b',' && b != b'#').is_some_and(|b| b.is_ascii_digit());
    // The last word (not the first) starting with a digit, and whether what follows it is
    // at most two short words. An earlier candidate has a longer tail, so only the last one
    // can qualify.
    let mut cand: Option<usize> = None;
    let mut tail = 0usize;
    let mut tail_ok = true;
    let mut first: Option<(usize, usize)> = None;
    let mut count = 0usize;
    for (start, end) in words {
        count += 1;
        let w = &s[start..end];
        if first.is_none() {
            first = Some((start, end));
            continue;
        }
        if starts_digit(w) {
            cand = Some(start);
            tail = 0;
            tail_ok = true;
        } else if cand.is_some() {
            tail += 1;
            tail_ok &= w.len() <= 4 || w.chars().count() <= 4;
        }
    }
    if let Some(at) = cand {
        if tail <= 2 && tail_ok {
            let number = s[at..].trim_start_matches(['#']);
            return (clean(&s[..at]), clean(number));
        }
    }
    if let Some((start, end)) = first {
        if count > 1 && starts_digit(&s[start..end]) {
            return (clean(&s[end..]), clean(&s[start..end]));
        }
    }
    (Some(s), None)
}

/// A part of a text: borrowed when the text is.
fn part<'a>(s: Cow<'a, str>, f: impl for<'x> Fn(&'x str) -> Option<&'x str>) -> Cow<'a, str> {
    match s {
        Cow::Borrowed(b) => Cow::Borrowed(f(b).unwrap_or("")),
        Cow::Owned(o) => match f(&o).map(|p| text::range_in(&o, p)) {
            Some((start, end)) => Cow::Owned(text::keep_range(o, start, end)),
            None => Cow::Borrowed(""),
        },
    }
}

fn clean(x: &str) -> Option<&str> {
    // `,` is one byte that is never part of another character: cutting next to it is safe.
    let x = text::trim(x);
    let b = x.as_bytes();
    let start = b.iter().position(|&c| c != b',').unwrap_or(b.len());
    let end = b.iter().rposition(|&c| c != b',').map_or(start, |i| i + 1);
    let x = text::trim(&x[start..end]);
    (!x.is_empty()).then_some(x)
}

fn parse_date(s: &str, formats: &[String]) -> Option<NaiveDate> {
    let t = s.trim();
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return Some(d);
    }
    for f in formats {
        if let Ok(d) = NaiveDate::parse_from_str(t, f) {
            return Some(d);
        }
        if let Ok(dt) = NaiveDateTime::parse_from_str(t, f) {
            return Some(dt.date());
        }
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return Some(dt.date_naive());
    }
    NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%.f").ok().map(|dt| dt.date())
}

#[cfg(test)]
mod tests;
