//! End-to-end flows of the facade: flow files, the registry and the engine over real files
//! and the SQLite state store.

#![cfg(feature = "file")]

use std::sync::Arc;

#[cfg(all(feature = "dashboard", feature = "full"))]
#[path = "flows/dashboard.rs"]
mod dashboard;
#[cfg(all(
    feature = "postgres",
    feature = "exact-online",
    feature = "file",
    feature = "simulators"
))]
#[path = "flows/fleet.rs"]
mod fleet;
#[cfg(all(feature = "dashboard", feature = "full"))]
#[path = "flows/webdriver.rs"]
mod webdriver;

use connector_sdk::flow::RunMode;
use connector_sdk::flowfile::FlowFile;
use connector_sdk::model::Customer;
use connector_sdk::state::{QuarantineFilter, QuarantineStatus, SqliteStore, StateStore};

const CUSTOMERS: &str = "\
number,name,emails.0.address,credit_limit.amount,credit_limit.currency
C-1,Müller GmbH,einkauf@mueller.example,5000.0000,EUR
C-2,Åsa Öberg,asa@example.se,,
C-3,Virhe Oy,ap@virhe.example,\"12,3x\",EUR
C-4,北京贸易,info@bj.example,0.10,CNY
";

fn flow_toml(extra: &str) -> String {
    format!(
        "name = \"customers\"\nentity = \"customers\"\n[source]\nsystem = \"file\"\noptions = {{ path = \"in.csv\" }}\n[sink]\nsystem = \"file\"\noptions = {{ path = \"out.jsonl\" }}\n[options]\nbatch_size = 2\n{extra}"
    )
}

fn sent(dir: &std::path::Path) -> Vec<Customer> {
    std::fs::read_to_string(dir.join("out.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[tokio::test]
async fn csv_to_jsonl_flow_quarantines_a_bad_row_keeps_the_rest_and_lands_it_after_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("in.csv"), CUSTOMERS).unwrap();
    std::fs::write(dir.path().join("flow.toml"), flow_toml("")).unwrap();
    let state: Arc<dyn StateStore> =
        Arc::new(SqliteStore::open(dir.path().join("state.sqlite")).unwrap());
    let flow = FlowFile::load(dir.path().join("flow.toml")).unwrap();

    let r = flow.run(state.clone(), RunMode::Full, false, None).await.unwrap();
    assert_eq!(r.status, connector_sdk::flow::RunStatus::Partial, "{r:?}");
    assert_eq!((r.counts.created, r.counts.quarantined), (3, 1));
    let err = &r.errors[0].1;
    assert_eq!(err.record(), Some("C-3"));
    assert!(err.to_string().contains("credit_limit.amount"), "{err}");
    let out = sent(dir.path());
    assert_eq!(out.len(), 3);
    assert_eq!(out[0].credit_limit.unwrap().amount.to_string(), "5000.0000", "exact decimals");
    assert_eq!(out[1].name.as_deref(), Some("Åsa Öberg"));
    assert_eq!(out[2].name.as_deref(), Some("北京贸易"));

    // Nothing changes: nothing is sent.
    let r = flow.run(state.clone(), RunMode::Full, false, None).await.unwrap();
    assert_eq!(r.counts.unchanged, 3);
    assert_eq!(sent(dir.path()).len(), 3);

    // The source is fixed: the row lands and its quarantine entry is resolved.
    std::fs::write(dir.path().join("in.csv"), CUSTOMERS.replace("\"12,3x\"", "12.30")).unwrap();
    let r = flow.run(state.clone(), RunMode::Full, false, None).await.unwrap();
    assert_eq!((r.counts.created, r.counts.unchanged, r.status.as_str()), (1, 3, "succeeded"));
    let open = state
        .quarantine_list(&QuarantineFilter {
            status: Some(QuarantineStatus::Open),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(open.is_empty(), "{open:?}");
    let runs = state.runs(Some("customers"), 10).await.unwrap();
    assert_eq!(runs.len(), 3);
}

#[tokio::test]
async fn dry_run_of_a_flow_file_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("in.csv"), CUSTOMERS).unwrap();
    std::fs::write(dir.path().join("flow.toml"), flow_toml("")).unwrap();
    let state: Arc<dyn StateStore> = Arc::new(SqliteStore::open_in_memory().unwrap());
    let flow = FlowFile::load(dir.path().join("flow.toml")).unwrap();
    let r = flow.run(state, RunMode::Full, true, None).await.unwrap();
    assert_eq!(r.plan.as_ref().unwrap().creates.len(), 3);
    assert!(!dir.path().join("out.jsonl").exists() || sent(dir.path()).is_empty());
}

#[tokio::test]
async fn changes_mode_resumes_an_append_only_file_from_its_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let good = CUSTOMERS.replace("\"12,3x\"", "12.30");
    std::fs::write(dir.path().join("in.csv"), &good).unwrap();
    std::fs::write(dir.path().join("flow.toml"), flow_toml("")).unwrap();
    let state: Arc<dyn StateStore> = Arc::new(SqliteStore::open_in_memory().unwrap());
    let flow = FlowFile::load(dir.path().join("flow.toml")).unwrap();
    let r = flow.run(state.clone(), RunMode::Changes, false, None).await.unwrap();
    assert_eq!(r.counts.created, 4);
    std::fs::write(dir.path().join("in.csv"), format!("{good}C-5,New Oy,new@example.fi,1,EUR\n"))
        .unwrap();
    let r = flow.run(state, RunMode::Changes, false, None).await.unwrap();
    assert_eq!((r.counts.received, r.counts.created), (1, 1), "{r:?}");
}

#[test]
fn unknown_systems_and_entities_are_config_errors() {
    let err = FlowFile::parse(
        "name='x'\nentity='customers'\n[source]\nsystem='nope'\n[sink]\nsystem='file'\n",
    )
    .unwrap()
    .build::<Customer>(Arc::new(SqliteStore::open_in_memory().unwrap()), None)
    .unwrap_err();
    assert!(err.to_string().contains("unknown system `nope`"), "{err}");
}

/// A fleet's round on PostgreSQL: one flow file for every tenant, each tenant's own file
/// settings, leases from the schedule, the state in the shared store under each tenant.
#[cfg(feature = "postgres")]
#[tokio::test]
async fn a_fleet_round_runs_each_tenants_flow_once_with_its_own_settings_and_state() {
    use std::collections::BTreeMap;
    use std::time::Duration;

    use connector_sdk::state_postgres::PostgresStore;
    use connector_testkit::postgres::TempPostgres;

    let Some(pg) = TempPostgres::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(PostgresStore::new(&pg.url(), "fleet").unwrap());
    // The fleet's flow file: the source's file is each tenant's own setting.
    let template = flow_toml("").replace("options = { path = \"in.csv\" }\n", "");
    std::fs::write(dir.path().join("customers.toml"), template).unwrap();
    for tenant in ["acme", "globex"] {
        std::fs::write(dir.path().join(format!("{tenant}.csv")), CUSTOMERS).unwrap();
        let settings: BTreeMap<String, String> =
            [("path".to_owned(), dir.path().join(format!("{tenant}.csv")).display().to_string())]
                .into();
        store.save_tenant_settings(tenant, "file", &settings, None).await.unwrap();
        store.schedule(tenant, "customers", Duration::from_secs(3600)).await.unwrap();
    }
    let file = FlowFile::load(dir.path().join("customers.toml")).unwrap();
    let round = |store: Arc<PostgresStore>| {
        let file = file.clone();
        async move {
            let mut ran = Vec::new();
            while let Some(lease) =
                store.acquire("w1", 1, Duration::from_secs(60)).await.unwrap().pop()
            {
                // The source is the tenant's own file; the sink is the flow file's.
                let source =
                    store.tenant_settings(&lease.tenant, "file", None).await.unwrap().unwrap();
                let flow = file.for_tenant(&lease.tenant, &[("file".to_owned(), source)].into());
                let state: Arc<dyn StateStore> = store.clone();
                let r = flow.run(state, RunMode::Changes, false, None).await.unwrap();
                assert!(store.finish(&lease, "partial").await.unwrap());
                ran.push((lease.tenant, r.counts.created, r.counts.quarantined));
            }
            ran
        }
    };
    let ran = round(store.clone()).await;
    assert_eq!(ran, [("acme".to_owned(), 3, 1), ("globex".to_owned(), 3, 1)], "each tenant once");
    // The flow file's sink path stands; each tenant's settings filled in only its source.
    assert_eq!(sent(dir.path()).len(), 6);
    // Each tenant's quarantine and ledger are its own.
    let q = store.quarantine_list(&QuarantineFilter::default()).await.unwrap();
    assert_eq!(q.len(), 2);
    assert!(round(store.clone()).await.is_empty(), "nothing due until the interval passes");
}
