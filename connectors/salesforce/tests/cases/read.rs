//! Reads: SOQL batches, the composite cursor, deletions and the 15-day window, auth.

use std::time::Duration;

use connector_core::Entity;
use connector_core::model::{Customer, Order, OrderStatus};
use connector_core::source::{Change, ReadMode, Source};
use connector_core::test_util::{PausedClockIo, hold_paused_clock_during_io};
use connector_salesforce::simulator::SalesforceSimulator;
use connector_salesforce::{SalesforceClient, SalesforceSource, SfCursor};
use futures_util::StreamExt;
use rust_decimal::Decimal;

pub fn hold() -> PausedClockIo {
    hold_paused_clock_during_io(Duration::from_secs(2))
}

#[derive(Debug, Default)]
pub struct Read<E> {
    pub upserts: Vec<E>,
    pub deletes: Vec<String>,
    pub cursor: Option<connector_core::source::Cursor>,
    pub snapshot: bool,
    pub error: Option<connector_core::Error>,
}

pub async fn read<E: Entity>(s: &SalesforceSource, mode: ReadMode) -> Read<E>
where
    SalesforceSource: Source<E>,
{
    let mut out = Read {
        upserts: Vec::new(),
        deletes: Vec::new(),
        cursor: None,
        snapshot: false,
        error: None,
    };
    let mut st = Source::<E>::read(s, mode);
    while let Some(c) = st.next().await {
        match c {
            Ok(Change::Upsert(e)) => out.upserts.push(e),
            Ok(Change::Delete { key }) => out.deletes.push(key),
            Ok(Change::Checkpoint(c)) => out.cursor = Some(c),
            Ok(Change::SnapshotComplete) => out.snapshot = true,
            Ok(Change::Rejected(r)) => panic!("rejected: {:?}", r.error),
            Err(e) => {
                out.error = Some(e);
                break;
            }
        }
    }
    out
}

#[tokio::test(start_paused = true)]
async fn accounts_and_orders_come_with_their_children_from_the_instance_url() {
    let _io = hold();
    let sim = SalesforceSimulator::start().await.unwrap();
    let client = SalesforceClient::connect(sim.config(), None).await.unwrap();
    assert_eq!(client.instance_url(), Some(sim.base_url().trim_end_matches('/')));
    let source = SalesforceSource::new(client);
    let r = read::<Customer>(&source, ReadMode::Full).await;
    assert!(r.error.is_none(), "{:?}", r.error);
    assert_eq!(r.upserts.len(), 2);
    let ketting = r.upserts.iter().find(|c| c.number.as_deref() == Some("1068")).unwrap();
    assert_eq!(ketting.primary_email(), Some("inkoop@deketting.example"));
    assert_eq!(ketting.contacts[0].last_name.as_deref(), Some("Bakker"));
    assert_eq!(ketting.meta.refs.id("salesforce").unwrap().len(), 18);
    assert!(r.snapshot);

    let o = read::<Order>(&source, ReadMode::Full).await;
    assert!(o.error.is_none(), "{:?}", o.error);
    assert_eq!(o.upserts.len(), 3);
    let first = o.upserts.iter().find(|o| o.lines.len() == 2).unwrap();
    assert_eq!(first.status, OrderStatus::Open, "Activated");
    assert_eq!(first.party.email.as_deref(), Some("inkoop@deketting.example"));
    assert_eq!(first.party.company_name.as_deref(), Some("Fietsenwinkel De Ketting BV"));
    assert_eq!(first.lines[0].sku.as_deref(), Some("BIKE-CITY-M"));
    assert_eq!(first.lines[0].unit_price.unwrap().amount, "529.00".parse::<Decimal>().unwrap());
    assert_eq!(first.billing_address.as_ref().unwrap().city.as_deref(), Some("Amsterdam"));
    let q = sim.journal().entries().into_iter().find(|e| e.path.ends_with("/query")).unwrap();
    assert!(q.query("q").unwrap().contains("ORDER BY SystemModstamp ASC, Id ASC"));
}

#[tokio::test(start_paused = true)]
async fn batches_follow_next_records_url_and_changes_use_the_composite_cursor() {
    let _io = hold();
    let sim = SalesforceSimulator::builder().empty().start().await.unwrap();
    sim.seed_accounts(2_500);
    let mut config = sim.config();
    config.batch_size = 1_000;
    let source = SalesforceSource::new(SalesforceClient::connect(config, None).await.unwrap());
    let r = read::<Customer>(&source, ReadMode::Full).await;
    assert!(r.error.is_none(), "{:?}", r.error);
    let mut keys: Vec<_> = r.upserts.iter().map(|c| c.key().unwrap().into_owned()).collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), 2_500);
    assert_eq!(
        sim.journal().count(|e| e.path.contains("/query/")),
        2,
        "two nextRecordsUrl batches"
    );
    let cursor = r.cursor.unwrap();
    assert!(!SfCursor::parse(&cursor).unwrap().id.is_empty());

    // Edits happen later than the read.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let acc = sim.object("Account");
    let one = acc.find(|r| r.value["AccountNumber"] == "B000010").unwrap();
    acc.update(&one.id, &serde_json::json!({"Name": "Renamed"})).unwrap();
    let gone = acc.find(|r| r.value["AccountNumber"] == "B000011").unwrap();
    acc.delete(&gone.id).unwrap();
    let c = read::<Customer>(&source, ReadMode::Changes { since: Some(cursor) }).await;
    assert!(c.error.is_none(), "{:?}", c.error);
    assert_eq!(c.upserts.len(), 1);
    assert_eq!(c.upserts[0].name.as_deref(), Some("Renamed"));
    assert_eq!(c.deletes, vec![gone.id]);
    assert!(!c.snapshot);
}

#[tokio::test(start_paused = true)]
async fn a_cursor_older_than_the_delete_window_forces_a_full_resync() {
    let _io = hold();
    let sim = SalesforceSimulator::start().await.unwrap();
    let source =
        SalesforceSource::new(SalesforceClient::connect(sim.config(), None).await.unwrap());
    let old = SfCursor {
        at: Some(chrono::Utc::now() - chrono::Duration::days(20)),
        id: "001000000000000AAA".into(),
        deletes_until: Some(chrono::Utc::now() - chrono::Duration::days(20)),
    };
    let r = read::<Customer>(&source, ReadMode::Changes { since: Some(old.to_cursor()) }).await;
    assert!(r.error.is_none(), "{:?}", r.error);
    assert_eq!(r.upserts.len(), 2, "everything again");
    assert!(r.snapshot, "a full resync ends with a snapshot");

    // A purged recycle bin inside the window: the read says a full sync is needed.
    let full = read::<Customer>(&source, ReadMode::Full).await;
    sim.set_earliest_deleted(chrono::Utc::now() + chrono::Duration::hours(1));
    let r = read::<Customer>(&source, ReadMode::Changes { since: full.cursor }).await;
    let e = r.error.expect("refused");
    assert!(e.message().contains("full sync"), "{}", e.message());
}

#[tokio::test(start_paused = true)]
async fn client_credentials_work_without_a_refresh_token_on_my_domain() {
    let _io = hold();
    let sim = SalesforceSimulator::start().await.unwrap();
    let mut config = sim.config();
    config.refresh_token = None;
    // Salesforce serves the grant on the org's My Domain only.
    let mut shared = config.clone();
    shared.login_url = "https://login.salesforce.com".into();
    let e = SalesforceClient::connect(shared, None).await.unwrap_err();
    assert_eq!(e.kind(), connector_core::ErrorKind::Config);
    assert!(e.message().contains("My Domain"), "{e}");
    assert!(sim.journal().is_empty(), "refused before any call");
    let client = SalesforceClient::connect(config, None).await.unwrap();
    client.check().await.unwrap();
    let token =
        sim.journal().entries().into_iter().find(|e| e.path == "/services/oauth2/token").unwrap();
    assert!(String::from_utf8_lossy(&token.body).contains("grant_type=client_credentials"));
}

#[tokio::test(start_paused = true)]
async fn the_registry_connector_connects_on_first_use_from_options() {
    let _io = hold();
    let sim = SalesforceSimulator::start().await.unwrap();
    let c = sim.config();
    use secrecy::ExposeSecret;
    let options: std::collections::BTreeMap<String, String> = [
        ("client_id", c.client_id.clone()),
        ("client_secret", connector_salesforce::simulator::CLIENT_SECRET.to_owned()),
        ("refresh_token", c.refresh_token.as_ref().unwrap().expose_secret().to_owned()),
        ("login_url", c.login_url.clone()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let config = connector_salesforce::SalesforceConfig::from_options(&options).unwrap();
    let connector = connector_salesforce::SalesforceSource::new(
        connector_salesforce::SalesforceClient::new(config, None).unwrap(),
    );
    assert!(sim.journal().is_empty(), "nothing before first use");
    let mut n = 0;
    let mut st = Source::<Order>::read(&connector, ReadMode::Full);
    while let Some(c) = st.next().await {
        if let Change::Upsert(_) = c.unwrap() {
            n += 1;
        }
    }
    assert_eq!(n, 3);
}
