//! Flow settings: [`FlowSettings`], the part a flow file holds, and [`FlowOptions`], those
//! settings plus the hooks only code can give.

use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::sink::LookupKey;

/// How much the activity log records.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum ActivityLevel {
    /// Nothing.
    Off,
    /// Records that were written, skipped, deactivated or failed, with what came from the
    /// source and what was sent. Unchanged records are only counted.
    #[default]
    Changes,
    /// Every record, unchanged ones included.
    All,
}

/// Builds the natural-key lookup used before retrying an uncertain write, from the record
/// as it would be sent and its flow key.
pub type LookupFn<E> = Arc<dyn Fn(&E, &str) -> Option<LookupKey> + Send + Sync>;

/// Prepares a record for an update of an existing target record, after its hash is taken:
/// removes create-only fields (a long description enriched in the target) so the sparse
/// update leaves them alone.
pub type PrepareUpdateFn<E> = Arc<dyn Fn(&mut E) + Send + Sync>;

/// The settings of a flow that are data: what a flow file's `[options]` table holds (every
/// key optional, an unknown one refused).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct FlowSettings {
    /// Records per sink call (capped by the sink's `max_batch`). Default 100.
    pub batch_size: usize,
    /// Sink calls in flight at once (capped by the sink's `max_concurrency`). Default 4.
    pub concurrency: usize,
    /// After a complete full snapshot, deactivate target records the source no longer has.
    pub deactivate_absent: bool,
    /// The largest share of the target's records (percent) one run may deactivate. Default 10.
    pub max_deactivate_percent: u32,
    /// Deactivate even past the cap (an explicit override for one run).
    pub allow_mass_deactivation: bool,
    /// What the activity log records: `off`, `changes` (default) or `all`.
    pub activity: ActivityLevel,
    /// Replace personal data in activity-log payloads.
    pub redact_personal_data: bool,
    /// Delete activity entries older than this many days at the end of each run.
    pub activity_retention_days: Option<u32>,
    /// Most plan items kept per category in a dry-run report (counts are always exact).
    pub plan_limit: usize,
}

impl Default for FlowSettings {
    fn default() -> Self {
        Self {
            batch_size: 100,
            concurrency: 4,
            deactivate_absent: false,
            max_deactivate_percent: 10,
            allow_mass_deactivation: false,
            activity: ActivityLevel::Changes,
            redact_personal_data: false,
            activity_retention_days: None,
            plan_limit: 1000,
        }
    }
}

/// Settings of a flow: the [`FlowSettings`] (reached through this value too:
/// `o.batch_size = 500`) and the hooks only code can give.
#[derive(Clone)]
#[non_exhaustive]
pub struct FlowOptions<E> {
    /// The settings that are data.
    pub settings: FlowSettings,
    /// The lookup used after an uncertain write (default: the sink's natural key = flow key).
    pub lookup: Option<LookupFn<E>>,
    /// Applied to a record before it is sent as an update (see [`PrepareUpdateFn`]).
    pub prepare_update: Option<PrepareUpdateFn<E>>,
}

impl<E> Default for FlowOptions<E> {
    fn default() -> Self {
        Self { settings: FlowSettings::default(), lookup: None, prepare_update: None }
    }
}

impl<E> Deref for FlowOptions<E> {
    type Target = FlowSettings;
    fn deref(&self) -> &FlowSettings {
        &self.settings
    }
}

impl<E> DerefMut for FlowOptions<E> {
    fn deref_mut(&mut self) -> &mut FlowSettings {
        &mut self.settings
    }
}

impl<E> std::fmt::Debug for FlowOptions<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FlowOptions")
            .field("settings", &self.settings)
            .field("lookup", &self.lookup.as_ref().map(|_| "custom"))
            .field("prepare_update", &self.prepare_update.as_ref().map(|_| "custom"))
            .finish()
    }
}

/// How to run a flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunMode {
    /// Read a full snapshot.
    Full,
    /// Read changes since the last checkpoint.
    Changes,
}

impl RunMode {
    /// `full` or `changes`.
    pub fn as_str(self) -> &'static str {
        match self {
            RunMode::Full => "full",
            RunMode::Changes => "changes",
        }
    }
}
