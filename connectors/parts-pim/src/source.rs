//! Orders read from Parts PIM. Over HTTP (`GET <orders_path>`): by number after the last one
//! read (`after`, keyset paging), changed at or after the cursor (`changed_since`); the
//! cursor is the newest `updated_at` read. With the file transport: the CSV files the PIM
//! exports into `folder/orders/` (`orders*.csv`, a row per order line, the rows of one order
//! together: [`ORDER_FILE_COLUMNS`]), read once settled; the cursor is the last file read
//! whole, and the next read moves the files up to it to `orders/processed/`.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use connector_core::http::HttpClient;
use connector_core::model::Order;
use connector_core::source::{
    ChangeDetection, Cursor, ReadMode, SourceCapabilities, end_at_first_error,
};
use connector_core::{Change, EntityKind, Error, Result, Source};
use connector_file::exchange::{Completion, FileLayout, Inbox, read_pending};
use futures_util::stream::{self, BoxStream, StreamExt};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::client::{self, NAME};
use crate::config::PartsPimConfig;

/// Orders per page.
pub const PAGE_SIZE: usize = 100;

/// How far behind the newest `updated_at` read a changes read starts again: orders come by
/// number, so one changed during a read, on a page already read, is older than the newest
/// seen; orders read again are unchanged for the ledger.
pub const CURSOR_OVERLAP: chrono::Duration = chrono::Duration::minutes(15);

/// The columns of an order file, as the PIM's export writes them (our assumed format).
pub const ORDER_FILE_COLUMNS: &[&str] = &[
    "number",
    "order_date",
    "updated_at",
    "currency",
    "employee_number",
    "payment_term",
    "payment_method",
    "note",
    "customer_number",
    "company_name",
    "first_name",
    "last_name",
    "email",
    "phone",
    "vat_number",
    "coc_number",
    "street",
    "postal_code",
    "city",
    "country",
    "sku",
    "description",
    "quantity",
    "unit_price",
    "discount_percent",
];

/// Reads orders from Parts PIM.
#[derive(Debug, Clone)]
pub struct PartsPimSource {
    config: PartsPimConfig,
    transport: Transport,
}

#[derive(Debug, Clone)]
enum Transport {
    Http(HttpClient),
    Files(Inbox),
}

#[derive(Deserialize)]
struct Page {
    orders: Vec<Value>,
    #[serde(default)]
    has_more: bool,
}

impl PartsPimSource {
    /// A source for the configuration: over HTTP, or from `folder/orders/` (created).
    pub fn new(config: PartsPimConfig) -> Result<Self> {
        let transport = match &config.folder {
            Some(folder) => Transport::Files(
                Inbox::new(folder.join("orders"), Completion::Settled(config.settle))
                    .map_err(|e| Error::config(format!("parts-pim: {}: {e}", folder.display())))?,
            ),
            None => Transport::Http(client::http(&config)?),
        };
        Ok(Self { config, transport })
    }

    /// The orders of the exported files after the committed cursor `since`.
    fn read_files<'a>(
        &'a self,
        inbox: &'a Inbox,
        since: Option<String>,
    ) -> BoxStream<'a, Result<Change<Order>>> {
        let layout = FileLayout {
            prefix: "orders",
            suffix: ".csv",
            delimiter: b',',
            column: str::to_ascii_lowercase,
            key: Some("number"),
            connector: NAME,
        };
        read_pending(inbox, layout, since, Arc::new(|rows| crate::order::order(&order_json(rows))))
    }
}

/// The rows of one order in a file as the interface's JSON order (schema `Order`).
fn order_json(rows: &[Map<String, Value>]) -> Value {
    let first = &rows[0];
    let pick = |row: &Map<String, Value>, cols: &[&str]| -> Map<String, Value> {
        cols.iter()
            .filter_map(|c| {
                let v = row.get(*c)?.as_str()?.trim();
                (!v.is_empty()).then(|| ((*c).to_owned(), Value::from(v)))
            })
            .collect()
    };
    let mut order = pick(
        first,
        &[
            "number",
            "order_date",
            "updated_at",
            "currency",
            "employee_number",
            "payment_term",
            "payment_method",
            "note",
        ],
    );
    let mut customer = pick(
        first,
        &["company_name", "first_name", "last_name", "email", "phone", "vat_number", "coc_number"],
    );
    if let Some(n) =
        first.get("customer_number").filter(|v| v.as_str().is_some_and(|s| !s.trim().is_empty()))
    {
        customer.insert("number".into(), n.clone());
    }
    order.insert("customer".into(), Value::Object(customer));
    order.insert(
        "billing_address".into(),
        Value::Object(pick(first, &["street", "postal_code", "city", "country"])),
    );
    let lines = rows
        .iter()
        .map(|r| {
            Value::Object(pick(
                r,
                &["sku", "description", "quantity", "unit_price", "discount_percent"],
            ))
        })
        .collect();
    order.insert("lines".into(), Value::Array(lines));
    Value::Object(order)
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
        let http = match &self.transport {
            Transport::Http(h) => h,
            Transport::Files(inbox) => {
                return inbox.ready().map(|_| ()).map_err(|e| {
                    Error::new(connector_core::ErrorKind::Transport, e.to_string())
                        .with_connector(NAME)
                });
            }
        };
        let _: Value = http
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
        let http = match &self.transport {
            Transport::Http(h) => h,
            Transport::Files(inbox) => return self.read_files(inbox, since),
        };
        let full = matches!(mode, ReadMode::Full);
        let newest = Arc::new(Mutex::new(None::<DateTime<Utc>>));
        let seen = newest.clone();
        let path = self.config.orders_path.trim_start_matches('/').to_owned();
        let pages = stream::unfold(Some(None::<String>), move |state| {
            let (since, path) = (since.clone(), path.clone());
            async move {
                let after = state?;
                let mut req = http.get(&path).query("limit", PAGE_SIZE).operation("GET orders");
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
                tail.push(Ok(Change::Checkpoint(Cursor::new((at - CURSOR_OVERLAP).to_rfc3339()))));
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
