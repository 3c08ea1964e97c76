//! Shared helpers.

use connector_core::Entity;
use connector_core::model::{Currency, Money, PriceList, PriceListEntry};
use connector_core::sink::{WriteAction, WriteRequest};
use connector_skynamo::simulator::SkynamoSimulator;
use connector_skynamo::{SkynamoClient, SkynamoSink};
use connector_testkit::simulator::{JournalEntry, Method};

/// A sink on the simulator.
pub fn sink(sim: &SkynamoSimulator) -> SkynamoSink {
    SkynamoSink::new(SkynamoClient::new(sim.config()).unwrap())
}

/// An upsert request keyed by the record's key.
pub fn upsert<E: Entity>(e: E) -> WriteRequest<E> {
    let key = e.key().unwrap().into_owned();
    WriteRequest {
        key: key.clone(),
        target_id: None,
        action: WriteAction::Upsert(e),
        idempotency_key: key,
        is_create: true,
    }
}

/// A deactivation of the record written as `target_id`.
pub fn deactivate<E: Entity>(key: &str, target_id: &str) -> WriteRequest<E> {
    WriteRequest {
        key: key.into(),
        target_id: Some(target_id.into()),
        action: WriteAction::Deactivate,
        idempotency_key: format!("deactivate:{key}"),
        is_create: false,
    }
}

/// A price list named `code`, in NZD, excluding tax, with these `(sku, price)` entries.
pub fn price_list(code: &str, entries: &[(&str, &str)]) -> PriceList {
    PriceList {
        code: code.into(),
        name: None,
        currency: Currency::NZD,
        tax_inclusive: false,
        valid_from: None,
        valid_to: None,
        customers: vec![],
        entries: entries
            .iter()
            .map(|(sku, price)| PriceListEntry {
                sku: (*sku).into(),
                unit: None,
                unit_price: Money::new(price.parse().unwrap(), Currency::NZD),
                min_quantity: rust_decimal::Decimal::ONE,
                discount_percent: None,
                valid_from: None,
                valid_to: None,
            })
            .collect(),
        meta: Default::default(),
    }
}

/// Write calls seen by the simulator.
pub fn writes(sim: &SkynamoSimulator) -> Vec<JournalEntry> {
    sim.journal().entries().into_iter().filter(|e| e.method != Method::GET).collect()
}

/// Asserts that every request the connector sent, and every answer the simulator gave, kept
/// to the description of the API.
pub fn assert_conforms(sim: &SkynamoSimulator) {
    let breaches = connector_skynamo::simulator::api_spec().breaches(sim.journal());
    assert!(
        breaches.is_empty(),
        "the exchange broke the API description:\n{}",
        breaches.join("\n")
    );
}
