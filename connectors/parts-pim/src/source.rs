//! Orders read from Parts PIM over HTTP (`GET <orders_path>`): by number after the last one
//! read (`after`, keyset paging), changed at or after the cursor (`changed_since`); the
//! cursor is the newest `updated_at` read.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use connector_core::http::HttpClient;
use connector_core::model::Order;
use connector_core::source::{ChangeDetection, Cursor, ReadMode, SourceCapabilities};
use connector_core::{Change, EntityKind, Error, Result, Source};
use futures_util::stream::{self, BoxStream, StreamExt};
use serde::Deserialize;
use serde_json::Value;

use crate::client::{self, NAME};
use crate::config::PartsPimConfig;

/// Orders per page.
pub const PAGE_SIZE: usize = 100;

/// Reads orders from Parts PIM (the http transport).
#[derive(Debug, Clone)]
pub struct PartsPimSource {
    config: PartsPimConfig,
    http: HttpClient,
}

#[derive(Deserialize)]
struct Page {
    orders: Vec<Value>,
    #[serde(default)]
    has_more: bool,
}

impl PartsPimSource {
    /// A source for the configuration (no I/O). Orders are read over HTTP: the file
    /// transport only drops products and stock.
    pub fn new(config: PartsPimConfig) -> Result<Self> {
        if let Some(folder) = &config.folder {
            return Err(Error::config(format!(
                "parts-pim: orders are read over http; the file transport (folder {}) only \
                 drops products and stock",
                folder.display()
            )));
        }
        let http = client::http(&config)?;
        Ok(Self { config, http })
    }
}

#[async_trait]
impl Source<Order> for PartsPimSource {
    fn name(&self) -> &str {
        NAME
    }
    fn capabilities(&self) -> SourceCapabilities {
        SourceCapabilities::new(EntityKind::Order, ChangeDetection::Timestamp).page_size(PAGE_SIZE)
    }
    async fn check(&self) -> Result<()> {
        let _: Value = self
            .http
            .get(self.config.orders_path.trim_start_matches('/'))
            .query("limit", 1)
            .operation("GET orders")
            .send_json()
            .await?;
        Ok(())
    }
    fn read(&self, mode: ReadMode) -> BoxStream<'_, Result<Change<Order>>> {
        let since = match &mode {
            ReadMode::Changes { since: Some(c) } => Some(c.as_str().to_owned()),
            _ => None,
        };
        let full = matches!(mode, ReadMode::Full);
        let newest = Arc::new(Mutex::new(None::<DateTime<Utc>>));
        let seen = newest.clone();
        let path = self.config.orders_path.trim_start_matches('/').to_owned();
        let pages = stream::unfold(Some(None::<String>), move |state| {
            let (since, path) = (since.clone(), path.clone());
            async move {
                let after = state?;
                let mut req =
                    self.http.get(&path).query("limit", PAGE_SIZE).operation("GET orders");
                if let Some(s) = &since {
                    req = req.query("changed_since", s);
                }
                if let Some(a) = &after {
                    req = req.query("after", a);
                }
                match req.send_json::<Page>().await {
                    Err(e) => Some((Err(e), None)),
                    Ok(page) => {
                        let last = page
                            .orders
                            .last()
                            .and_then(|o| o.get("number"))
                            .and_then(Value::as_str)
                            .map(str::to_owned);
                        let next = match (page.has_more, last) {
                            (true, Some(n)) => Some(Some(n)),
                            (true, None) => {
                                let e = Error::decode("a page with more to come has no orders")
                                    .with_connector(NAME);
                                return Some((Err(e), None));
                            }
                            (false, _) => None,
                        };
                        Some((Ok(page.orders), next))
                    }
                }
            }
        });
        let records = pages.flat_map(move |page| {
            let changes: Vec<Result<Change<Order>>> = match page {
                Err(e) => vec![Err(e)],
                Ok(orders) => orders
                    .iter()
                    .map(|v| {
                        Ok(match crate::order::order(v) {
                            Ok(o) => {
                                if let Some(at) = o.meta.updated_at {
                                    let mut n = seen.lock().unwrap_or_else(|p| p.into_inner());
                                    *n = Some(n.map_or(at, |m: DateTime<Utc>| m.max(at)));
                                }
                                Change::Upsert(o)
                            }
                            Err(r) => Change::Rejected(r),
                        })
                    })
                    .collect(),
            };
            stream::iter(changes)
        });
        let end = stream::once(async move {
            let mut tail = Vec::new();
            if let Some(at) = *newest.lock().unwrap_or_else(|p| p.into_inner()) {
                tail.push(Ok(Change::Checkpoint(Cursor::new(at.to_rfc3339()))));
            }
            if full {
                tail.push(Ok(Change::SnapshotComplete));
            }
            stream::iter(tail)
        })
        .flatten();
        // A failed page ends the read: nothing after it (no cursor, no snapshot) is given.
        let mut failed = false;
        records
            .chain(end)
            .take_while(move |item| {
                let go = !failed;
                failed |= item.is_err();
                futures_util::future::ready(go)
            })
            .boxed()
    }
}
