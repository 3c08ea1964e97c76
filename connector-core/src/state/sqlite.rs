//! SQLite state store: one file, WAL journal, one transaction per batch.
//!
//! One connection sits behind a [`Mutex`]; every trait method takes the lock, does its SQLite
//! work synchronously and releases it before returning, so no lock is held across an `.await`.
//! Statements are prepared once and cached. Timestamps are stored as RFC 3339 text in UTC with
//! nanoseconds (`2024-05-01T12:00:00.000000000Z`): fixed width, so text order is time order,
//! and values read back equal the values written.
//!
//! The schema is versioned with `PRAGMA user_version` and migrated on open; a file written by
//! a newer SDK is refused rather than misread.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{LazyLock, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::types::{ToSql, Type};
use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};

use super::{
    ActivityEntry, ActivityQuery, BatchCommit, LedgerEntry, LedgerScope, LedgerStatus,
    LedgerUpdate, QuarantineEntry, QuarantineFilter, QuarantineStatus, RunRecord, Scope,
    StateStore,
};
use crate::error::{Error, Result};
use crate::source::Cursor;

/// How long a statement waits for a lock held by another connection before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Capacity of the prepared-statement cache (every statement below, plus the filter variants
/// of `quarantine_list`).
const STATEMENT_CACHE: usize = 64;

/// Schema migrations; `user_version` = how many have been applied.
const MIGRATIONS: &[&str] = &[SCHEMA_V1, SCHEMA_V2, SCHEMA_V3, SCHEMA_V4, SCHEMA_V5];

/// A record's activity across runs, for the dashboard's search by key.
const SCHEMA_V5: &str = "CREATE INDEX activity_flow_key ON activity (flow, key, id);";

const SCHEMA_V1: &str = "
CREATE TABLE checkpoints (
    tenant     TEXT NOT NULL,
    flow       TEXT NOT NULL,
    entity     TEXT NOT NULL,
    cursor     TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (tenant, flow, entity)
) WITHOUT ROWID;

-- Ledger scopes (tenant, target, entity) get a small integer id, so the ledger's key is
-- (scope, key): short comparisons on the hot path.
CREATE TABLE ledger_scopes (
    id     INTEGER PRIMARY KEY,
    tenant TEXT NOT NULL,
    target TEXT NOT NULL,
    entity TEXT NOT NULL,
    UNIQUE (tenant, target, entity)
);

-- No secondary index: ledger_unseen and ledger_count scan one scope in key order, once per
-- run, while every batch writes the table; an index over status and seen_run would double
-- the cost of each write.
CREATE TABLE ledger (
    scope        INTEGER NOT NULL REFERENCES ledger_scopes (id),
    key          TEXT NOT NULL,
    target_id    TEXT,
    hash         TEXT,
    pending_hash TEXT,
    status       TEXT NOT NULL
                 -- Written as ORs: SQLite evaluates an IN list of constants through a
                 -- temporary b-tree on every row it checks.
                 CHECK (status = 'pending' OR status = 'committed' OR status = 'failed'
                        OR status = 'deactivated'),
    outcome      TEXT NOT NULL,
    seen_run     INTEGER,
    updated_at   INTEGER NOT NULL, -- Unix nanoseconds: cheap to write and read back exactly
    PRIMARY KEY (scope, key)
) WITHOUT ROWID;

CREATE TABLE quarantine (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id     INTEGER NOT NULL,
    tenant     TEXT NOT NULL,
    flow       TEXT NOT NULL,
    entity     TEXT NOT NULL,
    key        TEXT NOT NULL,
    stage      TEXT NOT NULL,
    payload    TEXT,
    error      TEXT NOT NULL,
    attempts   INTEGER NOT NULL,
    status     TEXT NOT NULL CHECK (status = 'open' OR status = 'resolved'),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
-- At most one open entry per record: repeated failures update it.
CREATE UNIQUE INDEX quarantine_open ON quarantine (tenant, flow, entity, key)
    WHERE status = 'open';
CREATE INDEX quarantine_scope ON quarantine (tenant, flow, entity, status);

CREATE TABLE activity (
    id       INTEGER PRIMARY KEY,
    run_id   INTEGER NOT NULL,
    at       TEXT NOT NULL,
    flow     TEXT NOT NULL,
    entity   TEXT NOT NULL,
    key      TEXT NOT NULL,
    received TEXT,
    sent     TEXT,
    outcome  TEXT NOT NULL,
    message  TEXT
);
CREATE INDEX activity_run ON activity (run_id);
CREATE INDEX activity_at ON activity (at);

CREATE TABLE runs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    flow        TEXT NOT NULL,
    mode        TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    status      TEXT NOT NULL,
    report      TEXT
);
CREATE INDEX runs_flow ON runs (flow, started_at);
CREATE INDEX runs_started ON runs (started_at);
";

/// Write intents apart from the ledger: a record about to be sent, until the outcome of the
/// send is committed. A created record's ledger row is then written once, at commit, rather
/// than inserted as pending and rewritten; the intents table stays as small as the batches in
/// flight. (Files from schema 1 may still hold `pending` ledger rows; they read as before.)
const SCHEMA_V2: &str = "
CREATE TABLE ledger_intents (
    scope INTEGER NOT NULL,
    key   TEXT NOT NULL,
    hash  TEXT NOT NULL,
    at    INTEGER NOT NULL, -- Unix nanoseconds
    PRIMARY KEY (scope, key)
) WITHOUT ROWID;
";

/// An activity line whose record went to the target as it came from the source (a flow
/// without steps, or steps that changed nothing) keeps the JSON once: `sent` is NULL and
/// `sent_is_received` is 1. Most lines are like that, and the payloads are most of the bytes
/// the log writes.
const SCHEMA_V3: &str = "
ALTER TABLE activity ADD COLUMN sent_is_received INTEGER NOT NULL DEFAULT 0;
";

/// Secrets: rotated refresh tokens and connection settings, each under a key, as the caller
/// gave them (sealed when a state key is set).
const SCHEMA_V4: &str = "
CREATE TABLE secrets (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL
) WITHOUT ROWID;
";

/// WAL pages between automatic checkpoints (about 40 MB of WAL on disk at most, in
/// normal operation; the WAL index SQLite maps in memory stays under 100 KB).
const WAL_CHECKPOINT_PAGES: i64 = 10_000;

/// Keys per `ledger_get` statement.
const GET_CHUNK: usize = 100;

/// The texts of the hot statements whose length depends on the chunk sizes, made once.
struct Statements {
    ledger_get: String,
    intents_get: String,
    intents_delete: String,
    seen: String,
    upsert_chunk: String,
    upsert_one: String,
    pending_chunk: String,
    pending_one: String,
}

static SQL: LazyLock<Statements> = LazyLock::new(|| {
    // `?, ?, …`: the key list of an `IN (...)` statement that takes GET_CHUNK keys.
    let keys = vec!["?"; GET_CHUNK].join(", ");
    Statements {
        ledger_get: format!(
            "SELECT {LEDGER_COLUMNS} FROM ledger WHERE scope = ? AND key IN ({keys})"
        ),
        intents_get: format!(
            "SELECT key, hash, at FROM ledger_intents WHERE scope = ? AND key IN ({keys})"
        ),
        intents_delete: format!("DELETE FROM ledger_intents WHERE scope = ? AND key IN ({keys})"),
        seen: format!("UPDATE ledger SET seen_run = ? WHERE scope = ? AND key IN ({keys})"),
        upsert_chunk: ledger_upsert(UPSERT_CHUNK),
        upsert_one: ledger_upsert(1),
        pending_chunk: intents_upsert(PENDING_CHUNK),
        pending_one: intents_upsert(1),
    }
});

/// A multi-row ledger upsert of `rows` rows: ?1 is the scope and ?2 the time, shared by every
/// row; six parameters per row.
fn ledger_upsert(rows: usize) -> String {
    let values = (0..rows)
        .map(|r| {
            let b = 3 + r * 6;
            format!(
                "(?1, ?{}, ?{}, ?{}, NULL, ?{}, ?{}, ?{}, ?2)",
                b,
                b + 1,
                b + 2,
                b + 3,
                b + 4,
                b + 5
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "INSERT INTO ledger (scope, key, target_id, hash, pending_hash, status, outcome,
                             seen_run, updated_at)
         VALUES {values}
         ON CONFLICT (scope, key) DO UPDATE SET
             target_id = COALESCE(excluded.target_id, target_id),
             hash = COALESCE(excluded.hash, hash),
             pending_hash = CASE WHEN excluded.status = 'pending'
                                 THEN pending_hash ELSE NULL END,
             status = excluded.status,
             outcome = excluded.outcome,
             seen_run = COALESCE(excluded.seen_run, seen_run),
             updated_at = excluded.updated_at"
    )
}

/// A multi-row write-intent upsert of `rows` rows: ?1 is the scope and ?2 the time, shared
/// by every row.
fn intents_upsert(rows: usize) -> String {
    let values = (0..rows)
        .map(|r| format!("(?1, ?{}, ?{}, ?2)", 3 + r * 2, 4 + r * 2))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "INSERT INTO ledger_intents (scope, key, hash, at) VALUES {values}
         ON CONFLICT (scope, key) DO UPDATE SET
             hash = excluded.hash,
             at = excluded.at"
    )
}

/// The parameters of such a statement: `leading`, then the keys of `chunk` (at most
/// [`GET_CHUNK`]) padded with repeats of its last key, so one cached statement serves every
/// chunk.
fn key_params<'a, K: ToSql>(
    leading: &'a [&'a dyn ToSql],
    chunk: &'a [K],
) -> impl Iterator<Item = &'a dyn ToSql> {
    let last = &chunk[chunk.len() - 1];
    let padded = chunk.iter().chain(std::iter::repeat(last)).take(GET_CHUNK);
    leading.iter().copied().chain(padded.map(|k| k as &dyn ToSql))
}

/// Rows per multi-row ledger upsert in `commit`.
const UPSERT_CHUNK: usize = 50;

/// Rows per multi-row `ledger_mark_pending` statement.
const PENDING_CHUNK: usize = 50;

const LEDGER_COLUMNS: &str =
    "key, target_id, hash, pending_hash, status, outcome, seen_run, updated_at";

const QUARANTINE_COLUMNS: &str = "id, run_id, tenant, flow, entity, key, stage, payload, error, \
                                  attempts, status, created_at, updated_at";

const RUN_COLUMNS: &str = "id, flow, mode, started_at, finished_at, status, report";

/// The default state store: one SQLite file (or an in-memory database for tests).
pub struct SqliteStore {
    conn: Mutex<Connection>,
    path: Option<PathBuf>,
    /// Ledger scope ids already looked up (they never change once created).
    scopes: Mutex<HashMap<LedgerScope, i64>>,
}

impl fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteStore").field("path", &self.path).finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens (or creates) the state file at `path`, switches it to the WAL journal with
    /// `synchronous = NORMAL`, and creates or migrates the schema.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let ctx = |what: &str| format!("{what} {}", path.display());
        let conn = Connection::open(path).map_err(|e| sql_error(&ctx("open state file"), e))?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(|e| sql_error(&ctx("set busy timeout on"), e))?;
        let mode: String = conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))
            .map_err(|e| sql_error(&ctx("switch to WAL journal"), e))?;
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::warn!(
                path = %path.display(),
                journal_mode = %mode,
                "state file does not support the WAL journal; using {mode}"
            );
        }
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(|e| sql_error(&ctx("set synchronous=NORMAL on"), e))?;
        // Checkpoint the WAL into the file every WAL_CHECKPOINT_PAGES pages instead of
        // SQLite's 1,000: a batch rewrites the same ledger and intent pages, which a later
        // checkpoint copies once, and each checkpoint costs an fsync.
        conn.pragma_update(None, "wal_autocheckpoint", WAL_CHECKPOINT_PAGES)
            .map_err(|e| sql_error(&ctx("set wal_autocheckpoint on"), e))?;
        Self::init(conn, Some(path.to_path_buf()))
    }

    /// An in-memory database (for tests): same schema and behaviour, gone when dropped.
    pub fn open_in_memory() -> Result<Self> {
        let conn = Connection::open_in_memory()
            .map_err(|e| sql_error("open in-memory state database", e))?;
        Self::init(conn, None)
    }

    /// The state file's path (`None` for an in-memory database).
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    fn init(mut conn: Connection, path: Option<PathBuf>) -> Result<Self> {
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(|e| sql_error("enable foreign keys", e))?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        migrate(&mut conn)?;
        Ok(Self { conn: Mutex::new(conn), path, scopes: Mutex::new(HashMap::default()) })
    }

    /// The id of a ledger scope, created on first use.
    fn scope_id(&self, conn: &Connection, scope: &LedgerScope) -> Result<i64> {
        if let Some(id) = self.scopes.lock().ok().and_then(|m| m.get(scope).copied()) {
            return Ok(id);
        }
        conn.prepare_cached(
            "INSERT INTO ledger_scopes (tenant, target, entity) VALUES (?1, ?2, ?3)
             ON CONFLICT (tenant, target, entity) DO NOTHING",
        )
        .and_then(|mut s| s.execute(params![scope.tenant, scope.target, scope.entity]))
        .map_err(sql("create ledger scope"))?;
        let id: i64 = conn
            .prepare_cached(
                "SELECT id FROM ledger_scopes WHERE tenant = ?1 AND target = ?2 AND entity = ?3",
            )
            .and_then(|mut s| {
                s.query_row(params![scope.tenant, scope.target, scope.entity], |r| r.get(0))
            })
            .map_err(sql("read ledger scope"))?;
        if let Ok(mut m) = self.scopes.lock() {
            m.insert(scope.clone(), id);
        }
        Ok(id)
    }

    fn lock(&self) -> Result<MutexGuard<'_, Connection>> {
        self.conn.lock().map_err(|_| {
            Error::internal("state store (SQLite): connection lock poisoned by an earlier panic")
        })
    }
}

/// Applies the migrations the file lacks, each in its own immediate transaction that re-reads
/// the version, so two processes opening a new file at once do not both create the schema.
fn migrate(conn: &mut Connection) -> Result<()> {
    let latest = MIGRATIONS.len();
    loop {
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| sql_error("begin schema migration", e))?;
        let version: i64 = tx
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(|e| sql_error("read schema version", e))?;
        let version = usize::try_from(version).map_err(|_| {
            Error::internal(format!("state store: invalid schema version {version}"))
        })?;
        if version > latest {
            return Err(Error::internal(format!(
                "state store: schema version {version} is newer than this SDK supports \
                 ({latest}); upgrade the SDK"
            )));
        }
        if version == latest {
            return Ok(());
        }
        tx.execute_batch(MIGRATIONS[version])
            .map_err(|e| sql_error(&format!("migrate schema to version {}", version + 1), e))?;
        tx.pragma_update(None, "user_version", to_i64(version + 1))
            .map_err(|e| sql_error("write schema version", e))?;
        tx.commit().map_err(|e| sql_error("commit schema migration", e))?;
    }
}

fn sql_error(context: &str, e: rusqlite::Error) -> Error {
    Error::internal(format!("state store (SQLite): {context}: {e}"))
}

/// `map_err` adapter naming the operation that failed.
fn sql(context: &'static str) -> impl Fn(rusqlite::Error) -> Error {
    move |e| sql_error(context, e)
}

fn to_i64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Unix nanoseconds (saturating outside 1677..2262).
fn nanos(at: &DateTime<Utc>) -> i64 {
    at.timestamp_nanos_opt().unwrap_or(if at.timestamp() < 0 { i64::MIN } else { i64::MAX })
}

fn ts(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Nanos, true)
}

fn conversion(idx: usize, ty: Type, msg: String) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(idx, ty, msg.into())
}

fn get_ts(row: &Row<'_>, idx: usize) -> rusqlite::Result<DateTime<Utc>> {
    let s: String = row.get(idx)?;
    parse_ts(&s, idx)
}

fn get_opt_ts(row: &Row<'_>, idx: usize) -> rusqlite::Result<Option<DateTime<Utc>>> {
    let s: Option<String> = row.get(idx)?;
    s.map(|s| parse_ts(&s, idx)).transpose()
}

fn parse_ts(s: &str, idx: usize) -> rusqlite::Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|d| d.with_timezone(&Utc))
        .map_err(|e| conversion(idx, Type::Text, format!("bad timestamp {s:?}: {e}")))
}

fn quarantine_status_str(s: QuarantineStatus) -> &'static str {
    match s {
        QuarantineStatus::Open => "open",
        QuarantineStatus::Resolved => "resolved",
    }
}

fn ledger_row(row: &Row<'_>) -> rusqlite::Result<LedgerEntry> {
    let status: String = row.get(4)?;
    let status = LedgerStatus::parse(&status)
        .ok_or_else(|| conversion(4, Type::Text, format!("unknown ledger status {status:?}")))?;
    Ok(LedgerEntry {
        key: row.get(0)?,
        target_id: row.get(1)?,
        hash: row.get(2)?,
        pending_hash: row.get(3)?,
        status,
        outcome: row.get(5)?,
        seen_run: row.get(6)?,
        updated_at: DateTime::from_timestamp_nanos(row.get(7)?),
    })
}

fn quarantine_row(row: &Row<'_>) -> rusqlite::Result<QuarantineEntry> {
    let error: String = row.get(8)?;
    let error: Error = serde_json::from_str(&error)
        .map_err(|e| conversion(8, Type::Text, format!("bad error JSON: {e}")))?;
    let status: String = row.get(10)?;
    let status = match status.as_str() {
        "open" => QuarantineStatus::Open,
        "resolved" => QuarantineStatus::Resolved,
        other => {
            return Err(conversion(10, Type::Text, format!("unknown quarantine status {other:?}")));
        }
    };
    Ok(QuarantineEntry {
        id: row.get(0)?,
        run_id: row.get(1)?,
        tenant: row.get(2)?,
        flow: row.get(3)?,
        entity: row.get(4)?,
        key: row.get(5)?,
        stage: row.get(6)?,
        payload: row.get(7)?,
        error,
        attempts: row.get(9)?,
        status,
        created_at: get_ts(row, 11)?,
        updated_at: get_ts(row, 12)?,
    })
}

fn run_row(row: &Row<'_>) -> rusqlite::Result<RunRecord> {
    let report: Option<String> = row.get(6)?;
    let report = report
        .map(|r| serde_json::from_str(&r))
        .transpose()
        .map_err(|e| conversion(6, Type::Text, format!("bad report JSON: {e}")))?;
    Ok(RunRecord {
        id: row.get(0)?,
        flow: row.get(1)?,
        mode: row.get(2)?,
        started_at: get_ts(row, 3)?,
        finished_at: get_opt_ts(row, 4)?,
        status: row.get(5)?,
        report,
    })
}

fn activity_row(row: &Row<'_>) -> rusqlite::Result<ActivityEntry> {
    let received: Option<String> = row.get(5)?;
    let sent = if row.get(9)? { received.clone() } else { row.get(6)? };
    Ok(ActivityEntry {
        run_id: row.get(0)?,
        at: get_ts(row, 1)?,
        flow: row.get(2)?,
        entity: row.get(3)?,
        key: row.get(4)?,
        received,
        sent,
        outcome: row.get(7)?,
        message: row.get(8)?,
    })
}

fn save_checkpoint(conn: &Connection, scope: &Scope, cursor: &Cursor, now: &str) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO checkpoints (tenant, flow, entity, cursor, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (tenant, flow, entity)
         DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at",
    )
    .and_then(|mut s| s.execute(params![scope.tenant, scope.flow, scope.entity, cursor.0, now]))
    .map_err(sql("save checkpoint"))?;
    Ok(())
}

/// Writes a batch inside an open transaction; `scope` is the id of `batch.ledger_scope`.
fn write_batch(
    conn: &Connection,
    batch: &BatchCommit,
    scope: Option<i64>,
    now: &str,
) -> Result<()> {
    let now_nanos = nanos(&Utc::now());
    if let Some(scope) = scope {
        let seen: HashSet<&str> = batch.seen.iter().map(String::as_str).collect();
        if !batch.ledger.is_empty() {
            // One entry per key (the last update wins), written by multi-row upserts.
            let mut last: HashMap<&str, &LedgerUpdate> =
                HashMap::with_capacity_and_hasher(batch.ledger.len(), Default::default());
            for u in &batch.ledger {
                last.insert(u.key.as_str(), u);
            }
            let mut once = HashSet::with_capacity_and_hasher(last.len(), Default::default());
            let updates: Vec<&LedgerUpdate> = batch
                .ledger
                .iter()
                .filter(|u| once.insert(u.key.as_str()))
                .map(|u| last[u.key.as_str()])
                .collect();
            let seen_runs: Vec<Option<i64>> = updates
                .iter()
                .map(|u| seen.contains(u.key.as_str()).then_some(batch.run_id))
                .collect();
            let statuses: Vec<&str> = updates.iter().map(|u| u.status.as_str()).collect();
            let mut start = 0;
            while start < updates.len() {
                let rows = if updates.len() - start >= UPSERT_CHUNK { UPSERT_CHUNK } else { 1 };
                let text = if rows == UPSERT_CHUNK { &SQL.upsert_chunk } else { &SQL.upsert_one };
                let mut stmt = conn.prepare_cached(text).map_err(sql("prepare ledger upsert"))?;
                let mut values: Vec<&dyn ToSql> = Vec::with_capacity(2 + rows * 6);
                values.extend([&scope as &dyn ToSql, &now_nanos]);
                for i in start..start + rows {
                    let u = updates[i];
                    values.extend([
                        &u.key as &dyn ToSql,
                        &u.target_id,
                        &u.hash,
                        &statuses[i],
                        &u.outcome,
                        &seen_runs[i],
                    ]);
                }
                stmt.execute(rusqlite::params_from_iter(values)).map_err(sql("ledger upsert"))?;
                start += rows;
            }
            // An outcome ends the write intent; a `pending` outcome keeps it.
            let settled: Vec<&str> = updates
                .iter()
                .filter(|u| u.status != LedgerStatus::Pending)
                .map(|u| u.key.as_str())
                .collect();
            if !settled.is_empty() {
                let mut stmt = conn
                    .prepare_cached(&SQL.intents_delete)
                    .map_err(sql("prepare write intent delete"))?;
                for chunk in settled.chunks(GET_CHUNK) {
                    stmt.execute(rusqlite::params_from_iter(key_params(&[&scope], chunk)))
                        .map_err(sql("delete write intents"))?;
                }
            }
        }
        if !batch.seen.is_empty() {
            let written: HashSet<&str> = batch.ledger.iter().map(|u| u.key.as_str()).collect();
            let unwritten: Vec<&String> =
                batch.seen.iter().filter(|k| !written.contains(k.as_str())).collect();
            let mut stmt = conn.prepare_cached(&SQL.seen).map_err(sql("prepare ledger seen"))?;
            for chunk in unwritten.chunks(GET_CHUNK) {
                let leading: [&dyn ToSql; 2] = [&batch.run_id, &scope];
                stmt.execute(rusqlite::params_from_iter(key_params(&leading, chunk)))
                    .map_err(sql("mark ledger entries seen"))?;
            }
        }
    }

    if !batch.quarantine.is_empty() {
        let mut stmt = conn
            .prepare_cached(
                "INSERT INTO quarantine (run_id, tenant, flow, entity, key, stage, payload,
                                         error, attempts, status, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'open', ?10, ?10)
                 ON CONFLICT (tenant, flow, entity, key) WHERE status = 'open' DO UPDATE SET
                     run_id = excluded.run_id,
                     stage = excluded.stage,
                     payload = COALESCE(excluded.payload, payload),
                     error = excluded.error,
                     attempts = attempts + 1,
                     updated_at = excluded.updated_at",
            )
            .map_err(sql("prepare quarantine upsert"))?;
        for q in &batch.quarantine {
            let error = serde_json::to_string(&q.error).map_err(|e| {
                Error::internal(format!("state store: serialise quarantine error: {e}"))
            })?;
            stmt.execute(params![
                batch.run_id,
                q.tenant,
                q.flow,
                q.entity,
                q.key,
                q.stage,
                q.payload,
                error,
                q.attempts.max(1),
                now
            ])
            .map_err(sql("quarantine upsert"))?;
        }
    }

    if !batch.resolved.is_empty() {
        let mut stmt = conn
            .prepare_cached(
                "UPDATE quarantine SET status = 'resolved', updated_at = ?5
                 WHERE tenant = ?1 AND flow = ?2 AND entity = ?3 AND key = ?4
                   AND status = 'open'",
            )
            .map_err(sql("prepare quarantine resolve"))?;
        for (tenant, flow, entity, key) in &batch.resolved {
            stmt.execute(params![tenant, flow, entity, key, now])
                .map_err(sql("resolve quarantine entry"))?;
        }
    }

    if !batch.activity.is_empty() {
        let mut stmt = conn
            .prepare_cached(
                "INSERT INTO activity (run_id, at, flow, entity, key, received, sent, outcome,
                                       message, sent_is_received)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )
            .map_err(sql("prepare activity insert"))?;
        for a in &batch.activity {
            let same = a.sent.is_some() && a.sent == a.received;
            stmt.execute(params![
                a.run_id,
                ts(&a.at),
                a.flow,
                a.entity,
                a.key,
                a.received,
                if same { None } else { a.sent.as_deref() },
                a.outcome,
                a.message,
                same
            ])
            .map_err(sql("insert activity"))?;
        }
    }

    if let Some((scope, cursor)) = &batch.checkpoint {
        save_checkpoint(conn, scope, cursor, now)?;
    }
    Ok(())
}

/// Rejects a batch that cannot be written as a whole, before anything is written.
pub(super) fn validate_batch(batch: &BatchCommit) -> Result<()> {
    if batch.ledger_scope.is_none() && !(batch.ledger.is_empty() && batch.seen.is_empty()) {
        return Err(Error::internal(
            "state store: batch commit has ledger updates or seen keys but no ledger scope",
        ));
    }
    Ok(())
}

#[async_trait]
impl StateStore for SqliteStore {
    async fn checkpoint(&self, scope: &Scope) -> Result<Option<Cursor>> {
        let conn = self.lock()?;
        let cursor = conn
            .prepare_cached(
                "SELECT cursor FROM checkpoints WHERE tenant = ?1 AND flow = ?2 AND entity = ?3",
            )
            .and_then(|mut s| {
                s.query_row(params![scope.tenant, scope.flow, scope.entity], |r| r.get(0))
                    .optional()
            })
            .map_err(sql("read checkpoint"))?;
        Ok(cursor.map(Cursor))
    }

    async fn save_checkpoint(&self, scope: &Scope, cursor: &Cursor) -> Result<()> {
        let conn = self.lock()?;
        save_checkpoint(&conn, scope, cursor, &ts(&Utc::now()))
    }

    async fn clear_checkpoint(&self, scope: &Scope) -> Result<()> {
        let conn = self.lock()?;
        conn.prepare_cached(
            "DELETE FROM checkpoints WHERE tenant = ?1 AND flow = ?2 AND entity = ?3",
        )
        .and_then(|mut s| s.execute(params![scope.tenant, scope.flow, scope.entity]))
        .map_err(sql("clear checkpoint"))?;
        Ok(())
    }

    async fn ledger_get(&self, scope: &LedgerScope, keys: &[String]) -> Result<Vec<LedgerEntry>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let mut conn = self.lock()?;
        let scope_id = self.scope_id(&conn, scope)?;
        // One read transaction: a consistent view and no per-statement transaction overhead.
        let tx = conn.transaction().map_err(sql("begin ledger read"))?;
        let mut found: HashMap<String, LedgerEntry> =
            HashMap::with_capacity_and_hasher(keys.len(), Default::default());
        {
            // Keys go in chunks of a fixed size (the last chunk padded with repeats), so one
            // cached statement serves every batch.
            let mut stmt =
                tx.prepare_cached(&SQL.ledger_get).map_err(sql("prepare ledger read"))?;
            let leading: [&dyn ToSql; 1] = [&scope_id];
            for chunk in keys.chunks(GET_CHUNK) {
                let values = key_params(&leading, chunk);
                let rows = stmt
                    .query_map(rusqlite::params_from_iter(values), ledger_row)
                    .map_err(sql("read ledger entries"))?;
                for row in rows {
                    let entry = row.map_err(sql("read ledger entry"))?;
                    found.insert(entry.key.clone(), entry);
                }
            }
        }
        // Open write intents make their keys pending (and are the only trace of a record
        // whose first send has not been committed yet).
        let any_intents: bool = tx
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM ledger_intents WHERE scope = ?1)")
            .and_then(|mut s| s.query_row(params![scope_id], |r| r.get(0)))
            .map_err(sql("look for write intents"))?;
        if any_intents {
            let mut stmt =
                tx.prepare_cached(&SQL.intents_get).map_err(sql("prepare write intent read"))?;
            let leading: [&dyn ToSql; 1] = [&scope_id];
            for chunk in keys.chunks(GET_CHUNK) {
                let values = key_params(&leading, chunk);
                let rows = stmt
                    .query_map(rusqlite::params_from_iter(values), |r| {
                        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?))
                    })
                    .map_err(sql("read write intents"))?;
                for row in rows {
                    let (key, hash, at) = row.map_err(sql("read write intent"))?;
                    let at = DateTime::from_timestamp_nanos(at);
                    match found.get_mut(&key) {
                        Some(e) => {
                            e.status = LedgerStatus::Pending;
                            e.pending_hash = Some(hash);
                            e.updated_at = at;
                        }
                        None => {
                            let entry = LedgerEntry {
                                key: key.clone(),
                                target_id: None,
                                hash: None,
                                pending_hash: Some(hash),
                                status: LedgerStatus::Pending,
                                outcome: String::new(),
                                seen_run: None,
                                updated_at: at,
                            };
                            found.insert(key, entry);
                        }
                    }
                }
            }
        }
        tx.commit().map_err(sql("end ledger read"))?;
        // In the order asked, once per distinct key.
        let mut out = Vec::with_capacity(found.len());
        for key in keys {
            if let Some(entry) = found.remove(key) {
                out.push(entry);
            }
        }
        Ok(out)
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
        let mut conn = self.lock()?;
        let scope_id = self.scope_id(&conn, scope)?;
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql("begin ledger mark pending"))?;
        {
            // The same key twice in one multi-row upsert is an error: keep the last intent.
            let mut last: HashMap<&str, &str> =
                HashMap::with_capacity_and_hasher(pending.len(), Default::default());
            for (key, hash) in pending {
                last.insert(key, hash);
            }
            let mut seen = HashSet::with_capacity_and_hasher(last.len(), Default::default());
            let rows: Vec<(&str, &str)> = pending
                .iter()
                .filter(|(k, _)| seen.insert(k.as_str()))
                .map(|(k, _)| (k.as_str(), last[k.as_str()]))
                .collect();
            let mut chunks = rows.chunks_exact(PENDING_CHUNK);
            {
                let mut stmt = tx
                    .prepare_cached(&SQL.pending_chunk)
                    .map_err(sql("prepare ledger mark pending"))?;
                for chunk in chunks.by_ref() {
                    let mut values: Vec<&dyn ToSql> = Vec::with_capacity(2 + chunk.len() * 2);
                    values.extend([&scope_id as &dyn ToSql, &now]);
                    for (key, hash) in chunk {
                        values.extend([key as &dyn ToSql, hash]);
                    }
                    stmt.execute(rusqlite::params_from_iter(values))
                        .map_err(sql("mark ledger entries pending"))?;
                }
            }
            let mut one =
                tx.prepare_cached(&SQL.pending_one).map_err(sql("prepare ledger mark pending"))?;
            for (key, hash) in chunks.remainder() {
                one.execute(params![scope_id, now, key, hash])
                    .map_err(sql("mark ledger entry pending"))?;
            }
        }
        tx.commit().map_err(sql("commit ledger mark pending"))?;
        Ok(())
    }

    async fn commit(&self, batch: BatchCommit) -> Result<()> {
        validate_batch(&batch)?;
        let now = ts(&Utc::now());
        let mut conn = self.lock()?;
        let scope_id = match &batch.ledger_scope {
            Some(scope) => Some(self.scope_id(&conn, scope)?),
            None => None,
        };
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql("begin batch commit"))?;
        // On error the transaction is dropped, which rolls it back.
        write_batch(&tx, &batch, scope_id, &now)?;
        tx.commit().map_err(sql("commit batch"))?;
        Ok(())
    }

    async fn ledger_unseen(
        &self,
        scope: &LedgerScope,
        run_id: i64,
        limit: usize,
    ) -> Result<Vec<LedgerEntry>> {
        let conn = self.lock()?;
        let scope_id = self.scope_id(&conn, scope)?;
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT {LEDGER_COLUMNS} FROM ledger
                 WHERE scope = ?1 AND status = 'committed'
                   AND (seen_run IS NULL OR seen_run <> ?2)
                   AND NOT EXISTS (SELECT 1 FROM ledger_intents i
                                   WHERE i.scope = ledger.scope AND i.key = ledger.key)
                 ORDER BY key LIMIT ?3"
            ))
            .map_err(sql("prepare ledger unseen"))?;
        let rows = stmt
            .query_map(params![scope_id, run_id, to_i64(limit)], ledger_row)
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(sql("read unseen ledger entries"))?;
        Ok(rows)
    }

    async fn ledger_count(&self, scope: &LedgerScope) -> Result<u64> {
        let conn = self.lock()?;
        let scope_id = self.scope_id(&conn, scope)?;
        let n: i64 = conn
            .prepare_cached(
                "SELECT (SELECT COUNT(*) FROM ledger WHERE scope = ?1 AND status = 'committed')
                      - (SELECT COUNT(*) FROM ledger_intents i JOIN ledger l
                           ON l.scope = i.scope AND l.key = i.key
                         WHERE i.scope = ?1 AND l.status = 'committed')",
            )
            .and_then(|mut s| s.query_row(params![scope_id], |r| r.get(0)))
            .map_err(sql("count ledger entries"))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn quarantine_list(&self, filter: &QuarantineFilter) -> Result<Vec<QuarantineEntry>> {
        let status = filter.status.map(quarantine_status_str);
        let limit = filter.limit.map_or(-1, to_i64);
        let mut sql_text = format!("SELECT {QUARANTINE_COLUMNS} FROM quarantine WHERE 1 = 1");
        let mut args: Vec<&dyn ToSql> = Vec::with_capacity(5);
        for (column, value) in
            [("tenant", &filter.tenant), ("flow", &filter.flow), ("entity", &filter.entity)]
        {
            if let Some(v) = value {
                sql_text.push_str(&format!(" AND {column} = ?"));
                args.push(v);
            }
        }
        if let Some(s) = &status {
            sql_text.push_str(" AND status = ?");
            args.push(s);
        }
        sql_text.push_str(" ORDER BY id LIMIT ?");
        args.push(&limit);

        let conn = self.lock()?;
        let mut stmt = conn.prepare_cached(&sql_text).map_err(sql("prepare quarantine list"))?;
        let rows = stmt
            .query_map(args.as_slice(), quarantine_row)
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(sql("list quarantine"))?;
        Ok(rows)
    }

    async fn run_started(&self, flow: &str, mode: &str, at: DateTime<Utc>) -> Result<i64> {
        let conn = self.lock()?;
        conn.prepare_cached(
            "INSERT INTO runs (flow, mode, started_at, finished_at, status, report)
             VALUES (?1, ?2, ?3, NULL, 'running', NULL)",
        )
        .and_then(|mut s| s.execute(params![flow, mode, ts(&at)]))
        .map_err(sql("record run start"))?;
        Ok(conn.last_insert_rowid())
    }

    async fn run_finished(&self, run: RunRecord) -> Result<()> {
        let report = run
            .report
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(|e| Error::internal(format!("state store: serialise run report: {e}")))?;
        let conn = self.lock()?;
        let n = conn
            .prepare_cached(
                "UPDATE runs SET finished_at = ?2, status = ?3, report = ?4 WHERE id = ?1",
            )
            .and_then(|mut s| {
                s.execute(params![run.id, run.finished_at.as_ref().map(ts), run.status, report])
            })
            .map_err(sql("record run end"))?;
        if n == 0 {
            return Err(Error::internal(format!("state store: no run with id {}", run.id)));
        }
        Ok(())
    }

    async fn runs(&self, flow: Option<&str>, limit: usize) -> Result<Vec<RunRecord>> {
        let conn = self.lock()?;
        let limit = to_i64(limit);
        let rows = match flow {
            Some(flow) => conn
                .prepare_cached(&format!(
                    "SELECT {RUN_COLUMNS} FROM runs WHERE flow = ?1
                     ORDER BY started_at DESC, id DESC LIMIT ?2"
                ))
                .and_then(|mut s| {
                    s.query_map(params![flow, limit], run_row)?.collect::<rusqlite::Result<_>>()
                }),
            None => conn
                .prepare_cached(&format!(
                    "SELECT {RUN_COLUMNS} FROM runs ORDER BY started_at DESC, id DESC LIMIT ?1"
                ))
                .and_then(|mut s| {
                    s.query_map(params![limit], run_row)?.collect::<rusqlite::Result<_>>()
                }),
        };
        rows.map_err(sql("list runs"))
    }

    async fn activity(&self, run_id: i64) -> Result<Vec<ActivityEntry>> {
        let conn = self.lock()?;
        conn.prepare_cached(
            "SELECT run_id, at, flow, entity, key, received, sent, outcome, message,
                    sent_is_received
             FROM activity WHERE run_id = ?1 ORDER BY id",
        )
        .and_then(|mut s| {
            s.query_map(params![run_id], activity_row)?.collect::<rusqlite::Result<_>>()
        })
        .map_err(sql("read activity"))
    }

    async fn run(&self, id: i64) -> Result<Option<RunRecord>> {
        let conn = self.lock()?;
        conn.prepare_cached(&format!("SELECT {RUN_COLUMNS} FROM runs WHERE id = ?1"))
            .and_then(|mut s| s.query_row(params![id], run_row).optional())
            .map_err(sql("read a run"))
    }

    async fn activity_search(&self, query: &ActivityQuery) -> Result<Vec<ActivityEntry>> {
        let conn = self.lock()?;
        // Only the conditions given, so the planner uses (run_id, id) or (flow, key, id).
        let mut conditions = Vec::new();
        let mut values: Vec<rusqlite::types::Value> = Vec::new();
        if let Some(run) = query.run_id {
            values.push(run.into());
            conditions.push(format!("run_id = ?{}", values.len()));
        }
        if let Some(flow) = &query.flow {
            values.push(flow.clone().into());
            conditions.push(format!("flow = ?{}", values.len()));
        }
        if let Some(key) = &query.key {
            values.push(key.clone().into());
            conditions.push(format!("key = ?{}", values.len()));
        }
        values.push(to_i64(query.limit).into());
        let filter = if conditions.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", conditions.join(" AND "))
        };
        conn.prepare_cached(&format!(
            "SELECT run_id, at, flow, entity, key, received, sent, outcome, message,
                    sent_is_received
             FROM activity {filter} ORDER BY id {} LIMIT ?{}",
            if query.newest_first { "DESC" } else { "ASC" },
            values.len()
        ))
        .and_then(|mut s| {
            s.query_map(rusqlite::params_from_iter(values), activity_row)?
                .collect::<rusqlite::Result<_>>()
        })
        .map_err(sql("search activity"))
    }

    async fn prune_activity(&self, before: DateTime<Utc>) -> Result<u64> {
        let conn = self.lock()?;
        let n = conn
            .prepare_cached("DELETE FROM activity WHERE at < ?1")
            .and_then(|mut s| s.execute(params![ts(&before)]))
            .map_err(sql("prune activity"))?;
        Ok(n as u64)
    }

    async fn secret(&self, key: &str) -> Result<Option<String>> {
        let conn = self.lock()?;
        conn.prepare_cached("SELECT value FROM secrets WHERE key = ?1")
            .and_then(|mut s| s.query_row(params![key], |r| r.get(0)).optional())
            .map_err(sql("read secret"))
    }

    async fn save_secret(&self, key: &str, value: &str) -> Result<()> {
        let conn = self.lock()?;
        let now = ts(&Utc::now());
        conn.prepare_cached(
            "INSERT INTO secrets (key, value, updated_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value,
                                             updated_at = excluded.updated_at",
        )
        .and_then(|mut s| s.execute(params![key, value, now]))
        .map(|_| ())
        .map_err(sql("save secret"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{LedgerStatus, LedgerUpdate};

    fn version(store: &SqliteStore) -> i64 {
        let conn = store.lock().unwrap();
        conn.pragma_query_value(None, "user_version", |r| r.get(0)).unwrap()
    }

    #[test]
    fn file_uses_wal_and_current_schema_version() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        let store = SqliteStore::open(&path).unwrap();
        assert_eq!(version(&store), MIGRATIONS.len() as i64);
        {
            let conn = store.lock().unwrap();
            let mode: String = conn.pragma_query_value(None, "journal_mode", |r| r.get(0)).unwrap();
            assert_eq!(mode.to_ascii_lowercase(), "wal");
            let sync: i64 = conn.pragma_query_value(None, "synchronous", |r| r.get(0)).unwrap();
            assert_eq!(sync, 1, "synchronous=NORMAL");
            let fk: i64 = conn.pragma_query_value(None, "foreign_keys", |r| r.get(0)).unwrap();
            assert_eq!(fk, 1);
        }
        assert_eq!(store.path(), Some(path.as_path()));
        drop(store);
        // Reopening an up-to-date file migrates nothing and fails nothing.
        let store = SqliteStore::open(&path).unwrap();
        assert_eq!(version(&store), MIGRATIONS.len() as i64);
    }

    #[tokio::test]
    async fn activity_sent_as_received_is_stored_once_and_old_lines_read_as_before() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        {
            // A file at schema 2 with one activity line.
            let mut conn = Connection::open(&path).unwrap();
            let tx = conn.transaction().unwrap();
            tx.execute_batch(SCHEMA_V1).unwrap();
            tx.execute_batch(SCHEMA_V2).unwrap();
            tx.pragma_update(None, "user_version", 2).unwrap();
            tx.execute(
                "INSERT INTO activity (run_id, at, flow, entity, key, received, sent, outcome)
                 VALUES (1, '2024-05-01T12:00:00.000000000Z', 'f', 'customers', 'old', '{}',
                         '{}', 'created')",
                [],
            )
            .unwrap();
            tx.commit().unwrap();
        }
        let store = SqliteStore::open(&path).unwrap();
        let line = |key: &str, received: &str, sent: Option<&str>| ActivityEntry {
            run_id: 1,
            at: Utc::now(),
            flow: "f".into(),
            entity: "customers".into(),
            key: key.into(),
            received: Some(received.into()),
            sent: sent.map(str::to_string),
            outcome: "created".into(),
            message: None,
        };
        let same = line("same", r#"{"name":"Ann"}"#, Some(r#"{"name":"Ann"}"#));
        let mapped = line("mapped", r#"{"name":"ann"}"#, Some(r#"{"name":"Ann"}"#));
        let none = line("none", r#"{"name":"Ann"}"#, None);
        let batch = BatchCommit {
            run_id: 1,
            activity: vec![same.clone(), mapped.clone(), none.clone()],
            ..BatchCommit::default()
        };
        store.commit(batch).await.unwrap();
        let read = store.activity(1).await.unwrap();
        assert_eq!(read.len(), 4);
        assert_eq!((read[0].key.as_str(), read[0].sent.as_deref()), ("old", Some("{}")));
        assert_eq!(read[1..], [same, mapped, none]);
        let conn = store.lock().unwrap();
        let stored: Option<String> = conn
            .query_row("SELECT sent FROM activity WHERE key = 'same'", [], |r| r.get(0))
            .unwrap();
        assert_eq!(stored, None, "the JSON is kept once");
    }

    #[test]
    fn newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        {
            let conn = Connection::open(&path).unwrap();
            conn.pragma_update(None, "user_version", 99).unwrap();
        }
        let err = SqliteStore::open(&path).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Internal);
        assert!(err.message().contains("newer"), "{err}");
    }

    #[tokio::test]
    async fn failed_batch_rolls_back_everything() {
        let store = SqliteStore::open_in_memory().unwrap();
        // Make the activity insert fail after the ledger and quarantine writes succeeded.
        store
            .lock()
            .unwrap()
            .execute_batch(
                "CREATE TRIGGER boom BEFORE INSERT ON activity WHEN NEW.key = 'boom'
                 BEGIN SELECT RAISE(ABORT, 'boom'); END;",
            )
            .unwrap();
        let scope = LedgerScope::new("t", "crm", "customers");
        let cp = Scope::new("t", "f", "customers");
        let batch = BatchCommit {
            ledger_scope: Some(scope.clone()),
            run_id: 1,
            ledger: vec![LedgerUpdate {
                key: "C-1".into(),
                target_id: Some("1".into()),
                hash: Some("h".into()),
                status: LedgerStatus::Committed,
                outcome: "created".into(),
            }],
            seen: vec!["C-1".into()],
            quarantine: vec![],
            resolved: vec![],
            activity: vec![ActivityEntry {
                run_id: 1,
                at: Utc::now(),
                flow: "f".into(),
                entity: "customers".into(),
                key: "boom".into(),
                received: None,
                sent: None,
                outcome: "created".into(),
                message: None,
            }],
            checkpoint: Some((cp.clone(), Cursor::new("c1"))),
        };
        let err = store.commit(batch).await.unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Internal);
        assert!(err.message().contains("boom"), "{err}");
        assert!(store.ledger_get(&scope, &["C-1".into()]).await.unwrap().is_empty());
        assert_eq!(store.checkpoint(&cp).await.unwrap(), None);
        assert!(store.activity(1).await.unwrap().is_empty());
        // The connection is usable afterwards (no transaction left open).
        store.save_checkpoint(&cp, &Cursor::new("c2")).await.unwrap();
        assert_eq!(store.checkpoint(&cp).await.unwrap(), Some(Cursor::new("c2")));
    }

    #[test]
    fn timestamps_sort_as_text() {
        let a = DateTime::parse_from_rfc3339("2024-01-01T00:00:00Z").unwrap().to_utc();
        let b = a + chrono::Duration::nanoseconds(1);
        let c = a + chrono::Duration::days(400);
        assert!(ts(&a) < ts(&b) && ts(&b) < ts(&c));
        assert_eq!(parse_ts(&ts(&b), 0).unwrap(), b);
    }

    #[test]
    fn hot_queries_use_indexes_without_sorting() {
        let store = SqliteStore::open_in_memory().unwrap();
        let conn = store.lock().unwrap();
        for q in [
            // ledger_unseen
            "SELECT key, seen_run FROM ledger WHERE scope = ?1
             AND status = 'committed' AND (seen_run IS NULL OR seen_run <> ?2)
             AND NOT EXISTS (SELECT 1 FROM ledger_intents i
                             WHERE i.scope = ledger.scope AND i.key = ledger.key)
             ORDER BY key LIMIT ?3",
            // ledger_get's intents, write intent deletes
            "SELECT key, hash, at FROM ledger_intents WHERE scope = ?1 AND key = ?2",
            "DELETE FROM ledger_intents WHERE scope = ?1 AND key = ?2",
            // ledger_count
            "SELECT COUNT(*) FROM ledger WHERE scope = ?1 AND status = 'committed'",
            // ledger_get
            "SELECT * FROM ledger WHERE scope = ?1 AND key = ?2",
            // activity, prune_activity, runs
            "SELECT * FROM activity WHERE run_id = ?1 ORDER BY id",
            "DELETE FROM activity WHERE at < ?1",
            "SELECT * FROM runs WHERE flow = ?1 ORDER BY started_at DESC, id DESC LIMIT ?2",
            "SELECT * FROM runs ORDER BY started_at DESC, id DESC LIMIT ?1",
        ] {
            let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {q}")).unwrap();
            let nulls = std::iter::repeat_n(rusqlite::types::Null, stmt.parameter_count());
            let plan: Vec<String> = stmt
                .query_map(rusqlite::params_from_iter(nulls), |r| r.get::<_, String>(3))
                .unwrap()
                .collect::<rusqlite::Result<_>>()
                .unwrap();
            let plan = plan.join("; ");
            assert!(plan.contains("USING"), "{q}: {plan}");
            assert!(!plan.contains("TEMP B-TREE"), "{q}: {plan}");
        }
    }
}
