//! Sources: orders and quotes (immutable, no change filter: every page is read, documents
//! already acknowledged as `Logged` are left out, the rest are deduplicated by id), and
//! customers and products by `filters=["greater_than(row_version,N)"]`.

use std::collections::HashSet;

use async_trait::async_trait;
use connector_core::model::{Currency, Customer, Order, OrderKind, Product};
use connector_core::source::{
    Change, ChangeDetection, Cursor, DeleteSignal, ReadMode, Rejected, Source, SourceCapabilities,
};
use connector_core::{EntityKind, Error, Result};
use futures_util::stream::{self, BoxStream, StreamExt};
use serde_json::{Value, json};

use crate::client::{NAME, SkynamoClient};
use crate::config::PAGE_SIZE;
use crate::convert;

/// Reads from Skynamo.
#[derive(Debug, Clone)]
pub struct SkynamoSource {
    client: SkynamoClient,
    currency: Currency,
    quotes: bool,
}

impl SkynamoSource {
    /// A source; amounts without a currency are in `currency`.
    pub fn new(client: SkynamoClient, currency: Currency) -> Self {
        Self { client, currency, quotes: true }
    }

    /// Whether quotes are read beside orders (on by default).
    pub fn with_quotes(mut self, quotes: bool) -> Self {
        self.quotes = quotes;
        self
    }

    fn versioned<'a, E: Send + 'static>(
        &'a self,
        path: &'static str,
        mode: ReadMode,
        conv: fn(&Value) -> Result<E>,
    ) -> BoxStream<'a, Result<Change<E>>> {
        let since = match &mode {
            ReadMode::Full => None,
            ReadMode::Changes { since } => {
                since.as_ref().and_then(|c| c.as_str().parse::<u64>().ok())
            }
        };
        let filters = since.map(|n| json!([format!("greater_than(row_version,{n})")]).to_string());
        let full = mode == ReadMode::Full;
        let mut seen = HashSet::new();
        let mut max = since.unwrap_or(0);
        let body = self.client.list(path, filters).filter_map(move |item| {
            let out = match item {
                Err(e) => Some(vec![Err(e)]),
                Ok(v) => {
                    let id = v["id"].to_string();
                    if !seen.insert(id.clone()) {
                        None // offset paging without an order: a row can come twice
                    } else {
                        if let Some(rv) = convert::row_version(&v) {
                            max = max.max(rv);
                        }
                        Some(vec![
                            Ok(match conv(&v) {
                                Ok(e) => Change::Upsert(e),
                                Err(e) => Change::Rejected(Rejected {
                                    key: Some(id.clone()),
                                    payload: Some(v.to_string()),
                                    error: e.with_connector(NAME).with_record(id),
                                }),
                            }),
                            Ok(Change::Checkpoint(Cursor::new(max.to_string()))),
                        ])
                    }
                }
            };
            async move { out }
        });
        let tail = stream::iter(full.then_some(Ok(Change::SnapshotComplete)));
        body.flat_map(stream::iter).chain(tail).boxed()
    }
}

#[async_trait]
impl Source<Order> for SkynamoSource {
    fn name(&self) -> &str {
        NAME
    }
    fn capabilities(&self) -> SourceCapabilities {
        SourceCapabilities::new(EntityKind::Order, ChangeDetection::Ledger)
            .deletes(DeleteSignal::AbsenceOnly)
            .page_size(Some(self.client.config().page_size.clamp(1, PAGE_SIZE) as usize))
    }
    async fn check(&self) -> Result<()> {
        self.client.check().await
    }
    /// Every order (then every quote) not yet acknowledged as `Logged`, whatever the mode:
    /// the flow's ledger and the target's lookup keep them from being written twice.
    fn read(&self, _mode: ReadMode) -> BoxStream<'_, Result<Change<Order>>> {
        let kinds: Vec<(&'static str, OrderKind)> = if self.quotes {
            vec![("orders", OrderKind::Order), ("quotes", OrderKind::Quote)]
        } else {
            vec![("orders", OrderKind::Order)]
        };
        let currency = self.currency;
        let logged = stream::once(self.client.logged_documents());
        logged
            .flat_map(move |logged| match logged {
                Err(e) => stream::iter(vec![Err::<Change<Order>, Error>(e)]).boxed(),
                Ok(logged) => {
                    let kinds = kinds.clone();
                    stream::iter(kinds)
                        .flat_map(move |(path, kind)| {
                            let logged = logged.clone();
                            let mut seen = HashSet::new();
                            self.client.list(path, None).filter_map(move |item| {
                                let out = match item {
                                    Err(e) => Some(Err(e)),
                                    Ok(v) => {
                                        let id = v["id"].as_i64();
                                        if id.is_some_and(|i| logged.contains(&i))
                                            || !seen.insert(v["id"].to_string())
                                        {
                                            None
                                        } else {
                                            Some(Ok(match convert::order(&v, kind, currency) {
                                                Ok(o) => Change::Upsert(o),
                                                Err(e) => Change::Rejected(Rejected {
                                                    key: id.map(|i| i.to_string()),
                                                    payload: Some(v.to_string()),
                                                    error: e.with_connector(NAME),
                                                }),
                                            }))
                                        }
                                    }
                                };
                                async move { out }
                            })
                        })
                        .boxed()
                }
            })
            .boxed()
    }
}

#[async_trait]
impl Source<Customer> for SkynamoSource {
    fn name(&self) -> &str {
        NAME
    }
    fn capabilities(&self) -> SourceCapabilities {
        SourceCapabilities::new(EntityKind::Customer, ChangeDetection::RowVersion)
            .deletes(DeleteSignal::Lifecycle)
            .page_size(Some(self.client.config().page_size.clamp(1, PAGE_SIZE) as usize))
    }
    async fn check(&self) -> Result<()> {
        self.client.check().await
    }
    fn read(&self, mode: ReadMode) -> BoxStream<'_, Result<Change<Customer>>> {
        self.versioned("customers", mode, convert::customer)
    }
}

#[async_trait]
impl Source<Product> for SkynamoSource {
    fn name(&self) -> &str {
        NAME
    }
    fn capabilities(&self) -> SourceCapabilities {
        SourceCapabilities::new(EntityKind::Product, ChangeDetection::RowVersion)
            .deletes(DeleteSignal::Lifecycle)
            .page_size(Some(self.client.config().page_size.clamp(1, PAGE_SIZE) as usize))
    }
    async fn check(&self) -> Result<()> {
        self.client.check().await
    }
    fn read(&self, mode: ReadMode) -> BoxStream<'_, Result<Change<Product>>> {
        self.versioned("products", mode, convert::product)
    }
}
