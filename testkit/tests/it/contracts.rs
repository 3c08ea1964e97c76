//! The public contract suites, run as a third party would run them on its own store or source.

use connector_core::memory::IterSource;
use connector_core::model::Customer;
use connector_core::state::{MemoryStore, SqliteStore};
use connector_testkit::{assert_source_contract, assert_state_store_contract};

#[tokio::test]
async fn the_built_in_stores_keep_the_state_store_contract() {
    assert_state_store_contract(MemoryStore::default).await;
    assert_state_store_contract(|| SqliteStore::open_in_memory().unwrap()).await;
}

#[tokio::test]
async fn an_iterator_source_keeps_the_source_contract() {
    let records = (1..=3)
        .map(|i| Customer { number: Some(format!("C-{i}")), ..Default::default() })
        .collect();
    let run = assert_source_contract(&IterSource::from_vec("mem", records)).await;
    assert_eq!(run.upserts, 3);
}
