//! The [`Sink`] trait: where records go.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::{Entity, EntityKind};

/// A natural-key lookup: the field and its value (`email` = `a@b.example`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LookupKey {
    /// The field (`email`, `sku`, `number`, `registration_number`, `external_id`).
    pub field: String,
    /// The value.
    pub value: String,
}

impl LookupKey {
    /// A lookup on `field` = `value`.
    pub fn new(field: impl Into<String>, value: impl Into<String>) -> Self {
        Self { field: field.into(), value: value.into() }
    }
}

/// A record found in the target.
#[derive(Debug, Clone, PartialEq)]
pub struct Found<E> {
    /// Its id in the target.
    pub target_id: String,
    /// The record as the target holds it, when the sink can read it back.
    pub record: Option<E>,
    /// The looked-up field's value on the record found, as the target answered it (an
    /// invoice's `Reference`, a contact's e-mail address), never copied from the lookup:
    /// the flow takes the match only when it is the value asked for ([`Found::answers`]).
    pub matched: String,
}

impl<E> Found<E> {
    /// The record with id `target_id`, whose looked-up field holds `matched`.
    pub fn new(target_id: impl Into<String>, matched: impl Into<String>) -> Self {
        Self { target_id: target_id.into(), record: None, matched: matched.into() }
    }

    /// With the record as the target holds it.
    #[must_use]
    pub fn with_record(mut self, record: E) -> Self {
        self.record = Some(record);
        self
    }

    /// Whether this is the record `key` asked for: `matched` is its value, trimmed, letters
    /// compared without case, as targets compare e-mail addresses and names (`SO-1` answers
    /// `so-1`, `ÄRE Oy` answers `äre oy`; `SO-10` does not answer `SO-1`).
    pub fn answers(&self, key: &LookupKey) -> bool {
        let (mine, asked) = (self.matched.trim(), key.value.trim());
        mine == asked || mine.to_lowercase() == asked.to_lowercase()
    }
}

/// How a flow finds `record` (flow key `key`) in a sink whose natural-key field is `field`
/// when the flow names no lookup of its own: by the record's value of that field where the
/// entity knows it ([`Entity::lookup_value`]: a customer's primary e-mail address for
/// `email`), else by the key. `None` when the record has no value to look up by.
pub fn default_lookup<E: Entity>(record: &E, field: &str, key: &str) -> Option<LookupKey> {
    match record.lookup_value(field) {
        Some(Some(value)) => Some(LookupKey::new(field, value)),
        Some(None) => None,
        None => Some(LookupKey::new(field, key)),
    }
}

/// `sink.find(key)`, trusted only when the record found carries the value asked for
/// ([`Found::answers`]). Anything else is no match, logged as the connector's defect: a
/// lookup that answers the first record of an ignored filter must not make the flow skip a
/// record as "already written", or take another record's id as its own.
pub async fn find_checked<E: Entity, S: Sink<E> + ?Sized>(
    sink: &S,
    key: &LookupKey,
) -> Result<Option<Found<E>>> {
    match sink.find(key).await? {
        Some(found) if found.answers(key) => Ok(Some(found)),
        Some(found) => {
            // The values themselves stay out of the log: they are often e-mail addresses.
            tracing::error!(
                connector = sink.name(),
                field = %key.field,
                target_id = %found.target_id,
                "connector defect: find answered a record whose {} is not the value asked \
                 for; taken as no match",
                key.field
            );
            Ok(None)
        }
        None => Ok(None),
    }
}

/// What to do with one record.
#[derive(Debug, Clone, PartialEq)]
pub enum WriteAction<E> {
    /// Create or update the record.
    Upsert(E),
    /// Mark the record inactive (or delete it, where the target has no inactive state).
    Deactivate,
}

/// One record to write.
#[derive(Debug, Clone, PartialEq)]
pub struct WriteRequest<E> {
    /// The record's key in the flow (its natural key in the source).
    pub key: String,
    /// Its id in the target, when the ledger or a lookup knows it: an update, not a create.
    pub target_id: Option<String>,
    /// What to do.
    pub action: WriteAction<E>,
    /// A deterministic key for targets that deduplicate writes (Xero's `Idempotency-Key`):
    /// the same record content always gets the same key.
    pub idempotency_key: String,
    /// Whether this is a create in the target's eyes: no target id is known.
    pub is_create: bool,
}

/// The result of writing one record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// Created, with the target's id.
    Created {
        /// The new id.
        target_id: String,
    },
    /// Updated.
    Updated {
        /// The id.
        target_id: String,
    },
    /// The target already held the same content.
    Unchanged {
        /// The id.
        target_id: String,
    },
    /// Deactivated.
    Deactivated {
        /// The id.
        target_id: String,
    },
    /// Not written, on purpose.
    Skipped {
        /// Why.
        reason: String,
        /// The target's id when the record exists there.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        target_id: Option<String>,
    },
    /// Failed.
    Failed {
        /// Why, naming the field.
        error: Error,
    },
}

impl Outcome {
    /// The target id, if the outcome has one.
    pub fn target_id(&self) -> Option<&str> {
        match self {
            Outcome::Created { target_id }
            | Outcome::Updated { target_id }
            | Outcome::Unchanged { target_id }
            | Outcome::Deactivated { target_id } => Some(target_id),
            Outcome::Skipped { target_id, .. } => target_id.as_deref(),
            Outcome::Failed { .. } => None,
        }
    }

    /// Whether the record landed (or was knowingly left alone).
    pub fn is_success(&self) -> bool {
        !matches!(self, Outcome::Failed { .. })
    }

    /// A short name (`created`).
    pub fn as_str(&self) -> &'static str {
        match self {
            Outcome::Created { .. } => "created",
            Outcome::Updated { .. } => "updated",
            Outcome::Unchanged { .. } => "unchanged",
            Outcome::Deactivated { .. } => "deactivated",
            Outcome::Skipped { .. } => "skipped",
            Outcome::Failed { .. } => "failed",
        }
    }
}

/// The outcome of one record of a batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WriteOutcome {
    /// The record's key, as in the [`WriteRequest`].
    pub key: String,
    /// What happened.
    #[serde(flatten)]
    pub outcome: Outcome,
}

impl WriteOutcome {
    /// An outcome for a key.
    pub fn new(key: impl Into<String>, outcome: Outcome) -> Self {
        Self { key: key.into(), outcome }
    }
}

/// What a sink can do: `SinkCapabilities::new(kind)` and the setters below.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SinkCapabilities {
    /// The entity it writes.
    pub entity: EntityKind,
    /// The most records one `write` call takes.
    pub max_batch: usize,
    /// How many `write` calls may run at once.
    pub max_concurrency: usize,
    /// Whether `find` works.
    pub can_find: bool,
    /// Whether deactivation is supported.
    pub can_deactivate: bool,
    /// Whether the target deduplicates writes by [`WriteRequest::idempotency_key`].
    pub idempotent_writes: bool,
    /// The natural-key field `find` uses by default (`email`, `sku`, `number`).
    pub natural_key: String,
}

impl SinkCapabilities {
    /// A sink of `entity` that takes one record per call, one call at a time, cannot find,
    /// deactivate or deduplicate, and names its records by `key`.
    pub fn new(entity: EntityKind) -> Self {
        Self {
            entity,
            max_batch: 1,
            max_concurrency: 1,
            can_find: false,
            can_deactivate: false,
            idempotent_writes: false,
            natural_key: "key".to_owned(),
        }
    }

    /// The most records one `write` call takes.
    #[must_use]
    pub fn max_batch(mut self, max_batch: usize) -> Self {
        self.max_batch = max_batch;
        self
    }

    /// How many `write` calls may run at once.
    #[must_use]
    pub fn max_concurrency(mut self, max_concurrency: usize) -> Self {
        self.max_concurrency = max_concurrency;
        self
    }

    /// Whether `find` works.
    #[must_use]
    pub fn can_find(mut self, can_find: bool) -> Self {
        self.can_find = can_find;
        self
    }

    /// Whether deactivation is supported.
    #[must_use]
    pub fn can_deactivate(mut self, can_deactivate: bool) -> Self {
        self.can_deactivate = can_deactivate;
        self
    }

    /// Whether the target deduplicates writes by [`WriteRequest::idempotency_key`].
    #[must_use]
    pub fn idempotent_writes(mut self, idempotent_writes: bool) -> Self {
        self.idempotent_writes = idempotent_writes;
        self
    }

    /// The natural-key field `find` uses by default.
    #[must_use]
    pub fn natural_key(mut self, natural_key: impl Into<String>) -> Self {
        self.natural_key = natural_key.into();
        self
    }
}

/// A sink of canonical records. Object safe: hold it as `Arc<dyn Sink<Customer>>`.
#[async_trait]
pub trait Sink<E: Entity>: Send + Sync {
    /// The connector's name.
    fn name(&self) -> &str;

    /// What it can do.
    fn capabilities(&self) -> SinkCapabilities;

    /// A connection test.
    async fn check(&self) -> Result<()>;

    /// Looks a record up by natural key.
    async fn find(&self, key: &LookupKey) -> Result<Option<Found<E>>>;

    /// Writes a batch of at most `max_batch` records; one outcome per request, in any order,
    /// matched by key. An `Err` means the whole batch failed before anything was written.
    async fn write(&self, batch: Vec<WriteRequest<E>>) -> Result<Vec<WriteOutcome>>;
}
