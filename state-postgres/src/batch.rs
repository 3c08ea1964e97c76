//! Writing a [`BatchCommit`] inside one transaction, with one statement per kind of row
//! (arrays unnested server-side), whatever the batch's size.

use chrono::Utc;
use connector_core::error::{Error, Result};
use connector_core::source::Cursor;
use connector_core::state::{BatchCommit, LedgerStatus, LedgerUpdate, Scope};
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use tokio_postgres::Transaction;

use crate::error::{nanos, pg};
use crate::pool::Statements;

const LEDGER_UPSERT: &str = "
INSERT INTO ledger (scope, key, target_id, hash, status, outcome, seen_run, updated_at)
SELECT $1, u.key, u.target_id, u.hash, u.status, u.outcome, u.seen_run, $2
FROM UNNEST($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::int8[])
     AS u (key, target_id, hash, status, outcome, seen_run)
ON CONFLICT (scope, key) DO UPDATE SET
    target_id = COALESCE(EXCLUDED.target_id, ledger.target_id),
    hash = COALESCE(EXCLUDED.hash, ledger.hash),
    status = EXCLUDED.status,
    outcome = EXCLUDED.outcome,
    seen_run = COALESCE(EXCLUDED.seen_run, ledger.seen_run),
    updated_at = EXCLUDED.updated_at";

const INTENTS_DELETE: &str = "DELETE FROM ledger_intents WHERE scope = $1 AND key = ANY($2)";

const SEEN: &str = "UPDATE ledger SET seen_run = $1 WHERE scope = $2 AND key = ANY($3)";

const QUARANTINE_UPSERT: &str = "
INSERT INTO quarantine (run_id, tenant, flow, entity, key, stage, payload, error, attempts,
                        status, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'open', $10, $10)
ON CONFLICT (tenant, flow, entity, key) WHERE status = 'open' DO UPDATE SET
    run_id = EXCLUDED.run_id,
    stage = EXCLUDED.stage,
    payload = COALESCE(EXCLUDED.payload, quarantine.payload),
    error = EXCLUDED.error,
    attempts = quarantine.attempts + 1,
    updated_at = EXCLUDED.updated_at";

const QUARANTINE_RESOLVE: &str = "
UPDATE quarantine q SET status = 'resolved', updated_at = $1
FROM UNNEST($2::text[], $3::text[], $4::text[], $5::text[]) AS r (tenant, flow, entity, key)
WHERE q.tenant = r.tenant AND q.flow = r.flow AND q.entity = r.entity AND q.key = r.key
  AND q.status = 'open'";

/// Ids follow the order of the batch's lines (ORDINALITY), so `activity` reads them back in
/// the order written.
const ACTIVITY_INSERT: &str = "
INSERT INTO activity (run_id, at, flow, entity, key, received, sent, outcome, message,
                      sent_is_received)
SELECT a.run_id, a.at, a.flow, a.entity, a.key, a.received, a.sent, a.outcome, a.message,
       a.same
FROM UNNEST($1::int8[], $2::int8[], $3::text[], $4::text[], $5::text[], $6::text[],
            $7::text[], $8::text[], $9::text[], $10::bool[])
     WITH ORDINALITY AS a (run_id, at, flow, entity, key, received, sent, outcome, message,
                           same, n)
ORDER BY a.n";

pub(crate) const CHECKPOINT_UPSERT: &str = "
INSERT INTO checkpoints (tenant, flow, entity, cursor, updated_at) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (tenant, flow, entity)
DO UPDATE SET cursor = EXCLUDED.cursor, updated_at = EXCLUDED.updated_at";

/// Rejects a batch that cannot be written as a whole, before anything is written (as the
/// SQLite store does).
pub(crate) fn validate_batch(batch: &BatchCommit) -> Result<()> {
    if batch.ledger_scope.is_none() && !(batch.ledger.is_empty() && batch.seen.is_empty()) {
        return Err(Error::internal(
            "state store: batch commit has ledger updates or seen keys but no ledger scope",
        ));
    }
    Ok(())
}

/// One update per key (the last wins), sorted by key: an upsert may not touch a row twice,
/// and batches that lock rows in the same order cannot deadlock each other.
pub(crate) fn last_per_key(ledger: &[LedgerUpdate]) -> Vec<&LedgerUpdate> {
    let mut last: HashMap<&str, &LedgerUpdate> =
        HashMap::with_capacity_and_hasher(ledger.len(), Default::default());
    for u in ledger {
        last.insert(u.key.as_str(), u);
    }
    let mut updates: Vec<&LedgerUpdate> = last.into_values().collect();
    updates.sort_unstable_by(|a, b| a.key.cmp(&b.key));
    updates
}

/// Writes a batch inside `tx`; `scope` is the id of `batch.ledger_scope`.
pub(crate) async fn write_batch(
    st: &mut Statements,
    tx: &Transaction<'_>,
    batch: &BatchCommit,
    scope: Option<i64>,
) -> Result<()> {
    let now = nanos(&Utc::now());
    if let Some(scope) = scope {
        write_ledger(st, tx, batch, scope, now).await?;
    }

    if !batch.quarantine.is_empty() {
        let stmt = st.get(tx, QUARANTINE_UPSERT).await?;
        // One at a time: the same record twice in a batch counts two attempts.
        for q in &batch.quarantine {
            let error = serde_json::to_string(&q.error).map_err(|e| {
                Error::internal(format!("state store: serialise quarantine error: {e}"))
            })?;
            let attempts = i64::from(q.attempts.max(1));
            tx.execute(
                &stmt,
                &[
                    &batch.run_id,
                    &q.tenant,
                    &q.flow,
                    &q.entity,
                    &q.key,
                    &q.stage,
                    &q.payload,
                    &error,
                    &attempts,
                    &now,
                ],
            )
            .await
            .map_err(pg("quarantine upsert"))?;
        }
    }

    if !batch.resolved.is_empty() {
        let stmt = st.get(tx, QUARANTINE_RESOLVE).await?;
        let column = |f: fn(&(String, String, String, String)) -> &str| -> Vec<&str> {
            batch.resolved.iter().map(f).collect()
        };
        let (tenants, flows) = (column(|r| &r.0), column(|r| &r.1));
        let (entities, keys) = (column(|r| &r.2), column(|r| &r.3));
        tx.execute(&stmt, &[&now, &tenants, &flows, &entities, &keys])
            .await
            .map_err(pg("resolve quarantine entries"))?;
    }

    if !batch.activity.is_empty() {
        let stmt = st.get(tx, ACTIVITY_INSERT).await?;
        let a = &batch.activity;
        let same: Vec<bool> = a.iter().map(|a| a.sent.is_some() && a.sent == a.received).collect();
        let run_ids: Vec<i64> = a.iter().map(|a| a.run_id).collect();
        let ats: Vec<i64> = a.iter().map(|a| nanos(&a.at)).collect();
        let flows: Vec<&str> = a.iter().map(|a| a.flow.as_str()).collect();
        let entities: Vec<&str> = a.iter().map(|a| a.entity.as_str()).collect();
        let keys: Vec<&str> = a.iter().map(|a| a.key.as_str()).collect();
        let received: Vec<Option<&str>> = a.iter().map(|a| a.received.as_deref()).collect();
        let sent: Vec<Option<&str>> = a
            .iter()
            .zip(&same)
            .map(|(a, same)| if *same { None } else { a.sent.as_deref() })
            .collect();
        let outcomes: Vec<&str> = a.iter().map(|a| a.outcome.as_str()).collect();
        let messages: Vec<Option<&str>> = a.iter().map(|a| a.message.as_deref()).collect();
        tx.execute(
            &stmt,
            &[
                &run_ids, &ats, &flows, &entities, &keys, &received, &sent, &outcomes, &messages,
                &same,
            ],
        )
        .await
        .map_err(pg("insert activity"))?;
    }

    if let Some((scope, cursor)) = &batch.checkpoint {
        save_checkpoint(st, tx, scope, cursor, now).await?;
    }
    Ok(())
}

async fn write_ledger(
    st: &mut Statements,
    tx: &Transaction<'_>,
    batch: &BatchCommit,
    scope: i64,
    now: i64,
) -> Result<()> {
    if !batch.ledger.is_empty() {
        let seen: HashSet<&str> = batch.seen.iter().map(String::as_str).collect();
        let updates = last_per_key(&batch.ledger);
        let keys: Vec<&str> = updates.iter().map(|u| u.key.as_str()).collect();
        let ids: Vec<Option<&str>> = updates.iter().map(|u| u.target_id.as_deref()).collect();
        let hashes: Vec<Option<&str>> = updates.iter().map(|u| u.hash.as_deref()).collect();
        let statuses: Vec<&str> = updates.iter().map(|u| u.status.as_str()).collect();
        let outcomes: Vec<&str> = updates.iter().map(|u| u.outcome.as_str()).collect();
        let seen_runs: Vec<Option<i64>> =
            keys.iter().map(|k| seen.contains(k).then_some(batch.run_id)).collect();
        let stmt = st.get(tx, LEDGER_UPSERT).await?;
        tx.execute(&stmt, &[&scope, &now, &keys, &ids, &hashes, &statuses, &outcomes, &seen_runs])
            .await
            .map_err(pg("ledger upsert"))?;
        // An outcome ends the write intent; a `pending` outcome keeps it.
        let settled: Vec<&str> = updates
            .iter()
            .filter(|u| u.status != LedgerStatus::Pending)
            .map(|u| u.key.as_str())
            .collect();
        if !settled.is_empty() {
            let stmt = st.get(tx, INTENTS_DELETE).await?;
            tx.execute(&stmt, &[&scope, &settled]).await.map_err(pg("delete write intents"))?;
        }
    }
    if !batch.seen.is_empty() {
        let written: HashSet<&str> = batch.ledger.iter().map(|u| u.key.as_str()).collect();
        let mut unwritten: Vec<&str> =
            batch.seen.iter().map(String::as_str).filter(|k| !written.contains(k)).collect();
        if !unwritten.is_empty() {
            unwritten.sort_unstable();
            let stmt = st.get(tx, SEEN).await?;
            tx.execute(&stmt, &[&batch.run_id, &scope, &unwritten])
                .await
                .map_err(pg("mark ledger entries seen"))?;
        }
    }
    Ok(())
}

/// Saves a cursor through `client` (a transaction or the connection itself).
pub(crate) async fn save_checkpoint(
    st: &mut Statements,
    client: &impl tokio_postgres::GenericClient,
    scope: &Scope,
    cursor: &Cursor,
    now: i64,
) -> Result<()> {
    let stmt = st.get(client, CHECKPOINT_UPSERT).await?;
    client
        .execute(&stmt, &[&scope.tenant, &scope.flow, &scope.entity, &cursor.0, &now])
        .await
        .map_err(pg("save checkpoint"))?;
    Ok(())
}
