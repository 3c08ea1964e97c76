//! Simulator kit tests: a real client (reqwest) against an in-process [`SimServer`], on
//! tokio's paused clock wherever time matters.

use std::time::Duration;

use connector_testkit::simulator::{
    CollectionOptions, Fault, FaultRule, Faults, Method, PageBase, Params, RateLimiter, Router,
    SimClock, SimRequest, SimResponse, SimServer, SimStore, TokenIssuer,
};
use serde_json::{Value, json};

fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

async fn get(url: &str) -> (u16, Value) {
    let response = client().get(url).send().await.unwrap();
    let status = response.status().as_u16();
    let body = response.bytes().await.unwrap();
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

async fn status_of(url: &str) -> u16 {
    client().get(url).send().await.unwrap().status().as_u16()
}

/// A handler that answers 200 `{"ok": true, "path": ...}`.
async fn ok(req: SimRequest) -> SimResponse {
    SimResponse::json(200, json!({ "ok": true, "path": req.path }))
}

// ---------------------------------------------------------------------------------------------
// Routing

#[tokio::test]
async fn routes_with_params_and_answers_404_and_405_in_json() {
    let router = Router::new()
        .get("/api/v1/{division}/crm/Accounts", |req: SimRequest, p: Params| async move {
            SimResponse::json(
                200,
                json!({ "division": p.get("division"), "filter": req.query("$filter") }),
            )
        })
        .get("/api/v1/{division}/crm/Accounts(guid'{id}')", |_req, p: Params| async move {
            SimResponse::json(200, json!({ "id": p.get("id") }))
        })
        .get("/api/v1/current/Me", |_req, _p| async { SimResponse::json(200, json!({"me": 1})) })
        .get("/api/v1/{division}/{service}/Me", |_req, _p| async { SimResponse::empty(500) })
        .post("/api/v1/{division}/crm/Accounts", |req: SimRequest, _p| async move {
            SimResponse::json(201, json!({ "d": req.json_value().unwrap_or_default() }))
        });
    let server = SimServer::start(router).await.unwrap();

    let (status, body) =
        get(&server.url("/api/v1/42/crm/Accounts?$filter=Name%20eq%20'A%26B'&$top=1")).await;
    assert_eq!(status, 200);
    assert_eq!(body, json!({ "division": "42", "filter": "Name eq 'A&B'" }));

    let guid = "8f7e2c1a-0000-4000-a000-000000000001";
    let (status, body) = get(&server.url(&format!("/api/v1/42/crm/Accounts(guid'{guid}')"))).await;
    assert_eq!((status, body), (200, json!({ "id": guid })));

    // The literal route wins over the one with params.
    assert_eq!(get(&server.url("/api/v1/current/Me")).await, (200, json!({"me": 1})));

    let created = client()
        .post(server.url("/api/v1/42/crm/Accounts"))
        .header("content-type", "application/json")
        .body(json!({"Name": "ACME"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(created.status().as_u16(), 201);

    let (status, body) = get(&server.url("/api/v1/42/crm/Nope")).await;
    assert_eq!(status, 404);
    assert_eq!(body["error"], "not_found");
    assert_eq!(body["message"], "no route for GET /api/v1/42/crm/Nope");

    let response = client().delete(server.url("/api/v1/42/crm/Accounts")).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 405);
    assert_eq!(response.headers()["allow"], "GET, POST");
    let body: Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
    assert_eq!(body["error"], "method_not_allowed");

    assert_eq!(server.journal().count_status(404) + server.journal().count_status(405), 2);
    server.shutdown().await;
}

#[tokio::test]
async fn not_found_answers_can_be_the_systems_own() {
    let router =
        Router::new().get("/customers", |_req, _p| async { SimResponse::empty(200) }).not_found(
            |_req| SimResponse::raw_json(403, r#"{"message":"Missing Authentication Token"}"#),
        );
    let server = SimServer::start(router).await.unwrap();
    let (status, body) = get(&server.url("/v1/nope")).await;
    assert_eq!((status, body), (403, json!({"message": "Missing Authentication Token"})));
}

// ---------------------------------------------------------------------------------------------
// Store

/// A sliver of Exact Online's sync API over a store with one version counter.
fn exact_sync(store: &SimStore) -> Router {
    let accounts = store.collection_with(
        "Accounts",
        CollectionOptions::new().id_field("ID").guid_ids().version_field("Timestamp"),
    );
    let deleted = store.clone();
    let since = |req: &SimRequest| -> u64 {
        req.query("$filter")
            .and_then(|f| f.strip_prefix("Timestamp gt "))
            .and_then(|n| n.trim_end_matches('L').parse().ok())
            .unwrap_or(0)
    };
    Router::new()
        .get("/api/v1/{division}/sync/CRM/Accounts", move |req: SimRequest, _p| {
            let page = accounts.select().since_version(since(&req)).limit(2);
            let results: Vec<Value> = page.items.into_iter().map(|r| r.value).collect();
            async move { SimResponse::json(200, json!({ "d": { "results": results } })) }
        })
        .get("/api/v1/{division}/sync/Deleted", move |req: SimRequest, _p| {
            let results: Vec<Value> = deleted
                .deleted_since(since(&req))
                .into_iter()
                .map(|t| json!({ "Timestamp": t.version, "EntityKey": t.id, "EntityType": 2 }))
                .collect();
            async move { SimResponse::json(200, json!({ "d": { "results": results } })) }
        })
}

fn timestamps(body: &Value) -> Vec<u64> {
    body["d"]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["Timestamp"].as_u64().unwrap())
        .collect()
}

#[tokio::test]
async fn collections_version_every_write_and_keep_tombstones() {
    let store = SimStore::with_shared_versions(SimClock::default());
    let server = SimServer::start(exact_sync(&store)).await.unwrap();
    let accounts = store.collection("Accounts");
    let seeded = accounts
        .insert_many([json!({"Name": "A"}), json!({"Name": "B"}), json!({"Name": "C"})])
        .unwrap();
    assert_eq!(seeded.iter().map(|r| r.version).collect::<Vec<_>>(), vec![1, 2, 3]);
    assert_eq!(seeded[0].value["ID"], seeded[0].id.as_str());

    let url = |path: &str, since: u64| {
        server.url(&format!("/api/v1/7/{path}?$filter=Timestamp gt {since}L&$select=ID,Name"))
    };
    let (_, first) = get(&url("sync/CRM/Accounts", 0)).await;
    assert_eq!(timestamps(&first), vec![1, 2]);
    let (_, rest) = get(&url("sync/CRM/Accounts", 2)).await;
    assert_eq!(timestamps(&rest), vec![3]);

    // An update merges and moves the record to the end of the change feed.
    let updated = accounts.update(&seeded[0].id, &json!({"City": "Delft"})).unwrap();
    assert_eq!((updated.version, updated.value["Name"].as_str()), (4, Some("A")));
    let (_, changes) = get(&url("sync/CRM/Accounts", 3)).await;
    assert_eq!(changes["d"]["results"][0]["City"], "Delft");

    // A delete leaves a tombstone on the shared counter, across collections.
    let other = store.collection("Items");
    other.insert(json!({"Code": "X"})).unwrap(); // version 5
    let gone = accounts.delete(&seeded[1].id).unwrap();
    assert_eq!((gone.version, gone.last["Name"].as_str()), (6, Some("B")));
    assert!(accounts.get(&seeded[1].id).is_none());
    let (_, deleted) = get(&url("sync/Deleted", 5)).await;
    assert_eq!(
        deleted["d"]["results"],
        json!([{ "Timestamp": 6, "EntityKey": gone.id, "EntityType": 2 }])
    );
    assert!(accounts.delete(&seeded[1].id).is_err());
    assert_eq!(accounts.version(), 6);
}

#[tokio::test(start_paused = true)]
async fn collections_page_and_filter_by_time_and_keyset() {
    let clock = SimClock::default();
    let store = SimStore::new(clock.clone());
    let contacts = store.collection_with(
        "Contacts",
        CollectionOptions::new().id_field("ContactID").stamp(|meta, value| {
            value["UpdatedDateUTC"] =
                json!(format!("/Date({})/", meta.updated_at.timestamp_millis()));
        }),
    );
    for n in 1..=5 {
        contacts.insert(json!({ "Name": format!("C{n}") })).unwrap();
    }
    let start = clock.now();
    tokio::time::advance(Duration::from_secs(60)).await;
    let touched = contacts.update("2", &json!({"Name": "C2b"})).unwrap();
    assert_eq!(
        touched.value["UpdatedDateUTC"],
        json!(format!("/Date({})/", start.timestamp_millis() + 60_000))
    );
    assert_eq!(touched.created_at, start);

    // Xero's If-Modified-Since: only what changed at or after the instant.
    let since = start + chrono::TimeDelta::seconds(30);
    let changed = contacts.select().changed_since(since).all();
    assert_eq!(changed.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), vec!["2"]);

    // Page numbers (Xero, 1-based) and keyset (Procountor's previousId).
    let page = contacts.select().page(2, 2, PageBase::One);
    assert_eq!(page.items.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), vec!["3", "4"]);
    assert_eq!((page.total, page.page_count(), page.has_more), (5, 3, true));
    contacts.delete("3").unwrap();
    let after = contacts.select().after_id("3").limit(10);
    assert_eq!(after.items.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), vec!["4", "5"]);
    let filtered =
        contacts.select().filter(|r| r.value["Name"].as_str() != Some("C1")).offset(1, 2);
    assert_eq!(filtered.items.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), vec!["4", "5"]);
    assert_eq!(contacts.find(|r| r.value["Name"] == "C2b").map(|r| r.id), Some("2".to_owned()));
}

// ---------------------------------------------------------------------------------------------
// Rate limits

/// Xero's limits (scaled down): per tenant, 3 a minute and 2 in flight.
fn xero_limits() -> RateLimiter {
    RateLimiter::builder()
        .key_header("xero-tenant-id")
        .per_minute(3)
        .per_day(100)
        .max_concurrent(2)
        .on_limited(|hit| {
            SimResponse::empty(429)
                .with_header("Retry-After", hit.retry_after_secs())
                .with_header("X-Rate-Limit-Problem", &hit.window)
        })
        .on_response(|snapshot, response| {
            response
                .with_header("X-MinLimit-Remaining", snapshot.remaining("minute").unwrap_or(0))
                .with_header("X-DayLimit-Remaining", snapshot.remaining("day").unwrap_or(0))
        })
        .build()
}

async fn tenant_get(url: &str, tenant: &str) -> reqwest::Response {
    client().get(url).header("xero-tenant-id", tenant).send().await.unwrap()
}

#[tokio::test(start_paused = true)]
async fn rate_limits_answer_the_systems_429_and_recover_after_the_window() {
    let server = SimServer::builder(ok).rate_limiter(xero_limits()).start().await.unwrap();
    let url = server.url("/api.xro/2.0/Contacts");

    for remaining in ["2", "1", "0"] {
        let response = tenant_get(&url, "t1").await;
        assert_eq!(response.status().as_u16(), 200);
        assert_eq!(response.headers()["x-minlimit-remaining"], remaining);
    }
    tokio::time::advance(Duration::from_secs(20)).await;
    let refused = tenant_get(&url, "t1").await;
    assert_eq!(refused.status().as_u16(), 429);
    assert_eq!(refused.headers()["retry-after"], "40");
    assert_eq!(refused.headers()["x-rate-limit-problem"], "minute");

    // Another tenant has its own budget.
    assert_eq!(tenant_get(&url, "t2").await.status().as_u16(), 200);

    tokio::time::advance(Duration::from_secs(40)).await;
    let recovered = tenant_get(&url, "t1").await;
    assert_eq!(recovered.status().as_u16(), 200);
    assert_eq!(recovered.headers()["x-minlimit-remaining"], "2");
    assert_eq!(recovered.headers()["x-daylimit-remaining"], "96");
    assert_eq!(server.journal().count_status(429), 1);
    let snapshot = server.rate_limiter().unwrap().snapshot("t1");
    assert_eq!(snapshot.window("day").map(|w| w.used), Some(4));
}

#[tokio::test(start_paused = true)]
async fn concurrency_cap_refuses_the_request_over_it() {
    let server = SimServer::builder(ok).rate_limiter(xero_limits()).start().await.unwrap();
    server.faults().slow(Duration::from_secs(2));
    let url = server.url("/api.xro/2.0/Invoices");
    let (a, b, c) =
        tokio::join!(tenant_get(&url, "t1"), tenant_get(&url, "t1"), tenant_get(&url, "t1"));
    let mut statuses = [a.status().as_u16(), b.status().as_u16(), c.status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 200, 429]);
    let refused = [a, b, c].into_iter().find(|r| r.status().as_u16() == 429).unwrap();
    assert_eq!(refused.headers()["x-rate-limit-problem"], "concurrent");
}

// ---------------------------------------------------------------------------------------------
// Faults

#[tokio::test]
async fn every_nth_request_fails_with_the_given_status() {
    let server = SimServer::start(ok).await.unwrap();
    let id = server.faults().fail_every(3, 500);
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(status_of(&server.url("/x")).await);
    }
    assert_eq!(statuses, vec![200, 200, 500, 200, 200, 500]);
    assert_eq!(server.faults().fired(id), 2);
    server.faults().clear();
    assert_eq!(status_of(&server.url("/x")).await, 200);
    assert_eq!(server.journal().count_server_errors(), 2);
}

#[tokio::test]
async fn a_429_storm_passes() {
    let server = SimServer::start(ok).await.unwrap();
    server.faults().storm_429(2, Duration::from_secs(5));
    for _ in 0..2 {
        let response = client().get(server.url("/x")).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 429);
        assert_eq!(response.headers()["retry-after"], "5");
    }
    assert_eq!(status_of(&server.url("/x")).await, 200);
}

#[tokio::test(start_paused = true)]
async fn slow_responses_take_their_time() {
    let server = SimServer::start(ok).await.unwrap();
    server.faults().slow(Duration::from_secs(3));
    let started = tokio::time::Instant::now();
    assert_eq!(status_of(&server.url("/x")).await, 200);
    assert!(started.elapsed() >= Duration::from_secs(3));
    assert!(server.journal().entries()[0].elapsed >= Duration::from_secs(3));
}

#[tokio::test(start_paused = true)]
async fn hung_requests_time_out_at_the_client_until_cleared() {
    let server = SimServer::start(ok).await.unwrap();
    let hang = server.faults().hang();
    let impatient =
        reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(5)).build().unwrap();
    let error = impatient.get(server.url("/x")).send().await.unwrap_err();
    assert!(error.is_timeout(), "{error:?}");

    server.faults().remove(hang);
    assert_eq!(status_of(&server.url("/x")).await, 200);

    // A bounded hang answers late.
    server.faults().hang_for(Duration::from_secs(30));
    let started = tokio::time::Instant::now();
    assert_eq!(status_of(&server.url("/x")).await, 200);
    assert!(started.elapsed() >= Duration::from_secs(30));
}

#[tokio::test]
async fn dropped_connections_are_transport_errors() {
    let server = SimServer::start(ok).await.unwrap();
    server.faults().drop_every(2);
    assert_eq!(status_of(&server.url("/x")).await, 200);
    let error = client().get(server.url("/x")).send().await.unwrap_err();
    assert!(!error.is_timeout() && error.status().is_none(), "{error:?}");
    assert_eq!(status_of(&server.url("/x")).await, 200);
    assert_eq!(server.journal().count_unanswered(), 1);
}

#[tokio::test]
async fn malformed_bodies_fail_to_parse_at_the_client() {
    let router = Router::new()
        .get("/items", |_req, _p| async {
            SimResponse::raw_json(200, r#"{"Items":[{"Code":"A"}]}"#)
        })
        .get("/gone", |_req, _p| async { SimResponse::raw_json(404, r#"{"message":"gone"}"#) });
    let server = SimServer::start(router).await.unwrap();
    server.faults().malform_every(2);
    server.faults().add(
        FaultRule::new(Fault::Malformed(connector_testkit::simulator::Malform::Garble))
            .on_path("/none"),
    );

    let bodies = async || {
        let response = client().get(server.url("/items")).send().await.unwrap();
        (response.status().as_u16(), response.bytes().await.unwrap())
    };
    let (status, good) = bodies().await;
    assert!(status == 200 && serde_json::from_slice::<Value>(&good).is_ok());
    // Non-2xx answers are left alone and not counted.
    assert_eq!(get(&server.url("/gone")).await, (404, json!({"message": "gone"})));
    let (status, bad) = bodies().await;
    assert_eq!(status, 200);
    assert!(serde_json::from_slice::<Value>(&bad).is_err(), "{bad:?}");
}

/// A tiny OAuth server: `POST /token` (refresh grant) and a protected `GET /api/items`.
fn oauth_router(tokens: &TokenIssuer) -> Router {
    let (for_token, for_api) = (tokens.clone(), tokens.clone());
    Router::new()
        .post("/token", move |req: SimRequest, _p| {
            let answer = match req.form_value("refresh_token") {
                Some(refresh) => match for_token.refresh(&refresh) {
                    Ok(issued) => SimResponse::json(200, issued.to_json()),
                    Err(e) => e.to_response(true),
                },
                None => SimResponse::json(200, for_token.issue("client-1").to_json()),
            };
            async move { answer }
        })
        .get("/api/items", move |req: SimRequest, _p| {
            let answer = match for_api.authorize(&req) {
                Ok(subject) => SimResponse::json(200, json!({ "items": [], "for": subject })),
                Err(e) => e.to_response(false),
            };
            async move { answer }
        })
}

#[tokio::test]
async fn expired_tokens_get_401_and_one_refresh_recovers() {
    let faults = Faults::new();
    let tokens = TokenIssuer::new().prefix("xero").linked_to(&faults);
    let server = SimServer::builder(oauth_router(&tokens)).faults(faults).start().await.unwrap();
    let issued = tokens.issue("client-1");
    let call = async |token: &str| {
        client().get(server.url("/api/items")).bearer_auth(token).send().await.unwrap()
    };

    assert_eq!(call(&issued.access_token).await.status().as_u16(), 200);
    server.faults().expire_tokens();
    let refused = call(&issued.access_token).await;
    assert_eq!(refused.status().as_u16(), 401);
    assert!(refused.headers()["www-authenticate"].to_str().unwrap().contains("invalid_token"));

    let refresh = issued.refresh_token.clone().unwrap();
    let form = format!("grant_type=refresh_token&refresh_token={refresh}");
    let renewed = client().post(server.url("/token")).body(form.clone()).send().await.unwrap();
    let renewed: Value = serde_json::from_slice(&renewed.bytes().await.unwrap()).unwrap();
    let access = renewed["access_token"].as_str().unwrap();
    assert_eq!(call(access).await.status().as_u16(), 200);

    // The used refresh token is dead (rotation).
    let reused = client().post(server.url("/token")).body(form).send().await.unwrap();
    assert_eq!(reused.status().as_u16(), 400);

    let stats = tokens.stats();
    assert_eq!((stats.refreshed, stats.refresh_refused), (1, 1));
    assert_eq!(server.journal().count_call("POST", "/token"), 2);
    assert_eq!(server.journal().count_status(401), 1);
}

#[tokio::test]
async fn scoped_and_after_handler_faults() {
    let store = SimStore::default();
    let orders = store.collection("orders");
    let writes = orders.clone();
    let router = Router::new()
        .post("/orders", move |req: SimRequest, _p| {
            let created = writes.insert(req.json_value().unwrap_or_default());
            async move {
                match created {
                    Ok(record) => SimResponse::json(201, json!({ "id": record.id })),
                    Err(e) => SimResponse::error(409, "conflict", &e.to_string()),
                }
            }
        })
        .get("/orders", |_req, _p| async { SimResponse::json(200, json!([])) })
        .get("/products", |_req, _p| async { SimResponse::json(200, json!([])) });
    let server = SimServer::start(router).await.unwrap();

    // Only `/orders` fails; `/products` is untouched.
    server.faults().scoped("/orders").fail_next(1, 503);
    assert_eq!(status_of(&server.url("/products")).await, 200);
    assert_eq!(status_of(&server.url("/orders")).await, 503);

    // The write happens, but the client sees a 500: an uncertain write.
    server
        .faults()
        .add(FaultRule::new(Fault::status(500)).on_method(Method::POST).next(1).after_handler());
    let post = client().post(server.url("/orders")).body(r#"{"ref":"PO-1"}"#).send().await.unwrap();
    assert_eq!(post.status().as_u16(), 500);
    assert_eq!(orders.len(), 1);
    assert_eq!(orders.all()[0].value["ref"], "PO-1");
}

// ---------------------------------------------------------------------------------------------
// Journal and lifecycle

#[tokio::test]
async fn the_journal_counts_what_happened() {
    let router = Router::new()
        .get("/a", |_req, _p| async { SimResponse::empty(200) })
        .get("/bad", |_req, _p| async { SimResponse::empty(400) });
    let server = SimServer::start(router).await.unwrap();
    status_of(&server.url("/a?x=1")).await;
    status_of(&server.url("/bad?q=1")).await;
    status_of(&server.url("/bad?q=2")).await;
    status_of(&server.url("/bad?q=1")).await; // a retried 4xx
    client().post(server.url("/a")).send().await.unwrap(); // 405

    let journal = server.journal();
    assert_eq!(journal.len(), 5);
    assert_eq!(journal.count_status(200), 1);
    assert_eq!(journal.count_client_errors(), 4);
    assert_eq!(journal.count_path("/bad"), 3);
    assert_eq!(journal.count_call("GET", "/a"), 1);
    assert_eq!(journal.entries()[0].query("x"), Some("1"));
    let retried = journal.retried_client_errors();
    assert_eq!(retried.len(), 1);
    assert_eq!(retried[0].query("q"), Some("1"));
    journal.clear();
    assert!(journal.is_empty());
}

#[tokio::test]
async fn shutdown_and_drop_stop_the_server() {
    let server = SimServer::start(ok).await.unwrap();
    let url = server.url("/x");
    assert_eq!(status_of(&url).await, 200);
    server.shutdown().await;
    assert!(client().get(&url).send().await.is_err());

    let dropped = SimServer::start(ok).await.unwrap();
    let url = dropped.url("/x");
    drop(dropped);
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert!(client().get(&url).send().await.is_err());

    // A hung request does not hold up shutdown.
    let hung = SimServer::start(ok).await.unwrap();
    hung.faults().hang();
    let request = tokio::spawn(client().get(hung.url("/x")).send());
    tokio::time::sleep(Duration::from_millis(20)).await;
    tokio::time::timeout(Duration::from_secs(2), hung.shutdown()).await.unwrap();
    assert!(request.await.unwrap().is_err());
}

#[tokio::test]
async fn listens_on_a_given_port() {
    let first = SimServer::start(ok).await.unwrap();
    let port = first.addr().port();
    first.shutdown().await;
    let server = SimServer::builder(ok).port(port).start().await.unwrap();
    assert_eq!(server.base_url(), format!("http://127.0.0.1:{port}"));
    assert_eq!(status_of(&server.url("x")).await, 200);
}
