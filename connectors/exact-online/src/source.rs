//! Sources: `sync/CRM/Accounts` → Customer, `sync/Logistics/Items` → Product,
//! `sync/Inventory/ItemWarehouses` → StockLevel, `sync/Logistics/SalesItemPrices` →
//! PriceList (sync APIs: 1,000-row pages, mandatory `$select`, the Int64 `Timestamp`
//! cursor, `sync/Deleted` for deletions), and `salesinvoice/SalesInvoices` → Invoice,
//! `salesorder/GoodsDeliveries` → Shipment (standard endpoints: 60-row pages, `$expand` of the
//! lines, `Modified ge datetime'…'`).
//!
//! Sync cursor: `<highest entity Timestamp>|<highest sync/Deleted Timestamp>`. Modified
//! cursor: `<Modified, epoch ms>|<ids at that instant>` (the boundary is inclusive; records
//! at it are skipped by id).

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::DateTime;
use connector_core::model::{Customer, Invoice, PriceList, Product, Shipment, StockLevel};
use connector_core::source::{
    Change, ChangeDetection, Cursor, DeleteSignal, ReadMode, Rejected, Source, SourceCapabilities,
};
use connector_core::{EntityKind, Error, Result};
use futures_util::stream::{self, BoxStream, StreamExt};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::client::{ExactClient, NAME};
use crate::convert;
use crate::wire::{self, entity_type};

/// `$select` of `sync/CRM/Accounts`.
pub const ACCOUNT_FIELDS: &str = "ID,Code,Name,Email,Phone,Website,VATNumber,ChamberOfCommerce,AddressLine1,AddressLine2,Postcode,City,Country,Status,IsSales,Blocked,PaymentConditionSales,Language,MainContact,Created,Modified,Timestamp";
/// `$select` of `sync/Logistics/Items`.
pub const ITEM_FIELDS: &str = "ID,Code,Description,ExtraDescription,Notes,Barcode,IsSalesItem,IsStockItem,IsPurchaseItem,ItemGroupCode,ItemGroupDescription,PictureUrl,Unit,SalesVatCode,SalesVatCodePercentage,CostPriceStandard,StandardSalesPrice,GrossWeight,StartDate,EndDate,Modified,Timestamp,FreeTextField_01,FreeTextField_02,FreeTextField_03,FreeTextField_04,FreeTextField_05,FreeTextField_06,FreeTextField_07,FreeTextField_08,FreeTextField_09,FreeTextField_10";
/// `$select` of `sync/Inventory/ItemWarehouses`.
pub const ITEM_WAREHOUSE_FIELDS: &str = "ID,Item,ItemCode,Warehouse,WarehouseCode,CurrentStock,ReservedStock,PlannedStockIn,PlannedStockOut,Modified,Timestamp";
/// `$select` of `sync/Logistics/SalesItemPrices`.
pub const PRICE_FIELDS: &str =
    "ID,Item,ItemCode,Account,Currency,Price,Quantity,Unit,StartDate,EndDate,Timestamp";
const INVOICE_FIELDS: &str = "InvoiceID,InvoiceNumber,OrderedBy,OrderedByName,InvoiceDate,DueDate,Currency,AmountFC,VATAmountFC,Status,YourRef,Description,Modified,SalesInvoiceLines";
const DELIVERY_FIELDS: &str = "EntryID,DeliveryNumber,DeliveryDate,DeliveryAccount,TrackingNumber,ShippingMethodCode,ShippingMethodDescription,Description,Modified,GoodsDeliveryLines";

/// Reads every Exact Online dataset. One value implements [`Source`] for each canonical
/// entity.
#[derive(Debug, Clone)]
pub struct ExactSource {
    client: ExactClient,
    order_refs: Arc<Mutex<HashMap<i64, Option<String>>>>,
}

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

/// Where a `Modified` listing stands.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModifiedCursor {
    /// The newest `Modified` delivered, epoch ms.
    pub at: Option<i64>,
    /// Ids delivered at exactly `at`.
    pub ids: BTreeSet<String>,
}

impl ModifiedCursor {
    /// Parses `<ms>|<id>,<id>`.
    pub fn parse(c: &Cursor) -> Result<Self> {
        let s = c.as_str().trim();
        if s.is_empty() {
            return Ok(Self::default());
        }
        let (a, ids) = s.split_once('|').unwrap_or((s, ""));
        let at =
            a.parse().map_err(|_| Error::decode(format!("not an Exact Online cursor: {s:?}")))?;
        Ok(Self {
            at: Some(at),
            ids: ids.split(',').filter(|i| !i.is_empty()).map(str::to_owned).collect(),
        })
    }

    /// The cursor's text.
    pub fn to_cursor(&self) -> Cursor {
        match self.at {
            None => Cursor::new(""),
            Some(at) => Cursor::new(format!(
                "{at}|{}",
                self.ids.iter().cloned().collect::<Vec<_>>().join(",")
            )),
        }
    }

    fn advance(&mut self, at: i64, id: &str) {
        match self.at {
            Some(cur) if at < cur => {}
            Some(cur) if at == cur => {
                self.ids.insert(id.to_owned());
            }
            _ => {
                self.at = Some(at);
                self.ids.clear();
                self.ids.insert(id.to_owned());
            }
        }
    }
}

/// A row converted: a record, a row left out on purpose, or a rejection.
enum Conv<E> {
    Keep(E),
    Skip,
}

fn rejected<E>(raw: &Value, id_field: &str, e: Error) -> Change<E> {
    let id = raw.get(id_field).and_then(Value::as_str).map(str::to_owned);
    let key = raw
        .get("Code")
        .or_else(|| raw.get("ItemCode"))
        .and_then(Value::as_str)
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .or(id);
    let mut error = e.with_connector(NAME);
    if let Some(k) = &key {
        error = error.with_record(k.clone());
    }
    Change::Rejected(Rejected { key, payload: Some(raw.to_string()), error })
}

fn stop_after_error<'a, T: Send + 'a>(s: BoxStream<'a, Result<T>>) -> BoxStream<'a, Result<T>> {
    s.scan(false, |failed, item| {
        let out = if *failed { None } else { Some(item) };
        if matches!(out, Some(Err(_))) {
            *failed = true;
        }
        futures_util::future::ready(out)
    })
    .boxed()
}

impl ExactSource {
    /// A source over a connection.
    pub fn new(client: ExactClient) -> Self {
        Self { client, order_refs: Arc::new(Mutex::new(HashMap::new())) }
    }

    /// The connection.
    pub fn client(&self) -> &ExactClient {
        &self.client
    }

    /// Walks a sync listing and, for changes, the matching `sync/Deleted` entries.
    fn sync_walk<'a, E, W, F>(
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
        F: Fn(&W) -> Result<Conv<E>> + Send + Sync + 'static,
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
        let entities = self
            .client
            .pages(
                path,
                vec![
                    ("$select", select.to_owned()),
                    ("$filter", format!("Timestamp gt {}L", start.timestamp)),
                ],
            )
            .map(move |page| -> Vec<Result<Change<E>>> {
                let rows = match page {
                    Ok(r) => r,
                    Err(e) => return vec![Err(e)],
                };
                let mut out = Vec::with_capacity(rows.len() + 1);
                let mut cur = *st.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                for raw in rows {
                    if let Some(ts) = raw.get("Timestamp").and_then(timestamp_of) {
                        cur.timestamp = cur.timestamp.max(ts);
                    }
                    let converted = serde_json::from_value::<W>(raw.clone())
                        .map_err(|e| Error::decode(format!("{path}: {e}")))
                        .and_then(|w| conv(&w));
                    match converted {
                        Ok(Conv::Keep(rec)) => out.push(Ok(Change::Upsert(rec))),
                        Ok(Conv::Skip) => {}
                        Err(e) => out.push(Ok(rejected(&raw, "ID", e))),
                    }
                }
                *st.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = cur;
                out.push(Ok(Change::Checkpoint(cur.to_cursor())));
                out
            })
            .flat_map(stream::iter)
            .boxed();
        let tail: BoxStream<'a, Result<Change<E>>> = match (full, deleted_type) {
            (true, _) | (false, None) => {
                let st = state;
                stream::once(async move {
                    let mut cur = *st.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                    // A snapshot covers every earlier delete.
                    cur.deleted = cur.deleted.max(cur.timestamp);
                    let mut v = vec![Ok(Change::Checkpoint(cur.to_cursor()))];
                    if full {
                        v.push(Ok(Change::SnapshotComplete));
                    }
                    v
                })
                .flat_map(stream::iter)
                .boxed()
            }
            (false, Some(kind)) => {
                let st = state;
                self.client
                    .pages(
                        "sync/Deleted",
                        vec![
                            ("$select", "ID,EntityKey,EntityType,DeletedDate,Timestamp".to_owned()),
                            (
                                "$filter",
                                format!("Timestamp gt {}L and EntityType eq {kind}", start.deleted),
                            ),
                        ],
                    )
                    .map(move |page| -> Vec<Result<Change<E>>> {
                        let rows = match page {
                            Ok(r) => r,
                            Err(e) => return vec![Err(e)],
                        };
                        let mut out = Vec::with_capacity(rows.len() + 1);
                        let mut cur = *st.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
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
                        *st.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = cur;
                        out.push(Ok(Change::Checkpoint(cur.to_cursor())));
                        out
                    })
                    .flat_map(stream::iter)
                    .boxed()
            }
        };
        stop_after_error(entities.chain(tail).boxed())
    }

    /// Walks a standard listing ordered by `Modified`, from the cursor (inclusive), with
    /// the lines expanded.
    fn modified_walk<'a, E, W, F, Fut>(
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
        let mut query = vec![
            ("$select", select.to_owned()),
            ("$expand", expand.to_owned()),
            ("$orderby", "Modified asc".to_owned()),
        ];
        if let Some(at) = start.at.and_then(DateTime::from_timestamp_millis) {
            query.push((
                "$filter",
                format!("Modified ge datetime'{}'", at.naive_utc().format("%Y-%m-%dT%H:%M:%S%.3f")),
            ));
        }
        let state = Arc::new(Mutex::new(start.clone()));
        let conv = Arc::new(conv);
        let st = state;
        let body = self
            .client
            .pages(path, query)
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
                        if let Some(at) = at {
                            if start.at == Some(at) && start.ids.contains(&id) {
                                continue;
                            }
                        }
                        let converted = match serde_json::from_value::<W>(raw.clone()) {
                            Ok(w) => conv(w).await,
                            Err(e) => Err(Error::decode(format!("{path}: {e}"))),
                        };
                        match converted {
                            Ok(rec) => out.push(Ok(Change::Upsert(rec))),
                            Err(e) => out.push(Ok(rejected(&raw, id_field, e))),
                        }
                        if let Some(at) = at {
                            st.lock()
                                .unwrap_or_else(std::sync::PoisonError::into_inner)
                                .advance(at, &id);
                        }
                    }
                    let cur = st.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
                    if cur.at.is_some() {
                        out.push(Ok(Change::Checkpoint(cur.to_cursor())));
                    }
                    out
                }
            })
            .flat_map(stream::iter)
            .boxed();
        let tail = stream::iter(full.then_some(Ok(Change::SnapshotComplete)));
        stop_after_error(body.chain(tail).boxed())
    }

    /// The `YourRef` of a sales order (the source system's order number), cached.
    async fn order_ref(&self, number: i64) -> Result<Option<String>> {
        if let Some(r) =
            self.order_refs.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(&number)
        {
            return Ok(r.clone());
        }
        let row = self
            .client
            .first(
                "salesorder/SalesOrders",
                "OrderID,OrderNumber,YourRef",
                Some(&format!("OrderNumber eq {number}")),
            )
            .await?;
        let r = row
            .and_then(|r| {
                r.get("YourRef").and_then(Value::as_str).map(str::trim).map(str::to_owned)
            })
            .filter(|s| !s.is_empty());
        self.order_refs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(number, r.clone());
        Ok(r)
    }

    fn caps(
        entity: EntityKind,
        changes: ChangeDetection,
        deletes: DeleteSignal,
        page: usize,
    ) -> SourceCapabilities {
        SourceCapabilities { entity, changes, deletes, page_size: Some(page) }
    }
}

fn timestamp_of(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().trim_end_matches('L').parse().ok(),
        _ => None,
    }
}

#[async_trait]
impl Source<Customer> for ExactSource {
    fn name(&self) -> &str {
        NAME
    }
    fn capabilities(&self) -> SourceCapabilities {
        Self::caps(
            EntityKind::Customer,
            ChangeDetection::RowVersion,
            DeleteSignal::Tombstones,
            1000,
        )
    }
    async fn check(&self) -> Result<()> {
        self.client.check().await
    }
    /// Accounts with `Status` `C` (customers) or `IsSales`; others are left out.
    fn read(&self, mode: ReadMode) -> BoxStream<'_, Result<Change<Customer>>> {
        self.sync_walk(
            "sync/CRM/Accounts",
            ACCOUNT_FIELDS,
            Some(entity_type::ACCOUNTS),
            mode,
            |a: &wire::Account| {
                let customer = a.status.as_deref().is_some_and(|s| s.trim() == "C")
                    || a.is_sales == Some(true);
                if !customer {
                    return Ok(Conv::Skip);
                }
                convert::customer(a, &[]).map(Conv::Keep)
            },
        )
    }
}

#[async_trait]
impl Source<Product> for ExactSource {
    fn name(&self) -> &str {
        NAME
    }
    fn capabilities(&self) -> SourceCapabilities {
        Self::caps(EntityKind::Product, ChangeDetection::RowVersion, DeleteSignal::Tombstones, 1000)
    }
    async fn check(&self) -> Result<()> {
        self.client.check().await
    }
    fn read(&self, mode: ReadMode) -> BoxStream<'_, Result<Change<Product>>> {
        let currency = self.client.config().currency;
        let variants = self.client.config().item_variants.clone();
        self.sync_walk(
            "sync/Logistics/Items",
            ITEM_FIELDS,
            Some(entity_type::ITEMS),
            mode,
            move |i: &wire::Item| {
                let mut p = convert::product(i, currency)?;
                if let Some(v) = &variants {
                    convert::item_variants(i, v, &mut p);
                }
                Ok(Conv::Keep(p))
            },
        )
    }
}

#[async_trait]
impl Source<StockLevel> for ExactSource {
    fn name(&self) -> &str {
        NAME
    }
    fn capabilities(&self) -> SourceCapabilities {
        Self::caps(
            EntityKind::StockLevel,
            ChangeDetection::RowVersion,
            DeleteSignal::Tombstones,
            1000,
        )
    }
    async fn check(&self) -> Result<()> {
        self.client.check().await
    }
    fn read(&self, mode: ReadMode) -> BoxStream<'_, Result<Change<StockLevel>>> {
        self.sync_walk(
            "sync/Inventory/ItemWarehouses",
            ITEM_WAREHOUSE_FIELDS,
            Some(entity_type::ITEM_WAREHOUSES),
            mode,
            |w: &wire::ItemWarehouse| convert::stock_level(w).map(Conv::Keep),
        )
    }
}

#[async_trait]
impl Source<PriceList> for ExactSource {
    fn name(&self) -> &str {
        NAME
    }
    fn capabilities(&self) -> SourceCapabilities {
        Self::caps(EntityKind::PriceList, ChangeDetection::None, DeleteSignal::AbsenceOnly, 1000)
    }
    async fn check(&self) -> Result<()> {
        self.client.check().await
    }
    /// The default sales prices (rows without an `Account`) as one price list, read in full
    /// whatever the mode: a change to one price changes the list. Account-specific prices
    /// are left out.
    fn read(&self, _mode: ReadMode) -> BoxStream<'_, Result<Change<PriceList>>> {
        let cfg = self.client.config();
        let list = PriceList {
            code: cfg.price_list_code.clone(),
            name: Some("Exact Online sales prices".to_owned()),
            currency: cfg.currency,
            tax_inclusive: false,
            valid_from: None,
            valid_to: None,
            customers: Vec::new(),
            entries: Vec::new(),
            meta: Default::default(),
        };
        let currency = cfg.currency;
        let pages = self.client.pages(
            "sync/Logistics/SalesItemPrices",
            vec![("$select", PRICE_FIELDS.to_owned()), ("$filter", "Timestamp gt 1L".to_owned())],
        );
        let fut = async move {
            let mut list = list;
            let mut out: Vec<Result<Change<PriceList>>> = Vec::new();
            let mut pages = pages;
            while let Some(page) = pages.next().await {
                for raw in page? {
                    let entry = serde_json::from_value::<wire::SalesItemPrice>(raw.clone())
                        .map_err(|e| Error::decode(format!("SalesItemPrices: {e}")))
                        .and_then(|p| {
                            if p.account.as_deref().is_some_and(|a| !a.trim().is_empty()) {
                                Ok(None)
                            } else {
                                convert::price_entry(&p, currency).map(Some)
                            }
                        });
                    match entry {
                        Ok(Some(e)) => list.entries.push(e),
                        Ok(None) => {}
                        Err(e) => out.push(Ok(rejected(&raw, "ID", e))),
                    }
                }
            }
            out.push(Ok(Change::Upsert(list)));
            out.push(Ok(Change::SnapshotComplete));
            Ok::<_, Error>(out)
        };
        stream::once(fut)
            .flat_map(|r| match r {
                Ok(v) => stream::iter(v),
                Err(e) => stream::iter(vec![Err(e)]),
            })
            .boxed()
    }
}

#[async_trait]
impl Source<Invoice> for ExactSource {
    fn name(&self) -> &str {
        NAME
    }
    fn capabilities(&self) -> SourceCapabilities {
        Self::caps(EntityKind::Invoice, ChangeDetection::Timestamp, DeleteSignal::AbsenceOnly, 60)
    }
    async fn check(&self) -> Result<()> {
        self.client.check().await
    }
    fn read(&self, mode: ReadMode) -> BoxStream<'_, Result<Change<Invoice>>> {
        let currency = self.client.config().currency;
        self.modified_walk(
            "salesinvoice/SalesInvoices",
            INVOICE_FIELDS,
            "SalesInvoiceLines",
            "InvoiceID",
            mode,
            move |w: wire::SalesInvoice| async move { convert::invoice(&w, currency) },
        )
    }
}

#[async_trait]
impl Source<Shipment> for ExactSource {
    fn name(&self) -> &str {
        NAME
    }
    fn capabilities(&self) -> SourceCapabilities {
        Self::caps(EntityKind::Shipment, ChangeDetection::Timestamp, DeleteSignal::AbsenceOnly, 60)
    }
    async fn check(&self) -> Result<()> {
        self.client.check().await
    }
    /// Each goods delivery is one shipment (a split delivery gives two, each with its own
    /// tracking code); the order number is the sales order's `YourRef`.
    fn read(&self, mode: ReadMode) -> BoxStream<'_, Result<Change<Shipment>>> {
        let template = self.client.config().tracking_url_template.clone();
        self.modified_walk(
            "salesorder/GoodsDeliveries",
            DELIVERY_FIELDS,
            "GoodsDeliveryLines",
            "EntryID",
            mode,
            move |g: wire::GoodsDelivery| {
                let template = template.clone();
                async move {
                    let so = g.goods_delivery_lines.0.iter().find_map(|l| l.sales_order_number);
                    let your_ref = match so {
                        Some(n) => self.order_ref(n).await?,
                        None => None,
                    };
                    convert::shipment(&g, your_ref, template.as_deref())
                }
            },
        )
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
        let mut m = ModifiedCursor::default();
        m.advance(10, "a");
        m.advance(10, "b");
        m.advance(5, "c");
        assert_eq!(m.to_cursor().as_str(), "10|a,b");
        m.advance(11, "c");
        assert_eq!(ModifiedCursor::parse(&m.to_cursor()).unwrap(), m);
    }
}
