//! A small bar chart as inline SVG: one pair of bars per run, records written and records
//! quarantined, oldest on the left. No script, so the page's CSP stays closed.

use maud::{Markup, html};

/// One run's bars.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Point {
    /// The run's id (the bar's title).
    pub run_id: i64,
    /// When it started, as shown in the title.
    pub label: String,
    /// Records created, updated or deactivated.
    pub written: u64,
    /// Records quarantined.
    pub errors: u64,
}

const WIDTH: u32 = 640;
const HEIGHT: u32 = 120;

/// The chart of `points` (oldest first).
pub(crate) fn bars(points: &[Point]) -> Markup {
    let max = points.iter().map(|p| p.written.max(p.errors)).max().unwrap_or(0).max(1);
    // A pair of bars at most 24 px wide, so a flow with few runs does not fill the chart.
    let slot = if points.is_empty() {
        0
    } else {
        (WIDTH / u32::try_from(points.len()).unwrap_or(u32::MAX).max(1)).min(24)
    };
    let bar = (slot / 2).saturating_sub(1).max(1);
    let height = |v: u64| -> u32 {
        let h = (u128::from(v) * u128::from(HEIGHT - 14) / u128::from(max)) as u32;
        if v > 0 { h.max(2) } else { 0 }
    };
    html! {
        svg.chart viewBox={"0 0 " (WIDTH) " " (HEIGHT)} width=(WIDTH) height=(HEIGHT) role="img"
            aria-label="records written and quarantined per run" {
            title { "Records written (blue) and quarantined (red) per run, oldest first; the tallest bar is " (max) }
            line x1="0" y1=(HEIGHT - 12) x2=(WIDTH) y2=(HEIGHT - 12) class="axis" {}
            @for (i, p) in points.iter().enumerate() {
                @let x = u32::try_from(i).unwrap_or(0) * slot;
                @let (w, e) = (height(p.written), height(p.errors));
                g {
                    title { "run " (p.run_id) " at " (p.label) ": " (p.written) " written, " (p.errors) " quarantined" }
                    rect.written x=(x) y=(HEIGHT - 12 - w) width=(bar) height=(w) {}
                    rect.errors x=(x + bar + 1) y=(HEIGHT - 12 - e) width=(bar) height=(e) {}
                }
            }
            text x="0" y=(HEIGHT - 1) { "max " (max) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_largest_and_name_each_run() {
        let points = vec![
            Point { run_id: 1, label: "a".into(), written: 100, errors: 0 },
            Point { run_id: 2, label: "b".into(), written: 50, errors: 2 },
        ];
        let svg = bars(&points).into_string();
        assert!(svg.contains("run 2 at b: 50 written, 2 quarantined"), "{svg}");
        assert!(svg.contains("height=\"106\""), "the largest bar fills the chart: {svg}");
        assert!(svg.contains("max 100"));
        assert!(bars(&[]).into_string().contains("max 1"));
    }
}
