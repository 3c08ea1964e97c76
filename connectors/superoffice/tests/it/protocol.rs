//! The protocol's edges: unknown connections, broken and oversized requests, unknown
//! operations, other namespaces, the WSDL, and many polls at once.

use connector_superoffice::contract::{Direction, contract};
use connector_superoffice::soap;
use connector_superoffice::xml::parse;
use connector_superoffice::{EisClient, PluginResponse, ResponseState};

use crate::support::{GUID, desk};

/// Posts a raw body; the `…Result` element of the answer.
async fn post(
    url: &str,
    action: &str,
    body: impl Into<reqwest::Body>,
) -> (u16, connector_superoffice::xml::Element) {
    let r = reqwest::Client::new()
        .post(url)
        .header("Content-Type", "text/xml; charset=utf-8")
        .header(
            "SOAPAction",
            format!("\"http://www.superoffice.net/EIS/Connector/1.0/IErpConnectorWS/{action}\""),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let doc = parse(&r.text().await.unwrap()).unwrap();
    let result = doc.child("Body").unwrap().children[0].children[0].clone();
    (status, result)
}

#[tokio::test]
async fn an_unknown_connection_asks_superoffice_to_resend_it() {
    let (_desk, _server, eis) = desk().await;
    let other = "0f8fad5b-d9cb-469f-a165-70867728950e";
    let answer = eis.test_connection(other).await.unwrap();
    assert_eq!(answer.status.state, ResponseState::Error);
    assert_eq!(answer.status.error_code, contract().unknown_connection_error_code);
    // After SuperOffice resends it, the same call works; a deleted one is unknown again.
    assert!(eis.save_connection(other, &[("token", "good")]).await.unwrap().status.is_ok());
    assert!(eis.test_connection(other).await.unwrap().status.is_ok());
    assert!(eis.delete_connection(other).await.unwrap().status.is_ok());
    assert_eq!(
        eis.test_connection(other).await.unwrap().status.error_code,
        "UNKNOWN_CONNECTION_ID"
    );
    let not_a_guid = eis.test_connection("42").await;
    assert!(
        matches!(not_a_guid, Err(connector_superoffice::eis::EisError::Contract(_))),
        "the client refuses it first"
    );
}

#[tokio::test]
async fn broken_oversized_and_unknown_requests_get_an_error_state_not_a_fault() {
    let (_desk, server, _eis) = desk().await;
    let url = server.url();
    let cases: Vec<(&str, reqwest::Body, &str)> = vec![
        ("WSGetActors", "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body><WSGetActors>".into(), "not a SOAP message"),
        ("WSGetActors", "{\"json\": true}".into(), "not a SOAP message"),
        ("WSGetActors", vec![0xff_u8, 0xfe, 0x00].into(), "not UTF-8"),
        ("WSGetActors", "x".repeat(5 * 1024 * 1024).into(), "larger than the connector accepts"),
        (
            "WSFlyToTheMoon",
            soap::request("WSFlyToTheMoon", &contract().namespace, Some("<ConnectionGuid>x</ConnectionGuid>")).into(),
            "does not know the operation `WSFlyToTheMoon`",
        ),
        (
            "WSGetActors",
            "<!DOCTYPE x [<!ENTITY a \"aaaa\">]><s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"/>".into(),
            "not a SOAP message",
        ),
    ];
    for (action, body, needle) in cases {
        let (status, result) = post(&url, action, body).await;
        assert_eq!(status, 200, "{needle}");
        assert_eq!(result.name, format!("{action}Result"));
        let r = PluginResponse::read(&result);
        assert_eq!(
            (r.state, result.child_text("IsOk")),
            (ResponseState::Error, Some("false")),
            "{needle}"
        );
        assert!(r.user_explanation.contains(needle), "{needle} not in {}", r.user_explanation);
        assert!(
            contract().check("ConnectorResultBaseWS", &result, "r", Direction::Answer).is_empty()
        );
    }
}

#[tokio::test]
async fn answers_come_in_the_namespace_the_request_used() {
    let (_desk, server, _eis) = desk().await;
    let eis = EisClient::new(server.url()).with_namespace("urn:example:erp");
    assert_eq!(eis.supported_actor_types(GUID).await.unwrap().items(), ["Customer", "Person"]);
}

#[tokio::test]
async fn the_wsdl_describes_every_operation_at_the_served_address() {
    let (_desk, server, _eis) = desk().await;
    let text = reqwest::get(format!("{}?wsdl", server.url())).await.unwrap().text().await.unwrap();
    let doc = parse(&text).unwrap();
    assert_eq!(doc.name, "definitions");
    assert!(text.contains(&format!("location=\"{}\"", server.url())), "{text}");
    for op in contract().operations.keys() {
        assert!(text.contains(&format!("<wsdl:operation name=\"{op}\">")), "{op}");
    }
    let get = reqwest::get(server.url()).await.unwrap();
    assert_eq!(get.status().as_u16(), 405);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_polls_at_once_all_answer_right() {
    let (desk, _server, eis) = desk().await;
    for i in 0..30 {
        desk.insert(
            connector_core::model::Customer {
                name: Some(format!("Firma {i}")),
                ..Default::default()
            },
            chrono::Utc::now(),
        );
    }
    let polls = (0..20).map(|i| {
        let eis = eis.clone();
        tokio::spawn(async move {
            if i % 2 == 0 {
                eis.actors_by_timestamp(GUID, "Customer", "[DT:01/01/2000 00:00:00.0000000]", &[])
                    .await
            } else {
                eis.get_actors(GUID, "Customer", &[format!("D-{}", i + 1)], &[]).await
            }
        })
    });
    for (i, poll) in polls.enumerate() {
        let answer = poll.await.unwrap().unwrap();
        assert!(answer.status.is_ok(), "{i}: {:?}", answer.status);
        let expected = if i % 2 == 0 { 30 } else { 1 };
        assert_eq!(answer.actors().len(), expected, "poll {i}");
    }
}

/// A token as SuperOffice's authorization service signs it (with the test certificate's key).
fn superoffice_token(aud: &str, nonce: &str) -> String {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let (_, der) =
        connector_core::http::pem_decode(include_str!("../keys/superoffice_key.pem")).unwrap();
    let pair = ring::signature::RsaKeyPair::from_pkcs8(&der).unwrap();
    let now = chrono::Utc::now().timestamp();
    let claims =
        serde_json::json!({"iss": "SuperOffice AS", "aud": aud, "exp": now + 60, "nonce": nonce});
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","typ":"JWT"}"#),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let mut sig = vec![0; pair.public().modulus_len()];
    pair.sign(
        &ring::signature::RSA_PKCS1_SHA256,
        &ring::rand::SystemRandom::new(),
        input.as_bytes(),
        &mut sig,
    )
    .unwrap();
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig))
}

async fn handshake(url: &str, token: &str) -> connector_superoffice::xml::Element {
    let body = format!(
        "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body><Authenticate xmlns=\"http://www.superoffice.net/SuperID/Contracts/V1\"><request><SignedToken>{token}</SignedToken></request></Authenticate></s:Body></s:Envelope>"
    );
    let (status, result) = post(url, "Authenticate", body).await;
    assert_eq!(status, 200);
    result
}

#[tokio::test]
async fn superoffice_online_handshake_answers_with_the_apps_signed_nonce() {
    use connector_core::state::{MemoryStore, Sealer};
    use connector_superoffice::{ErpConnector, OnlineAuth};
    use std::sync::Arc;
    let auth = OnlineAuth::new(
        "app-42",
        include_str!("../keys/superoffice_cert.pem"),
        &secrecy::SecretString::from(include_str!("../keys/app_key.pem")),
    )
    .unwrap();
    let mut registry = connector_core::system::Registry::new();
    registry.register(crate::support::DeskSystem(Default::default()));
    let connector = ErpConnector::builder(registry.clone(), Arc::new(MemoryStore::default()))
        .sealer(Sealer::new(&[1; 32]))
        .online_auth(auth)
        .build()
        .unwrap();
    let (server, _eis) = crate::support::start(connector).await;
    let result = handshake(&server.url(), &superoffice_token("spn:app-42", "nonce-7")).await;
    assert_eq!(result.name, "AuthenticateResult");
    assert_eq!(result.child_text("Succeeded"), Some("true"), "{result:?}");
    let token = result.child_text("SignedApplicationToken").unwrap();
    assert_eq!(connector_core::http::Jws::parse(token).unwrap().payload["nonce"], "nonce-7");
    let refused = handshake(&server.url(), &superoffice_token("spn:someone-else", "n")).await;
    assert_eq!(refused.child_text("Succeeded"), Some("false"));
    assert!(refused.child_text("Reason").unwrap().contains("audience"));

    // A connector without an application key refuses every handshake, saying why.
    let (_desk, onsite, _eis) = desk().await;
    let result = handshake(&onsite.url(), &superoffice_token("spn:app-42", "n")).await;
    assert_eq!(result.child_text("Succeeded"), Some("false"));
    assert!(result.child_text("Reason").unwrap().contains("not set up for SuperOffice Online"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_poll_streams_and_a_failure_midway_cuts_it_instead_of_answering_ok() {
    let (desk, _server, eis) = desk().await;
    let at = chrono::Utc::now();
    for i in 0..20_000 {
        desk.insert(
            connector_core::model::Customer {
                name: Some(format!("Kunde {i:05} — Øst")),
                ..Default::default()
            },
            at,
        );
    }
    let since = "[DT:01/01/2000 00:00:00.0000000]";
    let all = eis.actors_by_timestamp(GUID, "Customer", since, &[]).await.unwrap().actors();
    assert_eq!(all.len(), 20_000);
    assert_eq!(all[19_999].value("name").map(|n| n.ends_with("— Øst")), Some(true));

    *desk.fail_after.lock().unwrap() = Some(15_000);
    let cut = eis.actors_by_timestamp(GUID, "Customer", since, &[]).await;
    assert!(
        matches!(cut, Err(connector_superoffice::eis::EisError::Transport(_))),
        "{:?}",
        cut.map(|a| a.status)
    );
    // Before anything is sent, a failure is an ordinary error answer saying what to do.
    *desk.fail_after.lock().unwrap() = Some(0);
    let failed = eis.actors_by_timestamp(GUID, "Customer", since, &[]).await.unwrap();
    assert_eq!(failed.status.state, ResponseState::Error);
    assert!(
        failed.status.user_explanation.contains("next poll tries again"),
        "{:?}",
        failed.status
    );
}

#[tokio::test]
async fn with_several_systems_the_dialog_offers_a_choice_and_each_ones_settings() {
    use connector_xero::XeroSystem;
    let mut registry = connector_core::system::Registry::new();
    registry.register(crate::support::DeskSystem(Default::default()));
    registry.register(XeroSystem);
    let (_server, eis, _) = crate::support::serve(registry, &["desk", "xero"]).await;
    let config = eis.get_config_data().await.unwrap();
    let keys = config.field_keys();
    assert_eq!(keys[0], "system");
    assert!(
        keys.contains(&"desk.token".to_owned()) && keys.contains(&"xero.client_secret".to_owned()),
        "{keys:?}"
    );
    let systems = eis
        .get_list("00000000-0000-0000-0000-000000000000", "ErpSystems")
        .await
        .unwrap()
        .list_items();
    assert_eq!(systems.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(), ["desk", "xero"]);
    // The other system's fields are ignored; the chosen one's are taken without prefix.
    let info = [("system", "desk"), ("desk.token", "good"), ("xero.client_id", "ignored")];
    assert!(eis.save_connection(GUID, &info).await.unwrap().status.is_ok());
    assert!(eis.test_connection(GUID).await.unwrap().status.is_ok());
    let none = eis.test_config_data(&[("desk.token", "good")]).await.unwrap();
    assert!(none.status.user_explanation.contains("choose the system"), "{:?}", none.status);
    let wrong = eis.test_config_data(&[("system", "desk"), ("desk.token", "bad")]).await.unwrap();
    assert!(wrong.status.user_explanation.contains("credentials"), "{:?}", wrong.status);
}
