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
use connector_core::flow::RunReport;

use crate::app::App;
use layout::failure;

/// What a POSTed action asks of the flow's runner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    /// Replay the open quarantine.
    Replay,
    /// Plan a run (a dry run).
    Plan,
}

/// Marks a flow busy with an action until dropped.
struct Busy {
    app: Arc<App>,
    flow: String,
}

impl Busy {
    fn take(app: &Arc<App>, flow: &str) -> Option<Busy> {
        let mut busy = app.busy.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        busy.insert(flow.to_owned()).then(|| Busy { app: app.clone(), flow: flow.to_owned() })
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        let mut busy = self.app.busy.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        busy.remove(&self.flow);
    }
}

/// Runs a POSTed action on `flow`, after checking the form's anti-forgery value (403) and
/// that a runner knows the flow (404), one action per flow at a time (409). The run goes on
/// in a task of its own, so a browser that goes away does not cut it between a write to the
/// target and its commit to the state; a run that could not start is a 502 with its reason.
pub(crate) async fn act(
    app: &Arc<App>,
    flow: &str,
    csrf: &str,
    action: Action,
) -> Result<RunReport, Box<Response>> {
    if !app.access.csrf_ok(csrf) {
        return Err(Box::new(failure(
            StatusCode::FORBIDDEN,
            "Refused: the form did not come from this dashboard.",
        )));
    }
    let Some(runner) = app.runner.clone().filter(|r| r.knows(flow)) else {
        return Err(Box::new(failure(
            StatusCode::NOT_FOUND,
            &format!("This dashboard cannot run {flow}."),
        )));
    };
    let Some(busy) = Busy::take(app, flow) else {
        return Err(Box::new(failure(
            StatusCode::CONFLICT,
            &format!("{flow} is already being replayed or planned; wait for it to finish."),
        )));
    };
    let name = flow.to_owned();
    let task = tokio::spawn(async move {
        let _busy = busy;
        match action {
            Action::Replay => runner.replay(&name).await,
            Action::Plan => runner.plan(&name).await,
        }
    });
    let what = match action {
        Action::Replay => "The replay of",
        Action::Plan => "Planning",
    };
    match task.await {
        // A run that failed before it started has no run to show.
        Ok(Ok(report)) if report.run_id == 0 && report.failure.is_some() => {
            let why = report.failure.map(|e| e.to_string()).unwrap_or_default();
            Err(Box::new(failure(StatusCode::BAD_GATEWAY, &format!("{what} {flow} failed: {why}"))))
        }
        Ok(Ok(report)) => Ok(report),
        Ok(Err(e)) => {
            Err(Box::new(failure(StatusCode::BAD_GATEWAY, &format!("{what} {flow} failed: {e}"))))
        }
        Err(e) => Err(Box::new(failure(
            StatusCode::INTERNAL_SERVER_ERROR,
            &format!("{what} {flow} stopped: {e}"),
        ))),
    }
}
