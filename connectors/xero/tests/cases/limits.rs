//! The app-wide limit (10,000 a minute over every tenant of an app) beside the per-tenant
//! ones: the simulator enforces it, and the client's app budget, fed by
//! `X-AppMinLimit-Remaining`, keeps under it and honours a 429 `appminute`.

use std::sync::Arc;
use std::time::Duration;

use connector_core::http::{BearerToken, HttpClient, RetryPolicy, Window};
use connector_core::model::Customer;
use connector_core::source::ReadMode;
use connector_xero::simulator::{CLIENT_ID, OTHER_TENANT_ID, TENANT_ID, XeroSimulator};
use connector_xero::{XeroClient, XeroSource};
use secrecy::SecretString;

use crate::support::{hold, read, seed_contacts};

async fn client(sim: &XeroSimulator, page_size: u32) -> XeroClient {
    let mut config = sim.config();
    config.page_size = page_size;
    XeroClient::connect(config, None).await.unwrap()
}

async fn app_remaining(client: &XeroClient) -> Option<u64> {
    let http = client.http().await.unwrap();
    http.rate_budgets().iter().find_map(|b| b.remaining(Window::APP_MINUTE))
}

fn our_calls(sim: &XeroSimulator, status: Option<u16>) -> usize {
    sim.journal().count(|e| {
        e.header("xero-tenant-id") == Some(TENANT_ID) && status.is_none_or(|s| e.status == Some(s))
    })
}

#[tokio::test(start_paused = true)]
async fn the_simulator_answers_appminute_across_tenants() {
    let _io = hold();
    let sim = XeroSimulator::builder().empty().app_limit(3).start().await.unwrap();
    let token = sim.tokens().issue(CLIENT_ID).access_token;
    let http = |tenant: &str| {
        HttpClient::builder("other-app-process", &sim.config().api_url)
            .auth(BearerToken::new(SecretString::from(token.clone())))
            .retry(RetryPolicy::never())
            .default_header("xero-tenant-id", tenant)
            .build()
            .unwrap()
    };
    let (ours, other) = (http(TENANT_ID), http(OTHER_TENANT_ID));
    let first = ours.get("Organisation").send().await.unwrap();
    assert_eq!(first.header("x-appminlimit-remaining"), Some("2"));
    assert_eq!(first.header("x-minlimit-remaining"), Some("59"));
    other.get("Organisation").send().await.unwrap();
    let last = other.get("Organisation").send().await.unwrap();
    assert_eq!(last.header("x-appminlimit-remaining"), Some("0"));
    assert_eq!(last.header("x-minlimit-remaining"), Some("58"), "per tenant");
    tokio::time::advance(Duration::from_secs(15)).await;
    // Our tenant has 59 of its own minute left, but the app's minute is spent.
    let e = ours.get("Organisation").send().await.unwrap_err();
    assert_eq!(e.status(), Some(429));
    let refused = sim.journal().entries().into_iter().rfind(|e| e.status == Some(429)).unwrap();
    assert_eq!(refused.header("xero-tenant-id"), Some(TENANT_ID));
    assert_eq!(e.retry_after(), Some(Duration::from_secs(45)));
    tokio::time::advance(Duration::from_secs(45)).await;
    let again = ours.get("Organisation").send().await.unwrap();
    assert_eq!(again.header("x-appminlimit-remaining"), Some("2"));
}

#[tokio::test(start_paused = true)]
async fn the_app_budget_fed_by_x_appminlimit_remaining_keeps_under_the_app_limit() {
    let _io = hold();
    // The tenant allows 60 a minute; the app only 8, which the client learns from the
    // header alone (its own app budget assumes Xero's 10,000).
    let sim = XeroSimulator::builder().empty().app_limit(8).start().await.unwrap();
    seed_contacts(&sim, 40);
    let client = client(&sim, 5).await;
    assert_eq!(app_remaining(&client).await, Some(7), "GET /Organisation's answer fed the budget");
    let source = XeroSource::new(client.clone());
    let start = tokio::time::Instant::now();
    let r = read::<Customer>(&source, ReadMode::Full).await;
    assert!(r.error.is_none(), "{:?}", r.error);
    assert_eq!(r.by_key().len(), 40);
    assert_eq!(sim.journal().count_status(429), 0, "the budget waited instead");
    let calls = our_calls(&sim, None);
    assert!(calls > 8, "{calls} calls need a second app minute");
    assert!(start.elapsed() >= Duration::from_secs(50), "{:?}", start.elapsed());
    assert!(start.elapsed() < Duration::from_secs(121), "{:?}", start.elapsed());
}

#[tokio::test(start_paused = true)]
async fn a_429_appminute_caused_by_another_process_is_honoured() {
    let _io = hold();
    let sim = XeroSimulator::builder().empty().app_limit(5).start().await.unwrap();
    seed_contacts(&sim, 10);
    let client = client(&sim, 5).await;
    // Another process of the same app (no shared budget) spends the app's minute on the
    // other tenant.
    let token = sim.tokens().issue(CLIENT_ID).access_token;
    let other = HttpClient::builder("other-app-process", &sim.config().api_url)
        .auth(Arc::new(BearerToken::new(SecretString::from(token))))
        .retry(RetryPolicy::never())
        .default_header("xero-tenant-id", OTHER_TENANT_ID)
        .build()
        .unwrap();
    while other.get("Organisation").send().await.is_ok() {}
    let other_429 = sim.journal().count_status(429);
    assert_eq!(other_429, 1);
    let source = XeroSource::new(client);
    let start = tokio::time::Instant::now();
    let r = read::<Customer>(&source, ReadMode::Full).await;
    assert!(r.error.is_none(), "{:?}", r.error);
    assert_eq!(r.by_key().len(), 10);
    assert_eq!(our_calls(&sim, Some(429)), 1, "one refusal, then Retry-After was waited out");
    let refused = sim.journal().entries().into_iter().rfind(|e| e.status == Some(429)).unwrap();
    let retried = sim
        .journal()
        .entries()
        .into_iter()
        .find(|e| e.at > refused.at && e.header("xero-tenant-id") == Some(TENANT_ID))
        .unwrap();
    assert_eq!(retried.status, Some(200));
    assert!(retried.at - refused.at >= Duration::from_secs(59), "{:?}", retried.at - refused.at);
    assert!(start.elapsed() < Duration::from_secs(125), "{:?}", start.elapsed());
}
