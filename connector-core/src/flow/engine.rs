//! [`Flow`]: one source, its steps and one sink, run against a state store.

use std::sync::Arc;
use std::time::Instant;

use chrono::Utc;
use futures_util::stream::BoxStream;
use futures_util::{Future, StreamExt};

use super::batch::{BatchOutput, Item, RunCtx};
use super::options::{FlowOptions, RunMode};
use super::pipeline::Pipeline;
use super::report::{
    Alert, AlertFn, AlertKind, Plan, PlanItem, Progress, ProgressFn, RunReport, RunStatus,
};
use super::step::Step;
use crate::error::{Error, ErrorKind, Result};
use crate::model::Entity;
use crate::sink::Sink;
use crate::source::{Change, Cursor, ReadMode, Source};
use crate::state::{
    BatchCommit, DRY_RUN_SUFFIX, LedgerScope, QuarantineEntry, QuarantineFilter, QuarantineStatus,
    RunRecord, Scope, StateStore,
};

/// Errors of the first few quarantined records kept in a report.
const REPORT_ERRORS: usize = 20;

/// A flow: records of one entity from a source, through steps, into a sink.
pub struct Flow<E: Entity> {
    pub(super) name: String,
    pub(super) tenant: String,
    pub(super) source: Arc<dyn Source<E>>,
    pub(super) sink: Arc<dyn Sink<E>>,
    pub(super) steps: Vec<Arc<dyn Step<E>>>,
    pub(super) state: Arc<dyn StateStore>,
    pub(super) options: FlowOptions<E>,
    pub(super) progress: Option<ProgressFn>,
    pub(super) alert: Option<AlertFn>,
}

impl<E: Entity> std::fmt::Debug for Flow<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Flow")
            .field("name", &self.name)
            .field("tenant", &self.tenant)
            .field("entity", &E::KIND)
            .field("source", &self.source.name())
            .field("sink", &self.sink.name())
            .field("steps", &self.steps.iter().map(|s| s.name().to_string()).collect::<Vec<_>>())
            .field("options", &self.options)
            .finish()
    }
}

/// Builds a [`Flow`].
pub struct FlowBuilder<E: Entity> {
    flow: Flow<E>,
}

impl<E: Entity> std::fmt::Debug for FlowBuilder<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.flow.fmt(f)
    }
}

impl<E: Entity> FlowBuilder<E> {
    /// The tenant the flow runs for (default `default`); part of every state key.
    pub fn tenant(mut self, tenant: impl Into<String>) -> Self {
        self.flow.tenant = tenant.into();
        self
    }

    /// Appends a step.
    pub fn step(mut self, step: impl Step<E> + 'static) -> Self {
        self.flow.steps.push(Arc::new(step));
        self
    }

    /// Replaces the options.
    pub fn options(mut self, options: FlowOptions<E>) -> Self {
        self.flow.options = options;
        self
    }

    /// Changes the options in place.
    pub fn configure(mut self, f: impl FnOnce(&mut FlowOptions<E>)) -> Self {
        f(&mut self.flow.options);
        self
    }

    /// Sets the progress callback, called after every batch.
    pub fn on_progress(mut self, f: impl Fn(&Progress) + Send + Sync + 'static) -> Self {
        self.flow.progress = Some(Arc::new(f));
        self
    }

    /// Sets the alert hook, called when a run fails, quarantines records or a limit holds.
    pub fn on_alert(mut self, f: impl Fn(&Alert) + Send + Sync + 'static) -> Self {
        self.flow.alert = Some(Arc::new(f));
        self
    }

    /// The flow.
    pub fn build(self) -> Flow<E> {
        self.flow
    }
}

/// What one execution reads.
enum Input<'a, E> {
    Source(BoxStream<'a, Result<Change<E>>>),
    Replay(Vec<QuarantineEntry>),
}

impl<E: Entity> Flow<E> {
    /// Starts building a flow named `name` (unique per tenant: it keys checkpoints).
    pub fn builder(
        name: impl Into<String>,
        source: Arc<dyn Source<E>>,
        sink: Arc<dyn Sink<E>>,
        state: Arc<dyn StateStore>,
    ) -> FlowBuilder<E> {
        FlowBuilder {
            flow: Flow {
                name: name.into(),
                tenant: "default".into(),
                source,
                sink,
                steps: Vec::new(),
                state,
                options: FlowOptions::default(),
                progress: None,
                alert: None,
            },
        }
    }

    /// The flow's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The checkpoint scope of this flow.
    pub fn scope(&self) -> Scope {
        Scope::new(&self.tenant, &self.name, E::KIND.as_str())
    }

    /// The ledger scope of this flow's target.
    pub fn ledger_scope(&self) -> LedgerScope {
        LedgerScope::new(&self.tenant, self.sink.name(), E::KIND.as_str())
    }

    /// Runs the flow. The report says how it went; a failed run has
    /// [`RunReport::failure`] set and is in the run history like any other.
    pub async fn run(&self, mode: RunMode) -> RunReport {
        crate::http::stats::measure(self.execute(mode, false)).await.0
    }

    /// Plans a run without sending anything to the target: the report's `plan` lists the
    /// creates, updates (with field diffs where the sink can read records), skips and
    /// deactivations. Checkpoints are not moved.
    pub async fn dry_run(&self, mode: RunMode) -> RunReport {
        crate::http::stats::measure(self.execute(mode, true)).await.0
    }

    /// Sends every open quarantined record of this flow again (after the cause was fixed).
    /// Records that land are marked resolved; the others stay with their new error. Source
    /// rejects (rows that did not decode) cannot be replayed: fix the source and run again.
    pub async fn replay(&self) -> RunReport {
        crate::http::stats::measure(self.replay_quarantined()).await.0
    }

    async fn replay_quarantined(&self) -> RunReport {
        let started = Instant::now();
        let filter = QuarantineFilter {
            tenant: Some(self.tenant.clone()),
            flow: Some(self.name.clone()),
            entity: Some(E::KIND.as_str().to_string()),
            status: Some(QuarantineStatus::Open),
            limit: None,
        };
        let run_id = match self.state.run_started(&self.name, "replay", Utc::now()).await {
            Ok(id) => id,
            Err(e) => return self.failed_before_start("replay", e, started),
        };
        match self.state.quarantine_list(&filter).await {
            Ok(entries) => {
                self.execute_input(run_id, "replay", Input::Replay(entries), false, false, started)
                    .await
            }
            Err(e) => self.finish(run_id, "replay", Default::default(), Some(e), started).await,
        }
    }

    async fn execute(&self, mode: RunMode, dry_run: bool) -> RunReport {
        let started = Instant::now();
        let label = if dry_run {
            format!("{}{DRY_RUN_SUFFIX}", mode.as_str())
        } else {
            mode.as_str().into()
        };
        let run_id = match self.state.run_started(&self.name, &label, Utc::now()).await {
            Ok(id) => id,
            Err(e) => return self.failed_before_start(&label, e, started),
        };
        let read_mode = match mode {
            RunMode::Full => ReadMode::Full,
            RunMode::Changes => match self.state.checkpoint(&self.scope()).await {
                Ok(since) => ReadMode::Changes { since },
                Err(e) => {
                    return self.finish(run_id, &label, Default::default(), Some(e), started).await;
                }
            },
        };
        let stream = self.source.read(read_mode);
        let full = mode == RunMode::Full;
        self.execute_input(run_id, &label, Input::Source(stream), dry_run, full, started).await
    }

    fn failed_before_start(&self, mode: &str, e: Error, started: Instant) -> RunReport {
        let report = RunReport {
            flow: self.name.clone(),
            mode: mode.to_string(),
            status: RunStatus::Failed,
            duration: started.elapsed(),
            failure: Some(e.clone()),
            ..Default::default()
        };
        self.raise(Alert { flow: self.name.clone(), run_id: 0, kind: AlertKind::RunFailed(e) });
        report
    }

    async fn execute_input(
        &self,
        run_id: i64,
        label: &str,
        input: Input<'_, E>,
        dry_run: bool,
        full: bool,
        started: Instant,
    ) -> RunReport {
        let replay = matches!(input, Input::Replay(_));
        let caps = self.sink.capabilities();
        let open_filter = QuarantineFilter {
            tenant: Some(self.tenant.clone()),
            flow: Some(self.name.clone()),
            entity: Some(E::KIND.as_str().to_string()),
            status: Some(QuarantineStatus::Open),
            limit: Some(1),
        };
        // If the lookup fails, resolve conservatively.
        let open_entries =
            self.state.quarantine_list(&open_filter).await.map_or(true, |q| !q.is_empty());
        let ctx = RunCtx {
            run_id,
            dry_run,
            full,
            replay,
            scope: self.scope(),
            ledger: self.ledger_scope(),
            max_batch: caps.max_batch.max(1),
            can_find: caps.can_find,
            can_deactivate: caps.can_deactivate,
            natural_key: caps.natural_key.clone(),
            resolve_needed: std::sync::atomic::AtomicBool::new(open_entries),
        };
        let mut acc = Accumulator::new(dry_run);
        let outcome = self.pump(&ctx, input, &mut acc).await;
        let failure = match outcome {
            Ok(snapshot_complete) => {
                if full && snapshot_complete && self.options.deactivate_absent {
                    self.deactivate_absent(&ctx, &mut acc).await.err()
                } else {
                    if full && self.options.deactivate_absent {
                        acc.report.notes.push(
                            "the source did not complete its snapshot: nothing was deactivated"
                                .into(),
                        );
                    }
                    None
                }
            }
            Err(e) => Some(e),
        };
        if let Some(days) = self.options.activity_retention_days {
            let before = Utc::now() - chrono::Duration::days(i64::from(days));
            if let Err(e) = self.state.prune_activity(before).await {
                acc.report.notes.push(format!("activity log pruning failed: {e}"));
            }
        }
        let mut report = acc.report;
        report.plan = acc.plan;
        self.finish(run_id, label, report, failure, started).await
    }

    /// Reads the input and drives batches through the pipeline. Returns whether the source
    /// reported a complete snapshot.
    async fn pump(&self, ctx: &RunCtx, input: Input<'_, E>, acc: &mut Accumulator) -> Result<bool> {
        let mut pipeline = Pipeline::new(self, ctx);
        let mut snapshot_complete = false;
        let mut seq: u64 = 0;

        let mut stream: BoxStream<'_, Result<Change<E>>> = match input {
            Input::Source(s) => s,
            Input::Replay(entries) => {
                let mut keyed = Vec::with_capacity(entries.len());
                for entry in entries {
                    match entry.payload.as_deref().map(serde_json::from_str::<E>) {
                        // A record without a key (a source row with neither name nor number)
                        // would come back as a new entry beside this one: it stays as it is.
                        Some(Ok(record)) if record.key().is_some() => {
                            keyed.push(Ok(Change::Upsert(record)));
                        }
                        _ => acc.unreplayable += 1,
                    }
                }
                if acc.unreplayable > 0 {
                    acc.report.notes.push(format!(
                        "{} quarantined source rows cannot be replayed: fix the source and run the flow again",
                        acc.unreplayable
                    ));
                }
                futures_util::stream::iter(keyed).boxed()
            }
        };

        loop {
            // Wait for a slot, or take a finished batch while reading on.
            if pipeline.is_full() {
                pipeline.land_one(acc).await?;
                continue;
            }
            let next = tokio::select! {
                biased;
                Some(out) = pipeline.next_landed() => {
                    pipeline.settle(out?, acc).await?;
                    continue;
                }
                item = stream.next() => item,
            };
            let Some(change) = next else { break };
            let change = change?;
            seq += 1;
            let item = match change {
                Change::Upsert(record) => match record.key() {
                    Some(key) => Item::Upsert { key: key.into_owned(), record: Box::new(record) },
                    None => {
                        let err = Error::invalid_field(
                            "key",
                            "record has no natural key (number, SKU or code) and no reference id",
                        )
                        .with_record(format!("#{seq}"));
                        let payload = serde_json::to_string(&record).ok();
                        acc.keyless_rejects += 1;
                        self.quarantine_now(ctx, format!("#{seq}"), "source", payload, err, acc)
                            .await?;
                        continue;
                    }
                },
                Change::Delete { key } => Item::Delete { key },
                Change::Rejected(rejected) => {
                    let key = rejected.key.clone().unwrap_or_else(|| format!("#{seq}"));
                    if rejected.key.is_none() {
                        acc.keyless_rejects += 1;
                    }
                    let error = rejected.error.with_record(key.clone());
                    if ctx.full {
                        if let Some(k) = &rejected.key {
                            acc.rejected_seen.push(k.clone());
                        }
                    }
                    self.quarantine_now(ctx, key, "source", rejected.payload, error, acc).await?;
                    continue;
                }
                Change::Checkpoint(cursor) => {
                    pipeline.checkpoint(cursor, acc).await?;
                    continue;
                }
                Change::SnapshotComplete => {
                    snapshot_complete = true;
                    continue;
                }
            };
            acc.report.counts.received += 1;
            pipeline.push(item, acc).await?;
        }
        pipeline.finish(acc).await?;
        Ok(snapshot_complete)
    }

    async fn quarantine_now(
        &self,
        ctx: &RunCtx,
        key: String,
        stage: &str,
        payload: Option<String>,
        error: Error,
        acc: &mut Accumulator,
    ) -> Result<()> {
        acc.report.counts.quarantined += 1;
        if acc.report.errors.len() < REPORT_ERRORS {
            acc.report.errors.push((key.clone(), error.clone()));
        }
        if ctx.dry_run {
            return Ok(());
        }
        ctx.resolve_needed.store(true, std::sync::atomic::Ordering::Relaxed);
        let now = Utc::now();
        let mut commit = BatchCommit { run_id: ctx.run_id, ..Default::default() };
        commit.quarantine.push(QuarantineEntry {
            id: 0,
            run_id: ctx.run_id,
            tenant: ctx.scope.tenant.clone(),
            flow: ctx.scope.flow.clone(),
            entity: ctx.scope.entity.clone(),
            key: key.clone(),
            stage: stage.into(),
            payload,
            error: error.clone(),
            attempts: 1,
            status: QuarantineStatus::Open,
            created_at: now,
            updated_at: now,
        });
        if self.options.activity != super::ActivityLevel::Off {
            commit.activity.push(crate::state::ActivityEntry {
                run_id: ctx.run_id,
                at: now,
                flow: ctx.scope.flow.clone(),
                entity: ctx.scope.entity.clone(),
                key,
                received: None,
                sent: None,
                outcome: "rejected".into(),
                message: Some(error.to_string()),
            });
        }
        self.state.commit(commit).await
    }

    async fn deactivate_absent(&self, ctx: &RunCtx, acc: &mut Accumulator) -> Result<()> {
        if !ctx.can_deactivate {
            acc.report.notes.push(format!(
                "{} cannot deactivate records: absent records were left alone",
                self.sink.name()
            ));
            return Ok(());
        }
        if acc.keyless_rejects > 0 {
            acc.report.notes.push(format!(
                "{} source rows could not be read: absence is not trusted, nothing was deactivated",
                acc.keyless_rejects
            ));
            return Ok(());
        }
        if !acc.rejected_seen.is_empty() && !ctx.dry_run {
            let commit = BatchCommit {
                ledger_scope: Some(ctx.ledger.clone()),
                run_id: ctx.run_id,
                seen: std::mem::take(&mut acc.rejected_seen),
                ..Default::default()
            };
            self.state.commit(commit).await?;
        }
        let total = self.state.ledger_count(&ctx.ledger).await?;
        let allowed = total * u64::from(self.options.max_deactivate_percent) / 100;
        let limit = usize::try_from(allowed.saturating_add(1)).unwrap_or(usize::MAX);
        let absent = self.state.ledger_unseen(&ctx.ledger, ctx.run_id, limit).await?;
        if absent.is_empty() {
            return Ok(());
        }
        if absent.len() as u64 > allowed && !self.options.allow_mass_deactivation {
            let note = format!(
                "deactivation cap held: more than {allowed} of {total} records ({}%) are absent from the source; nothing was deactivated (set allow_mass_deactivation to override)",
                self.options.max_deactivate_percent
            );
            acc.report.notes.push(note.clone());
            self.raise(Alert {
                flow: self.name.clone(),
                run_id: ctx.run_id,
                kind: AlertKind::LimitHeld(note),
            });
            return Ok(());
        }
        let absent = if self.options.allow_mass_deactivation {
            self.state.ledger_unseen(&ctx.ledger, ctx.run_id, usize::MAX).await?
        } else {
            absent
        };
        if ctx.dry_run {
            for entry in absent {
                acc.report.counts.deactivated += 1;
                if let Some(plan) = acc.plan.as_mut() {
                    if plan.deactivations.len() < self.options.plan_limit {
                        plan.deactivations.push(PlanItem {
                            key: entry.key,
                            target_id: entry.target_id,
                            changes: vec![],
                            reason: Some("absent from the source".into()),
                        });
                    }
                }
            }
            return Ok(());
        }
        for chunk in absent.chunks(ctx.max_batch) {
            let items = chunk.iter().map(|e| Item::Delete { key: e.key.clone() }).collect();
            let out = self.process_batch(ctx, items).await?;
            acc.absorb(out, self.options.plan_limit);
        }
        Ok(())
    }

    async fn finish(
        &self,
        run_id: i64,
        label: &str,
        mut report: RunReport,
        failure: Option<Error>,
        started: Instant,
    ) -> RunReport {
        report.run_id = run_id;
        report.flow = self.name.clone();
        report.mode = label.to_string();
        report.duration = started.elapsed();
        report.calls = crate::http::stats::current().unwrap_or_default();
        report.status = if failure.is_some() {
            RunStatus::Failed
        } else if report.counts.quarantined > 0 {
            RunStatus::Partial
        } else {
            RunStatus::Succeeded
        };
        report.failure = failure;
        let record = RunRecord {
            id: run_id,
            flow: self.name.clone(),
            mode: label.to_string(),
            started_at: Utc::now()
                - chrono::Duration::from_std(report.duration).unwrap_or_default(),
            finished_at: Some(Utc::now()),
            status: report.status.as_str().to_owned(),
            report: serde_json::to_value(&report).ok(),
        };
        if let Err(e) = self.state.run_finished(record).await {
            report.notes.push(format!("the run could not be recorded in the history: {e}"));
        }
        if let Some(e) = &report.failure {
            self.raise(Alert {
                flow: self.name.clone(),
                run_id,
                kind: AlertKind::RunFailed(e.clone()),
            });
        } else if report.counts.quarantined > 0 {
            self.raise(Alert {
                flow: self.name.clone(),
                run_id,
                kind: AlertKind::Quarantined {
                    count: report.counts.quarantined,
                    first: report.errors.iter().take(5).cloned().collect(),
                },
            });
        }
        report
    }

    fn raise(&self, alert: Alert) {
        if let Some(hook) = &self.alert {
            hook(&alert);
        }
    }
}

impl RunReport {
    /// The report as a `Result`: `Err` with the failure if the run failed.
    pub fn into_result(self) -> Result<RunReport> {
        match self.failure {
            Some(e) => Err(e),
            None => Ok(self),
        }
    }
}

/// Whether an error ends the whole run (rather than failing the records it concerns).
pub(super) fn is_fatal(e: &Error) -> bool {
    matches!(
        e.kind(),
        ErrorKind::Auth
            | ErrorKind::Permission
            | ErrorKind::Config
            | ErrorKind::BudgetExhausted
            | ErrorKind::Internal
    )
}

pub(super) type BatchFuture<'a> =
    std::pin::Pin<Box<dyn Future<Output = Result<BatchOutput>> + Send + 'a>>;

/// What the run collects as batches land.
pub(super) struct Accumulator {
    pub report: RunReport,
    pub plan: Option<Plan>,
    pub last_cursor: Option<Cursor>,
    pub keyless_rejects: u64,
    pub rejected_seen: Vec<String>,
    pub unreplayable: u64,
}

impl Accumulator {
    fn new(dry_run: bool) -> Self {
        Self {
            report: RunReport::default(),
            plan: dry_run.then(Plan::default),
            last_cursor: None,
            keyless_rejects: 0,
            rejected_seen: Vec::new(),
            unreplayable: 0,
        }
    }

    pub fn absorb(&mut self, out: BatchOutput, plan_limit: usize) {
        let c = &mut self.report.counts;
        c.created += out.counts.created;
        c.updated += out.counts.updated;
        c.unchanged += out.counts.unchanged;
        c.deactivated += out.counts.deactivated;
        c.skipped += out.counts.skipped;
        c.quarantined += out.counts.quarantined;
        c.resolved += out.counts.resolved;
        self.report.batches += out.sink_calls;
        for e in out.errors {
            if self.report.errors.len() < REPORT_ERRORS {
                self.report.errors.push(e);
            }
        }
        if let (Some(plan), Some(p)) = (self.plan.as_mut(), out.plan) {
            for (dst, src) in [
                (&mut plan.creates, p.creates),
                (&mut plan.updates, p.updates),
                (&mut plan.skips, p.skips),
                (&mut plan.deactivations, p.deactivations),
            ] {
                let room = plan_limit.saturating_sub(dst.len());
                dst.extend(src.into_iter().take(room));
            }
        }
    }
}
