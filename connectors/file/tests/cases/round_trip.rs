//! Sink → source round trips for several entities, in both formats.

use std::path::Path;

use connector_core::model::{
    Address, AddressKind, Attribute, ContactKind, ContactPerson, Currency, CustomField,
    CustomValue, Customer, CustomerKind, DocumentLine, DocumentParty, DueBasis, Email, EntityRef,
    Invoice, InvoiceStatus, Lifecycle, Money, Order, OrderKind, OrderStatus, PaymentTerm,
    PriceList, PriceListEntry, Product, ProductVariant, Shipment, ShipmentLine, StockLevel,
    TaxRate, Totals, User,
};
use connector_core::reexports::chrono::{NaiveDate, TimeZone, Utc};
use connector_core::{Entity, Outcome, ReadMode, Sink};
use connector_file::{FileConfig, FileSink, FileSource};

use crate::support::{dec, read_all, split, upsert};

fn eur(s: &str) -> Money {
    Money::new(dec(s), Currency::EUR)
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn customers() -> Vec<Customer> {
    let mut c1 = Customer {
        number: Some("C-1".into()),
        name: Some("Müller GmbH".into()),
        emails: vec![Email {
            address: "info@mueller.example".into(),
            kind: ContactKind::Billing,
            primary: true,
        }],
        addresses: vec![
            Address {
                kind: AddressKind::Billing,
                lines: vec!["Hauptstraße 5".into(), "Hinterhaus".into()],
                postal_code: Some("10115".into()),
                city: Some("Berlin".into()),
                country: Some("DE".into()),
                ..Default::default()
            },
            Address {
                kind: AddressKind::Shipping,
                city: Some("Potsdam".into()),
                ..Default::default()
            },
        ],
        contacts: vec![ContactPerson {
            first_name: Some("Jürgen".into()),
            last_name: Some("Weiß".into()),
            emails: vec![Email {
                address: "jw@mueller.example".into(),
                kind: ContactKind::Work,
                primary: false,
            }],
            primary: true,
            ..Default::default()
        }],
        credit_limit: Some(eur("5000.00")),
        payment_term: Some(EntityRef::by_key("NET30")),
        ..Default::default()
    };
    c1.meta.refs.set("erp", "1001").number = Some("D-1001".into());
    c1.meta.updated_at = Some(Utc.with_ymd_and_hms(2026, 3, 1, 10, 30, 0).unwrap());
    for (key, value) in [
        ("vip", CustomValue::Bool(true)),
        ("score", CustomValue::Number(dec("12.50"))),
        ("since", CustomValue::Date(date(2019, 5, 1))),
        ("segment", CustomValue::Choice("A".into())),
    ] {
        c1.meta
            .custom
            .insert(key.into(), CustomField { value, source: Some(format!("erp:{key}")) });
    }
    let mut c2 = Customer {
        number: Some("C-2".into()),
        kind: CustomerKind::Person,
        name: Some("Åsa Öberg".into()),
        first_name: Some("Åsa".into()),
        last_name: Some("Öberg".into()),
        phones: vec![connector_core::model::Phone {
            number: "+46 31 123".into(),
            kind: ContactKind::Mobile,
        }],
        currency: Some(Currency::new("SEK").unwrap()),
        notes: Some("Ring \"före\" 10, tack\nandra raden".into()),
        ..Default::default()
    };
    c2.meta.lifecycle = Lifecycle::Inactive;
    let c3 = Customer {
        number: Some("C-3".into()),
        name: Some("北京贸易有限公司".into()),
        ..Default::default()
    };
    vec![c1, c2, c3]
}

fn products() -> Vec<Product> {
    vec![
        Product {
            sku: "00123".into(),
            name: Some("Kaffee 1 kg".into()),
            sales_price: Some(eur("19.9900")),
            tax_percent: Some(dec("7")),
            categories: vec!["Drinks".into(), "Coffee".into()],
            attributes: vec![Attribute { name: "size".into(), value: "1 kg".into() }],
            variants: vec![ProductVariant {
                sku: "00123-B".into(),
                options: vec![Attribute { name: "roast".into(), value: "dark".into() }],
                price: Some(eur("21.00")),
                ..Default::default()
            }],
            weight_kg: Some(dec("1.000")),
            stock_tracked: true,
            ..Default::default()
        },
        Product { sku: "00456".into(), sold: false, purchased: true, ..Default::default() },
    ]
}

fn line(no: u32, sku: Option<&str>, qty: &str, price: &str) -> DocumentLine {
    DocumentLine {
        line_no: Some(no),
        sku: sku.map(Into::into),
        description: Some(format!("line {no}")),
        quantity: dec(qty),
        unit_price: Some(eur(price)),
        tax_percent: Some(dec("25.5")),
        ..Default::default()
    }
}

fn invoices() -> Vec<Invoice> {
    vec![
        Invoice {
            number: Some("INV-1".into()),
            currency: Currency::EUR,
            status: InvoiceStatus::Authorised,
            issue_date: Some(date(2026, 3, 1)),
            party: DocumentParty {
                customer: EntityRef::by_key("C-1"),
                name: Some("Müller GmbH".into()),
                ..Default::default()
            },
            lines: vec![
                line(1, Some("00123"), "1.500", "19.9900"),
                line(2, None, "1", "15.00"),
                line(3, Some("00456"), "0.0001", "4.5000"),
            ],
            totals: Totals { total: Some(eur("112.91")), ..Default::default() },
            memo: Some("Danke, tack, 谢谢".into()),
            ..Default::default()
        },
        Invoice { number: Some("INV-2".into()), currency: Currency::USD, ..Default::default() },
        Invoice {
            number: Some("INV-3".into()),
            currency: Currency::EUR,
            status: InvoiceStatus::Paid,
            lines: vec![line(1, Some("00789"), "2", "2.00")],
            ..Default::default()
        },
    ]
}

fn orders() -> Vec<Order> {
    vec![
        Order {
            number: Some("SO-1".into()),
            kind: OrderKind::Quote,
            status: OrderStatus::PendingApproval,
            currency: Currency::EUR,
            order_date: Some(date(2026, 2, 27)),
            lines: vec![line(1, Some("00123"), "3", "19.9900")],
            channel: Some("field sales".into()),
            ..Default::default()
        },
        Order { number: Some("SO-2".into()), currency: Currency::EUR, ..Default::default() },
    ]
}

fn price_lists() -> Vec<PriceList> {
    let entry = |sku: &str, price: &str, min: &str| PriceListEntry {
        sku: sku.into(),
        unit: None,
        unit_price: eur(price),
        min_quantity: dec(min),
        discount_percent: None,
        valid_from: None,
        valid_to: Some(date(2026, 12, 31)),
    };
    vec![PriceList {
        code: "RETAIL".into(),
        name: Some("Retail".into()),
        currency: Currency::EUR,
        tax_inclusive: true,
        valid_from: None,
        valid_to: None,
        customers: vec![EntityRef::by_key("C-1")],
        entries: vec![entry("00123", "21.00", "1"), entry("00123", "19.50", "10")],
        meta: Default::default(),
    }]
}

fn stock_levels() -> Vec<StockLevel> {
    let level = |sku: &str, wh: Option<&str>, on_hand: &str| StockLevel {
        sku: sku.into(),
        warehouse: wh.map(Into::into),
        on_hand: Some(dec(on_hand)),
        reserved: Some(dec("2")),
        available: None,
        incoming: None,
        as_of: Some(Utc.with_ymd_and_hms(2026, 3, 1, 6, 0, 0).unwrap()),
        meta: Default::default(),
    };
    vec![level("00123", Some("HEL"), "10.5"), level("00123", None, "12")]
}

fn shipments() -> Vec<Shipment> {
    vec![Shipment {
        number: Some("DN-1".into()),
        order_number: Some("SO-1".into()),
        carrier: Some("PostNord".into()),
        tracking_code: Some("JJFI123".into()),
        shipped_on: Some(date(2026, 3, 2)),
        lines: vec![
            ShipmentLine { sku: "00123".into(), quantity: dec("1"), order_line_no: Some(1) },
            ShipmentLine { sku: "00456".into(), quantity: dec("2.5"), order_line_no: None },
        ],
        ..Default::default()
    }]
}

fn reference_data() -> (Vec<TaxRate>, Vec<PaymentTerm>, Vec<User>) {
    let tax = vec![TaxRate {
        code: "VH24".into(),
        name: Some("ALV 25,5 %".into()),
        percent: dec("25.5"),
        country: Some("FI".into()),
        meta: Default::default(),
    }];
    let terms = vec![PaymentTerm {
        code: "NET30".into(),
        name: None,
        due_days: 30,
        basis: DueBasis::EndOfMonth,
        discount_days: Some(8),
        discount_percent: Some(dec("2")),
        meta: Default::default(),
    }];
    let users = vec![
        User {
            code: Some("007".into()),
            name: Some("Matti Meikäläinen".into()),
            email: None,
            meta: Default::default(),
        },
        User {
            code: None,
            name: None,
            email: Some("rep@x.example".into()),
            meta: Default::default(),
        },
    ];
    (tax, terms, users)
}

/// Writes the records through the sink, reads them back through the source, and compares.
async fn round_trip<E: Entity>(dir: &Path, file: &str, records: Vec<E>) {
    let config = FileConfig::new(dir.join(file)).unwrap();
    let sink = FileSink::<E>::new(config.clone());
    let outcomes =
        sink.write(records.iter().cloned().map(|r| upsert(r, None)).collect()).await.unwrap();
    for (outcome, record) in outcomes.iter().zip(&records) {
        let key = record.key().unwrap().into_owned();
        assert_eq!(outcome.key, key);
        assert_eq!(outcome.outcome, Outcome::Created { target_id: key }, "{file}");
    }
    let s = split(read_all(&FileSource::<E>::new(config), ReadMode::Full).await);
    assert!(s.rejected.is_empty(), "{file}: {:?}", s.rejected);
    assert_eq!(s.upserts, records, "{file}:\n{}", std::fs::read_to_string(dir.join(file)).unwrap());
}

#[tokio::test]
async fn json_lines_round_trip_every_entity() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut odd_customer = customers();
    odd_customer[0].meta.raw =
        Some(serde_json::from_str(r#"{"ContactID":"x-1","Balance":1234.5600}"#).unwrap());
    round_trip(d, "customers.jsonl", odd_customer).await;
    round_trip(d, "products.jsonl", products()).await;
    let mut invoices = invoices();
    invoices[1].status = InvoiceStatus::Other("on hold".into());
    round_trip(d, "invoices.jsonl", invoices).await;
    round_trip(d, "orders.jsonl", orders()).await;
    round_trip(d, "price_lists.jsonl", price_lists()).await;
    round_trip(d, "stock.jsonl", stock_levels()).await;
    round_trip(d, "shipments.jsonl", shipments()).await;
    let (tax, terms, users) = reference_data();
    round_trip(d, "tax.jsonl", tax).await;
    round_trip(d, "terms.jsonl", terms).await;
    round_trip(d, "users.jsonl", users).await;
}

#[tokio::test]
async fn csv_round_trips_every_entity_with_documents_one_line_per_row() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    round_trip(d, "customers.csv", customers()).await;
    round_trip(d, "products.csv", products()).await;
    round_trip(d, "invoices.csv", invoices()).await;
    round_trip(d, "orders.csv", orders()).await;
    round_trip(d, "price_lists.csv", price_lists()).await;
    round_trip(d, "stock.csv", stock_levels()).await;
    round_trip(d, "shipments.csv", shipments()).await;
    let (tax, terms, users) = reference_data();
    round_trip(d, "tax.csv", tax).await;
    round_trip(d, "terms.csv", terms).await;
    round_trip(d, "users.csv", users).await;

    let text = std::fs::read_to_string(d.join("invoices.csv")).unwrap();
    let mut rows = text.lines();
    let header = rows.next().unwrap();
    assert!(
        header.starts_with("number,kind,status,party.customer.key,party.name,issue_date,currency,"),
        "{header}"
    );
    assert!(
        header.contains(",lines.line_no,lines.sku,lines.description,lines.quantity,"),
        "{header}"
    );
    assert_eq!(rows.count(), 5, "three lines, an invoice without lines, one line");
}
