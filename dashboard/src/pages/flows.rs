//! `GET /`: every flow with its last run and a chart; `GET /flows/{flow}`: one flow's runs.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::Response;
use connector_core::flow::RunReport;
use connector_core::state::{QuarantineFilter, QuarantineStatus, RunRecord};
use maud::{Markup, html};

use super::layout::{csrf, millis, page, state_failure, status, urlencode, when};
use crate::alerts::RECENT_RUNS;
use crate::app::App;
use crate::chart::{Point, bars};

/// How many runs a flow's page lists and charts.
const FLOW_RUNS: usize = 50;

/// The most open quarantine entries a flow's page counts.
const COUNT_UP_TO: usize = 10_000;

/// Calls of a report, all connectors together.
pub(crate) fn calls(r: &RunReport) -> u64 {
    r.calls.values().map(|c| c.calls).sum()
}

fn point(run: &RunRecord) -> Point {
    let (written, errors) = run
        .run_report()
        .map(|r| (r.counts.created + r.counts.updated + r.counts.deactivated, r.counts.quarantined))
        .unwrap_or((0, 0));
    Point { run_id: run.id, label: when(run.started_at), written, errors }
}

/// The runs of one flow as table rows.
fn run_rows(runs: &[RunRecord], with_flow: bool) -> Markup {
    html! {
        table {
            thead { tr {
                @if with_flow { th { "Flow" } }
                th { "Run" } th { "Started" } th { "Mode" } th { "Status" }
                th.num { "Received" } th.num { "Created" } th.num { "Updated" } th.num { "Unchanged" }
                th.num { "Quarantined" } th.num { "Calls" } th.num { "Duration" }
            } }
            tbody {
                @for run in runs {
                    @let r = run.run_report().unwrap_or_default();
                    tr {
                        @if with_flow { td { a href={"/flows/" (urlencode(&run.flow))} { (run.flow) } } }
                        td { a href={"/runs/" (run.id)} { "#" (run.id) } }
                        td { (when(run.started_at)) }
                        td { (run.mode) }
                        td { (status(&run.status)) }
                        td.num { (r.counts.received) }
                        td.num { (r.counts.created) }
                        td.num { (r.counts.updated) }
                        td.num { (r.counts.unchanged) }
                        td.num { (r.counts.quarantined) }
                        td.num { (calls(&r)) }
                        td.num { (millis(r.duration.as_millis() as u64)) }
                    }
                }
            }
        }
    }
}

/// `GET /`.
pub(crate) async fn overview(State(app): State<Arc<App>>) -> Response {
    let runs = match app.state.runs(None, RECENT_RUNS).await {
        Ok(r) => r,
        Err(e) => return state_failure(&e),
    };
    let mut by_flow: BTreeMap<&str, Vec<&RunRecord>> = BTreeMap::new();
    for run in &runs {
        if !run.is_dry_run() {
            by_flow.entry(run.flow.as_str()).or_default().push(run);
        }
    }
    let body = html! {
        @if by_flow.is_empty() {
            p.muted { "No runs yet. Run a flow (connector sync, connector demo) with this state, then reload." }
        }
        // `runs` lists the newest first, and so does each flow's list.
        @for (flow, runs) in &by_flow {
            @let last: Vec<RunRecord> = runs.iter().take(1).map(|r| (*r).clone()).collect();
            @let points: Vec<Point> = runs.iter().take(FLOW_RUNS).rev().map(|r| point(r)).collect();
            section.flow {
                h2 { a href={"/flows/" (urlencode(flow))} { (flow) } " " span.muted { (runs.len()) " recent runs" } }
                (bars(&points))
                (run_rows(&last, false))
            }
        }
    };
    page(&app, "Flows", body).await
}

/// `GET /flows/{flow}`.
pub(crate) async fn flow(State(app): State<Arc<App>>, Path(flow): Path<String>) -> Response {
    let runs = match app.state.runs(Some(&flow), FLOW_RUNS).await {
        Ok(r) => r,
        Err(e) => return state_failure(&e),
    };
    let open = match app
        .state
        .quarantine_list(&QuarantineFilter {
            flow: Some(flow.clone()),
            status: Some(QuarantineStatus::Open),
            limit: Some(COUNT_UP_TO + 1),
            ..Default::default()
        })
        .await
    {
        Ok(q) if q.len() > COUNT_UP_TO => format!("{COUNT_UP_TO}+"),
        Ok(q) => q.len().to_string(),
        Err(e) => return state_failure(&e),
    };
    let points: Vec<Point> = runs.iter().rev().filter(|r| !r.is_dry_run()).map(point).collect();
    let runner = app.runner.as_ref().filter(|r| r.knows(&flow));
    let body = html! {
        (bars(&points))
        div.cards {
            div.card { b { (runs.len()) } "runs shown" }
            div.card { b { a href={"/quarantine?flow=" (urlencode(&flow))} { (open) } } "in quarantine" }
        }
        @if let Some(_) = runner {
            p {
                form.inline method="post" action={"/flows/" (urlencode(&flow)) "/replay"} {
                    (csrf(&app)) button type="submit" { "Replay quarantine" }
                }
                " "
                form.inline method="post" action={"/flows/" (urlencode(&flow)) "/plan"} {
                    (csrf(&app)) button.secondary type="submit" { "Plan a run (dry run)" }
                }
            }
        }
        form method="get" action={"/flows/" (urlencode(&flow)) "/records"} {
            input type="search" name="key" placeholder="A record's key" required;
            " " button.secondary type="submit" { "Find its activity" }
        }
        h2 { "Runs" }
        (run_rows(&runs, false))
    };
    page(&app, &flow, body).await
}
