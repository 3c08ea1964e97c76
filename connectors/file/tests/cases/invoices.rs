//! Invoices exported one line per row: grouping by number, exact decimals, and a bad line
//! rejecting its whole document with the line's row named.

use connector_core::model::{Invoice, InvoiceStatus, PriceList};
use connector_core::reexports::chrono::NaiveDate;
use connector_core::{Change, ErrorKind, ReadMode};
use connector_file::{FileConfig, FileSource};

use crate::support::{dec, fixture, keys, read_all, split};

#[tokio::test]
async fn rows_with_the_same_number_form_one_invoice_with_exact_decimals() {
    let source = FileSource::<Invoice>::new(FileConfig::new(fixture("invoices.csv")).unwrap());
    let changes = read_all(&source, ReadMode::Full).await;
    assert_eq!(changes.len(), 5, "3 invoices, 1 rejection, the snapshot end");
    assert!(matches!(changes.last(), Some(Change::SnapshotComplete)));
    let s = split(changes);
    assert_eq!(keys(&s.upserts), ["INV-1001", "INV-1002", "INV-1004"]);

    let [inv1, inv2, inv4] = &s.upserts[..] else { unreachable!() };
    assert_eq!(inv1.lines.len(), 2);
    assert_eq!(inv1.status, InvoiceStatus::Authorised);
    assert_eq!(inv1.currency.as_str(), "EUR");
    assert_eq!(inv1.issue_date, NaiveDate::from_ymd_opt(2026, 3, 1));
    assert_eq!(inv1.due_date, NaiveDate::from_ymd_opt(2026, 3, 31));
    assert_eq!(inv1.party.customer.key.as_deref(), Some("C-1"));
    assert_eq!(inv1.party.name.as_deref(), Some("Müller GmbH"));
    let l1 = &inv1.lines[0];
    assert_eq!(l1.line_no, Some(1));
    assert_eq!(l1.sku.as_deref(), Some("00123"));
    assert_eq!(l1.quantity, dec("2"));
    let price = l1.unit_price.unwrap();
    assert_eq!(price.amount.to_string(), "19.9900", "the scale survives");
    assert_eq!(price.amount.scale(), 4);
    let l2 = &inv1.lines[1];
    assert_eq!((l2.line_no, l2.sku.as_deref()), (Some(2), Some("00456")));
    assert_eq!(l2.quantity.to_string(), "1.500");
    assert_eq!(l2.unit_price.unwrap().amount.to_string(), "4.5000");
    assert_eq!(inv1.totals.total.unwrap().amount.to_string(), "47.40");

    assert_eq!(inv2.lines.len(), 1);
    assert_eq!(inv2.status, InvoiceStatus::Paid);
    assert_eq!(inv2.currency.as_str(), "SEK");
    assert_eq!(inv2.party.name.as_deref(), Some("Åsa Öberg"));
    assert_eq!(inv2.due_date, None);

    assert_eq!(inv4.lines.len(), 3);
    assert_eq!(inv4.lines[1].sku, None, "a free-text line");
    assert_eq!(inv4.lines[1].description.as_deref(), Some("Freight"));
    assert_eq!(inv4.lines[2].quantity.to_string(), "0.0001");
    assert_eq!(inv4.lines[2].tax_percent, Some(dec("25")));
    assert_eq!(inv4.totals.total, None);

    let [rejected] = &s.rejected[..] else { panic!("{:?}", s.rejected) };
    assert_eq!(rejected.key.as_deref(), Some("INV-1003"));
    assert_eq!(rejected.error.kind(), ErrorKind::InvalidInput);
    assert_eq!(rejected.error.field(), Some("lines[1].quantity"));
    assert_eq!(rejected.error.message(), "row 6: lines[1].quantity: missing field `quantity`");
    let payload = rejected.payload.as_deref().unwrap();
    assert_eq!(payload.lines().count(), 4, "the header and the document's three rows: {payload}");
    assert!(payload.contains("北京贸易有限公司,2,00456,茶,,4.50"), "{payload}");
}

#[tokio::test]
async fn price_lists_group_entries_by_code() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("prices.csv");
    std::fs::write(
        &path,
        "code,name,currency,entries.sku,entries.unit_price.amount,entries.unit_price.currency,entries.min_quantity\n\
         RETAIL,Retail,EUR,00123,21.00,EUR,\n\
         RETAIL,Retail,EUR,00123,19.50,EUR,10\n\
         RETAIL,Retail,EUR,00456,4.95,EUR,\n\
         WHOLESALE,Wholesale,EUR,00123,15.0000,EUR,\n\
         RETAIL,Retail again,EUR,00789,1.00,EUR,\n",
    )
    .unwrap();
    let s = split(
        read_all(&FileSource::<PriceList>::new(FileConfig::new(&path).unwrap()), ReadMode::Full)
            .await,
    );
    assert!(s.rejected.is_empty(), "{:?}", s.rejected);
    assert_eq!(keys(&s.upserts), ["RETAIL", "WHOLESALE", "RETAIL"], "only consecutive rows group");
    let retail = &s.upserts[0];
    assert_eq!(retail.entries.len(), 3);
    assert_eq!(retail.entries[0].min_quantity, dec("1"), "the model's default");
    assert_eq!(retail.entries[1].min_quantity, dec("10"));
    assert_eq!(retail.entries[1].unit_price.amount.to_string(), "19.50");
    assert_eq!(s.upserts[1].entries[0].unit_price.amount.to_string(), "15.0000");
    assert_eq!(s.upserts[2].name.as_deref(), Some("Retail again"));
}

#[tokio::test]
async fn indexed_line_columns_put_a_whole_invoice_on_one_row() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inv.csv");
    std::fs::write(
        &path,
        "number,currency,lines.0.sku,lines.0.quantity,lines.1.sku,lines.1.quantity\n\
         A-1,EUR,X,1,Y,2.5\n\
         A-1,EUR,Z,3,,\n",
    )
    .unwrap();
    let s = split(
        read_all(&FileSource::<Invoice>::new(FileConfig::new(&path).unwrap()), ReadMode::Full)
            .await,
    );
    assert_eq!(s.upserts.len(), 2, "no grouping without `lines.<field>` columns");
    assert_eq!(s.upserts[0].lines.len(), 2);
    assert_eq!(s.upserts[0].lines[1].quantity.to_string(), "2.5");
    assert_eq!(s.upserts[1].lines.len(), 1);
}
