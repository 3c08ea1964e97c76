//! `GET /quarantine?flow=`: records waiting in quarantine, each error naming the record and
//! the field; `POST /flows/{flow}/replay`: the replay button.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use connector_core::state::{QuarantineEntry, QuarantineFilter, QuarantineStatus};
use maud::{Markup, html};
use serde::Deserialize;

use super::layout::{csrf, failure, page, pretty, state_failure, urlencode, when};
use crate::app::App;

/// The most entries the page lists per flow.
const ENTRIES: usize = 500;

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

/// `GET /quarantine`.
pub(crate) async fn list(State(app): State<Arc<App>>, Query(q): Query<FlowQuery>) -> Response {
    let flow = q.flow.filter(|f| !f.trim().is_empty());
    let entries = match app
        .state
        .quarantine_list(&QuarantineFilter {
            flow: flow.clone(),
            status: Some(QuarantineStatus::Open),
            limit: Some(ENTRIES),
            ..Default::default()
        })
        .await
    {
        Ok(e) => e,
        Err(e) => return state_failure(&e),
    };
    let mut by_flow: BTreeMap<&str, Vec<QuarantineEntry>> = BTreeMap::new();
    for e in &entries {
        by_flow.entry(e.flow.as_str()).or_default().push(e.clone());
    }
    let body = html! {
        @if by_flow.is_empty() { p.muted { "Nothing waits in quarantine." } }
        @for (flow, entries) in &by_flow {
            section.flow data-flow=(flow) {
                h2 { a href={"/flows/" (urlencode(flow))} { (flow) } " " span.muted { (entries.len()) " open" } }
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
    let runner = match super::runner_for(&app, &flow, &form.csrf) {
        Ok(r) => r,
        Err(refused) => return *refused,
    };
    match runner.replay(&flow).await {
        Ok(report) => Redirect::to(&format!("/runs/{}", report.run_id)).into_response(),
        Err(e) => failure(StatusCode::BAD_GATEWAY, &format!("The replay of {flow} failed: {e}")),
    }
}
