//! Decoding throughput of the APIcenter connectors, as they read: an Exact Online `sync/`
//! page of 1,000 accounts (OData envelope → rows → `Account` → `Customer`) and a Salesforce
//! query batch of 2,000 accounts with their contacts (`attributes` stripped → `Customer`).
//!
//! `cargo bench --bench apicenter --features salesforce,exact-online`

use connector_sdk::exact_online::{convert, wire};
use connector_sdk::salesforce::client::strip_attributes;
use connector_sdk::salesforce::source::customer as sf_customer;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn exact_page(n: usize) -> String {
    let rows: Vec<String> = (0..n)
        .map(|i| {
            format!(
                r#"{{"__metadata":{{"uri":"https://start.exactonline.nl/api/v1/3145431/sync/CRM/Accounts(guid'a1b2c3d4-0000-4000-8000-{i:012}')","type":"Exact.Web.Api.Models.Sync.Account"}},"ID":"a1b2c3d4-0000-4000-8000-{i:012}","Code":"{:>18}","Name":"Fietsenwinkel {i} BV","Email":"inkoop{i}@example.nl","Phone":"+31 20 555 {i:04}","VATNumber":"NL00{i:07}B01","ChamberOfCommerce":"{:08}","AddressLine1":"Kettingstraat {i}","Postcode":"1011 AB","City":"Amsterdam","Country":"NL","Status":"C","IsSales":true,"Blocked":false,"PaymentConditionSales":"30","Language":"NL","Created":"/Date(1641034800000)/","Modified":"/Date(1641034800000)/","Timestamp":{}}}"#,
                100_000 + i,
                10_000_000 + i,
                5_000_000 + i
            )
        })
        .collect();
    format!(
        r#"{{"d":{{"results":[{}],"__next":"https://start.exactonline.nl/api/v1/3145431/sync/CRM/Accounts?$select=ID&$skiptoken=999L"}}}}"#,
        rows.join(",")
    )
}

fn salesforce_batch(n: usize) -> String {
    let rows: Vec<String> = (0..n)
        .map(|i| {
            format!(
                r#"{{"attributes":{{"type":"Account","url":"/services/data/v59.0/sobjects/Account/001SIM{i:09}AAA"}},"Id":"001SIM{i:09}AAA","Name":"Fietsenwinkel {i} BV","AccountNumber":"{i}","ERP_Id__c":"{i}","Phone":"+31 20 555 {i:04}","Website":null,"BillingStreet":"Kettingstraat {i}","BillingPostalCode":"1011 AB","BillingCity":"Amsterdam","BillingState":null,"BillingCountryCode":"NL","ShippingStreet":null,"ShippingPostalCode":null,"ShippingCity":null,"ShippingState":null,"ShippingCountryCode":null,"SystemModstamp":"2026-01-02T03:04:05.000+0000","Contacts":{{"totalSize":1,"done":true,"records":[{{"attributes":{{"type":"Contact","url":"/services/data/v59.0/sobjects/Contact/003SIM{i:09}AAA"}},"Id":"003SIM{i:09}AAA","FirstName":"Els","LastName":"Bakker","Email":"els{i}@example.nl","Phone":null,"Title":"Inkoper"}}]}}}}"#
            )
        })
        .collect();
    format!(
        r#"{{"totalSize":100000,"done":false,"nextRecordsUrl":"/services/data/v59.0/query/01gSIM-2000","records":[{}]}}"#,
        rows.join(",")
    )
}

fn decode(c: &mut Criterion) {
    let mut group = c.benchmark_group("apicenter");
    group.sample_size(20);
    let exact = exact_page(1_000);
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
    let sf = salesforce_batch(2_000);
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
