//! Peak memory of the APIcenter read path at scale: `COUNT` records (default 1,000,000) as
//! Exact Online `sync/` pages of 1,000 accounts and as Salesforce query batches of 2,000
//! accounts with their contacts, each page decoded (OData envelope → rows → `Account`, or
//! `attributes` stripped → record), mapped to a canonical `Customer` by the connector, and
//! dropped; Salesforce customers also go through the declarative `customers` mapping of
//! `examples/mappings/apicenter.toml` (the customers flow's: trims, postal codes, countries
//! to ISO codes, the posting-group constant). Pages are generated one at a time, as they
//! would arrive; records per second
//! and the peak RSS (VmHWM) are printed per system.
//!
//! ```text
//! cargo bench --bench apicenter_rss --features salesforce,exact-online --no-run
//! COUNT=1000000 /usr/bin/time -v <the built bench binary>
//! ```
//!
//! `SYSTEM=exact` or `SYSTEM=salesforce` runs one side only.
//!
//! Measured 2026-12-06 on the shared 2-core build machine (release profile, one thread,
//! both systems in one process, other builds running; "Maximum resident set size" from
//! `/usr/bin/time -v`; records/s is wall clock with page generation included, and the
//! Salesforce side includes the declarative mapping, so neither is a decode-rate figure:
//! `benches/apicenter.rs` measures that):
//!
//! | COUNT | max RSS (both systems) | VmHWM after Exact | Exact records/s | Salesforce records/s |
//! |---|---|---|---|---|
//! | 10,000 | 21,044 KiB | 9,804 KiB | 84,832 | 20,386 |
//! | 100,000 | 22,696 KiB | 9,864 KiB | 83,737 | 19,574 |
//! | 1,000,000 | 22,548 KiB | 9,788 KiB | 72,006 | 20,081 |
//!
//! Peak RSS is flat from 10k to 1M records: one page (about 1 MB of text for Exact, 2 MB
//! for Salesforce) and its records are alive at a time.

#[path = "common/apicenter_pages.rs"]
mod pages;
#[path = "common/proc_stats.rs"]
mod proc_stats;

use std::time::Instant;

use connector_sdk::exact_online::{convert, wire};
use connector_sdk::mapping::{Loader, MappingPlan};
use connector_sdk::model::Customer;
use connector_sdk::salesforce::client::strip_attributes;
use connector_sdk::salesforce::source::customer as sf_customer;

use proc_stats::peak_rss_kib;

/// Runs the declarative mapping; returns whether the record came out.
fn map(plan: &MappingPlan, c: &Customer) -> bool {
    match plan.apply_typed::<Customer, Customer>(c) {
        Ok(Some(_)) => true,
        other => {
            static ONCE: std::sync::Once = std::sync::Once::new();
            ONCE.call_once(|| eprintln!("not mapped: {other:?}"));
            false
        }
    }
}

fn exact(n: usize, _plan: &MappingPlan) -> usize {
    let mut ok = 0;
    for start in (0..n).step_by(1_000) {
        let text = pages::exact_page(start, 1_000.min(n - start));
        let body: serde_json::Value = serde_json::from_str(&text).expect("json");
        drop(text);
        let page = wire::odata_page(body).expect("odata page");
        for row in page.rows {
            let a: wire::Account = serde_json::from_value(row).expect("account");
            let c = convert::customer(&a, &[]).expect("customer");
            ok += usize::from(c.number.is_some());
        }
    }
    ok
}

fn salesforce(n: usize, plan: &MappingPlan) -> usize {
    let mut ok = 0;
    for start in (0..n).step_by(2_000) {
        let text = pages::salesforce_batch(start, 2_000.min(n - start));
        let mut body: serde_json::Value = serde_json::from_str(&text).expect("json");
        drop(text);
        if let Some(serde_json::Value::Array(rows)) =
            body.get_mut("records").map(serde_json::Value::take)
        {
            for mut row in rows {
                strip_attributes(&mut row);
                let c = sf_customer(&row, "ERP_Id__c").expect("customer");
                ok += usize::from(map(plan, &c));
            }
        }
    }
    ok
}

fn main() {
    let n: usize = std::env::var("COUNT")
        .ok()
        .or_else(|| std::env::args().skip(1).find(|a| a.parse::<usize>().is_ok()))
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(1_000_000);
    let system = std::env::var("SYSTEM").unwrap_or_default();
    let mapping =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/mappings/apicenter.toml");
    let mut set = Loader::new().load_file(&mapping).expect("apicenter.toml");
    let plan = set.take("customers").expect("the customers mapping");
    type Run = fn(usize, &MappingPlan) -> usize;
    let runs: [(&str, Run); 2] = [("exact", exact), ("salesforce", salesforce)];
    for (name, run) in runs {
        if !system.is_empty() && system != name {
            continue;
        }
        let t = Instant::now();
        let mapped = run(n, &plan);
        let secs = t.elapsed().as_secs_f64();
        assert_eq!(mapped, n, "{name}: every record decodes and maps");
        println!(
            "{name}: {n} records in {secs:.2} s = {:.0} records/s; peak RSS so far {} KiB",
            n as f64 / secs,
            peak_rss_kib()
        );
    }
}
