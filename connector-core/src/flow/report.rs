//! Run reports, dry-run plans, progress and alerts.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::diff::FieldDiff;
use crate::error::Error;

/// Counts of a run, per outcome.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Counts {
    /// Records (upserts and deletes) that came from the source.
    pub received: u64,
    /// Created in the target.
    pub created: u64,
    /// Updated in the target.
    pub updated: u64,
    /// Unchanged since the last write (same content hash): not sent.
    pub unchanged: u64,
    /// Deactivated in the target.
    pub deactivated: u64,
    /// Skipped on purpose (filters, skip-if-exists).
    pub skipped: u64,
    /// Failed and quarantined (source rejects included).
    pub quarantined: u64,
    /// Earlier quarantined records that landed in this run.
    pub resolved: u64,
}

/// One item of a dry-run plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanItem {
    /// The record's key.
    pub key: String,
    /// Its id in the target, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_id: Option<String>,
    /// Changed fields (updates, when the sink can read the target's record).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<FieldDiff>,
    /// Why (skips).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// What a dry run would do. Counts are exact; item lists keep the first
/// [`super::FlowSettings::plan_limit`] of each category.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// Records that would be created.
    pub creates: Vec<PlanItem>,
    /// Records that would be updated, with field diffs.
    pub updates: Vec<PlanItem>,
    /// Records that would be skipped, with reasons.
    pub skips: Vec<PlanItem>,
    /// Records that would be deactivated.
    pub deactivations: Vec<PlanItem>,
}

/// How a run ended.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum RunStatus {
    /// Every record landed (or was unchanged or skipped on purpose).
    #[default]
    Succeeded,
    /// The run finished with records in quarantine.
    Partial,
    /// The run stopped on an error.
    Failed,
}

impl RunStatus {
    /// `succeeded`, `partial` or `failed`: the history's and the CLI's word.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Succeeded => "succeeded",
            RunStatus::Partial => "partial",
            RunStatus::Failed => "failed",
        }
    }
}

impl std::fmt::Display for RunStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The report of one run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RunReport {
    /// The run's id in the state store.
    pub run_id: i64,
    /// The flow's name.
    pub flow: String,
    /// `full`, `changes`, `replay`, with ` (dry run)` when nothing was sent.
    pub mode: String,
    /// How the run ended.
    pub status: RunStatus,
    /// Counts per outcome.
    pub counts: Counts,
    /// Sink calls made.
    pub batches: u64,
    /// Checkpoints saved.
    pub checkpoints: u64,
    /// Wall-clock duration.
    #[serde(with = "duration_ms")]
    pub duration: Duration,
    /// Things the operator should know (a deactivation cap that held, an expired cursor).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// The first errors of quarantined records (key, error).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<(String, Error)>,
    /// The error that ended the run, if it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<Error>,
    /// The plan, for dry runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<Plan>,
    /// The HTTP traffic of the run by connector: calls, retries, `429`s, bytes, time waited.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub calls: crate::http::stats::CallsByConnector,
}

impl RunReport {
    /// Whether the run ended without failing (records may still be quarantined).
    pub fn is_ok(&self) -> bool {
        self.failure.is_none()
    }
}

/// Progress during a run, passed to the progress callback after every batch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress {
    /// The flow.
    pub flow: String,
    /// Counts so far.
    pub counts: Counts,
}

/// Why an alert was raised.
#[derive(Debug, Clone, PartialEq)]
pub enum AlertKind {
    /// The run failed with this error.
    RunFailed(Error),
    /// Records were quarantined: how many, with the first errors (key, error).
    Quarantined {
        /// How many.
        count: u64,
        /// The first few, each naming the record and field.
        first: Vec<(String, Error)>,
    },
    /// A safety limit held (the deactivation cap).
    LimitHeld(String),
}

/// An alert: the flow, the run and the exact problem.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    /// The flow.
    pub flow: String,
    /// The run.
    pub run_id: i64,
    /// What happened.
    pub kind: AlertKind,
}

/// Called after every batch.
pub type ProgressFn = Arc<dyn Fn(&Progress) + Send + Sync>;

/// Called when a run fails, quarantines records or a safety limit holds.
pub type AlertFn = Arc<dyn Fn(&Alert) + Send + Sync>;

mod duration_ms {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_millis() as u64)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        Ok(Duration::from_millis(u64::deserialize(d)?))
    }
}
