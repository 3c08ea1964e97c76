//! Sources: business partners → customers, products → products, invoices → invoices.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use connector_core::http::paginate::{self, NumberedPage, Page, PageNumbers};
use connector_core::model::{Customer, EntityKind, Invoice, Product};
use connector_core::source::{
    ChangeDetection, Cursor, DeleteSignal, ReadMode, Rejected, Source, SourceCapabilities,
};
use connector_core::{Change, Error, Result};
use futures_util::stream::{self, BoxStream, StreamExt};
use serde_json::Value;

use crate::client::{CONNECTOR, MAX_PAGE_SIZE, ProcountorClient};
use crate::convert::{customer_from, invoice_from, product_from};
use crate::wire::{BusinessPartner, ListResponse, WireInvoice, WireProduct};

/// The most pages one read follows (a guard against endless loops).
const MAX_PAGES: u64 = 1_000_000;

/// The `versionStartDate` of a cursor: `YYYY-MM-DDTHH:MM:SS` (fractions dropped, so the
/// boundary is inclusive and the ledger drops what was already seen).
fn version_start(cursor: &Cursor) -> String {
    cursor.as_str().get(..19).unwrap_or(cursor.as_str()).to_owned()
}

fn since(mode: &ReadMode) -> Option<Option<String>> {
    match mode {
        ReadMode::Full => None,
        ReadMode::Changes { since } => Some(since.as_ref().map(version_start)),
    }
}

/// One item of a page: a record as JSON, or the newest version seen so far.
enum Item {
    Record(Value),
    Checkpoint(String),
}

/// Reads one page and turns it into items: the records, then (in changes mode) a
/// checkpoint with the newest `version` seen. Also returns the record count and the
/// `version` of the last record.
fn page_items(body: ListResponse<Value>, changes: bool) -> (Vec<Item>, u64, Option<String>) {
    let n = body.results.len() as u64;
    let last = body
        .results
        .last()
        .and_then(|r| r.get("version"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let mut items: Vec<Item> = Vec::with_capacity(body.results.len() + 1);
    let mut latest: Option<String> = None;
    for r in body.results {
        if let Some(v) = r.get("version").and_then(Value::as_str)
            && latest.as_deref().is_none_or(|l| v > l)
        {
            latest = Some(v.to_owned());
        }
        items.push(Item::Record(r));
    }
    if changes && let Some(l) = latest {
        items.push(Item::Checkpoint(l));
    }
    (items, n, last)
}

/// Pages of `/invoices`, `size` ≤ 200 (`/invoices` has `orderByVersion`; partners page by id).
///
/// A full read pages by 0-based `page`. A changes read orders by version
/// (`orderByVersion=ASC`) and pages by version instead of by offset: each next page asks
/// again from the last version seen (`versionStartDate`, inclusive; `page` counts on only
/// while a whole page shares one second). An offset would skip records when one changes
/// during the read, since it moves to the end of the order and shifts the others back.
/// Records at a boundary come twice; the ledger drops the repeat. A checkpoint follows
/// each page.
fn paged(
    client: &ProcountorClient,
    path: &'static str,
    extra: Vec<(&'static str, &'static str)>,
    page_size: u64,
    since: Option<Option<String>>,
) -> BoxStream<'static, Result<Item>> {
    let client = client.clone();
    let size = page_size.clamp(1, MAX_PAGE_SIZE);
    let request = move |page: u64, from: Option<&str>, changes: bool| {
        let mut req = client
            .http()
            .get(path)
            .query("page", page)
            .query("size", size)
            .operation(format!("GET /{path}"));
        for (k, v) in &extra {
            req = req.query(k, v);
        }
        if changes {
            req = req.query("orderByVersion", "ASC");
            if let Some(s) = from {
                req = req.query("versionStartDate", s);
            }
        }
        req
    };
    let Some(start) = since else {
        return paginate::page_numbers(
            PageNumbers::zero_based(size).max_pages(MAX_PAGES),
            move |page| {
                let req = request(page, None, false);
                async move {
                    let body: ListResponse<Value> = req.send_json().await?;
                    let total = body.meta.total_count;
                    let (items, n, _) = page_items(body, false);
                    let more = n == size && total.is_none_or(|t| (page + 1) * size < t);
                    Ok(NumberedPage::new(items).with_has_more(more))
                }
            },
        )
        .boxed();
    };
    paginate::keyset(MAX_PAGES, move |key: Option<(Option<String>, u64)>| {
        let (from, page) = key.unwrap_or_else(|| (start.clone(), 0));
        let req = request(page, from.as_deref(), true);
        async move {
            let body: ListResponse<Value> = req.send_json().await?;
            let (items, n, last) = page_items(body, true);
            let next = if n < size {
                None
            } else {
                let last = last.map(|v| v.get(..19).unwrap_or(&v).to_owned());
                if last.is_some() && last != from {
                    Some((last, 0))
                } else {
                    Some((from, page + 1))
                }
            };
            Ok(Page::new(items, next))
        }
    })
    .boxed()
}

fn rejected<E>(kind: &str, raw: &Value, e: impl std::fmt::Display) -> Change<E> {
    let key = raw.get("id").map(|v| v.to_string());
    Change::Rejected(Rejected {
        key: key.clone(),
        payload: Some(raw.to_string()),
        error: Error::decode(format!("{kind} did not decode: {e}"))
            .with_connector(CONNECTOR)
            .with_record(key.unwrap_or_default()),
    })
}

fn finish<E: Send + 'static>(
    changes: bool,
    s: BoxStream<'static, Result<Change<E>>>,
) -> BoxStream<'static, Result<Change<E>>> {
    if changes { s } else { s.chain(stream::once(async { Ok(Change::SnapshotComplete) })).boxed() }
}

/// How far before the newest `version` of a changes read the next one starts, beyond the
/// read's own duration: a margin for versions stamped while the read ran.
const VERSION_MARGIN: Duration = Duration::from_secs(60);

/// Business partners of type CUSTOMER as canonical customers, active and inactive.
#[derive(Debug, Clone)]
pub struct CustomerSource {
    client: ProcountorClient,
    page_size: u64,
}

impl CustomerSource {
    /// A source reading 200 partners a page.
    pub fn new(client: ProcountorClient) -> Self {
        Self { client, page_size: MAX_PAGE_SIZE }
    }

    /// Sets the page size (at most 200).
    pub fn page_size(mut self, size: u64) -> Self {
        self.page_size = size.clamp(1, MAX_PAGE_SIZE);
        self
    }
}

/// Pages of `GET /businesspartners?type=CUSTOMER` for one value of `active` (the list hides
/// inactive partners unless asked), in id order (`orderById=ASC`) and keyset-paged by
/// `previousId`: a partner edited during the read keeps its place. `/businesspartners` has no
/// `orderByVersion`; changes are asked with `versionStartDate` (inclusive).
fn partner_pages(
    client: &ProcountorClient,
    size: u64,
    active: bool,
    since: Option<String>,
) -> BoxStream<'static, Result<Value>> {
    let client = client.clone();
    paginate::keyset(MAX_PAGES, move |previous: Option<i64>| {
        let mut req = client
            .http()
            .get("businesspartners")
            .query("type", "CUSTOMER")
            .query("active", active)
            .query("orderById", "ASC")
            .query("size", size)
            .operation("GET /businesspartners");
        if let Some(p) = previous {
            req = req.query("previousId", p);
        }
        if let Some(s) = &since {
            req = req.query("versionStartDate", s);
        }
        async move {
            let body: ListResponse<Value> = req.send_json().await?;
            let last = body.results.last().and_then(|r| r.get("id")).and_then(Value::as_i64);
            let full = body.results.len() as u64 == size;
            Ok(Page::new(body.results, if full { last } else { None }))
        }
    })
    .boxed()
}

/// The cursor after a partner read: the newest `version` seen, moved back by the read's
/// duration and a margin, and never before where the read started. Partners are read in id
/// order, so one edited behind the read position during the read has a version older than
/// the newest seen, but not older than the clock when the read began: it is read again next
/// time (the ledger drops what did not change). Versions are compared on Procountor's own
/// clock, so the machines' clocks never matter.
fn next_partner_cursor(
    since: Option<&str>,
    newest: Option<&str>,
    took: Duration,
) -> Option<String> {
    let back = chrono::Duration::from_std(took + VERSION_MARGIN).ok()?;
    let moved = newest
        .and_then(parse_version_local)
        .map(|t| (t - back).format("%Y-%m-%dT%H:%M:%S").to_string());
    match (since, moved) {
        (Some(s), Some(m)) => Some(if m.as_str() > s { m } else { s.to_owned() }),
        (Some(s), None) => Some(s.to_owned()),
        (None, m) => m,
    }
}

/// A `version` on Procountor's clock, without an offset.
fn parse_version_local(v: &str) -> Option<chrono::NaiveDateTime> {
    chrono::DateTime::parse_from_rfc3339(v).map(|d| d.naive_local()).ok().or_else(|| {
        chrono::NaiveDateTime::parse_from_str(v.trim_end_matches('Z'), "%Y-%m-%dT%H:%M:%S%.f").ok()
    })
}

#[async_trait]
impl Source<Customer> for CustomerSource {
    fn name(&self) -> &str {
        CONNECTOR
    }

    fn capabilities(&self) -> SourceCapabilities {
        SourceCapabilities::new(EntityKind::Customer, ChangeDetection::Timestamp)
            .deletes(DeleteSignal::Lifecycle)
            .page_size(Some(self.page_size as usize))
    }

    async fn check(&self) -> Result<()> {
        self.client.check().await
    }

    /// Active partners, then inactive ones (so a deactivation arrives as an inactive
    /// customer). The list carries basic fields only; each partner's details (address,
    /// invoicing and register data) come from `GET /businesspartners/{id}`, a few at a time.
    /// One checkpoint ends the read: the newest version seen, moved back by the read's
    /// duration and a minute, so an edit behind the read position comes again next time.
    fn read(&self, mode: ReadMode) -> BoxStream<'_, Result<Change<Customer>>> {
        let since = match &mode {
            ReadMode::Full => None,
            ReadMode::Changes { since } => since.as_ref().map(version_start),
        };
        let full = mode == ReadMode::Full;
        let started = Instant::now();
        let newest: Arc<std::sync::Mutex<Option<String>>> = Arc::default();
        let client = self.client.clone();
        let seen = newest.clone();
        let records = stream::iter([true, false])
            .flat_map({
                let client = self.client.clone();
                let (size, since) = (self.page_size, since.clone());
                move |active| partner_pages(&client, size, active, since.clone())
            })
            .map(move |basic| {
                let client = client.clone();
                let seen = seen.clone();
                async move {
                    let basic = basic?;
                    let Some(id) = basic.get("id").and_then(Value::as_i64) else {
                        return Ok(rejected("business partner", &basic, "it has no id"));
                    };
                    if let Some(v) = basic.get("version").and_then(Value::as_str) {
                        let mut newest = crate::lock(&seen);
                        if newest.as_deref().is_none_or(|n| v > n) {
                            *newest = Some(v.to_owned());
                        }
                    }
                    let raw: Value = client
                        .http()
                        .get(&format!("businesspartners/{id}"))
                        .operation("GET /businesspartners/{id}")
                        .send_json()
                        .await?;
                    Ok(match serde_json::from_value::<BusinessPartner>(raw.clone()) {
                        Ok(p) => Change::Upsert(customer_from(&p, Some(raw))),
                        Err(e) => rejected("business partner", &raw, e),
                    })
                }
            })
            .buffered(4);
        let checkpoint = stream::once(async move {
            let newest = crate::lock(&newest).clone();
            next_partner_cursor(since.as_deref(), newest.as_deref(), started.elapsed())
                .map(|c| Ok(Change::Checkpoint(Cursor::new(c))))
        })
        .filter_map(std::future::ready);
        finish(!full, records.chain(checkpoint).boxed())
    }
}

/// Products of the register as canonical products. `/products` pages by `previousId` only.
#[derive(Debug, Clone)]
pub struct ProductSource {
    client: ProcountorClient,
    page_size: u64,
}

impl ProductSource {
    /// A source reading 200 products a page.
    pub fn new(client: ProcountorClient) -> Self {
        Self { client, page_size: MAX_PAGE_SIZE }
    }

    /// Sets the page size (at most 200).
    pub fn page_size(mut self, size: u64) -> Self {
        self.page_size = size.clamp(1, MAX_PAGE_SIZE);
        self
    }
}

#[async_trait]
impl Source<Product> for ProductSource {
    fn name(&self) -> &str {
        CONNECTOR
    }

    fn capabilities(&self) -> SourceCapabilities {
        SourceCapabilities::new(EntityKind::Product, ChangeDetection::None)
            .deletes(DeleteSignal::AbsenceOnly)
            .page_size(Some(self.page_size as usize))
    }

    async fn check(&self) -> Result<()> {
        self.client.check().await
    }

    /// Products are read in full in both modes: keyset paging by id cannot be combined with
    /// a version order, and products can be hard-deleted (absence shows it).
    fn read(&self, _mode: ReadMode) -> BoxStream<'_, Result<Change<Product>>> {
        let client = self.client.clone();
        let size = self.page_size;
        let s = paginate::keyset(MAX_PAGES, move |previous: Option<i64>| {
            let mut req =
                client.http().get("products").query("size", size).operation("GET /products");
            if let Some(p) = previous {
                req = req.query("previousId", p);
            }
            async move {
                let body: ListResponse<Value> = req.send_json().await?;
                let last = body.results.last().and_then(|r| r.get("id")).and_then(Value::as_i64);
                let full = body.results.len() as u64 == size;
                Ok(Page::new(body.results, if full { last } else { None }))
            }
        })
        .map(|r| {
            r.map(|raw| match serde_json::from_value::<WireProduct>(raw.clone()) {
                Ok(p) => match product_from(&p, Some(raw.clone())) {
                    Some(prod) => Change::Upsert(prod),
                    None => rejected("product", &raw, "it has no code"),
                },
                Err(e) => rejected("product", &raw, e),
            })
        })
        .boxed();
        finish(false, s)
    }
}

/// Sales invoices (with rows, one `GET /invoices/{id}` each) as canonical invoices.
#[derive(Debug, Clone)]
pub struct InvoiceSource {
    client: ProcountorClient,
    page_size: u64,
    concurrency: usize,
}

impl InvoiceSource {
    /// A source reading 200 invoices a page, fetching rows 4 at a time.
    pub fn new(client: ProcountorClient) -> Self {
        Self { client, page_size: MAX_PAGE_SIZE, concurrency: 4 }
    }

    /// Sets the page size (at most 200).
    pub fn page_size(mut self, size: u64) -> Self {
        self.page_size = size.clamp(1, MAX_PAGE_SIZE);
        self
    }
}

#[async_trait]
impl Source<Invoice> for InvoiceSource {
    fn name(&self) -> &str {
        CONNECTOR
    }

    fn capabilities(&self) -> SourceCapabilities {
        SourceCapabilities::new(EntityKind::Invoice, ChangeDetection::Timestamp)
            .deletes(DeleteSignal::Lifecycle)
            .page_size(Some(self.page_size as usize))
    }

    async fn check(&self) -> Result<()> {
        self.client.check().await
    }

    fn read(&self, mode: ReadMode) -> BoxStream<'_, Result<Change<Invoice>>> {
        let since = since(&mode);
        let changes = since.is_some();
        let client = self.client.clone();
        let s = paged(
            &self.client,
            "invoices",
            vec![("types", "SALES_INVOICE")],
            self.page_size,
            since,
        )
        .map(move |item| {
            let client = client.clone();
            async move {
                match item? {
                    Item::Checkpoint(v) => Ok(Change::Checkpoint(Cursor::new(v))),
                    Item::Record(basic) => {
                        let Some(id) = basic.get("id").and_then(Value::as_i64) else {
                            return Ok(rejected("invoice", &basic, "it has no id"));
                        };
                        let raw: Value = client
                            .http()
                            .get(&format!("invoices/{id}"))
                            .operation("GET /invoices/{id}")
                            .send_json()
                            .await?;
                        Ok(match serde_json::from_value::<WireInvoice>(raw.clone()) {
                            Ok(w) => match invoice_from(&w, Some(raw.clone())) {
                                Ok(inv) => Change::Upsert(inv),
                                Err(e) => Change::Rejected(Rejected {
                                    key: Some(id.to_string()),
                                    payload: Some(raw.to_string()),
                                    error: e.with_connector(CONNECTOR),
                                }),
                            },
                            Err(e) => rejected("invoice", &raw, e),
                        })
                    }
                }
            }
        })
        .buffered(self.concurrency)
        .boxed();
        finish(changes, s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_partner_cursor_steps_back_by_the_read_and_a_margin() {
        let took = Duration::from_secs(120);
        // Newest version seen 12:00:00; the read took 2 minutes; margin 1 minute.
        assert_eq!(
            next_partner_cursor(Some("2026-05-01T08:00:00"), Some("2026-05-01T12:00:00.123"), took),
            Some("2026-05-01T11:57:00".to_owned())
        );
        // Never before where the read started.
        assert_eq!(
            next_partner_cursor(Some("2026-05-01T11:59:00"), Some("2026-05-01T12:00:00"), took),
            Some("2026-05-01T11:59:00".to_owned())
        );
        // Nothing seen: the cursor stays.
        assert_eq!(
            next_partner_cursor(Some("2026-05-01T08:00:00"), None, took),
            Some("2026-05-01T08:00:00".to_owned())
        );
        assert_eq!(next_partner_cursor(None, None, took), None);
        // Versions with an offset are read on their own clock.
        assert_eq!(
            next_partner_cursor(None, Some("2026-05-01T12:00:00+03:00"), Duration::ZERO),
            Some("2026-05-01T11:59:00".to_owned())
        );
    }
}
