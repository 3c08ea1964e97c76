//! Sources: partners → customers, products (previousId keyset), invoices with rows.

use connector_core::source::{Cursor, ReadMode, Source};
use connector_core::{Change, model::Lifecycle};
use connector_procountor::{CustomerSource, InvoiceSource, ProductSource};
use futures_util::StreamExt;
use serde_json::json;

use crate::support::*;

async fn collect<E: connector_core::Entity>(s: &dyn Source<E>, mode: ReadMode) -> Vec<Change<E>> {
    s.read(mode).map(|c| c.unwrap()).collect().await
}

fn upserts<E: Clone>(changes: &[Change<E>]) -> Vec<E> {
    changes
        .iter()
        .filter_map(|c| if let Change::Upsert(e) = c { Some(e.clone()) } else { None })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn partners_become_customers_and_changes_follow_the_version() {
    let sim = sim().await;
    sim.add_partner(json!({ "type": "SUPPLIER", "name": "Toimittaja Oy" }));
    let source = CustomerSource::new(client(&sim)).page_size(1);
    let all = collect(&source, ReadMode::Full).await;
    let customers = upserts(&all);
    assert_eq!(customers.len(), 2, "suppliers are not customers");
    assert!(matches!(all.last(), Some(Change::SnapshotComplete)));
    let c = &customers[0];
    assert_eq!(c.number.as_deref(), Some("1001"));
    assert_eq!(c.registration_number.as_deref(), Some("0112038-9"));
    assert_eq!(c.addresses[0].country.as_deref(), Some("FI"));
    assert_eq!(
        c.meta.refs.id("procountor"),
        sim.partners()[0]["id"].as_i64().map(|i| i.to_string()).as_deref()
    );
    let pages = sim.journal().count(|e| e.path == "/api/businesspartners");
    assert_eq!(pages, 2, "two pages of one");

    let changes = collect(&source, ReadMode::Changes { since: None }).await;
    let Some(Change::Checkpoint(cursor)) = changes.last() else { panic!("{changes:?}") };
    sim.add_partner(
        json!({ "type": "CUSTOMER", "name": "Uusi Oy", "customerNumber": "1003", "active": false }),
    );
    let later =
        collect(&source, ReadMode::Changes { since: Some(Cursor::new(cursor.as_str())) }).await;
    let new: Vec<_> = upserts(&later);
    assert!(new.iter().any(|c| c.number.as_deref() == Some("1003") && c.meta.lifecycle == Lifecycle::Inactive));
    let mut seen: Vec<_> = new.iter().filter_map(|c| c.number.clone()).collect();
    seen.dedup();
    assert_eq!(seen, ["1002", "1003"], "only the boundary (inclusive) and the new one");
    let last = sim
        .journal()
        .entries()
        .into_iter()
        .rev()
        .find(|e| e.path == "/api/businesspartners")
        .unwrap();
    assert!(last.query("versionStartDate").is_some());
    assert_eq!(last.query("orderByVersion"), Some("ASC"));
}

#[tokio::test(flavor = "multi_thread")]
async fn products_page_by_previous_id() {
    let sim = sim().await;
    let source = ProductSource::new(client(&sim)).page_size(2);
    let all = collect(&source, ReadMode::Full).await;
    let products = upserts(&all);
    assert_eq!(
        products.iter().map(|p| p.sku.as_str()).collect::<Vec<_>>(),
        ["WID-1", "GAD-2", "SRV-H"]
    );
    assert_eq!(products[1].sales_price.as_ref().unwrap().amount, dec("24.90"));
    assert_eq!(products[0].tax_percent, Some(dec("25.5")));
    let calls: Vec<_> =
        sim.journal().entries().into_iter().filter(|e| e.path == "/api/products").collect();
    assert_eq!(calls.len(), 2);
    assert!(calls[0].query("previousId").is_none());
    assert_eq!(calls[1].query("previousId"), products[1].meta.refs.id("procountor"));
    assert!(calls.iter().all(|c| c.query("page").is_none()));
}

#[tokio::test(flavor = "multi_thread")]
async fn invoices_come_with_their_rows() {
    let sim = sim().await;
    let sink = sink(&sim, Default::default());
    for n in ["S-1", "S-2", "S-3"] {
        created(&write(&sink, order(n)).await);
    }
    sim.add_invoice(json!({ "type": "PURCHASE_INVOICE", "date": "2026-05-01" }));
    let source = InvoiceSource::new(client(&sim)).page_size(2);
    let all = collect(&source, ReadMode::Full).await;
    let invoices = upserts(&all);
    assert_eq!(invoices.len(), 3);
    let inv = &invoices[0];
    assert_eq!(inv.orders, vec!["S-1".to_owned()]);
    assert_eq!(inv.lines.len(), 1);
    assert_eq!(inv.lines[0].quantity, dec("2"));
    assert_eq!(inv.lines[0].tax_percent, Some(dec("25.5")));
    assert_eq!(inv.issue_date, Some("2026-05-04".parse().unwrap()));
    let pages: Vec<_> = sim
        .journal()
        .entries()
        .into_iter()
        .filter(|e| e.path == "/api/invoices" && e.query("page").is_some())
        .collect();
    assert_eq!(
        pages.iter().map(|e| e.query("page").unwrap().to_owned()).collect::<Vec<_>>(),
        ["0", "1"]
    );
    assert_eq!(sim.journal().count(|e| e.path.starts_with("/api/invoices/")), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn changes_page_by_version_so_a_record_edited_mid_read_cannot_shift_others_out() {
    let sim = sim().await;
    for n in ["1003", "1004"] {
        sim.add_partner(
            json!({ "type": "CUSTOMER", "name": format!("Asiakas {n}"), "customerNumber": n }),
        );
    }
    let source = CustomerSource::new(client(&sim)).page_size(2);
    let changes = collect(&source, ReadMode::Changes { since: None }).await;
    let mut numbers: Vec<String> = upserts(&changes).into_iter().filter_map(|c| c.number).collect();
    numbers.sort();
    numbers.dedup();
    assert_eq!(numbers, ["1001", "1002", "1003", "1004"]);
    let lists: Vec<_> =
        sim.journal().entries().into_iter().filter(|e| e.path == "/api/businesspartners").collect();
    // The second page starts from the last version of the first, not at offset 2: a record
    // edited meanwhile moves to the end of the order without pushing others past the page.
    let second_version = sim.partners()[1]["version"].as_str().unwrap().to_owned();
    assert_eq!(lists[1].query("versionStartDate"), Some(second_version.as_str()));
    assert_eq!(lists[1].query("page"), Some("0"));
    // The partner edited after the read is found from the last checkpoint.
    let Some(Change::Checkpoint(cursor)) =
        changes.iter().rev().find(|c| matches!(c, Change::Checkpoint(_)))
    else {
        panic!("no checkpoint")
    };
    let first_id = sim.partners()[0]["id"].as_i64().unwrap();
    sim.touch_partner(first_id, "email", json!("uusi@asiakas.example"));
    let later = collect(&source, ReadMode::Changes { since: Some(cursor.clone()) }).await;
    assert!(upserts(&later).iter().any(|c| c.number.as_deref() == Some("1001")
        && c.primary_email() == Some("uusi@asiakas.example")));
}
