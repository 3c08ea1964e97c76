//! The AccountView connector against its simulator, which serves AccountView.Net as the
//! description in `tests/fixtures/accountview-api.json` has it.

use connector_accountview::simulator::{AccountViewSimulator, api_spec};
use connector_accountview::{AccountViewClient, AccountViewSource};
use connector_core::model::{Customer, Lifecycle, Product, SellablePolicy, StockLevel};
use connector_core::source::ReadMode;
use connector_core::{ErrorKind, Source};
use connector_testkit::{assert_source_contract, read_all};
use rust_decimal::Decimal;
use serde_json::json;

async fn demo(page_size: u32) -> (AccountViewSimulator, AccountViewSource) {
    let sim = AccountViewSimulator::builder().demo_data().start().await.unwrap();
    let mut config = sim.config();
    config.page_size = page_size;
    let source = AccountViewSource::new(AccountViewClient::new(config, None).unwrap());
    (sim, source)
}

#[tokio::test]
async fn debtors_are_read_page_by_page_with_last_key_and_held_to_the_description() {
    let (sim, source) = demo(2).await;
    let read = read_all::<Customer>(&source, ReadMode::Full).await;
    assert!(read.error.is_none(), "{:?}", read.error);
    let numbers: Vec<_> = read.upserts.iter().filter_map(|c| c.number.as_deref()).collect();
    assert_eq!(numbers, ["1001", "1002", "1003"]);
    let jansen = &read.upserts[0];
    assert_eq!(jansen.credit_limit.as_ref().map(|m| m.amount), Some(Decimal::from(5000)));
    assert_eq!(jansen.registration_number.as_deref(), Some("12345678"));
    assert_eq!(read.upserts[2].meta.lifecycle, Lifecycle::Inactive, "BLK_SP blocks the debtor");
    // Two full pages and a last one: the second and third start after the last key.
    let pages: Vec<Vec<(String, String)>> = sim
        .journal()
        .entries()
        .iter()
        .filter(|e| e.path.ends_with("/accountviewdata"))
        .map(|e| e.query.clone())
        .collect();
    let param = |page: &[(String, String)], name: &str| {
        page.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    };
    assert_eq!(pages.len(), 2, "{pages:?}");
    assert_eq!(param(&pages[0], "lastKey"), None);
    assert_eq!(param(&pages[1], "lastKey").as_deref(), Some("1002"));
    assert!(param(&pages[0], "Fields").unwrap().starts_with("contact.sub_nr,contact.acct_name,"));
    assert!(read.last_cursor.is_some());
    let breaches = api_spec().check_journal(sim.journal());
    assert!(breaches.is_empty(), "{breaches:#?}");
}

#[tokio::test]
async fn a_changes_read_asks_for_newer_change_dates_only() {
    let (sim, source) = demo(200).await;
    let full = read_all::<Customer>(&source, ReadMode::Full).await;
    let cursor = full.last_cursor.clone().unwrap();
    // The newest change, 08:15 in Amsterdam's summer time, is 06:15 UTC; less the overlap.
    assert_eq!(cursor.as_str(), "2024-04-02T04:15:00+00:00", "the newest change less the overlap");
    sim.put_contact(json!({"SUB_NR": "1004", "SRC_CODE": "NIEUW", "ACCT_NAME": "Nieuwe Klant", "CUR_CODE": "EUR",
                           "CRED_LIM": 0, "BLK_SP": false, "INP_DATE": "", "CNG_DATE": "2024-05-01T09:00:00"}));
    let changes = read_all::<Customer>(&source, ReadMode::Changes { since: Some(cursor) }).await;
    let numbers: Vec<_> = changes.upserts.iter().filter_map(|c| c.number.as_deref()).collect();
    assert_eq!(numbers, ["1002", "1004"], "the boundary row again, and the new one");
    let last = sim.journal().entries().last().unwrap().query.clone();
    let filter = last.iter().find(|(k, _)| k == "Filter").map(|(_, v)| v.as_str());
    assert_eq!(filter, Some("contact.cng_date >= {^2024-04-02 06:15:00}"));
    assert!(api_spec().check_journal(sim.journal()).is_empty());
}

#[tokio::test]
async fn articles_are_products_and_stock_is_on_hand_less_reserved() {
    let (_sim, source) = demo(2).await;
    let products = read_all::<Product>(&source, ReadMode::Full).await;
    assert_eq!(products.upserts.len(), 3);
    assert_eq!(products.upserts[0].sales_price.as_ref().unwrap().amount.to_string(), "4.95");
    let stock = read_all::<StockLevel>(&source, ReadMode::Full).await;
    let sellable =
        |s: &StockLevel| s.sellable(SellablePolicy::AvailableMinusReserved).unwrap().to_string();
    let available: Vec<_> = stock.upserts.iter().map(|s| (s.sku.as_str(), sellable(s))).collect();
    assert_eq!(
        available,
        [("100200", "105".to_owned()), ("100300", "-1".to_owned()), ("100400", "40.5".to_owned())]
    );
    assert_source_contract::<Customer>(&source).await;
    assert_source_contract::<Product>(&source).await;
}

#[tokio::test]
async fn the_simulator_refuses_what_accountview_refuses() {
    let sim = AccountViewSimulator::builder().demo_data().start().await.unwrap();
    let client = AccountViewClient::new(sim.config(), None).unwrap();
    // A column CONTACT does not have.
    let mut pages =
        client.pages("AR1", "CONTACT", "SUB_NR", "contact.sub_nr,contact.shoe_size".into(), None);
    let err = futures_util::StreamExt::next(&mut pages).await.unwrap().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.message().contains("contact.shoe_size bestaat niet"), "{err}");
    drop(pages);
    // The refresh token was spent by the first client: a second one starting from it fails.
    let again = AccountViewSource::new(AccountViewClient::new(sim.config(), None).unwrap());
    let first =
        futures_util::StreamExt::next(&mut Source::<Customer>::read(&again, ReadMode::Full))
            .await
            .unwrap();
    assert!(
        matches!(first, Err(ref e) if e.kind() == ErrorKind::Auth || e.message().contains("invalid_grant")),
        "{first:?}"
    );
}

mod debtors {
    use connector_accountview::AccountViewSink;
    use connector_core::Sink;
    use connector_core::model::{ContactKind, ContactPerson, Customer, CustomerKind, Email};
    use connector_core::sink::{Outcome, WriteAction, WriteRequest};
    use connector_testkit::assert_sink_contract;

    use super::*;

    fn email(address: &str) -> Vec<Email> {
        vec![Email { address: address.into(), kind: ContactKind::Work, primary: true }]
    }

    fn customer(number: &str, name: &str) -> Customer {
        Customer {
            number: Some(number.into()),
            name: Some(name.into()),
            emails: email(&format!("{number}@example.nl")),
            ..Default::default()
        }
    }

    #[tokio::test]
    async fn the_debtor_sink_keeps_the_sink_contract_and_the_dictionary() {
        let sim = AccountViewSimulator::builder().demo_data().start().await.unwrap();
        let sink = AccountViewSink::new(AccountViewClient::new(sim.config(), None).unwrap());
        let run = assert_sink_contract::<Customer>(
            &sink,
            vec![
                customer("2001", "Rijwielhandel Bakker"),
                customer("2002", "Café de Fiets"),
                customer("2003", "Ørsted Cykler"),
            ],
        )
        .await;
        assert_eq!((run.created, run.found), (3, 3));
        assert!(
            api_spec().check_journal(sim.journal()).is_empty(),
            "{:#?}",
            api_spec().check_journal(sim.journal())
        );
    }

    #[tokio::test]
    async fn a_company_keeps_its_contact_person_and_a_private_buyer_is_a_person_debtor() {
        let sim = AccountViewSimulator::builder().start().await.unwrap();
        let client = AccountViewClient::new(sim.config(), None).unwrap();
        let sink = AccountViewSink::new(client.clone());
        let mut company = customer("3001", "Fietsenmakerij Groen");
        company.contacts.push(ContactPerson {
            first_name: Some("Sanne".into()),
            last_name: Some("Groen".into()),
            emails: email("sanne@groen.example"),
            ..Default::default()
        });
        let mut person = customer("3002", "");
        person.kind = CustomerKind::Person;
        (person.first_name, person.last_name) = (Some("Jan".into()), Some("de Vries".into()));
        let mut too_long = customer("3003", &"Lange naam ".repeat(5));
        too_long.emails.clear();
        let req = |c: Customer| WriteRequest {
            key: c.number.clone().unwrap(),
            target_id: None,
            is_create: true,
            idempotency_key: String::new(),
            action: WriteAction::Upsert(c),
        };
        let out = Sink::<Customer>::write(&sink, vec![req(company), req(person), req(too_long)])
            .await
            .unwrap();
        assert!(
            matches!(out[0].outcome, Outcome::Created { .. })
                && matches!(out[1].outcome, Outcome::Created { .. })
        );
        let Outcome::Failed { error } = &out[2].outcome else { panic!("{:?}", out[2]) };
        assert!(
            error.to_string().contains("ACCT_NAME") && error.to_string().contains("40 characters"),
            "{error}"
        );
        let read = read_all::<Customer>(&AccountViewSource::new(client), ReadMode::Full).await;
        let names: Vec<_> = read.upserts.iter().filter_map(|c| c.name.as_deref()).collect();
        assert_eq!(names, ["Fietsenmakerij Groen", "Jan de Vries"]);
        let posted = sim
            .journal()
            .entries()
            .iter()
            .filter(|e| e.method == "POST" && e.path.ends_with("accountviewdata"))
            .count();
        assert_eq!(posted, 2, "the too-long name was refused before sending");
        assert!(api_spec().check_journal(sim.journal()).is_empty());
    }

    #[tokio::test]
    async fn an_update_leaves_other_columns_alone_and_a_create_never_takes_anothers_number() {
        let sim = AccountViewSimulator::builder().demo_data().start().await.unwrap();
        let sink = AccountViewSink::new(AccountViewClient::new(sim.config(), None).unwrap());
        // Debtor 1001 changes its e-mail only: its phone, VAT number and search code stay.
        let mut jansen = customer("1001", "Fietsen Jansen B.V.");
        jansen.emails = email("nieuw@jansen.example");
        let update = WriteRequest {
            key: "1001".into(),
            target_id: Some("1001".into()),
            is_create: false,
            idempotency_key: String::new(),
            action: WriteAction::Upsert(jansen),
        };
        let out = Sink::<Customer>::write(&sink, vec![update]).await.unwrap();
        assert!(matches!(out[0].outcome, Outcome::Updated { .. }), "{out:?}");
        let row = sim.contact("1001").unwrap();
        assert_eq!(row["MAIL_BUS"], "nieuw@jansen.example");
        assert_eq!(
            (row["TEL_BUS"].as_str(), row["VAT_NR"].as_str()),
            (Some("+31 20 555 0101"), Some("NL001234567B01"))
        );
        assert_eq!(row["SRC_CODE"], "JANSEN", "the search code is set on create only");
        // A new customer numbered 1002 is not Anna de Vries: refused, naming the number.
        let create = WriteRequest {
            key: "web-7".into(),
            target_id: None,
            is_create: true,
            idempotency_key: String::new(),
            action: WriteAction::Upsert(customer("1002", "Heel Andere Klant")),
        };
        let out = Sink::<Customer>::write(&sink, vec![create]).await.unwrap();
        let Outcome::Failed { error } = &out[0].outcome else { panic!("{out:?}") };
        assert_eq!(error.kind(), ErrorKind::Conflict);
        assert!(
            error.to_string().contains("1002 belongs to another debtor (Anna de Vries)"),
            "{error}"
        );
    }
}

mod orders {
    use connector_accountview::AccountViewSink;
    use connector_accountview::simulator::ORDER_BUSINESS_OBJECT;
    use connector_core::Sink;
    use connector_core::model::{Currency, DocumentLine, EntityRef, Money, Order};
    use connector_core::sink::{LookupKey, Outcome, WriteAction, WriteRequest};

    use super::*;

    fn order(number: &str, debtor: &str, skus: &[&str]) -> Order {
        let mut o = Order {
            number: Some(number.into()),
            order_date: chrono::NaiveDate::from_ymd_opt(2024, 5, 1),
            currency: Currency::EUR,
            payment_term: Some(EntityRef::by_key("30")),
            lines: skus
                .iter()
                .map(|sku| DocumentLine {
                    sku: Some((*sku).into()),
                    quantity: Decimal::new(25, 1),
                    unit_price: Some(Money::new(Decimal::new(495, 2), Currency::EUR)),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        };
        o.party.customer.id = Some(debtor.into());
        o
    }

    fn create(o: Order) -> WriteRequest<Order> {
        let key = o.number.clone().unwrap_or_default();
        WriteRequest {
            idempotency_key: format!("k-{key}"),
            key,
            target_id: None,
            action: WriteAction::Upsert(o),
            is_create: true,
        }
    }

    #[tokio::test]
    async fn an_order_is_an_article_page_placed_once_and_found_by_its_number() {
        let sim = AccountViewSimulator::builder().demo_data().start().await.unwrap();
        let sink = AccountViewSink::new(AccountViewClient::new(sim.config(), None).unwrap());
        Sink::<Order>::check(&sink).await.unwrap();
        let out = sink.write(vec![create(order("500123", "1001", &["100200", "100300"]))]).await;
        let out = out.unwrap();
        assert!(matches!(&out[0].outcome, Outcome::Created { target_id } if target_id == "240001"));
        let headers = sim.orders();
        assert_eq!(headers.len(), 1);
        assert_eq!(headers[0]["EXT_ID"], "500123");
        assert_eq!(headers[0]["SUB_NR"], "1001");
        assert_eq!(headers[0]["DISC_CODE"], "30");
        let lines = sim.order_lines(headers[0]["REC_ID"].as_str().unwrap());
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["ART_QTY"].to_string(), "2.5", "an exact decimal");
        assert_eq!(lines[0]["ART_PX"].to_string(), "4.95");
        // Found by the source's number; a retried create finds it instead of placing it again.
        let found = Sink::<Order>::find(&sink, &LookupKey::new("number", "500123")).await.unwrap();
        assert_eq!(found.map(|f| f.target_id).as_deref(), Some("240001"));
        let again = sink.write(vec![create(order("500123", "1001", &["100200"]))]).await.unwrap();
        assert!(
            matches!(&again[0].outcome, Outcome::Created { target_id } if target_id == "240001")
        );
        assert_eq!(sim.orders().len(), 1);
        let breaches = api_spec().check_journal(sim.journal());
        assert!(breaches.is_empty(), "{breaches:#?}");
    }

    #[tokio::test]
    async fn an_unknown_article_fails_the_order_naming_the_sku_before_anything_is_sent() {
        let sim = AccountViewSimulator::builder().demo_data().start().await.unwrap();
        let sink = AccountViewSink::new(AccountViewClient::new(sim.config(), None).unwrap());
        let out = sink
            .write(vec![
                create(order("1", "1001", &["100200", "999999"])),
                create(order("2", "1002", &["100400"])),
            ])
            .await
            .unwrap();
        let Outcome::Failed { error } = &out[0].outcome else { panic!("{:?}", out[0]) };
        assert_eq!(error.field_errors()[0].field, "lines[1].sku");
        assert!(error.to_string().contains("\"999999\" does not exist"), "{error}");
        assert!(matches!(out[1].outcome, Outcome::Created { .. }), "the rest goes on");
        assert_eq!(sim.orders().len(), 1);
        let posts = sim
            .journal()
            .entries()
            .iter()
            .filter(|e| e.method == "POST" && e.path.ends_with("/accountviewdata"))
            .count();
        assert_eq!(posts, 1, "the failed order was never sent");
        // Without a debtor an order is refused naming the field.
        let mut o = order("3", "", &["100200"]);
        o.party.customer.id = None;
        let out = sink.write(vec![create(o)]).await.unwrap();
        let Outcome::Failed { error } = &out[0].outcome else { panic!("{:?}", out[0]) };
        assert_eq!(error.field_errors()[0].field, "party.customer.id");
    }

    #[tokio::test]
    async fn the_simulator_refuses_an_order_for_an_unknown_debtor_or_article() {
        let sim = AccountViewSimulator::builder().demo_data().start().await.unwrap();
        let client = AccountViewClient::new(sim.config(), None).unwrap();
        let post = |debtor: &str, sku: &str| {
            let o = order("9", debtor, &[sku]);
            connector_accountview::order::payload(
                &o,
                debtor,
                ORDER_BUSINESS_OBJECT,
                chrono::NaiveDate::from_ymd_opt(2024, 5, 1).unwrap(),
            )
            .unwrap()
        };
        let http = client.http().await.unwrap();
        for (body, says) in [
            (post("7777", "100200"), "Debiteur 7777 bestaat niet"),
            (post("1001", "424242"), "Artikel 424242 bestaat niet"),
        ] {
            let e = http.post("accountviewdata").json(&body).send_json::<serde_json::Value>().await;
            let e = e.unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
            assert!(e.to_string().contains(says), "{e}");
        }
        // Without the setting, orders say how to find the business object's code.
        let mut config = sim.config();
        config.order_business_object = None;
        let sink = AccountViewSink::new(AccountViewClient::new(config, None).unwrap());
        let e = Sink::<Order>::check(&sink).await.unwrap_err();
        assert!(e.to_string().contains("order_business_object"), "{e}");
        assert!(sim.orders().is_empty());
    }

    #[tokio::test]
    async fn orders_are_read_page_by_page_each_with_its_own_lines() {
        let sim = AccountViewSimulator::builder().demo_data().start().await.unwrap();
        for (i, skus) in [&["100200"][..], &["100300", "100400"], &["100200"]].iter().enumerate() {
            let lines = skus
                .iter()
                .map(|s| json!({"ART_CODE": s, "ART_QTY": i + 1, "ART_PX": 4.95, "DISC_PCT": 0}))
                .collect();
            sim.put_order(
                json!({"SUB_NR": "1001", "ORD_DATE": "2024-05-02T00:00:00", "CUR_CODE": "EUR", "EXT_ID": if i == 2 { json!("700001") } else { json!("") }}),
                lines,
            );
        }
        let mut config = sim.config();
        config.page_size = 2;
        let source = AccountViewSource::new(AccountViewClient::new(config, None).unwrap());
        let read = read_all::<Order>(&source, ReadMode::Full).await;
        assert!(read.error.is_none(), "{:?}", read.error);
        let numbers: Vec<_> = read.upserts.iter().filter_map(|o| o.number.as_deref()).collect();
        assert_eq!(numbers, ["240001", "240002", "240003"]);
        let skus: Vec<Vec<_>> = read
            .upserts
            .iter()
            .map(|o| o.lines.iter().filter_map(|l| l.sku.as_deref()).collect())
            .collect();
        assert_eq!(skus, [vec!["100200"], vec!["100300", "100400"], vec!["100200"]]);
        assert_eq!(read.upserts[1].lines[1].quantity, Decimal::from(2));
        assert!(read.upserts[2].meta.custom.contains_key("external_number"));
        assert!(
            !read.upserts[0].meta.custom.contains_key("external_number"),
            "an empty EXT_ID is none"
        );
        let keys: Vec<_> = sim
            .journal()
            .entries()
            .iter()
            .filter(|e| e.path.ends_with("/accountviewdata"))
            .map(|e| e.query.iter().find(|(k, _)| k == "lastKey").map(|(_, v)| v.clone()))
            .collect();
        assert_eq!(keys, [None, Some("H00002".to_owned())]);
        assert_source_contract::<Order>(&source).await;
        assert!(api_spec().check_journal(sim.journal()).is_empty());
    }
}

mod files {
    use std::fs;

    use connector_accountview::{AccountViewConfig, AccountViewFiles};
    use connector_core::Sink;
    use connector_core::model::{Currency, DocumentLine, Order};
    use connector_core::sink::{Outcome, WriteAction, WriteRequest};

    use super::*;

    fn files(dir: &std::path::Path) -> AccountViewFiles {
        let mut config = AccountViewConfig::file_exchange(dir);
        config.settle = std::time::Duration::ZERO;
        AccountViewFiles::new(&config).unwrap()
    }

    fn export(dir: &std::path::Path, name: &str, text: &str) {
        fs::create_dir_all(dir.join("export")).unwrap();
        fs::write(dir.join("export").join(name), text).unwrap();
    }

    #[tokio::test]
    async fn exported_debtors_are_read_file_by_file_and_a_read_file_moves_on() {
        let dir = tempfile::tempdir().unwrap();
        let f = files(dir.path());
        export(
            dir.path(),
            "debtors-001.csv",
            "SUB_NR;ACCT_NAME;MAIL_BUS;CRED_LIM;CUR_CODE;BLK_SP;CNG_DATE\n\
             1001;Fietsen Jansen B.V.;inkoop@jansen.example;5000,50;EUR;F;2024-03-01T10:00:00\n\
             1002;Anna de Vries;anna@devries.example;veel;EUR;F;2024-04-02T08:15:00\n\
             1003;Gesloten Winkel;;0;EUR;T;2022-12-31T23:59:59\n",
        );
        let read = read_all::<Customer>(&f, ReadMode::Full).await;
        assert!(read.error.is_none(), "{:?}", read.error);
        let numbers: Vec<_> = read.upserts.iter().filter_map(|c| c.number.as_deref()).collect();
        assert_eq!(numbers, ["1001", "1003"]);
        assert_eq!(read.upserts[0].credit_limit.unwrap().amount.to_string(), "5000.50");
        assert_eq!(read.upserts[1].meta.lifecycle, Lifecycle::Inactive);
        assert_eq!(read.rejected.len(), 1);
        assert_eq!(read.rejected[0].error.field_errors()[0].field, "CRED_LIM");
        let cursor = read.last_cursor.clone().unwrap();
        assert!(cursor.as_str().starts_with("debtors-001.csv/"), "name/size/time: {cursor:?}");

        // The next read moves the committed file on and reads only what came since.
        export(dir.path(), "debtors-002.csv", "SUB_NR;ACCT_NAME\n1004;Nieuwe Klant\n");
        export(dir.path(), "not-a-debtor.txt", "ignored");
        let next = read_all::<Customer>(&f, ReadMode::Changes { since: Some(cursor) }).await;
        let numbers: Vec<_> = next.upserts.iter().filter_map(|c| c.number.as_deref()).collect();
        assert_eq!(numbers, ["1004"]);
        assert!(dir.path().join("export/processed/debtors-001.csv").exists());
        assert!(dir.path().join("export/debtors-002.csv").exists(), "not committed yet");
        assert!(dir.path().join("export/not-a-debtor.txt").exists());

        // An export written again under a name already read is read again, not moved on.
        let cursor = next.last_cursor.clone().unwrap();
        export(
            dir.path(),
            "debtors-002.csv",
            "SUB_NR;ACCT_NAME\n1004;Nieuwe Klant B.V.\n1005;Nog Een\n",
        );
        let again = read_all::<Customer>(&f, ReadMode::Changes { since: Some(cursor) }).await;
        let numbers: Vec<_> = again.upserts.iter().filter_map(|c| c.number.as_deref()).collect();
        assert_eq!(numbers, ["1004", "1005"]);
    }

    #[tokio::test]
    async fn a_file_that_is_not_csv_moves_to_failed_with_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        let f = files(dir.path());
        export(dir.path(), "debtors-001.csv", "");
        export(dir.path(), "debtors-002.csv", "SUB_NR;ACCT_NAME\n1004;Nieuwe Klant\n");
        let read = read_all::<Customer>(&f, ReadMode::Full).await;
        assert_eq!(read.upserts.len(), 1);
        assert_eq!(read.rejected.len(), 1);
        assert!(read.rejected[0].error.to_string().contains("debtors-001.csv"));
        assert!(dir.path().join("export/failed/debtors-001.csv").exists());
        assert!(dir.path().join("export/failed/debtors-001.csv.error.txt").exists());
        assert!(read.last_cursor.unwrap().as_str().starts_with("debtors-002.csv/"));
    }

    #[tokio::test]
    async fn exported_orders_are_one_record_per_order_and_articles_are_stock() {
        let dir = tempfile::tempdir().unwrap();
        let f = files(dir.path());
        export(
            dir.path(),
            "orders-001.csv",
            "ORD_NR;SUB_NR;ORD_DATE;CUR_CODE;DD_ACT;ART_CODE;ART_QTY;ART_PX\n\
             240101;1001;2024-05-02T00:00:00;EUR;F;100200;10;4,95\n\
             240101;1001;2024-05-02T00:00:00;EUR;F;100400;4;6,25\n\
             240102;1002;2024-05-03T00:00:00;EUR;T;100300;1;39,50\n",
        );
        export(dir.path(), "stock-001.csv", "ART_CODE;STOCK;RESERVED\n100200;120;15\n");
        export(
            dir.path(),
            "orders-002.csv",
            "ORD_NR;SUB_NR;ART_CODE;ART_QTY\n240103;1001;100200;1\n240103;1001;100300\n240103;1001;100400;2\n",
        );
        let read = read_all::<Order>(&f, ReadMode::Full).await;
        assert!(read.error.is_none(), "{read:?}");
        // An order with a row that cannot be read is refused whole, never split.
        assert_eq!(read.rejected.len(), 1, "{:?}", read.rejected);
        assert!(
            read.rejected[0].error.to_string().contains("ORD_NR 240103"),
            "{}",
            read.rejected[0].error
        );
        assert_eq!(read.upserts.len(), 2);
        assert_eq!(read.upserts[0].lines.len(), 2);
        assert_eq!(read.upserts[0].lines[1].unit_price.unwrap().amount.to_string(), "6.25");
        assert_eq!(
            read.upserts[1].payment_method.as_ref().and_then(|m| m.key.as_deref()),
            Some("incasso")
        );
        let stock = read_all::<StockLevel>(&f, ReadMode::Full).await;
        let sellable = stock.upserts[0].sellable(SellablePolicy::AvailableMinusReserved).unwrap();
        assert_eq!(sellable, Decimal::from(105));
    }

    fn request<E>(key: &str, record: E) -> WriteRequest<E> {
        WriteRequest {
            idempotency_key: key.into(),
            key: key.into(),
            target_id: None,
            action: WriteAction::Upsert(record),
            is_create: true,
        }
    }

    #[tokio::test]
    async fn debtors_and_orders_are_written_whole_as_import_files() {
        let dir = tempfile::tempdir().unwrap();
        // What a crash left half-written is cleared; AccountView never saw it.
        fs::create_dir_all(dir.path().join("import/.part")).unwrap();
        fs::write(dir.path().join("import/.part/debtors-x.csv"), "SUB_NR;ACC").unwrap();
        let f = files(dir.path());
        assert!(!dir.path().join("import/.part/debtors-x.csv").exists());
        let customer = Customer {
            number: Some("20001".into()),
            name: Some("Rijwielhandel Noord; Groningen".into()),
            ..Default::default()
        };
        let out = f.write(vec![request("20001", customer.clone())]).await.unwrap();
        assert!(matches!(&out[0].outcome, Outcome::Created { target_id } if target_id == "20001"));
        // A retried batch whose file still waits in import/ is not delivered twice.
        let again = f.write(vec![request("20001", customer)]).await.unwrap();
        assert!(matches!(&again[0].outcome, Outcome::Created { .. }), "{again:?}");
        let mut order = Order {
            number: Some("700001".into()),
            currency: Currency::EUR,
            lines: ["100200", "100400"]
                .iter()
                .map(|s| DocumentLine {
                    sku: Some((*s).into()),
                    quantity: Decimal::from(2),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        };
        order.party.customer.id = Some("20001".into());
        let out = f.write(vec![request("700001", order)]).await.unwrap();
        assert!(matches!(out[0].outcome, Outcome::Created { .. }), "{:?}", out[0]);
        let mut names: Vec<String> = fs::read_dir(dir.path().join("import"))
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
            .filter(|n| n.ends_with(".csv"))
            .collect();
        names.sort();
        assert_eq!(names.len(), 2, "{names:?}");
        let debtors = fs::read_to_string(dir.path().join("import").join(&names[0])).unwrap();
        let mut rows = debtors.lines();
        assert!(rows.next().unwrap().starts_with("SUB_NR;SRC_CODE;ACCT_NAME;"));
        assert!(
            rows.next()
                .unwrap()
                .starts_with("20001;RIJWIELHAN;\"Rijwielhandel Noord; Groningen\";")
        );
        let orders = fs::read_to_string(dir.path().join("import").join(&names[1])).unwrap();
        let rows: Vec<&str> = orders.lines().collect();
        assert_eq!(rows.len(), 3, "a header and a row per line");
        assert!(rows[1].starts_with("20001;700001;"), "{}", rows[1]);
        assert!(rows[2].contains(";100400;"), "{}", rows[2]);
    }

    #[tokio::test]
    async fn the_simulated_export_folder_reads_through_the_registered_system() {
        use connector_core::system::{Context, System};
        let dir = tempfile::tempdir().unwrap();
        let system = connector_accountview::AccountViewSystem;
        let mut settings = connector_core::system::Options::new();
        settings.insert("sim_folder".into(), dir.path().display().to_string());
        let sim = system.simulate(0, &settings).await.unwrap();
        let mut options = sim.options();
        assert_eq!(options.get("transport").map(String::as_str), Some("file"));
        options.insert("settle_seconds".into(), "0".into());
        let ctx = Context::default();
        system.check(&options, &ctx).await.unwrap();
        let source = system.source(connector_core::EntityKind::Order, &options, &ctx).unwrap();
        let orders = read_all::<Order>(&*source.typed::<Order>().unwrap(), ReadMode::Full).await;
        assert_eq!(orders.upserts.len(), 1);
        assert_eq!(orders.upserts[0].lines[1].discount_percent, Some(Decimal::from(5)));
        let f = files_with(&options);
        let debtors = read_all::<Customer>(&f, ReadMode::Full).await;
        assert_eq!(debtors.upserts.len(), 3, "{:?}", debtors.rejected);
        let products = read_all::<Product>(&f, ReadMode::Full).await;
        assert_eq!(products.upserts[2].sku, "100400");
    }

    fn files_with(options: &connector_core::system::Options) -> AccountViewFiles {
        AccountViewFiles::new(&AccountViewConfig::from_options(options).unwrap()).unwrap()
    }
}

#[test]
fn the_timezone_and_transport_settings_are_read() {
    use connector_accountview::{AccountViewConfig, TimeZone};
    let options = |pairs: &[(&str, &str)]| -> std::collections::BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    };
    let rest = [("client_id", "id"), ("client_secret", "secret")];
    let c = AccountViewConfig::from_options(&options(&rest)).unwrap();
    assert_eq!(c.timezone, TimeZone::CentralEurope, "Europe/Amsterdam by default");
    let c = AccountViewConfig::from_options(&options(&[rest[0], rest[1], ("timezone", "UTC")]));
    assert_eq!(c.unwrap().timezone, TimeZone::Utc);
    let e = AccountViewConfig::from_options(&options(&[
        rest[0],
        rest[1],
        ("timezone", "America/New_York"),
    ]));
    assert!(e.unwrap_err().to_string().contains("America/New_York"));
    let e = AccountViewConfig::from_options(&options(&[("transport", "file")])).unwrap_err();
    assert!(e.to_string().contains("folder is required"), "{e}");
    let c =
        AccountViewConfig::from_options(&options(&[("transport", "file"), ("folder", "/tmp/av")]));
    assert!(c.unwrap().folder.is_some());
}
