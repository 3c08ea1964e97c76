//! `GET /quarantine?flow=`: records waiting in quarantine, each error naming the record and
//! the field; `POST /flows/{flow}/replay`: the replay button.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use connector_core::state::{QuarantineEntry, QuarantineFilter, QuarantineStatus};
use maud::{Markup, html};
use serde::Deserialize;

use super::layout::{csrf, page, pretty, state_failure, urlencode, when};
use crate::alerts::RECENT_RUNS;
use crate::app::App;

/// The most entries the page lists per flow.
pub(crate) const ENTRIES: usize = 500;

/// `?flow=`.
#[derive(Debug, Deserialize)]
pub(crate) struct FlowQuery {
    #[serde(default)]
    flow: Option<String>,
}

/// A form with only the anti-forgery field.
#[derive(Debug, Deserialize)]
pub(crate) struct CsrfForm {
    #[serde(default)]
    pub(crate) csrf: String,
}

/// Quarantine entries as a table.
pub(crate) fn entry_rows(entries: &[QuarantineEntry]) -> Markup {
    html! {
        table.quarantine {
            thead { tr {
                th { "Key" } th { "Stage" } th { "Error" } th { "Fields" } th.num { "Attempts" }
                th { "Since" } th { "Run" } th { "Status" } th { "Record" }
            } }
            tbody {
                @for q in entries {
                    tr data-key=(q.key) {
                        td { a href={"/flows/" (urlencode(&q.flow)) "/records?key=" (urlencode(&q.key))} { (q.key) } }
                        td { (q.stage) }
                        td.error { (q.error) }
                        td { @for f in q.error.field_errors() { div { code { (f.field) } ": " (f.message) } } }
                        td.num { (q.attempts) }
                        td { (when(q.created_at)) }
                        td { a href={"/runs/" (q.run_id)} { "#" (q.run_id) } }
                        td { (format!("{:?}", q.status).to_lowercase()) }
                        td { @if let Some(p) = &q.payload { details { summary { "JSON" } pre { (pretty(p)) } } } }
                    }
                }
            }
        }
    }
}

/// The flows to list: the one asked for, else those of the recent runs and of the oldest
/// open entries.
async fn flows_to_list(
    app: &App,
    flow: Option<String>,
) -> connector_core::Result<BTreeSet<String>> {
    if let Some(f) = flow {
        return Ok([f].into());
    }
    let mut flows: BTreeSet<String> =
        app.state.runs(None, RECENT_RUNS).await?.into_iter().map(|r| r.flow).collect();
    let oldest = app
        .state
        .quarantine_list(&QuarantineFilter {
            status: Some(QuarantineStatus::Open),
            limit: Some(ENTRIES),
            ..Default::default()
        })
        .await?;
    flows.extend(oldest.into_iter().map(|e| e.flow));
    Ok(flows)
}

/// `GET /quarantine`: the open entries of each flow, at most [`ENTRIES`] each.
pub(crate) async fn list(State(app): State<Arc<App>>, Query(q): Query<FlowQuery>) -> Response {
    let flow = q.flow.filter(|f| !f.trim().is_empty());
    let flows = match flows_to_list(&app, flow).await {
        Ok(f) => f,
        Err(e) => return state_failure(&e),
    };
    let mut by_flow: BTreeMap<String, Vec<QuarantineEntry>> = BTreeMap::new();
    for flow in flows {
        let entries = match app
            .state
            .quarantine_list(&QuarantineFilter {
                flow: Some(flow.clone()),
                status: Some(QuarantineStatus::Open),
                limit: Some(ENTRIES),
                ..Default::default()
            })
            .await
        {
            Ok(e) => e,
            Err(e) => return state_failure(&e),
        };
        if !entries.is_empty() {
            by_flow.insert(flow, entries);
        }
    }
    let body = html! {
        @if by_flow.is_empty() { p.muted { "Nothing waits in quarantine." } }
        @for (flow, entries) in &by_flow {
            section.flow data-flow=(flow) {
                h2 {
                    a href={"/flows/" (urlencode(flow))} { (flow) } " "
                    span.muted {
                        @if entries.len() >= ENTRIES { "the oldest " (ENTRIES) " open" } @else { (entries.len()) " open" }
                    }
                }
                @if app.runner.as_ref().is_some_and(|r| r.knows(flow)) {
                    form.inline method="post" action={"/flows/" (urlencode(flow)) "/replay"} {
                        (csrf(&app)) button type="submit" { "Replay " (flow) }
                    }
                } @else {
                    p.muted { "Replay: this dashboard was not given the flow (connector serve --flows DIR)." }
                }
                (entry_rows(entries))
            }
        }
    };
    page(&app, "Quarantine", body).await
}

/// `POST /flows/{flow}/replay`: replays the flow's open entries, then shows the run.
pub(crate) async fn replay(
    State(app): State<Arc<App>>,
    Path(flow): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Response {
    match super::act(&app, &flow, &form.csrf, super::Action::Replay).await {
        Ok(report) => Redirect::to(&format!("/runs/{}", report.run_id)).into_response(),
        Err(refused) => *refused,
    }
}
