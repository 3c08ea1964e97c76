//! The flow engine's mapping step: a [`MappingPlan`] as a `Step<E>`, and the
//! `prepare_update` closure that keeps create-only fields out of updates.

use std::any::Any;
use std::marker::PhantomData;
use std::sync::Arc;

use connector_core::flow::{PrepareUpdateFn, Step, StepContext, StepOutcome};
use connector_core::reexports::async_trait;
use connector_core::{Entity, EntityKind, Error};

use crate::plan::{Applied, MappingPlan};
use crate::typed::Failed;

/// A mapping as a flow step for records of `E` (source and target entity both `E`).
pub struct MappingStep<E> {
    plan: Arc<MappingPlan>,
    name: String,
    _e: PhantomData<fn(E) -> E>,
}

impl<E> std::fmt::Debug for MappingStep<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MappingStep").field("plan", &self.plan.name()).finish()
    }
}

impl<E: Entity> MappingStep<E> {
    /// The step for `plan`; the plan must read and write `E`.
    pub fn new(plan: Arc<MappingPlan>) -> Result<Self, Error> {
        if plan.source() != E::KIND || plan.target() != E::KIND {
            return Err(Error::config(format!(
                "mapping `{}` maps {} to {}; a flow step needs {} to {}",
                plan.name(),
                plan.source(),
                plan.target(),
                E::KIND,
                E::KIND
            )));
        }
        let name = format!("mapping {}", plan.name());
        Ok(Self { plan, name, _e: PhantomData })
    }

    fn run(&self, record: E, ctx: &StepContext) -> StepOutcome<E> {
        match self.plan.apply_entity(record, &ctx.key) {
            Ok(Mapped::Record(mapped)) => StepOutcome::Continue(mapped),
            Ok(Mapped::Skip(reason)) => StepOutcome::Skip { reason, target_id: None },
            Err(e) => StepOutcome::Fail(e),
        }
    }
}

#[async_trait]
impl<E: Entity> Step<E> for MappingStep<E> {
    fn name(&self) -> &str {
        &self.name
    }

    async fn apply(&self, record: E, ctx: &StepContext) -> StepOutcome<E> {
        self.run(record, ctx)
    }
}

/// What mapping a typed record gave.
#[derive(Debug, Clone, PartialEq)]
pub enum Mapped<E> {
    /// The mapped record.
    Record(E),
    /// The record is dropped on purpose, for this reason.
    Skip(String),
}

/// The error of a mapped record that its model cannot hold.
fn unfit(kind: EntityKind, why: impl std::fmt::Display, key: &str) -> Error {
    Error::invalid_field(kind.as_str(), format!("the mapped record does not fit the model: {why}"))
        .with_record(key.to_string())
}

impl MappingPlan {
    /// Maps a record to a record of the same entity: what the flow's mapping step runs.
    /// `key` names the record in errors. A customer or product is mapped on the struct itself
    /// when every path of the plan names a field the typed lane knows ([`maps_typed`]); any
    /// other record goes through its JSON form ([`MappingPlan::apply_owned`]) and back. Both
    /// give the same record.
    ///
    /// [`maps_typed`]: MappingPlan::maps_typed
    pub fn apply_entity<E: Entity>(&self, mut record: E, key: &str) -> Result<Mapped<E>, Error> {
        if self.source != E::KIND || self.target != E::KIND {
            return Err(Error::config(format!(
                "mapping `{}` maps {} to {}, not {} to {}",
                self.name,
                self.source,
                self.target,
                E::KIND,
                E::KIND
            )));
        }
        match self.apply_on_struct(&mut record as &mut dyn Any) {
            Some(Ok(None)) => return Ok(Mapped::Record(record)),
            Some(Ok(Some(reason))) => return Ok(Mapped::Skip(reason)),
            Some(Err(Failed::Rules(failure))) => return Err(failure.to_error(key)),
            Some(Err(Failed::Unfit(why))) => return Err(unfit(E::KIND, why, key)),
            None => {}
        }
        let source = serde_json::to_value(&record)
            .map_err(|e| Error::internal(format!("cannot serialise the record: {e}")))?;
        match self.apply_owned(source) {
            Ok(Applied::Record(v)) => serde_json::from_value::<E>(v)
                .map(Mapped::Record)
                .map_err(|e| unfit(E::KIND, e, key)),
            Ok(Applied::Skip(reason)) => Ok(Mapped::Skip(reason)),
            Err(failure) => Err(failure.to_error(key)),
        }
    }

    /// Whether [`MappingPlan::apply_entity`] maps records on the struct itself (the typed
    /// lane: customers → customers or products → products, with paths to fields it knows).
    pub fn maps_typed(&self) -> bool {
        self.typed.is_some()
    }

    /// This plan as a flow step for `E` (`Arc<MappingPlan>` so one plan serves many flows).
    pub fn step<E: Entity>(self: &Arc<Self>) -> Result<Arc<dyn Step<E>>, Error> {
        Ok(Arc::new(MappingStep::<E>::new(Arc::clone(self))?))
    }

    /// The engine's `prepare_update` for this plan: leaves create-only fields (and, with
    /// `update_fields`, every other optional field) out of updates. `None` when the plan has
    /// nothing to leave out. A record that would no longer fit the model is sent unchanged.
    pub fn prepare_update<E: Entity>(self: &Arc<Self>) -> Option<PrepareUpdateFn<E>> {
        if !self.strips_updates() {
            return None;
        }
        let plan = Arc::clone(self);
        Some(Arc::new(move |record: &mut E| {
            let Ok(mut v) = serde_json::to_value(&*record) else { return };
            plan.strip_for_update(&mut v);
            if let Ok(stripped) = serde_json::from_value::<E>(v) {
                *record = stripped;
            }
        }))
    }
}
