//! Contract suites: what every [`Source`](connector_core::Source),
//! [`Sink`](connector_core::Sink) and [`StateStore`](connector_core::state::StateStore) keeps,
//! as functions a test calls on its own implementation.

mod sink;
mod source;
mod state_store;

pub use sink::{SinkRun, assert_sink_contract, check_sink_contract};
pub use source::{SourceRun, assert_source_contract, check_source_contract};

/// Runs the behaviour suite every [`StateStore`](connector_core::state::StateStore) keeps
/// (checkpoints, the ledger and write intents, quarantine, runs, the activity log, secrets,
/// batches in one transaction, sharing between tasks) against fresh stores from `make`; a
/// breach panics.
pub async fn assert_state_store_contract<S: connector_core::state::StateStore>(
    make: impl Fn() -> S,
) {
    state_store::run_all(make).await;
}
