//! Rate windows counted where every process that serves a budget sees them, so a fleet of
//! workers stays within one tenant's limits together rather than each within its own.

use std::fmt;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use async_trait::async_trait;

use crate::error::Result;

use super::rate_budget::Window;

/// A count of a budget's requests per window, kept outside the process (a database row),
/// shared by every process that serves the budget.
///
/// [`RateBudget::acquire`](super::RateBudget::acquire) asks it after the process's own
/// count allows a request: the request goes out only when both agree. Windows whose limit
/// only the server knows ([`Window::per_day_from_server`]) are not counted here.
#[async_trait]
pub trait SharedWindows: Send + Sync + fmt::Debug {
    /// Counts one request of `budget` against `window` if it fits the window's limit now,
    /// and answers `None`; otherwise counts nothing and answers how long until it may fit.
    async fn take(&self, budget: &str, window: &Window) -> Result<Option<Duration>>;
}

static PROCESS_WINDOWS: RwLock<Option<Arc<dyn SharedWindows>>> = RwLock::new(None);

/// Makes every budget that [`RateBudget::shared`](super::RateBudget::shared) creates from
/// now on also count through `windows`, under the budget's key: a fleet's worker calls this
/// once at start, so connectors need no change to share their tenants' budgets.
pub fn share_budgets_through(windows: Arc<dyn SharedWindows>) {
    *PROCESS_WINDOWS.write().unwrap_or_else(PoisonError::into_inner) = Some(windows);
}

/// What [`share_budgets_through`] installed, if anything.
pub(crate) fn process_windows() -> Option<Arc<dyn SharedWindows>> {
    PROCESS_WINDOWS.read().unwrap_or_else(PoisonError::into_inner).clone()
}
