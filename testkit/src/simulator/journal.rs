//! [`Journal`]: every request a simulator received and how it was answered.

use std::collections::HashSet;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use hyper::Method;
use hyper::header::HeaderMap;
use tokio::time::Instant;

use super::spec::Violation;
use super::{SimRequest, lock};

/// Method, path, query and body of a request.
type Call<'a> = (&'a Method, &'a str, &'a [(String, String)], &'a [u8]);

/// One request and its outcome.
#[derive(Debug, Clone)]
pub struct JournalEntry {
    /// The method.
    pub method: Method,
    /// The path, as sent.
    pub path: String,
    /// The decoded query pairs.
    pub query: Vec<(String, String)>,
    /// The request headers.
    pub headers: HeaderMap,
    /// The request body.
    pub body: Bytes,
    /// The status answered; `None` when no answer was sent (a dropped connection, or the
    /// client gave up while the request hung).
    pub status: Option<u16>,
    /// When the request arrived, on tokio's clock.
    pub at: Instant,
    /// How long it took to answer (or to give up).
    pub elapsed: Duration,
    /// How the request, and the answer, broke the server's API description (empty when the
    /// server has none: [`SimServerBuilder::spec`](super::SimServerBuilder::spec)).
    pub spec_violations: Vec<Violation>,
}

impl JournalEntry {
    pub(crate) fn new(req: &SimRequest, at: Instant) -> Self {
        JournalEntry {
            method: req.method.clone(),
            path: req.path.clone(),
            query: req.query.clone(),
            headers: req.headers.clone(),
            body: req.body.clone(),
            status: None,
            at,
            elapsed: Duration::ZERO,
            spec_violations: Vec::new(),
        }
    }

    /// The first value of query parameter `name`.
    pub fn query(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The first value of request header `name`.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Whether the answer was a 4xx.
    pub fn is_client_error(&self) -> bool {
        self.status.is_some_and(|s| (400..500).contains(&s))
    }

    /// Whether the answer was a 5xx.
    pub fn is_server_error(&self) -> bool {
        self.status.is_some_and(|s| s >= 500)
    }

    /// Method, path, query and body: what makes two requests "the same call".
    fn call(&self) -> Call<'_> {
        (&self.method, &self.path, &self.query, &self.body)
    }
}

/// The record of requests, in arrival order of their answers. Cheap to clone; clones share
/// the entries.
#[derive(Clone, Default)]
pub struct Journal {
    entries: Arc<Mutex<Vec<JournalEntry>>>,
}

impl fmt::Debug for Journal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Journal").field("entries", &self.len()).finish()
    }
}

impl Journal {
    /// An empty journal.
    pub fn new() -> Self {
        Self::default()
    }

    pub(crate) fn record(&self, entry: JournalEntry) {
        lock(&self.entries).push(entry);
    }

    /// A copy of every entry.
    pub fn entries(&self) -> Vec<JournalEntry> {
        lock(&self.entries).clone()
    }

    /// How many requests were recorded.
    pub fn len(&self) -> usize {
        lock(&self.entries).len()
    }

    /// Whether no request was recorded.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forgets every entry.
    pub fn clear(&self) {
        lock(&self.entries).clear();
    }

    /// How many entries satisfy `pred`.
    pub fn count(&self, pred: impl Fn(&JournalEntry) -> bool) -> usize {
        lock(&self.entries).iter().filter(|e| pred(e)).count()
    }

    /// Every breach of the server's API description, one line each
    /// (`POST /api/invoices: request body.foo: …`), requests and responses alike: what a test
    /// asserts is empty.
    pub fn spec_violations(&self) -> Vec<String> {
        lock(&self.entries)
            .iter()
            .flat_map(|e| {
                e.spec_violations.iter().map(move |v| format!("{} {}: {v}", e.method, e.path))
            })
            .collect()
    }

    /// How many requests were answered with `status`.
    pub fn count_status(&self, status: u16) -> usize {
        self.count(|e| e.status == Some(status))
    }

    /// How many requests got no answer (dropped, or abandoned while hanging).
    pub fn count_unanswered(&self) -> usize {
        self.count(|e| e.status.is_none())
    }

    /// How many requests were answered with a 4xx.
    pub fn count_client_errors(&self) -> usize {
        self.count(JournalEntry::is_client_error)
    }

    /// How many requests were answered with a 5xx.
    pub fn count_server_errors(&self) -> usize {
        self.count(JournalEntry::is_server_error)
    }

    /// How many requests had exactly this path.
    pub fn count_path(&self, path: &str) -> usize {
        self.count(|e| e.path == path)
    }

    /// How many requests had this method and exactly this path (`"POST", "/connect/token"`).
    pub fn count_call(&self, method: &str, path: &str) -> usize {
        self.count(|e| e.method.as_str().eq_ignore_ascii_case(method) && e.path == path)
    }

    /// The requests that repeated a call (same method, path, query and body) that had been
    /// answered with a 4xx: a client that retries client errors (on Exact, ten an hour block
    /// the key). Two POSTs of different records to one path are two calls, not a repeat.
    pub fn retried_client_errors(&self) -> Vec<JournalEntry> {
        self.retried_client_errors_except(&[])
    }

    /// As [`retried_client_errors`](Self::retried_client_errors), leaving out repeats of
    /// calls answered with one of `allowed` (e.g. `429`, which a client may wait out and
    /// send again; a `401` sent again with renewed credentials).
    pub fn retried_client_errors_except(&self, allowed: &[u16]) -> Vec<JournalEntry> {
        let entries = lock(&self.entries);
        let mut failed: HashSet<Call<'_>> = HashSet::new();
        let mut repeats = Vec::new();
        for entry in entries.iter() {
            if failed.contains(&entry.call()) {
                repeats.push(entry.clone());
            }
            if entry.is_client_error() && !entry.status.is_some_and(|s| allowed.contains(&s)) {
                failed.insert(entry.call());
            }
        }
        repeats
    }
}

/// Records a request when dropped, so a request abandoned mid-way is recorded too.
pub(crate) struct Pending {
    journal: Journal,
    entry: Option<JournalEntry>,
}

impl Pending {
    pub(crate) fn new(journal: Journal, entry: JournalEntry) -> Self {
        Pending { journal, entry: Some(entry) }
    }

    /// Records the answer's status, and how the exchange broke the API description, now.
    pub(crate) fn finish(mut self, status: Option<u16>, violations: Vec<Violation>) {
        if let Some(mut entry) = self.entry.take() {
            entry.status = status;
            entry.spec_violations = violations;
            entry.elapsed = entry.at.elapsed();
            self.journal.record(entry);
        }
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if let Some(mut entry) = self.entry.take() {
            entry.elapsed = entry.at.elapsed();
            self.journal.record(entry);
        }
    }
}
