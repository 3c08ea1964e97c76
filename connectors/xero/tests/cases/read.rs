//! Sources: shapes, exact decimals, archived contacts, paging, changes.

use std::str::FromStr;

use connector_core::model::{
    Customer, Invoice, InvoiceStatus, Lifecycle, Order, OrderKind, PriceList, Product, StockLevel,
};
use connector_core::source::ReadMode;
use connector_xero::XeroSource;
use connector_xero::simulator::{TENANT_ID, XeroSimulator};
use rust_decimal::Decimal;

use crate::support::{connect, hold, read, seed_contacts};

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

#[tokio::test]
async fn contacts_become_customers_archived_ones_inactive_nameless_ones_rejected() {
    let sim = XeroSimulator::start().await.unwrap();
    let source = XeroSource::new(connect(&sim).await);
    let r = read::<Customer>(&source, ReadMode::Full).await;
    assert!(r.error.is_none(), "{:?}", r.error);
    assert!(r.snapshot_complete);
    let by = r.by_key();
    assert_eq!(by.len(), 4);
    let bayside = by["C-1001"];
    assert_eq!(bayside.name.as_deref(), Some("Bayside Club"));
    assert_eq!(bayside.primary_email(), Some("secretarybob@bayside.example"));
    assert_eq!(bayside.addresses.len(), 2);
    assert_eq!(bayside.phones[0].number, "64 02 2024455");
    assert_eq!(bayside.sales_rep.as_ref().unwrap().key.as_deref(), Some("JD"));
    assert_eq!(bayside.payment_term.as_ref().unwrap().key.as_deref(), Some("20 OFFOLLOWINGMONTH"));
    assert_eq!(bayside.meta.refs.id("xero"), Some("5b96e86b-418e-48e8-8949-308c14aec278"));
    assert!(bayside.meta.updated_at.is_some());
    assert_eq!(by["C-1003"].meta.lifecycle, Lifecycle::Inactive);
    assert_eq!(r.rejected.len(), 1);
    assert_eq!(r.rejected[0].key.as_deref(), Some("e2a7f6c0-3b1d-4c5e-8f9a-0b1c2d3e4f5a"));
    assert_eq!(r.rejected[0].error.field(), Some("Name"));
    // includeArchived, order and the tenant header on every call.
    let calls = sim.journal().entries();
    let contacts: Vec<_> = calls.iter().filter(|e| e.path.ends_with("/Contacts")).collect();
    assert!(!contacts.is_empty());
    assert!(contacts.iter().all(|e| e.query("includeArchived") == Some("true")
        && e.query("order") == Some("UpdatedDateUTC ASC")));
    assert!(
        calls
            .iter()
            .filter(|e| e.path.starts_with("/api.xro"))
            .all(|e| e.header("xero-tenant-id") == Some(TENANT_ID))
    );
}

#[tokio::test]
async fn items_give_products_stock_levels_and_one_price_list_with_exact_decimals() {
    let sim = XeroSimulator::start().await.unwrap();
    let source = XeroSource::new(connect(&sim).await);
    let products = read::<Product>(&source, ReadMode::Full).await;
    let by = products.by_key();
    assert_eq!(by.len(), 3);
    let umb = by["UMB-1"];
    assert_eq!(umb.sales_price.unwrap().amount, d("19.9875"));
    assert_eq!(umb.sales_price.unwrap().amount.to_string(), "19.9875");
    assert_eq!(umb.purchase_price.unwrap().amount, d("8.33"));
    assert_eq!(umb.tax_rate.as_ref().unwrap().key.as_deref(), Some("OUTPUT2"));
    assert!(umb.stock_tracked);
    assert!(!by["LESSON-30"].stock_tracked);
    // Items are not paged: one call, no page parameter.
    let items_calls: Vec<_> =
        sim.journal().entries().into_iter().filter(|e| e.path.ends_with("/Items")).collect();
    assert_eq!(items_calls.len(), 1);
    assert_eq!(items_calls[0].query("page"), None);

    let stock = read::<StockLevel>(&source, ReadMode::Full).await;
    let by = stock.by_key();
    assert_eq!(by.len(), 2, "only tracked items have stock");
    assert_eq!(by["UMB-1"].on_hand, Some(d("12.5")));
    assert_eq!(by["GB1-WHITE"].on_hand.unwrap().to_string(), "368.0000");

    let lists = read::<PriceList>(&source, ReadMode::Full).await;
    assert_eq!(lists.upserts.len(), 1);
    let list = &lists.upserts[0];
    assert_eq!(list.code, "xero-sales");
    assert_eq!(list.currency.as_str(), "NZD");
    let prices: Vec<(String, String)> =
        list.entries.iter().map(|e| (e.sku.clone(), e.unit_price.amount.to_string())).collect();
    assert_eq!(
        prices,
        vec![
            ("GB1-WHITE".into(), "5.9500".into()),
            ("LESSON-30".into(), "45.0000".into()),
            ("UMB-1".into(), "19.9875".into())
        ]
    );
}

#[tokio::test]
async fn sales_invoices_and_quotes_with_lines_dates_and_reps() {
    let sim = XeroSimulator::start().await.unwrap();
    let source = XeroSource::new(connect(&sim).await);
    let r = read::<Invoice>(&source, ReadMode::Full).await;
    let by = r.by_key();
    assert_eq!(by.len(), 2, "bills (ACCPAY) are left out");
    let inv = by["INV-0001"];
    assert_eq!(inv.status, InvoiceStatus::Authorised);
    assert_eq!(inv.issue_date.unwrap().to_string(), "2019-11-14");
    assert_eq!(inv.due_date.unwrap().to_string(), "2019-12-04");
    assert_eq!(inv.lines.len(), 2);
    assert_eq!(inv.lines[0].quantity.to_string(), "24.0000");
    assert_eq!(inv.lines[1].unit_price.unwrap().amount.to_string(), "19.9875");
    assert_eq!(inv.lines[0].net_amount.unwrap().amount.to_string(), "142.80");
    assert_eq!(inv.totals.total.unwrap().amount.to_string(), "187.21");
    assert_eq!(inv.sales_rep.as_ref().unwrap().key.as_deref(), Some("JD"));
    assert_eq!(inv.party.customer.id.as_deref(), Some("5b96e86b-418e-48e8-8949-308c14aec278"));
    let paid = by["INV-0002"];
    assert!(paid.tax_inclusive);
    assert_eq!(paid.lines[0].gross_amount.unwrap().amount.to_string(), "90.00");
    assert_eq!(paid.lines[0].net_amount.unwrap().amount.to_string(), "78.26");
    let invoices_call =
        sim.journal().entries().into_iter().find(|e| e.path.ends_with("/Invoices")).unwrap();
    assert_eq!(invoices_call.query("where"), Some("Type==\"ACCREC\""));
    assert_eq!(invoices_call.query("unitdp"), Some("4"));

    let q = read::<Order>(&source, ReadMode::Full).await;
    assert_eq!(q.upserts.len(), 1);
    let quote = &q.upserts[0];
    assert_eq!(quote.kind, OrderKind::Quote);
    assert_eq!(quote.number.as_deref(), Some("QU-0001"));
    assert_eq!(quote.lines[0].discount_percent.unwrap().to_string(), "5.00");
    assert_eq!(quote.sales_rep.as_ref().unwrap().key.as_deref(), Some("MK"));
    assert_eq!(quote.memo.as_deref(), Some("Prices valid for the spring tournament"));
}

#[tokio::test(start_paused = true)]
async fn pages_are_one_based_and_changes_resume_from_the_cursor_without_repeats() {
    let _io = hold();
    let sim = XeroSimulator::builder().empty().start().await.unwrap();
    seed_contacts(&sim, 250);
    let mut config = sim.config();
    config.page_size = 100;
    let client = connector_xero::XeroClient::connect(config, None).await.unwrap();
    let source = XeroSource::new(client);
    let full = read::<Customer>(&source, ReadMode::Full).await;
    assert!(full.error.is_none(), "{:?}", full.error);
    assert_eq!(full.by_key().len(), 250);
    let first =
        sim.journal().entries().into_iter().find(|e| e.path.ends_with("/Contacts")).unwrap();
    assert_eq!(first.query("page"), Some("1"));
    assert_eq!(first.query("pageSize"), Some("100"));
    assert!(first.header("if-modified-since").is_none());

    // Nothing changed: the inclusive boundary sends the last records again, they are dropped.
    let cursor = full.last_cursor.clone().unwrap();
    let again = read::<Customer>(&source, ReadMode::Changes { since: Some(cursor.clone()) }).await;
    assert!(again.error.is_none(), "{:?}", again.error);
    assert!(
        again.upserts.is_empty(),
        "{:?}",
        again.upserts.iter().map(|c| c.number.clone()).collect::<Vec<_>>()
    );
    let last =
        sim.journal().entries().into_iter().rev().find(|e| e.path.ends_with("/Contacts")).unwrap();
    assert!(last.header("if-modified-since").is_some());

    // One edit: exactly that record comes.
    tokio::time::advance(std::time::Duration::from_secs(5)).await;
    let id = sim.contacts().find(|r| r.value["ContactNumber"] == "B-0007").unwrap().id;
    sim.contacts().update(&id, &serde_json::json!({"Name": "Bulk 0007 renamed"})).unwrap();
    let changes = read::<Customer>(&source, ReadMode::Changes { since: Some(cursor) }).await;
    assert_eq!(changes.upserts.len(), 1);
    assert_eq!(changes.upserts[0].name.as_deref(), Some("Bulk 0007 renamed"));
    assert!(!changes.snapshot_complete);
}

#[tokio::test(start_paused = true)]
async fn a_record_edited_during_a_sync_is_neither_lost_nor_skipped() {
    let _io = hold();
    let sim = XeroSimulator::builder().empty().start().await.unwrap();
    for i in 0..40 {
        tokio::time::advance(std::time::Duration::from_millis(10)).await;
        sim.contacts()
            .insert(serde_json::json!({"ContactNumber": format!("E-{i:02}"), "Name": format!("Edit {i:02}"), "ContactStatus": "ACTIVE"}))
            .unwrap();
    }
    let mut config = sim.config();
    config.page_size = 10;
    let source = XeroSource::new(connector_xero::XeroClient::connect(config, None).await.unwrap());
    let mut stream = connector_core::source::Source::<Customer>::read(&source, ReadMode::Full);
    use futures_util::StreamExt;
    let mut seen = std::collections::HashMap::<String, usize>::new();
    let mut n = 0;
    while let Some(item) = stream.next().await {
        if let connector_core::source::Change::Upsert(c) = item.unwrap() {
            n += 1;
            *seen.entry(c.number.clone().unwrap()).or_default() += 1;
            if n == 5 {
                // Edit one record already read and one not yet read.
                tokio::time::advance(std::time::Duration::from_secs(1)).await;
                for num in ["E-02", "E-30"] {
                    let id = sim.contacts().find(|r| r.value["ContactNumber"] == num).unwrap().id;
                    sim.contacts()
                        .update(&id, &serde_json::json!({"Name": format!("{num} edited")}))
                        .unwrap();
                }
            }
        }
    }
    assert_eq!(seen.len(), 40, "nothing lost");
    assert_eq!(seen["E-02"], 2, "the edited record comes again with its new content");
    assert!(seen.iter().filter(|(k, _)| k.as_str() != "E-02").all(|(_, n)| *n == 1), "{seen:?}");
}

#[tokio::test]
async fn a_record_of_the_wrong_shape_is_rejected_alone_with_its_payload() {
    let sim = XeroSimulator::builder().empty().start().await.unwrap();
    seed_contacts(&sim, 3);
    sim.contacts()
        .insert(serde_json::json!({"ContactNumber": "BAD-1", "Name": "Bad Shape", "Phones": "not a list"}))
        .unwrap();
    let source = XeroSource::new(connect(&sim).await);
    let r = read::<Customer>(&source, ReadMode::Full).await;
    assert!(r.error.is_none(), "{:?}", r.error);
    assert_eq!(r.by_key().len(), 3);
    assert_eq!(r.rejected.len(), 1);
    assert_eq!(r.rejected[0].error.kind(), connector_core::ErrorKind::Decode);
    assert!(r.rejected[0].payload.as_deref().unwrap().contains("not a list"));
}

#[tokio::test(start_paused = true)]
async fn generated_invoices_are_paged_lazily_and_read_whole_then_by_changes() {
    let _io = hold();
    let sim = XeroSimulator::builder()
        .empty()
        .limits(10_000, 10_000, 5)
        .generated_invoices(2_345)
        .start()
        .await
        .unwrap();
    assert_eq!(sim.invoices().len(), 0, "nothing stored");
    let mut config = sim.config();
    config.page_size = 1000;
    let source = XeroSource::new(connector_xero::XeroClient::connect(config, None).await.unwrap());
    let r = read::<Invoice>(&source, ReadMode::Full).await;
    assert!(r.error.is_none(), "{:?}", r.error);
    let by_key = r.by_key();
    assert_eq!(by_key.len(), 2_345);
    assert!(by_key.contains_key("INV-G0000000") && by_key.contains_key("INV-G0002344"));
    assert!(
        r.upserts
            .iter()
            .all(|i| i.lines.len() == 3 && i.totals.total.as_ref().unwrap().amount == d("95.27"))
    );
    let pages = sim.journal().count(|e| e.path.ends_with("/Invoices"));
    assert!((3..=5).contains(&pages), "{pages} pages of 1000");
    // From the last cursor nothing is new.
    let again = read::<Invoice>(&source, ReadMode::Changes { since: r.last_cursor }).await;
    assert!(again.error.is_none(), "{:?}", again.error);
    assert_eq!(again.upserts.len(), 0);
}
