//! The connector command-line tool: read, write, check, sync, simulate, demo, quarantine,
//! runs, tenants, worker, serve. `cargo run --example connector --features full -- --help`.

/// Prints a line to stdout; a closed pipe (`connector runs | head`) ends the program quietly.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = writeln!(std::io::stdout(), $($arg)*) {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                std::process::exit(0);
            }
        }
    }};
}

#[path = "salesforce_to_exact/flows.rs"]
mod apicenter;
#[path = "connector/demo.rs"]
mod demo;
#[path = "connector/io.rs"]
mod io;
#[allow(dead_code)]
#[path = "xero_to_skynamo/link.rs"]
mod link;
#[path = "connector/output.rs"]
mod output;
#[path = "partspim_accountview/flows.rs"]
mod partspim;
#[path = "connector/serve.rs"]
mod serve;
#[path = "connector/simulate.rs"]
mod simulate;
#[path = "connector/state.rs"]
mod state;
#[path = "connector/superoffice.rs"]
mod superoffice;
#[path = "connector/sync.rs"]
mod sync;
#[path = "connector/tenants.rs"]
mod tenants;
#[path = "connector/worker.rs"]
mod worker;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use connector_sdk::registry::Options;

#[derive(Parser, Debug)]
#[command(name = "connector", about = "Sync business data between ERPs and CRMs")]
struct Cli {
    /// The state file (checkpoints, ledger, quarantine, history).
    #[arg(long, global = true, default_value = "connector-state.sqlite")]
    state: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Print canonical records of a system as JSON lines; the cursor goes to stderr.
    Read {
        /// The system (`file`, ...).
        system: String,
        /// The entity (`customers`, `products`, `price-lists`, `stock-levels`, `invoices`,
        /// `orders`, `quotes`, ...).
        entity: String,
        /// Read a full snapshot.
        #[arg(long, conflicts_with = "since")]
        full: bool,
        /// Read changes since this cursor.
        #[arg(long)]
        since: Option<String>,
        /// A setting of the system, `key=value` (repeatable).
        #[arg(long = "option", short = 'o', value_parser = parse_option)]
        options: Vec<(String, String)>,
    },
    /// Write canonical JSON lines from stdin; print one outcome per record.
    Write {
        /// The system.
        system: String,
        /// The entity.
        entity: String,
        /// Plan only: look records up, send nothing.
        #[arg(long)]
        dry_run: bool,
        /// A setting of the system, `key=value` (repeatable).
        #[arg(long = "option", short = 'o', value_parser = parse_option)]
        options: Vec<(String, String)>,
    },
    /// Test the connection to a system.
    Check {
        /// The system.
        system: String,
        /// A setting of the system, `key=value` (repeatable).
        #[arg(long = "option", short = 'o', value_parser = parse_option)]
        options: Vec<(String, String)>,
    },
    /// Run a flow file.
    Sync {
        /// The flow file (TOML).
        flow: PathBuf,
        /// Read a full snapshot instead of changes since the last checkpoint.
        #[arg(long)]
        full: bool,
        /// Plan only: send nothing, print the plan.
        #[arg(long)]
        dry_run: bool,
    },
    /// Serve a system's simulator on 127.0.0.1; `superoffice` plays SuperOffice's side of an
    /// ERP Sync Connector instead (link, test, import, poll).
    Simulate {
        /// The system, or `superoffice`.
        system: String,
        /// The port (default: any free port).
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// superoffice: the connector's URL (default: serve one here).
        #[arg(long)]
        connector: Option<String>,
        /// superoffice: the system behind the connector.
        #[arg(long, default_value = "xero")]
        serves: String,
        /// superoffice: what the import's advanced search takes names to begin with.
        #[arg(long, default_value = "")]
        prefix: String,
        /// superoffice: a setting of the connection, `key=value` (repeatable; default: the
        /// served system's simulator).
        #[arg(long = "option", short = 'o', value_parser = parse_option)]
        options: Vec<(String, String)>,
    },
    /// Run the demo flows on built-in data: no credentials, no network.
    Demo {
        /// Where the demo writes its files.
        #[arg(long, default_value = "connector-demo")]
        dir: PathBuf,
        /// Then serve the dashboard over the demo's state, its simulators kept running so
        /// that replay works (until Ctrl-C).
        #[arg(long)]
        serve: bool,
        #[command(flatten)]
        serving: ServeArgs,
    },
    /// Serve the dashboard: flows and runs, activity, quarantine with replay, alerts.
    Serve {
        /// A PostgreSQL state store instead of the state file.
        #[arg(long, env = "CONNECTOR_POSTGRES")]
        postgres: Option<String>,
        /// The folder of flow files the dashboard may replay and plan (by flow name).
        #[arg(long)]
        flows: Option<PathBuf>,
        #[command(flatten)]
        serving: ServeArgs,
    },
    /// Inspect or replay quarantined records.
    Quarantine {
        #[command(subcommand)]
        action: QuarantineAction,
    },
    /// The tenants of a fleet and their systems' settings, in a PostgreSQL state store.
    Tenants {
        #[command(subcommand)]
        action: TenantsAction,
    },
    /// Run due tenant flows from the PostgreSQL schedule, as one worker of a fleet.
    Worker {
        /// The PostgreSQL state store.
        #[arg(long, env = "CONNECTOR_POSTGRES")]
        postgres: String,
        /// The folder of flow files: a scheduled flow `F` runs `DIR/F.toml`.
        #[arg(long, default_value = ".")]
        flows: PathBuf,
        /// This worker's name (default: host and process id).
        #[arg(long)]
        name: Option<String>,
        /// Stop when nothing is due instead of waiting.
        #[arg(long)]
        once: bool,
    },
    /// Show the run history.
    Runs {
        /// Only this flow.
        #[arg(long)]
        flow: Option<String>,
        /// How many runs.
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
}

/// How the dashboard is served (its `Debug` leaves out the token and the webhook's URL).
#[derive(clap::Args)]
struct ServeArgs {
    /// The address to bind; anything but loopback needs a token.
    #[arg(long, default_value = "127.0.0.1")]
    bind: std::net::IpAddr,
    /// The port (0: any free one).
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// A token every request must carry (at least 16 characters); better given in
    /// CONNECTOR_DASHBOARD_TOKEN than here, where other users of the machine see it.
    #[arg(long, env = "CONNECTOR_DASHBOARD_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// A URL that receives each new alert as JSON.
    #[arg(long, env = "CONNECTOR_DASHBOARD_WEBHOOK", hide_env_values = true)]
    webhook: Option<String>,
    /// Alert when more records than this wait in a flow's quarantine.
    #[arg(long, default_value_t = 25)]
    quarantine_above: u64,
}

impl std::fmt::Debug for ServeArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.serving_ref().fmt(f)
    }
}

impl ServeArgs {
    fn serving_ref(&self) -> serve::Serving {
        serve::Serving {
            bind: self.bind,
            port: self.port,
            token: self.token.clone(),
            webhook: self.webhook.clone(),
            quarantine_above: self.quarantine_above,
        }
    }

    fn serving(self) -> serve::Serving {
        self.serving_ref()
    }
}

#[derive(Subcommand, Debug)]
enum QuarantineAction {
    /// List quarantined records.
    List {
        /// Only this flow.
        #[arg(long)]
        flow: Option<String>,
        /// Include resolved records.
        #[arg(long)]
        all: bool,
    },
    /// Send a flow's quarantined records again.
    Replay {
        /// The flow file.
        flow: PathBuf,
    },
}

#[derive(Subcommand, Debug)]
enum TenantsAction {
    /// Store a tenant's settings for one system (secrets sealed with CONNECTOR_STATE_KEY).
    Add {
        /// The tenant.
        tenant: String,
        /// The system (`xero`, `exact-online`, ...).
        system: String,
        /// The PostgreSQL state store (`postgresql://user@host/db`).
        #[arg(long, env = "CONNECTOR_POSTGRES")]
        postgres: String,
        /// A setting of the system, `key=value` (repeatable).
        #[arg(long = "option", short = 'o', value_parser = parse_option)]
        options: Vec<(String, String)>,
    },
    /// Put a tenant's flow on the fleet's schedule (due now, then every interval).
    Schedule {
        /// The tenant.
        tenant: String,
        /// The flow: a worker runs `<flows>/<FLOW>.toml`.
        flow: String,
        /// The interval in seconds.
        #[arg(long, default_value_t = 900)]
        every: u64,
        /// The PostgreSQL state store.
        #[arg(long, env = "CONNECTOR_POSTGRES")]
        postgres: String,
    },
    /// List the tenants and the systems each has settings for.
    List {
        /// The PostgreSQL state store.
        #[arg(long, env = "CONNECTOR_POSTGRES")]
        postgres: String,
    },
}

fn parse_option(s: &str) -> Result<(String, String), String> {
    let (k, v) = s.split_once('=').ok_or_else(|| format!("expected key=value, got `{s}`"))?;
    Ok((k.trim().to_string(), v.to_string()))
}

fn options(system: &str, given: Vec<(String, String)>) -> Options {
    connector_sdk::registry::merged_options(system, &given.into_iter().collect())
}

/// The CLI, like any host running long syncs, uses mimalloc: with glibc's allocator every
/// batch's records make the heap top grow and shrink, and glibc hands that memory back to the
/// kernel and faults it in again each time (see `benches/engine_rss_mimalloc.rs`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Read { system, entity, full, since, options: o } => {
            io::read(&cli.state, &system, &entity, full, since, options(&system, o)).await
        }
        Command::Write { system, entity, dry_run, options: o } => {
            io::write(&cli.state, &system, &entity, dry_run, options(&system, o)).await
        }
        Command::Check { system, options: o } => {
            io::check(&cli.state, &system, options(&system, o)).await
        }
        Command::Sync { flow, full, dry_run } => sync::sync(&cli.state, &flow, full, dry_run).await,
        Command::Simulate { system, port, connector, serves, prefix, options } => {
            if system == "superoffice" {
                let options = options.into_iter().collect();
                let walk = superoffice::Walk { connector, serves, options, prefix, port };
                superoffice::simulate(walk).await
            } else {
                simulate::simulate(&system, port).await
            }
        }
        Command::Demo { dir, serve, serving } => {
            demo::run(&cli.state, &dir, serve.then(|| serving.serving())).await
        }
        Command::Serve { postgres, flows, serving } => {
            serve::serve(&cli.state, postgres, flows, serving.serving()).await
        }
        Command::Quarantine { action: QuarantineAction::List { flow, all } } => {
            state::quarantine_list(&cli.state, flow, all).await
        }
        Command::Quarantine { action: QuarantineAction::Replay { flow } } => {
            sync::replay(&cli.state, &flow).await
        }
        Command::Runs { flow, limit } => state::runs(&cli.state, flow, limit).await,
        Command::Tenants { action: TenantsAction::Add { tenant, system, postgres, options } } => {
            tenants::add(&postgres, &tenant, &system, options).await
        }
        Command::Tenants { action: TenantsAction::List { postgres } } => {
            tenants::list(&postgres).await
        }
        Command::Tenants { action: TenantsAction::Schedule { tenant, flow, every, postgres } } => {
            worker::schedule(&postgres, &tenant, &flow, std::time::Duration::from_secs(every)).await
        }
        Command::Worker { postgres, flows, name, once } => {
            let name = name.unwrap_or_else(|| format!("worker-{}", std::process::id()));
            worker::run(&postgres, &flows, &name, once).await
        }
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
