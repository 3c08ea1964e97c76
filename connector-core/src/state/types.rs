//! Plain data types of the state store.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::source::Cursor;

/// Where a checkpoint belongs: tenant, flow and entity.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Scope {
    /// The tenant (organisation, division, company) the flow runs for.
    pub tenant: String,
    /// The flow's name.
    pub flow: String,
    /// The entity (`customers`).
    pub entity: String,
}

impl Scope {
    /// A scope.
    pub fn new(
        tenant: impl Into<String>,
        flow: impl Into<String>,
        entity: impl Into<String>,
    ) -> Self {
        Self { tenant: tenant.into(), flow: flow.into(), entity: entity.into() }
    }
}

/// Where ledger entries belong: tenant, target system and entity.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LedgerScope {
    /// The tenant.
    pub tenant: String,
    /// The target system (the sink's name).
    pub target: String,
    /// The entity.
    pub entity: String,
}

impl LedgerScope {
    /// A ledger scope.
    pub fn new(
        tenant: impl Into<String>,
        target: impl Into<String>,
        entity: impl Into<String>,
    ) -> Self {
        Self { tenant: tenant.into(), target: target.into(), entity: entity.into() }
    }
}

/// The state of one ledger entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LedgerStatus {
    /// A write was about to be sent; whether it landed is unknown until looked up.
    Pending,
    /// The target holds the content with `hash`.
    Committed,
    /// The last write failed; `hash` is of the last content that landed, if any.
    Failed,
    /// The record was deactivated in the target.
    Deactivated,
}

impl LedgerStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            LedgerStatus::Pending => "pending",
            LedgerStatus::Committed => "committed",
            LedgerStatus::Failed => "failed",
            LedgerStatus::Deactivated => "deactivated",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pending" => LedgerStatus::Pending,
            "committed" => LedgerStatus::Committed,
            "failed" => LedgerStatus::Failed,
            "deactivated" => LedgerStatus::Deactivated,
            _ => return None,
        })
    }
}

/// What the ledger knows of one record in one target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerEntry {
    /// The record's key in the flow.
    pub key: String,
    /// Its id in the target, once known.
    pub target_id: Option<String>,
    /// Hash of the content last committed (`None` before anything landed).
    pub hash: Option<String>,
    /// Hash of the content of a write in flight (status pending).
    pub pending_hash: Option<String>,
    /// The status.
    pub status: LedgerStatus,
    /// The last outcome's name (`created`, `updated`).
    pub outcome: String,
    /// The last run that saw the record in a full snapshot.
    pub seen_run: Option<i64>,
    /// When the entry last changed.
    pub updated_at: DateTime<Utc>,
}

/// One ledger write of a [`BatchCommit`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerUpdate {
    /// The record's key.
    pub key: String,
    /// Its target id; `None` keeps the stored one.
    pub target_id: Option<String>,
    /// The committed content hash; `None` keeps the stored one.
    pub hash: Option<String>,
    /// The new status.
    pub status: LedgerStatus,
    /// The outcome's name.
    pub outcome: String,
}

/// Whether a quarantined record still waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuarantineStatus {
    /// Waiting for a fix and a replay.
    Open,
    /// Landed later (by replay or a later run).
    Resolved,
}

/// A record that failed, with its error, kept for replay.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuarantineEntry {
    /// The entry's id (assigned by the store; 0 before).
    pub id: i64,
    /// The run that quarantined it (last).
    pub run_id: i64,
    /// The tenant.
    pub tenant: String,
    /// The flow.
    pub flow: String,
    /// The entity.
    pub entity: String,
    /// The record's key, or a position (`row 7`) when it has none.
    pub key: String,
    /// Where it failed: `source`, `mapping`, `sink`.
    pub stage: String,
    /// The record as JSON (canonical when it decoded; else what the source sent).
    pub payload: Option<String>,
    /// Why it failed.
    pub error: Error,
    /// How many times it failed.
    pub attempts: u32,
    /// Open or resolved.
    pub status: QuarantineStatus,
    /// First failure.
    pub created_at: DateTime<Utc>,
    /// Last failure or resolution.
    pub updated_at: DateTime<Utc>,
}

/// Which quarantine entries to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QuarantineFilter {
    /// Only this tenant.
    pub tenant: Option<String>,
    /// Only this flow.
    pub flow: Option<String>,
    /// Only this entity.
    pub entity: Option<String>,
    /// Only this status (`None`: all).
    pub status: Option<QuarantineStatus>,
    /// At most this many (`None`: all).
    pub limit: Option<usize>,
}

/// One line of the activity log: what came from the source, what was sent, the outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityEntry {
    /// The run.
    pub run_id: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// The flow.
    pub flow: String,
    /// The entity.
    pub entity: String,
    /// The record's key.
    pub key: String,
    /// What the source delivered (JSON, redacted as configured).
    pub received: Option<String>,
    /// What was sent to the target (JSON, redacted as configured).
    pub sent: Option<String>,
    /// The outcome's name.
    pub outcome: String,
    /// A message (the error, the skip reason).
    pub message: Option<String>,
}

/// Which activity lines to read ([`StateStore::activity_search`](super::StateStore::activity_search)).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ActivityQuery {
    /// Only this run's lines.
    pub run_id: Option<i64>,
    /// Only this flow's lines.
    pub flow: Option<String>,
    /// Only this record's lines (its key, exactly).
    pub key: Option<String>,
    /// At most this many lines.
    pub limit: usize,
    /// The newest lines first (and the limit keeps the newest), rather than the oldest.
    pub newest_first: bool,
}

impl ActivityQuery {
    /// The lines of run `id`, at most 1,000.
    pub fn run(id: i64) -> Self {
        Self { run_id: Some(id), flow: None, key: None, limit: 1_000, newest_first: false }
    }

    /// The lines of `flow`'s runs, at most 1,000.
    pub fn flow(flow: &str) -> Self {
        Self {
            run_id: None,
            flow: Some(flow.to_owned()),
            key: None,
            limit: 1_000,
            newest_first: false,
        }
    }

    /// Only the lines of the record with this key (`None`: every record).
    pub fn key(mut self, key: Option<String>) -> Self {
        self.key = key;
        self
    }

    /// At most `n` lines.
    pub fn limit(mut self, n: usize) -> Self {
        self.limit = n;
        self
    }

    /// The newest lines first: the limit then keeps a record's latest lines.
    pub fn newest_first(mut self) -> Self {
        self.newest_first = true;
        self
    }

    /// Whether `entry` is one of the lines wanted (the limit aside).
    pub fn matches(&self, entry: &ActivityEntry) -> bool {
        self.run_id.is_none_or(|r| entry.run_id == r)
            && self.flow.as_deref().is_none_or(|f| entry.flow == f)
            && self.key.as_deref().is_none_or(|k| entry.key == k)
    }
}

/// A run in the history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// The run's id.
    pub id: i64,
    /// The flow.
    pub flow: String,
    /// `full`, `changes` or `replay`, with [`DRY_RUN_SUFFIX`] when nothing was sent.
    pub mode: String,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When it ended.
    pub finished_at: Option<DateTime<Utc>>,
    /// `running`, `succeeded`, `partial` (with quarantined records), `failed`.
    pub status: String,
    /// The run report as JSON.
    pub report: Option<serde_json::Value>,
}

/// What a dry run's mode ends with (`full (dry run)`).
pub const DRY_RUN_SUFFIX: &str = " (dry run)";

impl RunRecord {
    /// Whether the run only planned: it sent nothing.
    pub fn is_dry_run(&self) -> bool {
        self.mode.ends_with(DRY_RUN_SUFFIX)
    }

    /// The run's report, once it finished with one that reads.
    pub fn run_report(&self) -> Option<crate::flow::RunReport> {
        self.report.clone().and_then(|r| serde_json::from_value(r).ok())
    }
}

/// Everything one batch produced, written in one transaction.
#[derive(Debug, Clone, Default)]
pub struct BatchCommit {
    /// The ledger scope of `ledger` and `seen`.
    pub ledger_scope: Option<LedgerScope>,
    /// The run.
    pub run_id: i64,
    /// Ledger writes.
    pub ledger: Vec<LedgerUpdate>,
    /// Keys seen in this run's full snapshot (sets `seen_run`).
    pub seen: Vec<String>,
    /// New or repeated failures. An open entry with the same tenant, flow, entity and key
    /// is updated (attempts + 1) instead of duplicated.
    pub quarantine: Vec<QuarantineEntry>,
    /// Keys (tenant, flow, entity, key) whose open quarantine entries landed now.
    pub resolved: Vec<(String, String, String, String)>,
    /// Activity log lines.
    pub activity: Vec<ActivityEntry>,
    /// A checkpoint to save in the same transaction.
    pub checkpoint: Option<(Scope, Cursor)>,
}
