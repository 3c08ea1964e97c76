//! HTTP layer tests (wiremock, paused clock).
//!
//! Time-dependent tests run with `start_paused = true` and
//! [`hold_paused_clock_during_io`](connector_core::test_util::hold_paused_clock_during_io),
//! so delays are measured on tokio's clock and the tests take milliseconds.

mod auth;
mod budget;
mod client;
mod paginate;
mod retry;
mod secrets;
mod support;
