//! `GET /runs/{id}`: one run: its report, its traffic, its errors and the records it
//! quarantined.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use connector_core::state::{QuarantineFilter, QuarantineStatus};
use maud::html;

use super::flows::calls;
use super::layout::{failure, millis, page, state_failure, status, urlencode, when};
use super::quarantine::{ENTRIES, entry_rows};
use crate::app::App;

/// `GET /runs/{id}`.
pub(crate) async fn run(State(app): State<Arc<App>>, Path(id): Path<i64>) -> Response {
    let run = match app.state.run(id).await {
        Ok(Some(r)) => r,
        Ok(None) => return failure(StatusCode::NOT_FOUND, &format!("There is no run {id}.")),
        Err(e) => return state_failure(&e),
    };
    let quarantined = match app
        .state
        .quarantine_list(&QuarantineFilter {
            flow: Some(run.flow.clone()),
            status: Some(QuarantineStatus::Open),
            limit: Some(ENTRIES),
            ..Default::default()
        })
        .await
    {
        Ok(q) => q.into_iter().filter(|q| q.run_id == id).collect::<Vec<_>>(),
        Err(e) => return state_failure(&e),
    };
    let report = run.run_report().unwrap_or_default();
    let c = &report.counts;
    let body = html! {
        p {
            "Flow " a href={"/flows/" (urlencode(&run.flow))} { (run.flow) }
            " · " (run.mode) " · " (status(&run.status))
            " · started " (when(run.started_at))
            @if let Some(end) = run.finished_at { " · finished " (when(end)) }
            " · " (millis(report.duration.as_millis() as u64))
        }
        div.cards {
            div.card { b { (c.received) } "received" }
            div.card { b { (c.created) } "created" }
            div.card { b { (c.updated) } "updated" }
            div.card { b { (c.unchanged) } "unchanged" }
            div.card { b { (c.deactivated) } "deactivated" }
            div.card { b { (c.skipped) } "skipped" }
            div.card { b { (c.quarantined) } "quarantined" }
            div.card { b { (c.resolved) } "resolved" }
            div.card { b { (calls(&report)) } "API calls" }
        }
        p { a href={"/runs/" (id) "/activity"} { "What came and what was sent: the run's activity" } }
        @if let Some(f) = &report.failure {
            h2 { "Why it failed" }
            p.error { (f) }
        }
        @if !report.notes.is_empty() {
            h2 { "Notes" }
            ul { @for n in &report.notes { li { (n) } } }
        }
        @if !report.calls.is_empty() {
            h2 { "API traffic" }
            table {
                thead { tr { th { "Connector" } th.num { "Calls" } th.num { "Retries" } th.num { "429s" } th.num { "Bytes" } th.num { "Waited" } } }
                tbody {
                    @for (name, s) in &report.calls {
                        tr { td { (name) } td.num { (s.calls) } td.num { (s.retries) } td.num { (s.rate_limited) } td.num { (s.bytes) } td.num { (millis(s.waited_ms)) } }
                    }
                }
            }
        }
        // An entry names the last run that quarantined its record, so a record this run
        // quarantined and a later run failed again is listed under the later run.
        h2 { "Still in quarantine from this run (" (quarantined.len()) ")" }
        @if quarantined.is_empty() {
            p.muted { "None." }
        } @else {
            (entry_rows(&quarantined))
        }
    };
    page(&app, &format!("Run #{id}"), body).await
}
