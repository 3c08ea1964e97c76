//! In-memory state store, for tests. Same semantics as [`SqliteStore`](super::SqliteStore);
//! both are checked by one conformance suite.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::sqlite::validate_batch;
use super::{
    ActivityEntry, ActivityQuery, BatchCommit, LedgerEntry, LedgerScope, LedgerStatus,
    QuarantineEntry, QuarantineFilter, QuarantineStatus, RunRecord, Scope, StateStore,
};
use crate::error::{Error, Result};
use crate::source::Cursor;

type Key3 = (String, String, String);

/// An in-memory state store: nothing survives the process. For tests and dry runs.
#[derive(Debug, Default)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// (tenant, flow, entity) → cursor.
    checkpoints: BTreeMap<Key3, Cursor>,
    /// (tenant, target, entity) → key → entry.
    ledger: BTreeMap<Key3, BTreeMap<String, LedgerEntry>>,
    /// In id order (oldest first).
    quarantine: Vec<QuarantineEntry>,
    /// Secrets by key.
    secrets: BTreeMap<String, String>,
    next_quarantine_id: i64,
    /// In insertion order.
    activity: Vec<ActivityEntry>,
    /// In id order.
    runs: Vec<RunRecord>,
    next_run_id: i64,
}

fn scope_key(s: &Scope) -> Key3 {
    (s.tenant.clone(), s.flow.clone(), s.entity.clone())
}

fn ledger_key(s: &LedgerScope) -> Key3 {
    (s.tenant.clone(), s.target.clone(), s.entity.clone())
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> Result<MutexGuard<'_, Inner>> {
        self.inner
            .lock()
            .map_err(|_| Error::internal("state store (memory): lock poisoned by an earlier panic"))
    }
}

impl Inner {
    fn write_batch(&mut self, batch: BatchCommit, now: DateTime<Utc>) {
        if let Some(scope) = &batch.ledger_scope {
            let entries = self.ledger.entry(ledger_key(scope)).or_default();
            for u in batch.ledger {
                let keep_pending = u.status == LedgerStatus::Pending;
                match entries.get_mut(&u.key) {
                    Some(e) => {
                        if u.target_id.is_some() {
                            e.target_id = u.target_id;
                        }
                        if u.hash.is_some() {
                            e.hash = u.hash;
                        }
                        if !keep_pending {
                            e.pending_hash = None;
                        }
                        e.status = u.status;
                        e.outcome = u.outcome;
                        e.updated_at = now;
                    }
                    None => {
                        entries.insert(
                            u.key.clone(),
                            LedgerEntry {
                                key: u.key,
                                target_id: u.target_id,
                                hash: u.hash,
                                pending_hash: None,
                                status: u.status,
                                outcome: u.outcome,
                                seen_run: None,
                                updated_at: now,
                            },
                        );
                    }
                }
            }
            for key in &batch.seen {
                if let Some(e) = entries.get_mut(key) {
                    e.seen_run = Some(batch.run_id);
                }
            }
        }

        for q in batch.quarantine {
            let open = self.quarantine.iter_mut().find(|e| {
                e.status == QuarantineStatus::Open
                    && e.tenant == q.tenant
                    && e.flow == q.flow
                    && e.entity == q.entity
                    && e.key == q.key
            });
            match open {
                Some(e) => {
                    e.run_id = batch.run_id;
                    e.stage = q.stage;
                    if q.payload.is_some() {
                        e.payload = q.payload;
                    }
                    e.error = q.error;
                    e.attempts = e.attempts.saturating_add(1);
                    e.updated_at = now;
                }
                None => {
                    self.next_quarantine_id += 1;
                    self.quarantine.push(QuarantineEntry {
                        id: self.next_quarantine_id,
                        run_id: batch.run_id,
                        attempts: q.attempts.max(1),
                        status: QuarantineStatus::Open,
                        created_at: now,
                        updated_at: now,
                        ..q
                    });
                }
            }
        }

        for (tenant, flow, entity, key) in &batch.resolved {
            for e in self.quarantine.iter_mut().filter(|e| {
                e.status == QuarantineStatus::Open
                    && &e.tenant == tenant
                    && &e.flow == flow
                    && &e.entity == entity
                    && &e.key == key
            }) {
                e.status = QuarantineStatus::Resolved;
                e.updated_at = now;
            }
        }

        self.activity.extend(batch.activity);

        if let Some((scope, cursor)) = batch.checkpoint {
            self.checkpoints.insert(scope_key(&scope), cursor);
        }
    }
}

#[async_trait]
impl StateStore for MemoryStore {
    async fn checkpoint(&self, scope: &Scope) -> Result<Option<Cursor>> {
        Ok(self.lock()?.checkpoints.get(&scope_key(scope)).cloned())
    }

    async fn save_checkpoint(&self, scope: &Scope, cursor: &Cursor) -> Result<()> {
        self.lock()?.checkpoints.insert(scope_key(scope), cursor.clone());
        Ok(())
    }

    async fn clear_checkpoint(&self, scope: &Scope) -> Result<()> {
        self.lock()?.checkpoints.remove(&scope_key(scope));
        Ok(())
    }

    async fn ledger_get(&self, scope: &LedgerScope, keys: &[String]) -> Result<Vec<LedgerEntry>> {
        let inner = self.lock()?;
        let Some(entries) = inner.ledger.get(&ledger_key(scope)) else {
            return Ok(Vec::new());
        };
        let mut done = HashSet::with_capacity(keys.len());
        Ok(keys
            .iter()
            .filter(|k| done.insert(k.as_str()))
            .filter_map(|k| entries.get(k).cloned())
            .collect())
    }

    async fn ledger_mark_pending(
        &self,
        scope: &LedgerScope,
        pending: &[(String, String)],
    ) -> Result<()> {
        if pending.is_empty() {
            return Ok(());
        }
        let now = Utc::now();
        let mut inner = self.lock()?;
        let entries = inner.ledger.entry(ledger_key(scope)).or_default();
        for (key, hash) in pending {
            let e = entries.entry(key.clone()).or_insert_with(|| LedgerEntry {
                key: key.clone(),
                target_id: None,
                hash: None,
                pending_hash: None,
                status: LedgerStatus::Pending,
                outcome: String::new(),
                seen_run: None,
                updated_at: now,
            });
            e.pending_hash = Some(hash.clone());
            e.status = LedgerStatus::Pending;
            e.updated_at = now;
        }
        Ok(())
    }

    async fn commit(&self, batch: BatchCommit) -> Result<()> {
        validate_batch(&batch)?;
        let now = Utc::now();
        // Nothing below can fail: the batch is applied whole under one lock.
        self.lock()?.write_batch(batch, now);
        Ok(())
    }

    async fn ledger_unseen(
        &self,
        scope: &LedgerScope,
        run_id: i64,
        limit: usize,
    ) -> Result<Vec<LedgerEntry>> {
        let inner = self.lock()?;
        let Some(entries) = inner.ledger.get(&ledger_key(scope)) else {
            return Ok(Vec::new());
        };
        Ok(entries
            .values()
            .filter(|e| e.status == LedgerStatus::Committed && e.seen_run != Some(run_id))
            .take(limit)
            .cloned()
            .collect())
    }

    async fn ledger_count(&self, scope: &LedgerScope) -> Result<u64> {
        let inner = self.lock()?;
        Ok(inner.ledger.get(&ledger_key(scope)).map_or(0, |entries| {
            entries.values().filter(|e| e.status == LedgerStatus::Committed).count() as u64
        }))
    }

    async fn quarantine_list(&self, filter: &QuarantineFilter) -> Result<Vec<QuarantineEntry>> {
        let inner = self.lock()?;
        let matches = |want: &Option<String>, have: &str| want.as_deref().is_none_or(|w| w == have);
        Ok(inner
            .quarantine
            .iter()
            .filter(|e| {
                matches(&filter.tenant, &e.tenant)
                    && matches(&filter.flow, &e.flow)
                    && matches(&filter.entity, &e.entity)
                    && filter.status.is_none_or(|s| s == e.status)
            })
            .take(filter.limit.unwrap_or(usize::MAX))
            .cloned()
            .collect())
    }

    async fn run_started(&self, flow: &str, mode: &str, at: DateTime<Utc>) -> Result<i64> {
        let mut inner = self.lock()?;
        inner.next_run_id += 1;
        let id = inner.next_run_id;
        inner.runs.push(RunRecord {
            id,
            flow: flow.to_owned(),
            mode: mode.to_owned(),
            started_at: at,
            finished_at: None,
            status: "running".to_owned(),
            report: None,
        });
        Ok(id)
    }

    async fn run_finished(&self, run: RunRecord) -> Result<()> {
        let mut inner = self.lock()?;
        let stored =
            inner.runs.iter_mut().find(|r| r.id == run.id).ok_or_else(|| {
                Error::internal(format!("state store: no run with id {}", run.id))
            })?;
        stored.finished_at = run.finished_at;
        stored.status = run.status;
        stored.report = run.report;
        Ok(())
    }

    async fn runs(&self, flow: Option<&str>, limit: usize) -> Result<Vec<RunRecord>> {
        let inner = self.lock()?;
        let mut runs: Vec<&RunRecord> =
            inner.runs.iter().filter(|r| flow.is_none_or(|f| r.flow == f)).collect();
        runs.sort_by(|a, b| b.started_at.cmp(&a.started_at).then(b.id.cmp(&a.id)));
        Ok(runs.into_iter().take(limit).cloned().collect())
    }

    async fn activity(&self, run_id: i64) -> Result<Vec<ActivityEntry>> {
        let inner = self.lock()?;
        Ok(inner.activity.iter().filter(|a| a.run_id == run_id).cloned().collect())
    }

    async fn run(&self, id: i64) -> Result<Option<RunRecord>> {
        Ok(self.lock()?.runs.iter().find(|r| r.id == id).cloned())
    }

    async fn activity_search(&self, query: &ActivityQuery) -> Result<Vec<ActivityEntry>> {
        let inner = self.lock()?;
        let wanted = |a: &&ActivityEntry| query.matches(a);
        Ok(if query.newest_first {
            inner.activity.iter().rev().filter(wanted).take(query.limit).cloned().collect()
        } else {
            inner.activity.iter().filter(wanted).take(query.limit).cloned().collect()
        })
    }

    async fn prune_activity(&self, before: DateTime<Utc>) -> Result<u64> {
        let mut inner = self.lock()?;
        let len = inner.activity.len();
        inner.activity.retain(|a| a.at >= before);
        Ok((len - inner.activity.len()) as u64)
    }

    async fn secret(&self, key: &str) -> Result<Option<String>> {
        Ok(self.lock()?.secrets.get(key).cloned())
    }

    async fn save_secret(&self, key: &str, value: &str) -> Result<()> {
        self.lock()?.secrets.insert(key.to_owned(), value.to_owned());
        Ok(())
    }
}
