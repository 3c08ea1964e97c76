//! Run state: checkpoints, the write ledger, quarantine, the activity log, run history and
//! secrets (rotated refresh tokens), optionally sealed with a key from the environment.
//!
//! [`StateStore`] is the trait; [`SqliteStore`] (one file, WAL, transactions) is the default
//! and [`MemoryStore`] serves tests. The flow engine writes everything a batch produced in one
//! [`BatchCommit`], so a crash leaves the store at a batch boundary.

mod memory;
mod seal;
mod sqlite;
mod types;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::error::Result;
use crate::source::Cursor;

pub use memory::MemoryStore;
pub use seal::{STATE_KEY_ENV, Sealer, unseal};
pub use sqlite::SqliteStore;
pub use types::*;

/// Durable state of flows. Implementations must be safe to share between tasks.
#[async_trait]
pub trait StateStore: Send + Sync + std::fmt::Debug {
    /// The saved cursor of a scope.
    async fn checkpoint(&self, scope: &Scope) -> Result<Option<Cursor>>;

    /// Saves a cursor. The engine calls this only after the sink committed what came before.
    async fn save_checkpoint(&self, scope: &Scope, cursor: &Cursor) -> Result<()>;

    /// Forgets a scope's cursor (the next changes-only run starts from the beginning).
    async fn clear_checkpoint(&self, scope: &Scope) -> Result<()>;

    /// Ledger entries of the given keys; keys without an entry are absent from the result.
    async fn ledger_get(&self, scope: &LedgerScope, keys: &[String]) -> Result<Vec<LedgerEntry>>;

    /// Records write intents before a batch is sent: each key's status becomes
    /// [`LedgerStatus::Pending`] with the hash about to be written; target ids are kept.
    async fn ledger_mark_pending(
        &self,
        scope: &LedgerScope,
        pending: &[(String, String)],
    ) -> Result<()>;

    /// Writes a batch's results in one transaction.
    async fn commit(&self, batch: BatchCommit) -> Result<()>;

    /// Entries of a scope that are [`LedgerStatus::Committed`] and were not seen in `run_id`
    /// (candidates for deactivation after a full snapshot), at most `limit`.
    async fn ledger_unseen(
        &self,
        scope: &LedgerScope,
        run_id: i64,
        limit: usize,
    ) -> Result<Vec<LedgerEntry>>;

    /// How many committed (live) entries a scope holds.
    async fn ledger_count(&self, scope: &LedgerScope) -> Result<u64>;

    /// Quarantined records matching a filter, oldest first.
    async fn quarantine_list(&self, filter: &QuarantineFilter) -> Result<Vec<QuarantineEntry>>;

    /// Starts a run and returns its id.
    async fn run_started(&self, flow: &str, mode: &str, at: DateTime<Utc>) -> Result<i64>;

    /// Records a run's end with its report (JSON).
    async fn run_finished(&self, run: RunRecord) -> Result<()>;

    /// The latest runs, newest first.
    async fn runs(&self, flow: Option<&str>, limit: usize) -> Result<Vec<RunRecord>>;

    /// Activity entries of a run, in order.
    async fn activity(&self, run_id: i64) -> Result<Vec<ActivityEntry>>;

    /// One run by its id. The default looks through [`runs`](Self::runs); the stores here
    /// read the one row.
    async fn run(&self, id: i64) -> Result<Option<RunRecord>> {
        Ok(self.runs(None, usize::MAX).await?.into_iter().find(|r| r.id == id))
    }

    /// Activity entries matching `query` (a run, a flow, a record's key), in the order they
    /// were written (or the newest first), at most `query.limit`. The default reads a run's
    /// entries (or, without a run, those of the flow's 50 latest runs) and filters them;
    /// the stores here ask their database for exactly the lines wanted, over every run.
    async fn activity_search(&self, query: &ActivityQuery) -> Result<Vec<ActivityEntry>> {
        let runs: Vec<i64> = match query.run_id {
            Some(run) => vec![run],
            None => {
                let mut ids: Vec<i64> =
                    self.runs(query.flow.as_deref(), 50).await?.into_iter().map(|r| r.id).collect();
                if !query.newest_first {
                    ids.reverse();
                }
                ids
            }
        };
        let mut out = Vec::new();
        for run in runs {
            let mut lines = self.activity(run).await?;
            if query.newest_first {
                lines.reverse();
            }
            for e in lines {
                if out.len() >= query.limit {
                    return Ok(out);
                }
                if query.matches(&e) {
                    out.push(e);
                }
            }
        }
        Ok(out)
    }

    /// Deletes activity entries older than `before`; returns how many.
    async fn prune_activity(&self, before: DateTime<Utc>) -> Result<u64>;

    /// A stored secret (a rotated refresh token, a connection's settings), as it was saved:
    /// sealed with [`Sealer`] when the caller sealed it.
    async fn secret(&self, key: &str) -> Result<Option<String>>;

    /// Stores a secret under `key`, replacing the one there.
    async fn save_secret(&self, key: &str, value: &str) -> Result<()>;

    /// Takes the lock named `key` across every process sharing this store, waiting for it;
    /// it is held until the guard is dropped. `None`: the store is one process's own (a
    /// file, memory), where the caller's own locks suffice. Workers sharing a database use
    /// it so that one of them, not each, refreshes a rotating token.
    async fn lock(&self, key: &str) -> Result<Option<StateLock>> {
        let _ = key;
        Ok(None)
    }
}

/// A held [`StateStore::lock`]: released when dropped.
pub struct StateLock {
    /// Whatever releases the lock when dropped (a connection holding it, say).
    _held: Box<dyn Send + Sync>,
}

impl StateLock {
    /// A guard holding `inner` (whatever releases the lock when dropped).
    pub fn new(inner: impl Send + Sync + 'static) -> Self {
        Self { _held: Box::new(inner) }
    }
}

impl std::fmt::Debug for StateLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StateLock")
    }
}
