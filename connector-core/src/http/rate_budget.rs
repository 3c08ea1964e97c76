//! A shared request budget per tenant: several windows, a concurrency cap, and feedback
//! from the server's rate-limit headers.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use crate::error::{Error, ErrorKind, Result};

use super::clock;
use super::feedback::RateFeedback;
use super::shared_windows::{SharedWindows, process_windows};

/// One limit of a budget: at most `limit` requests in any `period` (a sliding window).
///
/// A *long* window (a daily allowance) that is spent makes [`RateBudget::acquire`] fail
/// at once with [`ErrorKind::BudgetExhausted`] instead of waiting; a short one waits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    name: Cow<'static, str>,
    limit: u64,
    period: Duration,
    long: bool,
}

impl Window {
    /// The name of per-minute windows (`X-MinLimit-Remaining`, Exact's minutely headers).
    pub const MINUTE: &'static str = "minute";
    /// The name of daily windows (`X-DayLimit-Remaining`, Exact's daily headers,
    /// Salesforce's `api-usage`).
    pub const DAY: &'static str = "day";
    /// The name of app-wide per-minute windows (Xero's `X-AppMinLimit-Remaining`).
    pub const APP_MINUTE: &'static str = "app_minute";

    /// At most `limit` requests in any `period`; a short window.
    pub fn new(name: impl Into<Cow<'static, str>>, limit: u64, period: Duration) -> Self {
        Self { name: name.into(), limit, period, long: false }
    }

    /// `limit` requests per minute, named [`Window::MINUTE`].
    pub fn per_minute(limit: u64) -> Self {
        Self::new(Self::MINUTE, limit, Duration::from_secs(60))
    }

    /// `limit` requests per 24 hours, named [`Window::DAY`], marked long.
    pub fn per_day(limit: u64) -> Self {
        Self::new(Self::DAY, limit, Duration::from_secs(86_400)).long()
    }

    /// A daily window whose allowance only the server knows (it depends on the account's
    /// tier): nothing is counted against an assumed limit, and the remaining count comes
    /// from the server's headers (`X-DayLimit-Remaining`). Named [`Window::DAY`], long.
    pub fn per_day_from_server() -> Self {
        Self::new(Self::DAY, u64::MAX, Duration::from_secs(86_400)).long()
    }

    /// Whether only the server knows the window's limit ([`Window::per_day_from_server`]).
    pub fn limit_from_server(&self) -> bool {
        self.limit == u64::MAX
    }

    /// Marks the window long: when spent, fail with `BudgetExhausted` rather than wait.
    pub fn long(mut self) -> Self {
        self.long = true;
        self
    }

    /// The window's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The most requests allowed in one period.
    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// The period.
    pub fn period(&self) -> Duration {
        self.period
    }

    /// Whether the window is long.
    pub fn is_long(&self) -> bool {
        self.long
    }
}

/// A request budget shared by every client and task of one tenant (or, for an app-wide
/// limit, of the whole app). Clones share state.
///
/// Every request actually sent takes one unit of every window, and a concurrency slot
/// for as long as it is in flight.
#[derive(Clone)]
pub struct RateBudget {
    inner: Arc<Inner>,
}

struct Inner {
    name: Cow<'static, str>,
    semaphore: Option<Arc<Semaphore>>,
    max_concurrency: Option<usize>,
    windows: Mutex<Vec<WindowState>>,
    sent: AtomicU64,
    /// Where other processes count the same budget, and its key there.
    shared: Option<(String, Arc<dyn SharedWindows>)>,
}

/// The sliding log of one window. Requests close together share one entry, stamped with
/// the latest of them, so entries expire late rather than early.
struct WindowState {
    spec: Window,
    log: VecDeque<(Instant, u64)>,
    used: u64,
    granularity: Duration,
    server: Option<ServerView>,
}

/// The server's last word on a window: `remaining` requests until `until`.
struct ServerView {
    remaining: u64,
    until: Instant,
}

/// A concurrency slot, released on drop.
#[derive(Debug)]
pub struct BudgetPermit {
    _slot: Option<OwnedSemaphorePermit>,
}

/// Builds a [`RateBudget`].
#[derive(Debug, Default)]
pub struct RateBudgetBuilder {
    name: Option<Cow<'static, str>>,
    windows: Vec<Window>,
    max_concurrency: Option<usize>,
    shared: Option<(String, Arc<dyn SharedWindows>)>,
}

impl RateBudgetBuilder {
    /// Names the budget in errors and logs (`xero tenant 1234`).
    pub fn name(mut self, name: impl Into<Cow<'static, str>>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Adds a window.
    pub fn window(mut self, window: Window) -> Self {
        self.windows.push(window);
        self
    }

    /// Also counts every request in `windows` under `key`, which every process serving
    /// the same budget shares (see [`SharedWindows`]). The concurrency cap stays per process.
    pub fn shared_through(
        mut self,
        key: impl Into<String>,
        windows: Arc<dyn SharedWindows>,
    ) -> Self {
        self.shared = Some((key.into(), windows));
        self
    }

    /// Caps the requests in flight at once.
    pub fn max_concurrency(mut self, n: usize) -> Self {
        self.max_concurrency = Some(n.max(1));
        self
    }

    /// The budget.
    pub fn build(self) -> RateBudget {
        let windows = self
            .windows
            .into_iter()
            .map(|spec| WindowState {
                granularity: (spec.period / 1024).max(Duration::from_millis(1)),
                spec,
                log: VecDeque::new(),
                used: 0,
                server: None,
            })
            .collect();
        RateBudget {
            inner: Arc::new(Inner {
                name: self.name.unwrap_or(Cow::Borrowed("rate")),
                semaphore: self.max_concurrency.map(|n| Arc::new(Semaphore::new(n))),
                max_concurrency: self.max_concurrency,
                windows: Mutex::new(windows),
                sent: AtomicU64::new(0),
                shared: self.shared,
            }),
        }
    }
}

impl RateBudget {
    /// A builder.
    pub fn builder() -> RateBudgetBuilder {
        RateBudgetBuilder::default()
    }

    /// A budget without limits that still counts requests.
    pub fn unlimited() -> Self {
        Self::builder().build()
    }

    /// The process-wide budget under `key` (a tenant, an app, an org), made with `make` the
    /// first time: every client of the process that serves that key shares it. After
    /// [`share_budgets_through`](super::share_budgets_through), the budgets it makes are
    /// also counted there under `key`, with every other process's.
    pub fn shared(key: &str, make: impl FnOnce() -> RateBudget) -> RateBudget {
        static BUDGETS: std::sync::OnceLock<Mutex<std::collections::HashMap<String, RateBudget>>> =
            std::sync::OnceLock::new();
        let map = BUDGETS.get_or_init(Default::default);
        let mut map = map.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        map.entry(key.to_owned())
            .or_insert_with(|| {
                let budget = make();
                match process_windows() {
                    // A budget `make` already shares somewhere keeps that.
                    Some(windows) if budget.inner.shared.is_none() => {
                        budget.counted_in(key, windows)
                    }
                    _ => budget,
                }
            })
            .clone()
    }

    /// This budget's windows and cap, also counted in `windows` under `key`.
    fn counted_in(self, key: &str, windows: Arc<dyn SharedWindows>) -> RateBudget {
        let specs: Vec<Window> = self.windows().iter().map(|w| w.spec.clone()).collect();
        let mut builder =
            RateBudget::builder().name(self.inner.name.clone()).shared_through(key, windows);
        builder.windows = specs;
        builder.max_concurrency = self.inner.max_concurrency;
        builder.build()
    }

    /// The budget's name.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// How many requests were sent under this budget.
    pub fn requests_sent(&self) -> u64 {
        self.inner.sent.load(Ordering::Relaxed)
    }

    /// Requests left now in the named window, by the stricter of the local count and the
    /// server's last word; `None` if there is no such window.
    pub fn remaining(&self, window: &str) -> Option<u64> {
        let now = Instant::now();
        let mut windows = self.windows();
        let w = windows.iter_mut().find(|w| w.spec.name == window)?;
        w.expire(now);
        Some(w.remaining(now))
    }

    fn windows(&self) -> MutexGuard<'_, Vec<WindowState>> {
        self.inner.windows.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits for a concurrency slot and room in every short window, then counts one request.
    ///
    /// Fails at once with [`ErrorKind::BudgetExhausted`] (with
    /// [`budget_refills_at`](Error::budget_refills_at)) if a long window is spent. Waiting
    /// uses `tokio::time`, so a paused test clock drives it.
    pub async fn acquire(&self) -> Result<BudgetPermit> {
        self.check_long()?;
        let slot = match &self.inner.semaphore {
            Some(s) => Some(
                s.clone()
                    .acquire_owned()
                    .await
                    .map_err(|_| Error::internal("the rate budget was closed"))?,
            ),
            None => None,
        };
        loop {
            let wait = {
                let now = Instant::now();
                let mut windows = self.windows();
                let mut wait = Duration::ZERO;
                for w in windows.iter_mut() {
                    w.expire(now);
                    if let Some(d) = w.wait_needed(now) {
                        if w.spec.long {
                            return Err(self.exhausted(&w.spec, d));
                        }
                        wait = wait.max(d);
                    }
                }
                if wait.is_zero() {
                    windows.iter_mut().for_each(|w| w.record(now));
                    break;
                }
                wait
            };
            tracing::debug!(budget = %self.inner.name, wait_ms = wait.as_millis() as u64, "waiting for the rate budget");
            tokio::time::sleep(wait).await;
        }
        self.take_shared().await?;
        self.inner.sent.fetch_add(1, Ordering::Relaxed);
        Ok(BudgetPermit { _slot: slot })
    }

    /// Counts the request in the shared windows, waiting in each until it fits.
    async fn take_shared(&self) -> Result<()> {
        let Some((key, shared)) = &self.inner.shared else { return Ok(()) };
        let specs: Vec<Window> = self
            .windows()
            .iter()
            // Windows only the server counts, and windows without a limit (0, as the local
            // count reads it), are not shared.
            .filter(|w| !w.spec.limit_from_server() && w.spec.limit > 0)
            .map(|w| w.spec.clone())
            .collect();
        for spec in &specs {
            while let Some(wait) = shared.take(key, spec).await? {
                if spec.long {
                    return Err(self.exhausted(spec, wait));
                }
                tracing::debug!(budget = %self.inner.name, window = spec.name(), wait_ms = wait.as_millis() as u64, "waiting for the fleet's rate budget");
                tokio::time::sleep(wait).await;
            }
        }
        Ok(())
    }

    /// The `BudgetExhausted` error if a long window is spent now.
    pub fn check_long(&self) -> Result<()> {
        let now = Instant::now();
        let mut windows = self.windows();
        for w in windows.iter_mut().filter(|w| w.spec.long) {
            w.expire(now);
            if let Some(d) = w.wait_needed(now) {
                return Err(self.exhausted(&w.spec, d));
            }
        }
        Ok(())
    }

    /// Applies what a response's headers said.
    pub fn apply_feedback(&self, feedback: &RateFeedback) {
        let now = Instant::now();
        let mut windows = self.windows();
        for fb in &feedback.windows {
            let Some(w) = windows.iter_mut().find(|w| w.spec.name == fb.window) else {
                continue;
            };
            if let Some(limit) = fb.limit {
                w.spec.limit = limit;
            }
            if let Some(remaining) = fb.remaining {
                let until = now + fb.resets_in.unwrap_or(w.spec.period).min(w.spec.period);
                w.server = Some(ServerView { remaining, until });
            }
        }
    }

    fn exhausted(&self, w: &Window, wait: Duration) -> Error {
        let refills_at = clock::now_utc() + clock::delta(wait);
        let limit = if w.limit_from_server() {
            format!("as the server counts, per {}", human(w.period))
        } else {
            format!("{} requests per {}", w.limit, human(w.period))
        };
        Error::new(
            ErrorKind::BudgetExhausted,
            format!(
                "the {} budget's {} window ({limit}) is spent; it refills at {}",
                self.inner.name,
                w.name,
                refills_at.format("%Y-%m-%d %H:%M:%S UTC"),
            ),
        )
        .with_budget_refills_at(refills_at)
        .with_retry_after(wait)
    }
}

fn human(d: Duration) -> String {
    match d.as_secs() {
        86_400 => "day".to_owned(),
        3_600 => "hour".to_owned(),
        60 => "minute".to_owned(),
        s => format!("{s} s"),
    }
}

impl WindowState {
    fn expire(&mut self, now: Instant) {
        while let Some(&(last, count)) = self.log.front() {
            if last + self.spec.period > now {
                break;
            }
            self.log.pop_front();
            self.used -= count;
        }
        if self.server.as_ref().is_some_and(|s| s.until <= now) {
            self.server = None;
        }
    }

    fn remaining(&self, now: Instant) -> u64 {
        let local = self.spec.limit.saturating_sub(self.used);
        match &self.server {
            Some(s) if s.until > now => local.min(s.remaining),
            _ => local,
        }
    }

    /// How long until one more request fits, if it does not fit now.
    fn wait_needed(&self, now: Instant) -> Option<Duration> {
        let mut wait = Duration::ZERO;
        if self.used >= self.spec.limit {
            let mut freed = 0;
            let excess = self.used - self.spec.limit + 1;
            for &(last, count) in &self.log {
                freed += count;
                if freed >= excess {
                    wait = (last + self.spec.period).saturating_duration_since(now);
                    break;
                }
            }
        }
        if let Some(s) = &self.server {
            if s.remaining == 0 && s.until > now {
                wait = wait.max(s.until - now);
            }
        }
        (!wait.is_zero()).then_some(wait)
    }

    fn record(&mut self, now: Instant) {
        match self.log.back_mut() {
            Some((last, count)) if now.saturating_duration_since(*last) < self.granularity => {
                *last = now;
                *count += 1;
            }
            _ => self.log.push_back((now, 1)),
        }
        self.used += 1;
        if let Some(s) = &mut self.server {
            s.remaining = s.remaining.saturating_sub(1);
        }
    }
}

impl fmt::Debug for RateBudget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let windows: Vec<Window> = self.windows().iter().map(|w| w.spec.clone()).collect();
        f.debug_struct("RateBudget")
            .field("name", &self.inner.name)
            .field("max_concurrency", &self.inner.max_concurrency)
            .field("windows", &windows)
            .field("requests_sent", &self.requests_sent())
            .field("shared_as", &self.inner.shared.as_ref().map(|(key, _)| key))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::feedback::WindowFeedback;

    /// Two processes' windows in one place: a sliding log per budget and window.
    #[derive(Debug, Default)]
    struct Fleet(Mutex<std::collections::HashMap<(String, String), Vec<Instant>>>);

    #[async_trait::async_trait]
    impl SharedWindows for Fleet {
        async fn take(&self, budget: &str, window: &Window) -> Result<Option<Duration>> {
            let now = Instant::now();
            let mut map = self.0.lock().unwrap();
            let log = map.entry((budget.to_owned(), window.name().to_owned())).or_default();
            log.retain(|at| *at + window.period() > now);
            if (log.len() as u64) < window.limit() {
                log.push(now);
                return Ok(None);
            }
            Ok(Some(log[0] + window.period() - now))
        }
    }

    #[tokio::test(start_paused = true)]
    async fn processes_sharing_windows_stay_within_one_limit_together() {
        let fleet: Arc<dyn SharedWindows> = Arc::new(Fleet::default());
        let process = || {
            RateBudget::builder()
                .window(Window::per_minute(2))
                .window(Window::per_day(3))
                .window(Window::per_day_from_server())
                .shared_through("exact-online:division:1", fleet.clone())
                .build()
        };
        let (a, b) = (process(), process());
        let start = Instant::now();
        a.acquire().await.unwrap();
        b.acquire().await.unwrap();
        assert_eq!(start.elapsed(), Duration::ZERO);
        // Each process alone has room; together the minute is spent.
        b.acquire().await.unwrap();
        assert!(start.elapsed() >= Duration::from_secs(60), "{:?}", start.elapsed());
        // The day is spent fleet-wide: an immediate BudgetExhausted, nothing counted.
        let e = a.acquire().await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::BudgetExhausted);
        assert_eq!((a.requests_sent(), b.requests_sent()), (1, 2));
        assert!(format!("{a:?}").contains("exact-online:division:1"));
    }

    #[tokio::test(start_paused = true)]
    async fn short_window_waits() {
        let b = RateBudget::builder().window(Window::new("s", 2, Duration::from_secs(10))).build();
        let start = Instant::now();
        for _ in 0..5 {
            b.acquire().await.unwrap();
        }
        assert!(start.elapsed() >= Duration::from_secs(20), "{:?}", start.elapsed());
        assert_eq!(b.requests_sent(), 5);
    }

    #[tokio::test(start_paused = true)]
    async fn long_window_fails_fast() {
        let b = RateBudget::builder().window(Window::per_day(2)).build();
        b.acquire().await.unwrap();
        b.acquire().await.unwrap();
        let start = Instant::now();
        let e = b.acquire().await.unwrap_err();
        assert_eq!(start.elapsed(), Duration::ZERO);
        assert_eq!(e.kind(), ErrorKind::BudgetExhausted);
        assert!(e.budget_refills_at().unwrap() > clock::now_utc());
        assert_eq!(b.requests_sent(), 2);
    }

    /// 5 concurrent, 60 a minute, a day as the server counts it (Xero's tenant budget).
    fn tenant_like() -> RateBudget {
        RateBudget::builder()
            .max_concurrency(5)
            .window(Window::per_minute(60))
            .window(Window::per_day_from_server())
            .build()
    }

    #[test]
    fn shared_budgets_are_one_per_key() {
        let a = RateBudget::shared("test:shared:a", || RateBudget::builder().name("a").build());
        let again = RateBudget::shared("test:shared:a", || RateBudget::builder().name("b").build());
        assert_eq!(again.name(), "a");
        let other = RateBudget::shared("test:shared:other", RateBudget::unlimited);
        drop((a, other));
    }

    #[tokio::test(start_paused = true)]
    async fn feedback_tightens_and_limits() {
        let b = tenant_like();
        assert_eq!(b.remaining("minute"), Some(60));
        b.apply_feedback(&RateFeedback {
            windows: vec![
                WindowFeedback::remaining("minute", 1),
                WindowFeedback::remaining("nope", 0),
            ],
        });
        assert_eq!(b.remaining("minute"), Some(1));
        b.acquire().await.unwrap();
        assert_eq!(b.remaining("minute"), Some(0));
        let start = Instant::now();
        b.acquire().await.unwrap();
        assert!(start.elapsed() >= Duration::from_secs(59), "{:?}", start.elapsed());
        b.apply_feedback(&RateFeedback {
            windows: vec![
                WindowFeedback::remaining("day", 0).with_reset(Duration::from_secs(3600)),
            ],
        });
        let e = b.acquire().await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::BudgetExhausted);
        assert_eq!(e.retry_after(), Some(Duration::from_secs(3600)));
        assert!(e.message().contains("as the server counts"), "{}", e.message());
        let sf = RateBudget::builder().window(Window::per_day(u64::MAX)).build();
        sf.apply_feedback(&RateFeedback {
            windows: vec![WindowFeedback::remaining("day", 0).with_limit(5000)],
        });
        assert_eq!(sf.acquire().await.unwrap_err().kind(), ErrorKind::BudgetExhausted);
        assert!(format!("{sf:?}").contains("5000"));
    }

    #[tokio::test(start_paused = true)]
    async fn a_server_day_counts_nothing_of_its_own_until_the_server_says() {
        let b = tenant_like();
        assert_eq!(b.remaining("day"), Some(u64::MAX), "no assumed 5,000");
        // A Starter-tier organisation: 1,000 a day, 2 left.
        b.apply_feedback(&RateFeedback { windows: vec![WindowFeedback::remaining("day", 2)] });
        b.acquire().await.unwrap();
        b.acquire().await.unwrap();
        assert_eq!(b.acquire().await.unwrap_err().kind(), ErrorKind::BudgetExhausted);
    }

    #[tokio::test(start_paused = true)]
    async fn concurrency_cap() {
        let b = RateBudget::builder().max_concurrency(2).build();
        let p1 = b.acquire().await.unwrap();
        let _p2 = b.acquire().await.unwrap();
        let third = tokio::time::timeout(Duration::from_secs(1), b.acquire()).await;
        assert!(third.is_err());
        drop(p1);
        b.acquire().await.unwrap();
    }
}
