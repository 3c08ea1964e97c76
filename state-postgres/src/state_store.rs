//! [`StateStore`] for [`PostgresStore`]: the same behaviour as the SQLite store, one
//! transaction per batch.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use connector_core::error::{Error, Result};
use connector_core::source::Cursor;
use connector_core::state::{
    ActivityEntry, ActivityQuery, BatchCommit, LedgerEntry, LedgerScope, LedgerStatus,
    QuarantineEntry, QuarantineFilter, QuarantineStatus, RunRecord, Scope, StateLock, StateStore,
};
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use tokio_postgres::Row;

use crate::batch::{save_checkpoint, validate_batch, write_batch};
use crate::error::{corrupt, from_nanos, nanos, pg, to_i64};
use crate::schedule::Lease;
use crate::store::PostgresStore;

/// The ledger entries of the keys asked for, in that order, with their write intents laid
/// over them: an open intent makes its key pending (and is the only trace of a record whose
/// first send has not been committed yet). One statement, so one snapshot.
const LEDGER_GET: &str = "
SELECT k.key, l.target_id, l.hash, i.hash,
       CASE WHEN i.key IS NULL THEN l.status ELSE 'pending' END,
       COALESCE(l.outcome, ''), l.seen_run, COALESCE(i.at, l.updated_at)
FROM UNNEST($2::text[]) WITH ORDINALITY AS k (key, n)
LEFT JOIN ledger l ON l.scope = $1 AND l.key = k.key
LEFT JOIN ledger_intents i ON i.scope = $1 AND i.key = k.key
WHERE l.key IS NOT NULL OR i.key IS NOT NULL
ORDER BY k.n";

const INTENTS_UPSERT: &str = "
INSERT INTO ledger_intents (scope, key, hash, at)
SELECT $1, i.key, i.hash, $2 FROM UNNEST($3::text[], $4::text[]) AS i (key, hash)
ON CONFLICT (scope, key) DO UPDATE SET hash = EXCLUDED.hash, at = EXCLUDED.at";

const LEDGER_UNSEEN: &str = "
SELECT key, target_id, hash, NULL::text, status, outcome, seen_run, updated_at
FROM ledger
WHERE scope = $1 AND status = 'committed' AND (seen_run IS NULL OR seen_run <> $2)
  AND NOT EXISTS (SELECT 1 FROM ledger_intents i
                  WHERE i.scope = ledger.scope AND i.key = ledger.key)
ORDER BY key LIMIT $3";

const LEDGER_COUNT: &str = "
SELECT (SELECT count(*) FROM ledger WHERE scope = $1 AND status = 'committed')
     - (SELECT count(*) FROM ledger_intents i JOIN ledger l ON l.scope = i.scope AND l.key = i.key
        WHERE i.scope = $1 AND l.status = 'committed')";

/// Every filter in one statement: a `NULL` parameter matches everything; `LIMIT NULL` is no
/// limit.
const QUARANTINE_LIST: &str = "
SELECT id, run_id, tenant, flow, entity, key, stage, payload, error, attempts, status,
       created_at, updated_at
FROM quarantine
WHERE ($1::text IS NULL OR tenant = $1) AND ($2::text IS NULL OR flow = $2)
  AND ($3::text IS NULL OR entity = $3) AND ($4::text IS NULL OR status = $4)
ORDER BY id LIMIT $5";

fn status_name(s: QuarantineStatus) -> &'static str {
    match s {
        QuarantineStatus::Open => "open",
        QuarantineStatus::Resolved => "resolved",
    }
}

fn ledger_row(row: &Row) -> Result<LedgerEntry> {
    let status: String = row.get(4);
    let status = LedgerStatus::parse(&status)
        .ok_or_else(|| corrupt(format!("unknown ledger status {status:?}")))?;
    Ok(LedgerEntry {
        key: row.get(0),
        target_id: row.get(1),
        hash: row.get(2),
        pending_hash: row.get(3),
        status,
        outcome: row.get(5),
        seen_run: row.get(6),
        updated_at: from_nanos(row.get(7)),
    })
}

fn quarantine_row(row: &Row) -> Result<QuarantineEntry> {
    let error: String = row.get(8);
    let error: Error =
        serde_json::from_str(&error).map_err(|e| corrupt(format!("bad error JSON: {e}")))?;
    let status: String = row.get(10);
    let status = match status.as_str() {
        "open" => QuarantineStatus::Open,
        "resolved" => QuarantineStatus::Resolved,
        other => return Err(corrupt(format!("unknown quarantine status {other:?}"))),
    };
    let attempts: i64 = row.get(9);
    Ok(QuarantineEntry {
        id: row.get(0),
        run_id: row.get(1),
        tenant: row.get(2),
        flow: row.get(3),
        entity: row.get(4),
        key: row.get(5),
        stage: row.get(6),
        payload: row.get(7),
        error,
        attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
        status,
        created_at: from_nanos(row.get(11)),
        updated_at: from_nanos(row.get(12)),
    })
}

fn run_row(row: &Row) -> Result<RunRecord> {
    let report: Option<String> = row.get(6);
    let report = report
        .map(|r| serde_json::from_str(&r))
        .transpose()
        .map_err(|e| corrupt(format!("bad report JSON: {e}")))?;
    Ok(RunRecord {
        id: row.get(0),
        flow: row.get(1),
        mode: row.get(2),
        started_at: from_nanos(row.get(3)),
        finished_at: row.get::<_, Option<i64>>(4).map(from_nanos),
        status: row.get(5),
        report,
    })
}

fn activity_row(row: &Row) -> ActivityEntry {
    let received: Option<String> = row.get(5);
    let sent = if row.get(9) { received.clone() } else { row.get(6) };
    ActivityEntry {
        run_id: row.get(0),
        at: from_nanos(row.get(1)),
        flow: row.get(2),
        entity: row.get(3),
        key: row.get(4),
        received,
        sent,
        outcome: row.get(7),
        message: row.get(8),
    }
}

#[async_trait]
impl StateStore for PostgresStore {
    async fn checkpoint(&self, scope: &Scope) -> Result<Option<Cursor>> {
        let mut conn = self.conn().await?;
        let stmt = conn
            .prepare(
                "SELECT cursor FROM checkpoints WHERE tenant = $1 AND flow = $2 AND entity = $3",
            )
            .await?;
        let row = conn
            .client
            .query_opt(&stmt, &[&scope.tenant, &scope.flow, &scope.entity])
            .await
            .map_err(pg("read checkpoint"))?;
        Ok(row.map(|r| Cursor(r.get(0))))
    }

    async fn save_checkpoint(&self, scope: &Scope, cursor: &Cursor) -> Result<()> {
        self.save_checkpoint_fenced(scope, cursor, None).await
    }

    async fn clear_checkpoint(&self, scope: &Scope) -> Result<()> {
        let mut conn = self.conn().await?;
        let stmt = conn
            .prepare("DELETE FROM checkpoints WHERE tenant = $1 AND flow = $2 AND entity = $3")
            .await?;
        conn.client
            .execute(&stmt, &[&scope.tenant, &scope.flow, &scope.entity])
            .await
            .map_err(pg("clear checkpoint"))?;
        Ok(())
    }

    async fn ledger_get(&self, scope: &LedgerScope, keys: &[String]) -> Result<Vec<LedgerEntry>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let mut conn = self.conn().await?;
        let scope_id = self.scope_id(&mut conn, scope).await?;
        // Once per distinct key.
        let mut distinct = HashSet::with_capacity_and_hasher(keys.len(), Default::default());
        let wanted: Vec<&str> =
            keys.iter().map(String::as_str).filter(|k| distinct.insert(*k)).collect();
        let stmt = conn.prepare(LEDGER_GET).await?;
        let rows =
            conn.client.query(&stmt, &[&scope_id, &wanted]).await.map_err(pg("read ledger"))?;
        rows.iter().map(ledger_row).collect()
    }

    async fn ledger_mark_pending(
        &self,
        scope: &LedgerScope,
        pending: &[(String, String)],
    ) -> Result<()> {
        if pending.is_empty() {
            return Ok(());
        }
        let now = nanos(&Utc::now());
        // One intent per key (the last wins), sorted so concurrent batches lock in one order.
        let mut last: HashMap<&str, &str> =
            HashMap::with_capacity_and_hasher(pending.len(), Default::default());
        for (key, hash) in pending {
            last.insert(key, hash);
        }
        let mut rows: Vec<(&str, &str)> = last.into_iter().collect();
        rows.sort_unstable();
        let (keys, hashes): (Vec<&str>, Vec<&str>) = rows.into_iter().unzip();
        let mut conn = self.conn().await?;
        let scope_id = self.scope_id(&mut conn, scope).await?;
        let stmt = conn.prepare(INTENTS_UPSERT).await?;
        conn.client
            .execute(&stmt, &[&scope_id, &now, &keys, &hashes])
            .await
            .map_err(pg("mark ledger entries pending"))?;
        Ok(())
    }

    async fn commit(&self, batch: BatchCommit) -> Result<()> {
        self.commit_fenced(batch, None).await
    }

    async fn ledger_unseen(
        &self,
        scope: &LedgerScope,
        run_id: i64,
        limit: usize,
    ) -> Result<Vec<LedgerEntry>> {
        let mut conn = self.conn().await?;
        let scope_id = self.scope_id(&mut conn, scope).await?;
        let stmt = conn.prepare(LEDGER_UNSEEN).await?;
        let rows = conn
            .client
            .query(&stmt, &[&scope_id, &run_id, &to_i64(limit)])
            .await
            .map_err(pg("read unseen ledger entries"))?;
        rows.iter().map(ledger_row).collect()
    }

    async fn ledger_count(&self, scope: &LedgerScope) -> Result<u64> {
        let mut conn = self.conn().await?;
        let scope_id = self.scope_id(&mut conn, scope).await?;
        let stmt = conn.prepare(LEDGER_COUNT).await?;
        let n: i64 = conn
            .client
            .query_one(&stmt, &[&scope_id])
            .await
            .map_err(pg("count ledger entries"))?
            .get(0);
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn quarantine_list(&self, filter: &QuarantineFilter) -> Result<Vec<QuarantineEntry>> {
        let status = filter.status.map(status_name);
        let limit = filter.limit.map(to_i64);
        let mut conn = self.conn().await?;
        let stmt = conn.prepare(QUARANTINE_LIST).await?;
        let rows = conn
            .client
            .query(&stmt, &[&filter.tenant, &filter.flow, &filter.entity, &status, &limit])
            .await
            .map_err(pg("list quarantine"))?;
        rows.iter().map(quarantine_row).collect()
    }

    async fn run_started(&self, flow: &str, mode: &str, at: DateTime<Utc>) -> Result<i64> {
        let mut conn = self.conn().await?;
        let stmt = conn
            .prepare(
                "INSERT INTO runs (flow, mode, started_at, finished_at, status, report)
                 VALUES ($1, $2, $3, NULL, 'running', NULL) RETURNING id",
            )
            .await?;
        let row = conn
            .client
            .query_one(&stmt, &[&flow, &mode, &nanos(&at)])
            .await
            .map_err(pg("record run start"))?;
        Ok(row.get(0))
    }

    async fn run_finished(&self, run: RunRecord) -> Result<()> {
        let report = run
            .report
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(|e| Error::internal(format!("state store: serialise run report: {e}")))?;
        let finished_at = run.finished_at.as_ref().map(nanos);
        let mut conn = self.conn().await?;
        let stmt = conn
            .prepare("UPDATE runs SET finished_at = $2, status = $3, report = $4 WHERE id = $1")
            .await?;
        let n = conn
            .client
            .execute(&stmt, &[&run.id, &finished_at, &run.status, &report])
            .await
            .map_err(pg("record run end"))?;
        if n == 0 {
            return Err(Error::internal(format!("state store: no run with id {}", run.id)));
        }
        Ok(())
    }

    async fn runs(&self, flow: Option<&str>, limit: usize) -> Result<Vec<RunRecord>> {
        const ALL: &str = "SELECT id, flow, mode, started_at, finished_at, status, report
                           FROM runs ORDER BY started_at DESC, id DESC LIMIT $1";
        const OF_FLOW: &str = "SELECT id, flow, mode, started_at, finished_at, status, report
                               FROM runs WHERE flow = $2
                               ORDER BY started_at DESC, id DESC LIMIT $1";
        let mut conn = self.conn().await?;
        let limit = to_i64(limit);
        let rows = match flow {
            Some(flow) => {
                let stmt = conn.prepare(OF_FLOW).await?;
                conn.client.query(&stmt, &[&limit, &flow]).await
            }
            None => {
                let stmt = conn.prepare(ALL).await?;
                conn.client.query(&stmt, &[&limit]).await
            }
        }
        .map_err(pg("list runs"))?;
        rows.iter().map(run_row).collect()
    }

    async fn activity(&self, run_id: i64) -> Result<Vec<ActivityEntry>> {
        let mut conn = self.conn().await?;
        let stmt = conn
            .prepare(
                "SELECT run_id, at, flow, entity, key, received, sent, outcome, message,
                        sent_is_received
                 FROM activity WHERE run_id = $1 ORDER BY id",
            )
            .await?;
        let rows = conn.client.query(&stmt, &[&run_id]).await.map_err(pg("read activity"))?;
        Ok(rows.iter().map(activity_row).collect())
    }

    async fn run(&self, id: i64) -> Result<Option<RunRecord>> {
        let mut conn = self.conn().await?;
        let stmt = conn
            .prepare(
                "SELECT id, flow, mode, started_at, finished_at, status, report
                 FROM runs WHERE id = $1",
            )
            .await?;
        let row = conn.client.query_opt(&stmt, &[&id]).await.map_err(pg("read a run"))?;
        row.as_ref().map(run_row).transpose()
    }

    async fn activity_search(&self, query: &ActivityQuery) -> Result<Vec<ActivityEntry>> {
        let mut conn = self.conn().await?;
        let limit = to_i64(query.limit);
        let mut params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = vec![&limit];
        // Only the conditions given, so the planner uses (run_id, id) or (flow, key, id);
        // each combination is prepared once per connection.
        let mut conditions = Vec::new();
        if let Some(run) = &query.run_id {
            params.push(run);
            conditions.push(format!("run_id = ${}", params.len()));
        }
        if let Some(flow) = &query.flow {
            params.push(flow);
            conditions.push(format!("flow = ${}", params.len()));
        }
        if let Some(key) = &query.key {
            params.push(key);
            conditions.push(format!("key = ${}", params.len()));
        }
        let filter = if conditions.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", conditions.join(" AND "))
        };
        let sql = format!(
            "SELECT run_id, at, flow, entity, key, received, sent, outcome, message,
                    sent_is_received
             FROM activity {filter} ORDER BY id {} LIMIT $1",
            if query.newest_first { "DESC" } else { "ASC" }
        );
        let stmt = conn.prepare(&sql).await?;
        let rows = conn.client.query(&stmt, &params).await.map_err(pg("search activity"))?;
        Ok(rows.iter().map(activity_row).collect())
    }

    async fn prune_activity(&self, before: DateTime<Utc>) -> Result<u64> {
        let mut conn = self.conn().await?;
        let stmt = conn.prepare("DELETE FROM activity WHERE at < $1").await?;
        conn.client.execute(&stmt, &[&nanos(&before)]).await.map_err(pg("prune activity"))
    }

    async fn secret(&self, key: &str) -> Result<Option<String>> {
        let mut conn = self.conn().await?;
        let stmt = conn.prepare("SELECT value FROM secrets WHERE key = $1").await?;
        let row = conn.client.query_opt(&stmt, &[&key]).await.map_err(pg("read secret"))?;
        Ok(row.map(|r| r.get(0)))
    }

    /// A session advisory lock on a connection of its own, keyed by the schema and `key`:
    /// closing that connection (dropping the guard) releases it, also when the process dies.
    async fn lock(&self, key: &str) -> Result<Option<StateLock>> {
        self.migrate().await?;
        let conn = self.pool.connect().await?;
        let name = format!("{}:{key}", self.schema());
        conn.client
            .query_one("SELECT pg_advisory_lock(hashtext($1))", &[&name])
            .await
            .map_err(pg("take a lock"))?;
        Ok(Some(StateLock::new(conn)))
    }

    async fn save_secret(&self, key: &str, value: &str) -> Result<()> {
        let now = nanos(&Utc::now());
        let mut conn = self.conn().await?;
        let stmt = conn
            .prepare(
                "INSERT INTO secrets (key, value, updated_at) VALUES ($1, $2, $3)
                 ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value,
                                                 updated_at = EXCLUDED.updated_at",
            )
            .await?;
        conn.client.execute(&stmt, &[&key, &value, &now]).await.map_err(pg("save secret"))?;
        Ok(())
    }
}

impl PostgresStore {
    /// [`StateStore::commit`], refused (nothing written) unless `fence` is still held.
    pub(crate) async fn commit_fenced(
        &self,
        batch: BatchCommit,
        fence: Option<&Lease>,
    ) -> Result<()> {
        validate_batch(&batch)?;
        let mut pooled = self.conn().await?;
        let scope_id = match &batch.ledger_scope {
            Some(scope) => Some(self.scope_id(&mut pooled, scope).await?),
            None => None,
        };
        let conn = &mut *pooled;
        let tx = conn.client.transaction().await.map_err(pg("begin batch commit"))?;
        // On error the transaction is dropped, which rolls it back.
        if let Some(lease) = fence {
            check_fence(&tx, lease).await?;
        }
        write_batch(&mut conn.statements, &tx, &batch, scope_id).await?;
        tx.commit().await.map_err(pg("commit batch"))
    }

    /// [`StateStore::save_checkpoint`], refused unless `fence` is still held.
    pub(crate) async fn save_checkpoint_fenced(
        &self,
        scope: &Scope,
        cursor: &Cursor,
        fence: Option<&Lease>,
    ) -> Result<()> {
        let mut conn = self.conn().await?;
        let conn = &mut *conn;
        let now = nanos(&Utc::now());
        match fence {
            None => save_checkpoint(&mut conn.statements, &conn.client, scope, cursor, now).await,
            Some(lease) => {
                let tx = conn.client.transaction().await.map_err(pg("begin checkpoint"))?;
                check_fence(&tx, lease).await?;
                save_checkpoint(&mut conn.statements, &tx, scope, cursor, now).await?;
                tx.commit().await.map_err(pg("commit checkpoint"))
            }
        }
    }

    /// Whether `lease` is still held (its token and holder on the schedule's row).
    pub(crate) async fn holds(&self, lease: &Lease) -> Result<bool> {
        let conn = self.conn().await?;
        Ok(fence_row(&conn.client, lease).await?.is_some())
    }
}

async fn fence_row(
    client: &impl tokio_postgres::GenericClient,
    lease: &Lease,
) -> Result<Option<tokio_postgres::Row>> {
    client
        .query_opt(
            "SELECT 1 FROM schedules WHERE tenant = $1 AND flow = $2 AND lease_token = $3
             AND lease_owner = $4 FOR SHARE",
            &[&lease.tenant, &lease.flow, &lease.token, &lease.owner],
        )
        .await
        .map_err(pg("check the lease"))
}

/// Refuses, inside `tx`, when `lease` is no longer held; the row stays locked against a
/// takeover until `tx` ends.
async fn check_fence(tx: &tokio_postgres::Transaction<'_>, lease: &Lease) -> Result<()> {
    match fence_row(tx, lease).await? {
        Some(_) => Ok(()),
        None => Err(lease_lost(lease)),
    }
}

/// The refusal of a write under a lease another worker has taken over.
pub(crate) fn lease_lost(lease: &Lease) -> Error {
    Error::new(
        connector_core::ErrorKind::Conflict,
        format!(
            "the lease of {} {} was taken over by another worker: {} writes nothing more",
            lease.tenant, lease.flow, lease.owner
        ),
    )
}
