//! A fleet of worker processes on one PostgreSQL schedule: 200 tenants, each with its own
//! Exact Online division (a simulator with rotating refresh tokens) and its own customer
//! file. This test binary runs again as each worker (`fleet_worker_process`).

use std::collections::BTreeSet;
use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use connector_sdk::exact_online::simulator::ExactSimulator;
use connector_sdk::fleet::Worker;
use connector_sdk::state_postgres::PostgresStore;
use connector_sdk::system::RunningSimulator;
use connector_testkit::postgres::TempPostgres;

const TENANTS: usize = 200;
const RECORDS: usize = 6;
const SCHEMA: &str = "fleet";
const WORKER_ENV: &str = "CONNECTOR_FLEET_TEST_WORKER";

const FLOW: &str = "name = \"customers\"\nentity = \"customers\"\n[source]\nsystem = \"file\"\n\
                    [sink]\nsystem = \"exact-online\"\n[options]\nbatch_size = 2\n";

/// Not a test of its own: one worker of [`three_worker_processes_sync_200_tenants_once_and_a_kill_9_loses_nothing`],
/// run in a process of its own when `CONNECTOR_FLEET_TEST_WORKER` is `name|url|flows dir`.
/// It stops when its standard input closes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fleet_worker_process() {
    let Ok(spec) = std::env::var(WORKER_ENV) else { return };
    let [name, url, flows] = spec.splitn(3, '|').collect::<Vec<_>>()[..] else {
        panic!("{WORKER_ENV} is name|url|flows dir")
    };
    let store = Arc::new(PostgresStore::new(url, SCHEMA).unwrap());
    let worker = Worker::new(store, flows, name)
        .lease(Duration::from_secs(3), Duration::from_millis(500))
        .idle(Duration::from_millis(50));
    let shutdown = async {
        let _ = tokio::task::spawn_blocking(|| std::io::stdin().read_to_end(&mut Vec::new())).await;
    };
    worker
        .run(shutdown, |ran| {
            if let Err(e) = &ran.result {
                eprintln!("{name}: {} {}: {e}", ran.lease.tenant, ran.lease.flow);
            }
        })
        .await
        .unwrap();
}

/// A worker process, killed when the test ends, passed or not.
struct WorkerProcess(Child);

impl Drop for WorkerProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Sends `signal` (`STOP`, `CONT`) to a process.
fn signal(child: &Child, signal: &str) {
    let status =
        Command::new("kill").arg(format!("-{signal}")).arg(child.id().to_string()).status();
    assert!(status.is_ok_and(|s| s.success()), "kill -{signal}");
}

/// The tenant whose lease `worker` holds, if any.
async fn held_by(store: &PostgresStore, worker: &str) -> Option<String> {
    let schedules = store.schedules().await.unwrap();
    schedules
        .into_iter()
        .find_map(|s| (s.lease_owner.as_deref() == Some(worker)).then_some(s.tenant))
}

fn start_worker(name: &str, url: &str, flows: &std::path::Path) -> WorkerProcess {
    WorkerProcess(
        Command::new(std::env::current_exe().unwrap())
            .args(["fleet::fleet_worker_process", "--exact", "--nocapture", "--test-threads=1"])
            .env(WORKER_ENV, format!("{name}|{url}|{}", flows.display()))
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    )
}

fn tenant(t: usize) -> String {
    format!("t{t:03}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_worker_processes_sync_200_tenants_once_and_a_kill_9_loses_nothing() {
    let Some(pg) = TempPostgres::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("customers.toml"), FLOW).unwrap();
    let store = PostgresStore::new(&pg.url(), SCHEMA).unwrap();
    let mut sims = Vec::new();
    for t in 0..TENANTS {
        let sim = ExactSimulator::builder().empty().start().await.unwrap();
        // Every call takes a moment, so the kill below lands in the middle of a run.
        sim.faults().slow(Duration::from_millis(5));
        let id = tenant(t);
        let csv = dir.path().join(format!("{id}.csv"));
        let mut text = "number,name,emails.0.address\n".to_owned();
        for i in 0..RECORDS {
            text.push_str(&format!("{id}-C{i},Kunde {i} van {id},c{i}@{id}.example\n"));
        }
        std::fs::write(&csv, text).unwrap();
        let file = [("path".to_owned(), csv.display().to_string())].into();
        store.save_tenant_settings(&id, "file", &file, None).await.unwrap();
        store.save_tenant_settings(&id, "exact-online", &sim.options(), None).await.unwrap();
        store.schedule(&id, "customers", Duration::from_secs(3600)).await.unwrap();
        sims.push(sim);
    }

    let started = Instant::now();
    let mut workers: Vec<WorkerProcess> =
        ["w1", "w2", "w3"].iter().map(|w| start_worker(w, &pg.url(), dir.path())).collect();
    // kill -9 of w1 while it is in the middle of a run: it holds a tenant's lease and that
    // tenant's division has some of its customers but not all. w1 is stopped (SIGSTOP)
    // while that is checked again, so it cannot finish the run between the look and the kill.
    let mid_run = |t: String| {
        let i: usize = t[1..].parse().unwrap();
        (1..RECORDS).contains(&sims[i].accounts().len()).then_some(i)
    };
    let victim = loop {
        assert!(started.elapsed() < Duration::from_secs(120), "w1 was never caught mid-run");
        if held_by(&store, "w1").await.and_then(mid_run).is_some() {
            signal(&workers[0].0, "STOP");
            if let Some(i) = held_by(&store, "w1").await.and_then(mid_run) {
                workers[0].0.kill().unwrap();
                workers[0].0.wait().unwrap();
                break i;
            }
            signal(&workers[0].0, "CONT");
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    };

    // The others finish the round, the victim's tenant too once its lease has run out.
    loop {
        let schedules = store.schedules().await.unwrap();
        let done = schedules.iter().filter(|s| s.last_status.is_some()).count();
        if done == TENANTS {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(300), "{done} of {TENANTS} done");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let round = started.elapsed();

    let schedules = store.schedules().await.unwrap();
    for s in &schedules {
        assert_eq!(s.last_status.as_deref(), Some("succeeded"), "{s:?}");
        assert!(s.lease_owner.is_none(), "{s:?}");
    }
    for (i, sim) in sims.iter().enumerate() {
        let id = tenant(i);
        // 0 gaps and 0 duplicates: each customer once, created by one POST.
        let codes: BTreeSet<String> = sim
            .accounts()
            .all()
            .iter()
            .map(|a| a.value["Code"].as_str().unwrap().trim().to_owned())
            .collect();
        let expected: BTreeSet<String> = (0..RECORDS).map(|r| format!("{id}-C{r}")).collect();
        assert_eq!(codes, expected, "tenant {id}");
        assert_eq!(sim.accounts().len(), RECORDS, "tenant {id}");
        let posts =
            sim.journal().count(|e| e.method == "POST" && e.path.ends_with("/crm/Accounts"));
        assert_eq!(posts, RECORDS, "tenant {id}: one create per customer");
        // Once per round: one session (its division looked up once), except the victim's,
        // which a second worker resumed.
        let sessions = sim.journal().count_path("/api/v1/current/Me");
        assert_eq!(sessions, if i == victim { 2 } else { 1 }, "tenant {id}");
        assert_eq!(sim.journal().spec_violations(), Vec::<String>::new(), "tenant {id}");
    }

    // Nothing is due again until the interval has passed: the survivors stay idle.
    let calls: usize = sims.iter().map(|s| s.journal().len()).sum();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(sims.iter().map(|s| s.journal().len()).sum::<usize>(), calls);
    for mut w in workers.drain(1..) {
        drop(w.0.stdin.take());
        assert!(w.0.wait().unwrap().success());
    }
    eprintln!(
        "fleet round: {TENANTS} tenants × {RECORDS} customers in {round:?}, w1 killed mid-run"
    );
}
