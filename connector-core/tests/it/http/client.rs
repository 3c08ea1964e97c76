//! The client itself: URLs, headers, error mapping and refinement, decoding.

use std::time::Duration;

use connector_core::http::{HeaderMap, HttpClient, RetryPolicy, default_status_error};
use connector_core::{Error, ErrorKind, FieldError};
use serde::Deserialize;
use serde_json::{Value, json};
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::support::{builder, hits, hold};

#[tokio::test(start_paused = true)]
async fn builds_urls_queries_headers_and_bodies() {
    let _hold = hold();
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path("/api.xro/2.0/Invoices"))
        .and(query_param("summarizeErrors", "false"))
        .and(query_param("where", "Status==\"DRAFT\" && Total>1"))
        .and(header("xero-tenant-id", "tenant-1"))
        .and(header("Idempotency-Key", "k-7"))
        .and(header("content-type", "application/json"))
        .and(body_json(json!({"Invoices": [{"InvoiceNumber": "INV-1"}]})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"Invoices": []})))
        .expect(1)
        .mount(&server)
        .await;
    let client = HttpClient::builder("xero", format!("{}/api.xro/2.0/", server.uri()))
        .default_header("xero-tenant-id", "tenant-1")
        .build()
        .unwrap();
    let answer: Value = client
        .put("/Invoices")
        .query("summarizeErrors", false)
        .query("where", "Status==\"DRAFT\" && Total>1")
        .idempotency_key("k-7")
        .json(&json!({"Invoices": [{"InvoiceNumber": "INV-1"}]}))
        .send_json()
        .await
        .unwrap();
    assert_eq!(answer, json!({"Invoices": []}));
}

#[test]
fn resolves_links_and_paths() {
    let c = HttpClient::builder("sf", "https://acme.my.salesforce.com/services/data/v59.0")
        .build()
        .unwrap();
    assert_eq!(
        c.url("query").unwrap().as_str(),
        "https://acme.my.salesforce.com/services/data/v59.0/query"
    );
    assert_eq!(
        c.resolve("/services/data/v59.0/query/01g-2000").unwrap().as_str(),
        "https://acme.my.salesforce.com/services/data/v59.0/query/01g-2000"
    );
    assert_eq!(
        c.resolve("sobjects/Account").unwrap().as_str(),
        "https://acme.my.salesforce.com/services/data/v59.0/sobjects/Account"
    );
    assert_eq!(
        c.resolve("https://other.example/x?y=1").unwrap().as_str(),
        "https://other.example/x?y=1"
    );
    assert_eq!(c.url("https://other.example/abs").unwrap().as_str(), "https://other.example/abs");
    assert_eq!(
        HttpClient::builder("x", "not a url").build().unwrap_err().kind(),
        ErrorKind::Config
    );
    assert_eq!(HttpClient::builder("x", "ftp://h/").build().unwrap_err().kind(), ErrorKind::Config);
    let bad_header = HttpClient::builder("x", "https://h/").default_header("bad name", "v").build();
    assert_eq!(bad_header.unwrap_err().kind(), ErrorKind::Config);
}

#[tokio::test(start_paused = true)]
async fn status_errors_carry_kind_connector_operation_and_excerpt() {
    let _hold = hold();
    let server = MockServer::start().await;
    Mock::given(path("/missing"))
        .respond_with(
            ResponseTemplate::new(404).set_body_json(json!({"message": "no such customer"})),
        )
        .mount(&server)
        .await;
    Mock::given(path("/conflict")).respond_with(ResponseTemplate::new(409)).mount(&server).await;
    let client = builder(&server).build().unwrap();
    let err = client.get("missing").operation("get customer").send().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(err.status(), Some(404));
    assert_eq!(err.connector(), Some("test"));
    assert_eq!(err.operation(), Some("get customer"));
    assert!(err.to_string().contains("no such customer"), "{err}");
    let err = client.delete("conflict").send().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert_eq!(err.operation(), Some("DELETE /conflict"));
    assert_eq!(hits(&server).await, 2);
    assert_eq!(default_status_error(503, b"").kind(), ErrorKind::Upstream);
}

/// Xero's validation error body, read into field errors.
fn xero_errors(status: u16, _headers: &HeaderMap, body: &[u8]) -> Error {
    #[derive(Deserialize)]
    struct Body {
        #[serde(rename = "Message", default)]
        message: String,
        #[serde(rename = "Elements", default)]
        elements: Vec<Element>,
    }
    #[derive(Deserialize)]
    struct Element {
        #[serde(rename = "ValidationErrors", default)]
        errors: Vec<Message>,
    }
    #[derive(Deserialize)]
    struct Message {
        #[serde(rename = "Message")]
        message: String,
    }
    match serde_json::from_slice::<Body>(body) {
        Ok(b) => {
            let fields = b
                .elements
                .iter()
                .enumerate()
                .flat_map(|(i, e)| {
                    e.errors
                        .iter()
                        .map(move |m| FieldError::new(format!("Invoices[{i}]"), &m.message))
                })
                .collect();
            Error::from_status(status, b.message).with_field_errors(fields)
        }
        Err(_) => default_status_error(status, body),
    }
}

#[tokio::test(start_paused = true)]
async fn the_refiner_turns_error_json_into_field_errors() {
    let _hold = hold();
    let server = MockServer::start().await;
    Mock::given(path("/Invoices"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "ErrorNumber": 10, "Type": "ValidationException",
            "Message": "A validation exception occurred",
            "Elements": [{"ValidationErrors": [{"Message": "Email address must be valid."}]}]
        })))
        .mount(&server)
        .await;
    let client = builder(&server).error_refiner(xero_errors).build().unwrap();
    let err = client.post("Invoices").operation("POST /Invoices").send().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert_eq!(err.field(), Some("Invoices[0]"));
    assert_eq!(err.operation(), Some("POST /Invoices"));
    assert_eq!(err.connector(), Some("test"));
    assert!(err.to_string().contains("Email address must be valid."), "{err}");
}

#[tokio::test(start_paused = true)]
async fn undecodable_bodies_name_the_operation_and_are_retried_when_safe() {
    let _hold = hold();
    let server = MockServer::start().await;
    Mock::given(path("/Contacts"))
        .respond_with(ResponseTemplate::new(200).set_body_string("{\"Contacts\": [tru"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path("/Contacts"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"Contacts": []})))
        .mount(&server)
        .await;
    Mock::given(path("/Invoices"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"Invoices": "oops"})))
        .mount(&server)
        .await;

    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct Envelope {
        #[serde(rename = "Invoices")]
        invoices: Vec<Value>,
    }
    let client = builder(&server).build().unwrap();
    let ok: Value = client.get("Contacts").send_json().await.unwrap();
    assert_eq!(ok, json!({"Contacts": []}));
    assert_eq!(hits(&server).await, 2);

    let err = client
        .post("Invoices")
        .operation("POST /Invoices")
        .send_json::<Envelope>()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode);
    assert_eq!(err.operation(), Some("POST /Invoices"));
    let text = err.to_string();
    assert!(text.contains("Envelope") && text.contains("line 1 column"), "{text}");
    assert_eq!(hits(&server).await, 3, "a POST is not resent after its body failed to decode");
}

#[tokio::test(start_paused = true)]
async fn empty_bodies_decode_as_null() {
    let _hold = hold();
    let server = MockServer::start().await;
    Mock::given(method("DELETE")).respond_with(ResponseTemplate::new(204)).mount(&server).await;
    let client = builder(&server).build().unwrap();
    let none: Option<Value> = client.delete("Items/1").send_json().await.unwrap();
    assert!(none.is_none());
    client.delete("Items/1").send_json::<()>().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn connection_refused_is_transport_and_safe_to_resend() {
    let _hold = hold();
    // Nothing listens on port 1.
    let client = HttpClient::builder("test", "http://127.0.0.1:1")
        .retry(RetryPolicy::default().with_max_retries(2).with_jitter(false))
        .build()
        .unwrap();
    let started = tokio::time::Instant::now();
    let err = client.post("x").send().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transport, "{err}");
    // Retried (nothing was sent), with backoff 0.5 s + 1 s.
    assert!(started.elapsed() >= Duration::from_millis(1500));
}
