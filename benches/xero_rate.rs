//! A full Skynamo Link sync (Xero → Skynamo: customers, products, price lists, stock,
//! invoices) under Xero's real per-tenant limits (60 calls a minute, 5,000 a day, 5 at once),
//! on a paused, auto-advancing tokio clock: the minutes are simulated, the run takes seconds.
//!
//! `cargo bench --features xero,skynamo --bench xero_rate` (`CONTACTS` and `INVOICES` set
//! the data set, 6,000 each by default, read 10 a page).
//!
//! It counts the calls Xero admitted, compares the simulated duration with
//! (calls ÷ 60) minutes, prints the ratio, and fails unless there was no 429 and the ratio is
//! within 5%. The client's rate budget, fed by `X-MinLimit-Remaining`, spends each minute's
//! 60 calls and then waits for the window; the last minute's calls go out at its start, so
//! the run ends up to a minute before (calls ÷ 60) minutes, which is why a data set of many
//! minutes is needed to be within 5%.
//!
//! Measured 2026-12-06 (release profile, shared 2-core machine), defaults: 6,000 contacts
//! and 6,000 invoices (plus the demo data) read 10 a page took 1,208 Xero calls; simulated
//! time 1,200.0 s against (1,208 ÷ 60) min = 1,208.0 s, ratio 0.9934, zero 429s; 161.5 s of
//! real time (mostly the Skynamo side: 12,000 records written and looked up by code).

#[allow(dead_code)]
#[path = "../examples/xero_to_skynamo/link.rs"]
mod link;

use std::sync::Arc;
use std::time::Duration;

use connector_sdk::flow::RunMode;
use connector_sdk::skynamo::SkynamoClient;
use connector_sdk::skynamo::simulator::SkynamoSimulator;
use connector_sdk::state::MemoryStore;
use connector_sdk::xero::XeroClient;
use connector_sdk::xero::simulator::XeroSimulator;
use link::SkynamoLink;

const PER_MINUTE: u32 = 60;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn seed(xero: &XeroSimulator, contacts: usize, invoices: usize) {
    for i in 0..contacts {
        xero.contacts()
            .insert(serde_json::json!({
                "ContactNumber": format!("R-{i:05}"),
                "ContactStatus": "ACTIVE",
                "Name": format!("Rate Customer {i:05}"),
                "SalesTrackingCategories": [{"TrackingCategoryName": "Sales Rep", "TrackingOptionName": "JD"}],
            }))
            .unwrap();
    }
    for i in 0..invoices {
        let text = format!(
            r#"{{"Type":"ACCREC","InvoiceNumber":"INV-R{i:05}","Contact":{{"ContactID":"5b96e86b-418e-48e8-8949-308c14aec278","ContactNumber":"C-1001","Name":"Bayside Club"}},"Date":"/Date(1573689600000+0000)/","DueDate":"/Date(1575417600000+0000)/","Status":"AUTHORISED","LineAmountTypes":"Exclusive","LineItems":[{{"ItemCode":"GB1-WHITE","Description":"Golf ball","Quantity":3.0000,"UnitAmount":5.9500,"TaxType":"OUTPUT2","TaxAmount":2.68,"LineAmount":17.85,"AccountCode":"200"}},{{"ItemCode":"UMB-1","Description":"Umbrella","Quantity":1.0000,"UnitAmount":19.9875,"TaxType":"OUTPUT2","TaxAmount":3.00,"LineAmount":19.99,"AccountCode":"200"}},{{"ItemCode":"LESSON-30","Description":"Lesson","Quantity":1.0000,"UnitAmount":45.0000,"TaxType":"OUTPUT2","TaxAmount":6.75,"LineAmount":45.00,"AccountCode":"200"}}],"SubTotal":82.84,"TotalTax":12.43,"Total":95.27,"AmountDue":95.27,"CurrencyCode":"NZD"}}"#
        );
        xero.invoices().insert(serde_json::from_str(&text).unwrap()).unwrap();
    }
}

fn main() {
    let (contacts, invoices) = (env("CONTACTS", 6_000), env("INVOICES", 6_000));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .unwrap();
    rt.block_on(async move {
        // Keep the paused clock still while a request is on the wire (both simulators are
        // in this process); only waiting for the rate budget moves it.
        let _io = connector_sdk::test_util::hold_paused_clock_during_io(Duration::from_secs(5));
        let xero = XeroSimulator::builder().limits(PER_MINUTE, 5_000, 5).start().await.unwrap();
        let sky = SkynamoSimulator::start().await.unwrap();
        seed(&xero, contacts, invoices);
        let mut config = xero.config();
        config.page_size = 10;
        let start = tokio::time::Instant::now();
        let real = std::time::Instant::now();
        let link = SkynamoLink {
            xero: XeroClient::connect(config, None).await.unwrap(),
            skynamo: SkynamoClient::new(sky.config()).unwrap(),
            mapping: link::default_mapping(),
            state: Arc::new(MemoryStore::new()),
        };
        let reports = link.erp_to_crm(RunMode::Full).await.unwrap();
        let took = start.elapsed();
        println!("{}", link::summary(&reports));
        assert!(reports.iter().all(|r| r.failure.is_none()), "{}", link::summary(&reports));
        assert_eq!(sky.customers().len(), contacts + 3, "every customer arrived");
        assert_eq!(sky.invoices().len(), invoices + 2, "every invoice arrived");

        let journal = xero.journal();
        let refused = journal.count_status(429);
        let calls = journal.count(|e| e.header("xero-tenant-id").is_some() && e.status != Some(429));
        let ideal = Duration::from_secs_f64(calls as f64 * 60.0 / f64::from(PER_MINUTE));
        let ratio = took.as_secs_f64() / ideal.as_secs_f64();
        println!(
            "xero_rate: {calls} Xero calls at {PER_MINUTE}/min: simulated {:.1} s vs (calls ÷ {PER_MINUTE}) min = {:.1} s, ratio {ratio:.4}; {refused} × 429; {:.1} s real",
            took.as_secs_f64(),
            ideal.as_secs_f64(),
            real.elapsed().as_secs_f64(),
        );
        assert_eq!(refused, 0, "no 429 from Xero");
        assert!((ratio - 1.0).abs() <= 0.05, "ratio {ratio:.4} is not within 5%");
    });
}
