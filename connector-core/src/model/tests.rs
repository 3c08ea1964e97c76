//! Serde round trips of every canonical model.

use std::str::FromStr;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::*;

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn eur(s: &str) -> Money {
    Money::new(dec(s), Currency::EUR)
}

fn round_trip<E: Entity>(e: &E) -> String {
    let json = serde_json::to_string(e).unwrap();
    let back: E = serde_json::from_str(&json).unwrap();
    assert_eq!(&back, e, "round trip changed the record: {json}");
    json
}

pub(crate) fn sample_invoice() -> Invoice {
    let mut meta = Meta::default();
    meta.refs.set("xero", "243216c5-369e-4056-ac67-05388f86dc81").number = Some("INV-0001".into());
    meta.custom.insert(
        "region".into(),
        CustomField {
            value: CustomValue::Choice("North".into()),
            source: Some("xero:tracking".into()),
        },
    );
    Invoice {
        number: Some("INV-0001".into()),
        currency: Currency::EUR,
        issue_date: Some(NaiveDate::from_ymd_opt(2026, 3, 1).unwrap()),
        due_date: Some(NaiveDate::from_ymd_opt(2026, 3, 31).unwrap()),
        party: DocumentParty {
            customer: EntityRef::by_key("C-1"),
            name: Some("Möbelhaus Åkerlund Oy".into()),
            ..Default::default()
        },
        lines: (1..=3)
            .map(|i| DocumentLine {
                line_no: Some(i),
                sku: Some(format!("SKU-{i}")),
                quantity: dec("1.500"),
                unit_price: Some(eur("19.9900")),
                tax_percent: Some(dec("25.5")),
                net_amount: Some(eur("29.99")),
                ..Default::default()
            })
            .collect(),
        totals: Totals { total: Some(eur("112.91")), ..Default::default() },
        meta,
        ..Default::default()
    }
}

#[test]
fn invoice_round_trips_with_exact_amounts() {
    let json = round_trip(&sample_invoice());
    assert!(json.contains(r#""quantity":"1.500""#), "{json}");
    assert!(json.contains(r#""amount":"19.9900""#), "{json}");
    assert!(json.contains("Möbelhaus"), "{json}");
}

#[test]
fn every_entity_round_trips() {
    let customer = Customer {
        number: Some("C-1".into()),
        name: Some("Acme".into()),
        emails: vec![Email {
            address: "Info@Acme.example".into(),
            kind: ContactKind::Billing,
            primary: true,
        }],
        addresses: vec![Address {
            lines: vec!["Main Street".into()],
            street_number: Some("12a".into()),
            postal_code: Some("1234 AB".into()),
            city: Some("Utrecht".into()),
            country: Some("NL".into()),
            ..Default::default()
        }],
        contacts: vec![ContactPerson { first_name: Some("Jan".into()), ..Default::default() }],
        credit_limit: Some(eur("5000")),
        ..Default::default()
    };
    round_trip(&customer);
    assert_eq!(customer.key().as_deref(), Some("C-1"));

    let product = Product {
        sku: "P-1".into(),
        name: Some("Chair".into()),
        variants: vec![ProductVariant {
            sku: "P-1-XL".into(),
            options: vec![Attribute { name: "size".into(), value: "XL".into() }],
            ..Default::default()
        }],
        images: vec![Image { url: "https://img.example/p1.png".into(), primary: true }],
        sales_price: Some(eur("10.00")),
        weight_kg: Some(dec("0.250")),
        ..Default::default()
    };
    round_trip(&product);

    let list = PriceList {
        code: "WHOLESALE".into(),
        name: None,
        currency: Currency::EUR,
        tax_inclusive: false,
        valid_from: None,
        valid_to: Some(NaiveDate::from_ymd_opt(2026, 12, 31).unwrap()),
        customers: vec![],
        entries: vec![PriceListEntry {
            sku: "P-1".into(),
            unit: None,
            unit_price: eur("8.50"),
            min_quantity: dec("10"),
            discount_percent: None,
            valid_from: None,
            valid_to: None,
        }],
        meta: Meta::default(),
    };
    round_trip(&list);

    let stock = StockLevel {
        sku: "P-1".into(),
        warehouse: Some("MAIN".into()),
        on_hand: Some(dec("12.000")),
        reserved: Some(dec("2")),
        available: None,
        incoming: None,
        as_of: None,
        meta: Meta::default(),
    };
    round_trip(&stock);
    assert_eq!(stock.key().as_deref(), Some("P-1@MAIN"));

    let order = Order {
        number: Some("SO-9".into()),
        kind: OrderKind::Quote,
        status: OrderStatus::Other("weird".into()),
        currency: Currency::USD,
        lines: vec![DocumentLine { quantity: dec("2"), ..Default::default() }],
        ..Default::default()
    };
    round_trip(&order);

    let shipment = Shipment {
        number: Some("DEL-1".into()),
        order_number: Some("SO-9".into()),
        tracking_code: Some("3SABC".into()),
        lines: vec![ShipmentLine { sku: "P-1".into(), quantity: dec("1"), order_line_no: Some(1) }],
        ..Default::default()
    };
    round_trip(&shipment);

    round_trip(&TaxRate {
        code: "VH24".into(),
        name: None,
        percent: dec("25.5"),
        country: Some("FI".into()),
        meta: Meta::default(),
    });
    round_trip(&PaymentTerm {
        code: "N30".into(),
        name: None,
        due_days: 30,
        basis: DueBasis::EndOfMonth,
        discount_days: Some(8),
        discount_percent: Some(dec("2")),
        meta: Meta::default(),
    });
    round_trip(&User { code: Some("JV".into()), ..Default::default() });
}

#[test]
fn key_falls_back_to_first_ref() {
    let mut c = Customer::default();
    assert!(c.key().is_none());
    c.meta.refs.set("xero", "abc");
    assert_eq!(c.key().as_deref(), Some("abc"));
}

#[test]
fn entity_kind_parses_names() {
    assert_eq!(EntityKind::parse("price-lists"), Some(EntityKind::PriceList));
    assert_eq!(EntityKind::parse("customer"), Some(EntityKind::Customer));
    assert_eq!(EntityKind::parse("stock_levels"), Some(EntityKind::StockLevel));
    assert_eq!(EntityKind::parse("nope"), None);
}

#[test]
fn unknown_statuses_serialise_as_bare_strings() {
    let order = Order { status: OrderStatus::Other("on_hold".into()), ..Default::default() };
    let json = serde_json::to_value(&order).unwrap();
    assert_eq!(json["status"], "on_hold");
    let back: Order = serde_json::from_value(json).unwrap();
    assert_eq!(back.status, OrderStatus::Other("on_hold".into()));
    let paid: Invoice = serde_json::from_str(r#"{"currency":"EUR","status":"paid"}"#).unwrap();
    assert_eq!(paid.status, InvoiceStatus::Paid);
}

#[test]
fn an_entity_kind_has_one_spelling_and_reads_the_singular_too() {
    let json = serde_json::to_string(&EntityKind::PriceList).unwrap();
    assert_eq!(json, "\"price-lists\"");
    assert_eq!(EntityKind::PriceList.to_string(), "price-lists");
    for text in ["\"price-lists\"", "\"price-list\"", "\"price_lists\""] {
        assert_eq!(serde_json::from_str::<EntityKind>(text).unwrap(), EntityKind::PriceList);
    }
    let err = serde_json::from_str::<EntityKind>("\"widgets\"").unwrap_err();
    assert!(err.to_string().contains("unknown entity `widgets`"), "{err}");
}
