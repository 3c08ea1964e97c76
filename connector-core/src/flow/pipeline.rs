//! The in-flight side of a run: the batch being filled, batches at the sink, and the
//! checkpoints waiting for the batches before them to land.

use std::collections::VecDeque;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use futures_util::StreamExt;
use futures_util::stream::FuturesOrdered;

use super::batch::{BatchOutput, Item, RunCtx};
use super::engine::{Accumulator, BatchFuture, Flow};
use super::report::Progress;
use crate::error::Result;
use crate::model::Entity;
use crate::source::Cursor;

/// Batches records, keeps at most `concurrency` batches in flight, and saves a checkpoint
/// only once every batch dispatched before it has landed.
pub(super) struct Pipeline<'s, E: Entity> {
    flow: &'s Flow<E>,
    ctx: &'s RunCtx,
    batch_size: usize,
    concurrency: usize,
    batch: Vec<Item<E>>,
    batch_keys: HashSet<String>,
    inflight: FuturesOrdered<BatchFuture<'s>>,
    inflight_keys: HashMap<String, usize>,
    /// Batches dispatched and batches landed, in order.
    dispatched: u64,
    done: u64,
    /// Cursors with the number of batches that must land before each is saved.
    checkpoints: VecDeque<(u64, Cursor)>,
}

impl<'s, E: Entity> Pipeline<'s, E> {
    pub fn new(flow: &'s Flow<E>, ctx: &'s RunCtx) -> Self {
        let batch_size = flow.options.batch_size.clamp(1, ctx.max_batch);
        let concurrency =
            flow.options.concurrency.clamp(1, flow.sink.capabilities().max_concurrency.max(1));
        Self {
            flow,
            ctx,
            batch_size,
            concurrency,
            batch: Vec::with_capacity(batch_size),
            batch_keys: HashSet::default(),
            inflight: FuturesOrdered::new(),
            inflight_keys: HashMap::default(),
            dispatched: 0,
            done: 0,
            checkpoints: VecDeque::new(),
        }
    }

    /// Whether every sink slot is taken.
    pub fn is_full(&self) -> bool {
        self.inflight.len() >= self.concurrency
    }

    /// Waits for the oldest batch in flight to land and settles it; `false` if none was.
    pub async fn land_one(&mut self, acc: &mut Accumulator) -> Result<bool> {
        match self.inflight.next().await {
            Some(out) => {
                self.settle(out?, acc).await?;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// A finished batch, if one is ready, without waiting on the source.
    pub async fn next_landed(&mut self) -> Option<Result<BatchOutput>> {
        if self.inflight.is_empty() {
            return std::future::pending().await;
        }
        self.inflight.next().await
    }

    /// Settles a batch that landed: its keys leave flight, counts are taken, progress is
    /// reported and ready checkpoints are saved.
    pub async fn settle(&mut self, out: BatchOutput, acc: &mut Accumulator) -> Result<()> {
        self.done += 1;
        for k in &out.keys {
            if let Some(n) = self.inflight_keys.get_mut(k) {
                *n -= 1;
                if *n == 0 {
                    self.inflight_keys.remove(k);
                }
            }
        }
        acc.absorb(out, self.flow.options.plan_limit);
        if let Some(progress) = &self.flow.progress {
            progress(&Progress { flow: self.flow.name.clone(), counts: acc.report.counts.clone() });
        }
        self.save_ready_checkpoints(acc).await
    }

    /// Adds a record to the batch, dispatching the batch when full (or first, when the
    /// record's key is already in it: the first version goes first).
    pub async fn push(&mut self, item: Item<E>, acc: &mut Accumulator) -> Result<()> {
        if self.batch_keys.contains(item.key()) {
            self.dispatch(acc).await?;
        }
        self.batch_keys.insert(item.key().to_string());
        self.batch.push(item);
        if self.batch.len() >= self.batch_size {
            self.dispatch(acc).await?;
        }
        Ok(())
    }

    /// Registers a checkpoint after everything pushed so far.
    pub async fn checkpoint(&mut self, cursor: Cursor, acc: &mut Accumulator) -> Result<()> {
        self.dispatch(acc).await?;
        self.checkpoints.push_back((self.dispatched, cursor));
        self.save_ready_checkpoints(acc).await
    }

    /// Dispatches the last batch, waits for everything in flight and saves the checkpoints.
    pub async fn finish(&mut self, acc: &mut Accumulator) -> Result<()> {
        self.dispatch(acc).await?;
        while self.land_one(acc).await? {}
        self.save_ready_checkpoints(acc).await
    }

    /// Sends the current batch to the sink (as a future in flight).
    async fn dispatch(&mut self, acc: &mut Accumulator) -> Result<()> {
        if self.batch.is_empty() {
            return Ok(());
        }
        // A key still in flight in an earlier batch: let that batch land first.
        if self.batch_keys.iter().any(|k| self.inflight_keys.contains_key(k)) {
            while self.land_one(acc).await? {}
        }
        for k in self.batch_keys.drain() {
            *self.inflight_keys.entry(k).or_insert(0) += 1;
        }
        let items = std::mem::replace(&mut self.batch, Vec::with_capacity(self.batch_size));
        self.dispatched += 1;
        self.inflight.push_back(Box::pin(self.flow.process_batch(self.ctx, items)));
        Ok(())
    }

    async fn save_ready_checkpoints(&mut self, acc: &mut Accumulator) -> Result<()> {
        let mut latest = None;
        while self.checkpoints.front().is_some_and(|(after, _)| *after <= self.done) {
            latest = self.checkpoints.pop_front().map(|(_, c)| c);
        }
        if let Some(cursor) = latest {
            if !self.ctx.dry_run && !self.ctx.replay {
                self.flow.state.save_checkpoint(&self.ctx.scope, &cursor).await?;
                acc.report.checkpoints += 1;
            }
            acc.last_cursor = Some(cursor);
        }
        Ok(())
    }
}
