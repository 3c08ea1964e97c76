//! Every pagination style against a real server, and the loop guards.

use connector_core::http::paginate::{self, NumberedPage, Page, PageNumbers};
use connector_core::http::{HttpClient, Method, Url};
use connector_core::{ErrorKind, Result};
use futures_util::{StreamExt, TryStreamExt};
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::support::{builder, hits, hold};

fn json(v: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(v)
}

fn ids(v: &[Value]) -> Vec<u64> {
    v.iter().map(|x| x["id"].as_u64().unwrap()).collect()
}

async fn mount_get(server: &MockServer, p: &str, q: &[(&str, &str)], body: Value) {
    let mut m = Mock::given(method("GET")).and(path(p));
    for (k, v) in q {
        m = m.and(query_param(*k, *v));
    }
    m.respond_with(json(body)).mount(server).await;
}

#[tokio::test(start_paused = true)]
async fn page_numbers_zero_based_until_an_empty_page() {
    let _hold = hold();
    let server = MockServer::start().await;
    mount_get(
        &server,
        "/invoices",
        &[("page", "0")],
        json!({"results": [{"id": 1}, {"id": 2}], "meta": {}}),
    )
    .await;
    mount_get(
        &server,
        "/invoices",
        &[("page", "1")],
        json!({"results": [{"id": 3}, {"id": 4}], "meta": {}}),
    )
    .await;
    mount_get(&server, "/invoices", &[("page", "2")], json!({"results": [], "meta": {}})).await;
    let client = builder(&server).build().unwrap();
    let c = client.clone();
    let items: Vec<Value> = paginate::page_numbers(PageNumbers::zero_based(2), move |page| {
        let c = c.clone();
        async move {
            let body: Value =
                c.get("invoices").query("page", page).query("size", 2).send_json().await?;
            Ok(NumberedPage::new(body["results"].as_array().cloned().unwrap_or_default()))
        }
    })
    .try_collect()
    .await
    .unwrap();
    assert_eq!(ids(&items), [1, 2, 3, 4]);
    assert_eq!(hits(&server).await, 3);
}

#[tokio::test(start_paused = true)]
async fn page_numbers_one_based_stop_on_the_reported_total() {
    let _hold = hold();
    let server = MockServer::start().await;
    let page = |n: u64, ids: &[u64]| {
        json!({"data": ids.iter().map(|i| json!({"id": i})).collect::<Vec<_>>(),
               "page": {"page_number": n, "page_size": 2, "total_item_count": 4, "filtered_item_count": 4}})
    };
    mount_get(&server, "/customers", &[("page_number", "1")], page(1, &[1, 2])).await;
    mount_get(&server, "/customers", &[("page_number", "2")], page(2, &[3, 4])).await;
    let client = builder(&server).build().unwrap();
    let c = client.clone();
    let stream = paginate::page_numbers(PageNumbers::one_based(2), move |n| {
        let c = c.clone();
        async move {
            let body: Value = c
                .get("customers")
                .query("page_number", n)
                .query("page_size", 2)
                .send_json()
                .await?;
            let total = body["page"]["filtered_item_count"].as_u64();
            let mut page = NumberedPage::new(body["data"].as_array().cloned().unwrap_or_default());
            page.total_items = total;
            Ok(page)
        }
    });
    let items: Vec<Value> = stream.try_collect().await.unwrap();
    assert_eq!(ids(&items), [1, 2, 3, 4]);
    assert_eq!(hits(&server).await, 2, "no request past the total");
}

#[tokio::test(start_paused = true)]
async fn pages_are_fetched_lazily() {
    let _hold = hold();
    let server = MockServer::start().await;
    mount_get(&server, "/items", &[("page", "1")], json!([{"id": 1}, {"id": 2}])).await;
    mount_get(&server, "/items", &[("page", "2")], json!([{"id": 3}, {"id": 4}])).await;
    let client = builder(&server).build().unwrap();
    let c = client.clone();
    let first_two: Vec<Result<Value>> =
        paginate::page_numbers(PageNumbers::one_based(2), move |n| {
            let c = c.clone();
            async move {
                Ok(NumberedPage::new(
                    c.get("items").query("page", n).send_json::<Vec<Value>>().await?,
                ))
            }
        })
        .take(2)
        .collect()
        .await;
    assert_eq!(first_two.len(), 2);
    assert_eq!(hits(&server).await, 1);
}

fn follow(
    client: &HttpClient,
    first: Url,
    next_field: &'static str,
) -> futures_util::stream::BoxStream<'static, Result<Value>> {
    let c = client.clone();
    paginate::next_links(client, first, 100, move |url: Url| {
        let c = c.clone();
        async move {
            let body: Value = c.request_url(Method::GET, url).send_json().await?;
            let (items, next) = match next_field {
                "__next" => {
                    (body["d"]["results"].clone(), body["d"]["__next"].as_str().map(str::to_owned))
                }
                _ => (body["records"].clone(), body["nextRecordsUrl"].as_str().map(str::to_owned)),
            };
            Ok(Page::new(items.as_array().cloned().unwrap_or_default(), next))
        }
    })
}

#[tokio::test(start_paused = true)]
async fn next_link_absolute_exact_online() {
    let _hold = hold();
    let server = MockServer::start().await;
    let next = format!("{}/api/v1/1/crm/Accounts?$skiptoken=guid'2'", server.uri());
    Mock::given(path("/api/v1/1/crm/Accounts"))
        .and(query_param_is_missing("$skiptoken"))
        .and(query_param("$select", "ID"))
        .respond_with(json(json!({"d": {"results": [{"id": 1}, {"id": 2}], "__next": next}})))
        .mount(&server)
        .await;
    Mock::given(path("/api/v1/1/crm/Accounts"))
        .and(query_param("$skiptoken", "guid'2'"))
        .respond_with(json(json!({"d": {"results": [{"id": 3}]}})))
        .mount(&server)
        .await;
    let client =
        HttpClient::builder("exact", format!("{}/api/v1/1", server.uri())).build().unwrap();
    let first = client.url("crm/Accounts?$select=ID").unwrap();
    let items: Vec<Value> = follow(&client, first, "__next").try_collect().await.unwrap();
    assert_eq!(ids(&items), [1, 2, 3]);
    assert_eq!(hits(&server).await, 2);
}

#[tokio::test(start_paused = true)]
async fn next_link_relative_salesforce() {
    let _hold = hold();
    let server = MockServer::start().await;
    Mock::given(path("/services/data/v59.0/query"))
        .and(query_param("q", "SELECT Id FROM Account"))
        .respond_with(json(json!({"done": false, "records": [{"id": 1}],
            "nextRecordsUrl": "/services/data/v59.0/query/01gD0000002HU6KIAW-2000"})))
        .mount(&server)
        .await;
    Mock::given(path("/services/data/v59.0/query/01gD0000002HU6KIAW-2000"))
        .respond_with(json(json!({"done": true, "records": [{"id": 2}]})))
        .mount(&server)
        .await;
    let client = HttpClient::builder("salesforce", format!("{}/services/data/v59.0", server.uri()))
        .build()
        .unwrap();
    let mut first = client.url("query").unwrap();
    first.query_pairs_mut().append_pair("q", "SELECT Id FROM Account");
    let items: Vec<Value> = follow(&client, first, "nextRecordsUrl").try_collect().await.unwrap();
    assert_eq!(ids(&items), [1, 2]);
}

#[tokio::test(start_paused = true)]
async fn a_repeated_next_link_stops_with_an_error() {
    let _hold = hold();
    let server = MockServer::start().await;
    Mock::given(path("/list"))
        .respond_with(json(json!({"records": [{"id": 1}], "nextRecordsUrl": "/list?cursor=abc"})))
        .mount(&server)
        .await;
    let client = builder(&server).build().unwrap();
    let all: Vec<Result<Value>> =
        follow(&client, client.url("list").unwrap(), "nextRecordsUrl").collect().await;
    assert_eq!(all.len(), 2, "{all:?}");
    let err = all[1].as_ref().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Upstream);
    assert!(err.message().contains("repeated a cursor"), "{err}");
    assert_eq!(hits(&server).await, 2);

    // A server that points back at the first page is caught too.
    let back: Vec<Result<Value>> =
        follow(&client, client.url("list?cursor=abc").unwrap(), "nextRecordsUrl").collect().await;
    assert_eq!(back.len(), 1);
    assert!(back[0].is_err());
}

#[tokio::test(start_paused = true)]
async fn keyset_previous_id_procountor() {
    let _hold = hold();
    let server = MockServer::start().await;
    Mock::given(path("/products"))
        .and(query_param_is_missing("previousId"))
        .respond_with(json(json!({"results": [{"id": 1}, {"id": 2}]})))
        .mount(&server)
        .await;
    mount_get(
        &server,
        "/products",
        &[("previousId", "2")],
        json!({"results": [{"id": 3}, {"id": 4}]}),
    )
    .await;
    mount_get(&server, "/products", &[("previousId", "4")], json!({"results": []})).await;
    let client = builder(&server).build().unwrap();
    let c = client.clone();
    let items: Vec<Value> = paginate::keyset(1000, move |previous: Option<u64>| {
        let c = c.clone();
        async move {
            let mut req = c.get("products").query("size", 2);
            if let Some(id) = previous {
                req = req.query("previousId", id);
            }
            let body: Value = req.send_json().await?;
            let items = body["results"].as_array().cloned().unwrap_or_default();
            let next = (items.len() == 2).then(|| items[1]["id"].as_u64().unwrap());
            Ok(Page::new(items, next))
        }
    })
    .try_collect()
    .await
    .unwrap();
    assert_eq!(ids(&items), [1, 2, 3, 4]);
    assert_eq!(hits(&server).await, 3);
}

#[tokio::test(start_paused = true)]
async fn keyset_repeated_key_stops_with_an_error() {
    let _hold = hold();
    let server = MockServer::start().await;
    Mock::given(path("/rows"))
        .respond_with(json(json!({"rows": [{"id": 1}], "lastKey": "K1"})))
        .mount(&server)
        .await;
    let client = builder(&server).build().unwrap();
    let c = client.clone();
    let all: Vec<Result<Value>> = paginate::keyset(1000, move |key: Option<String>| {
        let c = c.clone();
        async move {
            let mut req = c.get("rows");
            if let Some(k) = key {
                req = req.query("lastKey", k);
            }
            let body: Value = req.send_json().await?;
            Ok(Page::new(
                body["rows"].as_array().cloned().unwrap_or_default(),
                body["lastKey"].as_str().map(str::to_owned),
            ))
        }
    })
    .collect()
    .await;
    assert_eq!(all.len(), 2);
    assert!(all[1].as_ref().unwrap_err().message().contains("repeated a cursor"));
    assert_eq!(hits(&server).await, 2);
}

#[tokio::test(start_paused = true)]
async fn unpaged_xero_items() {
    let _hold = hold();
    let server = MockServer::start().await;
    mount_get(&server, "/Items", &[], json!({"Items": [{"id": 1}, {"id": 2}, {"id": 3}]})).await;
    let client = builder(&server).build().unwrap();
    let c = client.clone();
    let items: Vec<Value> = paginate::unpaged(async move {
        let body: Value = c.get("Items").send_json().await?;
        Ok(body["Items"].as_array().cloned().unwrap_or_default())
    })
    .try_collect()
    .await
    .unwrap();
    assert_eq!(ids(&items), [1, 2, 3]);
    assert_eq!(hits(&server).await, 1);
}

#[tokio::test(start_paused = true)]
async fn a_server_that_ignores_the_page_parameter_hits_the_page_guard() {
    let _hold = hold();
    let server = MockServer::start().await;
    mount_get(&server, "/loop", &[], json!([{"id": 1}, {"id": 2}])).await;
    let client = builder(&server).build().unwrap();
    let c = client.clone();
    let all: Vec<Result<Value>> =
        paginate::page_numbers(PageNumbers::one_based(2).max_pages(5), move |n| {
            let c = c.clone();
            async move {
                Ok(NumberedPage::new(
                    c.get("loop").query("page", n).send_json::<Vec<Value>>().await?,
                ))
            }
        })
        .collect()
        .await;
    assert_eq!(all.len(), 11);
    assert_eq!(all[10].as_ref().unwrap_err().kind(), ErrorKind::Upstream);
    assert_eq!(hits(&server).await, 5);
}
