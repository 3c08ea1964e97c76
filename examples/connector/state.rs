//! `quarantine list` and `runs`.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use connector_sdk::Result;
use connector_sdk::state::{QuarantineFilter, QuarantineStatus, SqliteStore, StateStore};

/// Opens the state file.
pub fn open(path: &Path) -> Result<Arc<dyn StateStore>> {
    Ok(Arc::new(SqliteStore::open(path)?))
}

pub async fn quarantine_list(path: &Path, flow: Option<String>, all: bool) -> Result<ExitCode> {
    let state = open(path)?;
    let filter = QuarantineFilter {
        flow,
        status: (!all).then_some(QuarantineStatus::Open),
        ..Default::default()
    };
    let entries = state.quarantine_list(&filter).await?;
    if entries.is_empty() {
        say!("no quarantined records");
    }
    for e in entries {
        say!(
            "#{} {} {} {} [{}] attempts {} {:?}: {}",
            e.id,
            e.flow,
            e.entity,
            e.key,
            e.stage,
            e.attempts,
            e.status,
            e.error
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn runs(path: &Path, flow: Option<String>, limit: usize) -> Result<ExitCode> {
    let state = open(path)?;
    for r in state.runs(flow.as_deref(), limit).await? {
        let counts = r
            .report
            .as_ref()
            .and_then(|v| v.get("counts"))
            .map(|c| c.to_string())
            .unwrap_or_default();
        say!(
            "run {} {} {} {} started {} {}",
            r.id,
            r.flow,
            r.mode,
            r.status,
            r.started_at.format("%Y-%m-%d %H:%M:%S"),
            counts
        );
        let calls = r.report.as_ref().and_then(|v| v.get("calls")).cloned();
        let calls: connector_sdk::http::stats::CallsByConnector =
            calls.and_then(|c| serde_json::from_value(c).ok()).unwrap_or_default();
        for (system, c) in &calls {
            say!("    {}", crate::output::calls_line(system, c));
        }
    }
    Ok(ExitCode::SUCCESS)
}
