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
