use std::sync::Arc;

use hyper::Method;
use serde_json::json;

use super::*;
use crate::simulator::{Router, SimRequest, SimResponse, SimServer};

const SPEC: &str = r#"{
  "api": "Shop",
  "base_path": "/api",
  "sources": { "T": "a test description" },
  "operations": [
    { "method": "GET", "path": "/partners", "source": "T list",
      "query": { "size": { "type": "integer", "min": 1, "max": 200 }, "type": "PartnerType",
                 "$select": "fields(Partner)",
                 "types": "[PartnerType]", "since": "date-time" },
      "headers": { "identifier": "string" },
      "responses": { "200": "PartnerList", "default": "Errors" } },
    { "method": "POST", "path": "/partners", "source": "T create",
      "body": "Partner", "responses": { "200": "Partner", "default": "Errors" } },
    { "method": "PATCH", "path": "/partners/{id}", "source": "T patch",
      "path_params": { "id": "integer" },
      "body": "PartnerPatch", "responses": { "200": "Partner" } },
    { "method": "GET", "path": "/partners/{id}", "source": "T get",
      "path_params": { "id": { "type": "string", "max_length": 6 } }, "responses": { "200": "Partner" } },
    { "method": "GET", "path": "/partners/groups", "source": "T groups", "responses": { "200": null } },
    { "method": "PUT", "path": "/partners(guid'{key}')", "source": "T odata",
      "path_params": { "key": { "type": "string", "min_length": 36, "max_length": 36 } },
      "responses": { "200": null } },
    { "method": "POST", "path": "/rows", "source": "T rows", "body": "[Row]",
      "responses": { "200": null }, "x-filter-fields": ["id", "code"] },
    { "method": "POST", "path": "/oauth/token", "source": "T token",
      "form": { "grant_type": "string", "api_key": "string" }, "required_form": ["api_key"],
      "responses": { "200": null } }
  ],
  "schemas": {
    "Partner": { "source": "T Partner", "required": ["name", "type"],
      "fields": { "id": { "type": "integer", "read_only": true }, "name": { "type": "string", "min_length": 1, "max_length": 5 },
                  "type": "PartnerType", "since": "date", "info": "Info", "tags": "[string]" } },
    "PartnerPatch": { "source": "T patch", "extends": "Partner", "required": ["version"], "fields": { "version": "date-time" } },
    "Info": { "source": "T Info", "fields": { "email": "string", "amount": "number" } },
    "PartnerList": { "source": "T list", "required": ["results"], "fields": { "results": "[Partner]" } },
    "Row": { "source": "T Row", "fields": { "code": "string", "id": "integer" },
             "required_one_of": [["id", "code"]], "additional_fields": true },
    "Errors": { "source": "T Errors", "fields": { "errors": "[any]" } }
  },
  "enums": { "PartnerType": { "source": "T type", "values": ["CUSTOMER", "SUPPLIER"] } }
}"#;

fn spec() -> ApiSpec {
    ApiSpec::from_json(SPEC).unwrap()
}

fn places(v: &[Violation]) -> Vec<(ViolationKind, &str)> {
    v.iter().map(|v| (v.kind, v.place.as_str())).collect()
}

#[test]
fn operations_are_found_by_method_and_template() {
    let s = spec();
    assert_eq!(s.operation("PATCH", "/api/partners/12").unwrap().path(), "/partners/{id}");
    assert!(s.operation("DELETE", "/api/partners/12").is_none());
    assert!(s.operation("GET", "/partners").is_none(), "outside the base path");
    assert_eq!(s.operation("GET", "/api/partners/groups").unwrap().path(), "/partners/groups");
    assert_eq!(s.operation("GET", "/api/partners/g1").unwrap().path(), "/partners/{id}");
    let odata = "/api/partners(guid'5b96e86b-418e-48e8-8949-308c14aec278')";
    assert_eq!(s.operation("PUT", odata).unwrap().path(), "/partners(guid'{key}')");
    assert_eq!(s.check_request(&SimRequest::new(Method::PUT, odata)), []);
    let short = s.check_request(&SimRequest::new(Method::PUT, "/api/partners(guid'5b96')"));
    assert_eq!(places(&short), [(ViolationKind::OutOfRange, "path.key")]);
    // Path parameters are checked decoded: `A%20B` is three characters, `A%20BCDEFG` seven.
    assert_eq!(s.check_request(&SimRequest::new(Method::GET, "/api/partners/A%20B")), []);
    let long = s.check_request(&SimRequest::new(Method::GET, "/api/partners/A%20BCDEFG"));
    assert_eq!(places(&long), [(ViolationKind::OutOfRange, "path.id")]);
    assert!(s.knows_path("/api/partners/12"));
    assert_eq!(
        s.operation("POST", "/api/rows").unwrap().extension_strings("x-filter-fields"),
        ["id", "code"]
    );
    let unknown = s.check_request(&SimRequest::new(Method::GET, "/api/customfields"));
    assert_eq!(places(&unknown), [(ViolationKind::UnknownOperation, "")]);
}

#[test]
fn query_parameters_headers_and_path_parameters_are_held_to_their_types() {
    let s = spec();
    let ok = SimRequest::new(
        Method::GET,
        "/api/partners?size=200&type=CUSTOMER&types=CUSTOMER,SUPPLIER&since=2026-01-01T10:00:00",
    )
    .with_header("identifier", "0112038-9");
    assert_eq!(s.check_request(&ok), []);
    let bad = SimRequest::new(
        Method::GET,
        "/api/partners?size=201&type=PERSON&identifier=x&since=yesterday&types=CUSTOMER,X",
    );
    assert_eq!(
        places(&s.check_request(&bad)),
        [
            (ViolationKind::OutOfRange, "query.size"),
            (ViolationKind::NotInEnum, "query.type"),
            (ViolationKind::UnknownParameter, "query.identifier"),
            (ViolationKind::WrongType, "query.since"),
            (ViolationKind::NotInEnum, "query.types"),
        ]
    );
    let twice =
        SimRequest::new(Method::GET, "/api/partners?size=1&size=2&types=CUSTOMER&types=SUPPLIER");
    assert_eq!(places(&s.check_request(&twice)), [(ViolationKind::WrongType, "query.size")]);
    let path = SimRequest::new(Method::PATCH, "/api/partners/abc")
        .with_json(&json!({ "name": "A", "type": "CUSTOMER", "version": "2026-01-01T00:00:00" }));
    assert_eq!(places(&s.check_request(&path)), [(ViolationKind::WrongType, "path.id")]);
}

#[test]
fn bodies_name_the_field_at_fault() {
    let s = spec();
    let body = json!({
        "id": 4, "name": "Too long", "type": "PERSON", "since": "2026-13-01",
        "info": { "email": 3, "mail": "x", "amount": 1.5 }, "tags": ["a", 1], "extra": true
    });
    let req = SimRequest::new(Method::POST, "/api/partners").with_json(&body);
    assert_eq!(
        places(&s.check_request(&req)),
        [
            (ViolationKind::UnknownField, "body.extra"),
            (ViolationKind::ReadOnly, "body.id"),
            (ViolationKind::WrongType, "body.info.email"),
            (ViolationKind::UnknownField, "body.info.mail"),
            (ViolationKind::OutOfRange, "body.name"),
            (ViolationKind::WrongType, "body.since"),
            (ViolationKind::WrongType, "body.tags[1]"),
            (ViolationKind::NotInEnum, "body.type"),
        ]
    );
    let missing =
        SimRequest::new(Method::POST, "/api/partners").with_json(&json!({ "name": null }));
    let v = s.check_request(&missing);
    assert_eq!(
        places(&v),
        [
            (ViolationKind::MissingRequired, "body.name"),
            (ViolationKind::MissingRequired, "body.type"),
        ]
    );
    assert_eq!(v[0].body_field(), Some("name"));
    let patch = SimRequest::new(Method::PATCH, "/api/partners/1")
        .with_json(&json!({ "name": "A", "type": "CUSTOMER" }));
    assert_eq!(
        places(&s.check_request(&patch)),
        [(ViolationKind::MissingRequired, "body.version")]
    );
    let rows = SimRequest::new(Method::POST, "/api/rows")
        .with_json(&json!([{ "code": "A", "anything": 1 }, { "code": 2 }, { "id": 3 }, {}]));
    assert_eq!(
        places(&s.check_request(&rows)),
        [
            (ViolationKind::WrongType, "body[1].code"),
            (ViolationKind::MissingRequired, "body[3].id|code"),
        ]
    );
    let none = SimRequest::new(Method::POST, "/api/partners");
    assert_eq!(places(&s.check_request(&none)), [(ViolationKind::UnexpectedBody, "body")]);
    let get_with_body = SimRequest::new(Method::GET, "/api/partners").with_body("{}");
    assert_eq!(places(&s.check_request(&get_with_body)), [(ViolationKind::UnexpectedBody, "body")]);
}

#[test]
fn forms_are_checked_field_by_field() {
    let s = spec();
    let req = SimRequest::new(Method::POST, "/api/oauth/token")
        .with_body("grant_type=client_credentials&client_secret=x");
    assert_eq!(
        places(&s.check_request(&req)),
        [
            (ViolationKind::UnknownField, "form.client_secret"),
            (ViolationKind::MissingRequired, "form.api_key"),
        ]
    );
}

#[test]
fn responses_are_held_to_the_description_too() {
    let s = spec();
    let ok = json!({ "results": [{ "id": 1, "name": "A", "type": "CUSTOMER" }] }).to_string();
    assert_eq!(s.check_response("GET", "/api/partners", 200, ok.as_bytes()), []);
    let invented =
        json!({ "results": [{ "id": 1, "name": "A", "type": "CUSTOMER", "user_email": "x" }] });
    let v = s.check_response("GET", "/api/partners", 200, invented.to_string().as_bytes());
    assert_eq!(places(&v), [(ViolationKind::UnknownField, "body.results[0].user_email")]);
    assert_eq!(v[0].side, Side::Response);
    let error = json!({ "errors": [{ "field": "x" }] }).to_string();
    assert_eq!(s.check_response("GET", "/api/partners", 400, error.as_bytes()), []);
    let v = s.check_response("PATCH", "/api/partners/1", 404, b"");
    assert_eq!(places(&v), [(ViolationKind::UndescribedStatus, "")]);
    assert_eq!(s.check_response("POST", "/api/rows", 200, b"anything"), []);
}

#[test]
fn an_answer_may_take_one_of_two_shapes() {
    let s = ApiSpec::from_json(
        r#"{ "api": "OData", "base_path": "", "sources": { "T": "a test" },
      "operations": [ { "method": "GET", "path": "/rows", "source": "T",
        "query": { "since": "date | integer" }, "responses": { "200": "Answer" } } ],
      "schemas": {
        "Answer": { "source": "T", "fields": { "d": "Page | [Row]" } },
        "Page": { "source": "T", "fields": { "results": "[Row]", "__next": "string" } },
        "Row": { "source": "T", "fields": { "ID": "string", "At": "date-time", "Status": "Status" } } },
      "enums": { "Status": { "source": "T", "values": [10, 20, 50] } } }"#,
    )
    .unwrap();
    let check =
        |v: serde_json::Value| s.check_response("GET", "/rows", 200, v.to_string().as_bytes());
    assert_eq!(check(json!({ "d": { "results": [{ "ID": "a" }], "__next": "x" } })), []);
    assert_eq!(check(json!({ "d": [{ "ID": "a", "At": "2026-01-01T00:00:00.000+0000" }] })), []);
    let v = check(json!({ "d": [{ "ID": "a", "Name": "x" }] }));
    assert_eq!(places(&v), [(ViolationKind::UnknownField, "body.d[0].Name")]);
    assert_eq!(check(json!({ "d": [{ "ID": "a", "Status": 20 }] })), []);
    let v = check(json!({ "d": [{ "ID": "a", "Status": 12 }] }));
    assert_eq!(places(&v), [(ViolationKind::NotInEnum, "body.d[0].Status")]);
    let v = check(json!({ "d": [{ "ID": "a", "Status": "20" }] }));
    assert_eq!(places(&v), [(ViolationKind::WrongType, "body.d[0].Status")]);
    assert_eq!(s.field_type("Answer", "d").as_deref(), Some("Page | [Row]"));
    assert_eq!(s.field_type("Row", "At").as_deref(), Some("date-time"));
    assert_eq!(s.field_type("Row", "Nope"), None);
    assert!(s.has_field("Row", "At") && !s.has_field("Row", "Nope") && !s.has_field("No", "At"));
    let v = check(json!({ "d": "text" }));
    assert_eq!(places(&v), [(ViolationKind::WrongType, "body.d")]);
    assert!(v[0].message.contains("Page") && v[0].message.contains(" or "), "{}", v[0].message);
    let get = |q: &str| s.check_request(&SimRequest::new(Method::GET, &format!("/rows?since={q}")));
    assert_eq!(get("2026-01-01"), []);
    assert_eq!(get("12"), []);
    assert_eq!(places(&get("soon")), [(ViolationKind::WrongType, "query.since")]);
}

#[test]
fn mistakes_in_a_description_fail_at_load_time() {
    let broken = |from: &str, to: &str| ApiSpec::from_json(&SPEC.replace(from, to)).unwrap_err();
    assert!(
        broken(r#""body": "Partner""#, r#""body": "Partnr""#).0.contains("unknown type `Partnr`")
    );
    assert!(
        broken(r#""required": ["name", "type"]"#, r#""required": ["nam"]"#).0.contains("`nam`")
    );
    assert!(broken(r#""source": "T Info""#, r#""source": "U Info""#).0.contains("source `U`"));
    assert!(broken(r#""x-filter-fields""#, r#""filter-fields""#).0.contains("unknown key"));
    assert!(broken(r#""extends": "Partner""#, r#""extends": "PartnerPatch""#).0.contains("circle"));
    assert!(broken(r#""min": 1"#, r#""minimum": 1"#).0.contains("unknown key `minimum`"));
}

#[tokio::test]
async fn a_server_refuses_what_breaks_the_description_and_records_bad_answers() {
    let described = Arc::new(spec());
    let router = Router::new()
        .post("/api/partners", |_, _| async {
            SimResponse::json(
                200,
                json!({ "id": 1, "name": "A", "type": "CUSTOMER", "invented": 1 }),
            )
        })
        .get("/api/partners", |_, _| async { SimResponse::json(200, json!({ "results": [] })) });
    let server = SimServer::builder(router)
        .spec(described.clone(), |_req, violations| {
            // Unknown query parameters are ignored, as many APIs do; the rest refused.
            if violations.iter().all(|v| v.kind == ViolationKind::UnknownParameter) {
                return None;
            }
            let fields: Vec<String> = violations.iter().map(|v| v.place.clone()).collect();
            Some(SimResponse::json(400, json!({ "errors": fields })))
        })
        .start()
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let refused = http
        .post(server.url("/api/partners"))
        .header("content-type", "application/json")
        .body(json!({ "name": "A", "kind": "CUSTOMER" }).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
    let body: serde_json::Value = serde_json::from_slice(&refused.bytes().await.unwrap()).unwrap();
    assert_eq!(body, json!({ "errors": ["body.kind", "body.type"] }));
    let served = http
        .post(server.url("/api/partners"))
        .header("content-type", "application/json")
        .body(json!({ "name": "A", "type": "CUSTOMER" }).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(served.status(), 200);
    let fine = http.get(server.url("/api/partners?size=5")).send().await.unwrap();
    assert_eq!(fine.status(), 200);
    let ignored = http.get(server.url("/api/partners?where=x")).send().await.unwrap();
    assert_eq!(ignored.status(), 200, "let through, and recorded");
    let lines = server.journal().spec_violations();
    assert_eq!(lines.len(), 4, "{lines:#?}");
    assert!(lines[3].contains("query.where"), "{lines:#?}");
    let again = described.breaches(server.journal());
    assert_eq!(again.len(), 7, "the two request breaches once more: {again:#?}");
    assert_eq!(
        described.unvisited(server.journal()),
        [
            "PATCH /partners/{id}",
            "GET /partners/{id}",
            "GET /partners/groups",
            "PUT /partners(guid'{key}')",
            "POST /rows",
            "POST /oauth/token"
        ]
    );
    assert!(lines[0].starts_with("POST /api/partners: request body.kind"), "{lines:#?}");
    assert!(lines[2].contains("response body.invented"), "{lines:#?}");
    server.shutdown().await;
}
