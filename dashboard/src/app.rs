//! The dashboard: its parts, its routes, and serving them.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};
use connector_core::error::{Error, Result};
use connector_core::state::StateStore;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::alerts::Alerts;
use crate::pages;
use crate::runner::FlowRunner;
use crate::security::{self, Access};

/// What every handler shares.
pub(crate) struct App {
    pub(crate) state: Arc<dyn StateStore>,
    pub(crate) runner: Option<Arc<dyn FlowRunner>>,
    pub(crate) access: Access,
    pub(crate) alerts: Alerts,
}

/// A web dashboard over a state store: flows and their runs, a run's activity, quarantine
/// with replay, dry-run plans and alerts. Server-side rendered HTML, no script.
///
/// ```no_run
/// # async fn demo(state: std::sync::Arc<dyn connector_core::state::StateStore>) -> connector_core::Result<()> {
/// use connector_dashboard::Dashboard;
/// let served = Dashboard::builder(state).build().listen("127.0.0.1:8080".parse().unwrap()).await?;
/// println!("dashboard at {}", served.url());
/// served.wait().await
/// # }
/// ```
pub struct Dashboard {
    app: Arc<App>,
}

impl std::fmt::Debug for Dashboard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dashboard")
            .field("access", &self.app.access)
            .field("replays", &self.app.runner.is_some())
            .field("alerts", &self.app.alerts)
            .finish_non_exhaustive()
    }
}

/// Builds a [`Dashboard`].
pub struct DashboardBuilder {
    state: Arc<dyn StateStore>,
    runner: Option<Arc<dyn FlowRunner>>,
    access: Access,
    alerts: Alerts,
}

impl std::fmt::Debug for DashboardBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DashboardBuilder").field("access", &self.access).finish_non_exhaustive()
    }
}

impl DashboardBuilder {
    /// Replays and plans flows with `runner` (without one, the dashboard only reads).
    pub fn runner(mut self, runner: Arc<dyn FlowRunner>) -> Self {
        self.runner = Some(runner);
        self
    }

    /// Who may use it (default: loopback only, no token).
    pub fn access(mut self, access: Access) -> Self {
        self.access = access;
        self
    }

    /// When to raise alerts and where to send them.
    pub fn alerts(mut self, alerts: Alerts) -> Self {
        self.alerts = alerts;
        self
    }

    /// The dashboard.
    pub fn build(self) -> Dashboard {
        Dashboard {
            app: Arc::new(App {
                state: self.state,
                runner: self.runner,
                access: self.access,
                alerts: self.alerts,
            }),
        }
    }
}

impl Dashboard {
    /// A builder over `state`.
    pub fn builder(state: Arc<dyn StateStore>) -> DashboardBuilder {
        DashboardBuilder {
            state,
            runner: None,
            access: Access::default(),
            alerts: Alerts::default(),
        }
    }

    /// The routes, to serve yourself or nest in a larger application (the access checks
    /// are included).
    pub fn router(&self) -> Router {
        let app = self.app.clone();
        Router::new()
            .route("/", get(pages::flows::overview))
            .route("/flows/{flow}", get(pages::flows::flow))
            .route("/flows/{flow}/records", get(pages::activity::record))
            .route("/flows/{flow}/replay", post(pages::quarantine::replay))
            .route("/flows/{flow}/plan", post(pages::plan::plan))
            .route("/runs/{id}", get(pages::run::run))
            .route("/runs/{id}/activity", get(pages::activity::run_activity))
            .route("/quarantine", get(pages::quarantine::list))
            .route("/assets/style.css", get(pages::layout::style))
            .fallback(pages::layout::not_found)
            .layer(axum::middleware::from_fn_with_state(app.clone(), security::guard))
            .with_state(app)
    }

    /// Serves on `addr` (port 0: any free port), after checking that the address is
    /// loopback or a token is set, and starts the alert watcher.
    pub async fn listen(self, addr: SocketAddr) -> Result<Served> {
        self.app.access.check_bind(addr)?;
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|e| Error::config(format!("cannot listen on {addr}: {e}")))?;
        let addr = listener
            .local_addr()
            .map_err(|e| Error::internal(format!("the dashboard's address: {e}")))?;
        let watcher = self.app.alerts.watch(self.app.state.clone());
        let (stop, stopped) = oneshot::channel::<()>();
        let router = self.router();
        let server = tokio::spawn(async move {
            let shutdown = async {
                let _ = stopped.await;
            };
            axum::serve(listener, router)
                .with_graceful_shutdown(shutdown)
                .await
                .map_err(|e| Error::internal(format!("the dashboard's server: {e}")))
        });
        Ok(Served { addr, stop: Some(stop), server, watcher })
    }
}

/// A dashboard being served.
#[derive(Debug)]
pub struct Served {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    server: JoinHandle<Result<()>>,
    watcher: Option<JoinHandle<()>>,
}

impl Served {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its base URL (`http://127.0.0.1:PORT`).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Serves until `shutdown` completes, then stops.
    pub async fn until(mut self, shutdown: impl Future<Output = ()>) -> Result<()> {
        tokio::select! {
            () = shutdown => self.stop().await,
            r = &mut self.server => {
                r.map_err(|e| Error::internal(format!("the dashboard's server: {e}")))?
            }
        }
    }

    /// Serves until the server ends (it does not on its own).
    pub async fn wait(self) -> Result<()> {
        self.until(std::future::pending()).await
    }

    /// Stops serving: open connections finish their requests.
    pub async fn stop(mut self) -> Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(w) = self.watcher.take() {
            w.abort();
        }
        (&mut self.server)
            .await
            .map_err(|e| Error::internal(format!("the dashboard's server: {e}")))?
    }
}
