//! `demo`: flows on built-in data, with no credentials and no network.
//!
//! File to file through the engine and the SQLite state store: customers from a CSV export
//! (with one malformed row) and invoices exported one line per row, into JSON Lines files.
//! Then a change at the source is planned with a dry run and synced, and the fixed row lands.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use connector_sdk::flow::RunMode;
use connector_sdk::flowfile::FlowFile;
use connector_sdk::state::{QuarantineFilter, QuarantineStatus, SqliteStore, StateStore};
use connector_sdk::{Error, Result};

use crate::output;

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

fn flow_file(name: &str, entity: &str, input: &str, output: &str) -> String {
    format!(
        "name = \"{name}\"\nentity = \"{entity}\"\n\n[source]\nsystem = \"file\"\noptions = {{ path = \"{input}\" }}\n\n[sink]\nsystem = \"file\"\noptions = {{ path = \"{output}\" }}\n\n[options]\nbatch_size = 100\nredact_personal_data = true\n"
    )
}

fn write(dir: &Path, name: &str, text: &str) -> Result<()> {
    std::fs::write(dir.join(name), text)
        .map_err(|e| Error::internal(format!("cannot write {name}: {e}")))
}

pub async fn run(_state: &Path, dir: &Path) -> Result<ExitCode> {
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
        "\nFiles and state are in {}; try `quarantine list --state {}` and `runs --state {}`.",
        dir.display(),
        dir.join("connector-state.sqlite").display(),
        dir.join("connector-state.sqlite").display()
    );
    Ok(ExitCode::SUCCESS)
}

fn expect(ok: bool, what: &str) -> Result<()> {
    if ok { Ok(()) } else { Err(Error::internal(format!("demo expectation failed: {what}"))) }
}
