//! AccountView's file transport, for installations without AccountView.Net: the files its
//! export and import definitions trade in a watched folder.
//!
//! - `export/` is read: CSV files AccountView's export definitions write, `;`-separated,
//!   UTF-8, a header row of AccountView's column names (those of the REST tables):
//!   `debtors*.csv` (CONTACT), `articles*.csv` (ARTICLE: products), `stock*.csv` (ART_CODE,
//!   STOCK, RESERVED) and
//!   `orders*.csv` (one row per order line: ART_HDR's columns and ART_LINE's, the rows of
//!   one order one after the other; an order with a row that cannot be read is refused
//!   whole). AccountView leaves no marker, so a file is read once its size has stood still
//!   for `settle_seconds`. After each file read whole comes a checkpoint naming the files
//!   read (name, size, change time); the next read moves exactly those, unchanged, to
//!   `export/processed/`, and a file that is not CSV moves to `export/failed/` with why.
//! - `import/` is written: `debtors-….csv` (CONTACT's columns) and `orders-….csv` (one row
//!   per order line), one per batch, each written whole and renamed into place
//!   (`connector_file::exchange`), for import definitions with the same columns. A batch's
//!   file is named after its records, so a retried batch whose file still waits is not
//!   delivered twice.
//!
//! Files carry no lookups: a flow's ledger keeps a record from being written twice.

use std::sync::Arc;

use async_trait::async_trait;
use connector_core::model::{Currency, Customer, Order, Product, StockLevel};
use connector_core::sink::{
    Found, LookupKey, Outcome, SinkCapabilities, WriteAction, WriteOutcome, WriteRequest,
};
use connector_core::source::{Change, ChangeDetection, ReadMode, SourceCapabilities};
use connector_core::{EntityKind, Error, ErrorKind, Result, Sink, Source};
use connector_file::exchange::{
    Completion, FileLayout, Inbox, Outbox, Records, batch_name, deliver_once, read_pending,
};
use futures_util::stream::BoxStream;
use serde_json::{Map, Value};

use crate::client::NAME;
use crate::config::AccountViewConfig;
use crate::timezone::TimeZone;
use crate::{convert, order};

/// The field separator of the files.
pub const DELIMITER: u8 = b';';

/// The columns of an orders file: the header's, then the line's.
const ORDER_COLUMNS: &[&str] = &[
    "SUB_NR",
    "EXT_ID",
    "ORD_DATE",
    "DEL_DATE",
    "CUR_CODE",
    "DISC_CODE",
    "DD_ACT",
    "COMMENT2",
    "ART_CODE",
    "ART_DESC1",
    "ART_QTY",
    "ART_PX",
    "DISC_PCT",
];

/// AccountView through its import and export files.
#[derive(Debug, Clone)]
pub struct AccountViewFiles {
    inbox: Inbox,
    outbox: Outbox,
    currency: Currency,
    zone: TimeZone,
}

fn io_error(what: &str, e: std::io::Error) -> Error {
    Error::new(ErrorKind::Transport, format!("{what}: {e}")).with_connector(NAME)
}

impl AccountViewFiles {
    /// The file transport of `config` (its `folder`); interrupted deliveries into `import/`
    /// are cleared (their records were never acknowledged and are written again).
    pub fn new(config: &AccountViewConfig) -> Result<Self> {
        let folder = config.folder.as_deref().ok_or_else(|| {
            Error::config("accountview: the file transport needs a folder").with_connector(NAME)
        })?;
        let completion = Completion::Settled(config.settle);
        let inbox = Inbox::new(folder.join("export"), completion)
            .map_err(|e| io_error(&format!("the folder {}", folder.display()), e))?;
        let outbox = Outbox::new(folder.join("import"))
            .and_then(|o| o.recover().map(|_| o))
            .map_err(|e| io_error(&format!("the folder {}", folder.display()), e))?;
        Ok(Self { inbox, outbox, currency: config.currency, zone: config.timezone })
    }

    /// The changes of the exported files `<prefix>*.csv` after the committed cursor, each
    /// row (or, with `key`, each run of rows with the same key) through `records`.
    fn read_files<E: Send + 'static>(
        &self,
        prefix: &'static str,
        key: Option<&'static str>,
        mode: &ReadMode,
        records: Records<E>,
    ) -> BoxStream<'_, Result<Change<E>>> {
        let since = match mode {
            ReadMode::Changes { since: Some(c) } => Some(c.as_str().to_owned()),
            _ => None,
        };
        let layout = FileLayout {
            prefix,
            suffix: ".csv",
            delimiter: DELIMITER,
            column: str::to_ascii_uppercase,
            key,
            connector: NAME,
        };
        read_pending(&self.inbox, layout, since, records)
    }

    /// Delivers `rows` under `header` as one `import/<kind>-….csv`.
    fn deliver(
        &self,
        kind: &str,
        header: &[&str],
        rows: &[Vec<String>],
        keys: &[(WriteRequest<()>, String)],
    ) -> Result<String> {
        let mut w = csv::WriterBuilder::new().delimiter(DELIMITER).from_writer(Vec::new());
        let written = w
            .write_record(header)
            .and_then(|()| rows.iter().try_for_each(|r| w.write_record(r)))
            .map_err(|e| Error::internal(format!("writing CSV: {e}")));
        written?;
        let bytes = w.into_inner().map_err(|e| Error::internal(format!("writing CSV: {e}")))?;
        let name = batch_name(kind, "csv", keys.iter().map(|(r, _)| r.idempotency_key.as_str()));
        deliver_once(&self.outbox, &name, &bytes, false)
            .map_err(|e| io_error(&format!("delivering {name}"), e))?;
        Ok(name)
    }
}

macro_rules! file_source {
    ($entity:ty, $kind:expr, $detection:expr) => {
        #[async_trait]
        impl Source<$entity> for AccountViewFiles {
            fn name(&self) -> &str {
                NAME
            }
            fn capabilities(&self) -> SourceCapabilities {
                SourceCapabilities::new($kind, $detection)
            }
            async fn check(&self) -> Result<()> {
                self.inbox.ready().map(|_| ()).map_err(|e| io_error("reading export/", e))
            }
            fn read(&self, mode: ReadMode) -> BoxStream<'_, Result<Change<$entity>>> {
                Reader::<$entity>::read(self, mode)
            }
        }
    };
}

/// How each entity is read from its files.
trait Reader<E> {
    fn read(&self, mode: ReadMode) -> BoxStream<'_, Result<Change<E>>>;
}

impl Reader<Customer> for AccountViewFiles {
    fn read(&self, mode: ReadMode) -> BoxStream<'_, Result<Change<Customer>>> {
        let zone = self.zone;
        self.read_files("debtors", None, &mode, Arc::new(move |r| convert::customer(&r[0], zone)))
    }
}

impl Reader<Product> for AccountViewFiles {
    fn read(&self, mode: ReadMode) -> BoxStream<'_, Result<Change<Product>>> {
        let (currency, zone) = (self.currency, self.zone);
        self.read_files(
            "articles",
            None,
            &mode,
            Arc::new(move |r| convert::product(&r[0], currency, zone)),
        )
    }
}

/// Stock comes in files of its own (`stock*.csv`, ART_CODE with STOCK and RESERVED): a
/// file is moved on once read, so products and stock cannot share one.
impl Reader<StockLevel> for AccountViewFiles {
    fn read(&self, mode: ReadMode) -> BoxStream<'_, Result<Change<StockLevel>>> {
        self.read_files("stock", None, &mode, Arc::new(|r| convert::stock(&r[0])))
    }
}

impl Reader<Order> for AccountViewFiles {
    fn read(&self, mode: ReadMode) -> BoxStream<'_, Result<Change<Order>>> {
        let currency = self.currency;
        let records: Records<Order> = Arc::new(move |rows: &[Map<String, Value>]| {
            let lines: Vec<&Map<String, Value>> = rows.iter().collect();
            order::order(&rows[0], &lines, currency)
        });
        self.read_files("orders", Some("ORD_NR"), &mode, records)
    }
}

file_source!(Customer, EntityKind::Customer, ChangeDetection::RowVersion);
file_source!(Product, EntityKind::Product, ChangeDetection::RowVersion);
file_source!(StockLevel, EntityKind::StockLevel, ChangeDetection::RowVersion);
file_source!(Order, EntityKind::Order, ChangeDetection::RowVersion);

fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => if *b { "T" } else { "F" }.to_owned(),
        other => other.to_string(),
    }
}

/// Every request's outcome once its file is delivered (or not).
fn delivered(
    result: &Result<String>,
    sent: Vec<(WriteRequest<()>, String)>,
    out: &mut Vec<WriteOutcome>,
) {
    for (r, id) in sent {
        let outcome = match result {
            Ok(_) if r.is_create => Outcome::Created { target_id: id },
            Ok(_) => Outcome::Updated { target_id: id },
            Err(e) => Outcome::Failed {
                error: Error::new(e.kind(), e.message().to_owned())
                    .with_connector(NAME)
                    .with_record(r.key.clone()),
            },
        };
        out.push(WriteOutcome::new(r.key, outcome));
    }
}

fn refused(key: &str, field: String, why: String) -> WriteOutcome {
    let error = Error::invalid_field(field, why).with_connector(NAME).with_record(key.to_owned());
    WriteOutcome::new(key.to_owned(), Outcome::Failed { error })
}

fn skipped(r: &WriteRequest<impl Send>, reason: &str) -> WriteOutcome {
    WriteOutcome::new(
        r.key.clone(),
        Outcome::Skipped { reason: reason.into(), target_id: r.target_id.clone() },
    )
}

fn bare<E>(r: &WriteRequest<E>) -> WriteRequest<()> {
    WriteRequest {
        idempotency_key: r.idempotency_key.clone(),
        key: r.key.clone(),
        target_id: r.target_id.clone(),
        action: WriteAction::Upsert(()),
        is_create: r.is_create,
    }
}

#[async_trait]
impl Sink<Customer> for AccountViewFiles {
    fn name(&self) -> &str {
        NAME
    }
    fn capabilities(&self) -> SinkCapabilities {
        SinkCapabilities::new(EntityKind::Customer).max_batch(500).natural_key("number")
    }
    async fn check(&self) -> Result<()> {
        Ok(())
    }
    async fn find(&self, _key: &LookupKey) -> Result<Option<Found<Customer>>> {
        Ok(None)
    }
    /// One `debtors-….csv` per batch with every column of a debtor write (an update's
    /// empty cells are for the import definition to leave alone).
    async fn write(&self, batch: Vec<WriteRequest<Customer>>) -> Result<Vec<WriteOutcome>> {
        let mut out = Vec::new();
        let mut sent = Vec::new();
        let mut lines = Vec::new();
        for r in &batch {
            let WriteAction::Upsert(c) = &r.action else {
                out.push(skipped(r, "debtors are blocked in AccountView, not here"));
                continue;
            };
            let number = r.target_id.clone().or_else(|| c.number.clone());
            let Some(number) = number.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty()) else {
                out.push(refused(
                    &r.key,
                    "number".into(),
                    "a debtor needs a number (SUB_NR)".into(),
                ));
                continue;
            };
            match crate::sink::debtor_row(c, &number, r.target_id.is_none()) {
                Err((field, why)) => out.push(refused(&r.key, field, why)),
                Ok(row) => {
                    let line = crate::sink::COLUMNS
                        .iter()
                        .map(|(col, _)| {
                            row.iter()
                                .find(|(c, _)| c == col)
                                .map(|(_, v)| cell(v))
                                .unwrap_or_default()
                        })
                        .collect();
                    lines.push(line);
                    sent.push((bare(r), number));
                }
            }
        }
        if !lines.is_empty() {
            let header: Vec<&str> = crate::sink::COLUMNS.iter().map(|(c, _)| *c).collect();
            let result = self.deliver("debtors", &header, &lines, &sent);
            delivered(&result, sent, &mut out);
        }
        Ok(out)
    }
}

#[async_trait]
impl Sink<Order> for AccountViewFiles {
    fn name(&self) -> &str {
        NAME
    }
    fn capabilities(&self) -> SinkCapabilities {
        SinkCapabilities::new(EntityKind::Order).max_batch(100).natural_key("number")
    }
    async fn check(&self) -> Result<()> {
        Ok(())
    }
    async fn find(&self, _key: &LookupKey) -> Result<Option<Found<Order>>> {
        Ok(None)
    }
    /// One `orders-….csv` per batch, a row per order line with its order's columns.
    async fn write(&self, batch: Vec<WriteRequest<Order>>) -> Result<Vec<WriteOutcome>> {
        let mut out = Vec::new();
        let mut sent = Vec::new();
        let mut lines = Vec::new();
        for r in &batch {
            let WriteAction::Upsert(o) = &r.action else {
                out.push(skipped(r, "orders are cancelled in AccountView, not here"));
                continue;
            };
            if r.target_id.is_some() {
                out.push(skipped(
                    r,
                    "an order is placed once; changes to it are made in AccountView",
                ));
                continue;
            }
            let debtor = o.party.customer.id.clone().or_else(|| o.party.customer.key.clone());
            let Some(debtor) = debtor.filter(|d| !d.trim().is_empty()) else {
                out.push(refused(
                    &r.key,
                    "party.customer.id".into(),
                    "the order has no debtor".into(),
                ));
                continue;
            };
            let payload = match order::payload(
                o,
                debtor.trim(),
                "file",
                self.zone.to_local(chrono::Utc::now()).date(),
            ) {
                Ok(p) => p,
                Err((field, why)) => {
                    out.push(refused(&r.key, field, why));
                    continue;
                }
            };
            lines.extend(order_rows(&payload));
            sent.push((bare(r), o.number.clone().unwrap_or_default()));
        }
        if !lines.is_empty() {
            let result = self.deliver("orders", ORDER_COLUMNS, &lines, &sent);
            delivered(&result, sent, &mut out);
        }
        Ok(out)
    }
}

/// The file rows of an order payload: per line, its order's header values and its own.
fn order_rows(payload: &Value) -> Vec<Vec<String>> {
    let names = |def: &Value| -> Vec<String> {
        def["Fields"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|f| f["Name"].as_str().map(str::to_owned))
            .collect()
    };
    let header_names = names(&payload["Table"]["Definition"]);
    let line_names = names(&payload["Table"]["DetailDefinitions"][0]);
    let header_values = &payload["TableData"]["Data"]["Rows"][0]["Values"];
    let value = |names: &[String], values: &Value, col: &str| {
        names.iter().position(|n| n == col).map(|i| cell(&values[i]))
    };
    payload["TableData"]["DetailData"][0]["Rows"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|line| {
            ORDER_COLUMNS
                .iter()
                .map(|col| {
                    value(&header_names, header_values, col)
                        .or_else(|| value(&line_names, &line["Values"], col))
                        .unwrap_or_default()
                })
                .collect()
        })
        .collect()
}
