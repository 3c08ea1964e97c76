//! One batch through the pipeline: steps, ledger, lookup of uncertain writes, the sink, and
//! one state commit.

use rustc_hash::FxHashMap as HashMap;

use chrono::Utc;

use super::engine::{Flow, is_fatal};
use super::hash::{content_hash_json, idempotency_key};
use super::options::ActivityLevel;
use super::redact::redact_personal;
use super::report::{Counts, Plan, PlanItem};
use super::step::{StepContext, StepOutcome};
use crate::error::{Error, ErrorKind, Result};
use crate::model::Entity;
use crate::sink::{Outcome, WriteAction, WriteOutcome, WriteRequest, default_lookup, find_checked};
use crate::state::{
    ActivityEntry, BatchCommit, LedgerEntry, LedgerScope, LedgerStatus, LedgerUpdate,
    QuarantineEntry, QuarantineStatus, Scope,
};

/// Fixed facts of one run, shared by its batches.
#[derive(Debug)]
pub(super) struct RunCtx {
    pub run_id: i64,
    pub dry_run: bool,
    pub full: bool,
    pub replay: bool,
    pub scope: Scope,
    pub ledger: LedgerScope,
    pub max_batch: usize,
    pub can_find: bool,
    pub can_deactivate: bool,
    pub natural_key: String,
    /// Whether a landing record may have an open quarantine entry to resolve: open entries
    /// existed when the run started, or the run quarantined records itself. When neither,
    /// the store is not asked to resolve anything.
    pub resolve_needed: std::sync::atomic::AtomicBool,
}

/// One record entering a batch. Records travel boxed through the engine (a canonical record
/// is hundreds of bytes; each move of a box copies a pointer) and are unboxed once, into the
/// sink's write request.
#[derive(Debug)]
pub(super) enum Item<E> {
    Upsert { key: String, record: Box<E> },
    Delete { key: String },
}

impl<E> Item<E> {
    pub fn key(&self) -> &str {
        match self {
            Item::Upsert { key, .. } | Item::Delete { key } => key,
        }
    }
}

/// What a batch produced, for the run's report.
#[derive(Debug, Default)]
pub(super) struct BatchOutput {
    pub keys: Vec<String>,
    pub counts: Counts,
    pub sink_calls: u64,
    pub errors: Vec<(String, Error)>,
    pub plan: Option<Plan>,
}

/// A record after the steps, on its way to the sink.
struct Ready<E> {
    key: String,
    record: Box<E>,
    /// The record as the source sent it, kept when steps changed it.
    received: Option<E>,
    hash: String,
    /// The record after the steps as JSON (what the hash is of): the activity log's "sent",
    /// the quarantine payload when there are no steps, and the way back to the record in the
    /// rare paths (an uncertain write) after the record itself went to the sink.
    json: String,
}

/// A write to send.
struct Pending<E> {
    request: WriteRequest<E>,
    info: SentInfo<E>,
}

/// What the engine keeps of a write while the sink holds the record.
struct SentInfo<E> {
    key: String,
    hash: Option<String>,
    received: Option<E>,
    json: Option<String>,
    is_create: bool,
    idempotency_key: String,
    target_id: Option<String>,
}

/// A record for the activity log or the quarantine: the record itself or its JSON.
enum Payload<'a, E> {
    Record(&'a E),
    Json(&'a str),
}

impl<E> Clone for Payload<'_, E> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<E> Copy for Payload<'_, E> {}

impl<E: Entity> Payload<'_, E> {
    fn to_json(self) -> Option<String> {
        match self {
            Payload::Record(r) => serde_json::to_string(r).ok(),
            Payload::Json(j) => Some(j.to_string()),
        }
    }

    fn to_value(self) -> Option<serde_json::Value> {
        match self {
            Payload::Record(r) => serde_json::to_value(r).ok(),
            Payload::Json(j) => serde_json::from_str(j).ok(),
        }
    }
}

impl<E> SentInfo<E> {
    /// What the source sent: the pre-step record, else the sent JSON.
    fn received(&self) -> Option<Payload<'_, E>> {
        self.received
            .as_ref()
            .map(Payload::Record)
            .or_else(|| self.json.as_deref().map(Payload::Json))
    }
}

impl<E> Ready<E> {
    fn received(&self) -> Payload<'_, E> {
        match &self.received {
            Some(r) => Payload::Record(r),
            None => Payload::Json(&self.json),
        }
    }
}

impl<E: Entity> Flow<E> {
    pub(super) async fn process_batch(
        &self,
        ctx: &RunCtx,
        items: Vec<Item<E>>,
    ) -> Result<BatchOutput> {
        let mut out = BatchOutput {
            keys: items.iter().map(|i| i.key().to_string()).collect(),
            plan: ctx.dry_run.then(Plan::default),
            ..Default::default()
        };
        let mut commit = BatchCommit {
            ledger_scope: Some(ctx.ledger.clone()),
            run_id: ctx.run_id,
            ..Default::default()
        };

        // 1. What the ledger knows of these keys (create or update, unchanged content).
        let lookup_keys: Vec<String> = items.iter().map(|i| i.key().to_string()).collect();
        let entries: HashMap<String, LedgerEntry> = if lookup_keys.is_empty() {
            HashMap::default()
        } else {
            self.state
                .ledger_get(&ctx.ledger, &lookup_keys)
                .await?
                .into_iter()
                .map(|e| (e.key.clone(), e))
                .collect()
        };

        // 2. Steps.
        let mut ready: Vec<Ready<E>> = Vec::with_capacity(items.len());
        let mut deletes: Vec<String> = Vec::new();
        for item in items {
            match item {
                Item::Delete { key } => deletes.push(key),
                Item::Upsert { key, record } => {
                    if ctx.full {
                        commit.seen.push(key.clone());
                    }
                    let target_id = entries.get(&key).and_then(|e| e.target_id.clone());
                    self.run_steps(ctx, key, target_id, record, &mut ready, &mut out, &mut commit)
                        .await;
                }
            }
        }

        // 3. Unchanged records stop here; pending ones are looked up.
        let mut writes: Vec<Pending<E>> = Vec::with_capacity(ready.len());
        for r in ready {
            let entry = entries.get(&r.key);
            match entry {
                Some(e)
                    if e.status == LedgerStatus::Committed
                        && e.hash.as_deref() == Some(r.hash.as_str()) =>
                {
                    out.counts.unchanged += 1;
                    if ctx.replay {
                        self.resolve(ctx, &r.key, &mut commit, &mut out);
                    }
                    if self.options.activity == ActivityLevel::All {
                        self.log(
                            ctx,
                            &mut commit,
                            &r.key,
                            Some(r.received()),
                            None,
                            "unchanged",
                            None,
                        );
                    }
                }
                Some(e) if e.status == LedgerStatus::Pending => {
                    // A write of an earlier run may have landed: look before sending again.
                    match self.look_up(ctx, &r.record, &r.key).await {
                        Ok(Some(target_id))
                            if e.pending_hash.as_deref() == Some(r.hash.as_str()) =>
                        {
                            out.counts.unchanged += 1;
                            commit.ledger.push(LedgerUpdate {
                                key: r.key.clone(),
                                target_id: Some(target_id),
                                hash: Some(r.hash.clone()),
                                status: LedgerStatus::Committed,
                                outcome: "created".into(),
                            });
                            self.resolve(ctx, &r.key, &mut commit, &mut out);
                        }
                        Ok(found) => {
                            let target = found.or_else(|| e.target_id.clone());
                            writes.push(self.pending(ctx, r, target));
                        }
                        Err(err) if is_fatal(&err) => return Err(err),
                        Err(err) => {
                            self.quarantine(
                                ctx,
                                &r.key,
                                "sink",
                                r.received(),
                                err,
                                &mut commit,
                                &mut out,
                            );
                        }
                    }
                }
                Some(e) => {
                    let target = e.target_id.clone();
                    writes.push(self.pending(ctx, r, target));
                }
                None => writes.push(self.pending(ctx, r, None)),
            }
        }
        for key in deletes {
            match entries.get(&key) {
                Some(e) if e.status != LedgerStatus::Deactivated && e.target_id.is_some() => {
                    if ctx.can_deactivate {
                        let idem = idempotency_key(&ctx.scope.flow, &key, "deactivate");
                        writes.push(Pending {
                            request: WriteRequest {
                                idempotency_key: idem.clone(),
                                key: key.clone(),
                                target_id: e.target_id.clone(),
                                action: WriteAction::Deactivate,
                                is_create: false,
                            },
                            info: SentInfo {
                                key,
                                hash: None,
                                received: None,
                                json: None,
                                is_create: false,
                                idempotency_key: idem,
                                target_id: e.target_id.clone(),
                            },
                        });
                    } else {
                        self.skip(
                            ctx,
                            &key,
                            "the target cannot deactivate records".into(),
                            e.target_id.clone(),
                            None,
                            &mut commit,
                            &mut out,
                        );
                    }
                }
                _ => self.skip(
                    ctx,
                    &key,
                    "deleted at the source; never written to the target".into(),
                    None,
                    None,
                    &mut commit,
                    &mut out,
                ),
            }
        }

        // 4. Dry run: plan and stop.
        if ctx.dry_run {
            self.plan(ctx, writes, &mut out).await;
            if !commit.seen.is_empty() {
                let seen_only = BatchCommit {
                    ledger_scope: commit.ledger_scope,
                    run_id: ctx.run_id,
                    seen: commit.seen,
                    ..Default::default()
                };
                self.state.commit(seen_only).await?;
            }
            return Ok(out);
        }

        // 5. Record intents, then send.
        if !writes.is_empty() {
            let intents: Vec<(String, String)> = writes
                .iter()
                .filter_map(|w| w.info.hash.clone().map(|h| (w.info.key.clone(), h)))
                .collect();
            if !intents.is_empty() {
                self.state.ledger_mark_pending(&ctx.ledger, &intents).await?;
            }
        }
        let mut writes = writes;
        while !writes.is_empty() {
            let rest = writes.split_off(writes.len().min(ctx.max_batch));
            let chunk = std::mem::replace(&mut writes, rest);
            self.send(ctx, chunk, &mut commit, &mut out).await?;
        }

        // 6. One transaction for everything the batch produced.
        self.state.commit(commit).await?;
        Ok(out)
    }

    #[allow(clippy::too_many_arguments)]
    async fn run_steps(
        &self,
        ctx: &RunCtx,
        key: String,
        target_id: Option<String>,
        record: Box<E>,
        ready: &mut Vec<Ready<E>>,
        out: &mut BatchOutput,
        commit: &mut BatchCommit,
    ) {
        let received = (!self.steps.is_empty()).then(|| (*record).clone());
        let mut record = record;
        if let Some(original) = &received {
            let sctx = StepContext {
                flow: ctx.scope.flow.clone(),
                tenant: ctx.scope.tenant.clone(),
                run_id: ctx.run_id,
                dry_run: ctx.dry_run,
                key: key.clone(),
                target_id,
            };
            for step in &self.steps {
                match step.apply(*record, &sctx).await {
                    StepOutcome::Continue(r) => record = Box::new(r),
                    StepOutcome::Skip { reason, target_id } => {
                        let payload = Some(Payload::Record(original));
                        self.skip(ctx, &key, reason, target_id, payload, commit, out);
                        return;
                    }
                    StepOutcome::Fail(err) => {
                        let err =
                            if err.record().is_some() { err } else { err.with_record(key.clone()) };
                        let payload = Payload::Record(original);
                        self.quarantine(ctx, &key, step.name(), payload, err, commit, out);
                        return;
                    }
                }
            }
        }
        match content_hash_json(&record) {
            Ok((hash, json)) => ready.push(Ready { key, record, received, hash, json }),
            Err(err) => {
                let payload = Payload::Record(received.as_ref().unwrap_or(&*record));
                self.quarantine(ctx, &key, "hash", payload, err, commit, out);
            }
        }
    }

    fn pending(&self, ctx: &RunCtx, r: Ready<E>, target_id: Option<String>) -> Pending<E> {
        let mut record = r.record;
        if target_id.is_some() {
            if let Some(prepare) = &self.options.prepare_update {
                prepare(&mut record);
            }
        }
        let idem = idempotency_key(&ctx.scope.flow, &r.key, &r.hash);
        let is_create = target_id.is_none();
        Pending {
            request: WriteRequest {
                idempotency_key: idem.clone(),
                is_create,
                key: r.key.clone(),
                target_id: target_id.clone(),
                action: WriteAction::Upsert(*record),
            },
            info: SentInfo {
                key: r.key,
                hash: Some(r.hash),
                received: r.received,
                json: Some(r.json),
                is_create,
                idempotency_key: idem,
                target_id,
            },
        }
    }

    /// Looks a record up in the target by natural key; the target id if found.
    async fn look_up(&self, ctx: &RunCtx, record: &E, key: &str) -> Result<Option<String>> {
        if !ctx.can_find {
            return Ok(None);
        }
        let lookup = match &self.options.lookup {
            Some(f) => f(record, key),
            None => default_lookup(record, &ctx.natural_key, key),
        };
        let Some(lookup) = lookup else { return Ok(None) };
        Ok(find_checked(&*self.sink, &lookup).await?.map(|f| f.target_id))
    }

    async fn send(
        &self,
        ctx: &RunCtx,
        chunk: Vec<Pending<E>>,
        commit: &mut BatchCommit,
        out: &mut BatchOutput,
    ) -> Result<()> {
        let (requests, infos): (Vec<WriteRequest<E>>, Vec<SentInfo<E>>) =
            chunk.into_iter().map(|p| (p.request, p.info)).unzip();
        out.sink_calls += 1;
        let result = self.sink.write(requests).await;
        let mut outcomes: HashMap<String, Outcome> = match result {
            Ok(list) => list.into_iter().map(|o: WriteOutcome| (o.key, o.outcome)).collect(),
            Err(e) if is_fatal(&e) => return Err(e),
            Err(e) => {
                let uncertain = matches!(
                    e.kind(),
                    ErrorKind::Timeout
                        | ErrorKind::Transport
                        | ErrorKind::UncertainWrite
                        | ErrorKind::Upstream
                );
                let e = if uncertain { e.with_kind(ErrorKind::UncertainWrite) } else { e };
                infos
                    .iter()
                    .map(|i| (i.key.clone(), Outcome::Failed { error: e.clone() }))
                    .collect()
            }
        };
        for info in infos {
            let mut outcome = outcomes.remove(&info.key).unwrap_or_else(|| Outcome::Failed {
                error: Error::new(
                    ErrorKind::UncertainWrite,
                    "the sink returned no outcome for this record",
                ),
            });
            if let Outcome::Failed { error } = &outcome {
                if error.kind() == ErrorKind::UncertainWrite {
                    outcome = self.settle_uncertain(ctx, &info, error.clone(), out).await?;
                }
            }
            self.record_outcome(ctx, info, outcome, commit, out);
        }
        Ok(())
    }

    /// After an uncertain write: look the record up; if it is not there, send it once more.
    async fn settle_uncertain(
        &self,
        ctx: &RunCtx,
        info: &SentInfo<E>,
        error: Error,
        out: &mut BatchOutput,
    ) -> Result<Outcome> {
        // Deactivations and records whose JSON cannot be read back stay uncertain: the ledger
        // keeps them pending and the next run looks them up.
        let Some(Ok(mut record)) = info.json.as_deref().map(serde_json::from_str::<E>) else {
            return Ok(Outcome::Failed { error });
        };
        match self.look_up(ctx, &record, &info.key).await {
            Ok(Some(target_id)) => Ok(if info.is_create {
                Outcome::Created { target_id }
            } else {
                Outcome::Updated { target_id }
            }),
            Ok(None) if ctx.can_find => {
                if !info.is_create {
                    if let Some(prepare) = &self.options.prepare_update {
                        prepare(&mut record);
                    }
                }
                let request = WriteRequest {
                    key: info.key.clone(),
                    target_id: info.target_id.clone(),
                    action: WriteAction::Upsert(record),
                    idempotency_key: info.idempotency_key.clone(),
                    is_create: info.is_create,
                };
                out.sink_calls += 1;
                match self.sink.write(vec![request]).await {
                    Ok(mut list) if !list.is_empty() => Ok(list.swap_remove(0).outcome),
                    Ok(_) => Ok(Outcome::Failed { error }),
                    Err(e) if is_fatal(&e) => Err(e),
                    Err(e) => Ok(Outcome::Failed { error: e }),
                }
            }
            Ok(None) => Ok(Outcome::Failed { error }),
            Err(e) if is_fatal(&e) => Err(e),
            Err(_) => Ok(Outcome::Failed { error }),
        }
    }

    fn record_outcome(
        &self,
        ctx: &RunCtx,
        info: SentInfo<E>,
        outcome: Outcome,
        commit: &mut BatchCommit,
        out: &mut BatchOutput,
    ) {
        let key = info.key.clone();
        let sent = info.json.as_deref().map(Payload::Json);
        let received = info.received();
        let (status, count): (LedgerStatus, &mut u64) = match &outcome {
            Outcome::Created { .. } => (LedgerStatus::Committed, &mut out.counts.created),
            Outcome::Updated { .. } => (LedgerStatus::Committed, &mut out.counts.updated),
            Outcome::Unchanged { .. } => (LedgerStatus::Committed, &mut out.counts.unchanged),
            Outcome::Deactivated { .. } => (LedgerStatus::Deactivated, &mut out.counts.deactivated),
            Outcome::Skipped { reason, target_id } => {
                let reason = reason.clone();
                let target_id = target_id.clone();
                self.skip(ctx, &key, reason, target_id, received, commit, out);
                return;
            }
            Outcome::Failed { error } => {
                let error = if error.record().is_some() {
                    error.clone()
                } else {
                    error.clone().with_record(key.clone())
                };
                match received {
                    Some(payload) => {
                        self.quarantine(ctx, &key, "sink", payload, error, commit, out)
                    }
                    None => {
                        out.counts.quarantined += 1;
                        out.errors.push((key.clone(), error));
                    }
                }
                // An uncertain write stays pending (looked up next run); a refused one fails.
                let uncertain = matches!(&outcome, Outcome::Failed { error } if error.kind() == ErrorKind::UncertainWrite);
                if !uncertain {
                    commit.ledger.push(LedgerUpdate {
                        key,
                        target_id: None,
                        hash: None,
                        status: LedgerStatus::Failed,
                        outcome: "failed".into(),
                    });
                }
                return;
            }
        };
        *count += 1;
        commit.ledger.push(LedgerUpdate {
            key: key.clone(),
            target_id: outcome.target_id().map(str::to_string),
            hash: info.hash.clone(),
            status,
            outcome: outcome.as_str().into(),
        });
        if ctx.replay || !matches!(outcome, Outcome::Unchanged { .. }) {
            self.resolve(ctx, &key, commit, out);
        }
        self.log(ctx, commit, &key, received, sent, outcome.as_str(), None);
    }

    #[allow(clippy::too_many_arguments)]
    fn skip(
        &self,
        ctx: &RunCtx,
        key: &str,
        reason: String,
        target_id: Option<String>,
        received: Option<Payload<'_, E>>,
        commit: &mut BatchCommit,
        out: &mut BatchOutput,
    ) {
        out.counts.skipped += 1;
        if let Some(plan) = out.plan.as_mut() {
            plan.skips.push(PlanItem {
                key: key.to_string(),
                target_id: target_id.clone(),
                changes: vec![],
                reason: Some(reason.clone()),
            });
        }
        if ctx.dry_run {
            return;
        }
        if let Some(target_id) = target_id {
            // Present in the target (skip-if-exists): remember it, so it is not looked up again.
            commit.ledger.push(LedgerUpdate {
                key: key.to_string(),
                target_id: Some(target_id),
                hash: None,
                status: LedgerStatus::Committed,
                outcome: "skipped".into(),
            });
        }
        if ctx.replay {
            self.resolve(ctx, key, commit, out);
        }
        self.log(ctx, commit, key, received, None, "skipped", Some(reason));
    }

    #[allow(clippy::too_many_arguments)]
    fn quarantine(
        &self,
        ctx: &RunCtx,
        key: &str,
        stage: &str,
        payload: Payload<'_, E>,
        error: Error,
        commit: &mut BatchCommit,
        out: &mut BatchOutput,
    ) {
        out.counts.quarantined += 1;
        out.errors.push((key.to_string(), error.clone()));
        if ctx.dry_run {
            return;
        }
        ctx.resolve_needed.store(true, std::sync::atomic::Ordering::Relaxed);
        let now = Utc::now();
        commit.quarantine.push(QuarantineEntry {
            id: 0,
            run_id: ctx.run_id,
            tenant: ctx.scope.tenant.clone(),
            flow: ctx.scope.flow.clone(),
            entity: ctx.scope.entity.clone(),
            key: key.to_string(),
            stage: stage.to_string(),
            payload: payload.to_json(),
            error: error.clone(),
            attempts: 1,
            status: QuarantineStatus::Open,
            created_at: now,
            updated_at: now,
        });
        self.log(ctx, commit, key, Some(payload), None, "failed", Some(error.to_string()));
    }

    fn resolve(&self, ctx: &RunCtx, key: &str, commit: &mut BatchCommit, out: &mut BatchOutput) {
        if ctx.replay {
            out.counts.resolved += 1;
        }
        if !ctx.replay && !ctx.resolve_needed.load(std::sync::atomic::Ordering::Relaxed) {
            return;
        }
        commit.resolved.push((
            ctx.scope.tenant.clone(),
            ctx.scope.flow.clone(),
            ctx.scope.entity.clone(),
            key.to_string(),
        ));
    }

    #[allow(clippy::too_many_arguments)]
    fn log(
        &self,
        ctx: &RunCtx,
        commit: &mut BatchCommit,
        key: &str,
        received: Option<Payload<'_, E>>,
        sent: Option<Payload<'_, E>>,
        outcome: &str,
        message: Option<String>,
    ) {
        if self.options.activity == ActivityLevel::Off || ctx.dry_run {
            return;
        }
        let render = |p: Option<Payload<'_, E>>| {
            let p = p?;
            if self.options.redact_personal_data {
                let mut v = p.to_value()?;
                redact_personal(&mut v);
                Some(v.to_string())
            } else {
                p.to_json()
            }
        };
        commit.activity.push(ActivityEntry {
            run_id: ctx.run_id,
            at: Utc::now(),
            flow: ctx.scope.flow.clone(),
            entity: ctx.scope.entity.clone(),
            key: key.to_string(),
            received: render(received),
            sent: render(sent),
            outcome: outcome.to_string(),
            message,
        });
    }

    async fn plan(&self, ctx: &RunCtx, writes: Vec<Pending<E>>, out: &mut BatchOutput) {
        let limit = self.options.plan_limit;
        for p in writes {
            let key = p.request.key.clone();
            match &p.request.action {
                WriteAction::Deactivate => {
                    out.counts.deactivated += 1;
                    if let Some(plan) =
                        out.plan.as_mut().filter(|pl| pl.deactivations.len() < limit)
                    {
                        plan.deactivations.push(PlanItem {
                            key,
                            target_id: p.request.target_id.clone(),
                            changes: vec![],
                            reason: Some("deleted at the source".into()),
                        });
                    }
                }
                WriteAction::Upsert(record) => {
                    let existing = match &p.request.target_id {
                        Some(id) => Some(id.clone()),
                        None => self.look_up(ctx, record, &key).await.ok().flatten(),
                    };
                    match existing {
                        None => {
                            out.counts.created += 1;
                            if let Some(plan) =
                                out.plan.as_mut().filter(|pl| pl.creates.len() < limit)
                            {
                                plan.creates.push(PlanItem {
                                    key,
                                    target_id: None,
                                    changes: vec![],
                                    reason: None,
                                });
                            }
                        }
                        Some(target_id) => {
                            out.counts.updated += 1;
                            let changes = self.field_changes(ctx, record, &key).await;
                            if let Some(plan) =
                                out.plan.as_mut().filter(|pl| pl.updates.len() < limit)
                            {
                                plan.updates.push(PlanItem {
                                    key,
                                    target_id: Some(target_id),
                                    changes,
                                    reason: None,
                                });
                            }
                        }
                    }
                }
            }
        }
    }

    /// Field diffs between the target's current record (when the sink can read it) and the
    /// record as it would be sent.
    async fn field_changes(&self, ctx: &RunCtx, record: &E, key: &str) -> Vec<super::FieldDiff> {
        if !ctx.can_find {
            return Vec::new();
        }
        let lookup = match &self.options.lookup {
            Some(f) => f(record, key),
            None => default_lookup(record, &ctx.natural_key, key),
        };
        let Some(lookup) = lookup else { return Vec::new() };
        let Ok(Some(found)) = find_checked(&*self.sink, &lookup).await else {
            return Vec::new();
        };
        let Some(current) = found.record else { return Vec::new() };
        match (serde_json::to_value(&current), serde_json::to_value(record)) {
            (Ok(before), Ok(after)) => super::diff(&before, &after),
            _ => Vec::new(),
        }
    }
}
