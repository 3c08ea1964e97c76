//! Auth: static headers, OAuth2 refresh (single flight, rotation persisted before use,
//! minimum interval, failures), client credentials, authorization code.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use connector_core::http::{
    HeaderAuth, MemoryTokenStore, OAuth2, TokenEndpoint, TokenSet, TokenStore, now_utc,
};
use connector_core::{ErrorKind, Result};
use futures_util::future::join_all;
use secrecy::ExposeSecret;
use serde_json::json;
use wiremock::matchers::{bearer_token, body_string_contains, header, method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use super::support::{builder, hits_on, hold};

fn token_answer(access: &str, refresh: &str, expires_in: serde_json::Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "access_token": access,
        "token_type": "bearer",
        "expires_in": expires_in,
        "refresh_token": refresh,
    }))
}

fn endpoint(server: &MockServer) -> TokenEndpoint {
    TokenEndpoint::new(&format!("{}/oauth/token", server.uri()), "client-1")
        .unwrap()
        .client_secret("client-secret".into())
}

fn expired(access: &str, refresh: &str) -> TokenSet {
    TokenSet::new(
        access.into(),
        Some(refresh.into()),
        Some(now_utc() - chrono::TimeDelta::seconds(5)),
    )
}

#[tokio::test(start_paused = true)]
async fn header_auth_sends_api_key_and_client() {
    let _hold = hold();
    let server = MockServer::start().await;
    Mock::given(header("x-api-key", "sky-key"))
        .and(header("x-api-client", "demo"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let auth = HeaderAuth::api_key("x-api-key", "sky-key".into())
        .unwrap()
        .header("x-api-client", "demo".into())
        .unwrap();
    let client = builder(&server).auth(auth).build().unwrap();
    client.get("customers").send().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn fifty_concurrent_requests_with_an_expired_token_refresh_once() {
    let _hold = hold();
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .and(body_string_contains("grant_type=refresh_token"))
        .and(body_string_contains("refresh_token=rt-0"))
        .respond_with(
            token_answer("at-1", "rt-1", json!(1800)).set_delay(Duration::from_millis(20)),
        )
        .mount(&server)
        .await;
    Mock::given(path("/data"))
        .and(bearer_token("at-1"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    Mock::given(path("/data")).respond_with(ResponseTemplate::new(401)).mount(&server).await;
    let store = MemoryTokenStore::new(Some(expired("at-0", "rt-0")));
    let auth = Arc::new(OAuth2::refresh_token(endpoint(&server), store.clone()).build());
    let client = builder(&server).auth(auth.clone()).build().unwrap();

    let results = join_all((0..50).map(|_| client.get("data").send())).await;
    assert!(results.iter().all(|r| r.is_ok()), "{:?}", results.iter().find(|r| r.is_err()));
    assert_eq!(hits_on(&server, "/oauth/token").await, 1);
    assert_eq!(hits_on(&server, "/data").await, 50);
    assert_eq!(auth.refreshes(), 1);
    let saved = store.current().unwrap();
    assert_eq!(saved.refresh_token.unwrap().expose_secret(), "rt-1");
    assert_eq!(saved.access_token.expose_secret(), "at-1");
}

/// Records every save and every API call, in order.
#[derive(Debug, Clone, Default)]
struct EventLog(Arc<Mutex<Vec<String>>>);

impl EventLog {
    fn push(&self, e: String) {
        self.0.lock().unwrap().push(e);
    }
    fn events(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
    fn position(&self, e: &str) -> usize {
        self.events()
            .iter()
            .position(|x| x == e)
            .unwrap_or_else(|| panic!("no {e}: {:?}", self.events()))
    }
}

#[derive(Debug)]
struct LoggingStore {
    inner: MemoryTokenStore,
    log: EventLog,
}

#[async_trait]
impl TokenStore for LoggingStore {
    async fn load(&self) -> Result<Option<TokenSet>> {
        self.inner.load().await
    }
    async fn save(&self, tokens: &TokenSet) -> Result<()> {
        let rt = tokens.refresh_token.as_ref().map(|t| t.expose_secret().to_owned());
        self.log.push(format!("save {}", rt.unwrap_or_default()));
        self.inner.save(tokens).await
    }
}

/// The API: logs the bearer token of each call; `at-1` is dead on `/dead`.
struct Api(EventLog);

impl Respond for Api {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let auth = request.headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or("");
        self.0.push(format!("api {auth}"));
        if request.url.path() == "/dead" && auth == "Bearer at-1" {
            ResponseTemplate::new(401)
        } else {
            ResponseTemplate::new(200)
        }
    }
}

#[tokio::test(start_paused = true)]
async fn rotated_refresh_token_is_saved_before_the_new_access_token_is_used() {
    let _hold = hold();
    let server = MockServer::start().await;
    let log = EventLog::default();
    Mock::given(path("/oauth/token"))
        .and(body_string_contains("refresh_token=rt-0"))
        .respond_with(token_answer("at-1", "rt-1", json!("600")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path("/oauth/token"))
        .and(body_string_contains("refresh_token=rt-1"))
        .respond_with(token_answer("at-2", "rt-2", json!("600")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET")).respond_with(Api(log.clone())).mount(&server).await;
    let store = LoggingStore {
        inner: MemoryTokenStore::new(Some(TokenSet::from_refresh_token("rt-0".into()))),
        log: log.clone(),
    };
    let client = builder(&server)
        .auth(OAuth2::refresh_token(endpoint(&server), store).build())
        .build()
        .unwrap();

    client.get("ok").send().await.unwrap();
    // at-1 is refused on /dead: the 401 refreshes (rotating rt-1 into rt-2) and resends once.
    client.get("dead").send().await.unwrap();

    assert!(log.position("save rt-1") < log.position("api Bearer at-1"), "{:?}", log.events());
    assert!(log.position("save rt-2") < log.position("api Bearer at-2"), "{:?}", log.events());
    assert_eq!(
        log.events(),
        ["save rt-1", "api Bearer at-1", "api Bearer at-1", "save rt-2", "api Bearer at-2"]
    );
}

#[derive(Debug)]
struct FailingStore;

#[async_trait]
impl TokenStore for FailingStore {
    async fn load(&self) -> Result<Option<TokenSet>> {
        Ok(Some(TokenSet::from_refresh_token("rt-0".into())))
    }
    async fn save(&self, _tokens: &TokenSet) -> Result<()> {
        Err(connector_core::Error::internal("disk full"))
    }
}

#[tokio::test(start_paused = true)]
async fn tokens_that_cannot_be_saved_are_not_used() {
    let _hold = hold();
    let server = MockServer::start().await;
    Mock::given(path("/oauth/token"))
        .respond_with(token_answer("at-1", "rt-1", json!(600)))
        .mount(&server)
        .await;
    Mock::given(path("/data")).respond_with(ResponseTemplate::new(200)).mount(&server).await;
    let client = builder(&server)
        .auth(OAuth2::refresh_token(endpoint(&server), FailingStore).build())
        .build()
        .unwrap();
    let err = client.get("data").send().await.unwrap_err();
    assert!(err.message().contains("disk full"), "{err}");
    // Again: the pending tokens are saved first, not refreshed a second time (rt-0 is spent).
    client.get("data").send().await.unwrap_err();
    assert_eq!(hits_on(&server, "/data").await, 0);
    assert_eq!(hits_on(&server, "/oauth/token").await, 1);
}

#[tokio::test(start_paused = true)]
async fn a_refused_refresh_token_fails_fast_and_is_not_sent_again() {
    let _hold = hold();
    let server = MockServer::start().await;
    Mock::given(path("/oauth/token"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"error": "invalid_grant"})))
        .mount(&server)
        .await;
    Mock::given(path("/data")).respond_with(ResponseTemplate::new(401)).mount(&server).await;
    let store = MemoryTokenStore::new(Some(TokenSet::new(
        "at-0".into(),
        Some("rt-0".into()),
        Some(now_utc() + chrono::TimeDelta::seconds(600)),
    )));
    let client = builder(&server)
        .auth(OAuth2::refresh_token(endpoint(&server), store).build())
        .build()
        .unwrap();

    let err = client.get("data").send().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert!(err.message().contains("invalid_grant"), "{err}");
    assert!(!err.is_retryable(true));
    assert_eq!(hits_on(&server, "/data").await, 1);
    assert_eq!(hits_on(&server, "/oauth/token").await, 1);

    // at-0 is dead and rt-0 refused: the next call fails without any request.
    let again = client.get("data").send().await.unwrap_err();
    assert_eq!(again.kind(), ErrorKind::Auth);
    assert_eq!(hits_on(&server, "/data").await, 1);
    assert_eq!(hits_on(&server, "/oauth/token").await, 1);
}

#[tokio::test(start_paused = true)]
async fn static_credentials_get_one_attempt_on_401() {
    let _hold = hold();
    let server = MockServer::start().await;
    Mock::given(path("/data")).respond_with(ResponseTemplate::new(401)).mount(&server).await;
    let client = builder(&server)
        .auth(connector_core::http::BearerToken::new("static".into()))
        .build()
        .unwrap();
    let err = client.get("data").send().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert_eq!(err.status(), Some(401));
    assert_eq!(hits_on(&server, "/data").await, 1);
}

#[tokio::test(start_paused = true)]
async fn exact_online_refreshes_near_expiry_but_never_before_the_minimum_interval() {
    let _hold = hold();
    let server = MockServer::start().await;
    // A 60 s token: with a 30 s skew it would be refreshed every 30 s, but the minimum
    // interval (Exact: 570 s) forbids it.
    Mock::given(path("/oauth/token"))
        .respond_with(token_answer("at-short", "rt-next", json!("60")))
        .mount(&server)
        .await;
    Mock::given(path("/api")).respond_with(ResponseTemplate::new(200)).mount(&server).await;
    Mock::given(path("/dead"))
        .respond_with(ResponseTemplate::new(401))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path("/dead")).respond_with(ResponseTemplate::new(200)).mount(&server).await;
    let store = MemoryTokenStore::new(Some(TokenSet::from_refresh_token("rt-0".into())));
    let auth = Arc::new(
        OAuth2::refresh_token(endpoint(&server), store)
            .refresh_skew(Duration::from_secs(30))
            .min_refresh_interval(Duration::from_secs(570))
            .build(),
    );
    let client = builder(&server).auth(auth.clone()).build().unwrap();

    client.get("api").send().await.unwrap();
    assert_eq!(auth.refreshes(), 1);
    tokio::time::sleep(Duration::from_secs(100)).await; // past expiry and skew
    client.get("api").send().await.unwrap();
    assert_eq!(auth.refreshes(), 1, "refreshed before 570 s");
    // A 401 says the token is dead: refresh now, interval or not.
    client.get("dead").send().await.unwrap();
    assert_eq!(auth.refreshes(), 2);
    tokio::time::sleep(Duration::from_secs(571)).await;
    client.get("api").send().await.unwrap();
    assert_eq!(auth.refreshes(), 3);
}

#[tokio::test(start_paused = true)]
async fn client_credentials_with_api_key_and_reissue_on_401() {
    let _hold = hold();
    let server = MockServer::start().await;
    Mock::given(path("/oauth/token"))
        .and(body_string_contains("grant_type=client_credentials"))
        .and(body_string_contains("api_key=company-key"))
        .and(body_string_contains("client_secret=client-secret"))
        .respond_with(token_answer("m2m", "", json!(3600)))
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(path("/invoices"))
        .respond_with(ResponseTemplate::new(401))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path("/invoices"))
        .and(bearer_token("m2m"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let auth = OAuth2::client_credentials(
        endpoint(&server)
            .extra_param("api_key", "company-key".into())
            .extra_param("redirect_uri", "https://example.invalid/cb".into()),
    )
    .build();
    let client = builder(&server).auth(auth).build().unwrap();
    client.get("invoices").send().await.unwrap();
    assert_eq!(hits_on(&server, "/invoices").await, 2);
}

#[tokio::test(start_paused = true)]
async fn authorization_code_exchange_returns_a_token_set() {
    let _hold = hold();
    let server = MockServer::start().await;
    Mock::given(path("/oauth/token"))
        .and(body_string_contains("grant_type=authorization_code"))
        .and(body_string_contains("code=the-code"))
        .and(body_string_contains("redirect_uri=https%3A%2F%2Fapp.example%2Fcb"))
        .and(body_string_contains("code_verifier=verifier"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": "at", "refresh_token": "rt", "expires_in": "600",
            "instance_url": "https://acme.my.salesforce.com", "token_type": "Bearer"
        })))
        .expect(1)
        .mount(&server)
        .await;
    let answer = endpoint(&server)
        .exchange_code(&"the-code".into(), "https://app.example/cb", Some(&"verifier".into()))
        .await
        .unwrap();
    assert_eq!(answer.tokens.access_token.expose_secret(), "at");
    assert_eq!(answer.tokens.refresh_token.as_ref().unwrap().expose_secret(), "rt");
    let ttl = answer.tokens.expires_at.unwrap() - now_utc();
    assert!(ttl > chrono::TimeDelta::seconds(590) && ttl <= chrono::TimeDelta::seconds(600));
    assert_eq!(answer.instance_url.as_deref(), Some("https://acme.my.salesforce.com"));
}

#[tokio::test(start_paused = true)]
async fn basic_client_auth_goes_in_the_header() {
    let _hold = hold();
    let server = MockServer::start().await;
    Mock::given(path("/oauth/token"))
        .and(wiremock::matchers::basic_auth("client-1", "client-secret"))
        .respond_with(token_answer("at", "rt-9", json!(1800)))
        .expect(1)
        .mount(&server)
        .await;
    let answer = endpoint(&server)
        .client_auth(connector_core::http::ClientAuthMethod::BasicHeader)
        .refresh(&"rt-8".into())
        .await
        .unwrap();
    assert_eq!(answer.tokens.refresh_token.unwrap().expose_secret(), "rt-9");
}
