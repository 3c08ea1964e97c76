//! Standard listings read by `Modified`: `$filter=Modified ge datetime'…'` with the lines
//! expanded, in Exact's own order (the primary key), 60 rows a page.
//!
//! No `$orderby` on the pages: Exact pages with `$skiptoken=guid'<last key>'`, which only
//! continues a listing in key order; ordered by anything else, a page would start after the
//! wrong row and skip or repeat rows. So a walk sees rows in key order, not by time, and
//! the newest `Modified` it saw is a safe lower bound for the next walk only for rows that
//! had changed before the walk began. Before the walk, one call asks Exact for its newest
//! `Modified` (`$orderby=Modified desc&$top=1`: one row, no paging): the walk's ceiling, in
//! Exact's own clock (whatever zone it keeps `Modified` in). The next walk starts no later
//! than that ceiling, so a row changed while the walk ran (its `Modified` after the ceiling)
//! is read again, wherever it sits in key order. Within a walk, each page's checkpoint holds
//! the walk's filter and the last key read, so a walk that stops resumes after that key.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use chrono::DateTime;
use connector_core::source::{Change, Cursor, ReadMode};
use connector_core::{Error, Result};
use futures_util::stream::{self, BoxStream, StreamExt};
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::{ExactSource, lock, rejected};
use connector_core::source::end_at_first_error;

/// Where a `Modified` listing stands.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModifiedCursor {
    /// The walk's lower bound (`Modified ge`), epoch ms; `None` reads everything.
    pub at: Option<i64>,
    /// Ids delivered at exactly `at` (skipped when read again).
    pub ids: BTreeSet<String>,
    /// Set while a walk is under way.
    pub walk: Option<Walk>,
}

/// A walk under way.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Walk {
    /// The last key read (the next page starts after it).
    pub after: String,
    /// The newest `Modified` read so far, epoch ms.
    pub newest: Option<i64>,
    /// Ids read at exactly `newest`.
    pub newest_ids: BTreeSet<String>,
    /// Exact's newest `Modified` when the walk began, epoch ms (`None`: the listing was
    /// empty).
    pub ceiling: Option<i64>,
}

fn ids_text(ids: &BTreeSet<String>) -> String {
    ids.iter().cloned().collect::<Vec<_>>().join(",")
}

fn ids_of(s: &str) -> BTreeSet<String> {
    s.split(',').filter(|i| !i.is_empty()).map(str::to_owned).collect()
}

impl ModifiedCursor {
    /// Parses `<ms>|<id>,<id>`, or, within a walk,
    /// `<ms>|<ids>|<last key>|<newest ms>|<ids at newest>|<ceiling ms>` (an empty `<ms>`
    /// is no lower bound, an empty ceiling an empty listing).
    pub fn parse(c: &Cursor) -> Result<Self> {
        let s = c.as_str().trim();
        if s.is_empty() {
            return Ok(Self::default());
        }
        let bad = || Error::decode(format!("not an Exact Online cursor: {s:?}"));
        let ms = |t: &str| -> Result<Option<i64>> {
            match t {
                "" => Ok(None),
                t => t.parse().map(Some).map_err(|_| bad()),
            }
        };
        let parts: Vec<&str> = s.split('|').collect();
        let walk = match parts.as_slice() {
            [_] | [_, _] => None,
            [_, _, after, newest, newest_ids, ceiling] => Some(Walk {
                after: (*after).to_owned(),
                newest: ms(newest)?,
                newest_ids: ids_of(newest_ids),
                ceiling: ms(ceiling)?,
            }),
            _ => return Err(bad()),
        };
        Ok(Self { at: ms(parts[0])?, ids: ids_of(parts.get(1).copied().unwrap_or("")), walk })
    }

    /// The cursor's text.
    pub fn to_cursor(&self) -> Cursor {
        let at = self.at.map(|a| a.to_string()).unwrap_or_default();
        match &self.walk {
            None if self.at.is_none() => Cursor::new(""),
            None => Cursor::new(format!("{at}|{}", ids_text(&self.ids))),
            Some(w) => Cursor::new(format!(
                "{at}|{}|{}|{}|{}|{}",
                ids_text(&self.ids),
                w.after,
                w.newest.map(|n| n.to_string()).unwrap_or_default(),
                ids_text(&w.newest_ids),
                w.ceiling.map(|n| n.to_string()).unwrap_or_default()
            )),
        }
    }

    /// Notes a row read in the walk.
    fn saw(&mut self, key: &str, modified: Option<i64>) {
        let Some(w) = self.walk.as_mut() else { return };
        w.after = key.to_owned();
        let Some(at) = modified else { return };
        match w.newest {
            Some(cur) if at < cur => {}
            Some(cur) if at == cur => {
                w.newest_ids.insert(key.to_owned());
            }
            _ => {
                w.newest = Some(at);
                w.newest_ids = BTreeSet::from([key.to_owned()]);
            }
        }
    }

    /// The cursor after a finished walk: from the newest row read, but never past the
    /// walk's ceiling (rows changed during the walk are read again by the next). A walk
    /// that began on an empty listing keeps its bound.
    fn finished(&self) -> Self {
        let Some(w) = &self.walk else { return self.clone() };
        match (w.newest, w.ceiling) {
            (Some(n), Some(cap)) if n <= cap => {
                Self { at: Some(n), ids: w.newest_ids.clone(), walk: None }
            }
            (Some(_), Some(cap)) => {
                Self { at: Some(cap.max(self.at.unwrap_or(i64::MIN))), ..Self::default() }
            }
            _ => Self { at: self.at, ids: self.ids.clone(), walk: None },
        }
    }
}

impl ExactSource {
    /// Walks a standard listing changed since the cursor (inclusive), with the lines
    /// expanded.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn modified_walk<'a, E, W, F, Fut>(
        &'a self,
        path: &'static str,
        select: &'static str,
        expand: &'static str,
        id_field: &'static str,
        mode: ReadMode,
        conv: F,
    ) -> BoxStream<'a, Result<Change<E>>>
    where
        E: Send + 'static,
        W: DeserializeOwned + Send + 'static,
        F: Fn(W) -> Fut + Send + Sync + 'a,
        Fut: std::future::Future<Output = Result<E>> + Send + 'a,
    {
        let (start, full) = match &mode {
            ReadMode::Full => (Ok(ModifiedCursor::default()), true),
            ReadMode::Changes { since: Some(c) } => (ModifiedCursor::parse(c), false),
            ReadMode::Changes { since: None } => (Ok(ModifiedCursor::default()), false),
        };
        let start = match start {
            Ok(c) => c,
            Err(e) => return stream::iter([Err(e)]).boxed(),
        };
        let resume = start.walk.as_ref().map(|w| w.after.clone()).filter(|a| !a.is_empty());
        let mut query = vec![("$select", select.to_owned()), ("$expand", expand.to_owned())];
        if let Some(at) = start.at.and_then(DateTime::from_timestamp_millis) {
            query.push((
                "$filter",
                format!("Modified ge datetime'{}'", at.naive_utc().format("%Y-%m-%dT%H:%M:%S%.3f")),
            ));
        }
        if let Some(after) = resume {
            query.push(("$skiptoken", format!("guid'{after}'")));
        }
        let begun = start.walk.is_some();
        let state = Arc::new(Mutex::new(start.clone()));
        let conv = Arc::new(conv);
        let st = state.clone();
        let ceiling = state.clone();
        // A new walk first asks Exact for its newest `Modified`: the walk's ceiling.
        let opening = stream::once(async move {
            if begun {
                return Ok(());
            }
            let newest = self.client.newest_modified(path).await?;
            lock(&ceiling).walk = Some(Walk { ceiling: newest, ..Walk::default() });
            Ok(())
        });
        let pages = opening
            .flat_map(move |r: Result<()>| match r {
                Ok(()) => self.client.pages(path, query.clone()),
                Err(e) => stream::iter([Err(e)]).boxed(),
            })
            .boxed();
        let body = pages
            .then(move |page| {
                let st = st.clone();
                let conv = conv.clone();
                let start = start.clone();
                async move {
                    let rows = match page {
                        Ok(r) => r,
                        Err(e) => return vec![Err(e)],
                    };
                    let mut out = Vec::with_capacity(rows.len() + 1);
                    for raw in rows {
                        let id = raw
                            .get(id_field)
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_owned();
                        let at = raw
                            .get("Modified")
                            .and_then(Value::as_str)
                            .and_then(|s| connector_core::http::dates::parse_ms_json(s).ok())
                            .map(|d| d.timestamp_millis());
                        lock(&st).saw(&id, at);
                        if at.is_some() && start.at == at && start.ids.contains(&id) {
                            continue;
                        }
                        let converted = match serde_json::from_value::<W>(raw.clone()) {
                            Ok(w) => conv(w).await,
                            Err(e) => Err(Error::decode(format!("{path}: {e}"))),
                        };
                        match converted {
                            Ok(rec) => out.push(Ok(Change::Upsert(rec))),
                            Err(e) => out.push(Ok(rejected(&raw, id_field, e))),
                        }
                    }
                    out.push(Ok(Change::Checkpoint(lock(&st).to_cursor())));
                    out
                }
            })
            .flat_map(stream::iter)
            .boxed();
        let tail = stream::once(async move {
            let done = lock(&state).finished();
            let mut v = vec![Ok(Change::Checkpoint(done.to_cursor()))];
            if full {
                v.push(Ok(Change::SnapshotComplete));
            }
            v
        })
        .flat_map(stream::iter);
        end_at_first_error(body.chain(tail).boxed())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn walk(ceiling: Option<i64>) -> ModifiedCursor {
        ModifiedCursor {
            walk: Some(Walk { ceiling, ..Walk::default() }),
            ..ModifiedCursor::default()
        }
    }

    #[test]
    fn cursors_round_trip_between_and_within_walks() {
        assert_eq!(ModifiedCursor::parse(&Cursor::new("")).unwrap(), ModifiedCursor::default());
        let settled = ModifiedCursor {
            at: Some(10),
            ids: BTreeSet::from(["a".to_owned(), "b".to_owned()]),
            walk: None,
        };
        assert_eq!(settled.to_cursor().as_str(), "10|a,b");
        assert_eq!(ModifiedCursor::parse(&settled.to_cursor()).unwrap(), settled);
        let mut w = walk(Some(1_000_000));
        w.saw("k1", Some(5));
        w.saw("k2", Some(7));
        w.saw("k3", Some(7));
        w.saw("k4", Some(6));
        assert_eq!(w.to_cursor().as_str(), "||k4|7|k2,k3|1000000");
        assert_eq!(ModifiedCursor::parse(&w.to_cursor()).unwrap(), w);
        let empty = walk(None);
        assert_eq!(ModifiedCursor::parse(&empty.to_cursor()).unwrap(), empty);
        assert!(ModifiedCursor::parse(&Cursor::new("1|a|b")).is_err());
        assert!(ModifiedCursor::parse(&Cursor::new("x|")).is_err());
    }

    #[test]
    fn a_finished_walk_never_passes_exacts_newest_modified_at_its_start() {
        // Everything read had changed before the walk: the newest row and its ids.
        let mut w = walk(Some(100));
        w.saw("k1", Some(90));
        w.saw("k2", Some(80));
        let done = w.finished();
        assert_eq!((done.at, done.walk), (Some(90), None));
        assert_eq!(done.ids, BTreeSet::from(["k1".to_owned()]));
        // A row changed during the walk: the next walk starts at the ceiling, reading it
        // (and whatever else changed after the walk began) again.
        w.saw("k3", Some(105));
        let done = w.finished();
        assert_eq!((done.at, done.ids.len()), (Some(100), 0));
        // An empty listing at the start: the bound stays.
        let mut w = walk(None);
        w.at = Some(42);
        w.saw("k9", Some(500));
        assert_eq!(w.finished().at, Some(42));
    }
}
