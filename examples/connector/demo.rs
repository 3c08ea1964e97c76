//! `demo`: flows on built-in data, with no credentials and no network.
//!
//! File to file through the engine and the SQLite state store: customers from a CSV export
//! (with one malformed row) and invoices exported one line per row, into JSON Lines files.
//! Then a change at the source is planned with a dry run and synced, and the fixed row lands.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use async_trait::async_trait;
use connector_sdk::dashboard::FlowRunner;
use connector_sdk::flow::{RunMode, RunReport};
use connector_sdk::flow_dir::FlowDir;
use connector_sdk::flowfile::FlowFile;
use connector_sdk::skynamo::SkynamoClient;
use connector_sdk::skynamo::simulator::SkynamoSimulator;
use connector_sdk::state::{QuarantineFilter, QuarantineStatus, SqliteStore, StateStore};
use connector_sdk::xero::XeroClient;
use connector_sdk::xero::simulator::XeroSimulator;
use connector_sdk::{Error, Result};

use crate::link::SkynamoLink;
use crate::output;
use crate::serve::Serving;

const CUSTOMERS: &str = "\
number,kind,name,emails.0.address,addresses.0.kind,addresses.0.lines.0,addresses.0.postal_code,addresses.0.city,addresses.0.country,credit_limit.amount,credit_limit.currency
C-001,company,Müller GmbH,einkauf@mueller.example,billing,Hauptstraße 5,10115,Berlin,DE,5000.00,EUR
C-002,person,Åsa Öberg,asa@oberg.example,billing,Storgatan 1,903 25,Umeå,SE,,
C-003,company,北京贸易有限公司,info@beijing-trade.example,shipping,Chaoyang Road 88,100020,Beijing,CN,12000.50,CNY
C-004,company,Virhe Oy,ap@virhe.example,billing,Mannerheimintie 1,00100,Helsinki,FI,\"12,3x\",EUR
";

const INVOICES: &str = "\
number,party.customer.key,issue_date,due_date,currency,lines.sku,lines.description,lines.quantity,lines.unit_price.amount,lines.unit_price.currency,lines.tax_percent
INV-1001,C-001,2026-11-01,2026-12-01,EUR,CHAIR-01,Chair,4,49.90,EUR,19
INV-1001,C-001,2026-11-01,2026-12-01,EUR,TABLE-01,Table,1,299.00,EUR,19
INV-1002,C-002,2026-11-03,2026-12-03,SEK,LAMP-02,Lamp,2.5,199.9900,SEK,25
";

/// A webshop export for Procountor: an e-mail, an e-invoice and a mail order, and one with a
/// bad business ID (Y-tunnus check digit).
const WEBSHOP_ORDERS: &str = "\
number,order_date,currency,party.customer.key,party.company_name,party.email,party.registration_number,party.e_invoice_address,meta.custom.einvoice_operator.value.type,meta.custom.einvoice_operator.value.value,billing_address.lines.0,billing_address.postal_code,billing_address.city,billing_address.country,lines.sku,lines.description,lines.quantity,lines.unit,lines.unit_price.amount,lines.unit_price.currency,lines.tax_rate.key
WEB-1001,2026-05-04,EUR,1001,Asiakas Oy,laskut@asiakas.example,0112038-9,,,,Katu 1,00100,Helsinki,FI,WID-1,Widget,2,pcs,10.00,EUR,standard
WEB-1001,2026-05-04,EUR,1001,Asiakas Oy,laskut@asiakas.example,0112038-9,,,,Katu 1,00100,Helsinki,FI,GIFT,Gift wrap,1,pcs,3.50,EUR,standard
WEB-1002,2026-05-05,EUR,,Kauppa Ab,,0109862-8,003701098628,text,003721291126,Gatan 2,65100,Vaasa,FI,GAD-2,Gadget,1,pcs,24.90,EUR,standard
WEB-1003,2026-05-05,EUR,W-77,Matti Meikäläinen,,,,,,Kotikatu 3 B 12,33100,Tampere,FI,SRV-H,Installation,1.5,h,85.00,EUR,standard
WEB-1004,2026-05-06,EUR,W-78,Virhe Oy,virhe@virhe.example,0112038-8,,,,Virhetie 1,00200,Helsinki,FI,WID-1,Widget,1,pcs,10.00,EUR,standard
";

fn procountor_flow_file(api_url: &str) -> String {
    use connector_sdk::procountor::simulator::{SIM_API_KEY, SIM_CLIENT_ID, SIM_CLIENT_SECRET};
    format!(
        "name = \"demo-orders-to-procountor\"\nentity = \"orders\"\nmapping = \"procountor.mapping.toml#orders-to-invoices\"\n\n[source]\nsystem = \"file\"\noptions = {{ path = \"webshop-orders.csv\" }}\n\n[sink]\nsystem = \"procountor\"\noptions = {{ api_url = \"{api_url}\", client_id = \"{SIM_CLIENT_ID}\", client_secret = \"{SIM_CLIENT_SECRET}\", api_key = \"{SIM_API_KEY}\" }}\n"
    )
}

fn flow_file(name: &str, entity: &str, input: &str, output: &str) -> String {
    format!(
        "name = \"{name}\"\nentity = \"{entity}\"\n\n[source]\nsystem = \"file\"\noptions = {{ path = \"{input}\" }}\n\n[sink]\nsystem = \"file\"\noptions = {{ path = \"{output}\" }}\n\n[options]\nbatch_size = 100\nredact_personal_data = true\n"
    )
}

fn write(dir: &Path, name: &str, text: &str) -> Result<()> {
    std::fs::write(dir.join(name), text)
        .map_err(|e| Error::internal(format!("cannot write {name}: {e}")))
}

pub async fn run(_state: &Path, dir: &Path, serve: Option<Serving>) -> Result<ExitCode> {
    if dir.exists() {
        std::fs::remove_dir_all(dir)
            .map_err(|e| Error::internal(format!("cannot clear {}: {e}", dir.display())))?;
    }
    std::fs::create_dir_all(dir)?;
    // The demo keeps its own state in its directory, so every demo starts the same.
    let state: Arc<dyn StateStore> =
        Arc::new(SqliteStore::open(dir.join("connector-state.sqlite"))?);
    write(dir, "customers.csv", CUSTOMERS)?;
    write(dir, "invoices.csv", INVOICES)?;
    write(
        dir,
        "customers.toml",
        &flow_file("demo-customers", "customers", "customers.csv", "crm-customers.jsonl"),
    )?;
    write(
        dir,
        "invoices.toml",
        &flow_file("demo-invoices", "invoices", "invoices.csv", "crm-invoices.jsonl"),
    )?;
    let customers = FlowFile::load(dir.join("customers.toml"))?;
    let invoices = FlowFile::load(dir.join("invoices.toml"))?;

    say!(
        "1. Customers and invoices, file to file, full snapshot. One customer row has a malformed amount."
    );
    let r = customers.run(state.clone(), RunMode::Full, false, None).await?;
    output::summary(&r);
    expect(
        r.counts.created == 3 && r.counts.quarantined == 1,
        "3 customers created, 1 quarantined",
    )?;
    let r = invoices.run(state.clone(), RunMode::Full, false, None).await?;
    output::summary(&r);
    expect(r.counts.created == 2, "2 invoices created from 3 line rows")?;

    say!("\n2. The same snapshot again: nothing is sent.");
    let r = customers.run(state.clone(), RunMode::Full, false, None).await?;
    output::summary(&r);
    expect(r.counts.unchanged == 3 && r.counts.created + r.counts.updated == 0, "3 unchanged")?;

    say!("\n3. Åsa moves and the malformed amount is fixed: a dry run plans, then the sync sends.");
    let changed = CUSTOMERS
        .replace("Storgatan 1,903 25,Umeå", "Kungsgatan 7,111 43,Stockholm")
        .replace("\"12,3x\"", "12.30");
    write(dir, "customers.csv", &changed)?;
    let r = customers.run(state.clone(), RunMode::Full, true, None).await?;
    output::summary(&r);
    let r = customers.run(state.clone(), RunMode::Full, false, None).await?;
    output::summary(&r);
    expect(r.counts.updated == 1 && r.counts.created == 1, "1 updated, 1 created")?;
    let open = state
        .quarantine_list(&QuarantineFilter {
            status: Some(QuarantineStatus::Open),
            ..Default::default()
        })
        .await?;
    expect(open.is_empty(), "the quarantined row is resolved once it lands")?;

    say!(
        "\n4. Webshop orders into Procountor (its simulator) as sales invoices: e-mail, e-invoice and mail\n   channels from the order data, customers and products matched to the registers; an order with\n   a bad business ID is quarantined."
    );
    let sim = connector_sdk::procountor::simulator::ProcountorSimulator::with_demo_data()
        .await
        .map_err(|e| Error::internal(format!("cannot start the Procountor simulator: {e}")))?;
    write(dir, "webshop-orders.csv", WEBSHOP_ORDERS)?;
    write(dir, "procountor.mapping.toml", include_str!("../mappings/procountor.toml"))?;
    write(dir, "procountor.toml", &procountor_flow_file(&sim.api_url()))?;
    let orders = FlowFile::load(dir.join("procountor.toml"))?;
    let r = orders.run(state.clone(), RunMode::Full, false, None).await?;
    output::summary(&r);
    expect(
        r.counts.created == 3 && r.counts.quarantined == 1,
        "3 invoices created, 1 quarantined",
    )?;
    let r = orders.run(state.clone(), RunMode::Full, false, None).await?;
    output::summary(&r);
    expect(r.counts.created == 0 && sim.invoices().len() == 3, "the rerun creates no invoice")?;
    for inv in sim.invoices() {
        say!(
            "   invoice {} for {}: {} via {}",
            inv["id"],
            inv["originalInvoiceNumber"],
            inv["status"],
            inv["invoiceChannel"]
        );
    }
    sim.shutdown().await;

    let (link, xero, sky) = skynamo_link(dir, state.clone()).await?;
    apicenter().await?;

    say!(
        "\n7. SuperOffice's ERP Sync: a connector serves Xero (its simulator) over SOAP, and SuperOffice's\n   side links it (dialog, Test ERP link, save), imports customers whose name begins with B\n   and polls by timestamp."
    );
    let walk = crate::superoffice::Walk {
        connector: None,
        serves: "xero".into(),
        options: Default::default(),
        prefix: "B".into(),
        port: 0,
    };
    let code = crate::superoffice::simulate(walk).await?;
    expect(code == ExitCode::SUCCESS, "SuperOffice links, imports and polls")?;

    parts_pim().await?;

    say!(
        "\nFiles and state are in {}; try `quarantine list --state {}` and `runs --state {}`.",
        dir.display(),
        dir.join("connector-state.sqlite").display(),
        dir.join("connector-state.sqlite").display()
    );
    if let Some(serving) = serve {
        say!(
            "\nThe dashboard serves the demo's state; Skynamo Link's simulators keep running, so a value\n   map fixed in {} lands C-1005 on replay.",
            dir.join("skynamo-link.toml").display()
        );
        let runner = Arc::new(DemoFlows { link, files: FlowDir::new(dir, state.clone()) });
        serving.run(state, runner).await?;
    }
    xero.shutdown().await;
    sky.shutdown().await;
    Ok(ExitCode::SUCCESS)
}

/// What the demo's dashboard replays and plans: Skynamo Link's Xero → Skynamo flows, with
/// the mapping file as it is at that moment, and the demo's flow files.
struct DemoFlows {
    link: SkynamoLink,
    files: FlowDir,
}

impl DemoFlows {
    fn link_flow(flow: &str) -> Option<&str> {
        flow.strip_prefix("skynamo-link/").filter(|n| SkynamoLink::ERP_TO_CRM.contains(n))
    }
}

#[async_trait]
impl FlowRunner for DemoFlows {
    fn knows(&self, flow: &str) -> bool {
        Self::link_flow(flow).is_some() || self.files.knows(flow)
    }
    async fn replay(&self, flow: &str) -> Result<RunReport> {
        match Self::link_flow(flow) {
            Some(name) => self.link.one(name, false).await,
            None => self.files.replay(flow).await,
        }
    }
    async fn plan(&self, flow: &str) -> Result<RunReport> {
        match Self::link_flow(flow) {
            Some(name) => self.link.one(name, true).await,
            None => self.files.plan(flow).await,
        }
    }
}

/// Skynamo Link on the Xero and Skynamo simulators (`examples/xero_to_skynamo.rs`); the
/// link and its simulators, still running.
async fn skynamo_link(
    dir: &Path,
    state: Arc<dyn StateStore>,
) -> Result<(SkynamoLink, XeroSimulator, SkynamoSimulator)> {
    say!(
        "\n5. Skynamo Link on the Xero and Skynamo simulators: customers, products, prices, stock and\n   invoices from Xero into Skynamo (an archived contact becomes inactive, a nameless one is\n   dropped, an unmapped rep code waits in quarantine), then an order placed in Skynamo into\n   Xero as a draft invoice, once, and acknowledged in Skynamo."
    );
    let sim = |e: std::io::Error| Error::internal(format!("cannot start a simulator: {e}"));
    let xero = XeroSimulator::start().await.map_err(sim)?;
    let sky = SkynamoSimulator::start().await.map_err(sim)?;
    write(dir, "skynamo-link.toml", include_str!("../mappings/skynamo-link.toml"))?;
    let link = SkynamoLink {
        xero: XeroClient::connect(xero.config(), None).await?,
        skynamo: SkynamoClient::new(sky.config())?,
        mapping: dir.join("skynamo-link.toml"),
        state,
    };
    let reports = link.erp_to_crm(RunMode::Full).await?;
    for r in &reports {
        output::summary(r);
    }
    let inactive =
        sky.customers().find(|c| c.value["code"] == "C-1003").map(|c| c.value["active"] == false);
    expect(
        sky.customers().len() == 3 && inactive == Some(true),
        "3 customers in Skynamo, the archived one inactive",
    )?;
    expect(
        sky.invoices().len() == 2 && sky.prices().len() == 3,
        "2 invoices and 3 prices in Skynamo",
    )?;
    let order = sky.place(
        false,
        "C-1001",
        1,
        &[("GB1-WHITE", "12.5", "5.9525"), ("UMB-1", "2", "19.9875")],
    );
    for _ in 0..2 {
        for r in &link.crm_to_erp().await? {
            output::summary(r);
        }
    }
    let number = format!("SO-{order}");
    let written = xero
        .invoices()
        .query(|i| i.value["Reference"].as_str().is_some_and(|r| r.starts_with(&number)));
    expect(written.len() == 1, "the order is in Xero once after two runs")?;
    say!(
        "   Xero draft invoice {} for {} = {} (lines {} × {} and {} × {})",
        written[0].value["InvoiceNumber"],
        number,
        written[0].value["Total"],
        written[0].value["LineItems"][0]["Quantity"],
        written[0].value["LineItems"][0]["UnitAmount"],
        written[0].value["LineItems"][1]["Quantity"],
        written[0].value["LineItems"][1]["UnitAmount"]
    );
    Ok((link, xero, sky))
}

/// APIcenter on the Salesforce and Exact Online simulators
/// (`examples/salesforce_to_exact.rs`).
async fn apicenter() -> Result<()> {
    use connector_sdk::exact_online::ExactClient;
    use connector_sdk::exact_online::simulator::ExactSimulator;
    use connector_sdk::http::{MemoryTokenStore, TokenStore};
    use connector_sdk::salesforce::SalesforceClient;
    use connector_sdk::salesforce::simulator::SalesforceSimulator;

    say!(
        "\n6. APIcenter on the Salesforce and Exact Online simulators: products (long description on\n   create only) and customers from Exact into Salesforce, paid Salesforce orders into Exact\n   (the draft one ignored, a private buyer as a person debtor), a split delivery back as two\n   shipments, and stock (Exact's free stock)."
    );
    let sim = |e: std::io::Error| Error::internal(format!("cannot start a simulator: {e}"));
    let sf = SalesforceSimulator::start().await.map_err(sim)?;
    // A standard org with the custom fields APIcenter's customers create.
    let sf_config = crate::apicenter::apicenter_org(&sf);
    let eo = ExactSimulator::start().await.map_err(sim)?;
    let tokens: Arc<dyn TokenStore> = Arc::new(MemoryTokenStore::new(None));
    let exact = ExactClient::connect(eo.config(), Some(tokens)).await?;
    let crm = SalesforceClient::connect(sf_config, None).await?;
    output::summary(
        &crate::apicenter::products_flow(exact.clone(), crm.clone()).run(RunMode::Full).await,
    );
    output::summary(
        &crate::apicenter::customers_flow(exact.clone(), crm.clone()).run(RunMode::Full).await,
    );
    let orders = crate::apicenter::orders_flow(crm.clone(), exact.clone());
    let r = orders.run(RunMode::Full).await;
    output::summary(&r);
    expect(
        r.counts.created == 2 && r.counts.skipped == 1,
        "2 paid orders in Exact, the draft ignored",
    )?;
    let so = eo
        .orders()
        .all()
        .into_iter()
        .find(|o| o.value["SalesOrderLines"].as_array().is_some_and(|l| l.len() == 2));
    if let Some(so) = so {
        let number = so.value["OrderNumber"].as_i64().unwrap_or_default();
        eo.deliver(number, &[("BIKE-CITY-M", "1"), ("LOCK-CHAIN", "2")], "3SDEMO0001", "PostNL");
        eo.deliver(number, &[("BIKE-CITY-M", "1")], "3SDEMO0002", "PostNL");
    }
    let r = crate::apicenter::shipments_flow(exact.clone(), crm.clone()).run(RunMode::Full).await;
    output::summary(&r);
    expect(
        sf.object("Shipment__c").len() == 2,
        "the split delivery is two shipments in Salesforce",
    )?;
    output::summary(&crate::apicenter::stock_flow(exact, crm).run(RunMode::Full).await);
    sf.shutdown().await;
    eo.shutdown().await;
    Ok(())
}

/// AccountView → Parts PIM on their simulators (`examples/partspim_accountview.rs`).
async fn parts_pim() -> Result<()> {
    use connector_sdk::accountview::AccountViewClient;
    use connector_sdk::accountview::simulator::AccountViewSimulator;
    use connector_sdk::parts_pim::simulator::PartsPimSimulator;
    use connector_sdk::state::MemoryStore;
    say!(
        "\n8. APIcenter's Parts PIM on the AccountView and Parts PIM simulators: articles as products\n   (an article code with a letter is quarantined, never sent; the long description on create\n   only), stock as available less reservations, and Parts PIM's orders into AccountView (a\n   company debtor with its contact, a person debtor; an unknown product quarantined) and\n   AccountView's own orders back into Parts PIM."
    );
    let sim = |e: std::io::Error| Error::internal(format!("cannot start a simulator: {e}"));
    let av = AccountViewSimulator::builder().demo_data().start().await.map_err(sim)?;
    av.put_article(serde_json::json!({"REC_ID": "A0009", "ART_CODE": "100A00", "ART_DESC1": "Code met een letter", "UNIT": "st"}));
    let pim = PartsPimSimulator::start().await.map_err(sim)?;
    let client = AccountViewClient::new(av.config(), None)?;
    let state: Arc<dyn StateStore> = Arc::new(MemoryStore::new());
    let r = crate::partspim::products_flow(client.clone(), pim.config(), state.clone())?
        .run(RunMode::Full)
        .await;
    output::summary(&r);
    expect(
        r.counts.created == 3 && r.counts.quarantined == 1,
        "3 products in Parts PIM, 1 quarantined",
    )?;
    let r = crate::partspim::stock_flow(client.clone(), pim.config(), state.clone())?
        .run(RunMode::Full)
        .await;
    output::summary(&r);
    expect(
        pim.stock("100200").is_some_and(|s| s["available"] == "105"),
        "stock 120 − 15 reserved",
    )?;
    for order in crate::partspim::sample_orders() {
        pim.put_order(order);
    }
    let r = crate::partspim::orders_flow(pim.config(), client.clone(), None, state.clone())?
        .run(RunMode::Full)
        .await;
    output::summary(&r);
    expect(
        r.counts.created == 2
            && r.counts.quarantined == 1
            && av.contact("20001").is_some_and(|d| d["MAIN_CONT"] == "Piet Bakker"),
        "2 orders in AccountView with their new debtors, 1 quarantined (unknown product)",
    )?;
    let (header, lines) = crate::partspim::sample_accountview_order();
    av.put_order(header, lines);
    let r =
        crate::partspim::orders_to_pim_flow(client, pim.config(), state)?.run(RunMode::Full).await;
    output::summary(&r);
    expect(
        r.counts.created == 1
            && r.counts.skipped == 2
            && pim.orders().iter().any(|o| o["employee_number"] == "999999"),
        "AccountView's own order in Parts PIM with employee number 999999; the 2 from Parts PIM not sent back",
    )?;
    av.shutdown().await;
    pim.shutdown().await;
    Ok(())
}

fn expect(ok: bool, what: &str) -> Result<()> {
    if ok { Ok(()) } else { Err(Error::internal(format!("demo expectation failed: {what}"))) }
}
