//! `connector serve`: the dashboard over a state store (`--state` or `--postgres`), with the
//! flow files of `--flows` to replay and plan; `demo --serve` serves the demo's.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use async_trait::async_trait;
use connector_sdk::dashboard::{Access, Alerts, Dashboard, FlowRunner};
use connector_sdk::flow::RunReport;
use connector_sdk::flow_dir::FlowDir;
use connector_sdk::state::{SqliteStore, StateStore};
use connector_sdk::state_postgres::PostgresStore;
use connector_sdk::{Error, Result};
use secrecy::SecretString;

/// How the dashboard is served. Its `Debug` leaves out the token and the webhook's URL.
#[derive(Clone)]
pub struct Serving {
    /// The address to bind (loopback unless a token is set).
    pub bind: IpAddr,
    /// The port (0: any free one).
    pub port: u16,
    /// The token every request must carry.
    pub token: Option<String>,
    /// Where to post alerts.
    pub webhook: Option<String>,
    /// A flow's alert when more records than this wait in quarantine.
    pub quarantine_above: u64,
}

impl std::fmt::Debug for Serving {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Serving")
            .field("bind", &self.bind)
            .field("port", &self.port)
            .field("token", &self.token.as_ref().map(|_| "[REDACTED]"))
            .field("webhook", &self.webhook.as_ref().map(|_| "[REDACTED]"))
            .field("quarantine_above", &self.quarantine_above)
            .finish()
    }
}

impl Serving {
    /// Serves `state` with `runner` until Ctrl-C, printing the address.
    pub async fn run(&self, state: Arc<dyn StateStore>, runner: Arc<dyn FlowRunner>) -> Result<()> {
        let access = match &self.token {
            Some(t) => Access::token(SecretString::from(t.clone()))?,
            None => Access::loopback_only(),
        };
        let mut alerts = Alerts::new().quarantine_above(self.quarantine_above);
        if let Some(w) = &self.webhook {
            // Checked now, so a mistyped URL fails at start rather than at every alert.
            let url = connector_sdk::http::Url::parse(w)
                .map_err(|_| Error::config("--webhook is not a URL (http://… or https://…)"))?;
            if !matches!(url.scheme(), "http" | "https") {
                return Err(Error::config("--webhook must be an http:// or https:// URL"));
            }
            alerts = alerts.webhook(SecretString::from(w.clone()));
        }
        let served = Dashboard::builder(state)
            .access(access)
            .alerts(alerts)
            .runner(runner)
            .build()
            .listen(SocketAddr::new(self.bind, self.port))
            .await?;
        say!("dashboard at {} (Ctrl-C stops it)", served.url());
        served
            .until(async {
                tokio::signal::ctrl_c().await.ok();
            })
            .await
    }
}

/// `connector serve`.
pub async fn serve(
    state: &std::path::Path,
    postgres: Option<String>,
    flows: Option<PathBuf>,
    serving: Serving,
) -> Result<ExitCode> {
    let store: Arc<dyn StateStore> = match postgres {
        Some(url) => Arc::new(PostgresStore::connect(&url).await?),
        None => {
            if !state.exists() {
                return Err(Error::config(format!(
                    "no state file at {}: run a flow first, or pass --state or --postgres",
                    state.display()
                )));
            }
            Arc::new(SqliteStore::open(state)?)
        }
    };
    let runner: Arc<dyn FlowRunner> = match flows {
        Some(dir) => Arc::new(FlowDir::new(dir, store.clone())),
        None => Arc::new(NoFlows),
    };
    serving.run(store, runner).await?;
    Ok(ExitCode::SUCCESS)
}

/// Without `--flows`: the dashboard only reads.
struct NoFlows;

#[async_trait]
impl FlowRunner for NoFlows {
    fn knows(&self, _flow: &str) -> bool {
        false
    }
    async fn replay(&self, flow: &str) -> Result<RunReport> {
        Err(Error::config(format!("no flow {flow}: pass --flows DIR")))
    }
    async fn plan(&self, flow: &str) -> Result<RunReport> {
        Err(Error::config(format!("no flow {flow}: pass --flows DIR")))
    }
}
