//! The schema, versioned: `schema_migrations` holds one row per migration applied. Opening a
//! store applies the ones missing in one transaction, under a transaction-scoped advisory
//! lock keyed by the schema's name, so workers starting together apply each once; a schema
//! newer than this code is refused.

use connector_core::error::{Error, Result};
use tokio_postgres::Client;

use crate::error::pg;

/// The migrations, in order; version `n` is `MIGRATIONS[n - 1]`. Only ever append.
pub(crate) const MIGRATIONS: &[&str] = &[V1, V2, V3, V4, V5, V6];

/// Everything the SQLite store keeps, in one step (PostgreSQL has no older files to carry
/// along). Instants are `BIGINT` Unix nanoseconds: the state store's contract gives back
/// exactly the instant written, and `timestamptz` keeps microseconds. Record keys compare
/// with the "C" collation: byte order, as SQLite, whatever the database's locale.
const V1: &str = r#"
CREATE TABLE checkpoints (
    tenant     TEXT NOT NULL,
    flow       TEXT NOT NULL,
    entity     TEXT NOT NULL,
    cursor     TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (tenant, flow, entity)
);

-- Ledger scopes (tenant, target, entity) get a small id, so the ledger's key is (scope, key).
CREATE TABLE ledger_scopes (
    id     BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant TEXT NOT NULL,
    target TEXT NOT NULL,
    entity TEXT NOT NULL,
    UNIQUE (tenant, target, entity)
);

CREATE TABLE ledger (
    scope      BIGINT NOT NULL REFERENCES ledger_scopes (id),
    key        TEXT COLLATE "C" NOT NULL,
    target_id  TEXT,
    hash       TEXT,
    status     TEXT NOT NULL
               CHECK (status IN ('pending', 'committed', 'failed', 'deactivated')),
    outcome    TEXT NOT NULL,
    seen_run   BIGINT,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (scope, key)
);

-- Write intents: a record about to be sent, until the outcome of the send is committed.
CREATE TABLE ledger_intents (
    scope BIGINT NOT NULL,
    key   TEXT COLLATE "C" NOT NULL,
    hash  TEXT NOT NULL,
    at    BIGINT NOT NULL,
    PRIMARY KEY (scope, key)
);

CREATE TABLE quarantine (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id     BIGINT NOT NULL,
    tenant     TEXT NOT NULL,
    flow       TEXT NOT NULL,
    entity     TEXT NOT NULL,
    key        TEXT NOT NULL,
    stage      TEXT NOT NULL,
    payload    TEXT,
    error      TEXT NOT NULL,
    attempts   BIGINT NOT NULL,
    status     TEXT NOT NULL CHECK (status IN ('open', 'resolved')),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
-- At most one open entry per record: repeated failures update it.
CREATE UNIQUE INDEX quarantine_open ON quarantine (tenant, flow, entity, key)
    WHERE status = 'open';
CREATE INDEX quarantine_scope ON quarantine (tenant, flow, entity, status);

-- A line sent as it was received keeps the JSON once: sent is NULL, sent_is_received true.
CREATE TABLE activity (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id           BIGINT NOT NULL,
    at               BIGINT NOT NULL,
    flow             TEXT NOT NULL,
    entity           TEXT NOT NULL,
    key              TEXT NOT NULL,
    received         TEXT,
    sent             TEXT,
    outcome          TEXT NOT NULL,
    message          TEXT,
    sent_is_received BOOLEAN NOT NULL DEFAULT false
);
CREATE INDEX activity_run ON activity (run_id, id);
CREATE INDEX activity_at ON activity (at);

CREATE TABLE runs (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    flow        TEXT NOT NULL,
    mode        TEXT NOT NULL,
    started_at  BIGINT NOT NULL,
    finished_at BIGINT,
    status      TEXT NOT NULL,
    report      TEXT
);
CREATE INDEX runs_flow ON runs (flow, started_at, id);
CREATE INDEX runs_started ON runs (started_at, id);

-- Rotated refresh tokens and connection settings, as the caller gave them (sealed or not).
CREATE TABLE secrets (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
"#;

/// The fleet's schedule: one row per tenant and flow, with how often it runs, when it is next
/// due, and the lease of the worker running it. `lease_token` goes up by one at every
/// acquisition (from one sequence for the whole schema): a worker whose lease expired and was taken over finds its token stale and
/// learns it lost the run. Instants are the database's clock, in Unix nanoseconds, so
/// workers' clocks never need to agree.
const V2: &str = r#"
CREATE TABLE schedules (
    tenant       TEXT COLLATE "C" NOT NULL,
    flow         TEXT COLLATE "C" NOT NULL,
    every_ns     BIGINT NOT NULL CHECK (every_ns > 0),
    next_run_at  BIGINT NOT NULL,
    lease_owner  TEXT,
    lease_until  BIGINT,
    lease_token  BIGINT NOT NULL DEFAULT 0, -- from lease_tokens: never reused, even after a
                                            -- flow is taken off the schedule and put back
    last_status  TEXT,
    last_finished_at BIGINT,
    PRIMARY KEY (tenant, flow)
);
CREATE INDEX schedules_due ON schedules (next_run_at);
CREATE SEQUENCE lease_tokens;
"#;

/// Tenants: each system's settings for a tenant (`xero` for acme: its client id, refresh
/// token…), as the caller gave them: sealed when a state key is set, which the CLI requires
/// for settings that hold a secret.
const V3: &str = r#"
CREATE TABLE tenant_settings (
    tenant     TEXT COLLATE "C" NOT NULL,
    system     TEXT COLLATE "C" NOT NULL,
    settings   TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (tenant, system)
);
"#;

/// Rate windows every worker of a fleet counts in: one row per budget, window and period
/// start (the database's clock, Unix milliseconds). `take_rate` counts one request if it fits
/// and answers 0, or counts nothing and answers the milliseconds to wait. It estimates the
/// sliding window from two fixed ones (the current period's count plus the previous one's,
/// weighted by the part of it still inside the sliding window, rounded up), and locks the
/// current row while it decides, so workers racing for the last unit get it once.
const V4: &str = r#"
CREATE TABLE rate_windows (
    budget   TEXT COLLATE "C" NOT NULL,
    win      TEXT COLLATE "C" NOT NULL,
    start_ms BIGINT NOT NULL,
    used     BIGINT NOT NULL,
    PRIMARY KEY (budget, win, start_ms)
);

CREATE FUNCTION take_rate(p_budget TEXT, p_win TEXT, p_period BIGINT, p_limit BIGINT)
RETURNS BIGINT LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    now_ms    BIGINT := floor(extract(epoch FROM clock_timestamp()) * 1000);
    cur       BIGINT := now_ms - now_ms % p_period;
    elapsed   BIGINT := now_ms - cur;
    cur_used  BIGINT;
    prev_used BIGINT;
    weighted  BIGINT;
BEGIN
    INSERT INTO rate_windows VALUES (p_budget, p_win, cur, 0) ON CONFLICT DO NOTHING;
    IF FOUND THEN
        DELETE FROM rate_windows
        WHERE budget = p_budget AND win = p_win AND start_ms < cur - p_period;
    END IF;
    SELECT used INTO cur_used FROM rate_windows
    WHERE budget = p_budget AND win = p_win AND start_ms = cur FOR UPDATE;
    SELECT coalesce(max(used), 0) INTO prev_used FROM rate_windows
    WHERE budget = p_budget AND win = p_win AND start_ms = cur - p_period;
    weighted := (prev_used * (p_period - elapsed) + p_period - 1) / p_period;
    IF cur_used + weighted < p_limit THEN
        UPDATE rate_windows SET used = used + 1
        WHERE budget = p_budget AND win = p_win AND start_ms = cur;
        RETURN 0;
    END IF;
    IF cur_used >= p_limit OR prev_used = 0 THEN
        RETURN p_period - elapsed;
    END IF;
    RETURN greatest(1, p_period - (p_limit - cur_used - 1) * p_period / prev_used - elapsed);
END
$$;
"#;

/// A record's activity across runs, for the dashboard's search by key.
const V5: &str = "CREATE INDEX activity_flow_key ON activity (flow, key, id);";

/// Rate windows counted in buckets of a twentieth of the period (database clock, Unix
/// milliseconds), replacing version 4's two-period estimate, which could let a fleet send
/// almost twice a window's limit within one period. `take_rate` counts every bucket that
/// overlaps the sliding window, whole: the count is never below the true one, so no window
/// of the period's length ever holds more than the limit, at a cost of at most a twentieth
/// of it. It answers 0 when it counted the request, or the milliseconds until the oldest
/// buckets leave the window. An advisory lock per budget and window serialises its callers.
const V6: &str = r#"
DROP FUNCTION take_rate(TEXT, TEXT, BIGINT, BIGINT);
DROP TABLE rate_windows;

CREATE TABLE rate_buckets (
    budget   TEXT COLLATE "C" NOT NULL,
    win      TEXT COLLATE "C" NOT NULL,
    start_ms BIGINT NOT NULL,
    used     BIGINT NOT NULL,
    PRIMARY KEY (budget, win, start_ms)
);

CREATE FUNCTION take_rate(p_budget TEXT, p_win TEXT, p_period BIGINT, p_limit BIGINT)
RETURNS BIGINT LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    now_ms BIGINT := floor(extract(epoch FROM clock_timestamp()) * 1000);
    width  BIGINT := greatest(p_period / 20, 1);
    total  BIGINT;
    need   BIGINT;
    b      RECORD;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('take_rate:' || p_budget), hashtext(p_win));
    DELETE FROM rate_buckets
    WHERE budget = p_budget AND win = p_win AND start_ms + width <= now_ms - p_period;
    SELECT coalesce(sum(used), 0) INTO total FROM rate_buckets
    WHERE budget = p_budget AND win = p_win;
    IF total < p_limit THEN
        INSERT INTO rate_buckets VALUES (p_budget, p_win, now_ms - now_ms % width, 1)
        ON CONFLICT (budget, win, start_ms) DO UPDATE SET used = rate_buckets.used + 1;
        RETURN 0;
    END IF;
    need := total - p_limit + 1;
    FOR b IN SELECT start_ms, used FROM rate_buckets
             WHERE budget = p_budget AND win = p_win ORDER BY start_ms LOOP
        need := need - b.used;
        IF need <= 0 THEN
            RETURN greatest(1, b.start_ms + width + p_period - now_ms);
        END IF;
    END LOOP;
    RETURN width;
END
$$;
"#;

/// The schema version this code writes.
pub(crate) fn latest() -> i32 {
    i32::try_from(MIGRATIONS.len()).unwrap_or(i32::MAX)
}

/// The refusal of a schema newer than this code.
fn newer(schema: &str, current: i32, latest: i32) -> Error {
    Error::internal(format!(
        "state store (PostgreSQL): schema \"{schema}\" is at version {current}, newer than this \
         SDK supports ({latest}); upgrade the SDK"
    ))
}

/// Creates `schema` if needed and applies the migrations it lacks, all in one transaction.
/// `schema` must be a checked identifier (see `PostgresStore::new`).
pub(crate) async fn migrate(client: &mut Client, schema: &str) -> Result<()> {
    let latest = latest();
    // An up-to-date schema needs no lock and no DDL, so a worker role without CREATE rights
    // can use a schema its administrator migrated.
    let table = format!(r#""{schema}".schema_migrations"#);
    let exists: Option<String> = client
        .query_one("SELECT to_regclass($1)::text", &[&table])
        .await
        .map_err(pg("look for the schema"))?
        .get(0);
    if exists.is_some() {
        let current: Option<i32> = client
            .query_one(&format!("SELECT max(version) FROM {table}"), &[])
            .await
            .map_err(pg("read the schema version"))?
            .get(0);
        let current = current.unwrap_or(0);
        if current > latest {
            return Err(newer(schema, current, latest));
        }
        if current == latest {
            return Ok(());
        }
    }
    let tx = client.transaction().await.map_err(pg("begin schema migration"))?;
    // Held until commit or rollback: a second worker waits here, then finds nothing to do.
    tx.execute("SELECT pg_advisory_xact_lock(hashtext($1))", &[&lock_name(schema)])
        .await
        .map_err(pg("take the migration lock"))?;
    tx.batch_execute(&format!(
        r#"CREATE SCHEMA IF NOT EXISTS "{schema}";
           CREATE TABLE IF NOT EXISTS "{schema}".schema_migrations (
               version    INTEGER PRIMARY KEY,
               applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
           );
           SET LOCAL search_path TO "{schema}";"#
    ))
    .await
    .map_err(pg("create the schema"))?;
    let current: Option<i32> = tx
        .query_one("SELECT max(version) FROM schema_migrations", &[])
        .await
        .map_err(pg("read the schema version"))?
        .get(0);
    let current = current.unwrap_or(0);
    if current > latest {
        return Err(newer(schema, current, latest));
    }
    for version in current + 1..=latest {
        let index = usize::try_from(version - 1).unwrap_or(usize::MAX);
        tx.batch_execute(MIGRATIONS[index]).await.map_err(|e| {
            crate::error::pg_error(&format!("migrate the schema to version {version}"), &e)
        })?;
        tx.execute("INSERT INTO schema_migrations (version) VALUES ($1)", &[&version])
            .await
            .map_err(pg("record the schema version"))?;
        tracing::info!(schema, version, "state store (PostgreSQL): schema migrated");
    }
    tx.commit().await.map_err(pg("commit schema migration"))
}

/// The advisory lock's name: one lock per schema, so fresh schemas migrate side by side.
fn lock_name(schema: &str) -> String {
    format!("connector-state-postgres:{schema}")
}
