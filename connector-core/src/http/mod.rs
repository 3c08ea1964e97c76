//! The HTTP layer every connector uses.
//!
//! An [`HttpClient`] sends each request through one pipeline, outermost first:
//!
//! 1. **total deadline**: the whole call, retries and waits included;
//! 2. **retry** ([`RetryPolicy`]): exponential backoff with full jitter, honouring
//!    `Retry-After`, and only for what is safe to send twice;
//! 3. **rate budget** ([`RateBudget`]): sliding windows and a concurrency cap per tenant,
//!    fed by the server's rate-limit headers ([`RateFeedback`]) and, across processes, counted
//!    in [`SharedWindows`] too; a spent daily window is an immediate
//!    [`BudgetExhausted`](crate::ErrorKind::BudgetExhausted) error;
//! 4. **auth** ([`Auth`]): header sets, bearer tokens, [`OAuth2`] (client credentials,
//!    refresh tokens, or JWT bearer assertions from an [`AssertionSigner`]) with single-flight,
//!    persisted-before-use refresh; a `401` renews the credentials and resends once;
//! 5. **per-attempt timeout**;
//! 6. **transport** (reqwest with rustls).
//!
//! Non-2xx answers become an [`Error`](crate::Error) whose kind is mapped from the status by
//! [`ErrorKind::from_status`](crate::ErrorKind::from_status), then refined by the
//! connector's [`ErrorRefiner`]. [`paginate`] turns the four listing styles into lazy
//! streams and [`dates`] parses every wire format of the supported systems.
//!
//! Secrets never reach a log line, an error or a `Debug` output: credentials are
//! [`SecretString`](secrecy::SecretString)s, logged URLs go through [`redact_url`], and
//! error bodies through [`body_excerpt`]. Each attempt is logged at `debug` with the
//! method, the redacted URL, the status, the attempt number and the elapsed time.
//!
//! Every client counts its traffic ([`stats`]): calls, retries, `429`s, bytes and time
//! waited, per connector and per measured run.
//!
//! All waiting uses `tokio::time`, so tests run on a paused clock in milliseconds (see
//! `test_util::hold_paused_clock_during_io` for tests against a real socket).

mod auth;
mod client;
mod clock;
pub mod dates;
mod feedback;
mod file_token_store;
mod io_hold;
mod jwt;
mod oauth;
pub mod paginate;
mod rate_budget;
mod redact;
mod request;
mod retry;
mod shared_windows;
mod state_token_store;
pub mod stats;
mod token;
mod token_endpoint;

pub use auth::{Auth, AuthGeneration, AuthTarget, BearerToken, HeaderAuth, NoAuth};
pub use client::{
    ErrorRefiner, FeedbackParser, HttpClient, HttpClientBuilder, default_status_error,
};
pub use clock::{now_utc, until};
pub use feedback::{RateFeedback, WindowFeedback, header_str, header_u64};
pub use file_token_store::FileTokenStore;
pub use jwt::{AssertionSigner, JWT_BEARER_GRANT, Jws, JwtClaims, RsaJwtSigner, pem_decode};
pub use oauth::{Grant, OAuth2, OAuth2Builder};
pub use rate_budget::{BudgetPermit, RateBudget, RateBudgetBuilder, Window};
pub use redact::{
    REDACTED, body_excerpt, is_sensitive_header, is_sensitive_name, redact_headers, redact_json,
    redact_url,
};
pub use request::{RequestBuilder, Response};
pub use retry::{RetryPolicy, parse_retry_after};
pub use shared_windows::{SharedWindows, share_budgets_through};
pub use state_token_store::StateTokenStore;
pub use token::{MemoryTokenStore, TokenSet, TokenStore};
pub use token_endpoint::{ClientAuthMethod, TokenEndpoint, TokenResponse};

pub use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
pub use reqwest::{Method, Url};

#[cfg(any(test, feature = "test-util"))]
pub(crate) use io_hold::set_limit as set_io_hold_limit;
