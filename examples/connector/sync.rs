//! `sync` and `quarantine replay`.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use connector_sdk::Result;
use connector_sdk::flow::{RunMode, RunReport, RunStatus};
use connector_sdk::flowfile::FlowFile;

use crate::output;

pub async fn sync(state: &Path, flow: &Path, full: bool, dry_run: bool) -> Result<ExitCode> {
    let flow = FlowFile::load(flow)?;
    let state = crate::state::open(state)?;
    let bar = output::progress_bar(&flow.name);
    let b2 = bar.clone();
    let mode = if full { RunMode::Full } else { RunMode::Changes };
    let report =
        flow.run(state, mode, dry_run, Some(Arc::new(move |p| output::show(&b2, p)))).await?;
    bar.finish_and_clear();
    output::summary(&report);
    Ok(exit_code(&report))
}

pub async fn replay(state: &Path, flow: &Path) -> Result<ExitCode> {
    let flow = FlowFile::load(flow)?;
    let report = flow.replay(crate::state::open(state)?).await?;
    output::summary(&report);
    Ok(exit_code(&report))
}

/// 0 when everything landed, 2 when records were quarantined, 1 when the run failed.
pub fn exit_code(report: &RunReport) -> ExitCode {
    match report.status {
        RunStatus::Succeeded => ExitCode::SUCCESS,
        RunStatus::Partial => ExitCode::from(2),
        _ => ExitCode::FAILURE,
    }
}
