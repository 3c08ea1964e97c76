//! Decoding throughput of the APIcenter connectors, as they read: an Exact Online `sync/`
//! page of 1,000 accounts (OData envelope → rows → `Account` → `Customer`) and a Salesforce
//! query batch of 2,000 accounts with their contacts (`attributes` stripped → `Customer`).
//!
//! `cargo bench --bench apicenter --features salesforce,exact-online`

use connector_sdk::exact_online::{convert, wire};
use connector_sdk::salesforce::client::strip_attributes;
use connector_sdk::salesforce::source::customer as sf_customer;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

#[path = "common/apicenter_pages.rs"]
mod pages;

use pages::{exact_page, salesforce_batch};

fn decode(c: &mut Criterion) {
    let mut group = c.benchmark_group("apicenter");
    group.sample_size(20);
    let exact = exact_page(0, 1_000);
    group.throughput(Throughput::Elements(1_000));
    group.bench_function("exact_sync_page_1000_accounts", |b| {
        b.iter(|| {
            let body: serde_json::Value = serde_json::from_str(&exact).unwrap();
            let page = wire::odata_page(body).unwrap();
            let mut n = 0;
            for row in page.rows {
                let a: wire::Account = serde_json::from_value(row).unwrap();
                n += usize::from(convert::customer(&a, &[]).is_ok());
            }
            assert_eq!(n, 1_000);
        })
    });
    let sf = salesforce_batch(0, 2_000);
    group.throughput(Throughput::Elements(2_000));
    group.bench_function("salesforce_query_batch_2000_accounts", |b| {
        b.iter(|| {
            let mut body: serde_json::Value = serde_json::from_str(&sf).unwrap();
            let mut n = 0;
            if let Some(serde_json::Value::Array(rows)) =
                body.get_mut("records").map(serde_json::Value::take)
            {
                for mut row in rows {
                    strip_attributes(&mut row);
                    n += usize::from(sf_customer(&row, "ERP_Id__c").is_ok());
                }
            }
            assert_eq!(n, 2_000);
        })
    });
    group.finish();
}

criterion_group!(benches, decode);
criterion_main!(benches);
