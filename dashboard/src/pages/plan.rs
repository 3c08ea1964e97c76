//! `POST /flows/{flow}/plan`: a dry run's plan, with each update's field diffs.

use std::sync::Arc;

use axum::Form;
use axum::extract::{Path, State};
use axum::response::Response;
use connector_core::flow::PlanItem;
use maud::{Markup, html};

use super::layout::{page, urlencode};
use super::quarantine::CsrfForm;
use crate::app::App;

fn items(title: &str, items: &[PlanItem]) -> Markup {
    html! {
        h2 { (title) " (" (items.len()) ")" }
        @if items.is_empty() { p.muted { "None." } } @else {
            table {
                thead { tr { th { "Key" } th { "Target id" } th { "Changes" } th { "Why" } } }
                tbody {
                    @for i in items {
                        tr {
                            td { (i.key) }
                            td { @if let Some(t) = &i.target_id { code { (t) } } }
                            td {
                                @for d in &i.changes {
                                    div {
                                        code { (d.path) } ": "
                                        del { (d.before.as_ref().map(|v| v.to_string()).unwrap_or_else(|| "—".into())) }
                                        " → "
                                        ins { (d.after.as_ref().map(|v| v.to_string()).unwrap_or_else(|| "—".into())) }
                                    }
                                }
                            }
                            td { @if let Some(r) = &i.reason { (r) } }
                        }
                    }
                }
            }
        }
    }
}

/// `POST /flows/{flow}/plan`.
pub(crate) async fn plan(
    State(app): State<Arc<App>>,
    Path(flow): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Response {
    let report = match super::act(&app, &flow, &form.csrf, super::Action::Plan).await {
        Ok(r) => r,
        Err(refused) => return *refused,
    };
    let plan = report.plan.clone().unwrap_or_default();
    let body = html! {
        p { "Flow " a href={"/flows/" (urlencode(&flow))} { (flow) } " · nothing was sent · "
            (report.counts.created) " to create, " (report.counts.updated) " to update, "
            (report.counts.unchanged) " unchanged, " (report.counts.quarantined) " would fail" }
        (items("Creates", &plan.creates))
        (items("Updates", &plan.updates))
        (items("Skips", &plan.skips))
        (items("Deactivations", &plan.deactivations))
    };
    page(&app, &format!("Plan of {flow}"), body).await
}
