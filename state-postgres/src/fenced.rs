//! [`FencedStore`]: the store as a leased run sees it. Its writes (write intents, batches,
//! checkpoints) go through only while the run's lease is still held, checked in the same
//! transaction, so a worker that paused past its lease (and whose flow another worker took
//! over) cannot write after the takeover.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use connector_core::error::Result;
use connector_core::source::Cursor;
use connector_core::state::{
    ActivityEntry, ActivityQuery, BatchCommit, LedgerEntry, LedgerScope, QuarantineEntry,
    QuarantineFilter, RunRecord, Scope, StateLock, StateStore,
};

use crate::schedule::Lease;
use crate::state_store::lease_lost;
use crate::store::PostgresStore;

/// A [`PostgresStore`] fenced by a [`Lease`]: what a worker gives the flow it runs.
#[derive(Debug, Clone)]
pub struct FencedStore {
    store: Arc<PostgresStore>,
    lease: Lease,
}

impl PostgresStore {
    /// The store for a run under `lease`: its writes are refused once the lease is lost.
    pub fn fenced(self: &Arc<Self>, lease: Lease) -> FencedStore {
        FencedStore { store: self.clone(), lease }
    }
}

impl FencedStore {
    /// The lease it is fenced by.
    pub fn lease(&self) -> &Lease {
        &self.lease
    }
}

#[async_trait]
impl StateStore for FencedStore {
    async fn checkpoint(&self, scope: &Scope) -> Result<Option<Cursor>> {
        self.store.checkpoint(scope).await
    }
    async fn save_checkpoint(&self, scope: &Scope, cursor: &Cursor) -> Result<()> {
        self.store.save_checkpoint_fenced(scope, cursor, Some(&self.lease)).await
    }
    async fn clear_checkpoint(&self, scope: &Scope) -> Result<()> {
        self.store.clear_checkpoint(scope).await
    }
    async fn ledger_get(&self, scope: &LedgerScope, keys: &[String]) -> Result<Vec<LedgerEntry>> {
        self.store.ledger_get(scope, keys).await
    }
    /// Refused once the lease is lost: nothing more is sent under it.
    async fn ledger_mark_pending(
        &self,
        scope: &LedgerScope,
        pending: &[(String, String)],
    ) -> Result<()> {
        if !self.store.holds(&self.lease).await? {
            return Err(lease_lost(&self.lease));
        }
        self.store.ledger_mark_pending(scope, pending).await
    }
    async fn commit(&self, batch: BatchCommit) -> Result<()> {
        self.store.commit_fenced(batch, Some(&self.lease)).await
    }
    async fn ledger_unseen(
        &self,
        scope: &LedgerScope,
        run_id: i64,
        limit: usize,
    ) -> Result<Vec<LedgerEntry>> {
        self.store.ledger_unseen(scope, run_id, limit).await
    }
    async fn ledger_count(&self, scope: &LedgerScope) -> Result<u64> {
        self.store.ledger_count(scope).await
    }
    async fn quarantine_list(&self, filter: &QuarantineFilter) -> Result<Vec<QuarantineEntry>> {
        self.store.quarantine_list(filter).await
    }
    async fn run_started(&self, flow: &str, mode: &str, at: DateTime<Utc>) -> Result<i64> {
        self.store.run_started(flow, mode, at).await
    }
    async fn run_finished(&self, run: RunRecord) -> Result<()> {
        self.store.run_finished(run).await
    }
    async fn runs(&self, flow: Option<&str>, limit: usize) -> Result<Vec<RunRecord>> {
        self.store.runs(flow, limit).await
    }
    async fn activity(&self, run_id: i64) -> Result<Vec<ActivityEntry>> {
        self.store.activity(run_id).await
    }
    async fn run(&self, id: i64) -> Result<Option<RunRecord>> {
        self.store.run(id).await
    }
    async fn activity_search(&self, query: &ActivityQuery) -> Result<Vec<ActivityEntry>> {
        self.store.activity_search(query).await
    }
    async fn prune_activity(&self, before: DateTime<Utc>) -> Result<u64> {
        self.store.prune_activity(before).await
    }
    async fn secret(&self, key: &str) -> Result<Option<String>> {
        self.store.secret(key).await
    }
    async fn save_secret(&self, key: &str, value: &str) -> Result<()> {
        self.store.save_secret(key, value).await
    }
    async fn lock(&self, key: &str) -> Result<Option<StateLock>> {
        self.store.lock(key).await
    }
}
