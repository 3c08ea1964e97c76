//! What the dashboard asks of the host to replay quarantined records and plan a run: the
//! state knows a flow's name, not how to build it.

use async_trait::async_trait;
use connector_core::error::Result;
use connector_core::flow::RunReport;

/// Builds and runs a host's flows by name, for the dashboard's replay button and dry-run
/// plan. The CLI's is the flow files of a directory; an embedding application passes its
/// own.
#[async_trait]
pub trait FlowRunner: Send + Sync {
    /// Whether this runner knows `flow` (the dashboard offers replay and plans only then).
    fn knows(&self, flow: &str) -> bool;

    /// Replays `flow`'s open quarantined records (a run of mode `replay`).
    async fn replay(&self, flow: &str) -> Result<RunReport>;

    /// Plans `flow` without sending anything (a dry run), with field diffs for updates.
    async fn plan(&self, flow: &str) -> Result<RunReport>;
}
