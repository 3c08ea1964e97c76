//! End-to-end flows of the facade: flow files, the registry and the engine over real files
//! and the SQLite state store.

#![cfg(feature = "file")]

use std::sync::Arc;

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
