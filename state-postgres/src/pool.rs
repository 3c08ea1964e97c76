//! A small connection pool: at most `size` connections, made when first needed, each handed
//! to one caller at a time; a connection that broke is dropped instead of handed out again.

use std::sync::Mutex;

use rustc_hash::FxHashMap as HashMap;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_postgres::{Client, Config, GenericClient, NoTls, Statement};

use crate::error::pg_error;
use connector_core::error::{Error, Result};

/// One connection and the statements prepared on it.
pub(crate) struct Conn {
    /// The client.
    pub(crate) client: Client,
    /// The statements prepared on it.
    pub(crate) statements: Statements,
}

impl Conn {
    /// The statement of `sql`, prepared on this connection the first time it is asked for.
    pub(crate) async fn prepare(&mut self, sql: &str) -> Result<Statement> {
        self.statements.get(&self.client, sql).await
    }
}

/// Prepared statements of one connection by SQL text. A statement prepared inside a
/// transaction outlives it: prepared statements belong to the session.
#[derive(Default)]
pub(crate) struct Statements(HashMap<String, Statement>);

impl Statements {
    /// The statement of `sql`, prepared through `client` (the connection or a transaction on
    /// it) the first time it is asked for.
    pub(crate) async fn get(
        &mut self,
        client: &impl GenericClient,
        sql: &str,
    ) -> Result<Statement> {
        if let Some(s) = self.0.get(sql) {
            return Ok(s.clone());
        }
        let s = client.prepare(sql).await.map_err(|e| pg_error("prepare a statement", &e))?;
        self.0.insert(sql.to_owned(), s.clone());
        Ok(s)
    }
}

/// The pool.
pub(crate) struct Pool {
    config: Config,
    permits: std::sync::Arc<Semaphore>,
    idle: Mutex<Vec<Conn>>,
}

impl Pool {
    /// A pool of at most `size` connections made from `config`; connects nothing yet.
    pub(crate) fn new(config: Config, size: usize) -> Self {
        Self {
            config,
            permits: std::sync::Arc::new(Semaphore::new(size.max(1))),
            idle: Mutex::new(Vec::new()),
        }
    }

    /// A connection: an idle one, or a new one when none is idle and the pool is not full;
    /// waits for one to come back otherwise.
    pub(crate) async fn get(&self) -> Result<PooledConn<'_>> {
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| Error::internal("state store (PostgreSQL): connection pool closed"))?;
        let idle = self.idle.lock().ok().and_then(|mut idle| {
            // Connections that closed while idle are dropped here.
            while let Some(conn) = idle.pop() {
                if !conn.client.is_closed() {
                    return Some(conn);
                }
            }
            None
        });
        let conn = match idle {
            Some(conn) => conn,
            None => self.connect().await?,
        };
        Ok(PooledConn { conn: Some(conn), pool: self, _permit: permit })
    }

    /// A connection of its own, outside the pool's count.
    pub(crate) async fn connect(&self) -> Result<Conn> {
        let (client, connection) =
            self.config.connect(NoTls).await.map_err(|e| {
                pg_error("connect", &e).with_kind(connector_core::ErrorKind::Transport)
            })?;
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "state store (PostgreSQL): connection ended");
            }
        });
        Ok(Conn { client, statements: Statements::default() })
    }
}

/// A connection lent by the [`Pool`]; back to the pool when dropped, unless it broke.
pub(crate) struct PooledConn<'a> {
    conn: Option<Conn>,
    pool: &'a Pool,
    _permit: OwnedSemaphorePermit,
}

impl std::ops::Deref for PooledConn<'_> {
    type Target = Conn;
    fn deref(&self) -> &Conn {
        self.conn.as_ref().expect("present until dropped")
    }
}

impl std::ops::DerefMut for PooledConn<'_> {
    fn deref_mut(&mut self) -> &mut Conn {
        self.conn.as_mut().expect("present until dropped")
    }
}

impl Drop for PooledConn<'_> {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else { return };
        if conn.client.is_closed() {
            return;
        }
        if let Ok(mut idle) = self.pool.idle.lock() {
            idle.push(conn);
        }
    }
}
