//! Salesforce's rate limits: the per-org budget and the header that reports it.

use connector_core::http::{
    HeaderMap, RateBudget, RateFeedback, Window, WindowFeedback, header_str,
};

/// Per org: a rolling 24-hour allowance whose size `Sforce-Limit-Info` tells (unlimited until
/// the first response).
pub fn org_budget() -> RateBudget {
    RateBudget::builder().name("salesforce org").window(Window::per_day(u64::MAX)).build()
}

/// `Sforce-Limit-Info: api-usage=18/5000` (the org's rolling 24-hour allocation) feeds the
/// `day` window.
pub fn feedback(headers: &HeaderMap) -> Option<RateFeedback> {
    let info = header_str(headers, "sforce-limit-info")?;
    let usage = info.split([';', ',']).find_map(|part| {
        let (k, v) = part.trim().split_once('=')?;
        (k.trim() == "api-usage").then_some(v.trim())
    })?;
    let (used, limit) = usage.split_once('/')?;
    let used: u64 = used.trim().parse().ok()?;
    let limit: u64 = limit.trim().parse().ok()?;
    Some(RateFeedback {
        windows: vec![
            WindowFeedback::remaining(Window::DAY, limit.saturating_sub(used)).with_limit(limit),
        ],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_info_header() {
        let mut h = HeaderMap::new();
        h.insert(
            "Sforce-Limit-Info",
            "api-usage=18/5000; per-app-api-usage=17/250(appName=sample)".parse().unwrap(),
        );
        let fb = feedback(&h).unwrap();
        assert_eq!(fb.windows, vec![WindowFeedback::remaining("day", 4982).with_limit(5000)]);
        h.insert("Sforce-Limit-Info", "junk".parse().unwrap());
        assert!(feedback(&h).is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn a_spent_org_allowance_fails_fast() {
        let b = org_budget();
        b.apply_feedback(&RateFeedback {
            windows: vec![WindowFeedback::remaining("day", 0).with_limit(5000)],
        });
        let err = b.acquire().await.unwrap_err();
        assert_eq!(err.kind(), connector_core::ErrorKind::BudgetExhausted);
        assert!(format!("{b:?}").contains("5000"));
    }
}
