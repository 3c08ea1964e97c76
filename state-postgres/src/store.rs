//! [`PostgresStore`]: construction, the schema on first use, and the secrets' compare-and-swap.

use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

use chrono::Utc;
use connector_core::error::{Error, ErrorKind, Result};
use connector_core::state::LedgerScope;
use rustc_hash::FxHashMap as HashMap;
use tokio::sync::OnceCell;
use tokio_postgres::Config;
use tokio_postgres::config::Host;

use crate::error::{nanos, pg};
use crate::migrations::{latest, migrate};
use crate::pool::{Pool, PooledConn};

/// Connections a store opens at most, unless [`PostgresStore::with_pool_size`] says otherwise.
pub const DEFAULT_POOL_SIZE: usize = 4;

/// How long making a connection may take when the URL sets no `connect_timeout`.
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Longest schema name PostgreSQL keeps (63 bytes).
const MAX_SCHEMA_LEN: usize = 63;

/// A [`StateStore`](connector_core::state::StateStore) in a PostgreSQL schema, shared by every
/// process that opens the same database and schema.
///
/// Its `Debug` shows the server, database, user and schema, never the password.
pub struct PostgresStore {
    pub(crate) pool: Pool,
    config: Config,
    schema: String,
    ready: OnceCell<()>,
    /// Ledger scope ids already looked up (they never change once created).
    scopes: Mutex<HashMap<LedgerScope, i64>>,
}

impl fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresStore")
            .field("server", &server(&self.config))
            .field("database", &self.config.get_dbname())
            .field("user", &self.config.get_user())
            .field("schema", &self.schema)
            .finish_non_exhaustive()
    }
}

/// `host:port` of each host the configuration names.
fn server(config: &Config) -> String {
    let ports = config.get_ports();
    config
        .get_hosts()
        .iter()
        .enumerate()
        .map(|(i, host)| {
            let host = match host {
                Host::Tcp(h) => h.clone(),
                #[cfg(unix)]
                Host::Unix(p) => p.display().to_string(),
            };
            match ports.get(i).or(ports.first()) {
                Some(port) => format!("{host}:{port}"),
                None => host,
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

impl PostgresStore {
    /// A store in `schema` of the database at `url` (`postgresql://user:password@host:port/db`
    /// or `host=… user=…`). Connects to nothing: the first call creates the schema if needed
    /// and applies the migrations it lacks, once.
    ///
    /// `schema` is lower-case ASCII letters, digits and `_`, starting with a letter or `_`.
    /// No TLS: use it on loopback or a trusted network (a URL that requires TLS fails to
    /// connect).
    pub fn new(url: &str, schema: &str) -> Result<Self> {
        check_schema(schema)?;
        let mut config: Config = url.parse().map_err(|e: tokio_postgres::Error| {
            Error::config(format!("state store (PostgreSQL): the database URL: {e}"))
        })?;
        // Every connection resolves unqualified names in the store's schema.
        let options = match config.get_options() {
            Some(o) if !o.trim().is_empty() => format!("{o} -c search_path={schema}"),
            _ => format!("-c search_path={schema}"),
        };
        config.options(options);
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(DEFAULT_CONNECT_TIMEOUT);
        }
        if config.get_application_name().is_none() {
            config.application_name("connector-state");
        }
        Ok(Self {
            pool: Pool::new(config.clone(), DEFAULT_POOL_SIZE),
            config,
            schema: schema.to_string(),
            ready: OnceCell::new(),
            scopes: Mutex::new(HashMap::default()),
        })
    }

    /// A store in the `public` schema of the database at `url`, its schema created or
    /// migrated now.
    pub async fn connect(url: &str) -> Result<Self> {
        let store = Self::new(url, "public")?;
        store.migrate().await?;
        Ok(store)
    }

    /// The same store with at most `size` connections (at least 1). Call it before first use.
    #[must_use]
    pub fn with_pool_size(mut self, size: usize) -> Self {
        self.pool = Pool::new(self.config.clone(), size);
        self
    }

    /// The schema the store's tables live in.
    pub fn schema(&self) -> &str {
        &self.schema
    }

    /// The schema version this code writes; a schema at a higher version is refused.
    pub fn schema_version() -> i32 {
        latest()
    }

    /// Creates the schema and applies the migrations it lacks, if that has not happened in
    /// this store yet. Every other method does this first; call it to fail early.
    pub async fn migrate(&self) -> Result<()> {
        self.ready
            .get_or_try_init(|| async {
                let mut conn = self.pool.get().await?;
                migrate(&mut conn.client, &self.schema).await
            })
            .await
            .map(|_| ())
    }

    /// A pooled connection, after the schema is ready.
    pub(crate) async fn conn(&self) -> Result<PooledConn<'_>> {
        self.migrate().await?;
        self.pool.get().await
    }

    /// The id of a ledger scope, created on first use.
    pub(crate) async fn scope_id(
        &self,
        conn: &mut PooledConn<'_>,
        scope: &LedgerScope,
    ) -> Result<i64> {
        if let Some(id) = self.scopes.lock().ok().and_then(|m| m.get(scope).copied()) {
            return Ok(id);
        }
        // DO UPDATE (not DO NOTHING) so RETURNING gives the id of an existing row as well.
        let stmt = conn
            .prepare(
                "INSERT INTO ledger_scopes (tenant, target, entity) VALUES ($1, $2, $3)
                 ON CONFLICT (tenant, target, entity) DO UPDATE SET tenant = EXCLUDED.tenant
                 RETURNING id",
            )
            .await?;
        let id: i64 = conn
            .client
            .query_one(&stmt, &[&scope.tenant, &scope.target, &scope.entity])
            .await
            .map_err(pg("create ledger scope"))?
            .get(0);
        if let Ok(mut m) = self.scopes.lock() {
            m.insert(scope.clone(), id);
        }
        Ok(id)
    }

    /// Replaces the secret under `key` with `new` only if it still holds `expected` (`None`:
    /// only if there is none), atomically across every process sharing the database; returns
    /// whether it did. Two workers that both read a rotated refresh token and both try to
    /// store its successor: one swaps, the other learns it lost and reads the winner's.
    pub async fn compare_and_swap_secret(
        &self,
        key: &str,
        expected: Option<&str>,
        new: &str,
    ) -> Result<bool> {
        let now = nanos(&Utc::now());
        let mut conn = self.conn().await?;
        let n = match expected {
            None => {
                let stmt = conn
                    .prepare(
                        "INSERT INTO secrets (key, value, updated_at) VALUES ($1, $2, $3)
                         ON CONFLICT (key) DO NOTHING",
                    )
                    .await?;
                conn.client.execute(&stmt, &[&key, &new, &now]).await
            }
            Some(expected) => {
                // Under READ COMMITTED a second UPDATE of the row waits for the first to
                // commit, then re-checks `value` against the new row: only one matches.
                let stmt = conn
                    .prepare(
                        "UPDATE secrets SET value = $3, updated_at = $4
                         WHERE key = $1 AND value = $2",
                    )
                    .await?;
                conn.client.execute(&stmt, &[&key, &expected, &new, &now]).await
            }
        }
        .map_err(pg("compare and swap secret"))?;
        Ok(n == 1)
    }
}

fn check_schema(schema: &str) -> Result<()> {
    let mut chars = schema.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_lowercase() || c == '_');
    let rest_ok = chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if first_ok && rest_ok && schema.len() <= MAX_SCHEMA_LEN && !schema.starts_with("pg_") {
        return Ok(());
    }
    Err(Error::new(
        ErrorKind::Config,
        format!(
            "state store (PostgreSQL): schema name {schema:?} is not lower-case letters, digits \
             and `_` (starting with a letter or `_`, not `pg_`, at most 63 bytes)"
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_connects_to_nothing_and_checks_the_schema_name() {
        let store = PostgresStore::new("postgresql://u@127.0.0.1:1/db", "test_1").unwrap();
        assert_eq!(store.schema(), "test_1");
        for bad in ["", "Test", "1abc", "a-b", "a;drop", "pg_catalog", &"a".repeat(64)] {
            let err = PostgresStore::new("postgresql://u@127.0.0.1:1/db", bad).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Config, "{bad:?}");
        }
        let err = PostgresStore::new("postgresql://u@h:notaport/db", "s").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
    }

    #[test]
    fn debug_shows_the_server_but_never_the_password() {
        let store =
            PostgresStore::new("postgresql://worker:s3cr3t-pw@db.internal:6543/state", "fleet")
                .unwrap();
        let debug = format!("{store:?}");
        assert!(!debug.contains("s3cr3t-pw"), "{debug}");
        for part in ["db.internal:6543", "state", "worker", "fleet"] {
            assert!(debug.contains(part), "{part} in {debug}");
        }
        let kv = PostgresStore::new("host=h user=u password=s3cr3t-pw dbname=d", "s").unwrap();
        assert!(!format!("{kv:?}").contains("s3cr3t-pw"));
    }

    #[tokio::test]
    async fn a_server_that_is_not_there_fails_with_a_transport_error_without_the_password() {
        // Port 1 on loopback: nothing listens there.
        let store =
            PostgresStore::new("postgresql://u:s3cr3t-pw@127.0.0.1:1/db?connect_timeout=2", "s")
                .unwrap();
        let err = store.migrate().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Transport, "{err}");
        assert!(!err.to_string().contains("s3cr3t-pw"), "{err}");
        assert!(!format!("{err:?}").contains("s3cr3t-pw"), "{err:?}");
    }
}
