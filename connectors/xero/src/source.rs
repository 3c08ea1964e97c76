//! Sources: Contacts → Customer, Items → Product / StockLevel / PriceList, Invoices (ACCREC)
//! → Invoice, Quotes → Order (quote).
//!
//! Listings are ordered `UpdatedDateUTC ASC` and walked as a keyset on that timestamp: each
//! request sends `If-Modified-Since` = the newest timestamp seen so far and `page=1`
//! (moving to `page=2, 3, …` only while a whole page shares one timestamp). A record edited
//! during the sync moves to the end of the order and is read again instead of shifting an
//! unread record onto a page already read. The boundary is inclusive, so records at the
//! boundary that were already delivered are skipped by id. The cursor is
//! `<last UpdatedDateUTC, RFC 3339>|<ids at that instant>`.

use std::collections::{BTreeMap, VecDeque};

use async_trait::async_trait;
use chrono::{DateTime, Duration as ChronoDuration, Utc};
use connector_core::http::dates;
use connector_core::model::{Customer, Invoice, Order, PriceList, Product, StockLevel};
use connector_core::source::{
    Change, ChangeDetection, Cursor, DeleteSignal, ReadMode, Rejected, Source, SourceCapabilities,
};
use connector_core::{Error, ErrorKind, Result};
use futures_util::stream::{self, BoxStream, StreamExt};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::client::{NAME, XeroClient};
use crate::config::MAX_PAGE_SIZE;
use crate::convert::{self, Ctx};
use crate::page::{Page, PageError};
use crate::wire;

/// The most boundary ids a saved cursor keeps.
pub const CURSOR_IDS: usize = 256;

/// The most ids a walk keeps in memory for skipping boundary records (see
/// [`XeroCursor::advance`]).
const RECENT_IDS: usize = 10_000;

/// Quotes take `page` only: Xero's fixed page size.
const QUOTES_PAGE_SIZE: u32 = 100;

/// Reads every Xero dataset. One value implements [`Source`] for each canonical entity.
#[derive(Debug, Clone)]
pub struct XeroSource {
    client: XeroClient,
}

/// Where a listing stands.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct XeroCursor {
    /// The newest `UpdatedDateUTC` delivered.
    pub at: Option<DateTime<Utc>>,
    /// Records delivered within a second of `at`, with their `UpdatedDateUTC` (Xero may
    /// compare `If-Modified-Since` at whole seconds, so they come again).
    pub recent: BTreeMap<String, DateTime<Utc>>,
}

impl XeroCursor {
    /// Parses `<instant>|<id>@<epoch ms>,…`.
    pub fn parse(c: &Cursor) -> Result<Self> {
        let s = c.as_str();
        if s.is_empty() {
            return Ok(Self::default());
        }
        let bad = || Error::decode(format!("not a Xero cursor: {s:?}"));
        let (at, ids) = s.split_once('|').unwrap_or((s, ""));
        let at = dates::parse_instant(at).map_err(|e| e.context("the Xero cursor"))?;
        let mut recent = BTreeMap::new();
        for part in ids.split(',').filter(|i| !i.is_empty()) {
            let (id, ms) = part.rsplit_once('@').ok_or_else(bad)?;
            let ms: i64 = ms.parse().map_err(|_| bad())?;
            recent.insert(id.to_owned(), DateTime::from_timestamp_millis(ms).ok_or_else(bad)?);
        }
        Ok(Self { at: Some(at), recent })
    }

    /// The cursor's text. At most [`CURSOR_IDS`] ids are kept (the newest): beyond that, a
    /// resumed read delivers some boundary records again, which the flow's ledger finds
    /// unchanged; nothing is skipped.
    pub fn to_cursor(&self) -> Cursor {
        match self.at {
            None => Cursor::new(""),
            Some(at) => {
                let mut newest: Vec<(&String, &DateTime<Utc>)> = self.recent.iter().collect();
                if newest.len() > CURSOR_IDS {
                    // Newest first, ids in order among equal times: the first CURSOR_IDS are
                    // picked in linear time (a cursor is made after every page).
                    let order = |a: &(&String, &DateTime<Utc>), b: &(&String, &DateTime<Utc>)| {
                        b.1.cmp(a.1).then_with(|| a.0.cmp(b.0))
                    };
                    newest.select_nth_unstable_by(CURSOR_IDS - 1, order);
                    newest.truncate(CURSOR_IDS);
                    newest.sort_by(order);
                }
                let ids: Vec<String> =
                    newest.iter().map(|(id, t)| format!("{id}@{}", t.timestamp_millis())).collect();
                Cursor::new(format!("{}|{}", dates::format_rfc3339(at), ids.join(",")))
            }
        }
    }

    /// Whether this version of the record was delivered already.
    pub fn seen(&self, at: DateTime<Utc>, id: &str) -> bool {
        self.recent.get(id).is_some_and(|t| *t == at)
    }

    /// Records a delivered record.
    pub fn advance(&mut self, at: DateTime<Utc>, id: &str) {
        let moved = self.at.is_none_or(|c| at > c);
        if moved {
            self.at = Some(at);
        }
        let floor = self.at.unwrap_or(at) - ChronoDuration::seconds(1);
        if at >= floor {
            self.recent.insert(id.to_owned(), at);
        }
        if moved {
            // Only a newer maximum can push older entries out of the last second.
            self.recent.retain(|_, t| *t >= floor);
        }
        if self.recent.len() > 2 * RECENT_IDS {
            self.keep_newest(RECENT_IDS);
        }
    }

    /// Drops all but `keep` ids, the oldest first (memory stays flat however many records
    /// share one second; a dropped id's record may come twice after a boundary re-read,
    /// which the flow's ledger finds unchanged, and is never skipped).
    fn keep_newest(&mut self, keep: usize) {
        let Some(cut) = self.recent.len().checked_sub(keep).filter(|c| *c > 0) else { return };
        let mut times: Vec<DateTime<Utc>> = self.recent.values().copied().collect();
        let threshold = *times.select_nth_unstable(cut - 1).1;
        let mut excess = cut;
        // Strictly older first, then as many at the threshold as still must go.
        for strictly_older in [true, false] {
            self.recent.retain(|_, t| {
                let goes = excess > 0 && (*t < threshold || (!strictly_older && *t == threshold));
                excess -= usize::from(goes);
                !goes
            });
        }
    }
}

/// One endpoint's listing rules.
#[derive(Debug, Clone, Copy)]
struct Listing {
    path: &'static str,
    collection: &'static str,
    id_field: &'static str,
    filter: Option<&'static str>,
    page_size: Option<u32>,
    archived: bool,
}

/// Where a listing's stream stands: the cursor, the page being read and what is left of it.
struct Walk<E> {
    cursor: XeroCursor,
    /// Known once connected (before the first page).
    ctx: Option<Ctx>,
    page: u32,
    done: bool,
    snapshot: bool,
    /// The page being read, if one was fetched and not yet finished.
    rows: Option<Page>,
    /// Whether that page was full (another may follow).
    full_page: bool,
    /// The cursor's time before that page.
    before: Option<DateTime<Utc>>,
    /// Changes to hand out before reading on (the checkpoint after a page).
    tail: VecDeque<Result<Change<E>>>,
}

impl XeroSource {
    /// A source over a connection.
    pub fn new(client: XeroClient) -> Self {
        Self { client }
    }

    /// The `pageSize` asked for: the configured size, within Xero's 1 to 1,000 (Xero
    /// answers 1,000 to a larger one, which would look like a last page).
    fn page_size(&self) -> u32 {
        self.client.config().page_size.clamp(1, MAX_PAGE_SIZE)
    }

    /// What conversion needs of the organisation (connecting first if need be).
    async fn ctx(&self) -> Result<Ctx> {
        Ok(Ctx {
            currency: self.client.currency().await?,
            rep_category: self.client.config().rep_tracking_category.clone(),
        })
    }

    async fn fetch_raw(
        &self,
        l: Listing,
        since: Option<DateTime<Utc>>,
        page: Option<u32>,
    ) -> Result<Option<Vec<u8>>> {
        let mut req = self
            .client
            .http()
            .await?
            .get(l.path)
            .operation(format!("GET /{}", l.path))
            .query("order", "UpdatedDateUTC ASC");
        // Only invoices and items take `unitdp`.
        if matches!(l.path, "Invoices" | "Items") {
            req = req.query("unitdp", 4);
        }
        if let Some(p) = page {
            req = req.query("page", p);
        }
        if let (Some(size), Some(_)) = (l.page_size, page) {
            if l.path != "Quotes" {
                req = req.query("pageSize", size);
            }
        }
        if let Some(f) = l.filter {
            req = req.query("where", f);
        }
        if l.archived {
            req = req.query("includeArchived", "true");
        }
        if let Some(at) = since {
            req = req.header("If-Modified-Since", &dates::format_rfc3339(at));
        }
        match req.send().await {
            Ok(r) => Ok(Some(r.into_body())),
            // Not Modified: nothing changed since the cursor.
            Err(e) if e.status() == Some(304) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// One page, its records found but not yet decoded. A body that is not JSON at all is
    /// fetched again, up to three times, then fails with a decode error naming the endpoint.
    async fn fetch_page(
        &self,
        l: Listing,
        since: Option<DateTime<Utc>>,
        page: Option<u32>,
    ) -> Result<Page> {
        let mut attempt = 0;
        loop {
            let Some(body) = self.fetch_raw(l, since, page).await? else {
                return Ok(Page::default());
            };
            let failed = |message: String| {
                Error::decode(message)
                    .with_connector(NAME)
                    .with_operation(format!("GET /{}", l.path))
            };
            match Page::parse(body, l.collection) {
                Ok(p) => return Ok(p),
                Err(PageError::NotAList) => {
                    return Err(failed(format!("`{}` in the answer is not a list", l.collection)));
                }
                Err(PageError::NotJson(e)) if attempt >= 3 => {
                    return Err(failed(format!("the answer is not JSON: {e}")));
                }
                Err(PageError::NotJson(e)) => {
                    attempt += 1;
                    tracing::warn!(endpoint = l.path, error = %e, attempt, "Xero sent a malformed page; fetching it again");
                }
            }
        }
    }

    /// Walks a listing as described in the module docs, converting each record with `conv`.
    fn walk<'a, E, W>(
        &'a self,
        l: Listing,
        mode: ReadMode,
        conv: fn(&W, &Ctx) -> Result<E>,
    ) -> BoxStream<'a, Result<Change<E>>>
    where
        E: Send + 'static,
        W: DeserializeOwned + wire::Listed + Send + 'static,
    {
        let (cursor, snapshot) = match &mode {
            ReadMode::Full => (Ok(XeroCursor::default()), true),
            ReadMode::Changes { since } => (
                since.as_ref().map(XeroCursor::parse).unwrap_or_else(|| Ok(XeroCursor::default())),
                false,
            ),
        };
        let cursor = match cursor {
            Ok(c) => c,
            Err(e) => return stream::iter([Err(e)]).boxed(),
        };
        let paged = l.page_size.is_some();
        let start = Walk {
            cursor,
            ctx: None,
            page: 1,
            done: false,
            snapshot,
            rows: None,
            full_page: false,
            before: None,
            tail: VecDeque::new(),
        };
        stream::unfold(start, move |mut st| async move {
            loop {
                if let Some(change) = st.tail.pop_front() {
                    return Some((change, st));
                }
                if let (Some(page), Some(ctx)) = (st.rows.as_mut(), st.ctx.as_ref()) {
                    if let Some(raw) = page.next_row() {
                        if let Some(change) = read_row(l, &mut st.cursor, ctx, raw, conv) {
                            return Some((Ok(change), st));
                        }
                        continue;
                    }
                    // The page is read: where the next one starts, and a checkpoint.
                    st.rows = None;
                    if !st.full_page {
                        st.done = true;
                    } else if st.cursor.at != st.before {
                        st.page = 1;
                    } else {
                        st.page += 1;
                    }
                    if st.cursor.at.is_some() {
                        st.tail.push_back(Ok(Change::Checkpoint(st.cursor.to_cursor())));
                    }
                    if st.done && st.snapshot {
                        st.tail.push_back(Ok(Change::SnapshotComplete));
                    }
                    continue;
                }
                if st.done {
                    return None;
                }
                if st.ctx.is_none() {
                    match self.ctx().await {
                        Ok(ctx) => st.ctx = Some(ctx),
                        Err(e) => {
                            st.done = true;
                            return Some((Err(e), st));
                        }
                    }
                }
                match self.fetch_page(l, st.cursor.at, paged.then_some(st.page)).await {
                    Ok(page) => {
                        st.full_page =
                            paged && l.page_size.is_some_and(|s| page.len() >= s as usize);
                        st.before = st.cursor.at;
                        st.rows = Some(page);
                    }
                    Err(e) => {
                        st.done = true;
                        return Some((Err(e), st));
                    }
                }
            }
        })
        .boxed()
    }

    fn items_listing() -> Listing {
        Listing {
            path: "Items",
            collection: "Items",
            id_field: "ItemID",
            filter: None,
            page_size: None,
            archived: false,
        }
    }

    fn caps(
        &self,
        entity: connector_core::EntityKind,
        deletes: DeleteSignal,
        page: Option<u32>,
    ) -> SourceCapabilities {
        SourceCapabilities::new(entity, ChangeDetection::Timestamp)
            .deletes(deletes)
            .page_size(page.map(|p| p as usize))
    }
}

/// One record of a page: `None` when this version was delivered already (a boundary record
/// read again), else the record converted or rejected naming the field. Either way the cursor
/// moves past it.
fn read_row<E, W>(
    l: Listing,
    cursor: &mut XeroCursor,
    ctx: &Ctx,
    raw: &[u8],
    conv: fn(&W, &Ctx) -> Result<E>,
) -> Option<Change<E>>
where
    W: DeserializeOwned + wire::Listed,
{
    let decoded = serde_json::from_slice::<W>(raw);
    let (id, at) = match &decoded {
        Ok(w) => (w.id().to_owned(), w.updated().and_then(|s| dates::parse_ms_json(s).ok())),
        // A record that does not fit: its id and time as far as they can be read.
        Err(_) => {
            let v: Value = serde_json::from_slice(raw).unwrap_or_default();
            let text = |f: &str| v.get(f).and_then(Value::as_str).map(str::to_owned);
            let at = text("UpdatedDateUTC").and_then(|s| dates::parse_ms_json(&s).ok());
            (text(l.id_field).unwrap_or_default(), at)
        }
    };
    if at.is_some_and(|at| cursor.seen(at, &id)) {
        return None;
    }
    let converted = decoded
        .map_err(|e| Error::decode(format!("{}: {e}", l.collection)))
        .and_then(|w| conv(&w, ctx));
    let change = match converted {
        Ok(rec) => Change::Upsert(rec),
        Err(e) => Change::Rejected(Rejected {
            key: (!id.is_empty()).then(|| id.clone()),
            payload: Some(String::from_utf8_lossy(raw).into_owned()),
            error: e.with_connector(NAME).with_record(id.clone()),
        }),
    };
    if let Some(at) = at {
        cursor.advance(at, &id);
    }
    Some(change)
}

fn customer_conv(w: &wire::Contact, ctx: &Ctx) -> Result<Customer> {
    convert::customer(w, ctx)
}
fn product_conv(w: &wire::Item, ctx: &Ctx) -> Result<Product> {
    convert::product(w, ctx)
}
fn invoice_conv(w: &wire::Invoice, ctx: &Ctx) -> Result<Invoice> {
    convert::invoice(w, ctx)
}
fn quote_conv(w: &wire::Quote, ctx: &Ctx) -> Result<Order> {
    convert::quote(w, ctx)
}

#[async_trait]
impl Source<Customer> for XeroSource {
    fn name(&self) -> &str {
        NAME
    }
    fn capabilities(&self) -> SourceCapabilities {
        self.caps(
            connector_core::EntityKind::Customer,
            DeleteSignal::Lifecycle,
            Some(self.page_size()),
        )
    }
    async fn check(&self) -> Result<()> {
        self.client.check().await
    }
    fn read(&self, mode: ReadMode) -> BoxStream<'_, Result<Change<Customer>>> {
        let l = Listing {
            path: "Contacts",
            collection: "Contacts",
            id_field: "ContactID",
            filter: None,
            page_size: Some(self.page_size()),
            archived: true,
        };
        self.walk(l, mode, customer_conv)
    }
}

#[async_trait]
impl Source<Product> for XeroSource {
    fn name(&self) -> &str {
        NAME
    }
    fn capabilities(&self) -> SourceCapabilities {
        self.caps(connector_core::EntityKind::Product, DeleteSignal::AbsenceOnly, None)
    }
    async fn check(&self) -> Result<()> {
        self.client.check().await
    }
    fn read(&self, mode: ReadMode) -> BoxStream<'_, Result<Change<Product>>> {
        self.walk(Self::items_listing(), mode, product_conv)
    }
}

#[async_trait]
impl Source<StockLevel> for XeroSource {
    fn name(&self) -> &str {
        NAME
    }
    /// Read in full whatever the mode: quantities change through transactions, which may
    /// not touch an item's `UpdatedDateUTC` (items come in one call).
    fn capabilities(&self) -> SourceCapabilities {
        self.caps(connector_core::EntityKind::StockLevel, DeleteSignal::AbsenceOnly, None)
            .changes(ChangeDetection::None)
    }
    async fn check(&self) -> Result<()> {
        self.client.check().await
    }
    fn read(&self, mode: ReadMode) -> BoxStream<'_, Result<Change<StockLevel>>> {
        // Untracked items are not stock: they are left out, not rejected.
        fn conv(w: &wire::Item, _ctx: &Ctx) -> Result<Option<StockLevel>> {
            convert::stock_level(w)
        }
        let _ = mode;
        self.walk(Self::items_listing(), ReadMode::Full, conv)
            .filter_map(|c| async move {
                match c {
                    Ok(Change::Upsert(None)) => None,
                    Ok(Change::Upsert(Some(s))) => Some(Ok(Change::Upsert(s))),
                    Ok(Change::Checkpoint(c)) => Some(Ok(Change::Checkpoint(c))),
                    Ok(Change::SnapshotComplete) => Some(Ok(Change::SnapshotComplete)),
                    Ok(Change::Rejected(r)) => Some(Ok(Change::Rejected(r))),
                    Ok(Change::Delete { key }) => Some(Ok(Change::Delete { key })),
                    Err(e) => Some(Err(e)),
                }
            })
            .boxed()
    }
}

#[async_trait]
impl Source<PriceList> for XeroSource {
    fn name(&self) -> &str {
        NAME
    }
    fn capabilities(&self) -> SourceCapabilities {
        SourceCapabilities::new(connector_core::EntityKind::PriceList, ChangeDetection::None)
            .deletes(DeleteSignal::AbsenceOnly)
            .page_size(None)
    }
    async fn check(&self) -> Result<()> {
        self.client.check().await
    }
    /// Xero keeps one sales price per item: the whole set is one price list, read in full
    /// whatever the mode (a change to one price changes the list).
    fn read(&self, _mode: ReadMode) -> BoxStream<'_, Result<Change<PriceList>>> {
        let fut = async move {
            let ctx = self.ctx().await?;
            let items = self.fetch_page(Self::items_listing(), None, None).await?;
            let mut list = PriceList {
                code: self.client.config().price_list_code.clone(),
                name: Some("Xero sales prices".to_owned()),
                currency: ctx.currency,
                tax_inclusive: false,
                valid_from: None,
                valid_to: None,
                customers: Vec::new(),
                entries: Vec::new(),
                meta: Default::default(),
            };
            let mut out = Vec::new();
            let mut items = items;
            while let Some(raw) = items.next_row() {
                match serde_json::from_slice::<wire::Item>(raw) {
                    Ok(i) => list.entries.extend(convert::price_entry(&i, &ctx)),
                    Err(e) => {
                        let v: Value = serde_json::from_slice(raw).unwrap_or_default();
                        out.push(Ok(Change::Rejected(Rejected {
                            key: v.get("ItemID").and_then(Value::as_str).map(str::to_owned),
                            payload: Some(String::from_utf8_lossy(raw).into_owned()),
                            error: Error::decode(format!("Items: {e}")).with_connector(NAME),
                        })));
                    }
                }
            }
            list.entries.sort_by(|a, b| a.sku.cmp(&b.sku));
            out.push(Ok(Change::Upsert(list)));
            out.push(Ok(Change::SnapshotComplete));
            Ok::<_, Error>(out)
        };
        stream::once(fut)
            .flat_map(|r| match r {
                Ok(v) => stream::iter(v).left_stream(),
                Err(e) => stream::iter(vec![Err(e)]).right_stream(),
            })
            .boxed()
    }
}

#[async_trait]
impl Source<Invoice> for XeroSource {
    fn name(&self) -> &str {
        NAME
    }
    fn capabilities(&self) -> SourceCapabilities {
        self.caps(
            connector_core::EntityKind::Invoice,
            DeleteSignal::Lifecycle,
            Some(self.page_size()),
        )
    }
    async fn check(&self) -> Result<()> {
        self.client.check().await
    }
    fn read(&self, mode: ReadMode) -> BoxStream<'_, Result<Change<Invoice>>> {
        let l = Listing {
            path: "Invoices",
            collection: "Invoices",
            id_field: "InvoiceID",
            filter: Some("Type==\"ACCREC\""),
            page_size: Some(self.page_size()),
            archived: false,
        };
        self.walk(l, mode, invoice_conv)
    }
}

#[async_trait]
impl Source<Order> for XeroSource {
    fn name(&self) -> &str {
        NAME
    }
    fn capabilities(&self) -> SourceCapabilities {
        self.caps(
            connector_core::EntityKind::Order,
            DeleteSignal::Lifecycle,
            Some(QUOTES_PAGE_SIZE),
        )
    }
    async fn check(&self) -> Result<()> {
        self.client.check().await
    }
    fn read(&self, mode: ReadMode) -> BoxStream<'_, Result<Change<Order>>> {
        let l = Listing {
            path: "Quotes",
            collection: "Quotes",
            id_field: "QuoteID",
            filter: None,
            page_size: Some(QUOTES_PAGE_SIZE),
            archived: false,
        };
        self.walk(l, mode, quote_conv)
    }
}

/// A sales rep as Xero knows them: an option of the rep tracking category.
pub async fn rep_options(client: &XeroClient) -> Result<Vec<String>> {
    let Some(cat) = client.config().rep_tracking_category.clone() else { return Ok(Vec::new()) };
    let body: Value = client
        .http()
        .await?
        .get("TrackingCategories")
        .operation("GET /TrackingCategories")
        .send_json()
        .await?;
    let cats = body["TrackingCategories"].as_array().cloned().unwrap_or_default();
    let found =
        cats.iter().find(|c| c["Name"].as_str() == Some(cat.as_str())).ok_or_else(|| {
            Error::new(
                ErrorKind::NotFound,
                format!("the Xero organisation has no tracking category {cat:?}"),
            )
        })?;
    Ok(found["Options"]
        .as_array()
        .map(|o| o.iter().filter_map(|o| o["Name"].as_str().map(str::to_owned)).collect())
        .unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundary_ids_stay_bounded_oldest_first() {
        let t0 = DateTime::from_timestamp_millis(1_700_000_000_000).unwrap();
        let t1 = t0 + ChronoDuration::milliseconds(100);
        let mut c = XeroCursor::default();
        for i in 0..=RECENT_IDS {
            c.advance(t0, &format!("old-{i:06}"));
        }
        for i in 0..RECENT_IDS {
            c.advance(t1, &format!("new-{i:06}"));
        }
        assert_eq!(c.recent.len(), RECENT_IDS);
        assert!(c.recent.values().all(|t| *t == t1), "the older ids went first");
        assert!(c.seen(t1, "new-000000"));

        // Every record in one instant: memory stays bounded, the cursor keeps its share.
        let mut c = XeroCursor::default();
        for i in 0..5 * RECENT_IDS {
            c.advance(t0, &format!("id-{i:06}"));
        }
        assert!(c.recent.len() <= 2 * RECENT_IDS);
        c.advance(t1, "late");
        let back = XeroCursor::parse(&c.to_cursor()).unwrap();
        assert_eq!(back.recent.len(), CURSOR_IDS);
        assert_eq!(back.recent.get("late"), Some(&t1), "the newest id is kept");
        assert_eq!(back.at, Some(t1));
    }
}
