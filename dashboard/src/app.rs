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

use crate::alerts::{Alert, Alerts};
use crate::pages;
use crate::runner::FlowRunner;
use crate::security::{self, Access};

/// What every handler shares.
pub(crate) struct App {
    pub(crate) state: Arc<dyn StateStore>,
    pub(crate) runner: Option<Arc<dyn FlowRunner>>,
    pub(crate) access: Access,
    pub(crate) alerts: Alerts,
    /// Flows with a replay or plan under way.
    pub(crate) busy: std::sync::Mutex<std::collections::HashSet<String>>,
    /// The banner's alerts and when they were computed.
    banner: std::sync::Mutex<Option<(std::time::Instant, Vec<Alert>)>>,
}

/// How long every page reuses the banner's alerts before they are computed again (they
/// read the latest runs and each flow's quarantine).
const BANNER_FRESH: std::time::Duration = std::time::Duration::from_secs(5);

impl App {
    /// The alerts for the banner, computed at most every [`BANNER_FRESH`]; none when the
    /// state cannot be read (the page itself then says so).
    pub(crate) async fn banner(&self) -> Vec<Alert> {
        let lock = || self.banner.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((at, alerts)) = &*lock() {
            if at.elapsed() < BANNER_FRESH {
                return alerts.clone();
            }
        }
        let alerts = self.alerts.current(self.state.as_ref()).await.unwrap_or_default();
        *lock() = Some((std::time::Instant::now(), alerts.clone()));
        alerts
    }
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
                busy: Default::default(),
                banner: Default::default(),
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

    /// The routes, to serve yourself (the access checks are included). They expect to be
    /// served at the root, and without a token they answer only requests whose peer address
    /// is known to be loopback: serve them with
    /// `into_make_service_with_connect_info::<SocketAddr>()`. The webhook's watcher runs
    /// only under [`listen`](Self::listen).
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
            let service = router.into_make_service_with_connect_info::<SocketAddr>();
            axum::serve(listener, service)
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
                self.abort_watcher();
                r.map_err(|e| Error::internal(format!("the dashboard's server: {e}")))?
            }
        }
    }

    /// Serves until the server ends (it does not on its own).
    pub async fn wait(self) -> Result<()> {
        self.until(std::future::pending()).await
    }

    fn abort_watcher(&mut self) {
        if let Some(w) = self.watcher.take() {
            w.abort();
        }
    }

    /// Stops serving: open connections may finish their requests for up to
    /// [`GRACE`]; then the server is stopped. A replay under way goes on in its own task.
    pub async fn stop(mut self) -> Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.abort_watcher();
        match tokio::time::timeout(GRACE, &mut self.server).await {
            Ok(r) => r.map_err(|e| Error::internal(format!("the dashboard's server: {e}")))?,
            Err(_) => {
                self.server.abort();
                Ok(())
            }
        }
    }
}

/// How long [`Served::stop`] lets open requests finish.
pub const GRACE: std::time::Duration = std::time::Duration::from_secs(10);

impl Drop for Served {
    /// A dashboard dropped without `stop` stops at once.
    fn drop(&mut self) {
        self.abort_watcher();
        self.server.abort();
    }
}
