//! The Parts PIM connector against its simulator.

use connector_core::Sink;
use connector_core::model::{Currency, Money, Product};
use connector_core::sink::{Outcome, WriteAction, WriteRequest};
use connector_parts_pim::PartsPimSink;
use connector_parts_pim::simulator::{PartsPimSimulator, api_spec};
use connector_testkit::assert_sink_contract;
use rust_decimal::Decimal;

fn product(sku: &str) -> Product {
    Product {
        sku: sku.into(),
        name: Some(format!("Artikel {sku}")),
        sales_price: Some(Money::new(Decimal::new(1995, 2), Currency::new("EUR").unwrap())),
        ..Default::default()
    }
}

#[tokio::test]
async fn the_product_sink_keeps_the_sink_contract() {
    let pim = PartsPimSimulator::start().await.unwrap();
    let sink = PartsPimSink::new(pim.config()).unwrap();
    let run = assert_sink_contract::<Product>(
        &sink,
        vec![product("100"), product("200"), product("300")],
    )
    .await;
    assert_eq!(run.created, 3);
    assert_eq!(pim.skus(), ["100", "200", "300"], "the retry created nothing twice");
    assert!(api_spec().check_journal(pim.journal()).is_empty());
}

#[tokio::test]
async fn a_letter_in_a_sku_is_refused_before_sending_and_the_rest_land() {
    let pim = PartsPimSimulator::start().await.unwrap();
    let sink = PartsPimSink::new(pim.config()).unwrap();
    let req = |sku: &str| WriteRequest {
        key: sku.into(),
        target_id: None,
        action: WriteAction::Upsert(product(sku)),
        idempotency_key: sku.into(),
        is_create: true,
    };
    let outcomes =
        Sink::<Product>::write(&sink, vec![req("4711"), req("47A1"), req("4712")]).await.unwrap();
    let refused = outcomes.iter().find(|o| o.key == "47A1").unwrap();
    let Outcome::Failed { error } = &refused.outcome else { panic!("{refused:?}") };
    assert!(error.to_string().contains("SKU `47A1` must be digits only"), "{error}");
    assert_eq!(pim.skus(), ["4711", "4712"]);
    assert!(
        pim.journal().entries().iter().all(|e| !String::from_utf8_lossy(&e.body).contains("47A1"))
    );
    // The employee number defaults to 999999.
    assert_eq!(pim.product("4711").unwrap()["employee_number"], "999999");
    assert_eq!(pim.product("4711").unwrap()["price"], "19.95");
}

#[tokio::test]
async fn the_file_transport_drops_whole_csv_files_with_markers_and_refuses_letters_first() {
    use connector_core::model::{Attribute, StockLevel};
    use connector_file::exchange::{Completion, Inbox};
    use connector_parts_pim::PartsPimConfig;
    let dir = tempfile::tempdir().unwrap();
    let sink = PartsPimSink::new(PartsPimConfig::file_drop(dir.path())).unwrap();
    let req = |p: Product| WriteRequest {
        key: p.sku.clone(),
        target_id: None,
        idempotency_key: String::new(),
        is_create: true,
        action: WriteAction::Upsert(p),
    };
    let mut saddle = product("5001");
    saddle.name = Some("Zadel, \"comfort\"".into());
    saddle.attributes = vec![Attribute { name: "kleur".into(), value: "zwart".into() }];
    let outcomes =
        Sink::<Product>::write(&sink, vec![req(saddle), req(product("50O1"))]).await.unwrap();
    let outcome = |k: &str| &outcomes.iter().find(|o| o.key == k).unwrap().outcome;
    assert!(matches!(outcome("5001"), Outcome::Created { .. }), "{outcomes:?}");
    assert!(
        matches!(outcome("50O1"), Outcome::Failed { .. }),
        "the letter O is refused before the file"
    );
    let inbox = Inbox::new(dir.path(), Completion::Marker).unwrap();
    let ready = inbox.ready().unwrap();
    assert_eq!(ready.len(), 1);
    let text = std::fs::read_to_string(&ready[0].path).unwrap();
    assert!(text.starts_with("sku,name,description,long_description,unit,price,gtin,categories,variant_of,attributes,features,employee_number\n"), "{text}");
    assert!(
        text.contains("5001,\"Zadel, \"\"comfort\"\"\",,,,19.95,,,,kleur=zwart,,999999\n"),
        "{text}"
    );
    assert!(!text.contains("50O1"));
    let stock = StockLevel {
        sku: "5001".into(),
        warehouse: None,
        on_hand: Some(Decimal::from(9)),
        reserved: Some(Decimal::from(2)),
        available: Some(Decimal::from(9)),
        incoming: None,
        as_of: None,
        meta: Default::default(),
    };
    let req = WriteRequest {
        key: "5001".into(),
        target_id: None,
        idempotency_key: String::new(),
        is_create: true,
        action: WriteAction::Upsert(stock),
    };
    Sink::<StockLevel>::write(&sink, vec![req]).await.unwrap();
    let files: Vec<String> = inbox
        .ready()
        .unwrap()
        .into_iter()
        .map(|f| std::fs::read_to_string(f.path).unwrap())
        .collect();
    assert!(
        files.iter().any(|t| t == "sku,available,employee_number\n5001,7,999999\n"),
        "{files:?}"
    );
}

#[tokio::test]
async fn updates_go_without_the_long_description_and_bad_numbers_are_refused_first() {
    use connector_core::model::{CustomField, CustomValue};
    use connector_file::exchange::{Completion, Inbox};
    use connector_parts_pim::PartsPimConfig;
    let dir = tempfile::tempdir().unwrap();
    let sink = PartsPimSink::new(PartsPimConfig::file_drop(dir.path())).unwrap();
    let mut bell = product("6001");
    bell.long_description = Some("Lange tekst".into());
    let mut odd = product("6002");
    odd.meta.custom.insert(
        "employee_number".into(),
        CustomField { value: CustomValue::Text("E12".into()), source: None },
    );
    let update = |p: Product| WriteRequest {
        key: p.sku.clone(),
        target_id: Some(p.sku.clone()),
        idempotency_key: String::new(),
        is_create: false,
        action: WriteAction::Upsert(p),
    };
    let out = Sink::<Product>::write(&sink, vec![update(bell), update(odd)]).await.unwrap();
    let failed = out.iter().find(|o| o.key == "6002").unwrap();
    let Outcome::Failed { error } = &failed.outcome else { panic!("{failed:?}") };
    assert!(error.to_string().contains("employee number `E12` must be digits"), "{error}");
    let files = Inbox::new(dir.path(), Completion::Marker).unwrap().ready().unwrap();
    assert_eq!(files.len(), 1);
    assert!(files[0].name.starts_with("products-update-"), "{}", files[0].name);
    let text = std::fs::read_to_string(&files[0].path).unwrap();
    assert!(text.starts_with("sku,name,description,unit,price,"), "{text}");
    assert!(!text.contains("Lange tekst"));
}

mod orders {
    use connector_core::model::{DocumentLine, Order};
    use connector_core::source::ReadMode;
    use connector_parts_pim::PartsPimSource;
    use connector_testkit::{assert_source_contract, read_all};
    use serde_json::json;

    use super::*;

    fn pim_order(number: u32, updated: &str) -> serde_json::Value {
        json!({"number": number.to_string(), "employee_number": "999999", "currency": "EUR",
               "order_date": "2024-05-01", "updated_at": updated, "payment_term": "30 dagen",
               "customer": {"number": "20001", "email": "piet@noord.example", "company_name": "Rijwielhandel Noord"},
               "lines": [{"sku": "100200", "quantity": "2", "unit_price": "4.95"}]})
    }

    #[tokio::test]
    async fn orders_are_read_page_by_page_and_by_change() {
        let pim = PartsPimSimulator::start().await.unwrap();
        for n in 1..=250 {
            // A minute apart from midnight: order 250 changed at 04:10.
            let at = format!("2024-05-01T{:02}:{:02}:00Z", n / 60, n % 60);
            pim.put_order(pim_order(n, &at));
        }
        let source = PartsPimSource::new(pim.config()).unwrap();
        let read = read_all::<Order>(&source, ReadMode::Full).await;
        assert!(read.error.is_none(), "{:?}", read.error);
        assert_eq!(read.upserts.len(), 250);
        assert_eq!(read.upserts[9].number.as_deref(), Some("10"), "by number, not by text");
        assert_eq!(read.upserts[0].lines[0].unit_price.unwrap().amount.to_string(), "4.95");
        let cursor = read.last_cursor.clone().unwrap();
        assert_eq!(cursor.as_str(), "2024-05-01T03:55:00+00:00", "the newest less the overlap");
        let afters: Vec<_> = pim
            .journal()
            .entries()
            .iter()
            .map(|e| e.query.iter().find(|(k, _)| k == "after").map(|(_, v)| v.clone()))
            .collect();
        assert_eq!(afters, [None, Some("100".to_owned()), Some("200".to_owned())]);
        pim.put_order(pim_order(251, "2024-05-02T08:00:00Z"));
        let changes = read_all::<Order>(&source, ReadMode::Changes { since: Some(cursor) }).await;
        let numbers: Vec<_> = changes.upserts.iter().filter_map(|o| o.number.as_deref()).collect();
        let expected: Vec<String> = (235..=251).map(|n| n.to_string()).collect();
        assert_eq!(numbers, expected, "the overlap's orders again, and the new one");
        assert_source_contract::<Order>(&source).await;
        assert!(api_spec().check_journal(pim.journal()).is_empty());
    }

    fn order(number: &str, sku: &str) -> Order {
        Order {
            number: Some(number.into()),
            currency: Currency::EUR,
            lines: vec![DocumentLine {
                sku: Some(sku.into()),
                quantity: Decimal::new(3, 0),
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    fn create(o: Order) -> WriteRequest<Order> {
        let key = o.number.clone().unwrap_or_default();
        WriteRequest {
            idempotency_key: key.clone(),
            key,
            target_id: None,
            action: WriteAction::Upsert(o),
            is_create: true,
        }
    }

    #[tokio::test]
    async fn an_order_is_placed_with_the_employee_number_once_and_only_for_known_products() {
        let pim = PartsPimSimulator::start().await.unwrap();
        pim.put_product("100200", "Fietsbel");
        let sink = PartsPimSink::new(pim.config()).unwrap();
        let out = sink
            .write(vec![
                create(order("240001", "100200")),
                create(order("240002", "10A200")),
                create(order("240003", "555555")),
            ])
            .await
            .unwrap();
        assert!(matches!(out[0].outcome, Outcome::Created { .. }), "{:?}", out[0]);
        let Outcome::Failed { error } = &out[1].outcome else { panic!("{:?}", out[1]) };
        assert_eq!(error.field_errors()[0].field, "lines[0].sku");
        assert!(error.to_string().contains("10A200"), "{error}");
        let Outcome::Failed { error } = &out[2].outcome else { panic!("{:?}", out[2]) };
        assert!(error.to_string().contains("product 555555 does not exist"), "{error}");
        let placed = pim.orders();
        assert_eq!(placed.len(), 1);
        assert_eq!(placed[0]["employee_number"], "999999");
        assert_eq!(placed[0]["lines"][0]["quantity"], "3");
        let posts: Vec<_> = pim
            .journal()
            .entries()
            .iter()
            .filter(|e| e.method == "POST")
            .map(|e| e.path.clone())
            .collect();
        assert_eq!(posts.len(), 2, "the SKU with a letter was never sent: {posts:?}");
        // A retry finds it placed; lookups find it by number.
        let again = sink.write(vec![create(order("240001", "100200"))]).await.unwrap();
        assert!(
            matches!(&again[0].outcome, Outcome::Created { target_id } if target_id == "240001")
        );
        let key = connector_core::sink::LookupKey::new("number", "240001");
        assert!(Sink::<Order>::find(&sink, &key).await.unwrap().is_some());
        assert_eq!(pim.orders().len(), 1);
        assert!(api_spec().check_journal(pim.journal()).is_empty());
    }
}

mod order_files {
    use std::io::Write;

    use connector_core::model::Order;
    use connector_core::source::ReadMode;
    use connector_parts_pim::{PartsPimConfig, PartsPimSource};
    use connector_testkit::read_all;

    const HEADER: &str = "number,order_date,currency,employee_number,payment_term,customer_number,company_name,first_name,last_name,email,street,postal_code,city,country,sku,quantity,unit_price\n";

    fn source(dir: &std::path::Path, settle_ms: u64) -> PartsPimSource {
        let mut config = PartsPimConfig::file_drop(dir);
        config.settle = std::time::Duration::from_millis(settle_ms);
        PartsPimSource::new(config).unwrap()
    }

    #[tokio::test]
    async fn exported_order_files_are_read_an_order_per_run_of_rows() {
        let dir = tempfile::tempdir().unwrap();
        let s = source(dir.path(), 0);
        std::fs::write(
            dir.path().join("orders/orders-001.csv"),
            format!(
                "{HEADER}700001,2024-05-01,EUR,999999,30 dagen,20001,Rijwielhandel Noord,Piet,Bakker,piet@noord.example,Markt 1,9711 AA,Groningen,NL,100200,2,4.95\n\
                 700001,2024-05-01,EUR,999999,30 dagen,20001,Rijwielhandel Noord,Piet,Bakker,piet@noord.example,Markt 1,9711 AA,Groningen,NL,100300,1,39.50\n\
                 700002,2024-05-01,EUR,999999,contant,,,Sanne,Visser,sanne@visser.example,,,,,100400,drie,6.25\n"
            ),
        )
        .unwrap();
        let read = read_all::<Order>(&s, ReadMode::Full).await;
        assert!(read.error.is_none(), "{:?}", read.error);
        assert_eq!(read.upserts.len(), 1);
        let o = &read.upserts[0];
        assert_eq!(o.lines.len(), 2);
        assert_eq!(o.party.company_name.as_deref(), Some("Rijwielhandel Noord"));
        assert_eq!(o.billing_address.as_ref().and_then(|a| a.city.as_deref()), Some("Groningen"));
        assert_eq!(o.lines[1].unit_price.unwrap().amount.to_string(), "39.50");
        // The order with "drie" for a quantity is rejected naming the line's field.
        assert_eq!(read.rejected.len(), 1, "{:?}", read.rejected);
        assert_eq!(read.rejected[0].error.field_errors()[0].field, "lines[0].quantity");
        assert!(read.last_cursor.unwrap().as_str().starts_with("orders-001.csv/"));
    }

    #[tokio::test]
    async fn a_half_written_order_file_is_not_read_until_it_stands_still() {
        let dir = tempfile::tempdir().unwrap();
        let s = source(dir.path(), 300);
        let path = dir.path().join("orders/orders-002.csv");
        let row =
            "700003,2024-05-01,EUR,999999,contant,20003,,Kees,,kees@example.nl,,,,,100200,1,4.95\n";
        std::fs::write(&path, format!("{HEADER}{row}")).unwrap();
        // The PIM is still writing: another row comes while the reader waits for it to settle.
        let writer = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(100));
            let mut f = std::fs::OpenOptions::new().append(true).open(path).unwrap();
            f.write_all(row.replace("700003", "700004").as_bytes()).unwrap();
        });
        let first = read_all::<Order>(&s, ReadMode::Full).await;
        writer.join().unwrap();
        assert!(first.upserts.is_empty() && first.last_cursor.is_none(), "{first:?}");
        let second = read_all::<Order>(&s, ReadMode::Full).await;
        let numbers: Vec<_> = second.upserts.iter().filter_map(|o| o.number.as_deref()).collect();
        assert_eq!(numbers, ["700003", "700004"], "read whole once it stood still");
    }
}

#[tokio::test]
async fn with_format_xml_the_drops_are_xml_with_the_same_fields() {
    use connector_file::exchange::{Completion, Inbox};
    use connector_parts_pim::PartsPimConfig;
    let dir = tempfile::tempdir().unwrap();
    let mut options = std::collections::BTreeMap::new();
    options.insert("transport".to_owned(), "file".to_owned());
    options.insert("folder".to_owned(), dir.path().display().to_string());
    options.insert("format".to_owned(), "xml".to_owned());
    let sink = PartsPimSink::new(PartsPimConfig::from_options(&options).unwrap()).unwrap();
    let mut saddle = product("5001");
    saddle.name = Some("Zadel & bel <comfort>".into());
    let req = WriteRequest {
        key: "5001".into(),
        target_id: None,
        idempotency_key: String::new(),
        is_create: true,
        action: WriteAction::Upsert(saddle),
    };
    let out = Sink::<Product>::write(&sink, vec![req]).await.unwrap();
    assert!(matches!(out[0].outcome, Outcome::Created { .. }), "{out:?}");
    let ready = Inbox::new(dir.path(), Completion::Marker).unwrap().ready().unwrap();
    assert!(ready[0].name.ends_with(".xml"), "{}", ready[0].name);
    let text = std::fs::read_to_string(&ready[0].path).unwrap();
    assert!(
        text.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<products>\n  <product>\n"),
        "{text}"
    );
    assert!(text.contains("<name>Zadel &amp; bel &lt;comfort&gt;</name>"), "{text}");
    assert!(text.contains("<employee_number>999999</employee_number>"), "{text}");
    options.insert("format".to_owned(), "json".to_owned());
    let e = PartsPimConfig::from_options(&options).unwrap_err();
    assert!(e.to_string().contains("csv or xml"), "{e}");
}
