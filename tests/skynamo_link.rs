//! Skynamo Link end to end on the Xero and Skynamo simulators: every dataset arrives with
//! exact decimals, archived customers become inactive, nameless and codeless rows are dropped
//! and reported, unmapped rep codes follow the mapping's policy, and an order placed in
//! Skynamo reaches Xero once, whether the flow runs twice or was killed after the POST.

#![cfg(all(feature = "xero", feature = "skynamo"))]

#[allow(dead_code)]
#[path = "../examples/xero_to_skynamo/link.rs"]
mod link;

use std::sync::Arc;

use connector_sdk::flow::RunMode;
use connector_sdk::model::{Currency, EntityRef, Order};
use connector_sdk::sink::{Sink, WriteAction, WriteRequest};
use connector_sdk::skynamo::SkynamoClient;
use connector_sdk::skynamo::simulator::SkynamoSimulator;
use connector_sdk::state::MemoryStore;
use connector_sdk::xero::simulator::XeroSimulator;
use connector_sdk::xero::{XeroClient, XeroSink};
use link::SkynamoLink;

struct Rig {
    xero: XeroSimulator,
    sky: SkynamoSimulator,
    link: SkynamoLink,
}

async fn rig() -> Rig {
    let xero = XeroSimulator::builder().limits(600, 5_000, 5).start().await.unwrap();
    let sky = SkynamoSimulator::start().await.unwrap();
    let link = SkynamoLink {
        xero: XeroClient::connect(xero.config(), None).await.unwrap(),
        skynamo: SkynamoClient::new(sky.config()).unwrap(),
        mapping: link::default_mapping(),
        state: Arc::new(MemoryStore::new()),
    };
    Rig { xero, sky, link }
}

fn report<'a>(
    reports: &'a [connector_sdk::flow::RunReport],
    flow: &str,
) -> &'a connector_sdk::flow::RunReport {
    reports.iter().find(|r| r.flow == format!("skynamo-link/{flow}")).unwrap()
}

#[tokio::test]
async fn every_dataset_arrives_with_exact_decimals_and_the_rules_of_skynamo_link() {
    let r = rig().await;
    let reports = r.link.erp_to_crm(RunMode::Full).await.unwrap();
    println!("{}", link::summary(&reports));
    assert!(reports.iter().all(|r| r.failure.is_none()), "{}", link::summary(&reports));

    // Customers: 5 contacts; the nameless, codeless one is dropped and reported; Ridgeway's
    // rep ZZ has no user in the mapping, so it waits in quarantine (the mapping's policy).
    let customers = report(&reports, "customers");
    assert_eq!(customers.counts.received, 4, "the nameless row never reaches the flow");
    assert_eq!(customers.counts.created, 3);
    assert_eq!(customers.counts.quarantined, 2);
    let keys: Vec<&str> = customers.errors.iter().map(|(k, _)| k.as_str()).collect();
    assert!(keys.contains(&"e2a7f6c0-3b1d-4c5e-8f9a-0b1c2d3e4f5a"), "{keys:?}");
    assert!(
        customers.errors.iter().any(|(_, e)| e.to_string().contains("ZZ")),
        "{:?}",
        customers.errors
    );
    let sky = |code: &str| r.sky.customers().find(|c| c.value["code"] == code).map(|c| c.value);
    let bayside = sky("C-1001").unwrap();
    assert_eq!(bayside["assigned_users"], serde_json::json!([1]));
    assert_eq!(bayside["active"], true);
    assert!(
        bayside["custom_fields"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["id"] == 12
                && f["value"] == "P O Box 3354\nRidge Heights\nMadeupville\n21391")
    );
    assert_eq!(sky("C-1003").unwrap()["active"], false, "archived in Xero → inactive");
    assert!(sky("C-1005").is_none(), "held back until ZZ is mapped");

    // Products, prices (rounded to 2 places by the mapping), stock (whole units).
    assert_eq!(r.sky.products().len(), 3);
    let price = |code: &str| {
        r.sky.prices().find(|p| p.value["product_code"] == code).unwrap().value["price"].to_string()
    };
    assert_eq!(price("UMB-1"), "19.99");
    assert_eq!(price("GB1-WHITE"), "5.95");
    assert_eq!(price("LESSON-30"), "45");
    let levels: Vec<String> = r
        .sky
        .stocklevels()
        .all()
        .iter()
        .map(|s| format!("{}={}", s.value["product_code"].as_str().unwrap(), s.value["level"]))
        .collect();
    assert_eq!(levels.len(), 2, "{levels:?}");
    assert!(levels.contains(&"UMB-1=12".to_owned()), "{levels:?}");
    assert!(levels.contains(&"GB1-WHITE=368".to_owned()), "{levels:?}");

    // Invoices (sales history), exact to the cent.
    let inv = r.sky.invoices().find(|i| i.value["external_id"] == "INV-0001").unwrap().value;
    assert_eq!(inv["total"].to_string(), "187.21");
    assert_eq!(inv["outstanding_balance"].to_string(), "187.21");
    assert_eq!(inv["items"][1]["value"].to_string(), "19.99");
    assert_eq!(inv["items"][0]["quantity"].to_string(), "24");
    assert_eq!(
        r.sky.invoices().find(|i| i.value["external_id"] == "INV-0002").unwrap().value["status"],
        "Paid"
    );

    // Changes only: Bayside archived in Xero → inactive in Skynamo, nothing else re-sent.
    r.xero.archive_contact("5b96e86b-418e-48e8-8949-308c14aec278");
    let writes_before =
        r.sky.journal().count(|e| e.method != connector_sdk::simulator::Method::GET);
    let changes = r.link.erp_to_crm(RunMode::Changes).await.unwrap();
    println!("{}", link::summary(&changes));
    assert_eq!(report(&changes, "customers").counts.updated, 1);
    assert_eq!(sky("C-1001").unwrap()["active"], false);
    let writes_after = r.sky.journal().count(|e| e.method != connector_sdk::simulator::Method::GET);
    assert!(writes_after - writes_before <= 3, "{} writes", writes_after - writes_before);
}

#[tokio::test]
async fn an_order_placed_in_skynamo_arrives_in_xero_once() {
    let r = rig().await;
    r.link.erp_to_crm(RunMode::Full).await.unwrap();
    let order = r.sky.place(
        false,
        "C-1001",
        1,
        &[("GB1-WHITE", "12.5", "5.9525"), ("UMB-1", "2", "19.9875")],
    );
    let quote = r.sky.place(true, "C-1002", 2, &[("LESSON-30", "1", "45.00")]);

    let first = r.link.crm_to_erp().await.unwrap();
    println!("{}", link::summary(&first));
    let number = format!("SO-{order}");
    let in_xero = || {
        r.xero
            .invoices()
            .query(|i| i.value["Reference"].as_str().is_some_and(|s| s.starts_with(&number)))
    };
    assert_eq!(in_xero().len(), 1);
    let inv = in_xero()[0].value.clone();
    assert_eq!(inv["Status"], "DRAFT");
    assert_eq!(inv["LineItems"][0]["Quantity"].to_string(), "12.5");
    assert_eq!(inv["LineItems"][0]["UnitAmount"].to_string(), "5.9525");
    assert_eq!(inv["LineItems"][1]["UnitAmount"].to_string(), "19.9875");
    assert_eq!(inv["Contact"]["ContactNumber"], "C-1001");
    // The quote mapping is switched off: skipped, not acknowledged, not lost.
    assert_eq!(report(&first, "orders-to-xero").counts.skipped, 1, "the quote, by kind");
    assert_eq!(report(&first, "quotes-to-xero").counts.skipped, 2, "switched off");
    assert!(
        r.xero
            .quotes()
            .find(|q| q.value["Reference"]
                .as_str()
                .is_some_and(|s| s.starts_with(&format!("SQ-{quote}"))))
            .is_none()
    );
    let acks = r.sky.orderstatuses().all();
    assert_eq!(acks.len(), 1);
    assert_eq!(acks[0].value["document_id"], order);
    assert_eq!(acks[0].value["status"], "Logged");

    // The flow runs again: the order is acknowledged, so it is not even read.
    let second = r.link.crm_to_erp().await.unwrap();
    assert_eq!(report(&second, "orders-to-xero").counts.created, 0);
    assert_eq!(in_xero().len(), 1);

    // Killed after the POST: Xero has the invoice, Skynamo has no acknowledgement, the
    // ledger knows nothing. The rerun finds it by reference and skips it.
    let killed = r.sky.place(false, "C-1001", 1, &[("UMB-1", "1", "19.9875")]);
    let sink = XeroSink::new(r.link.xero.clone());
    let pending = {
        let mut src =
            connector_sdk::skynamo::SkynamoSource::new(r.link.skynamo.clone(), Currency::NZD);
        src = src.with_quotes(false);
        use futures_util::StreamExt;
        let mut s = connector_sdk::Source::<Order>::read(&src, connector_sdk::ReadMode::Full);
        let mut found = None;
        while let Some(c) = s.next().await {
            if let connector_sdk::Change::Upsert(o) = c.unwrap() {
                if o.number.as_deref() == Some(&format!("SO-{killed}")) {
                    found = Some(o);
                }
            }
        }
        found.unwrap()
    };
    let mut direct = pending.clone();
    direct.party.customer = EntityRef::by_key("C-1001");
    let out = Sink::<Order>::write(
        &sink,
        vec![WriteRequest {
            key: direct.number.clone().unwrap(),
            target_id: None,
            action: WriteAction::Upsert(direct),
            idempotency_key: "k".into(),
            is_create: true,
        }],
    )
    .await
    .unwrap();
    assert!(out[0].outcome.is_success(), "{:?}", out[0]);
    let third = r.link.crm_to_erp().await.unwrap();
    println!("{}", link::summary(&third));
    let killed_number = format!("SO-{killed}");
    let count = r
        .xero
        .invoices()
        .query(|i| {
            i.value["Reference"]
                .as_str()
                .is_some_and(|s| s == killed_number || s.starts_with(&format!("{killed_number} ")))
        })
        .len();
    assert_eq!(count, 1, "no duplicate after a kill");
    let third_orders = report(&third, "orders-to-xero");
    assert_eq!(
        (third_orders.counts.created, third_orders.counts.skipped),
        (0, 2),
        "found by reference (and the quote)"
    );
    assert!(
        r.sky
            .orderstatuses()
            .all()
            .iter()
            .any(|a| a.value["document_id"] == killed && a.value["status"] == "Logged")
    );
}

fn codes(sim: &SkynamoSimulator) -> Vec<String> {
    let mut v: Vec<String> = sim
        .customers()
        .all()
        .iter()
        .map(|c| c.value["code"].as_str().unwrap().to_owned())
        .collect();
    v.sort();
    v
}

fn seed_contacts(xero: &XeroSimulator, n: usize) {
    for i in 0..n {
        xero.contacts()
            .insert(serde_json::json!({
                "ContactNumber": format!("K-{i:03}"),
                "ContactStatus": "ACTIVE",
                "Name": format!("Killed Run {i:03}"),
                "SalesTrackingCategories": [{"TrackingCategoryName": "Sales Rep", "TrackingOptionName": "JD"}],
            }))
            .unwrap();
    }
}

#[tokio::test]
async fn a_sync_killed_midway_and_rerun_loses_and_doubles_nothing() {
    let r = rig().await;
    seed_contacts(&r.xero, 120);
    // Kill the run once Skynamo holds some of the customers (the future is dropped mid-flight).
    let run = r.link.erp_to_crm(RunMode::Full);
    let watch = async {
        while r.sky.customers().len() < 30 {
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
    };
    tokio::select! {
        _ = run => panic!("the run should have been killed first"),
        _ = watch => {}
    }
    let partial = r.sky.customers().len();
    assert!((30..123).contains(&partial), "{partial}");
    let reports = r.link.erp_to_crm(RunMode::Full).await.unwrap();
    println!("{}", link::summary(&reports));
    let all = codes(&r.sky);
    let mut dedup = all.clone();
    dedup.dedup();
    assert_eq!(all, dedup, "no customer twice");
    assert_eq!(all.len(), 123, "120 new + C-1001, C-1002, C-1003");
}

#[tokio::test]
async fn every_7th_skynamo_call_failing_then_a_rerun_delivers_everything_once() {
    let r = rig().await;
    seed_contacts(&r.xero, 45);
    r.sky.faults().fail_every(7, 500);
    let first = r.link.erp_to_crm(RunMode::Full).await.unwrap();
    println!("{}", link::summary(&first));
    assert!(r.sky.journal().count_status(500) > 0);
    // How many writes end quarantined depends on which calls the every-7th rule hits (most
    // are retried and land), so only the injected failures are asserted here.
    r.sky.faults().clear();
    let second = r.link.erp_to_crm(RunMode::Full).await.unwrap();
    println!("{}", link::summary(&second));
    let all = codes(&r.sky);
    let mut dedup = all.clone();
    dedup.dedup();
    assert_eq!(all, dedup);
    assert_eq!(all.len(), 48);
    assert_eq!(r.sky.invoices().len(), 2);
    assert_eq!(r.sky.prices().len(), 3);
    assert_eq!(r.sky.stocklevels().len(), 2);
}

#[tokio::test]
async fn a_429_storm_and_an_expiring_token_at_xero_lose_nothing() {
    let r = rig().await;
    seed_contacts(&r.xero, 30);
    r.xero.faults().storm_429(3, std::time::Duration::from_secs(1));
    r.xero.faults().expire_tokens();
    let reports = r.link.erp_to_crm(RunMode::Full).await.unwrap();
    println!("{}", link::summary(&reports));
    assert!(reports.iter().all(|r| r.failure.is_none()));
    assert_eq!(codes(&r.sky).len(), 33);
    assert_eq!(r.xero.journal().count_status(429), 3);
    assert!(r.xero.journal().count_status(401) >= 1);
}

#[tokio::test]
async fn the_registry_opens_both_systems() {
    use connector_sdk::http::TokenStore;
    use connector_sdk::registry::{self, Options};
    use secrecy::ExposeSecret;

    let xero = XeroSimulator::start().await.unwrap();
    let sky = SkynamoSimulator::start().await.unwrap();
    let x = xero.config();
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("xero-tokens.json");
    let xo: Options = [
        ("client_id", x.client_id.clone()),
        ("client_secret", x.client_secret.expose_secret().to_owned()),
        ("refresh_token", x.refresh_token.as_ref().unwrap().expose_secret().to_owned()),
        ("tenant_id", connector_sdk::xero::simulator::TENANT_NAME.to_owned()),
        ("api_url", x.api_url.clone()),
        ("token_url", x.token_url.clone()),
        ("connections_url", x.connections_url.clone()),
        ("token_file", token_file.display().to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    registry::check("xero", &xo).await.unwrap();
    let saved =
        connector_sdk::xero::FileTokenStore::new(&token_file).load().await.unwrap().unwrap();
    assert_ne!(
        saved.refresh_token.unwrap().expose_secret(),
        x.refresh_token.as_ref().unwrap().expose_secret(),
        "the rotated refresh token is kept in the file"
    );
    // A second connector in a new process reads the rotated token from the file.
    let source = registry::source::<connector_sdk::model::Invoice>("xero", &xo).unwrap();
    let mut st = source.read(connector_sdk::ReadMode::Full);
    use futures_util::StreamExt;
    let mut n = 0;
    while let Some(c) = st.next().await {
        if let connector_sdk::Change::Upsert(_) = c.unwrap() {
            n += 1;
        }
    }
    assert_eq!(n, 2);
    assert!(registry::sink::<connector_sdk::model::Product>("xero", &xo).is_err());

    let so: Options = [
        ("api_key", connector_sdk::skynamo::simulator::API_KEY.to_owned()),
        ("instance", connector_sdk::skynamo::simulator::INSTANCE.to_owned()),
        ("api_url", sky.config().api_url),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    registry::check("skynamo", &so).await.unwrap();
    assert!(registry::sink::<connector_sdk::model::StockLevel>("skynamo", &so).is_ok());
    assert!(registry::source::<connector_sdk::model::Order>("skynamo", &so).is_ok());
    assert!(registry::systems().contains(&"xero") && registry::systems().contains(&"skynamo"));
}
