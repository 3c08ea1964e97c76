//! One worker of a fleet: it takes due tenant flows from the PostgreSQL schedule and runs
//! each (the flow file `<flows>/<flow>.toml`, with the tenant's stored settings filling in
//! what the file leaves unset), keeping the lease with heartbeats and giving it back with
//! the run's status.
//!
//! Every write of a run goes through a [`FencedStore`], so a worker that lost its lease (it
//! stopped beating and another took the flow over) writes nothing more; the run that took
//! over resumes from the last checkpoint, and the ledger's write intents keep a record that
//! was sent but not committed from being created twice. A worker also counts its rate
//! budgets in the store ([`share_budgets_through`]), so every worker that serves a tenant
//! stays within the tenant's limits together.
//!
//! ```no_run
//! # async fn demo() -> connector_sdk::Result<()> {
//! use std::sync::Arc;
//! use connector_sdk::fleet::Worker;
//! use connector_sdk::state_postgres::PostgresStore;
//!
//! let store = Arc::new(PostgresStore::connect("postgres://fleet@db/fleet").await?);
//! let worker = Worker::new(store, "flows/", "worker-1");
//! let shutdown = async { tokio::signal::ctrl_c().await.ok(); };
//! worker.run(shutdown, |ran| println!("{} {}: {:?}", ran.lease.tenant, ran.lease.flow, ran.result.is_ok())).await
//! # }
//! ```

use std::collections::BTreeMap;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use connector_core::error::{Error, ErrorKind, Result};
use connector_core::flow::{RunMode, RunReport};
use connector_core::http::share_budgets_through;
use connector_core::state::{Sealer, StateStore};
#[cfg(doc)]
use connector_state_postgres::FencedStore;
use connector_state_postgres::{Lease, PostgresStore};

use crate::flowfile::FlowFile;

/// How long a lease lasts without a beat, by default.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(60);
/// How often a running flow's lease is renewed, by default.
pub const DEFAULT_BEAT: Duration = Duration::from_secs(15);
/// How long an idle worker waits before asking the schedule again, by default.
pub const DEFAULT_IDLE: Duration = Duration::from_secs(5);

/// One worker of a fleet (see the [module](self)).
#[derive(Debug)]
pub struct Worker {
    store: Arc<PostgresStore>,
    flows: PathBuf,
    name: String,
    sealer: Option<Sealer>,
    lease: Duration,
    beat: Duration,
    idle: Duration,
}

/// What became of one leased tenant flow.
#[derive(Debug)]
#[non_exhaustive]
pub struct Ran {
    /// The lease it ran under.
    pub lease: Lease,
    /// The run's report, or why it did not run to its end.
    pub result: Result<RunReport>,
    /// Whether the worker still held the lease when the run ended (`false`: another worker
    /// took the flow over, and the schedule is now its).
    pub kept_lease: bool,
}

impl Worker {
    /// A worker named `name` (unique in the fleet) running the flow files in `flows` with
    /// `store` as schedule, tenants and state. From now on, the process's shared rate
    /// budgets are also counted in `store`.
    pub fn new(
        store: Arc<PostgresStore>,
        flows: impl Into<PathBuf>,
        name: impl Into<String>,
    ) -> Self {
        share_budgets_through(store.clone());
        Self {
            store,
            flows: flows.into(),
            name: name.into(),
            sealer: None,
            lease: DEFAULT_LEASE,
            beat: DEFAULT_BEAT,
            idle: DEFAULT_IDLE,
        }
    }

    /// Opens sealed tenant settings with `sealer` (the state key).
    pub fn sealer(mut self, sealer: Option<Sealer>) -> Self {
        self.sealer = sealer;
        self
    }

    /// Holds leases for `lease` and renews them every `beat` (at most a third of `lease`).
    /// A run whose beats keep failing stops a quarter of `lease` before its lease could run
    /// out, so another worker never takes over a flow that is still writing.
    pub fn lease(mut self, lease: Duration, beat: Duration) -> Self {
        self.lease = lease;
        self.beat = beat.min(lease / 3).max(Duration::from_millis(1));
        self
    }

    /// Waits `idle` between looks at the schedule when nothing is due.
    pub fn idle(mut self, idle: Duration) -> Self {
        self.idle = idle;
        self
    }

    /// The worker's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Takes one due tenant flow and runs it; `None` when nothing is due. Only the schedule
    /// failing is an error: a run's own failure is in [`Ran::result`], and the flow is
    /// given back with the status `failed`.
    pub async fn run_next(&self) -> Result<Option<Ran>> {
        // The lease lasts at least `lease` from here: the database stamps it later.
        let asked = Instant::now();
        let Some(lease) = self.store.acquire(&self.name, 1, self.lease).await?.pop() else {
            return Ok(None);
        };
        let result = self.run_leased(&lease, asked).await;
        let status = match &result {
            Ok(report) => report.status.as_str(),
            Err(_) => "failed",
        };
        // A failed `finish` leaves the lease to run out and the flow to run again: try a
        // few times first.
        let mut tries = 0;
        let kept_lease = loop {
            match self.store.finish(&lease, status).await {
                Ok(kept) => break kept,
                Err(e) if tries < 3 && e.is_retryable(true) => {
                    tries += 1;
                    tokio::time::sleep(Duration::from_millis(200 * tries)).await;
                }
                Err(e) => return Err(e.context("giving the lease back")),
            }
        };
        Ok(Some(Ran { lease, result, kept_lease }))
    }

    /// Runs due flows until none is due; how many ran. `each` hears of every run.
    pub async fn run_due(&self, mut each: impl FnMut(&Ran)) -> Result<usize> {
        let mut ran = 0;
        while let Some(r) = self.run_next().await? {
            each(&r);
            ran += 1;
        }
        Ok(ran)
    }

    /// Runs due flows, waiting when none is, until `shutdown` completes; a run in hand is
    /// finished first. `each` hears of every run. The schedule failing (the database gone
    /// for a moment) is logged and tried again after the idle wait; only a configuration
    /// error (a schema newer than this code, say) ends it.
    pub async fn run(
        &self,
        shutdown: impl Future<Output = ()>,
        mut each: impl FnMut(&Ran),
    ) -> Result<()> {
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                biased;
                () = &mut shutdown => return Ok(()),
                () = std::future::ready(()) => {}
            }
            let wait = match self.run_next().await {
                Ok(Some(ran)) => {
                    each(&ran);
                    continue;
                }
                Ok(None) => self.idle,
                Err(e) if e.kind() == ErrorKind::Config => return Err(e),
                Err(e) => {
                    tracing::warn!(worker = %self.name, "the schedule failed: {e}; trying again");
                    self.idle.max(Duration::from_secs(1))
                }
            };
            tokio::select! {
                () = &mut shutdown => return Ok(()),
                () = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// Runs one leased tenant flow, beating while it runs. `asked` is when the lease was
    /// asked for: it lasts at least `self.lease` from then, whatever the clocks say.
    async fn run_leased(&self, lease: &Lease, asked: Instant) -> Result<RunReport> {
        let file = FlowFile::load(self.flows.join(format!("{}.toml", lease.flow)))?;
        let mut settings = BTreeMap::new();
        for system in [&file.source.system, &file.sink.system] {
            if let Some(s) =
                self.store.tenant_settings(&lease.tenant, system, self.sealer.as_ref()).await?
            {
                settings.insert(system.clone(), s);
            }
        }
        let flow = file.for_tenant(&lease.tenant, &settings);
        let state: Arc<dyn StateStore> = Arc::new(self.store.fenced(lease.clone()));
        let mut held = lease.clone();
        let beats = async {
            // The run stops a quarter of a lease before the last renewal could run out.
            let margin = self.lease / 4;
            let mut renewed = asked;
            loop {
                let deadline = renewed + self.lease - margin;
                tokio::select! {
                    () = tokio::time::sleep(self.beat) => {}
                    () = tokio::time::sleep_until(deadline) => {
                        return Error::internal(
                            "the lease could not be renewed in time; the run stops before \
                             another worker may take it over",
                        );
                    }
                }
                let sent = Instant::now();
                let beat = self.store.heartbeat(&mut held, self.lease);
                match tokio::time::timeout(self.beat, beat).await {
                    Ok(Ok(true)) => renewed = sent,
                    Ok(Ok(false)) => {
                        return Error::internal("the lease was taken over by another worker");
                    }
                    // A failed or slow beat is tried again until the deadline.
                    Ok(Err(e)) => tracing::warn!(worker = %self.name, "a heartbeat failed: {e}"),
                    Err(_) => tracing::warn!(worker = %self.name, "a heartbeat timed out"),
                }
            }
        };
        tokio::select! {
            report = flow.run(state, RunMode::Changes, false, None) => report,
            lost = beats => Err(lost),
        }
    }
}
