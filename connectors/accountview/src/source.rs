//! Debtors, articles and stock read from AccountView.Net. Debtors are read by change: a
//! changes read filters on the change date (`contact.cng_date >= {^…}`) and resumes from the
//! newest change date of the last read; articles and stock come as full snapshots (whether
//! ARTICLE has a change date is not published).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use connector_core::model::{Customer, Product, StockLevel};
use connector_core::source::{
    Change, ChangeDetection, Cursor, DeleteSignal, ReadMode, Rejected, SourceCapabilities,
};
use connector_core::{EntityKind, Result, Source};
use futures_util::stream::{self, BoxStream, StreamExt};
use serde_json::{Map, Value};

use crate::client::{AccountViewClient, NAME};
use crate::convert::{self, ARTICLE_FIELDS, CONTACT_FIELDS, fields_param};

/// How far behind the newest change date read a changes read starts again: longer than a
/// read takes, and an hour for AccountView's local times around a clock change.
pub const CURSOR_OVERLAP: chrono::Duration = chrono::Duration::hours(2);

/// What to read: a business object, its table and paging key, the columns, an optional
/// filter; whether rows carry a change date (the cursor) and whether the read is a snapshot.
struct Read {
    business_object: &'static str,
    table: &'static str,
    key: &'static str,
    columns: &'static [&'static str],
    filter: Option<String>,
    dated: bool,
    full: bool,
}

/// A full read of the articles, paged by `REC_ID`.
fn articles(columns: &'static [&'static str]) -> Read {
    Read {
        business_object: "AK1",
        table: "ARTICLE",
        key: "REC_ID",
        columns,
        filter: None,
        dated: false,
        full: true,
    }
}

/// Reads debtors (`AR1`), articles (`AK1`) and their stock.
#[derive(Debug, Clone)]
pub struct AccountViewSource {
    client: AccountViewClient,
}

impl AccountViewSource {
    /// A source over `client`.
    pub fn new(client: AccountViewClient) -> Self {
        Self { client }
    }

    /// The rows `read` names, each turned into a change by `convert`; dated rows also move
    /// the cursor (their change date), given at the end of the read.
    fn read_rows<E: Send + 'static>(
        &self,
        read: Read,
        convert: impl Fn(&Map<String, Value>) -> std::result::Result<E, Rejected>
        + Send
        + Sync
        + 'static,
    ) -> BoxStream<'_, Result<Change<E>>> {
        let Read { business_object, table, key, columns, filter, dated, full } = read;
        let pages =
            self.client.pages(business_object, table, key, fields_param(table, columns), filter);
        let newest = std::sync::Arc::new(std::sync::Mutex::new(None::<DateTime<Utc>>));
        let seen = newest.clone();
        let records = pages.flat_map(move |page| {
            let changes: Vec<Result<Change<E>>> = match page {
                Err(e) => vec![Err(e)],
                Ok(rows) => rows
                    .iter()
                    .map(|row| {
                        if dated {
                            if let Ok(Some(at)) = convert::date(row, "CNG_DATE") {
                                let mut n = seen.lock().unwrap_or_else(|p| p.into_inner());
                                *n = Some(n.map_or(at, |m: DateTime<Utc>| m.max(at)));
                            }
                        }
                        Ok(match convert(row) {
                            Ok(record) => Change::Upsert(record),
                            Err(r) => Change::Rejected(r),
                        })
                    })
                    .collect(),
            };
            stream::iter(changes)
        });
        let end = stream::once(async move {
            let mut tail = Vec::new();
            if dated {
                // Rows come by debtor number, not by change date: a debtor changed during the
                // read, on a page already read, has an older date than the newest seen. The
                // cursor keeps an overlap behind the newest date; rows read again are
                // unchanged for the ledger.
                if let Some(at) = *newest.lock().unwrap_or_else(|p| p.into_inner()) {
                    let from = at - CURSOR_OVERLAP;
                    tail.push(Ok(Change::Checkpoint(Cursor::new(from.to_rfc3339()))));
                }
            }
            if full {
                tail.push(Ok(Change::SnapshotComplete));
            }
            stream::iter(tail)
        })
        .flatten();
        // A failed page ends the read: nothing after it (no snapshot claim) is given.
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

#[async_trait]
impl Source<Customer> for AccountViewSource {
    fn name(&self) -> &str {
        NAME
    }
    fn capabilities(&self) -> SourceCapabilities {
        SourceCapabilities::new(EntityKind::Customer, ChangeDetection::Timestamp)
            .deletes(DeleteSignal::Lifecycle)
            .page_size(self.client.config().page_size as usize)
    }
    async fn check(&self) -> Result<()> {
        self.client.check().await
    }
    fn read(&self, mode: ReadMode) -> BoxStream<'_, Result<Change<Customer>>> {
        let since = match &mode {
            ReadMode::Changes { since: Some(c) } => {
                DateTime::parse_from_rfc3339(c.as_str()).ok().map(|d| d.with_timezone(&Utc))
            }
            _ => None,
        };
        let filter = since.map(|at| format!("contact.cng_date >= {}", convert::vfp_datetime(at)));
        let full = matches!(mode, ReadMode::Full);
        let read = Read {
            business_object: "AR1",
            table: "CONTACT",
            key: "SUB_NR",
            columns: CONTACT_FIELDS,
            filter,
            dated: true,
            full,
        };
        self.read_rows(read, convert::customer)
    }
}

#[async_trait]
impl Source<Product> for AccountViewSource {
    fn name(&self) -> &str {
        NAME
    }
    fn capabilities(&self) -> SourceCapabilities {
        SourceCapabilities::new(EntityKind::Product, ChangeDetection::None)
            .page_size(self.client.config().page_size as usize)
    }
    async fn check(&self) -> Result<()> {
        self.client.check().await
    }
    fn read(&self, _mode: ReadMode) -> BoxStream<'_, Result<Change<Product>>> {
        let currency = self.client.config().currency;
        self.read_rows(articles(ARTICLE_FIELDS), move |r| convert::product(r, currency))
    }
}

#[async_trait]
impl Source<StockLevel> for AccountViewSource {
    fn name(&self) -> &str {
        NAME
    }
    fn capabilities(&self) -> SourceCapabilities {
        SourceCapabilities::new(EntityKind::StockLevel, ChangeDetection::None)
            .page_size(self.client.config().page_size as usize)
    }
    async fn check(&self) -> Result<()> {
        self.client.check().await
    }
    fn read(&self, _mode: ReadMode) -> BoxStream<'_, Result<Change<StockLevel>>> {
        self.read_rows(articles(&["ART_CODE", "STOCK", "RESERVED", "REC_ID"]), convert::stock)
    }
}
