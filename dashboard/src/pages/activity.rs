//! `GET /runs/{id}/activity?key=`: a run's activity log; `GET /flows/{flow}/records?key=`:
//! one record's activity across the flow's runs. Each line: what came from the source, what
//! was sent (the mapped record), the outcome and the answer, redacted as the log stores it.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::response::Response;
use connector_core::state::{ActivityEntry, ActivityQuery};
use maud::{Markup, html};
use serde::Deserialize;

use super::layout::{page, pretty, state_failure, urlencode, when};
use crate::app::App;

/// The most lines a page shows.
pub(crate) const LINES: usize = 500;

/// `?key=`.
#[derive(Debug, Deserialize)]
pub(crate) struct KeyQuery {
    #[serde(default)]
    key: String,
}

fn lines(entries: &[ActivityEntry], with_run: bool) -> Markup {
    html! {
        table.activity {
            thead { tr {
                @if with_run { th { "Run" } }
                th { "At" } th { "Key" } th { "Outcome" } th { "Received" } th { "Sent" } th { "Answer" }
            } }
            tbody {
                @for e in entries {
                    tr {
                        @if with_run { td { a href={"/runs/" (e.run_id)} { "#" (e.run_id) } } }
                        td { (when(e.at)) }
                        td { a href={"/flows/" (urlencode(&e.flow)) "/records?key=" (urlencode(&e.key))} { (e.key) } }
                        td { span class={"outcome " (e.outcome)} { (e.outcome) } }
                        td { @if let Some(r) = &e.received { pre { (pretty(r)) } } }
                        td { @if let Some(s) = &e.sent { pre { (pretty(s)) } } }
                        td { @if let Some(m) = &e.message { (m) } }
                    }
                }
            }
        }
        @if entries.len() >= LINES {
            p.muted { "The first " (LINES) " lines; search by key for a record's." }
        }
    }
}

/// `GET /runs/{id}/activity`.
pub(crate) async fn run_activity(
    State(app): State<Arc<App>>,
    Path(id): Path<i64>,
    Query(q): Query<KeyQuery>,
) -> Response {
    let key = q.key.trim();
    let query = ActivityQuery::run(id).key((!key.is_empty()).then(|| key.to_owned())).limit(LINES);
    let entries = match app.state.activity_search(&query).await {
        Ok(e) => e,
        Err(e) => return state_failure(&e),
    };
    let body = html! {
        p { a href={"/runs/" (id)} { "Back to run #" (id) } }
        form method="get" {
            input type="search" name="key" value=(key) placeholder="A record's key";
            " " button.secondary type="submit" { "Search" }
        }
        @if entries.is_empty() { p.muted { "No activity" @if !key.is_empty() { " for " (key) } "." } }
        @else { (lines(&entries, false)) }
    };
    page(&app, &format!("Activity of run #{id}"), body).await
}

/// `GET /flows/{flow}/records?key=`.
pub(crate) async fn record(
    State(app): State<Arc<App>>,
    Path(flow): Path<String>,
    Query(q): Query<KeyQuery>,
) -> Response {
    let key = q.key.trim().to_owned();
    // The newest lines first: a busy record's latest runs are what one looks for.
    let query = ActivityQuery::flow(&flow).key(Some(key.clone())).limit(LINES).newest_first();
    let entries = match app.state.activity_search(&query).await {
        Ok(e) => e,
        Err(e) => return state_failure(&e),
    };
    let body = html! {
        p { "Flow " a href={"/flows/" (urlencode(&flow))} { (flow) } }
        form method="get" {
            input type="search" name="key" value=(key) placeholder="A record's key" required;
            " " button.secondary type="submit" { "Search" }
        }
        @if entries.is_empty() { p.muted { "No activity for this key." } }
        @else { (lines(&entries, true)) }
    };
    page(&app, &format!("Record {key}"), body).await
}
