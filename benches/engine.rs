//! Throughput of the flow engine and of canonical decoding.
//!
//! `cargo bench --bench engine` — criterion, 100,000 customers per iteration from an
//! in-memory source through the SQLite ledger into a no-op sink (first run: every record is
//! created; second run: every record is unchanged), and decoding a canonical invoice with
//! three lines from JSON.

#[path = "support.rs"]
mod support;

use std::sync::Arc;

use connector_sdk::flow::RunMode;
use connector_sdk::model::Invoice;
use connector_sdk::state::SqliteStore;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const RECORDS: usize = 100_000;

fn engine(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let mut group = c.benchmark_group("engine");
    group.sample_size(10);
    group.throughput(Throughput::Elements(RECORDS as u64));
    group.bench_function("full_sync_100k_sqlite_ledger_null_sink", |b| {
        b.iter_batched(
            || tempfile::tempdir().unwrap(),
            |dir| {
                let state = Arc::new(SqliteStore::open(dir.path().join("state.sqlite")).unwrap());
                let report = rt.block_on(support::flow(RECORDS, state).run(RunMode::Full));
                assert_eq!(report.counts.created, RECORDS as u64);
                dir
            },
            criterion::BatchSize::PerIteration,
        )
    });
    let dir = tempfile::tempdir().unwrap();
    let state = Arc::new(SqliteStore::open(dir.path().join("state.sqlite")).unwrap());
    let flow = support::flow(RECORDS, state);
    rt.block_on(flow.run(RunMode::Full));
    group.bench_function("unchanged_resync_100k", |b| {
        b.iter(|| {
            let report = rt.block_on(flow.run(RunMode::Full));
            assert_eq!(report.counts.unchanged, RECORDS as u64);
        })
    });
    group.finish();
}

const INVOICE: &str = r#"{"number":"INV-0001","kind":"receivable","status":"authorised",
"party":{"customer":{"key":"C-1"},"name":"Möbelhaus Åkerlund Oy","email":"ap@example.fi"},
"issue_date":"2026-03-01","due_date":"2026-03-31","currency":"EUR","tax_inclusive":false,
"lines":[
 {"line_no":1,"sku":"SKU-1","description":"Chair","quantity":"2","unit_price":{"amount":"49.90","currency":"EUR"},"tax_percent":"25.5","net_amount":{"amount":"99.80","currency":"EUR"}},
 {"line_no":2,"sku":"SKU-2","description":"Table","quantity":"1","unit_price":{"amount":"299.00","currency":"EUR"},"tax_percent":"25.5","net_amount":{"amount":"299.00","currency":"EUR"}},
 {"line_no":3,"sku":"SKU-3","description":"Lamp","quantity":"3.5","unit_price":{"amount":"19.9900","currency":"EUR"},"tax_percent":"25.5","net_amount":{"amount":"69.97","currency":"EUR"}}],
"totals":{"sub_total":{"amount":"468.77","currency":"EUR"},"tax_total":{"amount":"119.54","currency":"EUR"},"total":{"amount":"588.31","currency":"EUR"}},
"meta":{"refs":[{"system":"xero","id":"243216c5-369e-4056-ac67-05388f86dc81"}],"lifecycle":"active"}}"#;

fn decode(c: &mut Criterion) {
    let mut group = c.benchmark_group("decode");
    group.throughput(Throughput::Elements(1));
    group.bench_function("canonical_invoice_3_lines", |b| {
        b.iter(|| {
            let inv: Invoice = serde_json::from_str(std::hint::black_box(INVOICE)).unwrap();
            std::hint::black_box(inv)
        })
    });
    group.finish();
}

criterion_group!(benches, engine, decode);
criterion_main!(benches);
