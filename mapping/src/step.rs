//! The flow engine's mapping step: a [`MappingPlan`] as a `Step<E>`, and the
//! `prepare_update` closure that keeps create-only fields out of updates.

use std::marker::PhantomData;
use std::sync::Arc;

use connector_core::flow::{PrepareUpdateFn, Step, StepContext, StepOutcome};
use connector_core::reexports::async_trait;
use connector_core::{Entity, Error};

use crate::plan::{Applied, MappingPlan};

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
        let source = match serde_json::to_value(&record) {
            Ok(v) => v,
            Err(e) => {
                return StepOutcome::Fail(Error::internal(format!(
                    "cannot serialise the record: {e}"
                )));
            }
        };
        match self.plan.apply_owned(source) {
            Ok(Applied::Record(v)) => match serde_json::from_value::<E>(v) {
                Ok(mapped) => StepOutcome::Continue(mapped),
                Err(e) => StepOutcome::Fail(
                    Error::invalid_field(
                        E::KIND.as_str(),
                        format!("the mapped record does not fit the model: {e}"),
                    )
                    .with_record(ctx.key.clone()),
                ),
            },
            Ok(Applied::Skip(reason)) => StepOutcome::Skip { reason, target_id: None },
            Err(failure) => StepOutcome::Fail(failure.to_error(&ctx.key)),
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

impl MappingPlan {
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
