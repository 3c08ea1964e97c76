//! Keeps a paused tokio clock still while a request is on the wire (tests only).
//!
//! Under `start_paused`, tokio advances the clock to the next timer whenever the runtime is
//! idle, and waiting on a socket counts as idle: against a real server (wiremock) every
//! per-attempt timeout would fire at once. While a hold exists, a blocking task keeps
//! tokio from auto-advancing; it ends when the request completes or after a real-time
//! limit, after which the request counts as hung and the paused clock moves on.
//! Enabled per thread by [`crate::test_util::hold_paused_clock_during_io`]; without the
//! `test-util` feature it compiles to nothing.

#[cfg(any(test, feature = "test-util"))]
mod imp {
    use std::cell::Cell;
    use std::sync::mpsc;
    use std::time::Duration;

    thread_local! {
        static LIMIT: Cell<Option<Duration>> = const { Cell::new(None) };
    }

    /// Releases the clock on drop.
    pub(crate) struct IoHold {
        _release: mpsc::Sender<()>,
    }

    /// Starts a hold if this thread asked for them.
    pub(crate) fn hold() -> Option<IoHold> {
        let limit = LIMIT.with(Cell::get)?;
        let handle = tokio::runtime::Handle::try_current().ok()?;
        let (tx, rx) = mpsc::channel::<()>();
        drop(handle.spawn_blocking(move || {
            let _ = rx.recv_timeout(limit);
        }));
        Some(IoHold { _release: tx })
    }

    /// Sets this thread's real-time limit; returns the previous one.
    pub(crate) fn set_limit(limit: Option<Duration>) -> Option<Duration> {
        LIMIT.with(|l| l.replace(limit))
    }
}

#[cfg(any(test, feature = "test-util"))]
pub(crate) use imp::{hold, set_limit};

/// Without `test-util` there is never a hold (a `Drop` type all the same, so that callers
/// can end a hold with `drop` under every feature set).
#[cfg(not(any(test, feature = "test-util")))]
pub(crate) struct IoHold;

#[cfg(not(any(test, feature = "test-util")))]
impl Drop for IoHold {
    fn drop(&mut self) {}
}

/// Without `test-util` there is never a hold.
#[cfg(not(any(test, feature = "test-util")))]
pub(crate) fn hold() -> Option<IoHold> {
    None
}
