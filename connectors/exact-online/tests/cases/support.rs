//! Shared helpers.

use std::time::Duration;

use std::str::FromStr;

use connector_core::Entity;
use connector_core::model::{Currency, DocumentLine, Money, Order};
use connector_core::sink::{WriteAction, WriteRequest};
use connector_core::source::{ReadMode, Source};
use connector_core::test_util::{PausedClockIo, hold_paused_clock_during_io};
use connector_exact_online::simulator::{DIVISION, ExactSimulator, api_spec};
use connector_exact_online::{ExactClient, ExactSource};
use rust_decimal::Decimal;

/// A decimal from text.
pub fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

/// A create request.
pub fn req<E>(key: &str, e: E) -> WriteRequest<E> {
    WriteRequest {
        key: key.to_owned(),
        target_id: None,
        action: WriteAction::Upsert(e),
        idempotency_key: format!("test-{key}"),
        is_create: true,
    }
}

/// An order in euros: `(sku, quantity, unit price)` lines.
pub fn order(number: &str, email: &str, lines: &[(&str, &str, &str)]) -> Order {
    let mut o =
        Order { number: Some(number.to_owned()), currency: Currency::EUR, ..Order::default() };
    o.party.email = Some(email.to_owned());
    for (sku, qty, price) in lines {
        o.lines.push(DocumentLine {
            sku: Some((*sku).to_owned()),
            quantity: Decimal::from_str(qty).unwrap(),
            unit_price: Some(Money::new(Decimal::from_str(price).unwrap(), Currency::EUR)),
            ..DocumentLine::default()
        });
    }
    o
}

/// The simulator's path of an endpoint of the division.
pub fn path(p: &str) -> String {
    format!("/api/v1/{DIVISION}/{p}")
}

/// Every request and answer of the simulator kept to the API description.
pub fn assert_conforms(sim: &ExactSimulator) {
    let breaches = api_spec().breaches(sim.journal());
    assert!(
        breaches.is_empty(),
        "the exchange broke the API description:\n{}",
        breaches.join("\n")
    );
}

/// Keeps a paused clock still while a request is on the wire.
pub fn hold() -> PausedClockIo {
    hold_paused_clock_during_io(Duration::from_secs(2))
}

/// A token store for several connections to one division: Exact's refresh tokens rotate,
/// so connections share where the newest one is kept.
pub fn token_store() -> std::sync::Arc<dyn connector_core::http::TokenStore> {
    std::sync::Arc::new(connector_core::http::MemoryTokenStore::new(None))
}

/// A client connected to the simulator.
pub async fn connect(sim: &ExactSimulator) -> ExactClient {
    ExactClient::connect(sim.config(), None).await.expect("connect to the simulator")
}

/// What a read produced, and the read that gathers it (core's test kit).
pub use connector_testkit::{ReadAll as Read, read_all};

/// Reads a source to the end (or its first error).
pub async fn read<E: Entity>(source: &ExactSource, mode: ReadMode) -> Read<E>
where
    ExactSource: Source<E>,
{
    read_all::<E>(source, mode).await
}
