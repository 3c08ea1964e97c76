//! Shared helpers.

use std::collections::HashMap;
use std::time::Duration;

use std::str::FromStr;

use connector_core::Entity;
use connector_core::model::{Currency, DocumentLine, Money, Order};
use connector_core::sink::{WriteAction, WriteRequest};
use connector_core::source::{Change, Cursor, ReadMode, Source};
use connector_core::test_util::{PausedClockIo, hold_paused_clock_during_io};
use connector_exact_online::simulator::{DIVISION, ExactSimulator, api_spec};
use connector_exact_online::{ExactClient, ExactSource};
use futures_util::StreamExt;
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

/// What a read produced.
#[derive(Debug)]
pub struct Read<E> {
    pub upserts: Vec<E>,
    pub deletes: Vec<String>,
    pub rejected: Vec<connector_core::source::Rejected>,
    pub last_cursor: Option<Cursor>,
    pub snapshot_complete: bool,
    pub error: Option<connector_core::Error>,
}

impl<E: Entity> Read<E> {
    /// Upserts by key; panics on a duplicate key.
    pub fn by_key(&self) -> HashMap<String, &E> {
        let mut m = HashMap::new();
        for u in &self.upserts {
            let k = u.key().expect("a key").into_owned();
            assert!(m.insert(k.clone(), u).is_none(), "{k} delivered twice");
        }
        m
    }
}

/// Reads a source to the end (or its first error).
pub async fn read<E: Entity>(source: &ExactSource, mode: ReadMode) -> Read<E>
where
    ExactSource: Source<E>,
{
    let mut out = Read {
        upserts: Vec::new(),
        deletes: Vec::new(),
        rejected: Vec::new(),
        last_cursor: None,
        snapshot_complete: false,
        error: None,
    };
    let mut stream = Source::<E>::read(source, mode);
    while let Some(item) = stream.next().await {
        match item {
            Ok(Change::Upsert(e)) => out.upserts.push(e),
            Ok(Change::Rejected(r)) => out.rejected.push(r),
            Ok(Change::Checkpoint(c)) => out.last_cursor = Some(c),
            Ok(Change::SnapshotComplete) => out.snapshot_complete = true,
            Ok(Change::Delete { key }) => out.deletes.push(key),
            Err(e) => {
                out.error = Some(e);
                break;
            }
        }
    }
    out
}
