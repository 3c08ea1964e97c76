//! What a server's response headers say about the rate budget. Each connector parses its
//! vendor's headers into a [`RateFeedback`] (`connector_xero::limits::feedback`, …).

use std::borrow::Cow;
use std::time::Duration;

use reqwest::header::HeaderMap;

/// The server's view of one budget window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowFeedback {
    /// The window's name, matching a [`Window`](super::Window) of the budget (`minute`,
    /// `day`, `app_minute`). Unknown names are ignored.
    pub window: Cow<'static, str>,
    /// Requests left in the window.
    pub remaining: Option<u64>,
    /// The window's limit, if the server tells it (replaces the configured limit).
    pub limit: Option<u64>,
    /// When the window resets, if the server tells it.
    pub resets_in: Option<Duration>,
}

impl WindowFeedback {
    /// Feedback for `window` with `remaining` requests left.
    pub fn remaining(window: impl Into<Cow<'static, str>>, remaining: u64) -> Self {
        Self { window: window.into(), remaining: Some(remaining), limit: None, resets_in: None }
    }

    /// Sets the limit.
    pub fn with_limit(mut self, limit: u64) -> Self {
        self.limit = Some(limit);
        self
    }

    /// Sets when the window resets.
    pub fn with_reset(mut self, resets_in: Duration) -> Self {
        self.resets_in = Some(resets_in);
        self
    }
}

/// What one response said about the rate budget; fed to every budget of the client.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RateFeedback {
    /// Per-window observations.
    pub windows: Vec<WindowFeedback>,
}

impl RateFeedback {
    /// Whether there is nothing to apply.
    pub fn is_empty(&self) -> bool {
        self.windows.is_empty()
    }
}

/// A header's value as text, if present and visible ASCII.
pub fn header_str<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name)?.to_str().ok()
}

/// A header's value as a count, if present and numeric.
pub fn header_u64(headers: &HeaderMap, name: &str) -> Option<u64> {
    header_str(headers, name)?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_read_as_text_and_counts() {
        let mut h = HeaderMap::new();
        h.insert("x-left", " 59 ".parse().unwrap());
        h.insert("x-word", "day".parse().unwrap());
        assert_eq!(header_u64(&h, "X-Left"), Some(59));
        assert_eq!(header_u64(&h, "x-word"), None);
        assert_eq!(header_str(&h, "x-word"), Some("day"));
        assert_eq!(header_str(&h, "x-none"), None);
    }
}
