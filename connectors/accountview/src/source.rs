//! Debtors, articles and stock read from AccountView.Net. Debtors are read by change: a
//! changes read filters on the change date (`contact.cng_date >= {^…}`) and resumes from the
//! newest change date of the last read; articles and stock come as full snapshots (whether
//! ARTICLE has a change date is not published).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use connector_core::model::{Customer, Order, Product, StockLevel};
use connector_core::source::{
    Change, ChangeDetection, Cursor, DeleteSignal, ReadMode, Rejected, SourceCapabilities,
    end_at_first_error,
};
use connector_core::{EntityKind, Result, Source};
use futures_util::stream::{self, BoxStream, StreamExt};
use serde_json::{Map, Value};

use crate::client::{AccountViewClient, NAME, rows_of};
use crate::convert::{self, ARTICLE_FIELDS, CONTACT_FIELDS, fields_param};
use crate::order;

/// How far behind the newest change date read a changes read starts again: longer than a
/// read takes (rows come by number, so a row changed during a read may be on a page read
/// before).
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
        let zone = self.client.config().timezone;
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
                            if let Ok(Some(at)) = convert::date(row, "CNG_DATE", zone) {
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
        // A failed page ends the read: nothing after it is given.
        end_at_first_error(records.chain(end).boxed())
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
        let zone = self.client.config().timezone;
        let filter =
            since.map(|at| format!("contact.cng_date >= {}", convert::vfp_datetime(at, zone)));
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
        self.read_rows(read, move |r| convert::customer(r, zone))
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
        let (currency, zone) = (self.client.config().currency, self.client.config().timezone);
        self.read_rows(articles(ARTICLE_FIELDS), move |r| convert::product(r, currency, zone))
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

/// Orders: article pages read whole through the order business object (the setting
/// `order_business_object`), each page of headers (`ART_HDR`, by `REC_ID`) with the lines of
/// those headers (`ART_LINE`, by `HDR_ID`) in the same answer. ART_HDR has no attested
/// change date, so every read is a snapshot and the ledger tells what changed.
#[async_trait]
impl Source<Order> for AccountViewSource {
    fn name(&self) -> &str {
        NAME
    }
    fn capabilities(&self) -> SourceCapabilities {
        SourceCapabilities::new(EntityKind::Order, ChangeDetection::None)
            .page_size(self.client.config().page_size as usize)
    }
    async fn check(&self) -> Result<()> {
        self.client.order_business_object()?;
        self.client.check().await
    }
    fn read(&self, _mode: ReadMode) -> BoxStream<'_, Result<Change<Order>>> {
        let object = match self.client.order_business_object() {
            Ok(o) => o.to_owned(),
            Err(e) => return stream::once(async move { Err(e) }).boxed(),
        };
        let fields = format!(
            "{},{}",
            fields_param(order::HEADER_TABLE, order::HEADER_FIELDS),
            fields_param(order::LINE_TABLE, order::LINE_FIELDS)
        );
        let currency = self.client.config().currency;
        let pages = self.client.answers(object, order::HEADER_TABLE, "REC_ID", fields, None);
        let records = pages.flat_map(move |answer| {
            let changes: Vec<Result<Change<Order>>> = match answer.and_then(|mut a| {
                let mut take = |table: &str| {
                    let rows = a.remove(table).unwrap_or(Value::Null);
                    rows_of(Value::Object(Map::from_iter([(table.to_owned(), rows)])), table)
                };
                Ok((take(order::HEADER_TABLE)?, take(order::LINE_TABLE)?))
            }) {
                Err(e) => vec![Err(e)],
                Ok((headers, lines)) => headers
                    .iter()
                    .map(|h| {
                        let id = h.get("REC_ID").and_then(Value::as_str);
                        let mine: Vec<&Map<String, Value>> = lines
                            .iter()
                            .filter(|l| {
                                id.is_some() && l.get("HDR_ID").and_then(Value::as_str) == id
                            })
                            .collect();
                        Ok(match order::order(h, &mine, currency) {
                            Ok(o) => Change::Upsert(o),
                            Err(r) => Change::Rejected(r),
                        })
                    })
                    .collect(),
            };
            stream::iter(changes)
        });
        end_at_first_error(
            records.chain(stream::once(async { Ok(Change::SnapshotComplete) })).boxed(),
        )
    }
}
