//! Skynamo Link end to end on the Xero and Skynamo simulators: every dataset arrives with
//! exact decimals, archived customers become inactive, nameless and codeless rows are dropped
//! and reported, unmapped rep codes follow the mapping's policy, and an order placed in
//! Skynamo reaches Xero once, whether the flow runs twice or was killed after the POST.
//!
//! Fault tests at flow level (token expiry, a killed run, a 429 storm, every 7th call
//! failing, a hanging upstream, malformed pages, a record edited during a sync, a batch with
//! one invalid record) each compare the two simulators' stores at the end: every record
//! Xero holds that Skynamo Link should carry is in Skynamo exactly once, with its latest
//! values.

#![cfg(all(feature = "xero", feature = "skynamo"))]

#[allow(dead_code)]
#[path = "../examples/xero_to_skynamo/link.rs"]
mod link;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use connector_sdk::flow::RunMode;
use connector_sdk::model::{Currency, EntityRef, Order};
use connector_sdk::sink::{Sink, WriteAction, WriteRequest};
use connector_sdk::skynamo::SkynamoClient;
use connector_sdk::skynamo::simulator::SkynamoSimulator;
use connector_sdk::state::MemoryStore;
use connector_sdk::xero::simulator::XeroSimulator;
use connector_sdk::xero::{XeroClient, XeroSink};
use connector_testkit::simulator::{Fault, FaultRule, Malform, Method};
use link::SkynamoLink;

struct Rig {
    xero: XeroSimulator,
    sky: SkynamoSimulator,
    link: SkynamoLink,
}

async fn rig() -> Rig {
    rig_paged(100).await
}

/// A rig whose Xero client asks for `page_size` records per page.
async fn rig_paged(page_size: u32) -> Rig {
    let xero = XeroSimulator::builder().limits(600, 5_000, 5).start().await.unwrap();
    let sky = SkynamoSimulator::start().await.unwrap();
    let mut config = xero.config();
    config.page_size = page_size;
    let link = SkynamoLink {
        xero: XeroClient::connect(config, None).await.unwrap(),
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
        r.sky.journal().count(|e| e.method != connector_testkit::simulator::Method::GET);
    let changes = r.link.erp_to_crm(RunMode::Changes).await.unwrap();
    println!("{}", link::summary(&changes));
    assert_eq!(report(&changes, "customers").counts.updated, 1);
    assert_eq!(sky("C-1001").unwrap()["active"], false);
    let writes_after =
        r.sky.journal().count(|e| e.method != connector_testkit::simulator::Method::GET);
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

// ---------------------------------------------------------------------------------------
// Fault tests at flow level: what Skynamo holds is compared with what Xero holds.

/// The Xero API's path prefix (the token endpoint and `/connections` are outside it).
const XERO_API: &str = "/api.xro/2.0";

/// What Skynamo must hold, by code, from Xero's store: every contact with a code whose rep
/// is mapped (rep `ZZ` has no user: quarantined by the mapping's policy), with its name and
/// whether it is active (archived → inactive).
fn expected_customers(xero: &XeroSimulator) -> BTreeMap<String, (String, bool)> {
    xero.contacts()
        .all()
        .into_iter()
        .filter_map(|c| {
            let v = c.value;
            let code = v["ContactNumber"].as_str()?.trim().to_uppercase();
            let rep = v["SalesTrackingCategories"][0]["TrackingOptionName"].as_str();
            (!code.is_empty() && rep != Some("ZZ")).then(|| {
                let name = v["Name"].as_str().unwrap_or_default().trim().to_owned();
                (code, (name, v["ContactStatus"] != "ARCHIVED"))
            })
        })
        .collect()
}

/// What Skynamo holds, by code; panics if a code is there twice.
fn skynamo_customers(sky: &SkynamoSimulator) -> BTreeMap<String, (String, bool)> {
    let mut out = BTreeMap::new();
    for c in sky.customers().all() {
        let code = c.value["code"].as_str().unwrap().to_owned();
        let entry =
            (c.value["name"].as_str().unwrap_or_default().to_owned(), c.value["active"] == true);
        assert!(out.insert(code.clone(), entry).is_none(), "customer {code} is in Skynamo twice");
    }
    out
}

/// Xero's sales invoices that are sales history (not drafts, not voided), by number, with
/// their totals; leaving out those of `held_back` customers.
fn expected_invoices(
    xero: &XeroSimulator,
    held_back: &[&str],
) -> BTreeMap<String, rust_decimal::Decimal> {
    xero.invoices()
        .all()
        .into_iter()
        .map(|i| i.value)
        .filter(|v| {
            v["Type"] == "ACCREC" && !matches!(v["Status"].as_str(), Some("DRAFT" | "VOIDED"))
        })
        .filter(|v| {
            let contact = &v["Contact"]["ContactID"];
            !held_back.iter().any(|code| {
                xero.contacts()
                    .get(contact.as_str().unwrap_or_default())
                    .is_some_and(|c| c.value["ContactNumber"] == *code)
            })
        })
        .map(|v| (v["InvoiceNumber"].as_str().unwrap().to_owned(), amount(&v["Total"])))
        .collect()
}

/// What Skynamo holds, by `external_id`; panics if one is there twice.
fn skynamo_invoices(sky: &SkynamoSimulator) -> BTreeMap<String, rust_decimal::Decimal> {
    let mut out = BTreeMap::new();
    for i in sky.invoices().all() {
        let id = i.value["external_id"].as_str().unwrap().to_owned();
        assert!(out.insert(id.clone(), amount(&i.value["total"])).is_none(), "invoice {id} twice");
    }
    out
}

/// 0 lost, 0 duplicated: Skynamo holds exactly what Xero says it should, once each.
fn assert_stores_agree(r: &Rig) {
    let want = expected_customers(&r.xero);
    let have = skynamo_customers(&r.sky);
    let lost: Vec<_> = want.keys().filter(|k| !have.contains_key(*k)).collect();
    let extra: Vec<_> = have.keys().filter(|k| !want.contains_key(*k)).collect();
    assert!(lost.is_empty() && extra.is_empty(), "customers lost {lost:?}, unexpected {extra:?}");
    assert_eq!(have, want, "customers differ in name or status");
    assert_eq!(skynamo_invoices(&r.sky), expected_invoices(&r.xero, &["C-1005"]));
    let items = r.xero.items().len();
    assert_eq!(r.sky.products().len(), items, "products");
    assert_eq!(r.sky.prices().len(), items, "one price per item");
    let tracked = r.xero.items().query(|i| i.value["IsTrackedAsInventory"] == true).len();
    assert_eq!(r.sky.stocklevels().len(), tracked, "stock of tracked items");
}

fn no_failures(reports: &[connector_sdk::flow::RunReport]) {
    assert!(reports.iter().all(|r| r.failure.is_none()), "{}", link::summary(reports));
}

/// Sales invoices `INV-S0<from>`.. of three lines each, for Bayside Club (C-1001).
fn seed_sales(xero: &XeroSimulator, from: usize, n: usize) {
    for i in from..from + n {
        let text = format!(
            r#"{{"Type":"ACCREC","InvoiceNumber":"INV-S{i:04}","Reference":"bulk","Contact":{{"ContactID":"5b96e86b-418e-48e8-8949-308c14aec278","ContactNumber":"C-1001","Name":"Bayside Club"}},"Date":"/Date(1573689600000+0000)/","DueDate":"/Date(1575417600000+0000)/","Status":"AUTHORISED","LineAmountTypes":"Exclusive","LineItems":[{{"ItemCode":"GB1-WHITE","Description":"Golf ball","Quantity":3.0000,"UnitAmount":5.9500,"TaxType":"OUTPUT2","TaxAmount":2.68,"LineAmount":17.85,"AccountCode":"200"}},{{"ItemCode":"UMB-1","Description":"Umbrella","Quantity":1.0000,"UnitAmount":19.9875,"TaxType":"OUTPUT2","TaxAmount":3.00,"LineAmount":19.99,"AccountCode":"200"}},{{"ItemCode":"LESSON-30","Description":"Lesson","Quantity":1.0000,"UnitAmount":45.0000,"TaxType":"OUTPUT2","TaxAmount":6.75,"LineAmount":45.00,"AccountCode":"200"}}],"SubTotal":82.84,"TotalTax":12.43,"Total":95.27,"AmountDue":95.27,"CurrencyCode":"NZD"}}"#
        );
        xero.invoices().insert(serde_json::from_str(&text).unwrap()).unwrap();
    }
}

/// Paged data on both paged endpoints: 60 more contacts and 40 more invoices.
fn seed_bulk(r: &Rig) {
    seed_contacts(&r.xero, 60);
    seed_sales(&r.xero, 0, 40);
}

/// A money amount as JSON, compared by value (`90` and `90.00` are the same).
fn amount(v: &serde_json::Value) -> rust_decimal::Decimal {
    v.to_string().trim_matches('"').parse::<rust_decimal::Decimal>().unwrap().normalize()
}

#[tokio::test(start_paused = true)]
async fn a_hanging_upstream_times_out_then_the_flow_recovers() {
    let _io = connector_sdk::test_util::hold_paused_clock_during_io(Duration::from_secs(1));
    let r = rig_paged(10).await;
    seed_bulk(&r);
    // The next two Contacts pages and the next Invoices page hang for 5 minutes; the client
    // gives each attempt 60 s, then asks again.
    let hang = |path: &str, k: u64| {
        r.xero.faults().add(
            FaultRule::new(Fault::Hang(Some(Duration::from_secs(300))))
                .on_path(&format!("{XERO_API}/{path}"))
                .next(k),
        )
    };
    let contacts = hang("Contacts", 2);
    let invoices = hang("Invoices", 1);
    let start = tokio::time::Instant::now();
    let reports = r.link.erp_to_crm(RunMode::Full).await.unwrap();
    println!("{}", link::summary(&reports));
    no_failures(&reports);
    assert_eq!((r.xero.faults().fired(contacts), r.xero.faults().fired(invoices)), (2, 1));
    assert_eq!(r.xero.journal().count_unanswered(), 3, "three attempts abandoned by the client");
    let waited = start.elapsed();
    assert!(waited >= Duration::from_secs(180), "three attempt timeouts: {waited:?}");
    assert!(waited < Duration::from_secs(300), "no hang was waited out: {waited:?}");
    assert_stores_agree(&r);
}

#[tokio::test(start_paused = true)]
async fn every_11th_xero_page_malformed_is_fetched_again_and_nothing_is_skipped() {
    // Xero's 60 calls a minute are waited out on the paused clock: about 60 calls of 5
    // records each, with the pages fetched again, reach the limit at times.
    let _io = connector_sdk::test_util::hold_paused_clock_during_io(Duration::from_secs(1));
    let r = rig_paged(5).await;
    seed_bulk(&r);
    let every_11th = r.xero.faults().add(
        FaultRule::new(Fault::Malformed(Malform::Truncate))
            .every(11)
            .on_path(XERO_API)
            .on_method(Method::GET),
    );
    let reports = r.link.erp_to_crm(RunMode::Full).await.unwrap();
    println!("{}", link::summary(&reports));
    no_failures(&reports);
    assert!(r.xero.faults().fired(every_11th) >= 2, "{}", r.xero.faults().fired(every_11th));
    assert_stores_agree(&r);

    // A page that stays malformed is a clear error, after retries; nothing is skipped past
    // it. The next run, with Xero mended, carries the new invoices.
    r.xero.faults().clear();
    seed_sales(&r.xero, 40, 5);
    let always = r.xero.faults().add(
        FaultRule::new(Fault::Malformed(Malform::Garble))
            .on_path(&format!("{XERO_API}/Invoices"))
            .on_method(Method::GET),
    );
    let before = skynamo_invoices(&r.sky);
    let broken = r.link.erp_to_crm(RunMode::Changes).await.unwrap();
    let failure = report(&broken, "invoices").failure.as_ref().expect("the invoices flow fails");
    let text = failure.to_string();
    assert!(text.contains("not JSON") && text.contains("GET /Invoices"), "{text}");
    assert!(r.xero.faults().fired(always) >= 2, "fetched again before giving up");
    assert_eq!(report(&broken, "invoices").counts.created, 0);
    assert_eq!(skynamo_invoices(&r.sky), before, "nothing written past a bad page");
    r.xero.faults().clear();
    let mended = r.link.erp_to_crm(RunMode::Changes).await.unwrap();
    no_failures(&mended);
    assert_stores_agree(&r);
}

#[tokio::test]
async fn every_7th_xero_call_failing_with_500_loses_and_doubles_nothing() {
    let r = rig_paged(5).await;
    seed_bulk(&r);
    r.xero.faults().fail_every(7, 500);
    let reports = r.link.erp_to_crm(RunMode::Full).await.unwrap();
    println!("{}", link::summary(&reports));
    no_failures(&reports);
    assert!(r.xero.journal().count_status(500) >= 3, "{}", r.xero.journal().count_status(500));
    assert_stores_agree(&r);
}

#[tokio::test]
async fn a_record_edited_during_a_sync_arrives_once_with_its_edit() {
    let r = rig_paged(10).await;
    seed_contacts(&r.xero, 60);
    // Contacts pages take a little while, so the edits land between pages.
    r.xero.faults().add(
        FaultRule::new(Fault::Delay(Duration::from_millis(30)))
            .on_path(&format!("{XERO_API}/Contacts")),
    );
    let id_of =
        |code: &str| r.xero.contacts().find(|c| c.value["ContactNumber"] == code).unwrap().id;
    let (early, late) = (id_of("K-000"), id_of("K-059"));
    let contacts_pages = || {
        r.xero
            .journal()
            .count(|e| e.path == format!("{XERO_API}/Contacts") && e.status == Some(200))
    };
    let edit = async {
        // Once the first page is read: edit a record already delivered (it moves to the end
        // of `UpdatedDateUTC ASC`, which under offset paging would shift an unread record onto
        // a page already read) and one not read yet.
        while contacts_pages() < 1 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        r.xero
            .contacts()
            .update(&early, &serde_json::json!({"Name": "Killed Run 000 (renamed)"}))
            .unwrap();
        r.xero
            .contacts()
            .update(&late, &serde_json::json!({"Name": "Killed Run 059 (renamed)"}))
            .unwrap();
        contacts_pages()
    };
    let (reports, pages_at_edit) = tokio::join!(r.link.erp_to_crm(RunMode::Full), edit);
    let reports = reports.unwrap();
    println!("{}", link::summary(&reports));
    no_failures(&reports);
    assert!(contacts_pages() > pages_at_edit, "the sync went on after the edits");
    let have = skynamo_customers(&r.sky);
    assert_eq!(have["K-000"].0, "Killed Run 000 (renamed)");
    assert_eq!(have["K-059"].0, "Killed Run 059 (renamed)");
    assert_stores_agree(&r);
}

#[tokio::test]
async fn a_batch_with_one_invalid_record_quarantines_it_and_the_rest_lands() {
    let r = rig_paged(100).await;
    seed_sales(&r.xero, 0, 25);
    // An invoice for Ridgeway University, whose customer is held back (rep ZZ has no user):
    // Skynamo refuses it by index inside a batch of 20 ("Unknown customer code").
    let mut bad: serde_json::Value = serde_json::from_str(
        r#"{"Type":"ACCREC","InvoiceNumber":"INV-RIDGE","Contact":{"ContactID":"3e776c4b-ea9e-4bb1-96be-6b0c7a71a37f","ContactNumber":"C-1005","Name":"Ridgeway University"},"Date":"/Date(1573689600000+0000)/","DueDate":"/Date(1575417600000+0000)/","Status":"AUTHORISED","LineAmountTypes":"Exclusive","LineItems":[{"ItemCode":"UMB-1","Description":"Umbrella","Quantity":1.0000,"UnitAmount":19.9875,"TaxType":"OUTPUT2","TaxAmount":3.00,"LineAmount":19.99,"AccountCode":"200"}],"SubTotal":19.99,"TotalTax":3.00,"Total":22.99,"AmountDue":22.99,"CurrencyCode":"NZD"}"#,
    )
    .unwrap();
    bad["Reference"] = serde_json::json!("one bad apple");
    let bad_id = r.xero.invoices().insert(bad).unwrap().id;
    seed_sales(&r.xero, 25, 5); // after the bad one, in the same batch
    let reports = r.link.erp_to_crm(RunMode::Full).await.unwrap();
    println!("{}", link::summary(&reports));
    let invoices = report(&reports, "invoices");
    assert!(invoices.failure.is_none(), "{:?}", invoices.failure);
    assert_eq!(invoices.counts.quarantined, 1, "{:?}", invoices.errors);
    assert_eq!(invoices.counts.created, 32, "30 bulk + INV-0001 + INV-0002");
    let (key, error) = &invoices.errors[0];
    assert!(key == &bad_id || key == "INV-RIDGE", "{key}");
    assert!(error.to_string().contains("Unknown customer code"), "{error}");
    let refusals = r.sky.journal().count(|e| {
        e.path.contains("invoices") && e.method == Method::POST && e.status == Some(400)
    });
    assert!(refusals >= 1, "Skynamo refused a batch by index");
    assert!(!skynamo_invoices(&r.sky).contains_key("INV-RIDGE"));
    assert_stores_agree(&r);
}

#[tokio::test]
async fn an_order_batch_with_one_invalid_order_lands_the_rest_and_acknowledges_the_failure() {
    let r = rig().await;
    r.link.erp_to_crm(RunMode::Full).await.unwrap();
    let good = [
        r.sky.place(false, "C-1001", 1, &[("GB1-WHITE", "2", "5.95")]),
        r.sky.place(false, "C-1002", 2, &[("UMB-1", "1", "19.9875")]),
    ];
    // Xero refuses this one inside the batch: the item code does not exist there.
    let bad = r.sky.place(false, "C-1001", 1, &[("NOPE-1", "1", "1.00")]);
    let first = r.link.crm_to_erp().await.unwrap();
    println!("{}", link::summary(&first));
    let orders = report(&first, "orders-to-xero");
    assert!(orders.failure.is_none(), "{:?}", orders.failure);
    assert_eq!((orders.counts.created, orders.counts.quarantined), (2, 1), "{:?}", orders.errors);
    assert!(orders.errors[0].1.to_string().contains("NOPE-1"), "{:?}", orders.errors);
    // One POST carried the bad order with a good one; Xero's per-record answer split them.
    let batch = r
        .xero
        .journal()
        .entries()
        .into_iter()
        .find(|e| e.method == Method::POST && String::from_utf8_lossy(&e.body).contains("NOPE-1"))
        .expect("the bad order was sent");
    let body = String::from_utf8_lossy(&batch.body);
    assert!(good.iter().any(|g| body.contains(&format!("SO-{g}"))), "{body}");
    assert_eq!(batch.query("summarizeErrors"), Some("false"));

    let in_xero = |id: i64| {
        let number = format!("SO-{id}");
        r.xero
            .invoices()
            .query(|i| {
                i.value["Reference"]
                    .as_str()
                    .is_some_and(|s| s == number || s.starts_with(&format!("{number} ")))
            })
            .len()
    };
    let acks = |id: i64| -> Vec<serde_json::Value> {
        r.sky
            .orderstatuses()
            .all()
            .into_iter()
            .map(|a| a.value)
            .filter(|a| a["document_id"] == id)
            .collect()
    };
    for id in good {
        assert_eq!(in_xero(id), 1, "order {id} in Xero once");
        assert_eq!(acks(id).len(), 1);
        assert_eq!(acks(id)[0]["status"], "Logged");
    }
    assert_eq!(in_xero(bad), 0);
    let failed = acks(bad);
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["status"], "Failed");
    assert!(failed[0]["status_reason"].as_str().unwrap().contains("NOPE-1"), "{failed:?}");

    // A rerun adds nothing in Xero.
    let second = r.link.crm_to_erp().await.unwrap();
    println!("{}", link::summary(&second));
    for id in good {
        assert_eq!(in_xero(id), 1, "order {id} still once");
    }
    assert_eq!(in_xero(bad), 0);
}

/// Xero's demo organisation has a quote (QU-0001): an order looked up in Xero must never be
/// taken for it. A new order lands once and is acknowledged `Logged` only once it is in Xero.
#[tokio::test]
async fn with_a_quote_in_xero_a_new_order_lands_once_and_is_logged_only_once_it_exists() {
    let r = rig().await;
    assert_eq!(r.xero.quotes().len(), 1, "an unrelated quote");
    r.link.erp_to_crm(RunMode::Full).await.unwrap();
    let order = r.sky.place(false, "C-1001", 1, &[("UMB-1", "1", "19.9875")]);
    let number = format!("SO-{order}");
    let logged = || {
        r.sky
            .orderstatuses()
            .all()
            .iter()
            .any(|a| a.value["document_id"] == order && a.value["status"] == "Logged")
    };
    let in_xero = || {
        r.xero.invoices().query(|i| {
            i.value["Reference"].as_str().is_some_and(|s| s.split(" / ").next() == Some(&number))
        })
    };
    // Xero refuses the invoice for now: the order is not there, and not Logged.
    let refuse = r.xero.faults().add(
        FaultRule::new(Fault::status(400)).on_path("/api.xro/2.0/Invoices").on_method(Method::POST),
    );
    let first = r.link.crm_to_erp().await.unwrap();
    println!("{}", link::summary(&first));
    assert_eq!(report(&first, "orders-to-xero").counts.skipped, 0, "not skipped as existing");
    assert!(in_xero().is_empty());
    assert!(!logged(), "acknowledged as Logged while not in Xero");
    r.xero.faults().remove(refuse);
    let second = r.link.crm_to_erp().await.unwrap();
    println!("{}", link::summary(&second));
    assert_eq!(report(&second, "orders-to-xero").counts.created, 1);
    assert_eq!(in_xero().len(), 1);
    assert!(logged());
    let third = r.link.crm_to_erp().await.unwrap();
    assert_eq!(report(&third, "orders-to-xero").counts.created, 0);
    assert_eq!(in_xero().len(), 1, "exactly once");
}

/// A run killed while its invoice POST is in flight (never answered, never landed) leaves
/// pending writes; the rerun looks each up, and in an organisation with an unrelated quote
/// finds none of them, so every order is written, exactly once.
#[tokio::test]
async fn killed_while_the_invoice_post_is_in_flight_then_rerun_writes_every_order_once() {
    let r = rig().await;
    assert_eq!(r.xero.quotes().len(), 1, "an unrelated quote");
    r.link.erp_to_crm(RunMode::Full).await.unwrap();
    let orders: Vec<i64> = (0..3)
        .map(|i| r.sky.place(false, "C-1001", 1, &[("UMB-1", &format!("{}", i + 1), "19.9875")]))
        .collect();
    let hang = r.xero.faults().add(
        FaultRule::new(Fault::Hang(None)).on_path("/api.xro/2.0/Invoices").on_method(Method::POST),
    );
    let killed = tokio::time::timeout(Duration::from_secs(3), r.link.crm_to_erp()).await;
    assert!(killed.is_err(), "the run was killed mid-POST");
    assert!(r.xero.faults().fired(hang) >= 1);
    r.xero.faults().clear();
    let rerun = r.link.crm_to_erp().await.unwrap();
    println!("{}", link::summary(&rerun));
    for order in &orders {
        let number = format!("SO-{order}");
        let n = r
            .xero
            .invoices()
            .query(|i| {
                i.value["Reference"]
                    .as_str()
                    .is_some_and(|s| s.split(" / ").next() == Some(&number))
            })
            .len();
        assert_eq!(n, 1, "{number} in Xero exactly once");
        assert!(
            r.sky
                .orderstatuses()
                .all()
                .iter()
                .any(|a| a.value["document_id"] == *order && a.value["status"] == "Logged"),
            "{number} acknowledged"
        );
    }
    assert_eq!(r.xero.quotes().len(), 1, "the quote untouched");
}
