//! Sources: `sync/CRM/Accounts` → Customer, `sync/Logistics/Items` → Product (with the VAT
//! percentages of `vat/VATCodes` and the default prices of `sync/Logistics/SalesItemPrices`),
//! `sync/Inventory/StockPositions` → StockLevel, `sync/Logistics/SalesItemPrices` →
//! PriceList (sync APIs, `sync`), and `salesinvoice/SalesInvoices` → Invoice,
//! `salesorder/GoodsDeliveries` → Shipment (standard endpoints read by `Modified`,
//! `modified`).

mod modified;
mod sync;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use connector_core::model::{Customer, Invoice, PriceList, Product, Shipment, StockLevel};
use connector_core::source::{
    Change, ChangeDetection, DeleteSignal, ReadMode, Rejected, Source, SourceCapabilities,
};
use connector_core::{EntityKind, Error, Result};
use futures_util::stream::{self, BoxStream, StreamExt};
use serde_json::Value;
use tokio::sync::OnceCell;

pub use modified::{ModifiedCursor, Walk};
pub use sync::SyncCursor;

use crate::client::{ExactClient, NAME};
use crate::convert;
use crate::lookups::ProductLookups;
use crate::wire::{self, entity_type};

/// `$select` of `crm/Accounts` (the standard entity: no `Timestamp`).
pub const ACCOUNT_FIELDS: &str = "ID,Code,Name,Email,Phone,Website,VATNumber,ChamberOfCommerce,AddressLine1,AddressLine2,Postcode,City,Country,Status,IsSales,Blocked,PaymentConditionSales,Language,MainContact,Created,Modified";
/// `$select` of `sync/CRM/Accounts`: [`ACCOUNT_FIELDS`] and the `Timestamp` cursor.
pub const SYNC_ACCOUNT_FIELDS: &str = "ID,Code,Name,Email,Phone,Website,VATNumber,ChamberOfCommerce,AddressLine1,AddressLine2,Postcode,City,Country,Status,IsSales,Blocked,PaymentConditionSales,Language,MainContact,Created,Modified,Timestamp";
/// `$select` of `sync/Logistics/Items` (no price or VAT percentage there: see
/// [`crate::lookups`]).
pub const ITEM_FIELDS: &str = "ID,Code,Description,ExtraDescription,Notes,Barcode,IsSalesItem,IsStockItem,IsPurchaseItem,ItemGroupCode,ItemGroupDescription,PictureUrl,Unit,SalesVatCode,CostPriceStandard,GrossWeight,StartDate,EndDate,Modified,Timestamp,FreeTextField_01,FreeTextField_02,FreeTextField_03,FreeTextField_04,FreeTextField_05,FreeTextField_06,FreeTextField_07,FreeTextField_08,FreeTextField_09,FreeTextField_10";
/// `$select` of `sync/Inventory/StockPositions`.
pub const STOCK_POSITION_FIELDS: &str = "ID,ItemId,ItemCode,Warehouse,WarehouseCode,CurrentStock,FreeStock,PlanningIn,PlanningOut,ReservedStock,Timestamp";
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

/// A lock, whether or not an earlier holder panicked (the state it guards stays usable).
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A row converted: a record, a row left out on purpose, or a rejection.
enum Conv<E> {
    Keep(E),
    Skip,
    /// Not the row's fault (what converting needs could not be read): the read ends with
    /// this error, before the page's checkpoint.
    Stop(Error),
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

impl ExactSource {
    /// A source over a connection.
    pub fn new(client: ExactClient) -> Self {
        Self { client, order_refs: Arc::new(Mutex::new(HashMap::new())) }
    }

    /// The connection.
    pub fn client(&self) -> &ExactClient {
        &self.client
    }

    /// The `YourRef` of a sales order (the source system's order number), cached.
    async fn order_ref(&self, number: i64) -> Result<Option<String>> {
        if let Some(r) = lock(&self.order_refs).get(&number) {
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
        lock(&self.order_refs).insert(number, r.clone());
        Ok(r)
    }

    fn caps(
        entity: EntityKind,
        changes: ChangeDetection,
        deletes: DeleteSignal,
        page: usize,
    ) -> SourceCapabilities {
        SourceCapabilities::new(entity, changes).deletes(deletes).page_size(page)
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
            SYNC_ACCOUNT_FIELDS,
            Some(entity_type::ACCOUNTS),
            mode,
            |a: wire::Account| async move {
                let customer = a.status.as_deref().is_some_and(|s| s.trim() == "C")
                    || a.is_sales == Some(true);
                if !customer {
                    return Ok(Conv::Skip);
                }
                convert::customer(&a, &[]).map(Conv::Keep)
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
    /// Items with their sales VAT percentage (`vat/VATCodes`) and, unless
    /// [`product_prices`](crate::ExactConfig::product_prices) is off, their default sales
    /// price (`sync/Logistics/SalesItemPrices`): both are read once per read, when the first
    /// item arrives.
    fn read(&self, mode: ReadMode) -> BoxStream<'_, Result<Change<Product>>> {
        let cfg = self.client.config();
        let (currency, prices) = (cfg.currency, cfg.product_prices);
        let variants = cfg.item_variants.clone();
        let lookups = Arc::new(OnceCell::<ProductLookups>::new());
        let client = &self.client;
        self.sync_walk(
            "sync/Logistics/Items",
            ITEM_FIELDS,
            Some(entity_type::ITEMS),
            mode,
            move |i: wire::Item| {
                let lookups = lookups.clone();
                let variants = variants.clone();
                async move {
                    let today = connector_core::http::now_utc().date_naive();
                    let found = match lookups
                        .get_or_try_init(|| ProductLookups::load(client, prices, currency, today))
                        .await
                    {
                        Ok(found) => found,
                        Err(e) => {
                            let e = e.context("reading the VAT codes and default prices");
                            return Ok(Conv::Stop(e));
                        }
                    };
                    let mut p = convert::product(&i, currency, found)?;
                    if let Some(v) = &variants {
                        convert::item_variants(&i, v, &mut p);
                    }
                    Ok(Conv::Keep(p))
                }
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
    /// Stock positions per item and warehouse: on hand `CurrentStock`, available
    /// `FreeStock`, reserved `ReservedStock`, incoming `PlanningIn`.
    fn read(&self, mode: ReadMode) -> BoxStream<'_, Result<Change<StockLevel>>> {
        self.sync_walk(
            "sync/Inventory/StockPositions",
            STOCK_POSITION_FIELDS,
            Some(entity_type::STOCK_POSITIONS),
            mode,
            |w: wire::StockPosition| async move { convert::stock_level(&w).map(Conv::Keep) },
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
