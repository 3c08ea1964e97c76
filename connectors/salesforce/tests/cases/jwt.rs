//! The OAuth2 JWT bearer flow against the simulator, which verifies the RS256 signature with
//! the registered public key and checks `iss`, `sub`, `aud` and `exp`.
//!
//! The keys under `cases/keys/` are throwaway test-only keys (see the README there).

use std::time::Duration;

use connector_core::ErrorKind;
use connector_core::http::{AssertionSigner, JwtClaims, RsaJwtSigner, TokenEndpoint};
use connector_salesforce::SalesforceClient;
use connector_salesforce::simulator::{self, SalesforceSimulator};
use futures_util::StreamExt;
use secrecy::SecretString;

const KEY: &str = include_str!("keys/test_key.pem");
const PUBLIC: &str = include_str!("keys/test_key.pub.pem");
const OTHER: &str = include_str!("keys/other_key.pem");

async fn sim() -> SalesforceSimulator {
    SalesforceSimulator::builder().jwt_bearer(PUBLIC).start().await.unwrap()
}

/// No line of a PEM body appears in `text`.
fn no_key_material(text: &str) {
    for pem in [KEY, OTHER] {
        for line in pem.lines().filter(|l| !l.starts_with("-----")) {
            assert!(!text.contains(&line[..16.min(line.len())]), "key material in: {text}");
        }
    }
    assert!(!text.contains("PRIVATE KEY"), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_good_assertion_gets_a_token_and_queries_work_and_renews_after_expiry() {
    let sf = sim().await;
    let config = sf.jwt_config(KEY);
    no_key_material(&format!("{config:?}"));
    let client = SalesforceClient::connect(config, None).await.unwrap();
    no_key_material(&format!("{client:?}"));
    let rows: Vec<_> = client.query("SELECT Id, Name FROM Account".into()).collect().await;
    let rows: Vec<_> = rows.into_iter().flat_map(Result::unwrap).collect();
    assert!(!rows.is_empty(), "the demo accounts");
    let tokens_before = sf.journal().count(|e| e.path == "/services/oauth2/token");
    assert_eq!(tokens_before, 1, "one JWT grant to connect");
    // The grant carries the assertion alone: no client secret, no client id in the form.
    let grant = sf.journal().entries().into_iter().find(|e| e.path == "/services/oauth2/token");
    let form = String::from_utf8(grant.unwrap().body.to_vec()).unwrap();
    assert!(
        form.contains("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer"),
        "{form}"
    );
    assert!(form.contains("assertion=ey"), "{form}");
    assert!(!form.contains("client_secret") && !form.contains("client_id"), "{form}");

    // The session dies: a 401, a fresh assertion, the same query succeeds.
    sf.faults().expire_tokens();
    let again: Vec<_> = client.query("SELECT Id FROM Account".into()).collect().await;
    assert_eq!(again.into_iter().flat_map(Result::unwrap).count(), rows.len());
    assert_eq!(sf.journal().count(|e| e.path == "/services/oauth2/token"), 2);
    assert_eq!(client.token_refreshes(), 1);
    assert_eq!(sf.journal().count(|e| e.status == Some(400)), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_key_is_refused_with_a_clear_error_and_no_key_material() {
    let sf = sim().await;
    let e = SalesforceClient::connect(sf.jwt_config(OTHER), None).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Auth, "{e}");
    assert_eq!(e.status(), Some(400));
    assert!(!e.is_retryable(true), "{e}");
    let text = format!("{e} {e:?}");
    assert!(text.contains("invalid_grant: invalid assertion"), "{text}");
    assert!(text.contains("jwt-bearer") && text.contains("private key"), "{text}");
    no_key_material(&text);
    assert_eq!(sf.journal().count(|e| e.path.starts_with("/services/data/")), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn expired_assertions_and_wrong_claims_are_refused_in_salesforces_words() {
    let sf = sim().await;
    let endpoint =
        TokenEndpoint::new(&format!("{}/services/oauth2/token", sf.base_url()), "ignored").unwrap();
    let signed = |claims: JwtClaims| {
        RsaJwtSigner::from_pem(&SecretString::from(KEY), claims).unwrap().assertion().unwrap()
    };
    let good = JwtClaims::new(simulator::CLIENT_ID, simulator::USERNAME, simulator::AUDIENCE);
    assert!(endpoint.jwt_bearer(&signed(good.clone())).await.is_ok());

    // `exp` = now: already expired when it arrives.
    let expired = signed(good.clone().lifetime(Duration::ZERO));
    let e = endpoint.jwt_bearer(&expired).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Auth);
    assert!(e.to_string().contains("invalid_grant: expired authorization code"), "{e}");

    let cases = [
        (
            JwtClaims::new(
                simulator::CLIENT_ID,
                simulator::USERNAME,
                "https://test.salesforce.com",
            ),
            "invalid_grant: audience is invalid",
        ),
        (
            JwtClaims::new("someone-else", simulator::USERNAME, simulator::AUDIENCE),
            "invalid_client_id: client identifier invalid",
        ),
        (
            JwtClaims::new(simulator::CLIENT_ID, "nobody@example.com", simulator::AUDIENCE),
            "invalid_grant: user hasn't approved this consumer",
        ),
    ];
    for (claims, words) in cases {
        let e = endpoint.jwt_bearer(&signed(claims)).await.unwrap_err();
        assert_eq!((e.kind(), e.status()), (ErrorKind::Auth, Some(400)), "{e}");
        assert!(e.to_string().contains(words), "{e}");
    }
    // A configured audience that the org does not accept fails the connect the same way.
    let mut config = sf.jwt_config(KEY);
    config.jwt.as_mut().unwrap().audience = "https://test.salesforce.com".into();
    let e = SalesforceClient::connect(config, None).await.unwrap_err();
    assert!(e.to_string().contains("audience is invalid"), "{e}");
    // A simulator without a registered certificate refuses every assertion.
    let plain = SalesforceSimulator::builder().empty().start().await.unwrap();
    let e = SalesforceClient::connect(plain.jwt_config(KEY), None).await.unwrap_err();
    assert!(e.to_string().contains("invalid assertion"), "{e}");
}

#[tokio::test]
async fn an_unreadable_key_fails_before_any_request() {
    let sf = sim().await;
    let e = SalesforceClient::connect(
        sf.jwt_config("-----BEGIN PRIVATE KEY-----\nnot base64!\n-----END PRIVATE KEY-----\n"),
        None,
    )
    .await
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config, "{e}");
    assert!(!e.to_string().contains("base64!"), "{e}");
    assert_eq!(sf.journal().len(), 0);
}
