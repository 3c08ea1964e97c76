//! `connector worker --postgres URL --flows DIR`: one worker of a fleet
//! ([`connector_sdk::fleet::Worker`]), printing a line per run; `tenants schedule`.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use connector_sdk::Result;
use connector_sdk::fleet::{Ran, Worker};
use connector_sdk::http::stats::{self, CallStats};
use connector_sdk::state::Sealer;
use connector_sdk::state_postgres::PostgresStore;

/// Runs due tenant flows until Ctrl-C (with `once`, until none is due).
pub async fn run(url: &str, flows: &Path, name: &str, once: bool) -> Result<ExitCode> {
    let store = Arc::new(PostgresStore::connect(url).await?);
    let worker = Worker::new(store, flows, name).sealer(Sealer::from_env()?);
    say!("worker {name}: taking due flows from the schedule");
    let mut runs = 0;
    if once {
        runs = worker.run_due(|ran| print_run(name, ran)).await?;
    } else {
        let shutdown = async {
            tokio::signal::ctrl_c().await.ok();
        };
        worker
            .run(shutdown, |ran| {
                print_run(name, ran);
                runs += 1;
            })
            .await?;
    }
    let mut traffic = CallStats::default();
    stats::totals().values().for_each(|s| traffic.add(s));
    say!(
        "worker {name}: {runs} runs; calls {} 429s {} waited {:.1}s",
        traffic.calls,
        traffic.rate_limited,
        traffic.waited().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

fn print_run(name: &str, ran: &Ran) {
    let (tenant, flow) = (&ran.lease.tenant, &ran.lease.flow);
    match &ran.result {
        Ok(r) => say!(
            "{tenant} {flow}: {}, created {} updated {} unchanged {} quarantined {}",
            r.status,
            r.counts.created,
            r.counts.updated,
            r.counts.unchanged,
            r.counts.quarantined
        ),
        Err(e) => eprintln!("worker {name}: {tenant} {flow}: {e}"),
    }
    if !ran.kept_lease {
        eprintln!("worker {name}: the lease of {tenant} {flow} was taken over");
    }
}

/// Puts `tenant`'s `flow` on the schedule every `every`.
pub async fn schedule(url: &str, tenant: &str, flow: &str, every: Duration) -> Result<ExitCode> {
    let store = PostgresStore::connect(url).await?;
    store.schedule(tenant, flow, every).await?;
    say!("tenant {tenant}: {flow} every {}s, due now", every.as_secs());
    Ok(ExitCode::SUCCESS)
}
