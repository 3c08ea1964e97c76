//! Helpers for tests: capture `tracing` output and keep a paused clock still during real
//! network I/O. The contract suites and the simulator kit are in `connector-testkit`.

use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tracing_subscriber::fmt::MakeWriter;

/// Captures every `tracing` event (all levels, this thread) into a buffer while it lives.
///
/// ```
/// let logs = connector_core::test_util::capture_tracing();
/// tracing::debug!(answer = 42, "hello");
/// assert!(logs.contents().contains("hello"));
/// ```
#[must_use = "capture stops when the value is dropped"]
pub struct TracingCapture {
    buffer: Arc<Mutex<Vec<u8>>>,
    _guard: tracing::subscriber::DefaultGuard,
}

impl TracingCapture {
    /// Everything captured so far.
    pub fn contents(&self) -> String {
        String::from_utf8_lossy(&self.buffer.lock().unwrap_or_else(|p| p.into_inner())).into_owned()
    }

    /// Whether the captured output contains `needle`.
    pub fn contains(&self, needle: &str) -> bool {
        self.contents().contains(needle)
    }
}

impl std::fmt::Debug for TracingCapture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TracingCapture").finish_non_exhaustive()
    }
}

/// Starts capturing `tracing` output of this thread (which, with `#[tokio::test]`'s
/// single-threaded runtime, is every task of the test).
pub fn capture_tracing() -> TracingCapture {
    let buffer = Arc::new(Mutex::new(Vec::new()));
    let writer = SharedWriter(buffer.clone());
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(writer)
        .finish();
    TracingCapture { buffer, _guard: tracing::subscriber::set_default(subscriber) }
}

#[derive(Clone)]
struct SharedWriter(Arc<Mutex<Vec<u8>>>);

impl io::Write for SharedWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for SharedWriter {
    type Writer = SharedWriter;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// Keeps a paused tokio clock from jumping while an HTTP request of this thread is on the
/// wire, for up to `hung_after` of real time; a request still unanswered by then counts as
/// hung and the clock moves on (so timeouts fire). Restores the previous setting on drop.
///
/// Needed with `#[tokio::test(start_paused = true)]` against a real socket (wiremock, a
/// simulator): tokio auto-advances a paused clock whenever the runtime waits, I/O included,
/// which would fire every per-attempt timeout at once.
pub fn hold_paused_clock_during_io(hung_after: Duration) -> PausedClockIo {
    PausedClockIo { previous: crate::http::set_io_hold_limit(Some(hung_after)) }
}

/// Restores the previous I/O hold setting when dropped.
#[derive(Debug)]
#[must_use = "the hold ends when the value is dropped"]
pub struct PausedClockIo {
    previous: Option<Duration>,
}

impl Drop for PausedClockIo {
    fn drop(&mut self) {
        crate::http::set_io_hold_limit(self.previous);
    }
}
