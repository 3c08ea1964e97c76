//! Sources: partners → customers, products (previousId keyset), invoices with rows.

use connector_core::source::{ReadMode, Source};
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
async fn partners_become_customers_with_their_invoicing_and_register_data() {
    let sim = sim().await;
    sim.add_partner(json!({ "type": "SUPPLIER", "name": "Toimittaja Oy",
        "paymentInfo": { "paymentMethod": "BANK_TRANSFER" } }));
    let gone = sim.add_partner(json!({
        "type": "CUSTOMER", "name": "Vanha Oy",
        "address": { "name": "Vanha Oy", "city": "Turku", "country": "FINLAND" },
        "invoicingInfo": { "customerNumber": "0999" },
        "paymentInfo": { "paymentMethod": "BANK_TRANSFER" },
        "registryInfo": { "active": false }
    }));
    let source = CustomerSource::new(client(&sim)).page_size(1);
    let all = collect(&source, ReadMode::Full).await;
    let customers = upserts(&all);
    assert_eq!(customers.len(), 3, "customers, active and inactive; no suppliers");
    assert!(matches!(all.last(), Some(Change::SnapshotComplete)));
    let c = &customers[0];
    assert_eq!(c.number.as_deref(), Some("1001"));
    assert_eq!(c.registration_number.as_deref(), Some("0112038-9"));
    assert_eq!(c.primary_email(), Some("laskut@asiakas.example"));
    assert_eq!(c.phones[0].number, "+358 9 123 4567");
    assert_eq!(c.addresses[0].country.as_deref(), Some("FI"));
    assert_eq!(c.meta.lifecycle, Lifecycle::Active);
    assert_eq!(
        c.meta.refs.id("procountor"),
        sim.partners()[0]["id"].as_i64().map(|i| i.to_string()).as_deref()
    );
    let k = &customers[1];
    assert_eq!(k.e_invoice_address.as_deref(), Some("003701098628"));
    let old = &customers[2];
    assert_eq!(old.number.as_deref(), Some("0999"));
    assert_eq!(old.meta.lifecycle, Lifecycle::Inactive);
    assert_eq!(old.meta.refs.id("procountor"), Some(gone.to_string().as_str()));
    let lists: Vec<_> =
        sim.journal().entries().into_iter().filter(|e| e.path == "/api/businesspartners").collect();
    // Active: two pages of one and an empty one; inactive: one and an empty one.
    assert_eq!(lists.len(), 5);
    assert!(lists.iter().all(|e| e.query("orderById") == Some("ASC")));
    assert_eq!(lists.iter().filter(|e| e.query("active") == Some("false")).count(), 2);
    assert_eq!(lists[1].query("previousId"), c.meta.refs.id("procountor"));
    assert_conforms(&sim);
}

#[tokio::test(flavor = "multi_thread")]
async fn changes_bring_edits_and_deactivations_and_skip_no_partner() {
    let sim = sim().await;
    let source = CustomerSource::new(client(&sim)).page_size(2);
    let first = collect(&source, ReadMode::Changes { since: None }).await;
    assert_eq!(upserts(&first).len(), 2);
    let Some(Change::Checkpoint(cursor)) = first.last() else { panic!("{first:?}") };
    // 7 new partners (more than three pages), one edit and one deactivation since then.
    for n in 0..7 {
        sim.add_partner(json!({
            "type": "CUSTOMER", "name": format!("Uusi {n}"),
            "address": { "name": format!("Uusi {n}") },
            "invoicingInfo": { "customerNumber": format!("20{n}") },
            "paymentInfo": { "paymentMethod": "BANK_TRANSFER" }
        }));
    }
    let ids: Vec<i64> = sim.partners().iter().map(|p| p["id"].as_i64().unwrap()).collect();
    sim.touch_partner(ids[0], "/invoicingInfo/email", json!("uusi@asiakas.example"));
    sim.touch_partner(ids[1], "/registryInfo/active", json!(false));
    let later = collect(&source, ReadMode::Changes { since: Some(cursor.clone()) }).await;
    let got = upserts(&later);
    let mut numbers: Vec<String> = got.iter().filter_map(|c| c.number.clone()).collect();
    numbers.sort();
    numbers.dedup();
    assert_eq!(numbers, ["1001", "1002", "200", "201", "202", "203", "204", "205", "206"]);
    assert!(got.iter().any(|c| c.number.as_deref() == Some("1001")
        && c.primary_email() == Some("uusi@asiakas.example")));
    assert!(got.iter().any(|c| c.number.as_deref() == Some("1002")
        && c.meta.lifecycle == Lifecycle::Inactive));
    let lists: Vec<_> =
        sim.journal().entries().into_iter().filter(|e| e.path == "/api/businesspartners").collect();
    assert!(lists.iter().all(|e| e.query("orderByVersion").is_none()));
    assert!(lists.iter().skip(3).all(|e| e.query("versionStartDate").is_some()));
    assert!(matches!(later.last(), Some(Change::Checkpoint(_))));
    assert_conforms(&sim);
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
async fn invoice_changes_page_by_version_so_an_edit_mid_read_cannot_shift_others_out() {
    let sim = sim().await;
    let sink = sink(&sim, Default::default());
    for n in ["V-1", "V-2", "V-3", "V-4"] {
        created(&write(&sink, order(n)).await);
    }
    let source = InvoiceSource::new(client(&sim)).page_size(2);
    let changes = collect(&source, ReadMode::Changes { since: None }).await;
    let mut numbers: Vec<String> = upserts(&changes).into_iter().flat_map(|i| i.orders).collect();
    numbers.sort();
    numbers.dedup();
    assert_eq!(numbers, ["V-1", "V-2", "V-3", "V-4"]);
    let lists: Vec<_> = sim
        .journal()
        .entries()
        .into_iter()
        .filter(|e| e.path == "/api/invoices" && e.query("orderByVersion").is_some())
        .collect();
    // The second page starts from the last version of the first, not at offset 2.
    let second_version = sim.invoices()[1]["version"].as_str().unwrap().to_owned();
    assert_eq!(lists[1].query("versionStartDate"), Some(second_version.as_str()));
    assert_eq!(lists[1].query("page"), Some("0"));
    let Some(Change::Checkpoint(cursor)) =
        changes.iter().rev().find(|c| matches!(c, Change::Checkpoint(_)))
    else {
        panic!("no checkpoint")
    };
    let first_id = sim.invoices()[0]["id"].as_i64().unwrap();
    sim.touch_invoice(first_id, "notes", json!("edited"));
    let later = collect(&source, ReadMode::Changes { since: Some(cursor.clone()) }).await;
    assert!(upserts(&later).iter().any(|i| i.orders == ["V-1"]));
    assert_conforms(&sim);
}
