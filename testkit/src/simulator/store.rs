//! [`SimStore`] and [`Collection`]: in-memory JSON records with row versions, `updated_at`
//! stamps, tombstones and paging.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::{Page, PageBase, SimClock, lock};

/// A stored record: its JSON and what the store knows about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// The record's id in its collection.
    pub id: String,
    /// The collection's version counter at the record's last write (a row version).
    pub version: u64,
    /// When the record was first written, by the store's clock.
    pub created_at: DateTime<Utc>,
    /// When the record was last written, by the store's clock.
    pub updated_at: DateTime<Utc>,
    /// The record's JSON.
    pub value: Value,
}

/// What the store stamps on a write, handed to a [`CollectionOptions::stamp`] hook.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordMeta {
    /// The collection's name.
    pub collection: String,
    /// The record's id.
    pub id: String,
    /// The version of this write.
    pub version: u64,
    /// When the record was first written.
    pub created_at: DateTime<Utc>,
    /// The time of this write.
    pub updated_at: DateTime<Utc>,
}

/// A deleted record, kept for "deleted since" feeds (Exact's `sync/Deleted`).
#[derive(Debug, Clone, PartialEq)]
pub struct Tombstone {
    /// The collection it was deleted from.
    pub collection: String,
    /// The deleted record's id.
    pub id: String,
    /// The version counter at the delete.
    pub version: u64,
    /// When it was deleted, by the store's clock.
    pub deleted_at: DateTime<Utc>,
    /// The record's JSON just before the delete.
    pub last: Value,
}

/// The result of [`Collection::upsert`].
#[derive(Debug, Clone, PartialEq)]
pub struct Upserted {
    /// The record as stored.
    pub record: Record,
    /// Whether the record was created rather than replaced.
    pub created: bool,
}

/// Why a store operation was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// No record has this id.
    #[error("no record `{id}` in `{collection}`")]
    NotFound {
        /// The collection.
        collection: String,
        /// The id asked for.
        id: String,
    },
    /// A record with this id exists already.
    #[error("record `{id}` already exists in `{collection}`")]
    Conflict {
        /// The collection.
        collection: String,
        /// The id that is taken.
        id: String,
    },
    /// The collection writes fields into its records, so a record must be a JSON object.
    #[error("records of `{collection}` must be JSON objects")]
    NotAnObject {
        /// The collection.
        collection: String,
    },
}

type IdFn = Arc<dyn Fn(u64) -> String + Send + Sync>;
type StampFn = Arc<dyn Fn(&RecordMeta, &mut Value) + Send + Sync>;
type Filter = Box<dyn Fn(&Record) -> bool + Send + Sync>;

#[derive(Clone, Default)]
enum IdGen {
    #[default]
    Sequential,
    Guid,
    Custom(IdFn),
}

/// How a [`Collection`] names and stamps its records.
///
/// By default ids are `1`, `2`, ... and nothing is written into the records; the store keeps
/// versions and times beside them in [`Record`].
#[derive(Clone, Default)]
pub struct CollectionOptions {
    id_field: Option<String>,
    version_field: Option<String>,
    ids: IdGen,
    stamp: Option<StampFn>,
    clock: Option<SimClock>,
}

impl fmt::Debug for CollectionOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CollectionOptions")
            .field("id_field", &self.id_field)
            .field("version_field", &self.version_field)
            .field("stamp", &self.stamp.is_some())
            .finish_non_exhaustive()
    }
}

impl CollectionOptions {
    /// The default options.
    pub fn new() -> Self {
        Self::default()
    }

    /// The field holding the id (`ContactID`, `ID`, `id`): read on insert when present, and
    /// written on every write (sequential ids as numbers, others as strings).
    #[must_use]
    pub fn id_field(mut self, field: &str) -> Self {
        self.id_field = Some(field.to_owned());
        self
    }

    /// The field that gets the row version on every write (`Timestamp`, `row_version`).
    #[must_use]
    pub fn version_field(mut self, field: &str) -> Self {
        self.version_field = Some(field.to_owned());
        self
    }

    /// Generated ids are GUIDs (lower-case, hyphenated), reproducible for a collection name.
    #[must_use]
    pub fn guid_ids(mut self) -> Self {
        self.ids = IdGen::Guid;
        self
    }

    /// Generated ids come from `make(n)` for n = 1, 2, ... (`|n| format!("001{n:015}")`).
    #[must_use]
    pub fn ids_from(mut self, make: impl Fn(u64) -> String + Send + Sync + 'static) -> Self {
        self.ids = IdGen::Custom(Arc::new(make));
        self
    }

    /// Runs `stamp` on every write, after the id and version fields are set: write the time
    /// in the system's own format (`"UpdatedDateUTC": "/Date(…)/"`). It runs under the
    /// collection's lock, so it must not use the collection.
    #[must_use]
    pub fn stamp(
        mut self,
        stamp: impl Fn(&RecordMeta, &mut Value) + Send + Sync + 'static,
    ) -> Self {
        self.stamp = Some(Arc::new(stamp));
        self
    }

    /// The clock for `created_at`/`updated_at` (a store's collections use the store's clock).
    #[must_use]
    pub fn clock(mut self, clock: SimClock) -> Self {
        self.clock = Some(clock);
        self
    }
}

/// A named, ordered set of JSON records. Cheap to clone; clones share the records.
///
/// Records keep insertion order. Every write takes the next value of a monotonic version
/// counter (per collection, or per store with [`SimStore::with_shared_versions`]) and the
/// clock's time; deletes leave a [`Tombstone`] with a version too.
#[derive(Clone)]
pub struct Collection {
    inner: Arc<Mutex<State>>,
}

struct State {
    name: String,
    opts: CollectionOptions,
    clock: SimClock,
    versions: Arc<AtomicU64>,
    next_seq: u64,
    next_auto: u64,
    rows: BTreeMap<u64, Record>,
    seq_of: HashMap<String, u64>,
    deleted_seq: HashMap<String, u64>,
    tombstones: Vec<Tombstone>,
    rng: fastrand::Rng,
}

impl fmt::Debug for Collection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = lock(&self.inner);
        f.debug_struct("Collection")
            .field("name", &state.name)
            .field("records", &state.rows.len())
            .field("tombstones", &state.tombstones.len())
            .finish_non_exhaustive()
    }
}

impl Collection {
    /// A standalone collection with default options.
    pub fn new(name: &str) -> Self {
        Self::with_options(name, CollectionOptions::default())
    }

    /// A standalone collection with `opts` (its own version counter; the default clock unless
    /// the options carry one).
    pub fn with_options(name: &str, opts: CollectionOptions) -> Self {
        let clock = opts.clock.clone().unwrap_or_default();
        Self::build(name, opts, clock, Arc::new(AtomicU64::new(0)))
    }

    fn build(
        name: &str,
        opts: CollectionOptions,
        clock: SimClock,
        versions: Arc<AtomicU64>,
    ) -> Self {
        let mut hasher = DefaultHasher::new();
        name.hash(&mut hasher);
        Collection {
            inner: Arc::new(Mutex::new(State {
                name: name.to_owned(),
                clock: opts.clock.clone().unwrap_or(clock),
                opts,
                versions,
                next_seq: 0,
                next_auto: 0,
                rows: BTreeMap::new(),
                seq_of: HashMap::new(),
                deleted_seq: HashMap::new(),
                tombstones: Vec::new(),
                rng: fastrand::Rng::with_seed(hasher.finish()),
            })),
        }
    }

    /// The collection's name.
    pub fn name(&self) -> String {
        lock(&self.inner).name.clone()
    }

    /// The clock that stamps the records.
    pub fn clock(&self) -> SimClock {
        lock(&self.inner).clock.clone()
    }

    /// The version counter's current value: the version of the latest write (0 before any).
    pub fn version(&self) -> u64 {
        lock(&self.inner).versions.load(Ordering::SeqCst)
    }

    /// How many records are stored.
    pub fn len(&self) -> usize {
        lock(&self.inner).rows.len()
    }

    /// Whether no record is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The record with `id`.
    pub fn get(&self, id: &str) -> Option<Record> {
        let state = lock(&self.inner);
        state.seq_of.get(id).and_then(|seq| state.rows.get(seq)).cloned()
    }

    /// Whether a record with `id` is stored.
    pub fn contains(&self, id: &str) -> bool {
        lock(&self.inner).seq_of.contains_key(id)
    }

    /// Stores a new record; its id is read from the id field, or generated.
    pub fn insert(&self, value: Value) -> Result<Record, StoreError> {
        let mut state = lock(&self.inner);
        let given = state.opts.id_field.as_ref().and_then(|f| value.get(f)).and_then(id_text);
        let id = match given {
            Some(id) => id,
            None => state.generate_id(),
        };
        state.create(id, value)
    }

    /// Stores a new record under `id`.
    pub fn insert_with_id(&self, id: &str, value: Value) -> Result<Record, StoreError> {
        lock(&self.inner).create(id.to_owned(), value)
    }

    /// Stores several new records in order (fixtures); stops at the first refusal.
    pub fn insert_many(
        &self,
        values: impl IntoIterator<Item = Value>,
    ) -> Result<Vec<Record>, StoreError> {
        values.into_iter().map(|v| self.insert(v)).collect()
    }

    /// Replaces the record with `id`, or creates it.
    pub fn upsert(&self, id: &str, value: Value) -> Result<Upserted, StoreError> {
        let mut state = lock(&self.inner);
        if state.seq_of.contains_key(id) {
            state.write(id, |v| *v = value).map(|record| Upserted { record, created: false })
        } else {
            state.create(id.to_owned(), value).map(|record| Upserted { record, created: true })
        }
    }

    /// Replaces the record with `id` entirely (Skynamo's `PUT`: omitted fields are gone).
    pub fn replace(&self, id: &str, value: Value) -> Result<Record, StoreError> {
        lock(&self.inner).write(id, |v| *v = value)
    }

    /// Merges `patch` into the record with `id` (RFC 7396: objects merge, `null` removes).
    pub fn update(&self, id: &str, patch: &Value) -> Result<Record, StoreError> {
        lock(&self.inner).write(id, |v| merge_patch(v, patch))
    }

    /// Changes the record with `id` in place (`|v| v["Status"] = json!("VOIDED")`). The
    /// closure runs under the collection's lock, so it must not use this collection.
    pub fn update_with(
        &self,
        id: &str,
        change: impl FnOnce(&mut Value),
    ) -> Result<Record, StoreError> {
        lock(&self.inner).write(id, change)
    }

    /// Deletes the record with `id`, leaving a tombstone.
    pub fn delete(&self, id: &str) -> Result<Tombstone, StoreError> {
        let mut state = lock(&self.inner);
        let removed = state.seq_of.remove(id).and_then(|seq| Some((seq, state.rows.remove(&seq)?)));
        let Some((seq, record)) = removed else {
            return Err(StoreError::NotFound { collection: state.name.clone(), id: id.to_owned() });
        };
        state.deleted_seq.insert(id.to_owned(), seq);
        let tombstone = Tombstone {
            collection: state.name.clone(),
            id: record.id,
            version: state.next_version(),
            deleted_at: state.clock.now(),
            last: record.value,
        };
        state.tombstones.push(tombstone.clone());
        Ok(tombstone)
    }

    /// Every tombstone, oldest first.
    pub fn tombstones(&self) -> Vec<Tombstone> {
        lock(&self.inner).tombstones.clone()
    }

    /// The tombstones with a version above `version`, oldest first.
    pub fn deleted_since(&self, version: u64) -> Vec<Tombstone> {
        let state = lock(&self.inner);
        state.tombstones.iter().filter(|t| t.version > version).cloned().collect()
    }

    /// Every record, in insertion order.
    pub fn all(&self) -> Vec<Record> {
        lock(&self.inner).rows.values().cloned().collect()
    }

    /// The records for which `filter` holds, in insertion order.
    pub fn query(&self, filter: impl Fn(&Record) -> bool) -> Vec<Record> {
        lock(&self.inner).rows.values().filter(|r| filter(r)).cloned().collect()
    }

    /// The first record for which `filter` holds (a natural-key lookup).
    pub fn find(&self, filter: impl Fn(&Record) -> bool) -> Option<Record> {
        lock(&self.inner).rows.values().find(|r| filter(r)).cloned()
    }

    /// A query to narrow, order and page.
    pub fn select(&self) -> Select {
        Select { collection: self.clone(), filters: Vec::new(), by_version: false, after: None }
    }
}

impl State {
    fn next_version(&self) -> u64 {
        self.versions.fetch_add(1, Ordering::SeqCst).saturating_add(1)
    }

    /// The next free generated id (after 1000 taken ones in a row, the last one tried, which
    /// the insert then refuses as a conflict: a custom generator that repeats itself).
    fn generate_id(&mut self) -> String {
        let mut attempts = 0;
        loop {
            attempts += 1;
            self.next_auto += 1;
            let id = match &self.opts.ids {
                IdGen::Sequential => self.next_auto.to_string(),
                IdGen::Guid => {
                    let n = self.rng.u128(..);
                    let h = format!("{n:032x}");
                    format!(
                        "{}-{}-4{}-a{}-{}",
                        &h[..8],
                        &h[8..12],
                        &h[13..16],
                        &h[17..20],
                        &h[20..]
                    )
                }
                IdGen::Custom(make) => make(self.next_auto),
            };
            if attempts >= 1000 || !self.seq_of.contains_key(&id) {
                return id;
            }
        }
    }

    fn create(&mut self, id: String, mut value: Value) -> Result<Record, StoreError> {
        if self.seq_of.contains_key(&id) {
            return Err(StoreError::Conflict { collection: self.name.clone(), id });
        }
        let now = self.clock.now();
        let meta = self.stamp(&id, &mut value, now, now)?;
        self.next_seq += 1;
        let record = Record {
            id: id.clone(),
            version: meta.version,
            created_at: now,
            updated_at: now,
            value,
        };
        self.seq_of.insert(id.clone(), self.next_seq);
        self.deleted_seq.remove(&id);
        self.rows.insert(self.next_seq, record.clone());
        Ok(record)
    }

    fn write(&mut self, id: &str, change: impl FnOnce(&mut Value)) -> Result<Record, StoreError> {
        let seq = self.seq_of.get(id).copied();
        let Some(current) = seq.and_then(|s| self.rows.get(&s)) else {
            return Err(StoreError::NotFound { collection: self.name.clone(), id: id.to_owned() });
        };
        let (created_at, mut value) = (current.created_at, current.value.clone());
        change(&mut value);
        let now = self.clock.now();
        let meta = self.stamp(id, &mut value, created_at, now)?;
        let record =
            Record { id: id.to_owned(), version: meta.version, created_at, updated_at: now, value };
        if let Some(s) = seq {
            self.rows.insert(s, record.clone());
        }
        Ok(record)
    }

    /// Writes the id and version fields, runs the stamp hook, and returns the write's meta.
    fn stamp(
        &self,
        id: &str,
        value: &mut Value,
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
    ) -> Result<RecordMeta, StoreError> {
        let needs_object = self.opts.id_field.is_some() || self.opts.version_field.is_some();
        if needs_object && !value.is_object() {
            return Err(StoreError::NotAnObject { collection: self.name.clone() });
        }
        let meta = RecordMeta {
            collection: self.name.clone(),
            id: id.to_owned(),
            version: self.next_version(),
            created_at,
            updated_at,
        };
        if let Some(obj) = value.as_object_mut() {
            if let Some(field) = &self.opts.id_field {
                let numeric = matches!(self.opts.ids, IdGen::Sequential);
                let id_value = match id.parse::<u64>() {
                    Ok(n) if numeric => Value::from(n),
                    _ => Value::from(id),
                };
                obj.insert(field.clone(), id_value);
            }
            if let Some(field) = &self.opts.version_field {
                obj.insert(field.clone(), Value::from(meta.version));
            }
        }
        if let Some(stamp) = &self.opts.stamp {
            stamp(&meta, value);
        }
        Ok(meta)
    }
}

/// An id read from a JSON field: a non-empty string, or a number.
fn id_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// RFC 7396 JSON merge patch.
fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(changes) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    if let Value::Object(fields) = target {
        for (key, change) in changes {
            if change.is_null() {
                fields.remove(key);
            } else {
                merge_patch(fields.entry(key.clone()).or_insert(Value::Null), change);
            }
        }
    }
}

/// A query on a [`Collection`]: filters, an order, a keyset start, then a page.
///
/// Records come in insertion order, or in version order (the order of their last writes)
/// after [`Select::order_by_version`] or [`Select::since_version`].
pub struct Select {
    collection: Collection,
    filters: Vec<Filter>,
    by_version: bool,
    after: Option<String>,
}

impl fmt::Debug for Select {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Select")
            .field("filters", &self.filters.len())
            .field("by_version", &self.by_version)
            .field("after", &self.after)
            .finish_non_exhaustive()
    }
}

impl Select {
    /// Keeps the records for which `filter` holds.
    #[must_use]
    pub fn filter(mut self, filter: impl Fn(&Record) -> bool + Send + Sync + 'static) -> Self {
        self.filters.push(Box::new(filter));
        self
    }

    /// Keeps the records written after `version`, in version order (Exact's
    /// `Timestamp gt N`, Skynamo's `greater_than(row_version,N)`).
    #[must_use]
    pub fn since_version(self, version: u64) -> Self {
        self.filter(move |r| r.version > version).order_by_version()
    }

    /// Keeps the records written at or after `time` (Xero's `If-Modified-Since`).
    #[must_use]
    pub fn changed_since(self, time: DateTime<Utc>) -> Self {
        self.filter(move |r| r.updated_at >= time)
    }

    /// Orders by version (the order of last writes) instead of insertion.
    #[must_use]
    pub fn order_by_version(mut self) -> Self {
        self.by_version = true;
        self
    }

    /// Starts after the record `id` in the chosen order (keyset paging: Procountor's
    /// `previousId`, a skip token). A deleted id still marks its place in insertion order; an
    /// unknown id starts from the beginning.
    #[must_use]
    pub fn after_id(mut self, id: &str) -> Self {
        self.after = Some(id.to_owned());
        self
    }

    /// Every matching record.
    pub fn all(self) -> Vec<Record> {
        let state = lock(&self.collection.inner);
        let mut rows: Vec<(u64, &Record)> = state
            .rows
            .iter()
            .filter(|(_, r)| self.filters.iter().all(|f| f(r)))
            .map(|(seq, r)| (*seq, r))
            .collect();
        if self.by_version {
            rows.sort_by_key(|(_, r)| r.version);
        }
        let start = self.after.as_deref().and_then(|id| {
            if self.by_version {
                let live = state.seq_of.get(id).and_then(|s| state.rows.get(s)).map(|r| r.version);
                live.or_else(|| {
                    state.tombstones.iter().rev().find(|t| t.id == id).map(|t| t.version)
                })
            } else {
                state.seq_of.get(id).or_else(|| state.deleted_seq.get(id)).copied()
            }
        });
        rows.into_iter()
            .filter(|(seq, r)| match start {
                Some(key) if self.by_version => r.version > key,
                Some(key) => *seq > key,
                None => true,
            })
            .map(|(_, r)| r.clone())
            .collect()
    }

    /// How many records match.
    pub fn count(self) -> usize {
        self.all().len()
    }

    /// Page `number` of `limit` records.
    pub fn page(self, number: u64, limit: usize, base: PageBase) -> Page<Record> {
        Page::by_number(self.all(), number, limit, base)
    }

    /// The `limit` records after the first `offset`.
    pub fn offset(self, offset: usize, limit: usize) -> Page<Record> {
        Page::by_offset(self.all(), offset, limit)
    }

    /// The first `limit` records (with [`Select::after_id`] or [`Select::since_version`]).
    pub fn limit(self, limit: usize) -> Page<Record> {
        Page::first(self.all(), limit)
    }
}

/// Named collections sharing a clock (and optionally one version counter). Cheap to clone.
#[derive(Clone, Default)]
pub struct SimStore {
    inner: Arc<StoreState>,
}

#[derive(Default)]
struct StoreState {
    clock: SimClock,
    shared_versions: Option<Arc<AtomicU64>>,
    collections: Mutex<BTreeMap<String, Collection>>,
}

impl fmt::Debug for SimStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimStore").field("collections", &self.names()).finish_non_exhaustive()
    }
}

impl SimStore {
    /// A store whose collections each count their own versions.
    pub fn new(clock: SimClock) -> Self {
        SimStore { inner: Arc::new(StoreState { clock, ..StoreState::default() }) }
    }

    /// A store whose collections share one version counter, so versions and tombstones are
    /// ordered across collections (one `sync/Deleted` feed for every entity type).
    pub fn with_shared_versions(clock: SimClock) -> Self {
        SimStore {
            inner: Arc::new(StoreState {
                clock,
                shared_versions: Some(Arc::new(AtomicU64::new(0))),
                ..StoreState::default()
            }),
        }
    }

    /// The store's clock.
    pub fn clock(&self) -> SimClock {
        self.inner.clock.clone()
    }

    /// The collection `name`, created with default options if it does not exist.
    pub fn collection(&self, name: &str) -> Collection {
        self.collection_with(name, CollectionOptions::default())
    }

    /// The collection `name`, created with `opts` if it does not exist (an existing one keeps
    /// its options).
    pub fn collection_with(&self, name: &str, opts: CollectionOptions) -> Collection {
        let mut collections = lock(&self.inner.collections);
        collections
            .entry(name.to_owned())
            .or_insert_with(|| {
                let versions = match &self.inner.shared_versions {
                    Some(shared) => Arc::clone(shared),
                    None => Arc::new(AtomicU64::new(0)),
                };
                Collection::build(name, opts, self.inner.clock.clone(), versions)
            })
            .clone()
    }

    /// The collections' names, sorted.
    pub fn names(&self) -> Vec<String> {
        lock(&self.inner.collections).keys().cloned().collect()
    }

    /// Every collection's tombstones with a version above `version`, in version order.
    pub fn deleted_since(&self, version: u64) -> Vec<Tombstone> {
        let collections: Vec<Collection> =
            lock(&self.inner.collections).values().cloned().collect();
        let mut all: Vec<Tombstone> =
            collections.iter().flat_map(|c| c.deleted_since(version)).collect();
        all.sort_by_key(|t| t.version);
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_patch_follows_rfc_7396() {
        let mut v = json!({"a": 1, "b": {"c": 2, "d": 3}, "e": [1]});
        merge_patch(&mut v, &json!({"a": null, "b": {"c": 5, "x": {"y": null}}, "e": [2]}));
        assert_eq!(v, json!({"b": {"c": 5, "d": 3, "x": {}}, "e": [2]}));
    }

    #[test]
    fn ids_are_read_generated_and_written() {
        let c = Collection::with_options(
            "Contacts",
            CollectionOptions::new().id_field("ContactID").guid_ids(),
        );
        let given = c.insert(json!({"ContactID": "abc", "Name": "A"})).unwrap();
        let made = c.insert(json!({"Name": "B"})).unwrap();
        assert_eq!(given.id, "abc");
        assert_eq!(made.value["ContactID"], made.id.as_str());
        assert_eq!(made.id.len(), 36);
        assert!(matches!(c.insert(json!({"ContactID": "abc"})), Err(StoreError::Conflict { .. })));
        assert!(matches!(c.insert(json!(1)), Err(StoreError::NotAnObject { .. })));

        let seq = Collection::with_options("p", CollectionOptions::new().id_field("id"));
        assert_eq!(seq.insert(json!({})).unwrap().value, json!({"id": 1}));
    }
}
