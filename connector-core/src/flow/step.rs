//! Steps: what happens to a record between the source and the sink.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;

use crate::error::Error;
use crate::model::Entity;

/// What a step decided about a record.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum StepOutcome<E> {
    /// Go on with this (possibly changed) record.
    Continue(E),
    /// Do not write the record, on purpose.
    Skip {
        /// Why (shown in the report and the activity log).
        reason: String,
        /// The record's id in the target, when the step found it there (skip-if-exists):
        /// the ledger then remembers the record as present.
        target_id: Option<String>,
    },
    /// The record cannot go on: it is quarantined with this error.
    Fail(Error),
}

/// What a step knows about the run it is part of.
#[derive(Debug, Clone)]
pub struct StepContext {
    /// The flow's name.
    pub flow: String,
    /// The tenant.
    pub tenant: String,
    /// The run's id.
    pub run_id: i64,
    /// Whether this is a dry run: a step must not write anywhere.
    pub dry_run: bool,
    /// The record's key.
    pub key: String,
    /// The record's id in the target when the ledger knows it: the write will be an update.
    /// `None`: a create, as far as the ledger knows.
    pub target_id: Option<String>,
}

/// One step of a flow: mapping, filtering, enrichment, a business rule.
#[async_trait]
pub trait Step<E: Entity>: Send + Sync {
    /// A short name for reports (`mapping`, `ensure-products-exist`).
    fn name(&self) -> &str;

    /// Applies the step to one record.
    async fn apply(&self, record: E, ctx: &StepContext) -> StepOutcome<E>;
}

/// A shared step is a step: `FlowBuilder::step` takes a concrete step or an `Arc` of one.
#[async_trait]
impl<E: Entity, S: Step<E> + ?Sized> Step<E> for Arc<S> {
    fn name(&self) -> &str {
        (**self).name()
    }

    async fn apply(&self, record: E, ctx: &StepContext) -> StepOutcome<E> {
        (**self).apply(record, ctx).await
    }
}

/// A step from a synchronous closure.
pub struct FnStep<E, F> {
    name: String,
    f: F,
    _e: std::marker::PhantomData<fn(E) -> E>,
}

impl<E, F> fmt::Debug for FnStep<E, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FnStep").field("name", &self.name).finish()
    }
}

#[async_trait]
impl<E, F> Step<E> for FnStep<E, F>
where
    E: Entity,
    F: Fn(E, &StepContext) -> StepOutcome<E> + Send + Sync,
{
    fn name(&self) -> &str {
        &self.name
    }

    async fn apply(&self, record: E, ctx: &StepContext) -> StepOutcome<E> {
        (self.f)(record, ctx)
    }
}

/// Wraps a closure as a step.
pub fn step_fn<E, F>(name: impl Into<String>, f: F) -> Arc<dyn Step<E>>
where
    E: Entity,
    F: Fn(E, &StepContext) -> StepOutcome<E> + Send + Sync + 'static,
{
    Arc::new(FnStep { name: name.into(), f, _e: std::marker::PhantomData })
}

/// A step that lets through only records for which `keep` holds; the others are skipped
/// with `reason` (an order in an unpaid status, a row without name and code).
pub fn filter<E, P>(name: impl Into<String>, reason: impl Into<String>, keep: P) -> Arc<dyn Step<E>>
where
    E: Entity,
    P: Fn(&E) -> bool + Send + Sync + 'static,
{
    let reason = reason.into();
    step_fn(name, move |record: E, _ctx: &StepContext| {
        if keep(&record) {
            StepOutcome::Continue(record)
        } else {
            StepOutcome::Skip { reason: reason.clone(), target_id: None }
        }
    })
}
