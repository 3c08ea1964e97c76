//! OAuth2, rotation, tenant selection.

use std::sync::Arc;

use connector_core::ErrorKind;
use connector_core::http::{MemoryTokenStore, TokenStore};
use connector_core::model::Customer;
use connector_core::source::ReadMode;
use connector_xero::simulator::{AUTH_CODE, OTHER_TENANT_ID, TENANT_NAME, XeroSimulator};
use connector_xero::{TenantSelector, XeroClient, XeroSource, exchange_authorization_code};
use secrecy::{ExposeSecret, SecretString};

use crate::support::read;

#[tokio::test]
async fn tenant_by_exact_name_by_id_and_a_clear_error_otherwise() {
    let sim = XeroSimulator::start().await.unwrap();
    let mut config = sim.config();
    config.tenant = TenantSelector::parse(TENANT_NAME);
    let store = Arc::new(MemoryTokenStore::default());
    let client = XeroClient::connect(config.clone(), Some(store.clone())).await.unwrap();
    assert_eq!(client.tenant_name(), Some(TENANT_NAME));
    assert_eq!(client.currency().await.unwrap().as_str(), "NZD");

    // The refresh token rotated; the store holds the new one, so the next connect uses it.
    let rotated = store.current().unwrap().refresh_token.unwrap();
    assert_ne!(rotated.expose_secret(), config.refresh_token.as_ref().unwrap().expose_secret());
    config.tenant = TenantSelector::parse(OTHER_TENANT_ID);
    let other = XeroClient::connect(config.clone(), Some(store.clone())).await.unwrap();
    assert_eq!(other.tenant_id(), Some(OTHER_TENANT_ID));

    config.tenant = TenantSelector::parse("demo company (nz)");
    let e = XeroClient::connect(config.clone(), Some(store.clone())).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    assert!(e.message().contains("Acme Widgets Ltd"), "{}", e.message());
    config.tenant = TenantSelector::Only;
    let e = XeroClient::connect(config, Some(store)).await.unwrap_err();
    assert!(e.message().contains("several"), "{}", e.message());
}

#[tokio::test]
async fn a_reused_refresh_token_is_refused_as_xero_does() {
    let sim = XeroSimulator::start().await.unwrap();
    let config = sim.config();
    XeroClient::connect(config.clone(), None).await.unwrap();
    // The same (now used) refresh token again, in a fresh store.
    let e = XeroClient::connect(config, None).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Auth, "{e:?}");
}

#[tokio::test]
async fn authorization_code_exchange_saves_tokens_that_then_work() {
    let sim = XeroSimulator::start().await.unwrap();
    let mut config = sim.config();
    config.refresh_token = None;
    let store = Arc::new(MemoryTokenStore::default());
    let tokens = exchange_authorization_code(
        &config,
        store.as_ref(),
        &SecretString::from(AUTH_CODE),
        "https://localhost/callback",
        None,
    )
    .await
    .unwrap();
    assert!(tokens.refresh_token.is_some());
    assert!(store.load().await.unwrap().is_some());
    let client = XeroClient::connect(config.clone(), Some(store.clone())).await.unwrap();
    let r = read::<Customer>(&XeroSource::new(client), ReadMode::Full).await;
    assert!(r.error.is_none());
    // A code works once.
    let again = exchange_authorization_code(
        &config,
        store.as_ref(),
        &SecretString::from(AUTH_CODE),
        "https://localhost/callback",
        None,
    )
    .await;
    assert!(again.is_err());
}

#[tokio::test]
async fn an_access_token_expiring_mid_run_is_refreshed_and_nothing_is_lost() {
    let sim = XeroSimulator::builder().empty().start().await.unwrap();
    crate::support::seed_contacts(&sim, 30);
    let mut config = sim.config();
    config.page_size = 10;
    let store = Arc::new(MemoryTokenStore::default());
    let client = XeroClient::connect(config, Some(store.clone())).await.unwrap();
    let source = XeroSource::new(client.clone());
    use futures_util::StreamExt;
    let mut stream = connector_core::source::Source::<Customer>::read(&source, ReadMode::Full);
    let mut keys = Vec::new();
    while let Some(item) = stream.next().await {
        if let connector_core::source::Change::Upsert(c) = item.unwrap() {
            keys.push(c.number.unwrap());
            if keys.len() == 12 {
                sim.faults().expire_tokens();
            }
        }
    }
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), 30);
    assert!(sim.journal().count_status(401) >= 1);
    assert_eq!(client.token_refreshes(), 2, "one at connect, one after the 401");
    assert!(sim.tokens().stats().refresh_refused == 0);
}

/// Making a client, a source and a sink sends nothing; the first read connects (token,
/// tenant, currency) once, and later reads and writes reuse that session.
#[tokio::test]
async fn the_session_opens_on_first_use_and_once() {
    let sim = XeroSimulator::start().await.unwrap();
    let client = XeroClient::new(sim.config(), None).unwrap();
    let source = XeroSource::new(client.clone());
    let _sink = connector_xero::XeroSink::new(client.clone());
    assert_eq!(sim.journal().count(|_| true), 0, "no I/O before first use");
    assert_eq!(client.tenant_id(), None);
    let first = read::<Customer>(&source, ReadMode::Full).await;
    assert!(first.error.is_none() && !first.upserts.is_empty(), "{:?}", first.error);
    let connects = |sim: &XeroSimulator| sim.journal().count(|e| e.path.ends_with("/connections"));
    assert_eq!(connects(&sim), 1);
    read::<Customer>(&source, ReadMode::Full).await;
    client.check().await.unwrap();
    assert_eq!(connects(&sim), 1, "the session is reused");
    assert_eq!(client.tenant_id(), Some(connector_xero::simulator::TENANT_ID));
}
