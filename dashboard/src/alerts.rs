//! Alerts: a flow whose last run failed, one whose daily API budget is spent, and one with
//! more open quarantined records than a threshold. Every page shows the current ones as a
//! banner; with a webhook, a watcher posts each new one once as JSON.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use connector_core::error::{ErrorKind, Result};
use connector_core::state::{QuarantineFilter, QuarantineStatus, StateStore};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use tokio::task::JoinHandle;

/// How many recent runs the alerts (and the overview) look at.
pub(crate) const RECENT_RUNS: usize = 500;

/// Why an alert is raised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AlertRule {
    /// The flow's last run failed.
    RunFailed,
    /// The flow's last run stopped because an API's daily budget was spent.
    BudgetSpent,
    /// The flow has more open quarantined records than the threshold.
    QuarantineAbove,
}

/// One alert, as the banner shows it and the webhook receives it (JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Alert {
    /// Why.
    pub rule: AlertRule,
    /// The flow.
    pub flow: String,
    /// The run it concerns, if one.
    pub run_id: Option<i64>,
    /// What happened, in a sentence.
    pub message: String,
}

impl Alert {
    /// What makes two alerts the same one (a webhook hears of each once).
    fn identity(&self) -> (AlertRule, String, Option<i64>) {
        (self.rule, self.flow.clone(), self.run_id)
    }
}

/// When to raise alerts and where to send them.
#[derive(Clone)]
pub struct Alerts {
    webhook: Option<SecretString>,
    quarantine_above: u64,
    every: Duration,
}

impl std::fmt::Debug for Alerts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Alerts")
            // A webhook's URL is a credential (Slack's and Teams' are).
            .field("webhook", &self.webhook.as_ref().map(|_| "[REDACTED]"))
            .field("quarantine_above", &self.quarantine_above)
            .field("every", &self.every)
            .finish()
    }
}

impl Default for Alerts {
    fn default() -> Self {
        Self { webhook: None, quarantine_above: 25, every: Duration::from_secs(30) }
    }
}

impl Alerts {
    /// No webhook, quarantine above 25 records, checked every 30 s.
    pub fn new() -> Self {
        Self::default()
    }

    /// Posts each new alert as JSON to `url` (kept secret: it is not logged or shown).
    pub fn webhook(mut self, url: SecretString) -> Self {
        self.webhook = Some(url);
        self
    }

    /// Raises a flow's alert when it has more than `n` open quarantined records.
    pub fn quarantine_above(mut self, n: u64) -> Self {
        self.quarantine_above = n;
        self
    }

    /// How often the webhook's watcher looks.
    pub fn every(mut self, every: Duration) -> Self {
        self.every = every.max(Duration::from_millis(10));
        self
    }

    /// The alerts that hold now, by flow.
    pub async fn current(&self, state: &dyn StateStore) -> Result<Vec<Alert>> {
        let mut last: BTreeMap<String, connector_core::state::RunRecord> = BTreeMap::new();
        for run in state.runs(None, RECENT_RUNS).await? {
            // A dry run writes nothing: it neither raises nor clears a flow's alert.
            if run.finished_at.is_none() || run.is_dry_run() {
                continue;
            }
            match last.get(&run.flow) {
                Some(seen) if (seen.started_at, seen.id) >= (run.started_at, run.id) => {}
                _ => {
                    last.insert(run.flow.clone(), run);
                }
            }
        }
        let mut alerts = Vec::new();
        for (flow, run) in &last {
            if run.status != "failed" {
                continue;
            }
            let failure = run.run_report().and_then(|r| r.failure);
            let spent = failure.as_ref().is_some_and(|e| e.kind() == ErrorKind::BudgetExhausted);
            let why = failure.map(|e| e.to_string()).unwrap_or_else(|| "no reason kept".into());
            alerts.push(Alert {
                rule: if spent { AlertRule::BudgetSpent } else { AlertRule::RunFailed },
                flow: flow.clone(),
                run_id: Some(run.id),
                message: if spent {
                    format!("{flow}: an API's daily budget is spent (run {}): {why}", run.id)
                } else {
                    format!("{flow}: run {} failed: {why}", run.id)
                },
            });
        }
        for flow in last.keys() {
            let open = state
                .quarantine_list(&QuarantineFilter {
                    flow: Some(flow.clone()),
                    status: Some(QuarantineStatus::Open),
                    limit: Some(
                        usize::try_from(self.quarantine_above)
                            .unwrap_or(usize::MAX)
                            .saturating_add(1),
                    ),
                    ..Default::default()
                })
                .await?
                .len() as u64;
            if open > self.quarantine_above {
                alerts.push(Alert {
                    rule: AlertRule::QuarantineAbove,
                    flow: flow.clone(),
                    run_id: None,
                    message: format!(
                        "{flow}: more than {} records wait in quarantine",
                        self.quarantine_above
                    ),
                });
            }
        }
        Ok(alerts)
    }

    /// With a webhook, a task that posts each new alert once (again after it cleared).
    pub(crate) fn watch(&self, state: Arc<dyn StateStore>) -> Option<JoinHandle<()>> {
        let url = self.webhook.clone()?;
        let alerts = self.clone();
        Some(tokio::spawn(async move {
            let client = reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap_or_default();
            let mut sent: HashSet<(AlertRule, String, Option<i64>)> = HashSet::new();
            loop {
                match alerts.current(state.as_ref()).await {
                    Ok(now) => {
                        let live: HashSet<_> = now.iter().map(Alert::identity).collect();
                        sent.retain(|id| live.contains(id));
                        for alert in &now {
                            if sent.contains(&alert.identity()) {
                                continue;
                            }
                            match post(&client, &url, alert).await {
                                Ok(()) => {
                                    sent.insert(alert.identity());
                                }
                                // Tried again at the next look.
                                Err(e) => tracing::warn!(flow = %alert.flow, "alert webhook: {e}"),
                            }
                        }
                    }
                    Err(e) => tracing::warn!("alerts: cannot read the state: {e}"),
                }
                tokio::time::sleep(alerts.every).await;
            }
        }))
    }
}

async fn post(
    client: &reqwest::Client,
    url: &SecretString,
    alert: &Alert,
) -> std::result::Result<(), String> {
    let answer = client
        .post(url.expose_secret())
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(serde_json::to_vec(alert).unwrap_or_default())
        .send()
        .await
        // Without the URL, which reqwest's errors quote.
        .map_err(|e| {
            format!(
                "not delivered ({})",
                if e.is_timeout() { "timed out" } else { "no connection" }
            )
        })?;
    if answer.status().is_success() {
        Ok(())
    } else {
        Err(format!("the webhook answered {}", answer.status().as_u16()))
    }
}
