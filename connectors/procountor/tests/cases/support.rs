//! Shared helpers: a simulator with demo data, a sink, and orders.

use std::str::FromStr;

use connector_core::model::{Address, Currency, DocumentLine, EntityRef, Money, Order};
use connector_core::sink::{Outcome, Sink, WriteAction, WriteRequest};
use connector_procountor::simulator::ProcountorSimulator;
use connector_procountor::{InvoiceSettings, ProcountorClient, ProcountorSink};
use rust_decimal::Decimal;

pub fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

pub async fn sim() -> ProcountorSimulator {
    ProcountorSimulator::with_demo_data().await.unwrap()
}

pub fn client(sim: &ProcountorSimulator) -> ProcountorClient {
    ProcountorClient::new(sim.config()).unwrap()
}

pub fn sink(sim: &ProcountorSimulator, settings: InvoiceSettings) -> ProcountorSink {
    ProcountorSink::with_settings(client(sim), settings)
}

/// An order of Asiakas Oy (customer 1001) for two widgets at 25.5 % VAT.
pub fn order(number: &str) -> Order {
    let eur = Currency::new("EUR").unwrap();
    let mut o = Order { number: Some(number.into()), currency: eur, ..Order::default() };
    o.party.customer = EntityRef::by_key("1001");
    o.party.company_name = Some("Asiakas Oy".into());
    o.party.email = Some("laskut@asiakas.example".into());
    o.party.registration_number = Some("0112038-9".into());
    o.order_date = Some("2026-05-04".parse().unwrap());
    o.billing_address = Some(Address {
        lines: vec!["Katu 1".into()],
        postal_code: Some("00100".into()),
        city: Some("Helsinki".into()),
        country: Some("FI".into()),
        ..Address::default()
    });
    o.lines = vec![DocumentLine {
        sku: Some("WID-1".into()),
        description: Some("Widget".into()),
        quantity: dec("2"),
        unit: Some("pcs".into()),
        unit_price: Some(Money::new(dec("10.00"), eur)),
        tax_percent: Some(dec("25.5")),
        ..DocumentLine::default()
    }];
    o
}

pub fn request(order: Order, target_id: Option<&str>) -> WriteRequest<Order> {
    WriteRequest {
        key: order.number.clone().unwrap_or_default(),
        target_id: target_id.map(str::to_owned),
        is_create: target_id.is_none(),
        idempotency_key: String::new(),
        action: WriteAction::Upsert(order),
    }
}

pub async fn write(sink: &ProcountorSink, order: Order) -> Outcome {
    let mut out = sink.write(vec![request(order, None)]).await.unwrap();
    assert_eq!(out.len(), 1);
    out.remove(0).outcome
}

/// The failed outcome's error, or a panic naming what came instead.
pub fn failed(outcome: Outcome) -> connector_core::Error {
    match outcome {
        Outcome::Failed { error } => error,
        other => panic!("expected a failure, got {other:?}"),
    }
}

pub fn created(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Created { target_id } => target_id.clone(),
        other => panic!("expected a create, got {other:?}"),
    }
}

/// Asserts that every request the connector sent, and every answer the simulator gave, kept
/// to the description of the API.
pub fn assert_conforms(sim: &ProcountorSimulator) {
    let breaches = connector_procountor::simulator::api_spec().breaches(sim.journal());
    assert!(
        breaches.is_empty(),
        "the exchange broke the API description:\n{}",
        breaches.join("\n")
    );
}
