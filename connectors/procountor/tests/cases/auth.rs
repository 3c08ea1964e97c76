//! Client credentials with the API key; the token is re-requested on 401.

use connector_core::ErrorKind;
use connector_procountor::ProcountorClient;
use secrecy::SecretString;

use crate::support::*;

#[tokio::test(flavor = "multi_thread")]
async fn the_token_is_requested_with_the_api_key_and_renewed_on_401() {
    let sim = sim().await;
    let client = client(&sim);
    client.check().await.unwrap();
    let token_call =
        sim.journal().entries().into_iter().find(|e| e.path == "/api/oauth/token").unwrap();
    assert_eq!(token_call.status, Some(200));
    assert_eq!(sim.tokens().stats().issued, 1);
    sim.tokens().expire_all();
    let page: serde_json::Value = client.http().get("businesspartners").send_json().await.unwrap();
    assert_eq!(page["results"].as_array().unwrap().len(), 2);
    assert_eq!(sim.tokens().stats().issued, 2);
    assert_eq!(sim.journal().count_status(401), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_api_key_is_an_auth_error_without_the_secret() {
    let sim = sim().await;
    let mut cfg = sim.config();
    cfg.api_key = SecretString::from("wrong-key-value");
    let client = ProcountorClient::new(cfg).unwrap();
    let e = client.check().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Auth, "{e}");
    assert!(!e.to_string().contains("wrong-key-value"));
    assert!(!format!("{e:?}").contains("sim-secret"));
}

#[tokio::test(flavor = "multi_thread")]
async fn check_fails_when_the_company_has_no_vat_percentage_for_sales() {
    let sim = sim().await;
    sim.set_vat_percentages(&[]);
    let e = client(&sim).check().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config, "{e}");
    assert!(e.message().contains("no VAT percentage"), "{e}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_sales_percentages_of_vats_default_are_the_ones_in_use() {
    let sim = sim().await;
    let client = client(&sim);
    let in_use: Vec<String> =
        client.vat_percentages().await.unwrap().iter().map(ToString::to_string).collect();
    // 24 % is allowed for purchases only.
    assert_eq!(in_use, ["25.5", "14", "13.5", "10", "0"]);
}
