//! The typed lane: a customers → customers (or products → products) plan whose every path
//! names a field the lane knows ([`CustomerField`], [`ProductField`]) runs on the struct
//! itself, with no JSON in between. The flow's mapping step otherwise serialises each record,
//! maps its JSON in place and deserialises the result; here each rule reads and writes its
//! field directly, with the same transforms, defaults, validations and value maps
//! (`Rule::finish`), in the in-place order.
//!
//! The result is the JSON path's: a field reads as its path reads on the record's JSON, and a
//! write does what the JSON write followed by deserialising does (see `fields`). A record
//! the JSON path would map but not deserialise fails here as well, as not fitting the model.

mod customer;
mod fields;
mod product;

use std::any::Any;
use std::borrow::Cow;

use connector_core::EntityKind;
use connector_core::model::{CustomField, Customer, Product};
use serde_json::Value;

use crate::error::{FieldFailure, RecordFailure};
use crate::in_place::Step;
use crate::plan::{Cond, CurrencySrc, Final, In, MappingPlan, Out, Prefix, Rule};
use crate::text::is_blank;
use crate::transform::{Ctx, Rate, T};
use crate::value::V;
use customer::CustomerField;
use fields::{Fields, Place, Put, TextSlot, Unfit};
use product::ProductField;

/// A plan compiled for the typed lane, for its entity.
#[derive(Debug)]
pub(crate) enum Typed {
    /// Customers.
    Customer(Lane<CustomerField>),
    /// Products.
    Product(Lane<ProductField>),
}

impl Typed {
    /// The lane for a plan that maps an entity the lane knows to itself and applies in place
    /// (no hooks: [`MappingPlan::with_hook`] drops the lane), when every rule and skip
    /// condition names fields it knows.
    pub(crate) fn build(plan: &MappingPlan) -> Option<Typed> {
        if plan.source != plan.target {
            return None;
        }
        match plan.source {
            EntityKind::Customer => Lane::build(plan).map(Typed::Customer),
            EntityKind::Product => Lane::build(plan).map(Typed::Product),
            _ => None,
        }
    }

    /// Maps `record` when it is of the lane's entity (`None` otherwise).
    fn apply(
        &self,
        plan: &MappingPlan,
        record: &mut dyn Any,
    ) -> Option<Result<Option<String>, Failed>> {
        match self {
            Typed::Customer(lane) => Some(lane.apply(plan, record.downcast_mut::<Customer>()?)),
            Typed::Product(lane) => Some(lane.apply(plan, record.downcast_mut::<Product>()?)),
        }
    }
}

/// A plan compiled for the typed lane on the fields `F`.
#[derive(Debug)]
pub(crate) struct Lane<F> {
    skips: Vec<Cond<F>>,
    steps: Vec<TypedStep<F>>,
}

/// One rule of the lane, in the in-place order.
#[derive(Debug)]
struct TypedStep<F> {
    rule: usize,
    input: Input<F>,
    target: F,
    /// The rule only does fixed amount arithmetic on the Money it reads and writes.
    amounts: bool,
    /// The rule only runs text transforms on its own text field, without a default, and
    /// writes text: the text is changed where it is.
    text: bool,
    /// The default as a custom field, when it is one and the same for every record.
    default_custom: Option<CustomField>,
}

/// Where a typed rule's value comes from.
#[derive(Debug)]
enum Input<F> {
    /// Its own target, which it reads and nothing else.
    Own,
    /// Another field.
    One(F),
    /// Several fields, as a list.
    Many(Vec<F>),
    /// The rule's constant.
    Const,
}

/// How mapping a typed record can fail.
pub(crate) enum Failed {
    /// Rules refused values (as [`MappingPlan::apply`] reports them).
    Rules(RecordFailure),
    /// The mapped record would not fit the model (as deserialising it would report).
    Unfit(Unfit),
}

/// Whether the rule reads anything besides its input (a tax rate or currency from a path):
/// such reads go through the record's JSON.
fn reads_elsewhere(rule: &Rule) -> bool {
    matches!(rule.out, Out::Money(Some(CurrencySrc::From(_))))
        || rule
            .transforms
            .iter()
            .any(|t| matches!(t, T::AddTax(Rate::From(_)) | T::RemoveTax(Rate::From(_))))
}

impl<F: Fields> Lane<F> {
    /// The lane for a plan, when every rule and skip condition names known fields.
    fn build(plan: &MappingPlan) -> Option<Lane<F>> {
        let order = plan.in_place.as_ref()?;
        if !plan.applies_in_place() {
            return None;
        }
        let skips = plan
            .skips
            .iter()
            .map(|s| s.when.try_map(|p| F::parse(&p.segs)))
            .collect::<Option<Vec<_>>>()?;
        let steps = order
            .iter()
            .map(|s| TypedStep::build(&plan.rules[s.rule], s))
            .collect::<Option<Vec<_>>>()?;
        if could_repair(&steps) {
            return None;
        }
        Some(Lane { skips, steps })
    }

    /// Maps a record in place; `Ok(Some(reason))` when a skip rule holds. On failure the
    /// record is left part-mapped.
    fn apply(&self, plan: &MappingPlan, c: &mut F::Record) -> Result<Option<String>, Failed> {
        for (cond, skip) in self.skips.iter().zip(&plan.skips) {
            if cond.holds_by(|leaf| leaf.read(c)) {
                return Ok(Some(skip.reason.clone()));
            }
        }
        let mut failures: Vec<(usize, FieldFailure)> = Vec::new();
        let mut pending = Vec::new();
        let mut unfit = None;
        for step in &self.steps {
            if let Err(why) = step.run(&plan.rules[step.rule], c, &mut pending) {
                unfit.get_or_insert(why);
            }
            if !pending.is_empty() {
                failures.extend(pending.drain(..).map(|f| (step.rule, f)));
            }
        }
        if !failures.is_empty() {
            // In rule order, as `apply` reports them.
            failures.sort_by_key(|(i, _)| *i);
            let failures = failures.into_iter().map(|(_, f)| f).collect();
            return Err(Failed::Rules(RecordFailure { failures }));
        }
        match unfit {
            Some(why) => Err(Failed::Unfit(why)),
            None => Ok(None),
        }
    }
}

impl<F: Fields> TypedStep<F> {
    fn build(rule: &Rule, step: &Step) -> Option<TypedStep<F>> {
        if reads_elsewhere(rule) {
            return None;
        }
        let target =
            F::parse(&rule.target.segs).filter(|t| !matches!(t.place(), Place::CustomValue(_)))?;
        let input = match &rule.input {
            In::Path(_) if step.own_slot => Input::Own,
            In::Path(p) => Input::One(F::parse(&p.segs)?),
            In::Paths(ps) => {
                Input::Many(ps.iter().map(|p| F::parse(&p.segs)).collect::<Option<_>>()?)
            }
            In::Const(_) => Input::Const,
        };
        let default_custom = match (target.place(), &rule.default_json) {
            (Place::Custom(_), Some(json)) => serde_json::from_value(json.clone()).ok(),
            _ => None,
        };
        let amounts = step.amounts && matches!(target.place(), Place::Money);
        let text = matches!(input, Input::Own)
            && target.is_text()
            && !rule.transforms.is_empty()
            && rule.transforms.iter().all(T::is_text_op)
            && rule.default.is_none()
            && !rule.keep_empty
            && matches!(rule.out, Out::Text | Out::Any);
        Some(TypedStep { rule: step.rule, input, target, amounts, text, default_custom })
    }

    /// Runs the rule on the record; the failures of its values are pushed.
    fn run(
        &self,
        rule: &Rule,
        c: &mut F::Record,
        failures: &mut Vec<FieldFailure>,
    ) -> Result<(), Unfit> {
        // The rule reads nothing but its input: the JSON context is never consulted.
        static NOTHING: Value = Value::Null;
        let alone = Ctx::new(&NOTHING, &NOTHING);
        if self.amounts && self.target.money(c).is_some_and(|m| amounts_in_place(rule, m)) {
            return Ok(());
        }
        if self.text {
            match self.target.text_slot(c) {
                TextSlot::Text(s) => {
                    // As `Rule::finish` on the text moved out of its field, without the move.
                    rule.text_ops(s);
                    let empty = is_blank(s);
                    if !rule.rules.is_empty() {
                        let v = if s.is_empty() { V::Absent } else { V::Text(Cow::Borrowed(s)) };
                        if !rule.validate(&v, empty, Prefix(None), failures) {
                            return Ok(());
                        }
                    }
                    if !empty {
                        return Ok(());
                    }
                    // Never overwrite with empty.
                    return self.target.write(c, Put::Remove);
                }
                // Nothing to change and nothing to remove; the validations see nothing.
                TextSlot::Absent => {
                    rule.validate(&V::Absent, true, Prefix(None), failures);
                    return Ok(());
                }
                TextSlot::Elsewhere => {}
            }
        }
        let put = match &self.input {
            Input::Own => {
                let v = self.target.take(c);
                self.put(rule, rule.finish(v, &alone, Prefix(None), failures), &alone, failures)
            }
            Input::One(leaf) => {
                let v = leaf.read(c);
                self.put(rule, rule.finish(v, &alone, Prefix(None), failures), &alone, failures)
            }
            Input::Many(leaves) => {
                let v = V::List(leaves.iter().map(|l| l.read(c)).collect());
                self.put(rule, rule.finish(v, &alone, Prefix(None), failures), &alone, failures)
            }
            Input::Const => {
                self.put(rule, rule.value(&alone, Prefix(None), failures), &alone, failures)
            }
        };
        self.target.write(c, put)
    }

    /// What to write for the rule's result (`None`: the rule failed), decided as the JSON
    /// path decides it.
    fn put<'a>(
        &self,
        rule: &'a Rule,
        result: Option<Final<'a>>,
        ctx: &Ctx<'a>,
        failures: &mut Vec<FieldFailure>,
    ) -> Put {
        match result {
            None => Put::Nothing,
            Some(Final::Default(json)) => match (&self.default_custom, json) {
                (Some(field), _) => Put::Custom(field.clone()),
                (None, Value::String(s)) => Put::Text(s.clone()),
                (None, json) => Put::Json(json.clone()),
            },
            Some(Final::Empty) if rule.keep_empty => Put::Json(rule.out.empty()),
            // Never overwrite with empty.
            Some(Final::Empty) => Put::Remove,
            Some(Final::Value(v)) => match (&rule.out, v) {
                (Out::Text | Out::Any, V::Text(s)) => Put::Text(s.into_owned()),
                (out, v) => match out.convert(&v, ctx) {
                    Ok(json) => Put::Json(json),
                    Err(message) => {
                        failures.push(rule.type_failure(&v, Prefix(None), message));
                        Put::Nothing
                    }
                },
            },
        }
    }
}

/// Whether a rule writes where an earlier one may have left the record unfit: the same field,
/// or an element of a list before one an earlier rule wrote (an e-mail address: the JSON
/// write leaves a gap there). The lane reports the first write the model cannot hold, while
/// the JSON route deserialises once, after every rule, so a later rule could still mend it:
/// such plans take the JSON route.
fn could_repair<F: Fields>(steps: &[TypedStep<F>]) -> bool {
    steps.iter().enumerate().any(|(k, later)| {
        steps[..k].iter().any(|earlier| {
            let before = match (earlier.target.list_element(), later.target.list_element()) {
                (Some((a, i)), Some((b, j))) => a == b && j < i,
                _ => false,
            };
            earlier.target == later.target || before
        })
    })
}

/// Applies the rule's amount arithmetic to a Money field's amount; `false`, with nothing
/// changed, when there is none or the arithmetic fails (the general path then says why).
fn amounts_in_place(rule: &Rule, money: &mut Option<connector_core::model::Money>) -> bool {
    let Some(money) = money else { return false };
    let mut d = money.amount;
    for t in &rule.transforms {
        match t.fixed_amount(d) {
            Some(Some(x)) => d = x,
            _ => return false,
        }
    }
    money.amount = d;
    true
}

impl MappingPlan {
    /// Maps a record on the struct itself (`Ok(Some(reason))`: skipped), when the plan has a
    /// typed lane for the record's entity; `None` otherwise (the caller goes through JSON).
    pub(crate) fn apply_on_struct(
        &self,
        record: &mut dyn Any,
    ) -> Option<Result<Option<String>, Failed>> {
        self.typed.as_ref()?.apply(self, record)
    }
}
