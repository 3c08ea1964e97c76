//! Sync listings: 1,000-row pages in `Timestamp` order from `Timestamp gt NL`, then, for
//! changes, the listing's entries in `sync/Deleted`. The cursor is
//! `<highest entity Timestamp>|<highest sync/Deleted Timestamp>`.

use std::sync::{Arc, Mutex};

use connector_core::source::{Change, Cursor, ReadMode};
use connector_core::{Error, Result};
use futures_util::stream::{self, BoxStream, StreamExt};
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::{Conv, ExactSource, lock, rejected};
use crate::wire;
use connector_core::source::end_at_first_error;

/// `$select` of `sync/Deleted`.
const DELETED_FIELDS: &str = "ID,EntityKey,EntityType,DeletedDate,Timestamp";

/// Where a sync listing stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncCursor {
    /// The highest entity `Timestamp` delivered (`1` before the first).
    pub timestamp: i64,
    /// The highest `sync/Deleted` `Timestamp` handled.
    pub deleted: i64,
}

impl SyncCursor {
    /// Parses `<timestamp>|<deleted>`.
    pub fn parse(c: &Cursor) -> Result<Self> {
        let s = c.as_str().trim();
        if s.is_empty() {
            return Ok(Self { timestamp: 1, deleted: 1 });
        }
        let bad = || Error::decode(format!("not an Exact Online sync cursor: {s:?}"));
        let (a, b) = s.split_once('|').ok_or_else(bad)?;
        Ok(Self {
            timestamp: a.parse().map_err(|_| bad())?,
            deleted: b.parse().map_err(|_| bad())?,
        })
    }

    /// The cursor's text.
    pub fn to_cursor(self) -> Cursor {
        Cursor::new(format!("{}|{}", self.timestamp, self.deleted))
    }
}

fn timestamp_of(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().trim_end_matches('L').parse().ok(),
        _ => None,
    }
}

impl ExactSource {
    /// Walks a sync listing and, for changes, the matching `sync/Deleted` entries. `conv`
    /// turns each row into a record (or leaves it out); an error rejects that row only.
    pub(super) fn sync_walk<'a, E, W, F, Fut>(
        &'a self,
        path: &'static str,
        select: &'static str,
        deleted_type: Option<i64>,
        mode: ReadMode,
        conv: F,
    ) -> BoxStream<'a, Result<Change<E>>>
    where
        E: Send + 'static,
        W: DeserializeOwned + Send + 'static,
        F: Fn(W) -> Fut + Send + Sync + 'a,
        Fut: std::future::Future<Output = Result<Conv<E>>> + Send + 'a,
    {
        let (start, full) = match &mode {
            ReadMode::Full => (Ok(SyncCursor { timestamp: 1, deleted: 1 }), true),
            ReadMode::Changes { since: Some(c) } => (SyncCursor::parse(c), false),
            ReadMode::Changes { since: None } => {
                (Ok(SyncCursor { timestamp: 1, deleted: 1 }), false)
            }
        };
        let start = match start {
            Ok(c) => c,
            Err(e) => return stream::iter([Err(e)]).boxed(),
        };
        let state = Arc::new(Mutex::new(start));
        let st = state.clone();
        let conv = Arc::new(conv);
        let entities = self
            .client
            .pages(
                path,
                vec![
                    ("$select", select.to_owned()),
                    ("$filter", format!("Timestamp gt {}L", start.timestamp)),
                ],
            )
            .then(move |page| {
                let st = st.clone();
                let conv = conv.clone();
                async move {
                    let rows = match page {
                        Ok(r) => r,
                        Err(e) => return vec![Err(e)],
                    };
                    let mut out = Vec::with_capacity(rows.len() + 1);
                    let mut cur = *lock(&st);
                    for raw in rows {
                        if let Some(ts) = raw.get("Timestamp").and_then(timestamp_of) {
                            cur.timestamp = cur.timestamp.max(ts);
                        }
                        let converted = match serde_json::from_value::<W>(raw.clone()) {
                            Ok(w) => conv(w).await,
                            Err(e) => Err(Error::decode(format!("{path}: {e}"))),
                        };
                        match converted {
                            Ok(Conv::Keep(rec)) => out.push(Ok(Change::Upsert(rec))),
                            Ok(Conv::Skip) => {}
                            Ok(Conv::Stop(e)) => {
                                out.push(Err(e));
                                return out;
                            }
                            Err(e) => out.push(Ok(rejected(&raw, "ID", e))),
                        }
                    }
                    *lock(&st) = cur;
                    out.push(Ok(Change::Checkpoint(cur.to_cursor())));
                    out
                }
            })
            .flat_map(stream::iter)
            .boxed();
        let tail: BoxStream<'a, Result<Change<E>>> = match (full, deleted_type) {
            (true, _) | (false, None) => stream::once(async move {
                let mut cur = *lock(&state);
                // A snapshot covers every earlier delete.
                cur.deleted = cur.deleted.max(cur.timestamp);
                let mut v = vec![Ok(Change::Checkpoint(cur.to_cursor()))];
                if full {
                    v.push(Ok(Change::SnapshotComplete));
                }
                v
            })
            .flat_map(stream::iter)
            .boxed(),
            (false, Some(kind)) => self.deleted_walk(kind, start.deleted, state),
        };
        end_at_first_error(entities.chain(tail).boxed())
    }

    /// The `sync/Deleted` entries of one entity type after `after`.
    fn deleted_walk<'a, E: Send + 'static>(
        &'a self,
        kind: i64,
        after: i64,
        state: Arc<Mutex<SyncCursor>>,
    ) -> BoxStream<'a, Result<Change<E>>> {
        self.client
            .pages(
                "sync/Deleted",
                vec![
                    ("$select", DELETED_FIELDS.to_owned()),
                    ("$filter", format!("Timestamp gt {after}L and EntityType eq {kind}")),
                ],
            )
            .map(move |page| -> Vec<Result<Change<E>>> {
                let rows = match page {
                    Ok(r) => r,
                    Err(e) => return vec![Err(e)],
                };
                let mut out = Vec::with_capacity(rows.len() + 1);
                let mut cur = *lock(&state);
                for raw in rows {
                    match serde_json::from_value::<wire::Deleted>(raw.clone()) {
                        Ok(d) => {
                            cur.deleted = cur.deleted.max(d.timestamp.unwrap_or(0));
                            if d.entity_type == kind && !d.entity_key.is_empty() {
                                out.push(Ok(Change::Delete { key: d.entity_key }));
                            }
                        }
                        Err(e) => out.push(Ok(rejected(
                            &raw,
                            "ID",
                            Error::decode(format!("sync/Deleted: {e}")),
                        ))),
                    }
                }
                *lock(&state) = cur;
                out.push(Ok(Change::Checkpoint(cur.to_cursor())));
                out
            })
            .flat_map(stream::iter)
            .boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip() {
        let c = SyncCursor { timestamp: 123_456_789_012, deleted: 7 };
        assert_eq!(SyncCursor::parse(&c.to_cursor()).unwrap(), c);
        assert_eq!(SyncCursor::parse(&Cursor::new("")).unwrap().timestamp, 1);
        assert!(SyncCursor::parse(&Cursor::new("x")).is_err());
    }
}
