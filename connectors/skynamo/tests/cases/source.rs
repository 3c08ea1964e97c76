//! Sources: orders and quotes, customers by row version.

use std::collections::HashSet;

use connector_core::model::{Currency, Customer, Order, OrderKind};
use connector_core::source::{Change, Cursor, ReadMode, Source};
use connector_skynamo::simulator::SkynamoSimulator;
use connector_skynamo::{OrderStatus, SkynamoClient, SkynamoSource};
use futures_util::StreamExt;
use serde_json::json;

async fn collect<E: connector_core::Entity>(
    s: &SkynamoSource,
    mode: ReadMode,
) -> (Vec<E>, Option<Cursor>)
where
    SkynamoSource: Source<E>,
{
    let mut out = Vec::new();
    let mut cursor = None;
    let mut st = Source::<E>::read(s, mode);
    while let Some(c) = st.next().await {
        match c.unwrap() {
            Change::Upsert(e) => out.push(e),
            Change::Checkpoint(c) => cursor = Some(c),
            _ => {}
        }
    }
    (out, cursor)
}

#[tokio::test]
async fn orders_and_quotes_are_paged_deduplicated_and_skipped_once_logged() {
    let sim = SkynamoSimulator::start().await.unwrap();
    sim.customers()
        .insert(json!({"code": "C-1001", "name": "Bayside Club", "active": true}))
        .unwrap();
    let first = sim.place(false, "C-1001", 1, &[("GB1-WHITE", "12.5", "5.9525")]);
    for _ in 0..249 {
        sim.place(false, "C-1001", 2, &[("UMB-1", "1", "19.9875")]);
    }
    sim.place(true, "C-1001", 2, &[("UMB-1", "3", "18.50")]);
    let client = SkynamoClient::new(sim.config()).unwrap();
    let source = SkynamoSource::new(client.clone(), Currency::NZD);
    let (orders, _) = collect::<Order>(&source, ReadMode::Full).await;
    assert_eq!(orders.len(), 251);
    let numbers: HashSet<_> = orders.iter().map(|o| o.number.clone().unwrap()).collect();
    assert_eq!(numbers.len(), 251);
    let o = orders.iter().find(|o| o.number.as_deref() == Some(&format!("SO-{first}"))).unwrap();
    assert_eq!(o.lines[0].unit_price.unwrap().amount.to_string(), "5.9525");
    assert_eq!(o.lines[0].quantity.to_string(), "12.5");
    // Skynamo's orders carry no rep: none is made up.
    assert!(o.sales_rep.is_none());
    assert_eq!(o.party.customer.key.as_deref(), Some("C-1001"));
    assert_eq!(orders.iter().filter(|o| o.kind == OrderKind::Quote).count(), 1);
    let pages: Vec<_> =
        sim.journal().entries().into_iter().filter(|e| e.path.ends_with("/orders")).collect();
    assert_eq!(pages.len(), 2);
    assert!(pages.iter().all(|e| e.query("page_size") == Some("200")));

    client.acknowledge(first, OrderStatus::Logged, None).await.unwrap();
    client
        .acknowledge(first + 1, OrderStatus::Failed, Some("Item code 'X' is not valid"))
        .await
        .unwrap();
    let (again, _) = collect::<Order>(&source, ReadMode::Full).await;
    assert_eq!(again.len(), 250, "the logged order is not read again; the failed one is");
    let status = sim.orderstatuses().all();
    assert_eq!(status[1].value["status_reason"], "Item code 'X' is not valid");
    crate::support::assert_conforms(&sim);
}

#[tokio::test]
async fn customers_by_row_version() {
    let sim = SkynamoSimulator::start().await.unwrap();
    for i in 0..5 {
        sim.customers()
            .insert(
                json!({"code": format!("C-{i}"), "name": format!("Customer {i}"), "active": true}),
            )
            .unwrap();
    }
    let source = SkynamoSource::new(SkynamoClient::new(sim.config()).unwrap(), Currency::NZD);
    let (all, cursor) = collect::<Customer>(&source, ReadMode::Full).await;
    assert_eq!(all.len(), 5);
    let id = sim.customers().find(|r| r.value["code"] == "C-2").unwrap().id;
    sim.customers().update(&id, &json!({"active": false})).unwrap();
    let (changed, _) = collect::<Customer>(&source, ReadMode::Changes { since: cursor }).await;
    assert_eq!(changed.len(), 1);
    assert_eq!(changed[0].number.as_deref(), Some("C-2"));
    assert!(!changed[0].meta.lifecycle.is_active());
    let last =
        sim.journal().entries().into_iter().rev().find(|e| e.path.ends_with("/customers")).unwrap();
    assert_eq!(last.query("filters"), Some("[\"greater_than(row_version,5)\"]"));
    crate::support::assert_conforms(&sim);
}
