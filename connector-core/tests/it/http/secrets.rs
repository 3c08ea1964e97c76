//! No secret reaches a log line, an error or a `Debug` output.

use std::sync::Arc;

use connector_core::http::{
    BearerToken, HeaderAuth, MemoryTokenStore, OAuth2, TokenEndpoint, TokenSet, now_utc,
};
use connector_core::test_util::capture_tracing;
use serde_json::json;
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use super::support::{builder, hold};

/// Answers with an error body quoting the credentials it received, as some servers do.
struct EchoCredentials(u16);

impl Respond for EchoCredentials {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let auth = request.headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or("");
        let token = auth.rsplit(' ').next().unwrap_or("");
        ResponseTemplate::new(self.0).set_body_json(json!({
            "message": format!("token {token} rejected for {}", request.url),
            "access_token": token,
        }))
    }
}

const SECRETS: &[&str] = &[
    "SKY-API-KEY-5b1e",
    "CLIENT-SECRET-77aa",
    "REFRESH-TOKEN-0c0c",
    "ACCESS-TOKEN-dead",
    "QUERY-TOKEN-f00d",
    "COMPANY-KEY-a11e",
    "BEARER-TOKEN-c0de",
];

fn assert_clean(what: &str, text: &str) {
    for s in SECRETS {
        assert!(!text.contains(s), "{what} leaks {s}:\n{text}");
    }
}

#[tokio::test(start_paused = true)]
async fn secrets_stay_out_of_logs_errors_and_debug_output() {
    let _hold = hold();
    let logs = capture_tracing();
    let server = MockServer::start().await;
    // The API refuses everything; error bodies even echo credentials back.
    Mock::given(path("/data")).respond_with(EchoCredentials(401)).mount(&server).await;
    Mock::given(path("/keyed"))
        .respond_with(ResponseTemplate::new(500).set_body_string(
            "api_key=SKY-API-KEY-5b1e&client_secret=CLIENT-SECRET-77aa&state=broken",
        ))
        .mount(&server)
        .await;
    // The refresh fails.
    Mock::given(path("/oauth/token"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error": "invalid_grant",
            "refresh_token": "REFRESH-TOKEN-0c0c"
        })))
        .mount(&server)
        .await;

    let endpoint = TokenEndpoint::new(&format!("{}/oauth/token", server.uri()), "client-1")
        .unwrap()
        .client_secret("CLIENT-SECRET-77aa".into())
        .extra_param("api_key", "COMPANY-KEY-a11e".into());
    let store = MemoryTokenStore::new(Some(TokenSet::new(
        "ACCESS-TOKEN-dead".into(),
        Some("REFRESH-TOKEN-0c0c".into()),
        Some(now_utc() + chrono::TimeDelta::hours(1)),
    )));
    let oauth = Arc::new(OAuth2::refresh_token(endpoint.clone(), store.clone()).build());
    let oauth_client = builder(&server).auth(oauth.clone()).build().unwrap();
    let key_auth = HeaderAuth::api_key("x-api-key", "SKY-API-KEY-5b1e".into()).unwrap();
    let key_client = builder(&server)
        .auth(key_auth.clone())
        .default_header("x-api-client", "demo")
        .default_header("SO-AppToken", "CLIENT-SECRET-77aa")
        .build()
        .unwrap();

    // 401, then a failed refresh.
    let e1 = oauth_client
        .get("data")
        .query("access_token", "QUERY-TOKEN-f00d")
        .send()
        .await
        .unwrap_err();
    // The refused refresh token is not sent again.
    let e2 = oauth_client.get("data").send().await.unwrap_err();
    // A 500 whose body echoes credentials, retried then given up.
    let e3 = key_client.get("keyed").query("api_key", "SKY-API-KEY-5b1e").send().await.unwrap_err();
    // A refused refresh directly on the endpoint.
    let e4 = endpoint.refresh(&"REFRESH-TOKEN-0c0c".into()).await.unwrap_err();
    let e5 = builder(&server)
        .auth(BearerToken::new("BEARER-TOKEN-c0de".into()))
        .build()
        .unwrap()
        .get("data")
        .send()
        .await
        .unwrap_err();

    for (i, e) in [&e1, &e2, &e3, &e4, &e5].iter().enumerate() {
        assert_clean(&format!("error {i} Display"), &e.to_string());
        assert_clean(&format!("error {i} Debug"), &format!("{e:?}"));
        assert_clean(&format!("error {i} JSON"), &serde_json::to_string(e).unwrap());
    }
    assert!(e3.to_string().contains("state=broken"), "{e3}");

    let debug = format!(
        "{oauth_client:?} {key_client:?} {oauth:?} {key_auth:?} {endpoint:?} {store:?} {:?}",
        store.current()
    );
    assert_clean("Debug output", &debug);

    let captured = logs.contents();
    assert_clean("logs", &captured);
    assert!(captured.contains("http attempt"), "{captured}");
    assert!(captured.contains("access_token=REDACTED"), "{captured}");
    assert!(captured.contains("status=401"), "{captured}");
    assert!(captured.contains("oauth2 token request"), "{captured}");
}
