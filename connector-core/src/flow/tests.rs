//! Behaviour of the flow engine against in-memory sources and sinks and both state stores.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;

use super::*;
use crate::error::{Error, ErrorKind};
use crate::memory::{IterSource, MemorySink};
use crate::model::{
    Customer, DocumentLine, DocumentParty, Email, Entity, EntityRef, Lifecycle, Order, Product,
};
use crate::sink::{Found, LookupKey, Sink, SinkCapabilities, WriteOutcome, WriteRequest};
use crate::source::{Change, ReadMode, Rejected, Source, SourceCapabilities};
use crate::state::{MemoryStore, QuarantineFilter, QuarantineStatus, SqliteStore, StateStore};

fn customer(n: usize, name: &str) -> Customer {
    Customer {
        number: Some(format!("C-{n}")),
        name: Some(name.to_string()),
        emails: vec![Email {
            address: format!("c{n}@example.com"),
            kind: Default::default(),
            primary: true,
        }],
        ..Default::default()
    }
}

fn customers(n: usize) -> Vec<Customer> {
    (1..=n).map(|i| customer(i, &format!("Customer {i}"))).collect()
}

fn stores() -> Vec<Arc<dyn StateStore>> {
    vec![Arc::new(MemoryStore::new()), Arc::new(SqliteStore::open_in_memory().unwrap())]
}

fn flow(
    source: Vec<Customer>,
    sink: Arc<MemorySink<Customer>>,
    state: Arc<dyn StateStore>,
) -> FlowBuilder<Customer> {
    Flow::builder("customers-to-crm", Arc::new(IterSource::from_vec("erp", source)), sink, state)
        .configure(|o| o.batch_size = 10)
}

#[tokio::test]
async fn full_run_writes_everything_once_and_skips_unchanged_next_time() {
    for state in stores() {
        let sink = Arc::new(MemorySink::new("crm"));
        let f = flow(customers(25), sink.clone(), state.clone()).build();
        let r = f.run(RunMode::Full).await;
        assert!(r.is_ok(), "{r:?}");
        assert_eq!(r.counts.received, 25);
        assert_eq!(r.counts.created, 25);
        assert_eq!(r.status, RunStatus::Succeeded);
        assert_eq!(sink.len(), 25);

        let r2 = f.run(RunMode::Full).await;
        assert_eq!(r2.counts.unchanged, 25, "{r2:?}");
        assert_eq!(r2.counts.created + r2.counts.updated, 0);
        assert_eq!(sink.records_written(), 25, "unchanged records must not be sent");

        let runs = state.runs(Some("customers-to-crm"), 10).await.unwrap();
        assert_eq!(runs.len(), 2);
        assert_eq!(runs[0].status, "succeeded");
    }
}

#[tokio::test]
async fn changed_record_is_updated_not_created() {
    let state: Arc<dyn StateStore> = Arc::new(MemoryStore::new());
    let sink = Arc::new(MemorySink::new("crm"));
    flow(customers(3), sink.clone(), state.clone()).build().run(RunMode::Full).await;
    let mut changed = customers(3);
    changed[1].name = Some("Renamed".into());
    let r = flow(changed, sink.clone(), state).build().run(RunMode::Full).await;
    assert_eq!((r.counts.updated, r.counts.unchanged, r.counts.created), (1, 2, 0));
    assert_eq!(sink.records()["C-2"].record.name.as_deref(), Some("Renamed"));
    assert!(sink.creates_by_key().values().all(|n| *n == 1));
}

/// A sink that lands the records of its `hang_on`-th call and then never answers: the
/// process is "killed" between the sink's commit and the engine's checkpoint.
struct HangAfterCommit {
    inner: Arc<MemorySink<Customer>>,
    calls: AtomicU32,
    hang_on: u32,
}

#[async_trait]
impl Sink<Customer> for HangAfterCommit {
    fn name(&self) -> &str {
        "crm"
    }
    fn capabilities(&self) -> SinkCapabilities {
        SinkCapabilities { max_concurrency: 1, ..self.inner.capabilities() }
    }
    async fn check(&self) -> crate::Result<()> {
        Ok(())
    }
    async fn find(&self, key: &LookupKey) -> crate::Result<Option<Found<Customer>>> {
        self.inner.find(key).await
    }
    async fn write(&self, batch: Vec<WriteRequest<Customer>>) -> crate::Result<Vec<WriteOutcome>> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        let out = self.inner.write(batch).await?;
        if n == self.hang_on {
            std::future::pending::<()>().await;
        }
        Ok(out)
    }
}

#[tokio::test]
async fn killed_between_sink_commit_and_checkpoint_then_rerun_has_no_duplicate_and_no_gap() {
    for state in stores() {
        let memory = Arc::new(MemorySink::new("crm"));
        let hanging = Arc::new(HangAfterCommit {
            inner: memory.clone(),
            calls: AtomicU32::new(0),
            hang_on: 3,
        });
        let source = || Arc::new(IterSource::from_vec("erp", customers(50)).checkpoint_every(10));
        let killed = Flow::builder("f", source(), hanging, state.clone())
            .configure(|o| o.batch_size = 10)
            .build();
        // The third batch lands in the sink, then the process dies.
        let r =
            tokio::time::timeout(Duration::from_millis(300), killed.run(RunMode::Changes)).await;
        assert!(r.is_err(), "the run should have been killed");
        assert_eq!(memory.len(), 30);
        let cp = state.checkpoint(&killed.scope()).await.unwrap();
        assert_eq!(cp.as_ref().map(|c| c.as_str()), Some("20"), "checkpoint only after commits");

        let rerun = Flow::builder("f", source(), memory.clone(), state.clone())
            .configure(|o| o.batch_size = 10)
            .build();
        let r = rerun.run(RunMode::Changes).await;
        assert!(r.is_ok(), "{r:?}");
        assert_eq!(memory.len(), 50, "no gap");
        assert!(
            memory.creates_by_key().values().all(|n| *n == 1),
            "no duplicate: {:?}",
            memory.creates_by_key()
        );
        assert_eq!(r.counts.created, 20);
        assert_eq!(r.counts.unchanged, 10, "the landed batch is recognised by lookup");
        let cp = state.checkpoint(&rerun.scope()).await.unwrap();
        assert_eq!(cp.unwrap().as_str(), "50");
    }
}

#[tokio::test]
async fn uncertain_write_is_looked_up_before_any_retry() {
    let state: Arc<dyn StateStore> = Arc::new(MemoryStore::new());
    let sink = Arc::new(MemorySink::new("crm"));
    sink.set_faults(|f| {
        f.lose_outcome.insert("C-2".into());
        f.fail_after_commit = 1;
    });
    let r = flow(customers(5), sink.clone(), state).build().run(RunMode::Full).await;
    assert!(r.is_ok(), "{r:?}");
    assert_eq!(r.counts.created, 5, "{r:?}");
    assert_eq!(sink.len(), 5);
    assert!(sink.creates_by_key().values().all(|n| *n == 1));
}

#[tokio::test]
async fn dry_run_sends_nothing_and_plans_creates_updates_with_diffs() {
    let state: Arc<dyn StateStore> = Arc::new(MemoryStore::new());
    let sink = Arc::new(MemorySink::new("crm"));
    flow(customers(3), sink.clone(), state.clone()).build().run(RunMode::Full).await;
    let calls = sink.write_calls();
    let mut next = customers(4);
    next[0].name = Some("Acme Renamed".into());
    let r = flow(next, sink.clone(), state.clone()).build().dry_run(RunMode::Full).await;
    assert_eq!(sink.write_calls(), calls, "a dry run sends nothing");
    let plan = r.plan.expect("a plan");
    assert_eq!(plan.creates.len(), 1);
    assert_eq!(plan.creates[0].key, "C-4");
    assert_eq!(plan.updates.len(), 1);
    assert_eq!(plan.updates[0].changes.len(), 1);
    assert_eq!(plan.updates[0].changes[0].path, "name");
    assert_eq!(r.counts.unchanged, 2);
    assert!(r.mode.contains("dry run"));
    assert_eq!(state.quarantine_list(&QuarantineFilter::default()).await.unwrap().len(), 0);
}

#[tokio::test]
async fn deactivation_cap_holds_and_small_absences_are_deactivated() {
    let state: Arc<dyn StateStore> = Arc::new(MemoryStore::new());
    let sink = Arc::new(MemorySink::new("crm"));
    let alerts = Arc::new(Mutex::new(Vec::new()));
    let build = |records: Vec<Customer>| {
        let alerts = alerts.clone();
        flow(records, sink.clone(), state.clone())
            .configure(|o| {
                o.deactivate_absent = true;
                o.max_deactivate_percent = 10;
            })
            .on_alert(move |a| alerts.lock().unwrap().push(a.clone()))
            .build()
    };
    build(customers(100)).run(RunMode::Full).await;
    // Half the records vanish: far past the 10 % cap.
    let r = build(customers(50)).run(RunMode::Full).await;
    assert_eq!(r.counts.deactivated, 0);
    assert!(r.notes.iter().any(|n| n.contains("deactivation cap held")), "{:?}", r.notes);
    assert!(alerts.lock().unwrap().iter().any(|a| matches!(a.kind, AlertKind::LimitHeld(_))));
    assert!(sink.records().values().all(|s| s.lifecycle == Lifecycle::Active));
    // Five vanish: within the cap.
    let r = build(customers(95)).run(RunMode::Full).await;
    assert_eq!(r.counts.deactivated, 5, "{r:?}");
    let inactive: Vec<_> = sink
        .records()
        .into_iter()
        .filter(|(_, v)| v.lifecycle == Lifecycle::Inactive)
        .map(|(k, _)| k)
        .collect();
    assert_eq!(inactive, vec!["C-100", "C-96", "C-97", "C-98", "C-99"]);
    // And they are not deactivated twice.
    let r = build(customers(95)).run(RunMode::Full).await;
    assert_eq!(r.counts.deactivated, 0);
}

#[tokio::test]
async fn changes_mode_never_deactivates() {
    let state: Arc<dyn StateStore> = Arc::new(MemoryStore::new());
    let sink = Arc::new(MemorySink::new("crm"));
    let f = flow(customers(10), sink.clone(), state.clone())
        .configure(|o| o.deactivate_absent = true)
        .build();
    f.run(RunMode::Changes).await;
    let r = flow(customers(9), sink.clone(), state)
        .configure(|o| o.deactivate_absent = true)
        .build()
        .run(RunMode::Changes)
        .await;
    assert_eq!(r.counts.deactivated, 0);
}

#[tokio::test]
async fn bad_record_is_quarantined_naming_record_and_field_and_replay_lands_it() {
    for state in stores() {
        let sink = Arc::new(MemorySink::new("crm"));
        sink.set_faults(|f| {
            f.reject.insert("C-7".into(), "emails[0].address".into());
        });
        let alerts = Arc::new(Mutex::new(Vec::new()));
        let a2 = alerts.clone();
        let f = flow(customers(10), sink.clone(), state.clone())
            .on_alert(move |a| a2.lock().unwrap().push(a.clone()))
            .build();
        let r = f.run(RunMode::Full).await;
        assert!(r.is_ok());
        assert_eq!(r.status, RunStatus::Partial);
        assert_eq!(r.counts.created, 9);
        assert_eq!(r.counts.quarantined, 1);
        assert_eq!(sink.len(), 9, "the rest lands");
        let (key, err) = &r.errors[0];
        assert_eq!(key, "C-7");
        assert_eq!(err.record(), Some("C-7"));
        assert_eq!(err.field(), Some("emails[0].address"));
        assert!(err.to_string().contains("C-7") && err.to_string().contains("emails[0].address"));
        match &alerts.lock().unwrap()[0].kind {
            AlertKind::Quarantined { count, first } => {
                assert_eq!(*count, 1);
                assert_eq!(first[0].1.field(), Some("emails[0].address"));
            }
            other => panic!("unexpected alert {other:?}"),
        }
        let open = state
            .quarantine_list(&QuarantineFilter {
                status: Some(QuarantineStatus::Open),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(open.len(), 1);
        assert_eq!(open[0].stage, "sink");

        // Replaying before the fix fails again (attempts + 1); after the fix it lands.
        let r = f.replay().await;
        assert_eq!(r.counts.quarantined, 1);
        sink.set_faults(|f| f.reject.clear());
        let r = f.replay().await;
        assert_eq!(r.counts.created, 1, "{r:?}");
        assert_eq!(r.counts.resolved, 1);
        assert_eq!(sink.len(), 10);
        let open = state
            .quarantine_list(&QuarantineFilter {
                status: Some(QuarantineStatus::Open),
                ..Default::default()
            })
            .await
            .unwrap();
        assert!(open.is_empty());
    }
}

#[tokio::test]
async fn step_failures_and_skips_are_reported_and_the_run_goes_on() {
    let state: Arc<dyn StateStore> = Arc::new(MemoryStore::new());
    let sink = Arc::new(MemorySink::new("crm"));
    let r = flow(customers(6), sink.clone(), state.clone())
        .step(filter("has-name", "no name and no code", |c: &Customer| {
            c.number.as_deref() != Some("C-2")
        }))
        .step(step_fn("mapping", |c: Customer, _ctx| {
            if c.number.as_deref() == Some("C-3") {
                StepOutcome::Fail(Error::invalid_field("payment_term", "no mapping for \"N45\""))
            } else {
                StepOutcome::Continue(Customer { notes: Some("mapped".into()), ..c })
            }
        }))
        .build()
        .run(RunMode::Full)
        .await;
    assert_eq!((r.counts.created, r.counts.skipped, r.counts.quarantined), (4, 1, 1));
    assert!(sink.records().values().all(|s| s.record.notes.as_deref() == Some("mapped")));
    let q = state.quarantine_list(&QuarantineFilter::default()).await.unwrap();
    assert_eq!(q[0].stage, "mapping");
    assert_eq!(q[0].error.field(), Some("payment_term"));
    // The quarantined payload is the record as the source sent it (before mapping).
    let payload: Customer = serde_json::from_str(q[0].payload.as_deref().unwrap()).unwrap();
    assert_eq!(payload.notes, None);
}

/// A source that yields a few records, a rejected row and a delete.
struct MixedSource;

#[async_trait]
impl Source<Customer> for MixedSource {
    fn name(&self) -> &str {
        "mixed"
    }
    fn capabilities(&self) -> SourceCapabilities {
        IterSource::<Customer>::from_vec("x", vec![]).capabilities()
    }
    async fn check(&self) -> crate::Result<()> {
        Ok(())
    }
    fn read(
        &self,
        _mode: ReadMode,
    ) -> futures_util::stream::BoxStream<'_, crate::Result<Change<Customer>>> {
        let items = vec![
            Ok(Change::Upsert(customer(1, "A"))),
            Ok(Change::Rejected(Rejected {
                key: None,
                payload: Some("C-x;Bad;12,3x".into()),
                error: Error::invalid_field(
                    "credit_limit.amount",
                    "not a decimal number: \"12,3x\"",
                ),
            })),
            Ok(Change::Upsert(customer(2, "B"))),
            Ok(Change::Delete { key: "C-1".into() }),
            Ok(Change::SnapshotComplete),
        ];
        Box::pin(futures_util::stream::iter(items))
    }
}

#[tokio::test]
async fn source_rejects_are_quarantined_and_block_absence_deactivation() {
    let state: Arc<dyn StateStore> = Arc::new(MemoryStore::new());
    let sink = Arc::new(MemorySink::new("crm"));
    flow(customers(3), sink.clone(), state.clone()).build().run(RunMode::Full).await;
    let f = Flow::builder("customers-to-crm", Arc::new(MixedSource), sink.clone(), state.clone())
        .configure(|o| {
            o.deactivate_absent = true;
            o.max_deactivate_percent = 100;
        })
        .build();
    let r = f.run(RunMode::Full).await;
    assert_eq!(r.counts.quarantined, 1);
    assert_eq!(r.errors[0].1.field(), Some("credit_limit.amount"));
    // The explicit delete deactivates C-1; C-3 is absent but a row was unreadable: kept.
    assert_eq!(r.counts.deactivated, 1, "{r:?}");
    assert!(r.notes.iter().any(|n| n.contains("absence is not trusted")), "{:?}", r.notes);
    assert_eq!(sink.records()["C-3"].lifecycle, Lifecycle::Active);
    assert_eq!(sink.records()["C-1"].lifecycle, Lifecycle::Inactive);
}

/// A source whose only row is refused and has no key of its own: a contact with neither a
/// name nor a number (its payload is the canonical record, as Xero's source keeps it).
struct KeylessReject;

#[async_trait]
impl Source<Customer> for KeylessReject {
    fn name(&self) -> &str {
        "keyless"
    }
    fn capabilities(&self) -> SourceCapabilities {
        IterSource::<Customer>::from_vec("x", vec![]).capabilities()
    }
    async fn check(&self) -> crate::Result<()> {
        Ok(())
    }
    fn read(
        &self,
        _mode: ReadMode,
    ) -> futures_util::stream::BoxStream<'_, crate::Result<Change<Customer>>> {
        let keyless = Customer { name: None, number: None, ..Default::default() };
        let items = vec![Ok(Change::Rejected(Rejected {
            key: Some("e2a7f6c0".into()),
            payload: Some(serde_json::to_string(&keyless).unwrap()),
            error: Error::invalid_field("Name", "neither a name nor a number"),
        }))];
        Box::pin(futures_util::stream::iter(items))
    }
}

#[tokio::test]
async fn replaying_a_keyless_source_row_leaves_its_entry_and_adds_none() {
    let state: Arc<dyn StateStore> = Arc::new(MemoryStore::new());
    let sink = Arc::new(MemorySink::new("crm"));
    let f = Flow::builder("customers-to-crm", Arc::new(KeylessReject), sink.clone(), state.clone())
        .build();
    assert_eq!(f.run(RunMode::Full).await.counts.quarantined, 1);
    let r = f.replay().await;
    assert_eq!((r.counts.received, r.counts.quarantined), (0, 0), "{r:?}");
    assert!(r.notes.iter().any(|n| n.contains("cannot be replayed")), "{:?}", r.notes);
    let open = state
        .quarantine_list(&QuarantineFilter {
            status: Some(QuarantineStatus::Open),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(open.iter().map(|q| q.key.as_str()).collect::<Vec<_>>(), ["e2a7f6c0"]);
}

/// A sink whose credentials are refused on the second call.
struct AuthFailsSecondCall(Arc<MemorySink<Customer>>, AtomicU32);

#[async_trait]
impl Sink<Customer> for AuthFailsSecondCall {
    fn name(&self) -> &str {
        "crm"
    }
    fn capabilities(&self) -> SinkCapabilities {
        SinkCapabilities { max_concurrency: 1, ..self.0.capabilities() }
    }
    async fn check(&self) -> crate::Result<()> {
        Ok(())
    }
    async fn find(&self, key: &LookupKey) -> crate::Result<Option<Found<Customer>>> {
        self.0.find(key).await
    }
    async fn write(&self, batch: Vec<WriteRequest<Customer>>) -> crate::Result<Vec<WriteOutcome>> {
        if self.1.fetch_add(1, Ordering::SeqCst) == 1 {
            return Err(Error::from_status(401, "token revoked"));
        }
        self.0.write(batch).await
    }
}

#[tokio::test]
async fn fatal_error_fails_the_run_and_keeps_the_checkpoint_behind() {
    let state: Arc<dyn StateStore> = Arc::new(MemoryStore::new());
    let memory = Arc::new(MemorySink::new("crm"));
    let sink = Arc::new(AuthFailsSecondCall(memory.clone(), AtomicU32::new(0)));
    let alerts = Arc::new(Mutex::new(Vec::new()));
    let a2 = alerts.clone();
    let f = Flow::builder(
        "f",
        Arc::new(IterSource::from_vec("erp", customers(30)).checkpoint_every(10)),
        sink,
        state.clone(),
    )
    .configure(|o| {
        o.batch_size = 10;
        o.concurrency = 1;
    })
    .on_alert(move |a| a2.lock().unwrap().push(a.clone()))
    .build();
    let r = f.run(RunMode::Changes).await;
    assert_eq!(r.status, RunStatus::Failed);
    assert_eq!(r.failure.as_ref().unwrap().kind(), ErrorKind::Auth);
    assert_eq!(state.checkpoint(&f.scope()).await.unwrap().unwrap().as_str(), "10");
    assert!(matches!(alerts.lock().unwrap()[0].kind, AlertKind::RunFailed(_)));
    assert!(r.clone().into_result().is_err());
}

#[tokio::test]
async fn activity_log_records_what_came_and_what_was_sent_with_personal_data_redacted() {
    let state: Arc<dyn StateStore> = Arc::new(MemoryStore::new());
    let sink = Arc::new(MemorySink::new("crm"));
    let r = flow(customers(2), sink, state.clone())
        .configure(|o| o.redact_personal_data = true)
        .build()
        .run(RunMode::Full)
        .await;
    let log = state.activity(r.run_id).await.unwrap();
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].outcome, "created");
    let sent = log[0].sent.as_deref().unwrap();
    assert!(sent.contains("C-1"), "{sent}");
    assert!(!sent.contains("c1@example.com") && !sent.contains("Customer 1"), "{sent}");
}

#[tokio::test]
async fn progress_is_reported_after_each_batch() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s2 = seen.clone();
    flow(customers(25), Arc::new(MemorySink::new("crm")), Arc::new(MemoryStore::new()))
        .on_progress(move |p| s2.lock().unwrap().push(p.counts.created))
        .build()
        .run(RunMode::Full)
        .await;
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 3);
    assert_eq!(*seen.last().unwrap(), 25);
}

#[tokio::test]
async fn same_key_twice_in_one_run_lands_in_order() {
    let mut records = customers(3);
    records.push(customer(2, "Second version"));
    let sink = Arc::new(MemorySink::new("crm"));
    let r =
        flow(records, sink.clone(), Arc::new(MemoryStore::new())).build().run(RunMode::Full).await;
    assert_eq!((r.counts.created, r.counts.updated), (3, 1));
    assert_eq!(sink.records()["C-2"].record.name.as_deref(), Some("Second version"));
}

fn order(number: &str, company: Option<&str>, email: &str, skus: &[&str]) -> Order {
    Order {
        number: Some(number.into()),
        party: DocumentParty {
            company_name: company.map(str::to_string),
            first_name: Some("Jan".into()),
            last_name: Some("Jansen".into()),
            email: Some(email.into()),
            ..Default::default()
        },
        lines: skus
            .iter()
            .map(|s| DocumentLine {
                sku: Some(s.to_string()),
                quantity: 1.into(),
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    }
}

#[tokio::test]
async fn business_steps_find_or_create_customer_and_ensure_products() {
    let state: Arc<dyn StateStore> = Arc::new(MemoryStore::new());
    let customers = Arc::new(MemorySink::<Customer>::new("erp-customers"));
    let products = Arc::new(MemorySink::<Product>::new("erp-products"));
    let orders = Arc::new(MemorySink::<Order>::new("erp-orders"));
    products
        .write(vec![WriteRequest {
            key: "SKU-1".into(),
            target_id: None,
            action: crate::sink::WriteAction::Upsert(Product {
                sku: "SKU-1".into(),
                ..Default::default()
            }),
            idempotency_key: "k".into(),
            is_create: true,
        }])
        .await
        .unwrap();
    let source = vec![
        order("SO-1", Some("Acme BV"), "jan@acme.example", &["SKU-1"]),
        order("SO-2", None, "Private@Example.com", &["SKU-1"]),
        order("SO-3", None, "x@example.com", &["SKU-1", "SKU-404"]),
    ];
    let existing = orders.clone();
    let f = Flow::builder(
        "orders",
        Arc::new(IterSource::from_vec("crm", source)),
        orders.clone(),
        state.clone(),
    )
    .step(steps::SkipIfExists::new(existing, |o: &Order| {
        o.number.clone().map(|n| LookupKey::new("key", n))
    }))
    .step(steps::EnsureProductsExist::new(products.clone() as Arc<dyn Sink<Product>>).into_step())
    .step(steps::FindOrCreateCustomer::new(customers.clone()).into_step())
    .build();
    let r = f.run(RunMode::Full).await;
    assert_eq!((r.counts.created, r.counts.quarantined), (2, 1), "{r:?}");
    let err = &r.errors[0].1;
    assert_eq!(err.field(), Some("lines[1].sku"));
    assert!(err.to_string().contains("SKU-404"), "{err}");
    let held = customers.records();
    let company = held.values().find(|s| s.record.name.as_deref() == Some("Acme BV")).unwrap();
    assert_eq!(company.record.kind, crate::model::CustomerKind::Company);
    assert_eq!(company.record.contacts[0].full_name(), "Jan Jansen");
    let person =
        held.values().find(|s| s.record.kind == crate::model::CustomerKind::Person).unwrap();
    assert_eq!(person.record.name.as_deref(), Some("Jan Jansen"));
    let so1 = &orders.records()["SO-1"].record;
    assert_eq!(so1.party.customer.id.as_deref(), Some(company.target_id.as_str()));

    // The product appears; replay lands the order. A rerun skips what exists.
    products
        .write(vec![WriteRequest {
            key: "SKU-404".into(),
            target_id: None,
            action: crate::sink::WriteAction::Upsert(Product {
                sku: "SKU-404".into(),
                ..Default::default()
            }),
            idempotency_key: "k2".into(),
            is_create: true,
        }])
        .await
        .unwrap();
    let r = f.replay().await;
    assert_eq!(r.counts.created, 1, "{r:?}");
    assert_eq!(orders.len(), 3);
    let _ = EntityRef::default();
    let _ = Customer::default().key();
}

#[tokio::test]
async fn create_only_fields_are_left_out_of_updates_and_steps_know_the_target_id() {
    let state: Arc<dyn StateStore> = Arc::new(MemoryStore::new());
    let sink = Arc::new(MemorySink::new("crm"));
    let seen_targets = Arc::new(Mutex::new(Vec::new()));
    let build = |records: Vec<Customer>| {
        let seen = seen_targets.clone();
        flow(records, sink.clone(), state.clone())
            .step(step_fn("observe", move |c: Customer, ctx: &StepContext| {
                seen.lock().unwrap().push(ctx.target_id.clone());
                StepOutcome::Continue(c)
            }))
            .configure(|o| o.prepare_update = Some(Arc::new(|c: &mut Customer| c.notes = None)))
            .build()
    };
    let mut records = customers(1);
    records[0].notes = Some("long description, enriched later in the CRM".into());
    assert_eq!(build(records.clone()).run(RunMode::Full).await.counts.created, 1);
    assert!(sink.records()["C-1"].record.notes.is_some(), "create sends create-only fields");
    records[0].name = Some("Renamed".into());
    assert_eq!(build(records.clone()).run(RunMode::Full).await.counts.updated, 1);
    assert_eq!(sink.records()["C-1"].record.notes, None, "update leaves them out");
    assert_eq!(
        build(records).run(RunMode::Full).await.counts.unchanged,
        1,
        "hash is of the full record"
    );
    let seen = seen_targets.lock().unwrap();
    assert_eq!(seen[0], None);
    assert_eq!(seen[1].as_deref(), Some("crm-1"));
}

/// A target whose lookup answers any key with the same stranger, as a lookup whose filter
/// the target ignores answers its first record.
struct LooseLookup(Arc<MemorySink<Customer>>);

#[async_trait]
impl Sink<Customer> for LooseLookup {
    fn name(&self) -> &str {
        "crm"
    }
    fn capabilities(&self) -> SinkCapabilities {
        SinkCapabilities { max_concurrency: 1, ..self.0.capabilities() }
    }
    async fn check(&self) -> crate::Result<()> {
        Ok(())
    }
    async fn find(&self, _key: &LookupKey) -> crate::Result<Option<Found<Customer>>> {
        Ok(Some(Found::new("stranger", "QU-0001")))
    }
    async fn write(&self, batch: Vec<WriteRequest<Customer>>) -> crate::Result<Vec<WriteOutcome>> {
        self.0.write(batch).await
    }
}

#[tokio::test]
async fn a_lookup_answering_another_record_is_no_match() {
    // An uncertain write is settled by looking the record up: a stranger is not it, so the
    // record is written (once) instead of being taken as the stranger.
    let state: Arc<dyn StateStore> = Arc::new(MemoryStore::new());
    let memory = Arc::new(MemorySink::new("crm"));
    memory.set_faults(|f| {
        f.lose_outcome.insert("C-2".into());
        f.fail_after_commit = 1;
    });
    let loose = Arc::new(LooseLookup(memory.clone()));
    let source = Arc::new(IterSource::from_vec("erp", customers(3)));
    let r = Flow::builder("f", source, loose.clone(), state)
        .configure(|o| o.batch_size = 10)
        .build()
        .run(RunMode::Full)
        .await;
    assert!(r.is_ok(), "{r:?}");
    assert_eq!(memory.len(), 3);
    assert!(memory.creates_by_key().values().all(|n| *n == 1));
    // Skip-if-exists does not skip a record for a stranger either.
    let step = crate::flow::steps::SkipIfExists::new(loose, |c: &Customer| {
        c.number.clone().map(|n| LookupKey::new("number", n))
    });
    let ctx = StepContext {
        flow: "f".into(),
        tenant: "t".into(),
        run_id: 1,
        dry_run: false,
        key: "C-9".into(),
        target_id: None,
    };
    let out = step.apply(customer(9, "Nine"), &ctx).await;
    assert!(matches!(out, StepOutcome::Continue(_)), "{out:?}");
    // The lookup's own answer, when it carries the key, is taken.
    let found: Found<Customer> = Found::new("id-1", " c-9 ");
    assert!(found.answers(&LookupKey::new("number", "C-9")));
    assert!(!found.answers(&LookupKey::new("number", "C-99")));
    let name: Found<Customer> = Found::new("id-2", "ÄRE Oy");
    assert!(name.answers(&LookupKey::new("name", "äre oy")));
}

#[test]
fn the_default_lookup_takes_the_field_the_sink_finds_by() {
    use crate::model::{ContactKind, Email};
    use crate::sink::default_lookup;
    let mut c = customer(7, "Seven Oy");
    // A sink that finds by e-mail is asked for the record's primary address, not its number.
    c.emails.clear();
    assert_eq!(default_lookup(&c, "email", "C-7"), None);
    c.emails = vec![
        Email { address: "other@example.com".into(), kind: ContactKind::Work, primary: false },
        Email { address: " sales@seven.example ".into(), kind: ContactKind::Work, primary: true },
    ];
    assert_eq!(
        default_lookup(&c, "email", "C-7"),
        Some(LookupKey::new("email", "sales@seven.example"))
    );
    assert_eq!(default_lookup(&c, "name", "C-7"), Some(LookupKey::new("name", "Seven Oy")));
    // Fields the entity does not know are looked up by the flow's key.
    assert_eq!(default_lookup(&c, "number", "C-7"), Some(LookupKey::new("number", "C-7")));
    assert_eq!(default_lookup(&c, "key", "K"), Some(LookupKey::new("key", "K")));
}
