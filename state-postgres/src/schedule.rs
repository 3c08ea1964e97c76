//! The fleet's schedule in PostgreSQL: tenants × flows as rows with how often each runs;
//! workers take due rows with `FOR UPDATE SKIP LOCKED` leases, keep them with heartbeats and
//! give them back when the run ends. A lease that expires (its worker died) is taken over by
//! another worker, which resumes the flow from its checkpoint in the same store. Every
//! instant is the database's clock, so the workers' clocks never need to agree.

use std::time::Duration;

use chrono::{DateTime, Utc};
use connector_core::error::{Error, Result};

use crate::error::{from_nanos, pg};
use crate::store::PostgresStore;

/// The database's clock, in Unix nanoseconds (microsecond precision), as SQL text.
macro_rules! now {
    () => {
        "(floor(extract(epoch from clock_timestamp()) * 1000000)::bigint * 1000)"
    };
}

/// One tenant's flow on the schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Schedule {
    /// The tenant.
    pub tenant: String,
    /// The flow.
    pub flow: String,
    /// How often it runs.
    pub every: Duration,
    /// When it is next due.
    pub next_run_at: DateTime<Utc>,
    /// The worker holding it, while one does.
    pub lease_owner: Option<String>,
    /// Until when that worker holds it, unless it beats again.
    pub lease_until: Option<DateTime<Utc>>,
    /// How the last run ended (`succeeded`, `partial`, `failed`…).
    pub last_status: Option<String>,
}

/// A worker's hold on one due tenant flow, from [`PostgresStore::acquire`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Lease {
    /// The tenant.
    pub tenant: String,
    /// The flow.
    pub flow: String,
    /// The worker holding it.
    pub owner: String,
    /// The lease's fencing token: it goes up at every acquisition, so a worker whose lease
    /// was taken over cannot beat or finish it any more.
    pub token: i64,
    /// Until when it is held, unless the worker beats again.
    pub until: DateTime<Utc>,
    /// The worker whose expired lease this one took over, if any: that run did not finish,
    /// and this one resumes it from the flow's checkpoint.
    pub taken_over_from: Option<String>,
}

/// The longest interval or lease: a hundred years, so the database's clock plus it stays
/// within Unix nanoseconds in a `bigint`.
pub const MAX_SPAN: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

fn nanos_of(d: Duration) -> i64 {
    i64::try_from(d.as_nanos()).unwrap_or(i64::MAX)
}

/// `d` in nanoseconds, if it is longer than zero and at most [`MAX_SPAN`].
fn span(what: &str, d: Duration) -> Result<i64> {
    if d.is_zero() || d > MAX_SPAN {
        return Err(Error::config(format!(
            "a schedule's {what} must be longer than zero and at most a hundred years"
        )));
    }
    Ok(nanos_of(d))
}

impl PostgresStore {
    /// Puts `tenant`'s `flow` on the schedule to run every `every`, due at once; a flow
    /// already there keeps its next run and lease and takes the new interval.
    pub async fn schedule(&self, tenant: &str, flow: &str, every: Duration) -> Result<()> {
        if tenant.trim().is_empty() || tenant.contains('/') {
            // Token keys are `tokens/<tenant>/<system>/<account>`.
            return Err(Error::config(format!(
                "a tenant's name cannot be empty or hold `/`: {tenant:?}"
            )));
        }
        let every = span("interval", every)?;
        let mut conn = self.conn().await?;
        let stmt = conn
            .prepare(concat!(
                "INSERT INTO schedules (tenant, flow, every_ns, next_run_at)
                 VALUES ($1, $2, $3, ",
                now!(),
                ")
                 ON CONFLICT (tenant, flow) DO UPDATE SET every_ns = EXCLUDED.every_ns"
            ))
            .await?;
        conn.client
            .execute(&stmt, &[&tenant, &flow, &every])
            .await
            .map_err(pg("schedule a flow"))?;
        Ok(())
    }

    /// Takes `tenant`'s `flow` off the schedule; whether it was there.
    pub async fn unschedule(&self, tenant: &str, flow: &str) -> Result<bool> {
        let mut conn = self.conn().await?;
        let stmt = conn.prepare("DELETE FROM schedules WHERE tenant = $1 AND flow = $2").await?;
        let n =
            conn.client.execute(&stmt, &[&tenant, &flow]).await.map_err(pg("unschedule a flow"))?;
        Ok(n == 1)
    }

    /// Every tenant flow on the schedule, by tenant and flow.
    pub async fn schedules(&self) -> Result<Vec<Schedule>> {
        let mut conn = self.conn().await?;
        let stmt = conn
            .prepare(
                "SELECT tenant, flow, every_ns, next_run_at, lease_owner, lease_until, last_status
                 FROM schedules ORDER BY tenant, flow",
            )
            .await?;
        let rows = conn.client.query(&stmt, &[]).await.map_err(pg("list schedules"))?;
        Ok(rows
            .iter()
            .map(|r| Schedule {
                tenant: r.get(0),
                flow: r.get(1),
                every: Duration::from_nanos(u64::try_from(r.get::<_, i64>(2)).unwrap_or(0)),
                next_run_at: from_nanos(r.get(3)),
                lease_owner: r.get(4),
                lease_until: r.get::<_, Option<i64>>(5).map(from_nanos),
                last_status: r.get(6),
            })
            .collect())
    }

    /// Takes up to `limit` due tenant flows for `worker`, each held for `ttl` unless the
    /// worker beats again: those whose next run has come and that no live lease holds,
    /// the longest due first. Rows another worker is taking at the same moment are skipped,
    /// never waited for, so no two workers ever hold the same tenant flow.
    pub async fn acquire(&self, worker: &str, limit: usize, ttl: Duration) -> Result<Vec<Lease>> {
        let mut conn = self.conn().await?;
        let stmt = conn
            .prepare(concat!(
                "WITH now AS (SELECT ",
                now!(),
                " AS at),
                 due AS (
                     SELECT s.tenant, s.flow, s.lease_owner AS previous
                     FROM schedules s, now
                     WHERE s.next_run_at <= now.at
                       AND (s.lease_until IS NULL OR s.lease_until < now.at)
                     ORDER BY s.next_run_at
                     LIMIT $2
                     FOR UPDATE OF s SKIP LOCKED
                 )
                 UPDATE schedules s
                 SET lease_owner = $1, lease_until = now.at + $3, lease_token = nextval('lease_tokens')
                 FROM due, now
                 WHERE s.tenant = due.tenant AND s.flow = due.flow
                 RETURNING s.tenant, s.flow, s.lease_token, s.lease_until, due.previous"
            ))
            .await?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let ttl = span("lease", ttl)?;
        let rows = conn
            .client
            .query(&stmt, &[&worker, &limit, &ttl])
            .await
            .map_err(pg("acquire due flows"))?;
        let mut leases: Vec<Lease> = rows
            .iter()
            .map(|r| Lease {
                tenant: r.get(0),
                flow: r.get(1),
                owner: worker.to_owned(),
                token: r.get(2),
                until: from_nanos(r.get(3)),
                taken_over_from: r.get(4),
            })
            .collect();
        leases.sort_by(|a, b| (&a.tenant, &a.flow).cmp(&(&b.tenant, &b.flow)));
        Ok(leases)
    }

    /// Keeps `lease` for another `ttl` from now; `false` when the worker no longer holds it
    /// (it expired and another worker took it over): the worker must stop that run. A
    /// worker whose beats fail must also stop once `lease.until` has passed, before another
    /// takes the flow over: the store's writes are not fenced.
    pub async fn heartbeat(&self, lease: &mut Lease, ttl: Duration) -> Result<bool> {
        let mut conn = self.conn().await?;
        let stmt = conn
            .prepare(concat!(
                "UPDATE schedules SET lease_until = ",
                now!(),
                " + $4
                 WHERE tenant = $1 AND flow = $2 AND lease_token = $3 AND lease_owner = $5
                 RETURNING lease_until"
            ))
            .await?;
        let row = conn
            .client
            .query_opt(
                &stmt,
                &[&lease.tenant, &lease.flow, &lease.token, &span("lease", ttl)?, &lease.owner],
            )
            .await
            .map_err(pg("renew a lease"))?;
        Ok(match row {
            Some(r) => {
                lease.until = from_nanos(r.get(0));
                true
            }
            None => false,
        })
    }

    /// Ends `lease` with the run's status: the flow is next due one interval from now, and
    /// free. `false` when the lease had been taken over (the run's result stands in the
    /// store, but the schedule is the new holder's).
    pub async fn finish(&self, lease: &Lease, status: &str) -> Result<bool> {
        let mut conn = self.conn().await?;
        let stmt = conn
            .prepare(concat!(
                "UPDATE schedules
                 SET next_run_at = ",
                now!(),
                " + every_ns, lease_owner = NULL, lease_until = NULL,
                     last_status = $4, last_finished_at = ",
                now!(),
                "
                 WHERE tenant = $1 AND flow = $2 AND lease_token = $3 AND lease_owner = $5"
            ))
            .await?;
        let n = conn
            .client
            .execute(&stmt, &[&lease.tenant, &lease.flow, &lease.token, &status, &lease.owner])
            .await
            .map_err(pg("finish a lease"))?;
        Ok(n == 1)
    }
}
