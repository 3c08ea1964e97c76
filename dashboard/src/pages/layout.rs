//! The page shell (title, navigation, the alerts' banner, the stylesheet) and helpers the
//! pages share.

use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, Utc};
use connector_core::error::Error;
use maud::{DOCTYPE, Markup, html};

use crate::app::App;

/// The stylesheet, written small.
const STYLE: &str = include_str!("../../assets/style.css");

/// A page with the shell around `body`, and the current alerts as a banner.
pub(crate) async fn page(app: &App, title: &str, body: Markup) -> Response {
    let alerts = app.banner().await;
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · connector" }
                link rel="stylesheet" href="/assets/style.css";
            }
            body {
                header {
                    nav {
                        a.brand href="/" { "connector" }
                        a href="/" { "Flows" }
                        a href="/quarantine" { "Quarantine" }
                    }
                }
                @if !alerts.is_empty() {
                    section.banner role="alert" {
                        @for a in &alerts {
                            p {
                                @if let Some(run) = a.run_id {
                                    a href={"/runs/" (run)} { (a.message) }
                                } @else {
                                    a href={"/quarantine?flow=" (urlencode(&a.flow))} { (a.message) }
                                }
                            }
                        }
                    }
                }
                main { h1 { (title) } (body) }
            }
        }
    };
    Html(markup.into_string()).into_response()
}

/// A page that says what went wrong, with `status`.
pub(crate) fn failure(status: StatusCode, what: &str) -> Response {
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head { meta charset="utf-8"; title { "Error · connector" } link rel="stylesheet" href="/assets/style.css"; }
            body { main { h1 { "Something went wrong" } p.error { (what) } p { a href="/" { "Back to the flows" } } } }
        }
    };
    (status, Html(markup.into_string())).into_response()
}

/// The answer to a state store error.
pub(crate) fn state_failure(e: &Error) -> Response {
    failure(StatusCode::INTERNAL_SERVER_ERROR, &format!("The state store answered: {e}"))
}

/// `GET /assets/style.css`.
pub(crate) async fn style() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        STYLE,
    )
        .into_response()
}

/// Any other path.
pub(crate) async fn not_found() -> Response {
    failure(StatusCode::NOT_FOUND, "There is no such page.")
}

/// An instant as `2026-12-07 16:04:05 UTC`.
pub(crate) fn when(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// A run status as a badge.
pub(crate) fn status(s: &str) -> Markup {
    html! { span class={"status " (s)} { (s) } }
}

/// A duration in ms as `1.2 s` or `340 ms`.
pub(crate) fn millis(ms: u64) -> String {
    if ms >= 1_000 { format!("{:.1} s", ms as f64 / 1_000.0) } else { format!("{ms} ms") }
}

/// Percent-encodes a path segment or query value.
pub(crate) fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// JSON text, indented when it parses.
pub(crate) fn pretty(json: &str) -> String {
    serde_json::from_str::<serde_json::Value>(json)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| json.to_owned())
}

/// A hidden field with this server's anti-forgery value.
pub(crate) fn csrf(app: &App) -> Markup {
    html! { input type="hidden" name="csrf" value=(app.access.csrf()); }
}
