//! Orders → Procountor end to end: a webshop CSV through the file connector, the mapping
//! `examples/mappings/procountor.toml` and the Procountor sink, against the Procountor
//! simulator. Each channel rule, customer and product matching per setting, quarantine of
//! bad orders with the field named while the rest lands, and exactly-once creation across
//! reruns and a run killed after its POSTs.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use connector_sdk::file::{FileConfig, FileSource};
use connector_sdk::flow::{Flow, RunMode, RunReport};
use connector_sdk::mapping::Loader;
use connector_sdk::model::Order;
use connector_sdk::procountor::simulator::ProcountorSimulator;
use connector_sdk::procountor::{
    ChannelPolicy, InvoiceChannel, InvoiceSettings, ProcountorClient, ProcountorSink,
};
use connector_sdk::sink::{Found, LookupKey, Sink, SinkCapabilities, WriteOutcome, WriteRequest};
use connector_sdk::state::{MemoryStore, StateStore};
use connector_sdk::{Error, ErrorKind, Result};
use serde_json::Value;

const HEADER: &str = "number,order_date,currency,party.customer.key,party.company_name,party.email,party.registration_number,party.e_invoice_address,meta.custom.einvoice_operator.value.type,meta.custom.einvoice_operator.value.value,billing_address.lines.0,billing_address.postal_code,billing_address.city,billing_address.country,lines.sku,lines.description,lines.quantity,lines.unit,lines.unit_price.amount,lines.unit_price.currency,lines.tax_rate.key";

/// E-mail (customer number 1001), e-invoice (business ID of 1002), mail (a new customer).
const GOOD: &str = "\
WEB-1001,2026-05-04,EUR,1001,Asiakas Oy,laskut@asiakas.example,0112038-9,,,,Katu 1,00100,Helsinki,FI,WID-1,Widget,2,pcs,10.00,EUR,standard
WEB-1001,2026-05-04,EUR,1001,Asiakas Oy,laskut@asiakas.example,0112038-9,,,,Katu 1,00100,Helsinki,FI,GIFT,Gift wrap,1,pcs,3.50,EUR,standard
WEB-1002,2026-05-05,EUR,,Kauppa Ab,,0109862-8,0037 0109 8628,text,003721291126,Gatan 2,65100,Vaasa,FI,GAD-2,Gadget,1,pcs,24.90,EUR,standard
WEB-1003,2026-05-05,EUR,W-77,Matti Meikäläinen,,,,,,Kotikatu 3 B 12,33100,Tampere,FI,SRV-H,Installation,1.5,h,85.00,EUR,standard
";

/// A bad business ID, a VAT rate no longer in use, and no city for the mail channel.
const BAD: &str = "\
WEB-2001,2026-05-06,EUR,W-80,Virhe Oy,virhe@virhe.example,0112038-8,,,,Virhetie 1,00200,Helsinki,FI,WID-1,Widget,1,pcs,10.00,EUR,standard
WEB-2002,2026-05-06,EUR,1001,Asiakas Oy,laskut@asiakas.example,0112038-9,,,,Katu 1,00100,Helsinki,FI,WID-1,Widget,1,pcs,10.00,EUR,old_standard
WEB-2003,2026-05-06,EUR,W-81,Osoitteeton Oy,,,,,,Tie 1,00300,,FI,WID-1,Widget,1,pcs,10.00,EUR,standard
";

fn csv(dir: &Path, rows: &[&str]) -> PathBuf {
    let path = dir.join("orders.csv");
    let mut text = format!("{HEADER}\n");
    for r in rows {
        text.push_str(r);
    }
    std::fs::write(&path, text).unwrap();
    path
}

fn flow(orders: PathBuf, sink: Arc<dyn Sink<Order>>, state: Arc<dyn StateStore>) -> Flow<Order> {
    let mapping =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/mappings/procountor.toml");
    let mut set = Loader::new().load_file(&mapping).unwrap();
    let plan = Arc::new(set.take("orders-to-invoices").unwrap());
    let source = Arc::new(FileSource::<Order>::new(FileConfig::csv(orders)));
    Flow::builder("orders-to-procountor", source, sink, state)
        .step(plan.step::<Order>().unwrap())
        .build()
}

fn sink(sim: &ProcountorSimulator, settings: InvoiceSettings) -> Arc<ProcountorSink> {
    Arc::new(ProcountorSink::with_settings(ProcountorClient::new(sim.config()).unwrap(), settings))
}

fn by_order<'a>(invoices: &'a [Value], number: &str) -> &'a Value {
    invoices
        .iter()
        .find(|i| i["originalInvoiceNumber"] == number)
        .unwrap_or_else(|| panic!("no invoice for {number}"))
}

fn assert_ok(report: &RunReport) {
    assert!(report.failure.is_none(), "{:?}", report.failure);
}

#[tokio::test(flavor = "multi_thread")]
async fn each_channel_rule_from_the_order_data() {
    let sim = ProcountorSimulator::with_demo_data().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let f = flow(
        csv(dir.path(), &[GOOD]),
        sink(&sim, InvoiceSettings::default()),
        Arc::new(MemoryStore::new()),
    );
    let r = f.run(RunMode::Full).await;
    assert_ok(&r);
    assert_eq!(r.counts.created, 3, "{:?}", r.errors);
    let invoices = sim.invoices();
    assert_eq!(by_order(&invoices, "WEB-1001")["invoiceChannel"], "EMAIL");
    let einvoice = by_order(&invoices, "WEB-1002");
    assert_eq!(einvoice["invoiceChannel"], "ELECTRONIC_INVOICE");
    assert_eq!(einvoice["counterParty"]["einvoiceAddress"]["address"], "003701098628");
    assert_eq!(einvoice["counterParty"]["counterPartyAddress"]["country"], "FINLAND");
    assert_eq!(by_order(&invoices, "WEB-1003")["invoiceChannel"], "MAIL");
    assert!(invoices.iter().all(|i| i["status"] == "UNFINISHED" && i["type"] == "SALES_INVOICE"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_forced_channel_applies_to_every_order() {
    let sim = ProcountorSimulator::with_demo_data().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let settings = InvoiceSettings {
        channel: ChannelPolicy::Forced(InvoiceChannel::Mail),
        ..InvoiceSettings::default()
    };
    let f = flow(csv(dir.path(), &[GOOD]), sink(&sim, settings), Arc::new(MemoryStore::new()));
    let r = f.run(RunMode::Full).await;
    assert_eq!(r.counts.created, 3, "{:?}", r.errors);
    assert!(sim.invoices().iter().all(|i| i["invoiceChannel"] == "MAIL"));
}

#[tokio::test(flavor = "multi_thread")]
async fn customers_match_by_number_then_business_id_then_a_new_partner() {
    let sim = ProcountorSimulator::with_demo_data().await.unwrap();
    let partners = sim.partners();
    let dir = tempfile::tempdir().unwrap();
    let f = flow(
        csv(dir.path(), &[GOOD]),
        sink(&sim, InvoiceSettings::default()),
        Arc::new(MemoryStore::new()),
    );
    assert_eq!(f.run(RunMode::Full).await.counts.created, 3);
    let invoices = sim.invoices();
    assert_eq!(
        by_order(&invoices, "WEB-1001")["partnerId"],
        partners[0]["id"],
        "by customer number"
    );
    assert_eq!(by_order(&invoices, "WEB-1002")["partnerId"], partners[1]["id"], "by business ID");
    let after = sim.partners();
    assert_eq!(after.len(), 3, "one new partner");
    assert_eq!(after[2]["invoicingInfo"]["customerNumber"], "W-77");
    assert_eq!(after[2]["paymentInfo"]["paymentMethod"], "BANK_TRANSFER");
    let broke = sim.journal().spec_violations();
    assert!(broke.is_empty(), "{broke:#?}");
    assert_eq!(by_order(&invoices, "WEB-1003")["partnerId"], after[2]["id"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn no_new_partner_when_the_setting_says_so() {
    let sim = ProcountorSimulator::with_demo_data().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let settings = InvoiceSettings { create_partners: false, ..InvoiceSettings::default() };
    let f = flow(csv(dir.path(), &[GOOD]), sink(&sim, settings), Arc::new(MemoryStore::new()));
    assert_eq!(f.run(RunMode::Full).await.counts.created, 3);
    assert_eq!(sim.partners().len(), 2);
    let invoices = sim.invoices();
    let mail = by_order(&invoices, "WEB-1003");
    assert!(mail.get("partnerId").is_none());
    assert_eq!(mail["counterParty"]["counterPartyAddress"]["name"], "Matti Meikäläinen");
}

#[tokio::test(flavor = "multi_thread")]
async fn products_by_code_or_free_rows_per_setting() {
    let sim = ProcountorSimulator::with_demo_data().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = csv(dir.path(), &[GOOD]);
    let f =
        flow(path.clone(), sink(&sim, InvoiceSettings::default()), Arc::new(MemoryStore::new()));
    f.run(RunMode::Full).await;
    let invoices = sim.invoices();
    let rows = &by_order(&invoices, "WEB-1001")["invoiceRows"];
    assert!(rows[0]["productId"].is_i64());
    assert_eq!(rows[0]["productCode"], "WID-1");
    assert!(rows[1].get("productId").is_none(), "GIFT is not in the register: a free row");
    assert_eq!(rows[1]["product"], "Gift wrap");
    let hour = &by_order(&invoices, "WEB-1003")["invoiceRows"][0];
    assert_eq!(hour["unit"], "HOUR");
    assert_eq!(hour["quantity"].to_string(), "1.5");

    let other = ProcountorSimulator::with_demo_data().await.unwrap();
    let settings = InvoiceSettings { match_products: false, ..InvoiceSettings::default() };
    let f = flow(path, sink(&other, settings), Arc::new(MemoryStore::new()));
    f.run(RunMode::Full).await;
    assert!(
        other
            .invoices()
            .iter()
            .flat_map(|i| i["invoiceRows"].as_array().unwrap().clone())
            .all(|r| r.get("productId").is_none())
    );
    assert_eq!(other.journal().count(|e| e.path == "/api/products"), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_orders_are_quarantined_with_the_field_named_and_the_rest_lands() {
    let sim = ProcountorSimulator::with_demo_data().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let f = flow(
        csv(dir.path(), &[GOOD, BAD]),
        sink(&sim, InvoiceSettings::default()),
        Arc::new(MemoryStore::new()),
    );
    let r = f.run(RunMode::Full).await;
    assert_ok(&r);
    assert_eq!(r.counts.created, 3);
    assert_eq!(r.counts.quarantined, 3, "{:?}", r.errors);
    let field = |key: &str| {
        r.errors
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, e)| e.field().map(str::to_owned))
            .unwrap_or_else(|| panic!("{key} was not quarantined: {:?}", r.errors))
    };
    assert_eq!(field("WEB-2001").as_deref(), Some("party.registration_number"));
    assert_eq!(field("WEB-2002").as_deref(), Some("lines[0].tax_percent"));
    assert_eq!(field("WEB-2003").as_deref(), Some("billing_address"));
    assert_eq!(sim.invoices().len(), 3);
    assert_eq!(sim.journal().count_call("POST", "/api/invoices"), 3, "bad orders are never sent");
    assert_eq!(sim.journal().count_client_errors(), 0, "nothing was refused by the API");
}

#[tokio::test(flavor = "multi_thread")]
async fn running_twice_creates_each_invoice_once() {
    let sim = ProcountorSimulator::with_demo_data().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let state: Arc<dyn StateStore> = Arc::new(MemoryStore::new());
    let f = flow(csv(dir.path(), &[GOOD]), sink(&sim, InvoiceSettings::default()), state.clone());
    assert_eq!(f.run(RunMode::Full).await.counts.created, 3);
    let again = f.run(RunMode::Full).await;
    assert_ok(&again);
    assert_eq!(again.counts.created, 0);
    assert_eq!(again.counts.unchanged, 3);
    assert_eq!(sim.invoices().len(), 3);

    // With the ledger lost too, the originalInvoiceNumber lookup still finds them.
    let fresh = flow(
        csv(dir.path(), &[GOOD]),
        sink(&sim, InvoiceSettings::default()),
        Arc::new(MemoryStore::new()),
    );
    let r = fresh.run(RunMode::Full).await;
    assert_eq!(r.counts.created, 0, "{:?}", r.errors);
    assert_eq!(sim.invoices().len(), 3);
    assert_eq!(sim.journal().count_call("POST", "/api/invoices"), 3);
}

/// A sink whose process "dies" right after its POSTs: the writes happen, then the write
/// never returns and the run is dropped, so the outcomes never reach the engine or the
/// ledger.
struct KilledAfterPost(Arc<ProcountorSink>);

#[async_trait]
impl Sink<Order> for KilledAfterPost {
    fn name(&self) -> &str {
        self.0.name()
    }
    fn capabilities(&self) -> SinkCapabilities {
        self.0.capabilities()
    }
    async fn check(&self) -> Result<()> {
        self.0.check().await
    }
    async fn find(&self, key: &LookupKey) -> Result<Option<Found<Order>>> {
        self.0.find(key).await
    }
    async fn write(&self, batch: Vec<WriteRequest<Order>>) -> Result<Vec<WriteOutcome>> {
        self.0.write(batch).await?;
        std::future::pending::<()>().await;
        Err(Error::new(ErrorKind::Internal, "unreachable: the run was killed"))
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_killed_after_the_post_creates_nothing_twice() {
    let sim = ProcountorSimulator::with_demo_data().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = csv(dir.path(), &[GOOD]);
    let state: Arc<dyn StateStore> = Arc::new(MemoryStore::new());
    let inner = sink(&sim, InvoiceSettings::default());
    let killed = flow(path.clone(), Arc::new(KilledAfterPost(inner.clone())), state.clone());
    let run = tokio::time::timeout(Duration::from_secs(2), killed.run(RunMode::Full)).await;
    assert!(run.is_err(), "the run was killed mid-write");
    assert_eq!(sim.invoices().len(), 3, "the POSTs happened");

    let resumed = flow(path, inner, state);
    let r = resumed.run(RunMode::Full).await;
    assert_eq!(r.counts.created, 0, "{:?}", r.errors);
    assert_eq!(r.counts.unchanged, 3, "found by originalInvoiceNumber: {:?}", r.errors);
    assert_eq!(r.counts.quarantined, 0, "{:?}", r.errors);
    assert_eq!(sim.invoices().len(), 3);
    assert_eq!(sim.journal().count_call("POST", "/api/invoices"), 3);
}
