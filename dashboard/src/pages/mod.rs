//! The pages, one module each, and what they share (`layout`).

pub(crate) mod activity;
pub(crate) mod flows;
pub(crate) mod layout;
pub(crate) mod plan;
pub(crate) mod quarantine;
pub(crate) mod run;

use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::Response;

use crate::app::App;
use crate::runner::FlowRunner;

/// The runner for a POSTed action on `flow`: refused when the form's anti-forgery value is
/// not this server's, not found when no runner knows the flow.
pub(crate) fn runner_for<'a>(
    app: &'a App,
    flow: &str,
    csrf: &str,
) -> Result<&'a Arc<dyn FlowRunner>, Box<Response>> {
    if !app.access.csrf_ok(csrf) {
        return Err(Box::new(layout::failure(
            StatusCode::FORBIDDEN,
            "Refused: the form did not come from this dashboard.",
        )));
    }
    app.runner.as_ref().filter(|r| r.knows(flow)).ok_or_else(|| {
        Box::new(layout::failure(
            StatusCode::NOT_FOUND,
            &format!("This dashboard cannot run {flow}."),
        ))
    })
}
