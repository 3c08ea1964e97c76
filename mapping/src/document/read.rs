//! [`Node`] tree → [`MappingDocument`], reporting every unknown key, wrong type and missing
//! value with its position (not only the first).

use std::ops::Range;

use connector_core::EntityKind;

use super::node::{Entry, NV, Node};
use crate::catalog::suggest;
use crate::error::{LoadError, SourceText};
use crate::spec::*;

pub(crate) struct Reader<'s> {
    src: &'s SourceText,
    pub errors: Vec<LoadError>,
}

const MAPPING_KEYS: &[&str] = &[
    "name",
    "description",
    "source",
    "target",
    "copy",
    "enabled",
    "skip",
    "field",
    "each",
    "update_fields",
];
const FIELD_KEYS: &[&str] = &[
    "target",
    "source",
    "constant",
    "transforms",
    "map",
    "default",
    "validate",
    "create_only",
    "keep_empty",
    "currency",
    "currency_from",
    "description",
];

impl<'s> Reader<'s> {
    pub fn new(src: &'s SourceText) -> Self {
        Self { src, errors: Vec::new() }
    }

    fn err(&mut self, span: &Range<usize>, message: impl Into<String>) {
        self.errors.push(LoadError { location: self.src.locate(span), message: message.into() });
    }

    fn table<'n>(&mut self, n: &'n Node, what: &str) -> Option<&'n [Entry]> {
        match &n.v {
            NV::Table(e) => Some(e),
            other => {
                self.err(&n.span, format!("{what} must be a table, not {}", other.type_name()));
                None
            }
        }
    }

    fn check_keys(&mut self, entries: &[Entry], allowed: &[&str], what: &str) {
        for (k, span, _) in entries {
            if !allowed.contains(&k.as_str()) {
                let hint = suggest(k, allowed.iter().copied())
                    .map(|s| format!("; did you mean `{s}`?"))
                    .unwrap_or_else(|| format!("; known keys: {}", allowed.join(", ")));
                self.err(span, format!("unknown key `{k}` in {what}{hint}"));
            }
        }
    }

    fn string(&mut self, n: &Node, what: &str) -> Option<String> {
        match &n.v {
            NV::Str(s) => Some(s.clone()),
            other => {
                self.err(&n.span, format!("{what} must be a string, not {}", other.type_name()));
                None
            }
        }
    }

    /// A string or an array of strings.
    fn strings(&mut self, n: &Node, what: &str) -> Option<Vec<String>> {
        match &n.v {
            NV::Str(s) => Some(vec![s.clone()]),
            NV::Array(items) => {
                let mut out = Vec::new();
                let mut ok = true;
                for i in items {
                    match self.scalar_text(i, what) {
                        Some(s) => out.push(s),
                        None => ok = false,
                    }
                }
                ok.then_some(out)
            }
            other => {
                self.err(
                    &n.span,
                    format!(
                        "{what} must be a string or an array of strings, not {}",
                        other.type_name()
                    ),
                );
                None
            }
        }
    }

    /// A string or number as text.
    fn scalar_text(&mut self, n: &Node, what: &str) -> Option<String> {
        match &n.v {
            NV::Str(s) | NV::Number(s) => Some(s.clone()),
            other => {
                self.err(
                    &n.span,
                    format!("{what} must be a string or a number, not {}", other.type_name()),
                );
                None
            }
        }
    }

    fn scalar(&mut self, n: &Node, what: &str) -> Option<Scalar> {
        match &n.v {
            NV::Str(s) => Some(Scalar::Text(s.clone())),
            NV::Number(s) => Some(Scalar::Number(s.clone())),
            NV::Bool(b) => Some(Scalar::Bool(*b)),
            other => {
                self.err(
                    &n.span,
                    format!(
                        "{what} must be a string, number or boolean, not {}",
                        other.type_name()
                    ),
                );
                None
            }
        }
    }

    fn boolean(&mut self, n: &Node, what: &str) -> Option<bool> {
        match &n.v {
            NV::Bool(b) => Some(*b),
            other => {
                self.err(
                    &n.span,
                    format!("{what} must be true or false, not {}", other.type_name()),
                );
                None
            }
        }
    }

    fn count(&mut self, n: &Node, what: &str) -> Option<usize> {
        match &n.v {
            NV::Number(s) => match s.parse::<usize>() {
                Ok(v) => Some(v),
                Err(_) => {
                    self.err(&n.span, format!("{what} must be a whole number ≥ 0, not {s}"));
                    None
                }
            },
            other => {
                self.err(
                    &n.span,
                    format!("{what} must be a whole number, not {}", other.type_name()),
                );
                None
            }
        }
    }

    fn array<'n>(&mut self, n: &'n Node, what: &str) -> Option<&'n [Node]> {
        match &n.v {
            NV::Array(items) => Some(items),
            other => {
                self.err(&n.span, format!("{what} must be an array, not {}", other.type_name()));
                None
            }
        }
    }

    fn entity(&mut self, n: &Node, what: &str) -> Option<EntityKind> {
        let s = self.string(n, what)?;
        let k = EntityKind::parse(&s);
        if k.is_none() {
            self.err(
                &n.span,
                format!(
                    "unknown entity `{s}` in {what}; known: {}",
                    EntityKind::ALL.map(|k| k.as_str()).join(", ")
                ),
            );
        }
        k
    }

    /// Reads the whole document.
    pub fn document(&mut self, root: &Node) -> MappingDocument {
        let mut doc = MappingDocument::default();
        let Some(entries) = self.table(root, "the document") else { return doc };
        let single = get(entries, "source").is_some() || get(entries, "target").is_some();
        let mut allowed: Vec<&str> = vec!["maps", "mapping", "description", "version"];
        if single {
            allowed.extend(MAPPING_KEYS);
        }
        self.check_keys(entries, &allowed, "the document");
        if let Some(v) = get(entries, "version") {
            if !matches!(&v.v, NV::Number(s) if s == "1") {
                self.err(&v.span, "version must be 1");
            }
        }
        if let Some(maps) = get(entries, "maps") {
            if let Some(m) = self.table(maps, "maps") {
                for (name, kspan, node) in m {
                    if let Some(spec) = self.value_map(name, kspan, node) {
                        doc.maps.push(spec);
                    }
                }
            }
        }
        if single {
            if get(entries, "mapping").is_some() {
                self.err(&root.span, "a document has either top-level `source`/`target` or [[mapping]] sections, not both");
            }
            if let Some(m) = self.mapping_body(entries, &root.span, false) {
                doc.mappings.push(m);
            }
        } else if let Some(list) = get(entries, "mapping") {
            if let Some(items) = self.array(list, "mapping") {
                for item in items {
                    if let Some(e) = self.table(item, "a [[mapping]] section") {
                        if let Some(m) = self.mapping_body(e, &item.span, true) {
                            doc.mappings.push(m);
                        }
                    }
                }
            }
        } else {
            self.err(&root.span, "the document has no mapping: add [[mapping]] sections (or top-level `source` and `target`)");
        }
        doc
    }

    fn value_map(&mut self, name: &str, kspan: &Range<usize>, node: &Node) -> Option<ValueMapSpec> {
        let what = format!("value map `{name}`");
        let e = self.table(node, &what)?;
        self.check_keys(
            e,
            &["unmapped", "default", "ignore_case", "builtin", "entries", "description"],
            &what,
        );
        let mut spec = ValueMapSpec::new(name);
        spec.span = Some(kspan.clone());
        if let Some(n) = get(e, "ignore_case") {
            spec.ignore_case = self.boolean(n, "ignore_case").unwrap_or(false);
        }
        if let Some(n) = get(e, "builtin") {
            if let Some(s) = self.string(n, "builtin") {
                match Builtin::ALL.into_iter().find(|b| b.as_str() == s) {
                    Some(b) => spec.builtin = Some(b),
                    None => self.err(
                        &n.span,
                        format!(
                            "unknown built-in table `{s}`; known: {}",
                            Builtin::ALL.map(Builtin::as_str).join(", ")
                        ),
                    ),
                }
            }
        }
        let default = get(e, "default").and_then(|n| self.scalar_text(n, "default"));
        let policy = get(e, "unmapped").and_then(|n| Some((n, self.string(n, "unmapped")?)));
        spec.unmapped = match (policy, default) {
            (None, None) => Unmapped::Fail,
            (None, Some(d)) => Unmapped::Default(d),
            (Some((n, p)), d) => match (p.as_str(), d) {
                ("fail", None) => Unmapped::Fail,
                ("quarantine", None) => Unmapped::Quarantine,
                ("pass", None) => Unmapped::Pass,
                ("default", Some(d)) => Unmapped::Default(d),
                ("default", None) => {
                    self.err(
                        &n.span,
                        format!("{what}: unmapped = \"default\" needs a `default` value"),
                    );
                    Unmapped::Fail
                }
                ("fail" | "quarantine" | "pass", Some(_)) => {
                    self.err(
                        &n.span,
                        format!("{what}: `default` is only used with unmapped = \"default\""),
                    );
                    Unmapped::Fail
                }
                (other, _) => {
                    self.err(&n.span, format!("{what}: unmapped must be fail, default, quarantine or pass, not `{other}`"));
                    Unmapped::Fail
                }
            },
        };
        if let Some(n) = get(e, "entries") {
            if let Some(entries) = self.table(n, &format!("{what} entries")) {
                for (k, _, v) in entries {
                    if let Some(s) = self.scalar_text(v, &format!("{what} entry `{k}`")) {
                        spec.entries.push((k.clone(), s));
                    }
                }
            }
        }
        if spec.entries.is_empty() && spec.builtin.is_none() {
            self.err(kspan, format!("{what} has no entries and no built-in table"));
        }
        Some(spec)
    }

    fn mapping_body(
        &mut self,
        e: &[Entry],
        span: &Range<usize>,
        section: bool,
    ) -> Option<MappingSpec> {
        if section {
            self.check_keys(e, MAPPING_KEYS, "a [[mapping]] section");
        }
        let source = match get(e, "source") {
            Some(n) => self.entity(n, "source"),
            None => {
                self.err(span, "the mapping needs `source` (an entity: customers, products, ...)");
                None
            }
        };
        let target = match get(e, "target") {
            Some(n) => self.entity(n, "target"),
            None => {
                self.err(span, "the mapping needs `target` (an entity: customers, products, ...)");
                None
            }
        };
        let name = get(e, "name").and_then(|n| self.string(n, "name"));
        let copy = get(e, "copy").and_then(|n| self.copy_mode(n));
        let enabled =
            get(e, "enabled").map(|n| self.boolean(n, "enabled").unwrap_or(true)).unwrap_or(true);
        let mut fields = Vec::new();
        if let Some(list) = get(e, "field") {
            for item in self.array(list, "field").unwrap_or(&[]) {
                if let Some(f) = self.field(item) {
                    fields.push(f);
                }
            }
        }
        let mut skip = Vec::new();
        if let Some(list) = get(e, "skip") {
            for item in self.array(list, "skip").unwrap_or(&[]) {
                if let Some(s) = self.skip(item) {
                    skip.push(s);
                }
            }
        }
        let mut each = Vec::new();
        if let Some(list) = get(e, "each") {
            for item in self.array(list, "each").unwrap_or(&[]) {
                if let Some(x) = self.each(item) {
                    each.push(x);
                }
            }
        }
        let (update_fields, update_fields_span) = match get(e, "update_fields") {
            Some(n) => (self.strings(n, "update_fields"), Some(n.span.clone())),
            None => (None, None),
        };
        let mut m = MappingSpec::new(source?, target?);
        m.name = name;
        m.copy = copy;
        m.enabled = enabled;
        m.fields = fields;
        m.skip = skip;
        m.each = each;
        m.update_fields = update_fields;
        m.update_fields_span = update_fields_span;
        m.span = Some(span.clone());
        Some(m)
    }

    fn copy_mode(&mut self, n: &Node) -> Option<CopyMode> {
        match self.string(n, "copy")?.as_str() {
            "source" => Some(CopyMode::Source),
            "empty" => Some(CopyMode::Empty),
            other => {
                self.err(&n.span, format!("copy must be \"source\" or \"empty\", not `{other}`"));
                None
            }
        }
    }

    fn each(&mut self, n: &Node) -> Option<EachSpec> {
        let e = self.table(n, "an [[each]] section")?;
        self.check_keys(
            e,
            &["source", "target", "copy", "field", "description"],
            "an [[each]] section",
        );
        let source = get(e, "source");
        let target = get(e, "target");
        if source.is_none() || target.is_none() {
            self.err(&n.span, "[[each]] needs `source` and `target` (lists, such as `lines`)");
        }
        let s = source.and_then(|x| self.string(x, "source"));
        let t = target.and_then(|x| self.string(x, "target"));
        let copy = get(e, "copy").and_then(|x| self.copy_mode(x));
        let mut fields = Vec::new();
        if let Some(list) = get(e, "field") {
            for item in self.array(list, "field").unwrap_or(&[]) {
                if let Some(f) = self.field(item) {
                    fields.push(f);
                }
            }
        }
        let mut spec = EachSpec::new(s?, t?);
        spec.copy = copy;
        spec.fields = fields;
        spec.span = Some(n.span.clone());
        spec.source_span = source.map(|x| x.span.clone());
        spec.target_span = target.map(|x| x.span.clone());
        Some(spec)
    }

    fn skip(&mut self, n: &Node) -> Option<SkipSpec> {
        let e = self.table(n, "a [[skip]] rule")?;
        self.check_keys(
            e,
            &["reason", "all_empty", "any_empty", "path", "one_of", "not_one_of"],
            "a [[skip]] rule",
        );
        let reason = match get(e, "reason") {
            Some(r) => self.string(r, "reason"),
            None => {
                self.err(&n.span, "a [[skip]] rule needs a `reason`");
                None
            }
        };
        let path = get(e, "path").and_then(|p| self.string(p, "path"));
        let when = match (
            get(e, "all_empty"),
            get(e, "any_empty"),
            get(e, "one_of"),
            get(e, "not_one_of"),
        ) {
            (Some(p), None, None, None) => self.strings(p, "all_empty").map(Condition::AllEmpty),
            (None, Some(p), None, None) => self.strings(p, "any_empty").map(Condition::AnyEmpty),
            (None, None, Some(v), None) => {
                let values = self.strings(v, "one_of");
                match (path, values) {
                    (Some(path), Some(values)) => Some(Condition::OneOf { path, values }),
                    (None, _) => {
                        self.err(&n.span, "`one_of` needs a `path`");
                        None
                    }
                    _ => None,
                }
            }
            (None, None, None, Some(v)) => {
                let values = self.strings(v, "not_one_of");
                match (path, values) {
                    (Some(path), Some(values)) => Some(Condition::NotOneOf { path, values }),
                    (None, _) => {
                        self.err(&n.span, "`not_one_of` needs a `path`");
                        None
                    }
                    _ => None,
                }
            }
            _ => {
                self.err(
                    &n.span,
                    "a [[skip]] rule needs exactly one of all_empty, any_empty, one_of, not_one_of",
                );
                None
            }
        };
        Some(SkipSpec { when: when?, reason: reason?, span: Some(n.span.clone()) })
    }

    fn field(&mut self, n: &Node) -> Option<FieldSpec> {
        let e = self.table(n, "a [[field]] rule")?;
        self.check_keys(e, FIELD_KEYS, "a [[field]] rule");
        let target_node = get(e, "target");
        let target = match target_node {
            Some(t) => self.string(t, "target"),
            None => {
                self.err(&n.span, "a [[field]] rule needs a `target`");
                None
            }
        };
        let mut spans = crate::spec::FieldSpans {
            whole: Some(n.span.clone()),
            target: target_node.map(|t| t.span.clone()),
            ..Default::default()
        };
        let input = match (get(e, "source"), get(e, "constant")) {
            (Some(s), None) => match &s.v {
                NV::Array(items) => {
                    spans.input = items.iter().map(|i| Some(i.span.clone())).collect();
                    self.strings(s, "source").map(Input::Paths)
                }
                _ => {
                    spans.input = vec![Some(s.span.clone())];
                    self.string(s, "source").map(Input::Path)
                }
            },
            (None, Some(c)) => {
                spans.input = vec![Some(c.span.clone())];
                self.scalar(c, "constant").map(Input::Constant)
            }
            (Some(_), Some(c)) => {
                self.err(&c.span, "a [[field]] rule has either `source` or `constant`, not both");
                None
            }
            (None, None) => {
                self.err(&n.span, "a [[field]] rule needs `source` (a path) or `constant`");
                None
            }
        };
        let mut transforms = Vec::new();
        let mut ok = true;
        if let Some(list) = get(e, "transforms") {
            for item in self.array(list, "transforms").unwrap_or(&[]) {
                match self.transform(item) {
                    Some(t) => {
                        transforms.push(t);
                        spans.transforms.push(Some(item.span.clone()));
                    }
                    None => ok = false,
                }
            }
        }
        if let Some(m) = get(e, "map") {
            if let Some(name) = self.string(m, "map") {
                transforms.push(TransformSpec::Map { map: name });
                spans.transforms.push(Some(m.span.clone()));
            }
        }
        let default = get(e, "default").and_then(|d| {
            spans.default = Some(d.span.clone());
            self.scalar(d, "default")
        });
        let mut validate = Vec::new();
        if let Some(list) = get(e, "validate") {
            for item in self.array(list, "validate").unwrap_or(&[]) {
                match self.rule(item) {
                    Some(r) => {
                        validate.push(r);
                        spans.rules.push(Some(item.span.clone()));
                    }
                    None => ok = false,
                }
            }
        }
        let create_only = get(e, "create_only").map(|c| {
            spans.create_only = Some(c.span.clone());
            self.boolean(c, "create_only").unwrap_or(false)
        });
        let keep_empty = get(e, "keep_empty").and_then(|c| self.boolean(c, "keep_empty"));
        let currency = match (get(e, "currency"), get(e, "currency_from")) {
            (Some(c), None) => {
                spans.currency = Some(c.span.clone());
                self.string(c, "currency").map(CurrencySpec::Code)
            }
            (None, Some(c)) => {
                spans.currency = Some(c.span.clone());
                self.string(c, "currency_from").map(CurrencySpec::From)
            }
            (Some(c), Some(_)) => {
                self.err(&c.span, "give either `currency` or `currency_from`, not both");
                None
            }
            (None, None) => None,
        };
        if !ok {
            return None;
        }
        let mut f = FieldSpec::path(target?, "");
        f.input = input?;
        f.transforms = transforms;
        f.default = default;
        f.validate = validate;
        f.create_only = create_only.unwrap_or(false);
        f.keep_empty = keep_empty.unwrap_or(false);
        f.currency = currency;
        f.spans = spans;
        Some(f)
    }

    fn transform(&mut self, n: &Node) -> Option<TransformSpec> {
        let (op, e): (String, &[Entry]) = match &n.v {
            NV::Str(s) => (s.clone(), &[]),
            NV::Table(e) => match get(e, "op") {
                Some(op) => (self.string(op, "op")?, e),
                None => {
                    self.err(
                        &n.span,
                        "a transform table needs `op` (such as { op = \"round\", scale = 2 })",
                    );
                    return None;
                }
            },
            other => {
                self.err(
                    &n.span,
                    format!(
                        "a transform is a name or a table with `op`, not {}",
                        other.type_name()
                    ),
                );
                return None;
            }
        };
        let params: &[&str] = match op.as_str() {
            "trim" | "upper" | "lower" | "title" | "digits_only" | "street" | "house_number" => &[],
            "concat" => &["separator"],
            "regex_extract" => &["pattern", "group"],
            "regex_replace" => &["pattern", "with"],
            "date" => &["formats", "format"],
            "number" => &["decimal", "group"],
            "round" => &["scale", "mode"],
            "add_tax" | "remove_tax" => &["rate", "rate_from"],
            "multiply" | "divide" => &["by"],
            "truncate" => &["max"],
            "map" => &["map"],
            "custom" => &["name"],
            other => {
                let known = [
                    "trim",
                    "upper",
                    "lower",
                    "title",
                    "digits_only",
                    "street",
                    "house_number",
                    "concat",
                    "regex_extract",
                    "regex_replace",
                    "date",
                    "number",
                    "round",
                    "add_tax",
                    "remove_tax",
                    "multiply",
                    "divide",
                    "truncate",
                    "map",
                    "custom",
                ];
                let hint = suggest(other, known.iter().copied())
                    .map(|s| format!("; did you mean `{s}`?"))
                    .unwrap_or_else(|| format!("; known: {}", known.join(", ")));
                self.err(&n.span, format!("unknown transform `{other}`{hint}"));
                return None;
            }
        };
        let mut allowed = vec!["op"];
        allowed.extend(params);
        self.check_keys(e, &allowed, &format!("transform `{op}`"));
        let need = |r: &mut Self, key: &str| -> Option<&Node> {
            let x = get(e, key);
            if x.is_none() {
                r.err(&n.span, format!("transform `{op}` needs `{key}`"));
            }
            x
        };
        let ch = |r: &mut Self, key: &str, default: Option<char>| -> Option<Option<char>> {
            match get(e, key) {
                None => Some(default),
                Some(x) => {
                    let s = r.string(x, key)?;
                    let mut it = s.chars();
                    match (it.next(), it.next()) {
                        (Some(c), None) => Some(Some(c)),
                        _ => {
                            r.err(
                                &x.span,
                                format!("`{key}` must be a single character, not {s:?}"),
                            );
                            None
                        }
                    }
                }
            }
        };
        Some(match op.as_str() {
            "trim" => TransformSpec::Trim,
            "upper" => TransformSpec::Upper,
            "lower" => TransformSpec::Lower,
            "title" => TransformSpec::Title,
            "digits_only" => TransformSpec::DigitsOnly,
            "street" => TransformSpec::Street,
            "house_number" => TransformSpec::HouseNumber,
            "concat" => TransformSpec::Concat {
                separator: match get(e, "separator") {
                    Some(x) => self.string(x, "separator")?,
                    None => " ".into(),
                },
            },
            "regex_extract" => {
                let pattern = need(self, "pattern").and_then(|x| self.string(x, "pattern"))?;
                let group = match get(e, "group") {
                    Some(x) => Some(self.count(x, "group")?),
                    None => None,
                };
                TransformSpec::RegexExtract { pattern, group }
            }
            "regex_replace" => {
                let pattern = need(self, "pattern").and_then(|x| self.string(x, "pattern"))?;
                let with = match get(e, "with") {
                    Some(x) => self.string(x, "with")?,
                    None => String::new(),
                };
                TransformSpec::RegexReplace { pattern, with }
            }
            "date" => TransformSpec::Date {
                formats: match get(e, "formats") {
                    Some(x) => self.strings(x, "formats")?,
                    None => Vec::new(),
                },
                format: match get(e, "format") {
                    Some(x) => Some(self.string(x, "format")?),
                    None => None,
                },
            },
            "number" => {
                let decimal = ch(self, "decimal", Some('.'))?.unwrap_or('.');
                let group = ch(self, "group", None)?;
                TransformSpec::Number { decimal, group }
            }
            "round" => {
                let scale = match get(e, "scale") {
                    Some(x) => self.count(x, "scale")?,
                    None => 2,
                };
                let mode = match get(e, "mode") {
                    None => Rounding::HalfEven,
                    Some(x) => match self.string(x, "mode")?.as_str() {
                        "half_even" | "bankers" => Rounding::HalfEven,
                        "half_up" => Rounding::HalfUp,
                        "down" => Rounding::Down,
                        "up" => Rounding::Up,
                        other => {
                            self.err(&x.span, format!("round mode must be half_even, half_up, down or up, not `{other}`"));
                            return None;
                        }
                    },
                };
                if scale > 28 {
                    self.err(&n.span, "round scale must be at most 28");
                    return None;
                }
                TransformSpec::Round { scale: scale as u32, mode }
            }
            "add_tax" | "remove_tax" => {
                let rate = match (get(e, "rate"), get(e, "rate_from")) {
                    (Some(r), None) => RateSpec::Percent(self.scalar_text(r, "rate")?),
                    (None, Some(r)) => RateSpec::From(self.string(r, "rate_from")?),
                    _ => {
                        self.err(
                            &n.span,
                            format!("transform `{op}` needs either `rate` or `rate_from`"),
                        );
                        return None;
                    }
                };
                if op == "add_tax" {
                    TransformSpec::AddTax { rate }
                } else {
                    TransformSpec::RemoveTax { rate }
                }
            }
            "multiply" | "divide" => {
                let by = need(self, "by").and_then(|x| self.scalar_text(x, "by"))?;
                if op == "multiply" {
                    TransformSpec::Multiply { by }
                } else {
                    TransformSpec::Divide { by }
                }
            }
            "truncate" => TransformSpec::Truncate {
                max: need(self, "max").and_then(|x| self.count(x, "max"))?,
            },
            "map" => {
                TransformSpec::Map { map: need(self, "map").and_then(|x| self.string(x, "map"))? }
            }
            "custom" => TransformSpec::Custom {
                name: need(self, "name").and_then(|x| self.string(x, "name"))?,
            },
            _ => unreachable!("checked above"),
        })
    }

    fn rule(&mut self, n: &Node) -> Option<RuleSpec> {
        match &n.v {
            NV::Str(s) => match s.as_str() {
                "required" => Some(RuleSpec::Required),
                "digits" => Some(RuleSpec::Digits),
                other => {
                    self.err(
                        &n.span,
                        format!("unknown rule `{other}`: use \"required\", \"digits\", or a table such as {{ max_len = 40 }}, {{ regex = \"…\" }}, {{ one_of = […] }}, {{ custom = \"name\" }}"),
                    );
                    None
                }
            },
            NV::Table(e) if e.len() == 1 => {
                let (k, _, v) = &e[0];
                match k.as_str() {
                    "regex" => self.string(v, "regex").map(RuleSpec::Regex),
                    "max_len" => self.count(v, "max_len").map(RuleSpec::MaxLen),
                    "one_of" => self.strings(v, "one_of").map(RuleSpec::OneOf),
                    "custom" => self.string(v, "custom").map(RuleSpec::Custom),
                    other => {
                        self.err(&n.span, format!("unknown rule `{other}`; known: required, digits, regex, max_len, one_of, custom"));
                        None
                    }
                }
            }
            other => {
                self.err(
                    &n.span,
                    format!("a rule is a name or a one-key table, not {}", other.type_name()),
                );
                None
            }
        }
    }
}

pub(crate) fn get<'n>(entries: &'n [Entry], key: &str) -> Option<&'n Node> {
    entries.iter().find(|e| e.0 == key).map(|e| &e.2)
}
