//! Reads: sync pages and cursors, deletions, envelopes, conversions.

use connector_core::model::{Customer, CustomerKind, Lifecycle, PriceList, Product, StockLevel};
use connector_core::source::ReadMode;
use connector_exact_online::simulator::{DIVISION, ExactSimulator};
use connector_exact_online::{ExactSource, SyncCursor};

use crate::support::{connect, dec, hold, read};

#[tokio::test(start_paused = true)]
async fn customers_come_from_the_sync_api_with_trimmed_codes_and_select() {
    let _io = hold();
    let sim = ExactSimulator::start().await.unwrap();
    let client = connect(&sim).await;
    assert_eq!(client.division(), Some(DIVISION), "read from current/Me");
    let source = ExactSource::new(client);
    let r = read::<Customer>(&source, ReadMode::Full).await;
    assert!(r.error.is_none(), "{:?}", r.error);
    let by = r.by_key();
    // The supplier (Status S) is left out; codes are trimmed.
    let mut keys: Vec<_> = by.keys().cloned().collect();
    keys.sort();
    assert_eq!(keys, ["1068", "1069", "9999"]);
    let c = by["1068"];
    assert_eq!(c.name.as_deref(), Some("Fietsenwinkel De Ketting BV"));
    assert_eq!(c.kind, CustomerKind::Company);
    assert_eq!(c.primary_email(), Some("inkoop@deketting.example"));
    assert_eq!(c.addresses[0].postal_code.as_deref(), Some("1011 AB"));
    assert!(c.meta.updated_at.is_some(), "/Date(ms)/ parsed");
    assert!(r.snapshot_complete);
    let calls = sim.journal().entries();
    let sync = calls.iter().find(|e| e.path.ends_with("/sync/CRM/Accounts")).unwrap();
    assert!(sync.query("$select").unwrap().contains("Timestamp"));
    assert_eq!(sync.query("$filter"), Some("Timestamp gt 1L"));
    assert!(calls.iter().any(|e| e.path == "/api/v1/current/Me"));
}

#[tokio::test(start_paused = true)]
async fn sync_pages_of_1000_follow_next_and_changes_continue_from_the_timestamp() {
    let _io = hold();
    let sim = ExactSimulator::builder().empty().start().await.unwrap();
    sim.seed_accounts(2_500);
    let source = ExactSource::new(connect(&sim).await);
    let r = read::<Customer>(&source, ReadMode::Full).await;
    assert!(r.error.is_none(), "{:?}", r.error);
    assert_eq!(r.by_key().len(), 2_500);
    assert_eq!(sim.journal().count_path(&format!("/api/v1/{DIVISION}/sync/CRM/Accounts")), 3);
    assert!(
        sim.journal().entries().iter().any(|e| e.query("$skiptoken").is_some()),
        "the absolute __next link was followed"
    );
    let cursor = r.last_cursor.unwrap();
    let parsed = SyncCursor::parse(&cursor).unwrap();
    assert!(parsed.timestamp > 2_000);

    // Nothing changed: nothing comes.
    let again = read::<Customer>(&source, ReadMode::Changes { since: Some(cursor.clone()) }).await;
    assert!(again.upserts.is_empty() && again.deletes.is_empty());

    // One edit and one delete.
    let edited =
        sim.accounts().find(|r| r.value["Code"].as_str().map(str::trim) == Some("100007")).unwrap();
    sim.accounts().update(&edited.id, &serde_json::json!({"Name": "Renamed BV"})).unwrap();
    let gone =
        sim.accounts().find(|r| r.value["Code"].as_str().map(str::trim) == Some("100008")).unwrap();
    sim.accounts().delete(&gone.id).unwrap();
    let changes = read::<Customer>(&source, ReadMode::Changes { since: Some(cursor) }).await;
    assert!(changes.error.is_none(), "{:?}", changes.error);
    assert_eq!(changes.upserts.len(), 1);
    assert_eq!(changes.upserts[0].name.as_deref(), Some("Renamed BV"));
    assert_eq!(changes.deletes, vec![gone.id.clone()], "sync/Deleted names the GUID");
    assert!(!changes.snapshot_complete);
    let deleted = sim.journal().entries();
    let d = deleted.iter().find(|e| e.path.ends_with("/sync/Deleted")).unwrap();
    assert!(d.query("$filter").unwrap().contains("EntityType eq 2"), "{:?}", d.query("$filter"));
}

#[tokio::test(start_paused = true)]
async fn products_keep_exact_decimals_and_ended_items_are_inactive() {
    let _io = hold();
    let sim = ExactSimulator::start().await.unwrap();
    let source = ExactSource::new(connect(&sim).await);
    let r = read::<Product>(&source, ReadMode::Full).await;
    assert!(r.error.is_none(), "{:?}", r.error);
    let by = r.by_key();
    assert_eq!(by.len(), 4);
    let bike = by["BIKE-CITY-M"];
    assert_eq!(bike.sales_price.unwrap().amount, dec("549.0000"));
    assert_eq!(bike.tax_percent, Some(dec("21.00")));
    assert_eq!(bike.gtin.as_deref(), Some("8712345000011"));
    assert!(bike.long_description.as_deref().unwrap().starts_with("Aluminium"));
    assert_eq!(bike.images.len(), 1, "Exact holds one picture");
    assert_eq!(bike.categories, ["Bikes"]);
    assert_eq!(bike.meta.lifecycle, Lifecycle::Active);
    assert_eq!(by["BIKE-OLD-2019"].meta.lifecycle, Lifecycle::Inactive);
}

#[tokio::test(start_paused = true)]
async fn stock_is_exacts_stock_position_and_prices_are_one_list() {
    let _io = hold();
    let sim = ExactSimulator::start().await.unwrap();
    let source = ExactSource::new(connect(&sim).await);
    let r = read::<StockLevel>(&source, ReadMode::Full).await;
    assert!(r.error.is_none(), "{:?}", r.error);
    let by = r.by_key();
    let bike = by["BIKE-CITY-M@1"];
    assert_eq!(bike.on_hand, Some(dec("12")));
    // Exact's own figures: ReservedStock, and FreeStock as available.
    assert_eq!(bike.reserved, Some(dec("2")));
    assert_eq!(bike.available, Some(dec("10")));
    assert_eq!(bike.incoming, Some(dec("5")));

    let p = read::<PriceList>(&source, ReadMode::Full).await;
    assert!(p.error.is_none(), "{:?}", p.error);
    assert_eq!(p.upserts.len(), 1);
    let list = &p.upserts[0];
    assert_eq!(list.entries.len(), 4, "the account-specific price is left out");
    assert!(
        list.entries.iter().any(|e| e.sku == "LOCK-CHAIN" && e.unit_price.amount == dec("24.95"))
    );
}

#[tokio::test(start_paused = true)]
async fn a_deleted_item_comes_as_a_delete_in_a_change_run() {
    let _io = hold();
    let sim = ExactSimulator::start().await.unwrap();
    let source = ExactSource::new(connect(&sim).await);
    let full = read::<Product>(&source, ReadMode::Full).await;
    let cursor = full.last_cursor.unwrap();
    let id = sim.items().find(|r| r.value["Code"] == "LOCK-CHAIN").unwrap().id;
    assert!(sim.delete_item("LOCK-CHAIN"));
    let r = read::<Product>(&source, ReadMode::Changes { since: Some(cursor) }).await;
    assert!(r.error.is_none(), "{:?}", r.error);
    assert_eq!(r.deletes, vec![id]);
    // A full run no longer sees it: the engine deactivates it by absence.
    let again = read::<Product>(&source, ReadMode::Full).await;
    assert!(!again.by_key().contains_key("LOCK-CHAIN"));
}

#[tokio::test(start_paused = true)]
async fn a_bad_row_is_rejected_naming_record_and_field() {
    let _io = hold();
    let sim = ExactSimulator::start().await.unwrap();
    sim.items()
        .insert(serde_json::json!({"Code": "BAD-DATE", "Description": "x", "EndDate": "yesterday"}))
        .unwrap();
    let source = ExactSource::new(connect(&sim).await);
    let r = read::<Product>(&source, ReadMode::Full).await;
    assert!(r.error.is_none(), "{:?}", r.error);
    assert_eq!(r.by_key().len(), 4);
    assert_eq!(r.rejected.len(), 1);
    let rej = &r.rejected[0];
    assert_eq!(rej.key.as_deref(), Some("BAD-DATE"));
    assert_eq!(rej.error.record(), Some("BAD-DATE"));
    assert_eq!(rej.error.field(), Some("EndDate"));
}
