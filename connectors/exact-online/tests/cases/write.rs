//! Writes: accounts with their contact person, documents with deep-inserted lines, the
//! `YourRef` lookup before create, unknown SKUs, and what the written documents read back as.

use std::str::FromStr;

use connector_core::model::{
    ContactPerson, Customer, CustomerKind, Email, Invoice, Order, Shipment,
};
use connector_core::sink::{LookupKey, Outcome, Sink};
use connector_core::source::ReadMode;
use connector_exact_online::simulator::ExactSimulator;
use connector_exact_online::{ExactClient, ExactSink, ExactSource, OrderTarget};
use rust_decimal::Decimal;

use crate::support::{connect, hold, order, path, read, req, token_store};

#[tokio::test(start_paused = true)]
async fn a_company_gets_an_account_with_its_contact_person_and_a_person_a_debtor() {
    let _io = hold();
    let sim = ExactSimulator::start().await.unwrap();
    let sink = ExactSink::new(connect(&sim).await);
    let company = Customer {
        kind: CustomerKind::Company,
        name: Some("Velo Shop GmbH".into()),
        emails: vec![Email {
            address: "info@veloshop.example".into(),
            kind: Default::default(),
            primary: true,
        }],
        contacts: vec![ContactPerson {
            first_name: Some("Anna".into()),
            last_name: Some("Schmidt".into()),
            emails: vec![Email {
                address: "anna@veloshop.example".into(),
                kind: Default::default(),
                primary: true,
            }],
            primary: true,
            ..ContactPerson::default()
        }],
        ..Customer::default()
    };
    let person = Customer {
        kind: CustomerKind::Person,
        first_name: Some("Piet".into()),
        last_name: Some("Jansen".into()),
        emails: vec![Email {
            address: "piet@example.nl".into(),
            kind: Default::default(),
            primary: true,
        }],
        ..Customer::default()
    };
    let out =
        Sink::<Customer>::write(&sink, vec![req("c1", company), req("c2", person)]).await.unwrap();
    let ids: Vec<String> = out
        .iter()
        .map(|o| match &o.outcome {
            Outcome::Created { target_id } => target_id.clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    let acc = sim.accounts().get(&ids[0]).unwrap().value;
    assert_eq!(acc["Name"], "Velo Shop GmbH");
    assert_eq!(acc["Status"], "C");
    assert_eq!(acc["Code"].as_str().unwrap().len(), 18, "codes are stored padded");
    let anna = sim.contacts().find(|r| r.value["Account"] == ids[0].as_str()).unwrap().value;
    assert_eq!(anna["LastName"], "Schmidt");
    let piet = sim.accounts().get(&ids[1]).unwrap().value;
    assert_eq!(piet["Name"], "Piet Jansen");
    assert!(sim.contacts().find(|r| r.value["Account"] == ids[1].as_str()).is_some());

    // The same e-mail again updates instead of creating (lookup before create).
    let mut again = Customer {
        kind: CustomerKind::Company,
        name: Some("Velo Shop AG".into()),
        ..Customer::default()
    };
    again.emails.push(Email {
        address: "INFO@veloshop.example".into(),
        kind: Default::default(),
        primary: true,
    });
    let out = Sink::<Customer>::write(&sink, vec![req("c1", again)]).await.unwrap();
    assert_eq!(out[0].outcome, Outcome::Updated { target_id: ids[0].clone() });
    assert_eq!(sim.accounts().get(&ids[0]).unwrap().value["Name"], "Velo Shop AG");
    let found = Sink::<Customer>::find(&sink, &LookupKey::new("email", "info@veloshop.example"))
        .await
        .unwrap();
    assert_eq!(found.unwrap().target_id, ids[0]);
}

#[tokio::test(start_paused = true)]
async fn a_sales_order_is_deep_inserted_once_and_found_by_your_ref() {
    let _io = hold();
    let sim = ExactSimulator::start().await.unwrap();
    let sink = ExactSink::new(connect(&sim).await);
    let o = order(
        "SF-00001",
        "inkoop@deketting.example",
        &[("BIKE-CITY-M", "2", "529.00"), ("LOCK-CHAIN", "2", "24.95")],
    );
    let out = Sink::<Order>::write(&sink, vec![req("SF-00001", o.clone())]).await.unwrap();
    let Outcome::Created { target_id } = &out[0].outcome else { panic!("{:?}", out[0]) };
    let so = sim.orders().get(target_id).unwrap().value;
    assert_eq!(so["YourRef"], "SF-00001");
    assert_eq!(so["OrderedBy"], "a1b2c3d4-0001-4000-8000-000000000001");
    assert_eq!(so["SalesOrderLines"].as_array().unwrap().len(), 2);
    assert_eq!(so["SalesOrderLines"][0]["NetPrice"].to_string(), "529");
    assert_eq!(sim.journal().count_call("POST", &path("salesorder/SalesOrders")), 1);

    // Sent again (a rerun after a crash): found by YourRef, skipped, not posted.
    let out = Sink::<Order>::write(&sink, vec![req("SF-00001", o)]).await.unwrap();
    match &out[0].outcome {
        Outcome::Skipped { reason, target_id: Some(id) } => {
            assert_eq!(id, target_id);
            assert!(reason.contains("SF-00001"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(sim.journal().count_call("POST", &path("salesorder/SalesOrders")), 1);
    let lookup = sim
        .journal()
        .entries()
        .into_iter()
        .find(|e| e.path == path("salesorder/SalesOrders") && e.method.as_str() == "GET")
        .unwrap();
    assert_eq!(lookup.query("$filter"), Some("YourRef eq 'SF-00001'"));
    assert_eq!(lookup.query("$top"), Some("1"));
    let found = Sink::<Order>::find(&sink, &LookupKey::new("number", "SF-00001")).await.unwrap();
    assert_eq!(found.unwrap().target_id, *target_id);
}

#[tokio::test(start_paused = true)]
async fn an_unknown_sku_fails_the_order_naming_the_sku_without_posting() {
    let _io = hold();
    let sim = ExactSimulator::start().await.unwrap();
    let sink = ExactSink::new(connect(&sim).await);
    let o = order(
        "SF-00002",
        "inkoop@deketting.example",
        &[("BIKE-CITY-M", "1", "549"), ("NO-SUCH-SKU", "1", "5")],
    );
    let out = Sink::<Order>::write(&sink, vec![req("SF-00002", o.clone())]).await.unwrap();
    let Outcome::Failed { error } = &out[0].outcome else { panic!("{:?}", out[0]) };
    assert!(error.message().contains("NO-SUCH-SKU"), "{}", error.message());
    assert_eq!(error.field(), Some("lines[1].sku"));
    assert_eq!(error.record(), Some("SF-00002"));
    assert_eq!(sim.journal().count_call("POST", &path("salesorder/SalesOrders")), 0);

    // Once the product exists the same order goes through.
    sim.add_item("NO-SUCH-SKU", "Now it exists", "5.00");
    let out = Sink::<Order>::write(&sink, vec![req("SF-00002", o)]).await.unwrap();
    assert!(matches!(out[0].outcome, Outcome::Created { .. }), "{:?}", out[0]);
}

#[tokio::test(start_paused = true)]
async fn no_customer_match_uses_the_default_debtor_or_fails_plainly() {
    let _io = hold();
    let sim = ExactSimulator::start().await.unwrap();
    let store = token_store();
    let sink =
        ExactSink::new(ExactClient::connect(sim.config(), Some(store.clone())).await.unwrap());
    let o = order("SF-00003", "stranger@nowhere.example", &[("LOCK-CHAIN", "1", "24.95")]);
    let out = Sink::<Order>::write(&sink, vec![req("SF-00003", o.clone())]).await.unwrap();
    let Outcome::Failed { error } = &out[0].outcome else { panic!("{:?}", out[0]) };
    assert!(error.message().contains("stranger@nowhere.example"), "{}", error.message());

    let mut config = sim.config();
    config.default_debtor = Some("9999".into());
    let sink = ExactSink::new(ExactClient::connect(config, Some(store)).await.unwrap());
    let out = Sink::<Order>::write(&sink, vec![req("SF-00003", o)]).await.unwrap();
    let Outcome::Created { target_id } = &out[0].outcome else { panic!("{:?}", out[0]) };
    assert_eq!(
        sim.orders().get(target_id).unwrap().value["OrderedBy"],
        "a1b2c3d4-0004-4000-8000-000000000004"
    );
    let lookup = sim
        .journal()
        .entries()
        .into_iter()
        .rev()
        .find(|e| {
            e.path.ends_with("crm/Accounts")
                && e.query("$filter").is_some_and(|f| f.starts_with("Code eq"))
        })
        .unwrap();
    assert_eq!(
        lookup.query("$filter"),
        Some("Code eq '              9999'"),
        "codes are matched padded"
    );
}

#[tokio::test(start_paused = true)]
async fn no_4xx_is_ever_sent_again() {
    let _io = hold();
    let sim = ExactSimulator::start().await.unwrap();
    let sink = ExactSink::new(connect(&sim).await);
    let mut o = order("SF-00004", "x@example.nl", &[("LOCK-CHAIN", "1", "24.95")]);
    // An account id that does not exist: Exact answers 400.
    o.party.customer.id = Some("deadbeef-0000-4000-8000-000000000000".into());
    let out = Sink::<Order>::write(&sink, vec![req("SF-00004", o)]).await.unwrap();
    let Outcome::Failed { error } = &out[0].outcome else { panic!("{:?}", out[0]) };
    assert_eq!(error.status(), Some(400));
    assert!(error.message().contains("OrderedBy"), "{}", error.message());
    // A PUT to an unknown account: 404.
    let mut c = Customer { name: Some("Ghost".into()), ..Customer::default() };
    c.kind = CustomerKind::Company;
    let mut r = req("ghost", c);
    r.target_id = Some("deadbeef-0000-4000-8000-000000000001".into());
    r.is_create = false;
    let out = Sink::<Customer>::write(&sink, vec![r]).await.unwrap();
    let Outcome::Failed { error } = &out[0].outcome else { panic!("{:?}", out[0]) };
    assert_eq!(error.status(), Some(404));
    let j = sim.journal();
    assert_eq!(j.count_client_errors(), 2);
    assert!(j.retried_client_errors().is_empty(), "{:?}", j.retried_client_errors());
    assert_eq!(j.count_call("POST", &path("salesorder/SalesOrders")), 1);
}

#[tokio::test(start_paused = true)]
async fn orders_can_become_sales_invoices_which_read_back() {
    let _io = hold();
    let sim = ExactSimulator::start().await.unwrap();
    let mut config = sim.config();
    config.order_target = OrderTarget::SalesInvoice;
    let client = ExactClient::connect(config, None).await.unwrap();
    let sink = ExactSink::new(client.clone());
    let o = order("SF-00005", "jan.devries@example.nl", &[("BIKE-CITY-M", "1", "549.00")]);
    let out = Sink::<Order>::write(&sink, vec![req("SF-00005", o)]).await.unwrap();
    assert!(matches!(out[0].outcome, Outcome::Created { .. }), "{:?}", out[0]);
    assert_eq!(sim.invoices().len(), 1);
    let source = ExactSource::new(client);
    let r = read::<Invoice>(&source, ReadMode::Full).await;
    assert!(r.error.is_none(), "{:?}", r.error);
    assert_eq!(r.upserts.len(), 1);
    let inv = &r.upserts[0];
    assert_eq!(inv.reference.as_deref(), Some("SF-00005"));
    assert_eq!(inv.lines.len(), 1, "lines come through $expand");
    assert_eq!(inv.totals.total.unwrap().amount, Decimal::from_str("664.29").unwrap());
    // Nothing new: the inclusive Modified boundary does not repeat it.
    let again = read::<Invoice>(&source, ReadMode::Changes { since: r.last_cursor.clone() }).await;
    assert!(again.upserts.is_empty(), "{:?}", again.upserts);
    let call = sim
        .journal()
        .entries()
        .into_iter()
        .rev()
        .find(|e| e.path.ends_with("SalesInvoices") && e.method.as_str() == "GET")
        .unwrap();
    assert!(
        call.query("$filter").unwrap().starts_with("Modified ge datetime'"),
        "{:?}",
        call.query("$filter")
    );
}

#[tokio::test(start_paused = true)]
async fn a_split_delivery_gives_two_shipments_with_their_own_tracking_codes() {
    let _io = hold();
    let sim = ExactSimulator::start().await.unwrap();
    let client = connect(&sim).await;
    let sink = ExactSink::new(client.clone());
    let o = order(
        "SF-00006",
        "inkoop@deketting.example",
        &[("BIKE-CITY-M", "2", "549"), ("LOCK-CHAIN", "2", "24.95")],
    );
    let out = Sink::<Order>::write(&sink, vec![req("SF-00006", o)]).await.unwrap();
    let Outcome::Created { target_id } = &out[0].outcome else { panic!("{:?}", out[0]) };
    let number = sim.orders().get(target_id).unwrap().value["OrderNumber"].as_i64().unwrap();
    sim.deliver(number, &[("BIKE-CITY-M", "1"), ("LOCK-CHAIN", "2")], "3SABCD0001", "PostNL")
        .unwrap();
    sim.deliver(number, &[("BIKE-CITY-M", "1")], "3SABCD0002", "PostNL").unwrap();
    let source = ExactSource::new(client);
    let r = read::<Shipment>(&source, ReadMode::Full).await;
    assert!(r.error.is_none(), "{:?}", r.error);
    assert_eq!(r.upserts.len(), 2);
    let mut codes: Vec<_> = r.upserts.iter().map(|s| s.tracking_code.clone().unwrap()).collect();
    codes.sort();
    assert_eq!(codes, ["3SABCD0001", "3SABCD0002"]);
    for s in &r.upserts {
        assert_eq!(s.order_number.as_deref(), Some("SF-00006"), "the order's YourRef");
        assert_eq!(s.carrier.as_deref(), Some("PostNL"));
        assert_eq!(
            s.tracking_url.as_deref(),
            Some(format!("https://track.example/{}", s.tracking_code.as_deref().unwrap()).as_str())
        );
    }
    assert_ne!(r.upserts[0].number, r.upserts[1].number);
    // One YourRef lookup for both deliveries (cached).
    let lookups = sim
        .journal()
        .count(|e| e.method.as_str() == "GET" && e.path.ends_with("salesorder/SalesOrders"));
    assert_eq!(lookups, 2, "one before create, one for the shipments");
}
