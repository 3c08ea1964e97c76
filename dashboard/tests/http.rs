//! The dashboard over HTTP: its pages on a state with runs, activity and quarantine; replay
//! through a runner; the access rules (loopback, token, cross-site requests); alerts.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use axum::routing::post;
use chrono::{TimeZone, Utc};
use connector_core::error::{Error, ErrorKind, FieldError, Result};
use connector_core::flow::{FieldDiff, Plan, PlanItem, RunReport, RunStatus};
use connector_core::state::{
    ActivityEntry, BatchCommit, MemoryStore, QuarantineEntry, QuarantineStatus, RunRecord,
    StateStore,
};
use connector_dashboard::{Access, Alerts, Dashboard, FlowRunner};
use secrecy::SecretString;

/// A state with two runs of `customers` (the second quarantined C-3 on `credit_limit`) and
/// a failed run of `invoices`.
async fn state() -> Arc<dyn StateStore> {
    let s: Arc<dyn StateStore> = Arc::new(MemoryStore::new());
    let t = |m| Utc.with_ymd_and_hms(2026, 12, 7, 9, m, 0).unwrap();
    for (i, (flow, status, created, quarantined)) in [
        ("customers", "succeeded", 3, 0),
        ("customers", "partial", 2, 1),
        ("invoices", "failed", 0, 0),
    ]
    .into_iter()
    .enumerate()
    {
        let id = s.run_started(flow, "full", t(i as u32)).await.unwrap();
        let mut report = RunReport::default();
        report.run_id = id;
        report.flow = flow.into();
        report.counts.created = created;
        report.counts.quarantined = quarantined;
        report.status = if status == "failed" { RunStatus::Failed } else { RunStatus::Succeeded };
        if status == "failed" {
            report.failure = Some(Error::new(
                ErrorKind::BudgetExhausted,
                "the xero budget's day window is spent",
            ));
        }
        let mut batch = BatchCommit { run_id: id, ..BatchCommit::default() };
        if flow == "customers" {
            batch.activity.push(ActivityEntry {
                run_id: id,
                at: t(i as u32),
                flow: flow.into(),
                entity: "customers".into(),
                key: "C-1".into(),
                received: Some(r#"{"number":"C-1","name":"Müller GmbH"}"#.into()),
                sent: Some(r#"{"code":"C-1","name":"Müller GmbH <script>"}"#.into()),
                outcome: "created".into(),
                message: None,
            });
        }
        if quarantined > 0 {
            batch.quarantine.push(QuarantineEntry {
                id: 0,
                run_id: id,
                tenant: "default".into(),
                flow: flow.into(),
                entity: "customers".into(),
                key: "C-3".into(),
                stage: "map".into(),
                payload: Some(r#"{"number":"C-3"}"#.into()),
                error: Error::new(ErrorKind::InvalidInput, "not a number")
                    .with_record("C-3")
                    .with_field_errors(vec![FieldError::new(
                        "credit_limit.amount",
                        "not a number: 12,3x",
                    )]),
                attempts: 1,
                status: QuarantineStatus::Open,
                created_at: t(i as u32),
                updated_at: t(i as u32),
            });
        }
        s.commit(batch).await.unwrap();
        s.run_finished(RunRecord {
            id,
            flow: flow.into(),
            mode: "full".into(),
            started_at: t(i as u32),
            finished_at: Some(t(i as u32 + 1)),
            status: status.into(),
            report: Some(serde_json::to_value(&report).unwrap()),
        })
        .await
        .unwrap();
    }
    s
}

/// Replays by recording a run; knows `customers` only.
struct Runner(Arc<dyn StateStore>, Mutex<Vec<String>>);

#[async_trait]
impl FlowRunner for Runner {
    fn knows(&self, flow: &str) -> bool {
        flow == "customers" || flow == "broken"
    }
    async fn replay(&self, flow: &str) -> Result<RunReport> {
        self.1.lock().unwrap().push(flow.to_owned());
        if flow == "broken" {
            // A replay that takes a while, so a second press finds it under way.
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        let mut r = RunReport::default();
        r.run_id = self.0.run_started(flow, "replay", Utc::now()).await?;
        Ok(r)
    }
    async fn plan(&self, flow: &str) -> Result<RunReport> {
        if flow == "broken" {
            return Err(Error::config("no plans here"));
        }
        let mut r = RunReport::default();
        r.counts.updated = 1;
        r.plan = Some(Plan {
            updates: vec![PlanItem {
                key: "C-2".into(),
                target_id: Some("crm-2".into()),
                changes: vec![FieldDiff {
                    path: "addresses[0].city".into(),
                    before: Some("Umeå".into()),
                    after: Some("Stockholm".into()),
                }],
                reason: None,
            }],
            ..Plan::default()
        });
        Ok(r)
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

fn csrf_of(page: &str) -> String {
    let at = page.find("name=\"csrf\" value=\"").expect("a form") + 19;
    page[at..at + 64].to_owned()
}

#[tokio::test]
async fn pages_show_runs_activity_and_quarantine_and_replay_lands_through_the_runner() {
    let state = state().await;
    let runner = Arc::new(Runner(state.clone(), Mutex::new(Vec::new())));
    let served = Dashboard::builder(state.clone())
        .runner(runner.clone())
        .build()
        .listen("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let url = served.url();
    let http = client();
    let get = |path: &str| {
        let http = http.clone();
        let url = format!("{url}{path}");
        async move {
            let r = http.get(url).send().await.unwrap();
            let status = r.status().as_u16();
            let csp =
                r.headers().get("content-security-policy").map(|v| v.to_str().unwrap().to_owned());
            (status, r.text().await.unwrap(), csp)
        }
    };

    let (status, home, csp) = get("/").await;
    assert_eq!(status, 200);
    assert!(csp.unwrap().contains("frame-ancestors 'none'"));
    assert!(
        home.contains("href=\"/flows/customers\"") && home.contains("href=\"/flows/invoices\""),
        "{home}"
    );
    assert!(home.contains("<svg"), "a chart");
    // The banner: the invoices run stopped on a spent daily budget.
    assert!(home.contains("role=\"alert\"") && home.contains("daily budget is spent"), "{home}");

    let (_, flow, _) = get("/flows/customers").await;
    assert!(
        flow.contains("Replay quarantine") && flow.contains(">1</a>"),
        "one in quarantine: {flow}"
    );

    let runs = state.runs(Some("customers"), 10).await.unwrap();
    let partial = runs.iter().find(|r| r.status == "partial").unwrap().id;
    let (_, run, _) = get(&format!("/runs/{partial}")).await;
    assert!(
        run.contains("C-3")
            && run.contains("credit_limit.amount")
            && run.contains("not a number: 12,3x"),
        "{run}"
    );

    // Activity: escaped, by run and by record across runs.
    let (_, lines, _) = get(&format!("/runs/{partial}/activity")).await;
    assert!(lines.contains("Müller GmbH &lt;script&gt;") && !lines.contains("<script>"), "{lines}");
    let (_, record, _) = get("/flows/customers/records?key=C-1").await;
    assert_eq!(record.matches("class=\"outcome created\"").count(), 2, "both runs: {record}");
    let (_, none, _) = get("/flows/customers/records?key=C-9").await;
    assert!(none.contains("No activity for this key"));

    let (_, q, _) = get("/quarantine").await;
    assert!(q.contains("data-key=\"C-3\"") && q.contains("Replay customers"), "{q}");
    assert_eq!(get("/runs/999").await.0, 404);
    assert_eq!(get("/nowhere").await.0, 404);

    // Replay from the dashboard's own page: a redirect to the new run.
    let token = csrf_of(&q);
    let post = |path: &str| {
        let req = http
            .post(format!("{url}{path}"))
            .header("origin", &url)
            .form(&[("csrf", token.as_str())]);
        async move { req.send().await.unwrap() }
    };
    let replay = post("/flows/customers/replay").await;
    assert_eq!(replay.status().as_u16(), 303);
    let to = replay.headers()["location"].to_str().unwrap().to_owned();
    assert!(to.starts_with("/runs/"), "{to}");
    assert_eq!(runner.1.lock().unwrap().as_slice(), ["customers"]);
    // A plan shows each update's field diffs.
    let plan = post("/flows/customers/plan").await;
    assert_eq!(plan.status().as_u16(), 200);
    let plan = plan.text().await.unwrap();
    assert!(
        plan.contains("Updates (1)") && plan.contains("<code>addresses[0].city</code>"),
        "{plan}"
    );
    assert!(
        plan.contains("<del>&quot;Umeå&quot;</del> → <ins>&quot;Stockholm&quot;</ins>"),
        "{plan}"
    );
    // A flow the runner does not know, and a failing plan, say so.
    assert_eq!(post("/flows/invoices/replay").await.status().as_u16(), 404);
    let failed = post("/flows/broken/plan").await;
    assert_eq!(failed.status().as_u16(), 502);
    assert!(failed.text().await.unwrap().contains("no plans here"));
    // Two presses at once: one replay, the other told it is under way.
    let (a, b) = tokio::join!(post("/flows/broken/replay"), post("/flows/broken/replay"));
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort();
    assert_eq!(statuses, [303, 409]);
    assert_eq!(runner.1.lock().unwrap().iter().filter(|f| *f == "broken").count(), 1);
    served.stop().await.unwrap();
}

#[tokio::test]
async fn another_origin_cannot_replay() {
    let state = state().await;
    let runner = Arc::new(Runner(state.clone(), Mutex::new(Vec::new())));
    let served = Dashboard::builder(state)
        .runner(runner.clone())
        .build()
        .listen("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let url = served.url();
    let http = client();
    let page = http.get(format!("{url}/quarantine")).send().await.unwrap().text().await.unwrap();
    let token = csrf_of(&page);
    let post = |origin: Option<&'static str>, site: Option<&'static str>, csrf: String| {
        let mut r = http.post(format!("{url}/flows/customers/replay")).form(&[("csrf", csrf)]);
        if let Some(o) = origin {
            r = r.header("origin", o);
        }
        if let Some(s) = site {
            r = r.header("sec-fetch-site", s);
        }
        async move { r.send().await.unwrap().status().as_u16() }
    };
    // A page elsewhere posting a form (even with a stolen value), a cross-site fetch, a
    // request that says nothing of where it comes from, and one without the form's value.
    assert_eq!(post(Some("http://evil.example"), Some("cross-site"), token.clone()).await, 403);
    assert_eq!(post(Some("null"), None, token.clone()).await, 403);
    assert_eq!(post(None, Some("cross-site"), token.clone()).await, 403);
    assert_eq!(post(None, None, token.clone()).await, 403);
    let own = Box::leak(url.clone().into_boxed_str());
    assert_eq!(post(Some(own), None, "0".repeat(64)).await, 403);
    assert!(runner.1.lock().unwrap().is_empty(), "nothing was replayed");
    assert_eq!(post(None, Some("same-origin"), token).await, 303);
    // A foreign Host (DNS rebinding), and a request a proxy forwarded, are refused.
    let rebound = http.get(format!("{url}/")).header("host", "evil.example").send().await.unwrap();
    assert_eq!(rebound.status().as_u16(), 403);
    for header in ["x-forwarded-for", "forwarded", "x-real-ip"] {
        let proxied = http.get(format!("{url}/")).header(header, "203.0.113.7").send().await;
        assert_eq!(proxied.unwrap().status().as_u16(), 403, "{header}");
    }
    served.stop().await.unwrap();
}

#[tokio::test]
async fn elsewhere_than_loopback_only_with_a_token_and_every_request_carries_it() {
    let state = state().await;
    let refused =
        Dashboard::builder(state.clone()).build().listen("0.0.0.0:0".parse().unwrap()).await;
    let e = refused.unwrap_err();
    assert!(e.to_string().contains("not loopback"), "{e}");

    let token = "s3cret-dashboard-token-0123";
    let served = Dashboard::builder(state)
        .access(Access::token(SecretString::from(token)).unwrap())
        .build()
        .listen("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let url = served.url();
    let http = client();
    assert_eq!(http.get(format!("{url}/")).send().await.unwrap().status().as_u16(), 401);
    let wrong = http.get(format!("{url}/")).bearer_auth("nope").send().await.unwrap();
    assert_eq!(wrong.status().as_u16(), 401);
    let ok = http.get(format!("{url}/")).bearer_auth(token).send().await.unwrap();
    assert_eq!(ok.status().as_u16(), 200);
    // A browser opens it once with ?token=, gets a cookie and a clean address.
    let first = http.get(format!("{url}/quarantine?token={token}")).send().await.unwrap();
    assert_eq!(first.status().as_u16(), 303);
    assert_eq!(first.headers()["location"], "/quarantine");
    let cookie = first.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(!cookie.contains(token), "the cookie holds a hash, not the token: {cookie}");
    let pair = cookie.split(';').next().unwrap().to_owned();
    let again = http.get(format!("{url}/quarantine")).header("cookie", pair).send().await.unwrap();
    assert_eq!(again.status().as_u16(), 200);
    served.stop().await.unwrap();
}

#[tokio::test]
async fn a_webhook_hears_of_each_alert_once() {
    let heard: Arc<Mutex<Vec<serde_json::Value>>> = Arc::default();
    let sink = heard.clone();
    let hook = axum::Router::new().route(
        "/hook",
        post(move |body: String| {
            let sink = sink.clone();
            async move {
                sink.lock().unwrap().push(serde_json::from_str(&body).unwrap());
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook_url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, hook).await.unwrap() });

    let state = state().await;
    let served = Dashboard::builder(state.clone())
        .alerts(
            Alerts::new()
                .webhook(SecretString::from(hook_url.clone()))
                .quarantine_above(0)
                .every(Duration::from_millis(20)),
        )
        .build()
        .listen("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let got = heard.lock().unwrap().clone();
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(got.iter().any(|a| a["rule"] == "budget_spent" && a["flow"] == "invoices"));
    assert!(got.iter().any(|a| a["rule"] == "quarantine_above" && a["flow"] == "customers"));
    assert!(!format!("{served:?}").contains("/hook"), "the webhook's URL is not shown");
    served.stop().await.unwrap();
}
