//! [`SimServer`]: an in-process HTTP/1.1 server for simulators.

use std::fmt;
use std::future::Future;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;

use super::journal::Pending;
use super::rate_limit::Admission;
use super::spec::{ApiSpec, Violation};
use super::{Faults, Journal, JournalEntry, RateLimiter, SimHandler, SimRequest, SimResponse};

/// How a simulator answers a request that breaks its API description: the vendor's status
/// and error body for these violations, or `None` to let the handler answer as the vendor
/// does when it ignores them (an unknown query parameter, say).
pub type SpecRefusal = Arc<dyn Fn(&SimRequest, &[Violation]) -> Option<SimResponse> + Send + Sync>;

/// An API description and the answer to a request that breaks it.
#[derive(Clone)]
struct SpecGuard {
    spec: Arc<ApiSpec>,
    refuse: SpecRefusal,
}

/// Configures a [`SimServer`]: where it listens and the faults, journal and rate limits it
/// shares with the caller.
pub struct SimServerBuilder {
    handler: Arc<dyn SimHandler>,
    addr: SocketAddr,
    faults: Faults,
    journal: Journal,
    limiter: Option<RateLimiter>,
    spec: Option<SpecGuard>,
    grace: Duration,
}

impl fmt::Debug for SimServerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimServerBuilder")
            .field("addr", &self.addr)
            .field("limiter", &self.limiter)
            .field("grace", &self.grace)
            .finish_non_exhaustive()
    }
}

impl SimServerBuilder {
    /// Listens on `127.0.0.1:port` (the default, port 0, picks a free port).
    #[must_use]
    pub fn port(mut self, port: u16) -> Self {
        self.addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        self
    }

    /// Listens on `addr`.
    #[must_use]
    pub fn addr(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }

    /// Uses these faults (share them with a [`TokenIssuer`](super::TokenIssuer) made before
    /// the server); by default the server has its own.
    #[must_use]
    pub fn faults(mut self, faults: Faults) -> Self {
        self.faults = faults;
        self
    }

    /// Records into this journal; by default the server has its own.
    #[must_use]
    pub fn journal(mut self, journal: Journal) -> Self {
        self.journal = journal;
        self
    }

    /// Enforces these rate limits before faults and the handler.
    #[must_use]
    pub fn rate_limiter(mut self, limiter: RateLimiter) -> Self {
        self.limiter = Some(limiter);
        self
    }

    /// Holds every exchange to the vendor's API description: a request that breaks it is
    /// answered by `refuse` (the vendor's status and error body) and never reaches the
    /// handler, unless `refuse` answers `None` (the vendor ignores what is wrong: the handler
    /// answers); an answer (the handler's or the refusal) that breaks it is sent as it is.
    /// Every breach is recorded in the journal ([`JournalEntry::spec_violations`]). Answers
    /// made by faults are not checked.
    #[must_use]
    pub fn spec(
        mut self,
        spec: Arc<ApiSpec>,
        refuse: impl Fn(&SimRequest, &[Violation]) -> Option<SimResponse> + Send + Sync + 'static,
    ) -> Self {
        self.spec = Some(SpecGuard { spec, refuse: Arc::new(refuse) });
        self
    }

    /// How long a shutdown waits for requests in flight before closing their connections
    /// (default 1 s).
    #[must_use]
    pub fn shutdown_grace(mut self, grace: Duration) -> Self {
        self.grace = grace;
        self
    }

    /// Binds and starts serving on a tokio task.
    pub async fn start(self) -> io::Result<SimServer> {
        let listener = TcpListener::bind(self.addr).await?;
        let addr = listener.local_addr()?;
        let (shutdown, watcher) = watch::channel(false);
        let shared = Arc::new(Shared {
            handler: self.handler,
            faults: self.faults.clone(),
            journal: self.journal.clone(),
            limiter: self.limiter.clone(),
            spec: self.spec,
            shutdown: watcher.clone(),
        });
        let task = tokio::spawn(accept_loop(listener, shared, watcher, self.grace));
        tracing::debug!(%addr, "simulator listening");
        Ok(SimServer {
            addr,
            shutdown,
            task: Some(task),
            faults: self.faults,
            journal: self.journal,
            limiter: self.limiter,
        })
    }
}

/// An HTTP/1.1 server on a local port, serving a [`SimHandler`] with rate limits, faults and
/// a journal. Each connection is served on its own tokio task. Dropping the server stops it
/// (without waiting); [`SimServer::shutdown`] stops it and waits.
///
/// A request goes through: the rate limiter (429 when over), the faults that act before the
/// handler (drop, hang, delay, a replacement answer), the handler, the faults that act after
/// it (malformed bodies, uncertain writes), the limiter's "remaining" headers; then it is
/// recorded in the journal.
pub struct SimServer {
    addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
    faults: Faults,
    journal: Journal,
    limiter: Option<RateLimiter>,
}

impl fmt::Debug for SimServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimServer").field("addr", &self.addr).finish_non_exhaustive()
    }
}

impl SimServer {
    /// A builder for a server answering with `handler`.
    pub fn builder(handler: impl SimHandler + 'static) -> SimServerBuilder {
        Self::builder_shared(Arc::new(handler))
    }

    /// A builder for a server answering with a shared handler.
    pub fn builder_shared(handler: Arc<dyn SimHandler>) -> SimServerBuilder {
        SimServerBuilder {
            handler,
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            faults: Faults::new(),
            journal: Journal::new(),
            limiter: None,
            spec: None,
            grace: Duration::from_secs(1),
        }
    }

    /// Starts a server for `handler` on a free local port, with no rate limits.
    pub async fn start(handler: impl SimHandler + 'static) -> io::Result<SimServer> {
        Self::builder(handler).start().await
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>`, without a trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The base URL joined with `path` (`/api/v1/42/crm/Accounts`).
    pub fn url(&self, path: &str) -> String {
        format!("http://{}/{}", self.addr, path.trim_start_matches('/'))
    }

    /// The fault switchboard.
    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// The request journal.
    pub fn journal(&self) -> &Journal {
        &self.journal
    }

    /// The rate limiter, if one was configured.
    pub fn rate_limiter(&self) -> Option<&RateLimiter> {
        self.limiter.as_ref()
    }

    /// Stops accepting, lets requests in flight finish (hung ones are dropped, slow ones get
    /// the grace period), and waits until every connection is closed.
    pub async fn shutdown(mut self) {
        self.shutdown.send_replace(true);
        if let Some(task) = self.task.take() {
            if let Err(e) = task.await {
                tracing::warn!(error = %e, "simulator task failed");
            }
        }
    }

    /// Serves until `signal` completes, then shuts down. `run_until(std::future::pending())`
    /// serves forever.
    pub async fn run_until(self, signal: impl Future<Output = ()>) {
        signal.await;
        self.shutdown().await;
    }

    /// Serves until Ctrl-C (for a CLI's `simulate <system> --port N`), then shuts down.
    pub async fn run_until_ctrl_c(self) -> io::Result<()> {
        let result = tokio::signal::ctrl_c().await;
        self.shutdown().await;
        result
    }
}

impl Drop for SimServer {
    fn drop(&mut self) {
        self.shutdown.send_replace(true);
    }
}

/// What every connection task shares.
struct Shared {
    handler: Arc<dyn SimHandler>,
    faults: Faults,
    journal: Journal,
    limiter: Option<RateLimiter>,
    spec: Option<SpecGuard>,
    shutdown: watch::Receiver<bool>,
}

/// Returned by the service to make hyper close the connection without an answer.
#[derive(Debug)]
struct DropConnection;

impl fmt::Display for DropConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connection dropped by the simulator")
    }
}

impl std::error::Error for DropConnection {}

/// Completes once shutdown is signalled (or the server is gone).
async fn stopped(shutdown: &mut watch::Receiver<bool>) {
    // Err means the sender is gone: the server was dropped, so stop as well.
    let _ = shutdown.wait_for(|stop| *stop).await;
}

async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
    grace: Duration,
) {
    let mut connections = JoinSet::new();
    let for_connections = shutdown.clone();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    connections.spawn(serve_connection(
                        stream,
                        Arc::clone(&shared),
                        for_connections.clone(),
                    ));
                }
                Err(e) => {
                    tracing::warn!(error = %e, "simulator accept failed");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            () = stopped(&mut shutdown) => break,
        }
    }
    drop(listener);
    let drain = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout(grace, drain).await.is_err() {
        connections.shutdown().await;
    }
}

async fn serve_connection(
    stream: TcpStream,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    let service = service_fn(move |req| Arc::clone(&shared).serve(req));
    let conn = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    tokio::select! {
        result = conn.as_mut() => {
            if let Err(e) = result {
                tracing::debug!(error = %e, "simulator connection closed");
            }
            return;
        }
        () = stopped(&mut shutdown) => {}
    }
    conn.as_mut().graceful_shutdown();
    if let Err(e) = conn.await {
        tracing::debug!(error = %e, "simulator connection closed during shutdown");
    }
}

impl Shared {
    async fn serve(
        self: Arc<Self>,
        req: Request<Incoming>,
    ) -> Result<Response<Full<Bytes>>, DropConnection> {
        let at = Instant::now();
        let (parts, body) = req.into_parts();
        let body = body.collect().await.map_err(|_| DropConnection)?.to_bytes();
        let target = parts.uri.path_and_query().map_or("/", |pq| pq.as_str());
        let mut req = SimRequest::new(parts.method, target);
        req.headers = parts.headers;
        req.body = body;
        let pending = Pending::new(self.journal.clone(), JournalEntry::new(&req, at));
        let mut violations = Vec::new();
        match self.respond(req, &mut violations).await {
            Some(answer) => {
                pending.finish(Some(answer.status()), violations);
                let mut response = Response::new(Full::new(answer.body));
                *response.status_mut() = answer.status;
                *response.headers_mut() = answer.headers;
                Ok(response)
            }
            None => {
                pending.finish(None, violations);
                Err(DropConnection)
            }
        }
    }

    /// The answer to `req`, or `None` to drop the connection. Breaches of the API
    /// description go to `violations`.
    async fn respond(
        &self,
        req: SimRequest,
        violations: &mut Vec<Violation>,
    ) -> Option<SimResponse> {
        let permit = match self.limiter.as_ref().map(|l| l.admit(&req)) {
            None | Some(Admission::Exempt) => None,
            Some(Admission::Admitted(permit)) => Some(permit),
            Some(Admission::Refused(answer)) => return Some(answer),
        };
        let plan = self.faults.before(&req);
        if plan.drop {
            return None;
        }
        for (id, limit) in plan.hangs {
            let mut shutdown = self.shutdown.clone();
            tokio::select! {
                () = self.faults.hang_on(id, limit) => {}
                () = stopped(&mut shutdown) => return None,
            }
        }
        if !plan.delay.is_zero() {
            tokio::time::sleep(plan.delay).await;
        }
        let answer = match plan.respond {
            Some(answer) => answer,
            None => {
                let (method, path) = (req.method.clone(), req.path.clone());
                let answer = match &self.spec {
                    Some(guard) => {
                        violations.extend(guard.spec.check_request(&req));
                        let refusal = if violations.is_empty() {
                            None
                        } else {
                            (guard.refuse)(&req, violations)
                        };
                        let answer = match refusal {
                            Some(answer) => answer,
                            None => self.handler.handle(req).await,
                        };
                        violations.extend(guard.spec.check_response(
                            method.as_str(),
                            &path,
                            answer.status(),
                            &answer.body,
                        ));
                        answer
                    }
                    None => self.handler.handle(req).await,
                };
                self.faults.after(&method, &path, answer)?
            }
        };
        Some(match &permit {
            Some(permit) => permit.decorate(answer),
            None => answer,
        })
    }
}
