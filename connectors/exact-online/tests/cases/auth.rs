//! Auth: rotating refresh tokens saved before use, expiry mid-run, the division from
//! `current/Me`, the authorization code.

use std::sync::Arc;

use connector_core::http::{MemoryTokenStore, TokenStore};
use connector_core::model::Customer;
use connector_core::source::ReadMode;
use connector_exact_online::simulator::{AUTH_CODE, ExactSimulator};
use connector_exact_online::{ExactClient, ExactSource, exchange_authorization_code};
use secrecy::{ExposeSecret, SecretString};

use crate::support::{hold, read};

#[tokio::test(start_paused = true)]
async fn the_rotated_refresh_token_is_saved_and_the_old_one_is_dead() {
    let _io = hold();
    let sim = ExactSimulator::start().await.unwrap();
    let config = sim.config();
    let first = config.refresh_token.clone().unwrap();
    let store = Arc::new(MemoryTokenStore::new(None));
    let client = ExactClient::connect(config.clone(), Some(store.clone())).await.unwrap();
    assert_eq!(client.token_refreshes(), 1);
    let saved = store.load().await.unwrap().unwrap();
    let rotated = saved.refresh_token.clone().unwrap();
    assert_ne!(rotated.expose_secret(), first.expose_secret(), "rotated and saved");
    // The first refresh token was used once: a client starting from it is refused.
    let mut stale = config;
    stale.division = Some(connector_exact_online::simulator::DIVISION);
    let e = ExactClient::connect(stale, None).await.unwrap().check().await.unwrap_err();
    assert_eq!(e.kind(), connector_core::ErrorKind::Auth, "{e}");
    // The token endpoint answered `expires_in` as a string and was understood.
    let token_call =
        sim.journal().entries().into_iter().find(|e| e.path == "/api/oauth2/token").unwrap();
    assert_eq!(token_call.status, Some(200));
}

#[tokio::test(start_paused = true)]
async fn an_expired_token_mid_run_is_refreshed_once_and_nothing_is_lost() {
    let _io = hold();
    let sim = ExactSimulator::builder().empty().start().await.unwrap();
    sim.seed_accounts(3_000);
    let client = ExactClient::connect(sim.config(), None).await.unwrap();
    let source = ExactSource::new(client.clone());
    sim.faults().expire_tokens();
    let r = read::<Customer>(&source, ReadMode::Full).await;
    assert!(r.error.is_none(), "{:?}", r.error);
    assert_eq!(r.by_key().len(), 3_000);
    assert_eq!(client.token_refreshes(), 2);
    assert_eq!(sim.journal().count_status(401), 1);
}

#[tokio::test(start_paused = true)]
async fn no_refresh_before_570_seconds_while_the_token_lives() {
    let _io = hold();
    let sim = ExactSimulator::start().await.unwrap();
    let client = ExactClient::connect(sim.config(), None).await.unwrap();
    // 9 minutes of calls: the 600 s token (30 s skew) is never renewed early.
    for _ in 0..9 {
        client.check().await.unwrap();
        tokio::time::sleep(std::time::Duration::from_secs(60)).await;
    }
    assert_eq!(client.token_refreshes(), 1);
    tokio::time::sleep(std::time::Duration::from_secs(60)).await;
    client.check().await.unwrap();
    assert_eq!(client.token_refreshes(), 2, "renewed once it neared expiry");
}

#[tokio::test(start_paused = true)]
async fn an_authorization_code_works_once() {
    let _io = hold();
    let sim = ExactSimulator::start().await.unwrap();
    let mut config = sim.config();
    config.refresh_token = None;
    let store = MemoryTokenStore::new(None);
    let code = SecretString::from(AUTH_CODE);
    exchange_authorization_code(&config, &store, &code, "https://app.example/callback")
        .await
        .unwrap();
    assert!(store.load().await.unwrap().unwrap().refresh_token.is_some());
    assert!(
        exchange_authorization_code(&config, &store, &code, "https://app.example/callback")
            .await
            .is_err()
    );
    let store: Arc<dyn TokenStore> = Arc::new(store);
    let client = ExactClient::connect(config, Some(store)).await.unwrap();
    client.check().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_client_connects_on_first_use_and_keeps_the_rotated_token_in_a_file() {
    use connector_exact_online::{ExactClient, ExactConfig, ExactSource, FileTokenStore};
    let _io = hold();
    let sim = ExactSimulator::start().await.unwrap();
    let c = sim.config();
    let options: std::collections::BTreeMap<String, String> = [
        ("client_id", c.client_id.clone()),
        ("client_secret", connector_exact_online::simulator::CLIENT_SECRET.to_owned()),
        ("refresh_token", c.refresh_token.as_ref().unwrap().expose_secret().to_owned()),
        ("api_url", c.api_url.clone()),
        ("order_target", "sales_invoice".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let config = ExactConfig::from_options(&options).unwrap();
    assert_eq!(config.token_url, format!("{}/api/oauth2/token", c.api_url));
    assert_eq!(config.order_target, connector_exact_online::OrderTarget::SalesInvoice);
    let dir = std::env::temp_dir().join(format!("exact-token-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("token.json");
    let _ = std::fs::remove_file(&file);
    let store: Arc<dyn TokenStore> = Arc::new(FileTokenStore::new(&file));
    let connector = ExactSource::new(ExactClient::new(config, Some(store.clone())).unwrap());
    assert!(sim.journal().is_empty(), "nothing happens before first use");
    let mut stream = connector_core::source::Source::<Customer>::read(&connector, ReadMode::Full);
    let mut n = 0;
    while let Some(item) = futures_util::StreamExt::next(&mut stream).await {
        if let connector_core::source::Change::Upsert(_) = item.unwrap() {
            n += 1;
        }
    }
    assert_eq!(n, 3);
    let saved = store.load().await.unwrap().unwrap();
    assert_ne!(
        saved.refresh_token.unwrap().expose_secret(),
        c.refresh_token.unwrap().expose_secret(),
        "the rotated token is in the file"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
