//! Progress bars and summary tables.

use connector_sdk::flow::{Progress, RunReport};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A spinner on stderr showing a run's counts.
pub fn progress_bar(flow: &str) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{spinner} {prefix} {msg} [{elapsed}]")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.set_prefix(flow.to_string());
    bar
}

/// Updates the bar from a progress report.
pub fn show(bar: &ProgressBar, p: &Progress) {
    let c = &p.counts;
    bar.set_message(format!(
        "received {} · created {} · updated {} · unchanged {} · skipped {} · quarantined {}",
        c.received, c.created, c.updated, c.unchanged, c.skipped, c.quarantined
    ));
    bar.tick();
}

/// Prints a run's summary table.
/// One system's traffic: `xero: 101 calls, 0 retries, 0 × 429, 31.4 MiB, waited 0.0 s`.
pub fn calls_line(system: &str, c: &connector_sdk::http::stats::CallStats) -> String {
    format!(
        "{system}: {} calls, {} retries, {} × 429, {:.1} MiB, waited {:.1} s",
        c.calls,
        c.retries,
        c.rate_limited,
        c.bytes as f64 / 1_048_576.0,
        c.waited().as_secs_f64()
    )
}

pub fn summary(report: &RunReport) {
    let c = &report.counts;
    say!("flow {} (run {}, {}): {}", report.flow, report.run_id, report.mode, report.status);
    let rows = [
        ("received", c.received),
        ("created", c.created),
        ("updated", c.updated),
        ("unchanged", c.unchanged),
        ("deactivated", c.deactivated),
        ("skipped", c.skipped),
        ("quarantined", c.quarantined),
        ("resolved", c.resolved),
        ("sink calls", report.batches),
        ("checkpoints", report.checkpoints),
    ];
    say!("  ┌─────────────┬──────────┐");
    for (name, n) in rows {
        say!("  │ {name:<11} │ {n:>8} │");
    }
    say!("  └─────────────┴──────────┘");
    say!("  took {} ms", report.duration.as_millis());
    for (system, c) in &report.calls {
        say!("  {}", calls_line(system, c));
    }
    for note in &report.notes {
        say!("  note: {note}");
    }
    for (key, e) in report.errors.iter().take(10) {
        say!("  quarantined {key}: {e}");
    }
    if let Some(f) = &report.failure {
        say!("  FAILED: {f}");
    }
    if let Some(plan) = &report.plan {
        say!(
            "  plan: {} creates, {} updates, {} skips, {} deactivations (counts above are exact)",
            plan.creates.len(),
            plan.updates.len(),
            plan.skips.len(),
            plan.deactivations.len()
        );
        for item in &plan.creates {
            say!("    create {}", item.key);
        }
        for item in &plan.updates {
            say!("    update {}", item.key);
            for d in &item.changes {
                say!(
                    "      {}: {} → {}",
                    d.path,
                    d.before.as_ref().map(|v| v.to_string()).unwrap_or_else(|| "(none)".into()),
                    d.after.as_ref().map(|v| v.to_string()).unwrap_or_else(|| "(none)".into())
                );
            }
        }
        for item in &plan.skips {
            say!("    skip {}: {}", item.key, item.reason.as_deref().unwrap_or(""));
        }
        for item in &plan.deactivations {
            say!("    deactivate {}", item.key);
        }
    }
}
