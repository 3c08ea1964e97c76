//! In-memory sources and sinks: for tests, examples, benchmarks and prototyping flows.

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use futures_util::StreamExt;
use futures_util::stream::BoxStream;

use crate::error::{Error, ErrorKind, Result};
use crate::model::{Entity, Lifecycle};
use crate::sink::{
    Found, LookupKey, Outcome, Sink, SinkCapabilities, WriteAction, WriteOutcome, WriteRequest,
};
use crate::source::{
    Change, ChangeDetection, Cursor, DeleteSignal, ReadMode, Source, SourceCapabilities,
};

type MakeIter<E> = Arc<dyn Fn() -> Box<dyn Iterator<Item = E> + Send> + Send + Sync>;

/// A source over records made by a closure, so a million records never sit in memory at once.
/// Full reads end with [`Change::SnapshotComplete`]; changes reads treat the records as an
/// append-only log whose cursor is the count consumed, with a checkpoint every
/// `checkpoint_every` records.
pub struct IterSource<E> {
    name: String,
    make: MakeIter<E>,
    checkpoint_every: usize,
}

impl<E> std::fmt::Debug for IterSource<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IterSource").field("name", &self.name).finish()
    }
}

impl<E: Entity> IterSource<E> {
    /// A source named `name` whose records come from `make()` (called once per read).
    pub fn new<I>(name: impl Into<String>, make: impl Fn() -> I + Send + Sync + 'static) -> Self
    where
        I: IntoIterator<Item = E>,
        I::IntoIter: Send + 'static,
    {
        Self {
            name: name.into(),
            make: Arc::new(move || Box::new(make().into_iter())),
            checkpoint_every: 1000,
        }
    }

    /// A source over a fixed list (cloned at each read).
    pub fn from_vec(name: impl Into<String>, records: Vec<E>) -> Self {
        let records = Arc::new(records);
        Self::new(name, move || (*records).clone())
    }

    /// Emits a checkpoint every `n` records in changes mode (default 1,000).
    pub fn checkpoint_every(mut self, n: usize) -> Self {
        self.checkpoint_every = n.max(1);
        self
    }
}

#[async_trait]
impl<E: Entity> Source<E> for IterSource<E> {
    fn name(&self) -> &str {
        &self.name
    }

    fn capabilities(&self) -> SourceCapabilities {
        SourceCapabilities {
            entity: E::KIND,
            changes: ChangeDetection::Ledger,
            deletes: DeleteSignal::AbsenceOnly,
            page_size: None,
        }
    }

    async fn check(&self) -> Result<()> {
        Ok(())
    }

    fn read(&self, mode: ReadMode) -> BoxStream<'_, Result<Change<E>>> {
        let iter = (self.make)();
        match mode {
            ReadMode::Full => futures_util::stream::iter(
                iter.map(|e| Ok(Change::Upsert(e)))
                    .chain(std::iter::once(Ok(Change::SnapshotComplete))),
            )
            .boxed(),
            ReadMode::Changes { since } => {
                let skip = match since.as_ref().map(|c| c.as_str().parse::<usize>()) {
                    None => 0,
                    Some(Ok(n)) => n,
                    Some(Err(_)) => {
                        let err = Error::config(format!("cursor {since:?} is not a record count"));
                        return futures_util::stream::iter([Err(err)]).boxed();
                    }
                };
                let every = self.checkpoint_every;
                let mut count = skip;
                let body = iter.skip(skip).flat_map(move |e| {
                    count += 1;
                    let cp = (count % every == 0)
                        .then(|| Ok(Change::Checkpoint(Cursor::new(count.to_string()))));
                    std::iter::once(Ok(Change::Upsert(e))).chain(cp)
                });
                // The final checkpoint needs the final count: recount lazily at the end.
                let total = Arc::new(AtomicU64::new(skip as u64));
                let t2 = Arc::clone(&total);
                let counted = body.inspect(move |c| {
                    if matches!(c, Ok(Change::Upsert(_))) {
                        t2.fetch_add(1, Ordering::Relaxed);
                    }
                });
                let tail = futures_util::stream::once(async move {
                    Ok(Change::Checkpoint(Cursor::new(total.load(Ordering::Relaxed).to_string())))
                });
                futures_util::stream::iter(counted).chain(tail).boxed()
            }
        }
    }
}

/// How a [`MemorySink`] misbehaves, for tests.
#[derive(Debug, Default, Clone)]
pub struct SinkFaults {
    /// Keys whose writes are refused with an invalid-input error on `field`.
    pub reject: BTreeMap<String, String>,
    /// Keys whose writes land but whose outcome is lost (an uncertain write).
    pub lose_outcome: HashSet<String>,
    /// Fail the whole next `n` write calls with a transport error, before anything lands.
    pub fail_calls: u32,
    /// Fail the whole write call after the records landed (a crash after the POST).
    pub fail_after_commit: u32,
}

/// A record held by a [`MemorySink`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Stored<E> {
    /// The id the sink gave it (`crm-1`).
    pub target_id: String,
    /// The record as last written.
    pub record: E,
    /// Active, or inactive after a deactivation.
    pub lifecycle: Lifecycle,
}

#[derive(Debug)]
struct SinkState<E> {
    records: BTreeMap<String, Stored<E>>,
    next_id: u64,
    faults: SinkFaults,
    write_calls: u64,
    records_written: u64,
    creates_by_key: BTreeMap<String, u32>,
}

/// A sink that keeps records in memory, keyed by their natural key, and can be told to fail.
/// `find` looks up by `key` (the flow key) or by any top-level string field of the record.
#[derive(Debug)]
pub struct MemorySink<E> {
    name: String,
    max_batch: usize,
    state: Mutex<SinkState<E>>,
}

impl<E: Entity> MemorySink<E> {
    /// An empty sink named `name`.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            max_batch: 100,
            state: Mutex::new(SinkState {
                records: BTreeMap::new(),
                next_id: 1,
                faults: SinkFaults::default(),
                write_calls: 0,
                records_written: 0,
                creates_by_key: BTreeMap::new(),
            }),
        }
    }

    /// Sets the most records one write takes.
    pub fn max_batch(mut self, n: usize) -> Self {
        self.max_batch = n.max(1);
        self
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, SinkState<E>> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Changes the faults.
    pub fn set_faults(&self, f: impl FnOnce(&mut SinkFaults)) {
        f(&mut self.lock().faults);
    }

    /// The records held, by key.
    pub fn records(&self) -> BTreeMap<String, Stored<E>> {
        self.lock().records.clone()
    }

    /// How many records are held.
    pub fn len(&self) -> usize {
        self.lock().records.len()
    }

    /// Whether no record is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many write calls were made.
    pub fn write_calls(&self) -> u64 {
        self.lock().write_calls
    }

    /// How many records were written (created, updated or deactivated).
    pub fn records_written(&self) -> u64 {
        self.lock().records_written
    }

    /// How many times each key was created (more than 1 would be a duplicate).
    pub fn creates_by_key(&self) -> BTreeMap<String, u32> {
        self.lock().creates_by_key.clone()
    }
}

fn field_matches<E: Entity>(record: &E, field: &str, value: &str) -> bool {
    match serde_json::to_value(record) {
        Ok(serde_json::Value::Object(map)) => match map.get(field) {
            Some(serde_json::Value::String(s)) => s == value,
            Some(serde_json::Value::Array(items)) => items.iter().any(|i| {
                i.as_str() == Some(value)
                    || i.get("address")
                        .and_then(|a| a.as_str())
                        .is_some_and(|a| a.eq_ignore_ascii_case(value))
            }),
            _ => false,
        },
        _ => false,
    }
}

#[async_trait]
impl<E: Entity> Sink<E> for MemorySink<E> {
    fn name(&self) -> &str {
        &self.name
    }

    fn capabilities(&self) -> SinkCapabilities {
        SinkCapabilities {
            entity: E::KIND,
            max_batch: self.max_batch,
            max_concurrency: 4,
            can_find: true,
            can_deactivate: true,
            idempotent_writes: false,
            natural_key: "key".into(),
        }
    }

    async fn check(&self) -> Result<()> {
        Ok(())
    }

    async fn find(&self, key: &LookupKey) -> Result<Option<Found<E>>> {
        let state = self.lock();
        let hit = if key.field == "key" {
            state.records.get(&key.value)
        } else {
            state.records.values().find(|s| field_matches(&s.record, &key.field, &key.value))
        };
        // The record's own field was compared with the value: it is what matched.
        Ok(hit.map(|s| {
            Found::new(s.target_id.clone(), key.value.clone()).with_record(s.record.clone())
        }))
    }

    async fn write(&self, batch: Vec<WriteRequest<E>>) -> Result<Vec<WriteOutcome>> {
        let mut state = self.lock();
        state.write_calls += 1;
        if state.faults.fail_calls > 0 {
            state.faults.fail_calls -= 1;
            return Err(Error::new(
                ErrorKind::Transport,
                "connection reset before the request was sent",
            ));
        }
        let mut outcomes = Vec::with_capacity(batch.len());
        for req in batch {
            if let Some(field) = state.faults.reject.get(&req.key).cloned() {
                outcomes.push(WriteOutcome::new(
                    req.key.clone(),
                    Outcome::Failed {
                        error: Error::invalid_field(field, "refused by the target")
                            .with_record(req.key),
                    },
                ));
                continue;
            }
            state.records_written += 1;
            let outcome = match req.action {
                WriteAction::Upsert(record) => {
                    let lifecycle = record.meta().lifecycle;
                    match state.records.get(&req.key).map(|s| s.target_id.clone()) {
                        Some(id) => {
                            let stored = Stored { target_id: id.clone(), record, lifecycle };
                            state.records.insert(req.key.clone(), stored);
                            Outcome::Updated { target_id: id }
                        }
                        None => {
                            let id = format!("{}-{}", self.name, state.next_id);
                            state.next_id += 1;
                            *state.creates_by_key.entry(req.key.clone()).or_insert(0) += 1;
                            let stored = Stored { target_id: id.clone(), record, lifecycle };
                            state.records.insert(req.key.clone(), stored);
                            Outcome::Created { target_id: id }
                        }
                    }
                }
                WriteAction::Deactivate => match state.records.get_mut(&req.key) {
                    Some(s) => {
                        s.lifecycle = Lifecycle::Inactive;
                        Outcome::Deactivated { target_id: s.target_id.clone() }
                    }
                    None => {
                        Outcome::Failed { error: Error::new(ErrorKind::NotFound, "no such record") }
                    }
                },
            };
            if state.faults.lose_outcome.remove(&req.key) {
                outcomes.push(WriteOutcome::new(
                    req.key,
                    Outcome::Failed {
                        error: Error::new(ErrorKind::UncertainWrite, "response lost"),
                    },
                ));
            } else {
                outcomes.push(WriteOutcome::new(req.key, outcome));
            }
        }
        if state.faults.fail_after_commit > 0 {
            state.faults.fail_after_commit -= 1;
            return Err(Error::new(ErrorKind::Timeout, "the response did not arrive in time"));
        }
        Ok(outcomes)
    }
}

/// A sink that accepts everything and keeps nothing: measures the engine's own overhead.
#[derive(Debug, Default)]
pub struct NullSink {
    written: AtomicU64,
}

impl NullSink {
    /// A new sink.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many records it accepted.
    pub fn written(&self) -> u64 {
        self.written.load(Ordering::Relaxed)
    }
}

#[async_trait]
impl<E: Entity> Sink<E> for NullSink {
    fn name(&self) -> &str {
        "null"
    }

    fn capabilities(&self) -> SinkCapabilities {
        SinkCapabilities {
            entity: E::KIND,
            max_batch: 1000,
            max_concurrency: 1,
            can_find: false,
            can_deactivate: true,
            idempotent_writes: true,
            natural_key: "key".into(),
        }
    }

    async fn check(&self) -> Result<()> {
        Ok(())
    }

    async fn find(&self, _key: &LookupKey) -> Result<Option<Found<E>>> {
        Ok(None)
    }

    async fn write(&self, batch: Vec<WriteRequest<E>>) -> Result<Vec<WriteOutcome>> {
        self.written.fetch_add(batch.len() as u64, Ordering::Relaxed);
        Ok(batch
            .into_iter()
            .map(|r| {
                let target_id = r.target_id.clone().unwrap_or_else(|| r.key.clone());
                let outcome = match r.action {
                    WriteAction::Deactivate => Outcome::Deactivated { target_id },
                    WriteAction::Upsert(_) if r.is_create => Outcome::Created { target_id },
                    WriteAction::Upsert(_) => Outcome::Updated { target_id },
                };
                WriteOutcome::new(r.key, outcome)
            })
            .collect())
    }
}
