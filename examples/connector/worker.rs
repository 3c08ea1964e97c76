//! `connector worker --postgres URL --flows DIR`: one worker of a fleet. It takes due tenant
//! flows from the PostgreSQL schedule, runs each (the flow file `DIR/<flow>.toml` with the
//! tenant's settings for its systems, the PostgreSQL store as its state), keeps the lease
//! with heartbeats and gives it back with the run's status. A lease it loses (it stopped
//! beating and another worker took it over) ends that run.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use connector_sdk::flow::RunMode;
use connector_sdk::flowfile::FlowFile;
use connector_sdk::state::{Sealer, StateStore};
use connector_sdk::state_postgres::{Lease, PostgresStore};
use connector_sdk::{Error, Result};

/// How long a lease lasts without a beat.
const LEASE: Duration = Duration::from_secs(60);
/// How often a running flow's lease is renewed.
const BEAT: Duration = Duration::from_secs(15);
/// How long an idle worker waits before asking again.
const IDLE: Duration = Duration::from_secs(5);

/// Runs due tenant flows until Ctrl-C (with `once`, until none is due).
pub async fn run(url: &str, flows: &Path, name: &str, once: bool) -> Result<ExitCode> {
    let store = Arc::new(PostgresStore::connect(url).await?);
    let sealer = Sealer::from_env()?;
    say!("worker {name}: taking due flows from the schedule");
    loop {
        let leases = store.acquire(name, 1, LEASE).await?;
        let Some(lease) = leases.into_iter().next() else {
            if once {
                return Ok(ExitCode::SUCCESS);
            }
            tokio::select! {
                _ = tokio::time::sleep(IDLE) => continue,
                _ = tokio::signal::ctrl_c() => return Ok(ExitCode::SUCCESS),
            }
        };
        let status = match run_one(&store, &lease, flows, sealer.as_ref()).await {
            Ok(status) => status,
            Err(e) => {
                eprintln!("worker {name}: {} {}: {e}", lease.tenant, lease.flow);
                "failed".to_owned()
            }
        };
        if !store.finish(&lease, &status).await? {
            eprintln!("worker {name}: the lease of {} {} was taken over", lease.tenant, lease.flow);
        }
    }
}

/// Runs one leased tenant flow, beating while it runs; its status.
async fn run_one(
    store: &Arc<PostgresStore>,
    lease: &Lease,
    flows: &Path,
    sealer: Option<&Sealer>,
) -> Result<String> {
    let file = FlowFile::load(flows.join(format!("{}.toml", lease.flow)))?;
    let mut settings = BTreeMap::new();
    for system in [&file.source.system, &file.sink.system] {
        if let Some(s) = store.tenant_settings(&lease.tenant, system, sealer).await? {
            settings.insert(system.clone(), s);
        }
    }
    let flow = file.for_tenant(&lease.tenant, &settings);
    // Fenced by the lease: once another worker takes the flow over, this run writes nothing.
    let state: Arc<dyn StateStore> = Arc::new(store.fenced(lease.clone()));
    let mut held = lease.clone();
    let beats = async {
        loop {
            tokio::time::sleep(BEAT).await;
            match store.heartbeat(&mut held, LEASE).await {
                Ok(true) => {}
                Ok(false) => return Error::internal("the lease was taken over by another worker"),
                // A failed beat: stop before the lease can run out under another worker.
                Err(e) => return e.context("renewing the lease"),
            }
        }
    };
    let report = tokio::select! {
        report = flow.run(state, RunMode::Changes, false, None) => report?,
        lost = beats => return Err(lost),
    };
    say!(
        "{} {}: {}, created {} updated {} unchanged {} quarantined {}",
        lease.tenant,
        lease.flow,
        report.status,
        report.counts.created,
        report.counts.updated,
        report.counts.unchanged,
        report.counts.quarantined
    );
    Ok(report.status.as_str().to_owned())
}

/// Puts `tenant`'s `flow` on the schedule every `every`.
pub async fn schedule(url: &str, tenant: &str, flow: &str, every: Duration) -> Result<ExitCode> {
    let store = PostgresStore::connect(url).await?;
    store.schedule(tenant, flow, every).await?;
    say!("tenant {tenant}: {flow} every {}s, due now", every.as_secs());
    Ok(ExitCode::SUCCESS)
}
