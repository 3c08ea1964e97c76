#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod catalog;
mod char_class;
mod compile;
mod countries;
mod coverage;
mod decimal_text;
mod document;
mod error;
mod functions;
mod in_place;
mod path;
mod plan;
mod rules;
mod spec;
mod step;
mod text;
mod transform;
mod typed;
mod value;
mod value_map;

use std::path::Path as FsPath;
use std::sync::Arc;

use connector_core::EntityKind;

pub use catalog::{Field, Resolved, Struct, Ty, entity as catalogue, resolve};
pub use coverage::{CoverageReport, Miss};
pub use document::Format;
pub use error::{FailureKind, FieldFailure, LoadError, LoadErrors, Location, RecordFailure};
pub use functions::{
    CustomTransform, Functions, Hook, Predicate, is_email, is_fi_business_id, is_gtin,
};
pub use path::{Path, Seg};
pub use plan::{Applied, MappingPlan};
pub use spec::{
    Builtin, Condition, CopyMode, CurrencySpec, EachSpec, FieldSpec, Input, MappingDocument,
    MappingSpec, RateSpec, Rounding, RuleSpec, Scalar, SkipSpec, TransformSpec, Unmapped,
    ValueMapSpec,
};
pub use step::{Mapped, MappingStep};
pub use value_map::ValueMap;

use error::SourceText;

/// Loads, checks and compiles mapping documents, with the Rust predicates and transforms
/// they may call.
#[derive(Debug, Clone, Default)]
pub struct Loader {
    functions: Functions,
}

impl Loader {
    /// A loader with the built-in predicates.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers a validation predicate (`{ custom = "<name>" }` in files).
    pub fn predicate(
        mut self,
        name: impl Into<String>,
        p: impl Fn(&str) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.functions.add_predicate(name, p);
        self
    }

    /// Registers a transform (`{ op = "custom", name = "<name>" }` in files).
    pub fn transform(
        mut self,
        name: impl Into<String>,
        t: impl Fn(&serde_json::Value) -> Result<serde_json::Value, String> + Send + Sync + 'static,
    ) -> Self {
        self.functions.add_transform(name, t);
        self
    }

    /// The registered functions.
    pub fn functions(&self) -> &Functions {
        &self.functions
    }

    /// Reads, checks and compiles a mapping file (`.json` is JSON, anything else TOML).
    /// Every problem is reported with the file, line and column.
    pub fn load_file(&self, path: impl AsRef<FsPath>) -> Result<MappingSet, LoadErrors> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| {
            LoadErrors(vec![LoadError {
                location: Location::Builder(path.display().to_string()),
                message: format!("cannot read the mapping file: {e}"),
            }])
        })?;
        self.load_str(&text, Format::from_path(path), &path.display().to_string())
    }

    /// Reads, checks and compiles a mapping document's text; `name` is used in locations.
    pub fn load_str(
        &self,
        text: &str,
        format: Format,
        name: &str,
    ) -> Result<MappingSet, LoadErrors> {
        let src = SourceText { name: name.to_string(), text: text.to_string() };
        let (doc, mut errors) = document::parse(&src, format)?;
        let mut c = compile::Compiler::new(&self.functions, Some(&src));
        let plans = c.document(&doc);
        errors.extend(c.errors);
        if errors.is_empty() {
            Ok(MappingSet::new(plans))
        } else {
            errors.sort_by_key(|e| match &e.location {
                Location::File { line, column, .. } => (*line, *column),
                Location::Builder(_) => (0, 0),
            });
            Err(LoadErrors(errors))
        }
    }

    /// Checks and compiles a document built in Rust.
    pub fn compile(&self, doc: &MappingDocument) -> Result<MappingSet, LoadErrors> {
        let mut c = compile::Compiler::new(&self.functions, None);
        let plans = c.document(doc);
        if c.errors.is_empty() { Ok(MappingSet::new(plans)) } else { Err(LoadErrors(c.errors)) }
    }

    /// Checks and compiles one mapping with value maps, built in Rust.
    pub fn compile_one(
        &self,
        maps: Vec<ValueMapSpec>,
        mapping: MappingSpec,
    ) -> Result<MappingPlan, LoadErrors> {
        let doc = MappingDocument { maps, mappings: vec![mapping] };
        let mut c = compile::Compiler::new(&self.functions, None);
        let mut plans = c.document(&doc);
        if c.errors.is_empty() { Ok(plans.remove(0)) } else { Err(LoadErrors(c.errors)) }
    }
}

/// The compiled mappings of one document.
#[derive(Debug)]
pub struct MappingSet {
    plans: Vec<MappingPlan>,
}

impl MappingSet {
    fn new(plans: Vec<MappingPlan>) -> Self {
        Self { plans }
    }

    /// The plans, in document order.
    pub fn plans(&self) -> &[MappingPlan] {
        &self.plans
    }

    /// Takes the plan named `name`.
    pub fn take(&mut self, name: &str) -> Option<MappingPlan> {
        let i = self.plans.iter().position(|p| p.name() == name)?;
        Some(self.plans.remove(i))
    }

    /// Takes the one plan from `kind` to `kind` (what a flow of `kind` runs). Several such
    /// plans must be told apart by name.
    pub fn take_for(&mut self, kind: EntityKind) -> Result<MappingPlan, String> {
        let hits: Vec<usize> = (0..self.plans.len())
            .filter(|&i| self.plans[i].source() == kind && self.plans[i].target() == kind)
            .collect();
        match hits.as_slice() {
            [i] => Ok(self.plans.remove(*i)),
            [] => Err(format!(
                "no mapping from {kind} to {kind}; the document has: {}",
                self.plans
                    .iter()
                    .map(|p| format!("{} ({} → {})", p.name(), p.source(), p.target()))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            _ => Err(format!(
                "several mappings from {kind} to {kind} ({}): pick one with `#<name>`",
                hits.iter().map(|&i| self.plans[i].name()).collect::<Vec<_>>().join(", ")
            )),
        }
    }

    /// Every plan, shareable.
    pub fn into_arcs(self) -> Vec<Arc<MappingPlan>> {
        self.plans.into_iter().map(Arc::new).collect()
    }
}
