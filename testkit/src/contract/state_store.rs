//! One behaviour suite for every [`StateStore`] (public as
//! [`assert_state_store_contract`](super::assert_state_store_contract)): each check is an async fn over
//! `&dyn StateStore`, run against [`MemoryStore`], an in-memory [`SqliteStore`] and a
//! [`SqliteStore`] on a file. A last test writes to a file, reopens it and checks that
//! everything survived the restart.

use chrono::{DateTime, Duration, TimeZone, Utc};

use connector_core::Error;
use connector_core::source::Cursor;
use connector_core::state::*;

fn t(secs: i64) -> DateTime<Utc> {
    // Nanoseconds included: stores must give back exactly what they were given.
    Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap()
        + Duration::seconds(secs)
        + Duration::nanoseconds(123_456_789)
}

fn ls() -> LedgerScope {
    LedgerScope::new("acme", "crm", "customers")
}

fn update(key: &str, id: Option<&str>, hash: Option<&str>, status: LedgerStatus) -> LedgerUpdate {
    LedgerUpdate {
        key: key.into(),
        target_id: id.map(Into::into),
        hash: hash.map(Into::into),
        status,
        outcome: match status {
            LedgerStatus::Deactivated => "deactivated",
            LedgerStatus::Failed => "failed",
            _ => "created",
        }
        .into(),
    }
}

fn committed(key: &str, id: &str, hash: &str) -> LedgerUpdate {
    update(key, Some(id), Some(hash), LedgerStatus::Committed)
}

fn ledger_batch(run_id: i64, ledger: Vec<LedgerUpdate>, seen: &[&str]) -> BatchCommit {
    BatchCommit {
        ledger_scope: Some(ls()),
        run_id,
        ledger,
        seen: seen.iter().map(|s| s.to_string()).collect(),
        ..BatchCommit::default()
    }
}

fn keys(k: &[&str]) -> Vec<String> {
    k.iter().map(|s| s.to_string()).collect()
}

fn quarantined(tenant: &str, flow: &str, entity: &str, key: &str, msg: &str) -> QuarantineEntry {
    QuarantineEntry {
        id: 0,
        run_id: 0,
        tenant: tenant.into(),
        flow: flow.into(),
        entity: entity.into(),
        key: key.into(),
        stage: "sink".into(),
        payload: Some(format!(r#"{{"key":"{key}"}}"#)),
        error: Error::invalid_field("email", msg).with_record(key).with_connector("crm"),
        attempts: 1,
        status: QuarantineStatus::Open,
        created_at: t(0),
        updated_at: t(0),
    }
}

/// An activity line; an `updated` one was sent as it was received (a store may keep that
/// JSON once, and must give both back).
fn activity(run_id: i64, at: DateTime<Utc>, key: &str, outcome: &str) -> ActivityEntry {
    let received = Some(format!(r#"{{"id":"{key}"}}"#));
    ActivityEntry {
        run_id,
        at,
        flow: "customers-to-crm".into(),
        entity: "customers".into(),
        key: key.into(),
        sent: match outcome {
            "skipped" => None,
            "updated" => received.clone(),
            _ => Some(format!(r#"{{"name":"{key}"}}"#)),
        },
        received,
        outcome: outcome.into(),
        message: (outcome == "skipped").then(|| "unchanged".to_string()),
    }
}

async fn get1(s: &dyn StateStore, key: &str) -> Option<LedgerEntry> {
    s.ledger_get(&ls(), &keys(&[key])).await.unwrap().pop()
}

// ---------------------------------------------------------------------------------------------
// The behaviours.

async fn checkpoints_per_scope(s: &dyn StateStore) {
    let a = Scope::new("acme", "customers-to-crm", "customers");
    let b = Scope::new("acme", "customers-to-crm", "products");
    let c = Scope::new("other", "customers-to-crm", "customers");
    assert_eq!(s.checkpoint(&a).await.unwrap(), None);

    s.save_checkpoint(&a, &Cursor::new("2024-05-01T00:00:00Z")).await.unwrap();
    s.save_checkpoint(&b, &Cursor::new("rv:17")).await.unwrap();
    assert_eq!(s.checkpoint(&a).await.unwrap(), Some(Cursor::new("2024-05-01T00:00:00Z")));
    assert_eq!(s.checkpoint(&b).await.unwrap(), Some(Cursor::new("rv:17")));
    assert_eq!(s.checkpoint(&c).await.unwrap(), None);

    // Overwrite.
    s.save_checkpoint(&a, &Cursor::new("2024-05-02T00:00:00Z")).await.unwrap();
    assert_eq!(s.checkpoint(&a).await.unwrap(), Some(Cursor::new("2024-05-02T00:00:00Z")));

    // Clear one scope only; clearing an absent scope is fine.
    s.clear_checkpoint(&a).await.unwrap();
    s.clear_checkpoint(&c).await.unwrap();
    assert_eq!(s.checkpoint(&a).await.unwrap(), None);
    assert_eq!(s.checkpoint(&b).await.unwrap(), Some(Cursor::new("rv:17")));
}

async fn pending_then_committed_keeps_target_ids(s: &dyn StateStore) {
    let before = Utc::now();
    // A brand-new record: pending without a target id.
    s.ledger_mark_pending(&ls(), &[("C-1".into(), "h1".into())]).await.unwrap();
    let e = get1(s, "C-1").await.unwrap();
    assert_eq!(e.status, LedgerStatus::Pending);
    assert_eq!(e.pending_hash.as_deref(), Some("h1"));
    assert_eq!(e.target_id, None);
    assert_eq!(e.hash, None);
    assert_eq!(e.seen_run, None);
    assert!(e.updated_at >= before);

    s.commit(ledger_batch(1, vec![committed("C-1", "T-100", "h1")], &[])).await.unwrap();
    let e = get1(s, "C-1").await.unwrap();
    assert_eq!(e.status, LedgerStatus::Committed);
    assert_eq!(e.target_id.as_deref(), Some("T-100"));
    assert_eq!(e.hash.as_deref(), Some("h1"));
    assert_eq!(e.pending_hash, None, "commit clears the pending hash");
    assert_eq!(e.outcome, "created");

    // The next write intent keeps the target id and the committed hash.
    s.ledger_mark_pending(&ls(), &[("C-1".into(), "h2".into())]).await.unwrap();
    let e = get1(s, "C-1").await.unwrap();
    assert_eq!(e.status, LedgerStatus::Pending);
    assert_eq!(e.target_id.as_deref(), Some("T-100"));
    assert_eq!(e.hash.as_deref(), Some("h1"));
    assert_eq!(e.pending_hash.as_deref(), Some("h2"));

    // It fails: the pending hash goes, the last landed hash and the id stay.
    s.commit(ledger_batch(2, vec![update("C-1", None, None, LedgerStatus::Failed)], &[]))
        .await
        .unwrap();
    let e = get1(s, "C-1").await.unwrap();
    assert_eq!(e.status, LedgerStatus::Failed);
    assert_eq!(e.target_id.as_deref(), Some("T-100"));
    assert_eq!(e.hash.as_deref(), Some("h1"));
    assert_eq!(e.pending_hash, None);
    assert_eq!(e.outcome, "failed");

    // Another scope does not see it.
    let other = LedgerScope::new("acme", "erp", "customers");
    assert!(s.ledger_get(&other, &keys(&["C-1"])).await.unwrap().is_empty());
}

async fn none_keeps_stored_values(s: &dyn StateStore) {
    s.commit(ledger_batch(1, vec![committed("C-1", "T-1", "h1")], &[])).await.unwrap();
    // A pending status written through commit keeps the pending hash.
    s.ledger_mark_pending(&ls(), &[("C-1".into(), "h2".into())]).await.unwrap();
    s.commit(ledger_batch(2, vec![update("C-1", None, None, LedgerStatus::Pending)], &[]))
        .await
        .unwrap();
    let e = get1(s, "C-1").await.unwrap();
    assert_eq!(e.pending_hash.as_deref(), Some("h2"));

    // `None` id and hash keep what is stored.
    s.commit(ledger_batch(3, vec![update("C-1", None, None, LedgerStatus::Committed)], &[]))
        .await
        .unwrap();
    let e = get1(s, "C-1").await.unwrap();
    assert_eq!(e.target_id.as_deref(), Some("T-1"));
    assert_eq!(e.hash.as_deref(), Some("h1"));
    assert_eq!(e.pending_hash, None);

    // `Some` replaces; then a `None` id with a new hash keeps the new id.
    s.commit(ledger_batch(4, vec![committed("C-1", "T-2", "h3")], &[])).await.unwrap();
    s.commit(ledger_batch(5, vec![update("C-1", None, Some("h4"), LedgerStatus::Committed)], &[]))
        .await
        .unwrap();
    let e = get1(s, "C-1").await.unwrap();
    assert_eq!(e.target_id.as_deref(), Some("T-2"));
    assert_eq!(e.hash.as_deref(), Some("h4"));

    // Deactivation clears the pending hash and keeps id and hash.
    s.ledger_mark_pending(&ls(), &[("C-1".into(), "h5".into())]).await.unwrap();
    s.commit(ledger_batch(6, vec![update("C-1", None, None, LedgerStatus::Deactivated)], &[]))
        .await
        .unwrap();
    let e = get1(s, "C-1").await.unwrap();
    assert_eq!(e.status, LedgerStatus::Deactivated);
    assert_eq!(e.target_id.as_deref(), Some("T-2"));
    assert_eq!(e.hash.as_deref(), Some("h4"));
    assert_eq!(e.pending_hash, None);
}

async fn ledger_get_returns_known_keys_once(s: &dyn StateStore) {
    s.commit(ledger_batch(
        1,
        vec![committed("a", "1", "ha"), committed("b", "2", "hb"), committed("c", "3", "hc")],
        &[],
    ))
    .await
    .unwrap();
    let got = s.ledger_get(&ls(), &keys(&["c", "missing", "a", "c"])).await.unwrap();
    let got: Vec<&str> = got.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(got, ["c", "a"]);
    assert!(s.ledger_get(&ls(), &[]).await.unwrap().is_empty());
}

async fn seen_and_unseen_after_a_run(s: &dyn StateStore) {
    // Run 1 saw a..e.
    let all = ["a", "b", "c", "d", "e"];
    let batch =
        ledger_batch(1, all.iter().map(|k| committed(k, &format!("T-{k}"), "h")).collect(), &all);
    s.commit(batch).await.unwrap();
    // `x` only pending, `y` failed, `z` deactivated: never deactivation candidates.
    s.ledger_mark_pending(&ls(), &[("x".into(), "hx".into())]).await.unwrap();
    s.commit(ledger_batch(
        1,
        vec![
            update("y", Some("T-y"), None, LedgerStatus::Failed),
            update("z", Some("T-z"), Some("h"), LedgerStatus::Deactivated),
        ],
        &[],
    ))
    .await
    .unwrap();
    assert_eq!(get1(s, "a").await.unwrap().seen_run, Some(1));

    // Run 2 sees a, c and e (and a key the ledger does not know, which is ignored).
    s.commit(ledger_batch(2, vec![], &["a", "c", "e", "ghost"])).await.unwrap();
    assert!(get1(s, "ghost").await.is_none(), "seen does not create entries");
    assert_eq!(get1(s, "c").await.unwrap().seen_run, Some(2));

    let unseen = s.ledger_unseen(&ls(), 2, 100).await.unwrap();
    let unseen: Vec<&str> = unseen.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(unseen, ["b", "d"]);
    let e = &s.ledger_unseen(&ls(), 2, 100).await.unwrap()[0];
    assert_eq!(e.target_id.as_deref(), Some("T-b"));
    assert_eq!(e.seen_run, Some(1));

    // The limit is honoured.
    assert_eq!(s.ledger_unseen(&ls(), 2, 1).await.unwrap().len(), 1);
    assert!(s.ledger_unseen(&ls(), 2, 0).await.unwrap().is_empty());

    // A run that saw nothing: every committed entry is a candidate.
    assert_eq!(s.ledger_unseen(&ls(), 3, 100).await.unwrap().len(), 5);
    // Another scope has none.
    let other = LedgerScope::new("acme", "crm", "products");
    assert!(s.ledger_unseen(&other, 2, 100).await.unwrap().is_empty());

    // After deactivating b and d nothing is left.
    s.commit(ledger_batch(
        2,
        vec![
            update("b", None, None, LedgerStatus::Deactivated),
            update("d", None, None, LedgerStatus::Deactivated),
        ],
        &[],
    ))
    .await
    .unwrap();
    assert!(s.ledger_unseen(&ls(), 2, 100).await.unwrap().is_empty());
}

async fn ledger_count_counts_committed_only(s: &dyn StateStore) {
    assert_eq!(s.ledger_count(&ls()).await.unwrap(), 0);
    s.commit(ledger_batch(
        1,
        vec![
            committed("a", "1", "h"),
            committed("b", "2", "h"),
            committed("c", "3", "h"),
            update("d", None, None, LedgerStatus::Failed),
            update("e", Some("5"), Some("h"), LedgerStatus::Deactivated),
        ],
        &[],
    ))
    .await
    .unwrap();
    s.ledger_mark_pending(&ls(), &[("f".into(), "h".into())]).await.unwrap();
    assert_eq!(s.ledger_count(&ls()).await.unwrap(), 3);
    // A committed entry marked pending is in flight, not committed.
    s.ledger_mark_pending(&ls(), &[("a".into(), "h2".into())]).await.unwrap();
    assert_eq!(s.ledger_count(&ls()).await.unwrap(), 2);
    assert_eq!(s.ledger_count(&LedgerScope::new("acme", "erp", "customers")).await.unwrap(), 0);
}

async fn quarantine_upsert_and_resolve(s: &dyn StateStore) {
    let before = Utc::now();
    let first = quarantined("acme", "f", "customers", "C-1", "not an e-mail");
    s.commit(BatchCommit {
        run_id: 1,
        quarantine: vec![first, quarantined("acme", "f", "customers", "C-2", "x")],
        ..BatchCommit::default()
    })
    .await
    .unwrap();
    let all = s.quarantine_list(&QuarantineFilter::default()).await.unwrap();
    assert_eq!(all.len(), 2);
    let e = &all[0];
    assert!(e.id > 0, "the store assigns ids");
    assert_eq!((e.key.as_str(), e.run_id, e.attempts), ("C-1", 1, 1));
    assert_eq!(e.status, QuarantineStatus::Open);
    assert_eq!(
        e.error,
        Error::invalid_field("email", "not an e-mail").with_record("C-1").with_connector("crm")
    );
    assert_eq!(e.payload.as_deref(), Some(r#"{"key":"C-1"}"#));
    assert!(e.created_at >= before && e.updated_at == e.created_at);
    let (id, created_at) = (e.id, e.created_at);

    // The same record fails again: the open entry is updated, not duplicated.
    let mut again = quarantined("acme", "f", "customers", "C-1", "still not an e-mail");
    again.stage = "mapping".into();
    again.payload = Some(r#"{"key":"C-1","v":2}"#.into());
    s.commit(BatchCommit { run_id: 2, quarantine: vec![again], ..BatchCommit::default() })
        .await
        .unwrap();
    // And once more without a payload: the last one is kept.
    let mut third = quarantined("acme", "f", "customers", "C-1", "third");
    third.payload = None;
    s.commit(BatchCommit { run_id: 3, quarantine: vec![third], ..BatchCommit::default() })
        .await
        .unwrap();
    let all = s.quarantine_list(&QuarantineFilter::default()).await.unwrap();
    assert_eq!(all.len(), 2);
    let e = &all[0];
    assert_eq!(e.id, id);
    assert_eq!(e.attempts, 3);
    assert_eq!(e.run_id, 3);
    assert_eq!(e.stage, "sink");
    assert_eq!(e.error.message(), "email: third");
    assert_eq!(e.payload.as_deref(), Some(r#"{"key":"C-1","v":2}"#));
    assert_eq!(e.created_at, created_at);
    assert!(e.updated_at >= created_at);

    // It lands: resolved. Unknown keys are ignored.
    s.commit(BatchCommit {
        run_id: 4,
        resolved: vec![
            ("acme".into(), "f".into(), "customers".into(), "C-1".into()),
            ("acme".into(), "f".into(), "customers".into(), "nope".into()),
        ],
        ..BatchCommit::default()
    })
    .await
    .unwrap();
    let all = s.quarantine_list(&QuarantineFilter::default()).await.unwrap();
    assert_eq!(all[0].status, QuarantineStatus::Resolved);
    assert_eq!(all[0].attempts, 3);
    assert_eq!(all[1].status, QuarantineStatus::Open);

    // A new failure of a resolved record opens a new entry.
    s.commit(BatchCommit {
        run_id: 5,
        quarantine: vec![quarantined("acme", "f", "customers", "C-1", "again")],
        ..BatchCommit::default()
    })
    .await
    .unwrap();
    let all = s.quarantine_list(&QuarantineFilter::default()).await.unwrap();
    assert_eq!(all.len(), 3);
    assert_eq!((all[2].key.as_str(), all[2].attempts, all[2].run_id), ("C-1", 1, 5));
    assert!(all[2].id > all[1].id);
    assert_eq!(all[2].status, QuarantineStatus::Open);
}

async fn quarantine_list_filters(s: &dyn StateStore) {
    let entries = [
        ("acme", "f1", "customers", "a"),
        ("acme", "f1", "products", "b"),
        ("acme", "f2", "customers", "c"),
        ("other", "f1", "customers", "d"),
        ("acme", "f1", "customers", "e"),
    ];
    for (i, (tenant, flow, entity, key)) in entries.iter().enumerate() {
        s.commit(BatchCommit {
            run_id: i as i64 + 1,
            quarantine: vec![quarantined(tenant, flow, entity, key, "bad")],
            ..BatchCommit::default()
        })
        .await
        .unwrap();
    }
    s.commit(BatchCommit {
        run_id: 9,
        resolved: vec![("acme".into(), "f1".into(), "customers".into(), "a".into())],
        ..BatchCommit::default()
    })
    .await
    .unwrap();

    let list = |f: QuarantineFilter| async move {
        s.quarantine_list(&f)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.key)
            .collect::<Vec<_>>()
            .join(",")
    };
    let f = |tenant: Option<&str>, flow: Option<&str>, entity: Option<&str>| QuarantineFilter {
        tenant: tenant.map(Into::into),
        flow: flow.map(Into::into),
        entity: entity.map(Into::into),
        ..QuarantineFilter::default()
    };
    assert_eq!(list(QuarantineFilter::default()).await, "a,b,c,d,e", "oldest first");
    assert_eq!(list(f(Some("acme"), None, None)).await, "a,b,c,e");
    assert_eq!(list(f(None, Some("f1"), None)).await, "a,b,d,e");
    assert_eq!(list(f(None, None, Some("customers"))).await, "a,c,d,e");
    assert_eq!(list(f(Some("acme"), Some("f1"), Some("customers"))).await, "a,e");
    assert_eq!(list(f(Some("nobody"), None, None)).await, "");
    let open =
        QuarantineFilter { status: Some(QuarantineStatus::Open), ..f(Some("acme"), None, None) };
    assert_eq!(list(open.clone()).await, "b,c,e");
    let resolved =
        QuarantineFilter { status: Some(QuarantineStatus::Resolved), ..Default::default() };
    assert_eq!(list(resolved).await, "a");
    assert_eq!(list(QuarantineFilter { limit: Some(2), ..open }).await, "b,c");
    assert_eq!(list(QuarantineFilter { limit: Some(0), ..Default::default() }).await, "");
}

async fn runs_history(s: &dyn StateStore) {
    let r1 = s.run_started("customers", "full", t(0)).await.unwrap();
    let r2 = s.run_started("invoices", "changes", t(10)).await.unwrap();
    let r3 = s.run_started("customers", "changes", t(20)).await.unwrap();
    assert!(r1 < r2 && r2 < r3, "ids grow");

    let runs = s.runs(None, 10).await.unwrap();
    assert_eq!(runs.iter().map(|r| r.id).collect::<Vec<_>>(), [r3, r2, r1], "newest first");
    let r = &runs[0];
    assert_eq!(
        (r.flow.as_str(), r.mode.as_str(), r.status.as_str()),
        ("customers", "changes", "running")
    );
    assert_eq!(r.started_at, t(20));
    assert_eq!((r.finished_at, &r.report), (None, &None));

    let report =
        serde_json::json!({"created": 3, "updated": 1, "amount": 12.50, "nested": {"x": [1, 2]}});
    s.run_finished(RunRecord {
        id: r1,
        flow: "customers".into(),
        mode: "full".into(),
        started_at: t(0),
        finished_at: Some(t(5)),
        status: "partial".into(),
        report: Some(report.clone()),
    })
    .await
    .unwrap();

    let runs = s.runs(Some("customers"), 10).await.unwrap();
    assert_eq!(runs.iter().map(|r| r.id).collect::<Vec<_>>(), [r3, r1]);
    assert_eq!(
        runs[1],
        RunRecord {
            id: r1,
            flow: "customers".into(),
            mode: "full".into(),
            started_at: t(0),
            finished_at: Some(t(5)),
            status: "partial".into(),
            report: Some(report),
        }
    );
    assert_eq!(s.runs(Some("customers"), 1).await.unwrap().len(), 1);
    assert_eq!(s.runs(Some("customers"), 1).await.unwrap()[0].id, r3);
    assert!(s.runs(Some("nothing"), 10).await.unwrap().is_empty());
    assert!(s.runs(None, 0).await.unwrap().is_empty());
    // One run by id.
    assert_eq!(s.run(r1).await.unwrap().as_ref(), Some(&runs[1]));
    assert_eq!(s.run(r2).await.unwrap().map(|r| r.flow), Some("invoices".to_owned()));
    assert_eq!(s.run(r3 + 100).await.unwrap(), None);

    // Finishing an unknown run is an error.
    let unknown = RunRecord { id: r3 + 100, ..runs[0].clone() };
    assert_eq!(
        s.run_finished(unknown).await.unwrap_err().kind(),
        connector_core::ErrorKind::Internal
    );
}

async fn activity_log_and_prune(s: &dyn StateStore) {
    let lines_1 = vec![
        activity(1, t(3), "c", "created"),
        activity(1, t(1), "a", "updated"),
        activity(1, t(2), "b", "skipped"),
    ];
    let lines_2 = vec![activity(2, t(100), "a", "updated"), activity(2, t(101), "b", "failed")];
    s.commit(BatchCommit { run_id: 1, activity: lines_1[..2].to_vec(), ..BatchCommit::default() })
        .await
        .unwrap();
    s.commit(BatchCommit { run_id: 2, activity: lines_2.clone(), ..BatchCommit::default() })
        .await
        .unwrap();
    s.commit(BatchCommit { run_id: 1, activity: lines_1[2..].to_vec(), ..BatchCommit::default() })
        .await
        .unwrap();

    // In the order written, not sorted by time.
    assert_eq!(s.activity(1).await.unwrap(), lines_1);
    assert_eq!(s.activity(2).await.unwrap(), lines_2);
    assert!(s.activity(3).await.unwrap().is_empty());

    // Searches: a run, a record across runs, a record in a run, with a limit.
    let search = |q: ActivityQuery| async move { s.activity_search(&q).await.unwrap() };
    assert_eq!(search(ActivityQuery::run(1)).await, lines_1);
    assert_eq!(search(ActivityQuery::run(1).limit(2)).await, lines_1[..2]);
    assert_eq!(
        search(ActivityQuery::flow("customers-to-crm").key(Some("a".into()))).await,
        vec![lines_1[1].clone(), lines_2[0].clone()],
        "a record's lines across runs, in the order written"
    );
    assert_eq!(search(ActivityQuery::run(2).key(Some("b".into()))).await, lines_2[1..]);
    assert!(search(ActivityQuery::flow("other").key(Some("a".into()))).await.is_empty());
    assert!(search(ActivityQuery::run(1).key(Some("A".into()))).await.is_empty(), "keys exactly");
    assert!(search(ActivityQuery::run(1).limit(0)).await.is_empty());
    // The newest first, the limit keeping the newest.
    let a = || ActivityQuery::flow("customers-to-crm").key(Some("a".into())).newest_first();
    assert_eq!(search(a()).await, vec![lines_2[0].clone(), lines_1[1].clone()]);
    assert_eq!(search(a().limit(1)).await, lines_2[..1]);
    let reversed: Vec<_> = lines_1.iter().rev().cloned().collect();
    assert_eq!(search(ActivityQuery::run(1).newest_first()).await, reversed);

    // Only entries strictly older than the cut-off go.
    assert_eq!(s.prune_activity(t(2)).await.unwrap(), 1);
    assert_eq!(s.activity(1).await.unwrap(), vec![lines_1[0].clone(), lines_1[2].clone()]);
    assert_eq!(s.prune_activity(t(2)).await.unwrap(), 0);
    assert_eq!(s.prune_activity(t(100) + Duration::nanoseconds(1)).await.unwrap(), 3);
    assert!(s.activity(1).await.unwrap().is_empty());
    assert_eq!(s.activity(2).await.unwrap(), lines_2[1..]);
}

async fn batch_commit_writes_everything(s: &dyn StateStore) {
    let cp = Scope::new("acme", "customers-to-crm", "customers");
    s.commit(BatchCommit {
        ledger_scope: Some(ls()),
        run_id: 7,
        ledger: vec![committed("a", "T-a", "ha"), committed("b", "T-b", "hb")],
        seen: keys(&["a", "b"]),
        quarantine: vec![quarantined("acme", "customers-to-crm", "customers", "c", "bad")],
        resolved: vec![],
        activity: vec![activity(7, t(0), "a", "created"), activity(7, t(0), "c", "failed")],
        checkpoint: Some((cp.clone(), Cursor::new("page-2"))),
    })
    .await
    .unwrap();
    assert_eq!(s.checkpoint(&cp).await.unwrap(), Some(Cursor::new("page-2")));
    let got = s.ledger_get(&ls(), &keys(&["a", "b"])).await.unwrap();
    assert_eq!(got.len(), 2);
    assert!(got.iter().all(|e| e.seen_run == Some(7) && e.status == LedgerStatus::Committed));
    assert_eq!(s.quarantine_list(&QuarantineFilter::default()).await.unwrap()[0].run_id, 7);
    assert_eq!(s.activity(7).await.unwrap().len(), 2);

    // A batch that cannot be written as a whole writes nothing.
    let err = s
        .commit(BatchCommit {
            ledger_scope: None,
            run_id: 8,
            ledger: vec![committed("z", "T-z", "hz")],
            activity: vec![activity(8, t(0), "z", "created")],
            checkpoint: Some((cp.clone(), Cursor::new("page-3"))),
            quarantine: vec![quarantined("acme", "customers-to-crm", "customers", "c", "x")],
            ..BatchCommit::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.kind(), connector_core::ErrorKind::Internal);
    assert_eq!(s.checkpoint(&cp).await.unwrap(), Some(Cursor::new("page-2")));
    assert!(s.activity(8).await.unwrap().is_empty());
    assert_eq!(s.quarantine_list(&QuarantineFilter::default()).await.unwrap()[0].attempts, 1);

    // An empty batch is fine.
    s.commit(BatchCommit::default()).await.unwrap();
}

async fn large_batches(s: &dyn StateStore) {
    let n = 1_000;
    let all: Vec<String> = (0..n).map(|i| format!("K-{i:05}")).collect();
    let pending: Vec<(String, String)> =
        all.iter().map(|k| (k.clone(), format!("p-{k}"))).collect();
    s.ledger_mark_pending(&ls(), &pending).await.unwrap();
    s.commit(BatchCommit {
        ledger_scope: Some(ls()),
        run_id: 1,
        ledger: all.iter().map(|k| committed(k, &format!("T-{k}"), &format!("h-{k}"))).collect(),
        seen: all.clone(),
        ..BatchCommit::default()
    })
    .await
    .unwrap();
    let mut wanted = all.clone();
    wanted.push("absent".into());
    let got = s.ledger_get(&ls(), &wanted).await.unwrap();
    assert_eq!(got.len(), n);
    assert!(got.iter().zip(&all).all(|(e, k)| &e.key == k
        && e.target_id.as_deref() == Some(&format!("T-{k}"))
        && e.pending_hash.is_none()));
    assert_eq!(s.ledger_count(&ls()).await.unwrap(), n as u64);
    assert!(s.ledger_unseen(&ls(), 1, n).await.unwrap().is_empty());
}

async fn shared_between_tasks(s: &dyn StateStore) {
    // Concurrent calls from several tasks are serialised without loss.
    let futs = (0..20).map(|i| async move {
        s.commit(ledger_batch(1, vec![committed(&format!("k{i:02}"), "T", "h")], &[])).await
    });
    for r in futures_util::future::join_all(futs).await {
        r.unwrap();
    }
    assert_eq!(s.ledger_count(&ls()).await.unwrap(), 20);
}

/// Writes one of everything (used to prove durability across a reopen).
async fn write_sample(s: &dyn StateStore) -> i64 {
    let run = s.run_started("customers-to-crm", "full", t(0)).await.unwrap();
    s.ledger_mark_pending(&ls(), &[("p".into(), "hp".into())]).await.unwrap();
    s.commit(BatchCommit {
        ledger_scope: Some(ls()),
        run_id: run,
        ledger: vec![committed("a", "T-a", "ha")],
        seen: keys(&["a"]),
        quarantine: vec![quarantined("acme", "customers-to-crm", "customers", "q", "bad")],
        resolved: vec![],
        activity: vec![activity(run, t(1), "a", "created")],
        checkpoint: Some((Scope::new("acme", "customers-to-crm", "customers"), Cursor::new("c9"))),
    })
    .await
    .unwrap();
    s.run_finished(RunRecord {
        id: run,
        flow: "customers-to-crm".into(),
        mode: "full".into(),
        started_at: t(0),
        finished_at: Some(t(2)),
        status: "succeeded".into(),
        report: Some(serde_json::json!({"created": 1})),
    })
    .await
    .unwrap();
    run
}

/// Checks what [`write_sample`] wrote.
async fn check_sample(s: &dyn StateStore, run: i64) {
    let cp = Scope::new("acme", "customers-to-crm", "customers");
    assert_eq!(s.checkpoint(&cp).await.unwrap(), Some(Cursor::new("c9")));
    let a = get1(s, "a").await.unwrap();
    assert_eq!(
        (a.target_id.as_deref(), a.hash.as_deref(), a.status, a.seen_run),
        (Some("T-a"), Some("ha"), LedgerStatus::Committed, Some(run))
    );
    let p = get1(s, "p").await.unwrap();
    assert_eq!((p.status, p.pending_hash.as_deref()), (LedgerStatus::Pending, Some("hp")));
    let q = s.quarantine_list(&QuarantineFilter::default()).await.unwrap();
    assert_eq!(q.len(), 1);
    assert_eq!(q[0].error, quarantined("", "", "", "q", "bad").error);
    assert_eq!(s.activity(run).await.unwrap(), vec![activity(run, t(1), "a", "created")]);
    let runs = s.runs(None, 10).await.unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!((runs[0].status.as_str(), runs[0].finished_at), ("succeeded", Some(t(2))));
    assert_eq!(runs[0].report, Some(serde_json::json!({"created": 1})));
}

async fn sample_round_trip(s: &dyn StateStore) {
    let run = write_sample(s).await;
    check_sample(s, run).await;
}

// ---------------------------------------------------------------------------------------------
// Every behaviour against every store.

async fn secrets_replace_and_stay_apart(s: &dyn StateStore) {
    assert_eq!(s.secret("tokens/xero/app").await.unwrap(), None);
    s.save_secret("tokens/xero/app", "one").await.unwrap();
    s.save_secret("tokens/exact-online/app", "other").await.unwrap();
    s.save_secret("tokens/xero/app", "two").await.unwrap();
    assert_eq!(s.secret("tokens/xero/app").await.unwrap().as_deref(), Some("two"));
    assert_eq!(s.secret("tokens/exact-online/app").await.unwrap().as_deref(), Some("other"));
}

macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        /// Every check, each against a fresh store from `make`; a check that fails panics.
        pub async fn run_all<S: StateStore>(make: impl Fn() -> S) {
            $( $name(&make()).await; )*
        }

        #[cfg(test)]
        mod memory_store {
            use connector_core::state::*;
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name(&MemoryStore::default()).await;
                }
            )*
        }

        #[cfg(test)]
        mod sqlite_in_memory {
            use connector_core::state::*;
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name(&SqliteStore::open_in_memory().unwrap()).await;
                }
            )*
        }

        #[cfg(test)]
        mod sqlite_file {
            use connector_core::state::*;
            $(
                #[tokio::test]
                async fn $name() {
                    let dir = tempfile::tempdir().unwrap();
                    let store = SqliteStore::open(dir.path().join("state.db")).unwrap();
                    super::$name(&store).await;
                }
            )*
        }
    };
}

conformance!(
    secrets_replace_and_stay_apart,
    checkpoints_per_scope,
    pending_then_committed_keeps_target_ids,
    none_keeps_stored_values,
    ledger_get_returns_known_keys_once,
    seen_and_unseen_after_a_run,
    ledger_count_counts_committed_only,
    quarantine_upsert_and_resolve,
    quarantine_list_filters,
    runs_history,
    activity_log_and_prune,
    batch_commit_writes_everything,
    large_batches,
    shared_between_tasks,
    sample_round_trip,
);

#[cfg(test)]
#[tokio::test]
async fn sqlite_file_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    let run = {
        let store = SqliteStore::open(&path).unwrap();
        write_sample(&store).await
    };
    let store = SqliteStore::open(&path).unwrap();
    check_sample(&store, run).await;
    // Ids keep growing after a restart.
    assert!(store.run_started("customers-to-crm", "changes", t(3)).await.unwrap() > run);
}

#[cfg(test)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn stores_are_shared_between_spawned_tasks() {
    let dir = tempfile::tempdir().unwrap();
    let stores: Vec<std::sync::Arc<dyn StateStore>> = vec![
        std::sync::Arc::new(MemoryStore::default()),
        std::sync::Arc::new(SqliteStore::open(dir.path().join("state.db")).unwrap()),
    ];
    for store in stores {
        let handles: Vec<_> = (0..8)
            .map(|i| {
                let store = store.clone();
                tokio::spawn(async move {
                    store
                        .commit(ledger_batch(1, vec![committed(&format!("k{i}"), "T", "h")], &[]))
                        .await
                })
            })
            .collect();
        for h in handles {
            h.await.unwrap().unwrap();
        }
        assert_eq!(store.ledger_count(&ls()).await.unwrap(), 8, "{store:?}");
    }
}
