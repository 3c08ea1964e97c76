//! [`Router`]: a tiny path router with `{param}` segments.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use async_trait::async_trait;

use super::request::percent_decode;
use super::{SimHandler, SimRequest, SimResponse};

/// Handles one route: gets the request and the values of the route's `{param}`s. Any
/// `Fn(SimRequest, Params) -> impl Future<Output = SimResponse>` closure is one.
#[async_trait]
pub trait RouteHandler: Send + Sync {
    /// Answers one request that matched the route.
    async fn call(&self, req: SimRequest, params: Params) -> SimResponse;
}

#[async_trait]
impl<F, Fut> RouteHandler for F
where
    F: Fn(SimRequest, Params) -> Fut + Send + Sync,
    Fut: Future<Output = SimResponse> + Send,
{
    async fn call(&self, req: SimRequest, params: Params) -> SimResponse {
        (self)(req, params).await
    }
}

/// The values of a matched route's `{param}`s, percent-decoded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params(Vec<(String, String)>);

impl Params {
    /// The value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// Every (name, value) pair, in pattern order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// How many params matched.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the route had no params.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

type NotFound = Arc<dyn Fn(&SimRequest) -> SimResponse + Send + Sync>;
type NotAllowed = Arc<dyn Fn(&SimRequest, &[String]) -> SimResponse + Send + Sync>;

/// Routes requests by method and path pattern.
///
/// A pattern is a path whose segments are literals, `{name}` params (a whole segment, or with
/// a literal prefix and suffix as in `Accounts(guid'{id}')`), or a final `{*name}` matching
/// the rest of the path. A trailing slash is ignored. When several routes match, the most
/// literal one wins, then the first added. An unknown path gets 404 and a known path with
/// another method 405 (with `Allow`), both with a JSON body, unless replaced with
/// [`Router::not_found`] and [`Router::method_not_allowed`].
#[derive(Clone, Default)]
pub struct Router {
    routes: Vec<Route>,
    not_found: Option<NotFound>,
    not_allowed: Option<NotAllowed>,
}

#[derive(Clone)]
struct Route {
    method: String,
    pattern: Pattern,
    handler: Arc<dyn RouteHandler>,
}

impl fmt::Debug for Router {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let routes: Vec<String> =
            self.routes.iter().map(|r| format!("{} {}", r.method, r.pattern.text)).collect();
        f.debug_struct("Router").field("routes", &routes).finish_non_exhaustive()
    }
}

impl Router {
    /// A router with no routes.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a route answered by an async closure `|req, params| async move { ... }`;
    /// `method` is case-insensitive, `*` matches any method.
    #[must_use]
    pub fn route<F, Fut>(self, method: &str, pattern: &str, handler: F) -> Self
    where
        F: Fn(SimRequest, Params) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = SimResponse> + Send + 'static,
    {
        self.route_to(method, pattern, handler)
    }

    /// Adds a route answered by a [`RouteHandler`] (a type of the simulator's own).
    #[must_use]
    pub fn route_to(
        mut self,
        method: &str,
        pattern: &str,
        handler: impl RouteHandler + 'static,
    ) -> Self {
        self.routes.push(Route {
            method: method.to_ascii_uppercase(),
            pattern: Pattern::parse(pattern),
            handler: Arc::new(handler),
        });
        self
    }

    /// Adds a `GET` route answered by an async closure.
    #[must_use]
    pub fn get<F, Fut>(self, pattern: &str, handler: F) -> Self
    where
        F: Fn(SimRequest, Params) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = SimResponse> + Send + 'static,
    {
        self.route("GET", pattern, handler)
    }

    /// Adds a `POST` route answered by an async closure.
    #[must_use]
    pub fn post<F, Fut>(self, pattern: &str, handler: F) -> Self
    where
        F: Fn(SimRequest, Params) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = SimResponse> + Send + 'static,
    {
        self.route("POST", pattern, handler)
    }

    /// Adds a `PUT` route answered by an async closure.
    #[must_use]
    pub fn put<F, Fut>(self, pattern: &str, handler: F) -> Self
    where
        F: Fn(SimRequest, Params) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = SimResponse> + Send + 'static,
    {
        self.route("PUT", pattern, handler)
    }

    /// Adds a `PATCH` route answered by an async closure.
    #[must_use]
    pub fn patch<F, Fut>(self, pattern: &str, handler: F) -> Self
    where
        F: Fn(SimRequest, Params) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = SimResponse> + Send + 'static,
    {
        self.route("PATCH", pattern, handler)
    }

    /// Adds a `DELETE` route answered by an async closure.
    #[must_use]
    pub fn delete<F, Fut>(self, pattern: &str, handler: F) -> Self
    where
        F: Fn(SimRequest, Params) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = SimResponse> + Send + 'static,
    {
        self.route("DELETE", pattern, handler)
    }

    /// Replaces the 404 answer for unknown paths (Skynamo's gateway, for one, answers
    /// `{"message":"Missing Authentication Token"}`).
    #[must_use]
    pub fn not_found(
        mut self,
        answer: impl Fn(&SimRequest) -> SimResponse + Send + Sync + 'static,
    ) -> Self {
        self.not_found = Some(Arc::new(answer));
        self
    }

    /// Replaces the 405 answer for a known path with another method; gets the allowed
    /// methods.
    #[must_use]
    pub fn method_not_allowed(
        mut self,
        answer: impl Fn(&SimRequest, &[String]) -> SimResponse + Send + Sync + 'static,
    ) -> Self {
        self.not_allowed = Some(Arc::new(answer));
        self
    }

    /// Answers `req` through the best matching route.
    pub async fn dispatch(&self, req: SimRequest) -> SimResponse {
        let segments = split_path(&req.path);
        let mut best: Option<(&Route, Params, Vec<u8>)> = None;
        let mut allowed: Vec<String> = Vec::new();
        for route in &self.routes {
            let Some(params) = route.pattern.matches(&segments) else { continue };
            if route.method != "*" && route.method != req.method.as_str() {
                if !allowed.contains(&route.method) {
                    allowed.push(route.method.clone());
                }
                continue;
            }
            let rank = route.pattern.rank();
            if best.as_ref().is_none_or(|(_, _, r)| rank > *r) {
                best = Some((route, params, rank));
            }
        }
        match best {
            Some((route, params, _)) => route.handler.call(req, params).await,
            None if allowed.is_empty() => match &self.not_found {
                Some(answer) => answer(&req),
                None => SimResponse::error(
                    404,
                    "not_found",
                    &format!("no route for {} {}", req.method, req.path),
                ),
            },
            None => match &self.not_allowed {
                Some(answer) => answer(&req, &allowed),
                None => SimResponse::error(
                    405,
                    "method_not_allowed",
                    &format!("{} is not allowed on {}", req.method, req.path),
                )
                .with_header("Allow", allowed.join(", ")),
            },
        }
    }
}

#[async_trait]
impl SimHandler for Router {
    async fn handle(&self, req: SimRequest) -> SimResponse {
        self.dispatch(req).await
    }
}

/// The decoded segments of a path, without the leading and a trailing slash.
fn split_path(path: &str) -> Vec<String> {
    let trimmed = path.strip_prefix('/').unwrap_or(path);
    let trimmed = trimmed.strip_suffix('/').unwrap_or(trimmed);
    if trimmed.is_empty() {
        return Vec::new();
    }
    trimmed.split('/').map(percent_decode).collect()
}

#[derive(Debug, Clone)]
struct Pattern {
    text: String,
    segments: Vec<Segment>,
}

#[derive(Debug, Clone)]
enum Segment {
    Literal(String),
    Param { prefix: String, name: String, suffix: String },
    Rest(String),
}

impl Pattern {
    fn parse(text: &str) -> Self {
        let raw = split_path(text);
        let last = raw.len().saturating_sub(1);
        let segments = raw
            .iter()
            .enumerate()
            .map(|(i, seg)| {
                let rest = seg.strip_prefix("{*").and_then(|s| s.strip_suffix('}'));
                if let Some(name) = rest.filter(|_| i == last) {
                    return Segment::Rest(name.to_owned());
                }
                match seg.find('{').zip(seg.rfind('}')) {
                    Some((open, close)) if open < close => Segment::Param {
                        prefix: seg[..open].to_owned(),
                        name: seg[open + 1..close].trim_start_matches('*').to_owned(),
                        suffix: seg[close + 1..].to_owned(),
                    },
                    _ => Segment::Literal(seg.clone()),
                }
            })
            .collect();
        Pattern { text: text.to_owned(), segments }
    }

    /// How literal each segment is; higher wins.
    fn rank(&self) -> Vec<u8> {
        self.segments
            .iter()
            .map(|s| match s {
                Segment::Literal(_) => 3,
                Segment::Param { prefix, suffix, .. }
                    if !prefix.is_empty() || !suffix.is_empty() =>
                {
                    2
                }
                Segment::Param { .. } => 1,
                Segment::Rest(_) => 0,
            })
            .collect()
    }

    fn matches(&self, path: &[String]) -> Option<Params> {
        let mut params = Vec::new();
        for (i, segment) in self.segments.iter().enumerate() {
            match segment {
                Segment::Rest(name) => {
                    params.push((name.clone(), path.get(i..).unwrap_or_default().join("/")));
                    return Some(Params(params));
                }
                Segment::Literal(lit) => {
                    if path.get(i) != Some(lit) {
                        return None;
                    }
                }
                Segment::Param { prefix, name, suffix } => {
                    let value = path
                        .get(i)?
                        .strip_prefix(prefix.as_str())?
                        .strip_suffix(suffix.as_str())
                        .filter(|v| !v.is_empty())?;
                    params.push((name.clone(), value.to_owned()));
                }
            }
        }
        (path.len() == self.segments.len()).then_some(Params(params))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(pattern: &str, path: &str) -> Option<Vec<(String, String)>> {
        Pattern::parse(pattern).matches(&split_path(path)).map(|p| p.0)
    }

    #[test]
    fn matches_patterns() {
        assert_eq!(
            matches("/api/v1/{division}/crm/Accounts", "/api/v1/42/crm/Accounts/"),
            Some(vec![("division".into(), "42".into())])
        );
        assert_eq!(
            matches("/crm/Accounts(guid'{id}')", "/crm/Accounts(guid'ab%20c')"),
            Some(vec![("id".into(), "ab c".into())])
        );
        assert_eq!(
            matches("/query/{*locator}", "/query/01g-2000/x"),
            Some(vec![("locator".into(), "01g-2000/x".into())])
        );
        assert_eq!(matches("/a/{id}", "/a"), None);
        assert_eq!(matches("/a/{id}", "/a/1/2"), None);
        assert_eq!(matches("/", "/"), Some(vec![]));
    }
}
