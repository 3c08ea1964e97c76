//! The flow engine: composes a [`Source`](crate::Source), [`Step`]s (mapping, filters,
//! business rules) and a [`Sink`](crate::Sink) into a run.
//!
//! What the engine guarantees:
//! - **No duplicate writes.** Every record's content hash is kept in the write ledger; an
//!   unchanged record is not sent again. A write intent is recorded (pending) before the sink
//!   is called; a pending entry found later (a crash after the POST) is resolved by a
//!   natural-key lookup before anything is sent again, and every write carries a
//!   deterministic idempotency key.
//! - **No gaps.** A checkpoint is saved only after the sink committed every record before it.
//! - **Nothing lost.** A record that fails (in the source, a step or the sink) is quarantined
//!   with an error naming the record and field; the run goes on. [`Flow::replay`] sends
//!   quarantined records again after the cause is fixed.
//! - **Safe deletes.** Absent records are deactivated only after a complete full snapshot,
//!   and never more than a configured share of the target per run.
//! - **Dry runs** send nothing and return a [`Plan`] with field diffs.

mod batch;
mod diff;
mod engine;
mod hash;
mod options;
mod pipeline;
mod redact;
mod report;
mod step;
pub mod steps;

pub use diff::{FieldDiff, diff};
pub use engine::{Flow, FlowBuilder};
pub use hash::{content_hash, idempotency_key};
pub use options::{ActivityLevel, FlowOptions, FlowSettings, LookupFn, PrepareUpdateFn, RunMode};
pub use redact::{REDACTED, redact_personal};
pub use report::{
    Alert, AlertFn, AlertKind, Counts, Plan, PlanItem, Progress, ProgressFn, RunReport, RunStatus,
};
pub use step::{FnStep, Step, StepContext, StepOutcome, filter, step_fn};

#[cfg(test)]
mod tests;
