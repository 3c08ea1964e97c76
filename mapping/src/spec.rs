//! A mapping as data, before it is checked and compiled: what a mapping file reads into, and
//! what the Rust builder API writes. [`crate::Loader::compile`] turns it into plans.

use std::ops::Range;

use connector_core::EntityKind;

/// A byte range in the mapping file, when the spec came from one.
pub(crate) type Span = Option<Range<usize>>;

/// A whole mapping document: shared value maps and one or more entity-pair mappings.
#[derive(Debug, Clone, Default)]
pub struct MappingDocument {
    /// Value maps, shared by every mapping of the document.
    pub maps: Vec<ValueMapSpec>,
    /// The mappings, one per entity pair (or several per pair, told apart by name).
    pub mappings: Vec<MappingSpec>,
}

impl MappingDocument {
    /// An empty document.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a value map.
    pub fn map(mut self, map: ValueMapSpec) -> Self {
        self.maps.push(map);
        self
    }

    /// Adds a mapping.
    pub fn mapping(mut self, mapping: MappingSpec) -> Self {
        self.mappings.push(mapping);
        self
    }
}

/// Where the target record starts from before the rules run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyMode {
    /// A copy of the source record: rules adjust it. The default when source and target are
    /// the same entity.
    Source,
    /// An empty record carrying only the source's identity (`meta.refs`, `meta.lifecycle`,
    /// `meta.created_at`, `meta.updated_at`): only mapped fields are set. The default when
    /// the entities differ.
    Empty,
}

/// One entity-pair mapping.
#[derive(Debug, Clone)]
pub struct MappingSpec {
    /// A name (defaults to `<source>-to-<target>`).
    pub name: Option<String>,
    /// The entity read.
    pub source: EntityKind,
    /// The entity written.
    pub target: EntityKind,
    /// Where the target starts from; `None` picks by entity (see [`CopyMode`]).
    pub copy: Option<CopyMode>,
    /// Whether the mapping lets records through; a switched-off mapping skips every record
    /// (an integration's on/off switch).
    pub enabled: bool,
    /// Skip rules: records matching one are dropped with its reason.
    pub skip: Vec<SkipSpec>,
    /// Field rules, applied in order (a later rule may overwrite an earlier one's field).
    pub fields: Vec<FieldSpec>,
    /// Rules for each element of a list (document lines).
    pub each: Vec<EachSpec>,
    /// When set, an update sends only these top-level fields (plus the fields the model
    /// requires and `meta`); create-only fields are left out of updates in any case.
    pub update_fields: Option<Vec<String>>,
    pub(crate) span: Span,
    pub(crate) update_fields_span: Span,
}

impl MappingSpec {
    /// A mapping from `source` to `target`, enabled, with no rules.
    pub fn new(source: EntityKind, target: EntityKind) -> Self {
        Self {
            name: None,
            source,
            target,
            copy: None,
            enabled: true,
            skip: Vec::new(),
            fields: Vec::new(),
            each: Vec::new(),
            update_fields: None,
            span: None,
            update_fields_span: None,
        }
    }

    /// Names the mapping.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Sets where the target starts from.
    pub fn copy(mut self, copy: CopyMode) -> Self {
        self.copy = Some(copy);
        self
    }

    /// Switches the mapping on or off.
    pub fn enabled(mut self, on: bool) -> Self {
        self.enabled = on;
        self
    }

    /// Adds a field rule.
    pub fn field(mut self, field: FieldSpec) -> Self {
        self.fields.push(field);
        self
    }

    /// Adds per-element rules for a list.
    pub fn each(mut self, each: EachSpec) -> Self {
        self.each.push(each);
        self
    }

    /// Drops records matching `when`, with `reason`.
    pub fn skip_when(mut self, when: Condition, reason: impl Into<String>) -> Self {
        self.skip.push(SkipSpec { when, reason: reason.into(), span: None });
        self
    }

    /// Restricts updates to these top-level fields.
    pub fn update_fields<I: IntoIterator<Item = S>, S: Into<String>>(mut self, fields: I) -> Self {
        self.update_fields = Some(fields.into_iter().map(Into::into).collect());
        self
    }

    /// The mapping's name: the given one or `<source>-to-<target>`.
    pub fn display_name(&self) -> String {
        self.name.clone().unwrap_or_else(|| format!("{}-to-{}", self.source, self.target))
    }
}

/// Rules for each element of a source list, written to a target list of the same length.
#[derive(Debug, Clone)]
pub struct EachSpec {
    /// The source list (`lines`).
    pub source: String,
    /// The target list (`lines`).
    pub target: String,
    /// Where each target element starts from (default: the mapping's mode).
    pub copy: Option<CopyMode>,
    /// Rules with paths relative to the element (`/path` reads the record's root).
    pub fields: Vec<FieldSpec>,
    pub(crate) span: Span,
    pub(crate) source_span: Span,
    pub(crate) target_span: Span,
}

impl EachSpec {
    /// Rules for each element of `source`, written to `target`.
    pub fn new(source: impl Into<String>, target: impl Into<String>) -> Self {
        Self {
            source: source.into(),
            target: target.into(),
            copy: None,
            fields: Vec::new(),
            span: None,
            source_span: None,
            target_span: None,
        }
    }

    /// Sets where each element starts from.
    pub fn copy(mut self, copy: CopyMode) -> Self {
        self.copy = Some(copy);
        self
    }

    /// Adds a rule.
    pub fn field(mut self, field: FieldSpec) -> Self {
        self.fields.push(field);
        self
    }
}

/// A literal in a mapping: a constant, a default, a value to compare with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scalar {
    /// Text.
    Text(String),
    /// A number, exactly as written (`25.5`).
    Number(String),
    /// Yes or no.
    Bool(bool),
}

impl From<&str> for Scalar {
    fn from(s: &str) -> Self {
        Scalar::Text(s.to_string())
    }
}

impl From<String> for Scalar {
    fn from(s: String) -> Self {
        Scalar::Text(s)
    }
}

impl From<bool> for Scalar {
    fn from(b: bool) -> Self {
        Scalar::Bool(b)
    }
}

impl From<i64> for Scalar {
    fn from(n: i64) -> Self {
        Scalar::Number(n.to_string())
    }
}

impl From<rust_decimal::Decimal> for Scalar {
    fn from(d: rust_decimal::Decimal) -> Self {
        Scalar::Number(d.to_string())
    }
}

/// Where a field's value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// One source path.
    Path(String),
    /// Several source paths, giving a list (join them with [`TransformSpec::Concat`]).
    Paths(Vec<String>),
    /// A constant.
    Constant(Scalar),
}

/// Where a Money field's currency comes from when the value is a plain number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CurrencySpec {
    /// A fixed code.
    Code(String),
    /// A source path (`currency`, `/currency` from a line).
    From(String),
}

/// One target field and how it is filled.
#[derive(Debug, Clone)]
pub struct FieldSpec {
    /// The target path (`name`, `addresses[0].street_number`, `meta.custom.rep`).
    pub target: String,
    /// The source of the value.
    pub input: Input,
    /// Transforms, applied in order.
    pub transforms: Vec<TransformSpec>,
    /// The value when the result is missing or empty (after the transforms).
    pub default: Option<Scalar>,
    /// Validation rules on the final value.
    pub validate: Vec<RuleSpec>,
    /// Sent on create, left out of updates.
    pub create_only: bool,
    /// Write an empty result as empty instead of leaving the target field alone.
    pub keep_empty: bool,
    /// The currency of a Money target filled from a plain number.
    pub currency: Option<CurrencySpec>,
    pub(crate) spans: FieldSpans,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct FieldSpans {
    pub whole: Span,
    pub target: Span,
    pub input: Vec<Span>,
    pub transforms: Vec<Span>,
    pub default: Span,
    pub rules: Vec<Span>,
    pub currency: Span,
    pub create_only: Span,
}

impl FieldSpec {
    fn with_input(target: impl Into<String>, input: Input) -> Self {
        Self {
            target: target.into(),
            input,
            transforms: Vec::new(),
            default: None,
            validate: Vec::new(),
            create_only: false,
            keep_empty: false,
            currency: None,
            spans: FieldSpans::default(),
        }
    }

    /// `target` ← the source path `source`.
    pub fn path(target: impl Into<String>, source: impl Into<String>) -> Self {
        Self::with_input(target, Input::Path(source.into()))
    }

    /// `target` ← several source paths (a list; join with [`TransformSpec::Concat`]).
    pub fn paths<I: IntoIterator<Item = S>, S: Into<String>>(
        target: impl Into<String>,
        sources: I,
    ) -> Self {
        Self::with_input(target, Input::Paths(sources.into_iter().map(Into::into).collect()))
    }

    /// `target` ← a constant.
    pub fn constant(target: impl Into<String>, value: impl Into<Scalar>) -> Self {
        Self::with_input(target, Input::Constant(value.into()))
    }

    /// Appends a transform.
    pub fn transform(mut self, t: TransformSpec) -> Self {
        self.transforms.push(t);
        self
    }

    /// Translates the value through a value map (a transform appended at this point).
    pub fn map(self, map: impl Into<String>) -> Self {
        self.transform(TransformSpec::Map { map: map.into() })
    }

    /// Sets the default.
    pub fn default_value(mut self, value: impl Into<Scalar>) -> Self {
        self.default = Some(value.into());
        self
    }

    /// Adds a validation rule.
    pub fn validate(mut self, rule: RuleSpec) -> Self {
        self.validate.push(rule);
        self
    }

    /// Marks the field create-only.
    pub fn create_only(mut self) -> Self {
        self.create_only = true;
        self
    }

    /// Writes empty results instead of leaving the field alone.
    pub fn keep_empty(mut self) -> Self {
        self.keep_empty = true;
        self
    }

    /// Sets the currency of a Money target.
    pub fn currency(mut self, c: CurrencySpec) -> Self {
        self.currency = Some(c);
        self
    }
}

/// Rounding of decimals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rounding {
    /// Half to even (banker's rounding): 2.345 → 2.34, 2.355 → 2.36.
    HalfEven,
    /// Half away from zero (commercial rounding): 2.345 → 2.35.
    HalfUp,
    /// Towards zero.
    Down,
    /// Away from zero.
    Up,
}

/// A tax rate for price conversion: fixed or read from the record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RateSpec {
    /// A fixed percentage (`24`, `25.5`).
    Percent(String),
    /// A source path holding the percentage.
    From(String),
}

/// One step of a field's transform chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransformSpec {
    /// Trims white space.
    Trim,
    /// Upper case.
    Upper,
    /// Lower case.
    Lower,
    /// Title Case (first letter of each word upper, the rest lower).
    Title,
    /// Keeps only the digits.
    DigitsOnly,
    /// The street of "Hoofdstraat 12a" or "12 Main St" (`Hoofdstraat`, `Main St`).
    Street,
    /// The house number of "Hoofdstraat 12a" or "12 Main St" (`12a`, `12`).
    HouseNumber,
    /// Joins a list (several source paths, or a list field) with a separator, skipping
    /// empty parts.
    Concat {
        /// The separator.
        separator: String,
    },
    /// The first match of a regex (or one of its groups); no match gives nothing.
    RegexExtract {
        /// The pattern.
        pattern: String,
        /// The capture group (0 = the whole match); default: 1 when the pattern has a
        /// group, else 0.
        group: Option<usize>,
    },
    /// Replaces every match (`$1` refers to groups).
    RegexReplace {
        /// The pattern.
        pattern: String,
        /// The replacement.
        with: String,
    },
    /// Parses a date with the first matching format (chrono `strftime` syntax; ISO dates and
    /// RFC 3339 instants are always understood); with `format`, writes it back as text.
    Date {
        /// Input formats (`%d-%m-%Y`).
        formats: Vec<String>,
        /// Output format; `None` gives an ISO date.
        format: Option<String>,
    },
    /// Parses a number written with a decimal comma or grouping (`1.234,56`).
    Number {
        /// The decimal separator.
        decimal: char,
        /// The grouping separator, removed.
        group: Option<char>,
    },
    /// Rounds to `scale` decimals and writes exactly that many (12.5 → 12.50).
    Round {
        /// Decimals.
        scale: u32,
        /// How halves round.
        mode: Rounding,
    },
    /// Net → gross: multiplies by (1 + rate/100).
    AddTax {
        /// The rate.
        rate: RateSpec,
    },
    /// Gross → net: divides by (1 + rate/100).
    RemoveTax {
        /// The rate.
        rate: RateSpec,
    },
    /// Multiplies (unit conversion: `by = "1000"` for kg → g).
    Multiply {
        /// The factor, exact.
        by: String,
    },
    /// Divides (unit conversion).
    Divide {
        /// The divisor, exact, not zero.
        by: String,
    },
    /// Keeps at most `max` characters.
    Truncate {
        /// Characters kept.
        max: usize,
    },
    /// Translates through a value map.
    Map {
        /// The map's name.
        map: String,
    },
    /// A transform registered in Rust under a name.
    Custom {
        /// The registered name.
        name: String,
    },
}

impl TransformSpec {
    /// The transform's name in mapping files.
    pub fn op(&self) -> &'static str {
        match self {
            TransformSpec::Trim => "trim",
            TransformSpec::Upper => "upper",
            TransformSpec::Lower => "lower",
            TransformSpec::Title => "title",
            TransformSpec::DigitsOnly => "digits_only",
            TransformSpec::Street => "street",
            TransformSpec::HouseNumber => "house_number",
            TransformSpec::Concat { .. } => "concat",
            TransformSpec::RegexExtract { .. } => "regex_extract",
            TransformSpec::RegexReplace { .. } => "regex_replace",
            TransformSpec::Date { .. } => "date",
            TransformSpec::Number { .. } => "number",
            TransformSpec::Round { .. } => "round",
            TransformSpec::AddTax { .. } => "add_tax",
            TransformSpec::RemoveTax { .. } => "remove_tax",
            TransformSpec::Multiply { .. } => "multiply",
            TransformSpec::Divide { .. } => "divide",
            TransformSpec::Truncate { .. } => "truncate",
            TransformSpec::Map { .. } => "map",
            TransformSpec::Custom { .. } => "custom",
        }
    }
}

/// A validation rule on a field's final value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleSpec {
    /// The value must be present and not blank.
    Required,
    /// The value must match the pattern (anchor it with `^…$` for a full match).
    Regex(String),
    /// Only the digits 0-9.
    Digits,
    /// At most this many characters.
    MaxLen(usize),
    /// One of these values.
    OneOf(Vec<String>),
    /// A predicate registered in Rust under a name (built in: `email`, `gtin`,
    /// `fi_business_id`).
    Custom(String),
}

impl RuleSpec {
    /// The rule's name in messages and files.
    pub fn name(&self) -> String {
        match self {
            RuleSpec::Required => "required".into(),
            RuleSpec::Regex(_) => "regex".into(),
            RuleSpec::Digits => "digits".into(),
            RuleSpec::MaxLen(n) => format!("max_len {n}"),
            RuleSpec::OneOf(_) => "one_of".into(),
            RuleSpec::Custom(n) => n.clone(),
        }
    }
}

/// When to drop a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    /// Every path is missing or blank ("rows without name and code are dropped").
    AllEmpty(Vec<String>),
    /// At least one path is missing or blank.
    AnyEmpty(Vec<String>),
    /// The path's value (as text) is one of these.
    OneOf {
        /// The source path.
        path: String,
        /// The values.
        values: Vec<String>,
    },
    /// The path's value (as text) is none of these (a missing value is none of them).
    NotOneOf {
        /// The source path.
        path: String,
        /// The values.
        values: Vec<String>,
    },
}

/// A skip rule.
#[derive(Debug, Clone)]
pub struct SkipSpec {
    /// When.
    pub when: Condition,
    /// Why (shown in the run report).
    pub reason: String,
    pub(crate) span: Span,
}

/// What a value map does with a value it has no entry for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unmapped {
    /// The record fails (and the engine quarantines it as invalid).
    Fail,
    /// This value is used instead.
    Default(String),
    /// The record is held in quarantine until the map is fixed, then replayed.
    Quarantine,
    /// The value goes through unchanged.
    Pass,
}

impl Unmapped {
    /// As written in files (`fail`, `quarantine`, `pass`, `default "x"`).
    pub fn describe(&self) -> String {
        match self {
            Unmapped::Fail => "fail".into(),
            Unmapped::Quarantine => "quarantine".into(),
            Unmapped::Pass => "pass".into(),
            Unmapped::Default(d) => format!("default {d:?}"),
        }
    }
}

/// A built-in table a value map starts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Builtin {
    /// ISO 3166-1 alpha-2 → English short name (`FI` → `Finland`).
    CountryIsoToName,
    /// ISO 3166-1 alpha-2 → enum-style name (`FI` → `FINLAND`), as Procountor spells countries.
    CountryIsoToEnum,
    /// A country name in any spelling (`Finland`, `FINLAND`) or an alpha-2 code → alpha-2.
    CountryToIso,
}

impl Builtin {
    /// The name used in files.
    pub fn as_str(self) -> &'static str {
        match self {
            Builtin::CountryIsoToName => "country-iso-to-name",
            Builtin::CountryIsoToEnum => "country-iso-to-enum",
            Builtin::CountryToIso => "country-to-iso",
        }
    }

    /// Every built-in table.
    pub const ALL: [Builtin; 3] =
        [Builtin::CountryIsoToName, Builtin::CountryIsoToEnum, Builtin::CountryToIso];
}

/// A value map.
#[derive(Debug, Clone)]
pub struct ValueMapSpec {
    /// Its name, referred to by `map` transforms.
    pub name: String,
    /// Entries (from → to); they override a built-in table's.
    pub entries: Vec<(String, String)>,
    /// The policy for values without an entry.
    pub unmapped: Unmapped,
    /// Compare keys without regard to case.
    pub ignore_case: bool,
    /// A built-in table to start from.
    pub builtin: Option<Builtin>,
    pub(crate) span: Span,
}

impl ValueMapSpec {
    /// An empty map whose misses fail.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            entries: Vec::new(),
            unmapped: Unmapped::Fail,
            ignore_case: false,
            builtin: None,
            span: None,
        }
    }

    /// Adds an entry.
    pub fn entry(mut self, from: impl Into<String>, to: impl Into<String>) -> Self {
        self.entries.push((from.into(), to.into()));
        self
    }

    /// Sets the policy for values without an entry.
    pub fn unmapped(mut self, policy: Unmapped) -> Self {
        self.unmapped = policy;
        self
    }

    /// Compares keys without regard to case.
    pub fn ignore_case(mut self, on: bool) -> Self {
        self.ignore_case = on;
        self
    }

    /// Starts from a built-in table.
    pub fn builtin(mut self, b: Builtin) -> Self {
        self.builtin = Some(b);
        self
    }
}
