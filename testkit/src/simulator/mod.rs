//! The simulator kit: what every connector's API simulator shares.
//!
//! A connector crate builds a stateful simulator of its system's API from these pieces, and
//! users test their own flows against it with no network and no credentials:
//!
//! - [`SimServer`]: an in-process HTTP/1.1 server on `127.0.0.1` serving a [`SimHandler`];
//! - [`SimRequest`] and [`SimResponse`]: what a handler reads and returns (raw JSON welcome);
//! - [`Router`]: `{param}` routes with JSON 404 and 405 answers;
//! - [`SimStore`] and [`Collection`]: records as JSON with row versions, `updated_at` stamps
//!   from a [`SimClock`], tombstones and paging;
//! - [`RateLimiter`]: the system's windows and concurrency cap, answered with the system's own
//!   429;
//! - [`Faults`]: 5xx, 429 storms, slow, hung and dropped responses, malformed bodies and token
//!   expiry, switched on and off while a test runs;
//! - [`TokenIssuer`]: bearer and refresh tokens with lifetimes and rotation;
//! - [`JwtVerifier`]: RS256 JWT bearer assertions checked against a registered public key;
//! - [`Journal`]: every request and its status, for assertions;
//! - [`ApiSpec`]: a vendor API's description, derived from its published spec, that the
//!   server holds requests and answers to ([`spec`]).
//!
//! Time comes from tokio, so a test with a paused clock runs rate-limit windows, token
//! lifetimes and slow responses in milliseconds.
//!
//! ```no_run
//! use connector_testkit::simulator::{Router, SimResponse, SimServer};
//! use serde_json::json;
//!
//! # async fn demo() -> std::io::Result<()> {
//! let router = Router::new().get("/api/v1/{division}/crm/Accounts", |_req, params| async move {
//!     let division = params.get("division").unwrap_or_default().to_owned();
//!     SimResponse::json(200, json!({ "d": { "results": [], "division": division } }))
//! });
//! let server = SimServer::start(router).await?;
//! let url = format!("{}/api/v1/42/crm/Accounts", server.base_url());
//! // ... point the client under test at `url`, then:
//! assert_eq!(server.journal().count_status(429), 0);
//! server.shutdown().await;
//! # Ok(()) }
//! ```

mod clock;
mod faults;
mod folder;
mod handler;
mod journal;
mod jwt;
mod paging;
mod rate_limit;
mod request;
mod response;
mod router;
mod server;
pub mod spec;
mod store;
mod tokens;

pub use clock::SimClock;
pub use faults::{Fault, FaultId, FaultRule, Faults, Malform};
pub use folder::FolderSimulator;
pub use handler::SimHandler;
pub use journal::{Journal, JournalEntry};
pub use jwt::{JwtRejection, JwtVerifier};
pub use paging::{Page, PageBase};
pub use rate_limit::{
    RateLimitHit, RateLimitSnapshot, RateLimiter, RateLimiterBuilder, WindowStatus,
};
pub use request::{SimRequest, percent_decode};
pub use response::SimResponse;
pub use router::{Params, RouteHandler, Router};
pub use server::{SimServer, SimServerBuilder, SpecRefusal};
pub use spec::ApiSpec;
pub use store::{
    Collection, CollectionOptions, Record, RecordMeta, Select, SimStore, StoreError, Tombstone,
    Upserted,
};
pub use tokens::{IssuedTokens, TokenError, TokenIssuer, TokenStats};

pub use bytes::Bytes;
pub use hyper::header::{HeaderMap, HeaderName, HeaderValue};
pub use hyper::{Method, StatusCode};

use std::sync::{Mutex, MutexGuard, PoisonError};

/// Locks a mutex, carrying on with the data if another thread panicked while holding it: the
/// simulator's state stays usable for the rest of a test.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A header pair from text, or `None` (with a warning) when either part is not valid HTTP.
pub(crate) fn header_pair(name: &str, value: &str) -> Option<(HeaderName, HeaderValue)> {
    match (HeaderName::try_from(name), HeaderValue::try_from(value)) {
        (Ok(n), Ok(v)) => Some((n, v)),
        _ => {
            tracing::warn!(header = name, "simulator: ignoring an invalid header");
            None
        }
    }
}
