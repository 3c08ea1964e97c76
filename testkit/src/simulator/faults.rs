//! [`Faults`]: failures injected into a running simulator.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use hyper::Method;
use tokio::sync::watch;

use super::{SimRequest, SimResponse, lock};

/// What an injected fault does to a request.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Answer with this response instead of the handler's.
    Respond(SimResponse),
    /// Wait this long, then carry on.
    Delay(Duration),
    /// Do not answer until the rule is removed, or for the given time, then carry on. A
    /// `next(k)` hang keeps holding the requests it caught after its `k`th (it hangs them,
    /// it does not let them go when it retires).
    Hang(Option<Duration>),
    /// Close the connection without an answer.
    DropConnection,
    /// Spoil the body of a 2xx answer that has one.
    Malformed(Malform),
}

impl Fault {
    /// Answer `status` with the kit's JSON error body.
    pub fn status(status: u16) -> Self {
        Fault::Respond(SimResponse::error(
            status,
            "injected_fault",
            "fault injected by the simulator",
        ))
    }

    /// Answer 429 with `Retry-After` in whole seconds (rounded up).
    pub fn too_many_requests(retry_after: Duration) -> Self {
        let seconds = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
        Fault::Respond(
            SimResponse::error(429, "rate_limited", "too many requests (injected)")
                .with_header("Retry-After", seconds),
        )
    }
}

/// How [`Fault::Malformed`] spoils a body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Malform {
    /// Cut the body in half (a body cut off mid-stream, with a matching `Content-Length`).
    #[default]
    Truncate,
    /// Replace the first `:`, `,`, `{` or `[` with `#`.
    Garble,
}

impl Malform {
    fn apply(self, body: &Bytes) -> Bytes {
        match self {
            Malform::Truncate => body.slice(..body.len() / 2),
            Malform::Garble => {
                let mut bytes = body.to_vec();
                match bytes.iter().position(|b| matches!(b, b':' | b',' | b'{' | b'[')) {
                    Some(i) => bytes[i] = b'#',
                    None => bytes.insert(0, b'#'),
                }
                Bytes::from(bytes)
            }
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Trigger {
    Always,
    EveryNth(u64),
    Next(u64),
}

/// A fault with when and where it applies. Made with [`FaultRule::new`] and narrowed with
/// the other methods; added with [`Faults::add`].
#[derive(Debug, Clone)]
pub struct FaultRule {
    fault: Fault,
    trigger: Trigger,
    path_prefix: Option<String>,
    method: Option<Method>,
    after_handler: bool,
}

impl FaultRule {
    /// `fault` on every matching request.
    pub fn new(fault: Fault) -> Self {
        FaultRule {
            fault,
            trigger: Trigger::Always,
            path_prefix: None,
            method: None,
            after_handler: false,
        }
    }

    /// Only on every `n`th matching request (the `n`th, `2n`th, ...).
    #[must_use]
    pub fn every(mut self, n: u64) -> Self {
        self.trigger = Trigger::EveryNth(n.max(1));
        self
    }

    /// Only on the next `k` matching requests; the rule then removes itself.
    #[must_use]
    pub fn next(mut self, k: u64) -> Self {
        self.trigger = Trigger::Next(k);
        self
    }

    /// Only on paths under `prefix`, by whole segments (`/Invoices` covers `/Invoices/7`, not
    /// `/InvoicesX`).
    #[must_use]
    pub fn on_path(mut self, prefix: &str) -> Self {
        self.path_prefix = Some(prefix.to_owned());
        self
    }

    /// Only on requests with `method`.
    #[must_use]
    pub fn on_method(mut self, method: Method) -> Self {
        self.method = Some(method);
        self
    }

    /// Apply a [`Fault::Respond`] or [`Fault::DropConnection`] after the handler ran, so the
    /// write happened but the client cannot know (an uncertain write).
    #[must_use]
    pub fn after_handler(mut self) -> Self {
        self.after_handler = true;
        self
    }

    fn runs_after(&self) -> bool {
        self.after_handler || matches!(self.fault, Fault::Malformed(_))
    }
}

/// Identifies an added rule, to remove it or read how often it fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FaultId(u64);

/// The fault switchboard of a running simulator. Cheap to clone; clones share the rules.
///
/// Rules apply in the order they were added: a dropped connection wins over everything; hangs
/// and delays add up; the first response replaces the handler's. Rules added through a
/// [`Faults::scoped`] handle apply only under its path prefix.
#[derive(Clone, Default)]
pub struct Faults {
    shared: Arc<Shared>,
    scope: Option<String>,
}

#[derive(Default)]
struct Shared {
    state: Mutex<FaultState>,
    changed: watch::Sender<u64>,
    token_generation: AtomicU64,
}

#[derive(Default)]
struct FaultState {
    next_id: u64,
    rules: Vec<Active>,
    fired: HashMap<FaultId, u64>,
    /// Hang rules that retired themselves after their `next(k)` requests: the requests they
    /// hold keep hanging (for their time) until the rule is removed or the faults cleared.
    retired_hangs: HashSet<FaultId>,
}

impl FaultState {
    /// Drops exhausted `next(k)` rules, remembering the hang rules among them.
    fn retire_exhausted(&mut self) {
        let FaultState { rules, retired_hangs, .. } = self;
        rules.retain(|a| {
            let exhausted = a.exhausted();
            if exhausted && matches!(a.rule.fault, Fault::Hang(_)) {
                retired_hangs.insert(a.id);
            }
            !exhausted
        });
    }
}

struct Active {
    id: FaultId,
    rule: FaultRule,
    scope: Option<String>,
    seen: u64,
}

impl Active {
    fn applies(&self, method: &Method, path: &str) -> bool {
        let prefix = self.rule.path_prefix.as_deref().or(self.scope.as_deref());
        prefix.is_none_or(|p| under(p, path))
            && self.rule.method.as_ref().is_none_or(|m| m == method)
    }

    /// Counts a matching request and says whether the rule fires on it.
    fn fires(&mut self) -> bool {
        self.seen += 1;
        match &mut self.rule.trigger {
            Trigger::Always => true,
            Trigger::EveryNth(n) => self.seen % *n == 0,
            Trigger::Next(left) => {
                let fires = *left > 0;
                *left = left.saturating_sub(1);
                fires
            }
        }
    }

    fn exhausted(&self) -> bool {
        matches!(self.rule.trigger, Trigger::Next(0))
    }
}

/// Whether `path` is `prefix` or below it, by whole segments.
fn under(prefix: &str, path: &str) -> bool {
    match path.strip_prefix(prefix) {
        Some(rest) => rest.is_empty() || prefix.ends_with('/') || rest.starts_with('/'),
        None => false,
    }
}

impl fmt::Debug for Faults {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = lock(&self.shared.state);
        let rules: Vec<&FaultRule> = state.rules.iter().map(|a| &a.rule).collect();
        f.debug_struct("Faults").field("scope", &self.scope).field("rules", &rules).finish()
    }
}

/// What to do to a request before the handler runs.
#[derive(Debug, Default)]
pub(crate) struct Before {
    pub(crate) drop: bool,
    pub(crate) hangs: Vec<(FaultId, Option<Duration>)>,
    pub(crate) delay: Duration,
    pub(crate) respond: Option<SimResponse>,
}

impl Faults {
    /// No faults.
    pub fn new() -> Self {
        Self::default()
    }

    /// A handle whose added rules apply only under `prefix` (unless a rule names its own);
    /// its [`Faults::clear`] removes only those rules.
    pub fn scoped(&self, prefix: &str) -> Faults {
        Faults { shared: Arc::clone(&self.shared), scope: Some(prefix.to_owned()) }
    }

    /// Adds a rule.
    pub fn add(&self, rule: FaultRule) -> FaultId {
        let mut state = lock(&self.shared.state);
        state.next_id += 1;
        let id = FaultId(state.next_id);
        state.rules.push(Active { id, rule, scope: self.scope.clone(), seen: 0 });
        drop(state);
        self.notify();
        id
    }

    /// Every `n`th request answers `status`.
    pub fn fail_every(&self, n: u64, status: u16) -> FaultId {
        self.add(FaultRule::new(Fault::status(status)).every(n))
    }

    /// The next `k` requests answer `status`.
    pub fn fail_next(&self, k: u64, status: u16) -> FaultId {
        self.add(FaultRule::new(Fault::status(status)).next(k))
    }

    /// A 429 storm: the next `k` requests answer 429 with `Retry-After`.
    pub fn storm_429(&self, k: u64, retry_after: Duration) -> FaultId {
        self.add(FaultRule::new(Fault::too_many_requests(retry_after)).next(k))
    }

    /// Every request waits `delay` before it is handled.
    pub fn slow(&self, delay: Duration) -> FaultId {
        self.add(FaultRule::new(Fault::Delay(delay)))
    }

    /// Every request hangs until this rule is removed (or the faults cleared).
    pub fn hang(&self) -> FaultId {
        self.add(FaultRule::new(Fault::Hang(None)))
    }

    /// Every request hangs for `duration`, then is handled.
    pub fn hang_for(&self, duration: Duration) -> FaultId {
        self.add(FaultRule::new(Fault::Hang(Some(duration))))
    }

    /// Every `n`th request has its connection closed without an answer.
    pub fn drop_every(&self, n: u64) -> FaultId {
        self.add(FaultRule::new(Fault::DropConnection).every(n))
    }

    /// Every `n`th 2xx answer with a body has its body cut in half.
    pub fn malform_every(&self, n: u64) -> FaultId {
        self.add(FaultRule::new(Fault::Malformed(Malform::Truncate)).every(n))
    }

    /// Makes every access token issued so far by a [`TokenIssuer`](super::TokenIssuer) linked
    /// to these faults invalid, so the next call with one gets 401.
    pub fn expire_tokens(&self) {
        self.shared.token_generation.fetch_add(1, Ordering::SeqCst);
    }

    /// How many times [`Faults::expire_tokens`] was called.
    pub fn token_generation(&self) -> u64 {
        self.shared.token_generation.load(Ordering::SeqCst)
    }

    /// Removes a rule; a hung request it holds carries on. Returns whether it was there.
    pub fn remove(&self, id: FaultId) -> bool {
        let mut state = lock(&self.shared.state);
        let before = state.rules.len();
        state.rules.retain(|a| a.id != id);
        let removed = state.rules.len() != before || state.retired_hangs.remove(&id);
        drop(state);
        self.notify();
        removed
    }

    /// Removes every rule (of this scope, on a scoped handle); hung requests carry on.
    pub fn clear(&self) {
        let mut state = lock(&self.shared.state);
        match &self.scope {
            None => state.rules.clear(),
            Some(scope) => state.rules.retain(|a| a.scope.as_ref() != Some(scope)),
        }
        // Every retired hang is released (they are not tracked by scope).
        state.retired_hangs.clear();
        drop(state);
        self.notify();
    }

    /// Whether the rule is still in force.
    pub fn is_active(&self, id: FaultId) -> bool {
        lock(&self.shared.state).rules.iter().any(|a| a.id == id)
    }

    /// How many requests the rule has acted on.
    pub fn fired(&self, id: FaultId) -> u64 {
        lock(&self.shared.state).fired.get(&id).copied().unwrap_or(0)
    }

    fn notify(&self) {
        self.shared.changed.send_modify(|generation| *generation += 1);
    }

    /// Runs the rules that act before the handler.
    pub(crate) fn before(&self, req: &SimRequest) -> Before {
        let mut plan = Before::default();
        let mut state = lock(&self.shared.state);
        let FaultState { rules, fired, .. } = &mut *state;
        for active in
            rules.iter_mut().filter(|a| !a.rule.runs_after() && a.applies(&req.method, &req.path))
        {
            if !active.fires() {
                continue;
            }
            *fired.entry(active.id).or_default() += 1;
            match &active.rule.fault {
                Fault::DropConnection => plan.drop = true,
                Fault::Hang(limit) => plan.hangs.push((active.id, *limit)),
                Fault::Delay(delay) => plan.delay += *delay,
                Fault::Respond(response) => {
                    plan.respond.get_or_insert_with(|| response.clone());
                }
                Fault::Malformed(_) => {}
            }
        }
        state.retire_exhausted();
        plan
    }

    /// Runs the rules that act on the handler's answer; `None` means drop the connection.
    pub(crate) fn after(
        &self,
        method: &Method,
        path: &str,
        mut response: SimResponse,
    ) -> Option<SimResponse> {
        let mut state = lock(&self.shared.state);
        let FaultState { rules, fired, .. } = &mut *state;
        let mut replaced = false;
        for active in rules.iter_mut().filter(|a| a.rule.runs_after() && a.applies(method, path)) {
            let eligible = match active.rule.fault {
                Fault::Malformed(_) => response.status.is_success() && !response.body.is_empty(),
                _ => true,
            };
            if !eligible || !active.fires() {
                continue;
            }
            *fired.entry(active.id).or_default() += 1;
            match &active.rule.fault {
                Fault::DropConnection => return None,
                Fault::Respond(r) if !replaced => {
                    response = r.clone();
                    replaced = true;
                }
                Fault::Malformed(how) => response.body = how.apply(&response.body),
                _ => {}
            }
        }
        state.retire_exhausted();
        Some(response)
    }

    /// Whether the hang rule `id` still holds its requests: in force, or retired after its
    /// `next(k)` requests but not removed.
    fn holds(&self, id: FaultId) -> bool {
        let state = lock(&self.shared.state);
        state.retired_hangs.contains(&id) || state.rules.iter().any(|a| a.id == id)
    }

    /// Waits while the hang rule `id` holds (a `next(k)` rule that retired itself still
    /// holds the requests it caught), at most `limit`.
    pub(crate) async fn hang_on(&self, id: FaultId, limit: Option<Duration>) {
        let mut changes = self.shared.changed.subscribe();
        let timer = async {
            match limit {
                Some(limit) => tokio::time::sleep(limit).await,
                None => std::future::pending().await,
            }
        };
        tokio::pin!(timer);
        while self.holds(id) {
            tokio::select! {
                () = &mut timer => return,
                changed = changes.changed() => if changed.is_err() { return },
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_fire_on_schedule_and_scope() {
        let faults = Faults::new();
        let every = faults.scoped("/a").fail_every(2, 500);
        let storm = faults.storm_429(1, Duration::from_millis(1500));
        let req = SimRequest::new(Method::GET, "/a/1");
        let first = faults
            .before(&req)
            .respond
            .map(|r| (r.status(), r.header("retry-after").map(str::to_owned)));
        assert_eq!(first, Some((429, Some("2".to_owned()))));
        assert_eq!(faults.before(&req).respond.map(|r| r.status()), Some(500));
        assert!(faults.before(&SimRequest::new(Method::GET, "/ab")).respond.is_none());
        assert!(!faults.is_active(storm));
        assert_eq!((faults.fired(every), faults.fired(storm)), (1, 1));
        faults.scoped("/a").clear();
        assert!(!faults.is_active(every));
    }

    #[tokio::test(start_paused = true)]
    async fn a_next_k_hang_holds_its_requests_after_it_retires() {
        let faults = Faults::new();
        let id = faults.add(FaultRule::new(Fault::Hang(Some(Duration::from_secs(300)))).next(1));
        let plan = faults.before(&SimRequest::new(Method::GET, "/a"));
        assert_eq!(plan.hangs, vec![(id, Some(Duration::from_secs(300)))]);
        assert!(!faults.is_active(id), "retired after one request");
        assert!(faults.before(&SimRequest::new(Method::GET, "/a")).hangs.is_empty());
        let start = tokio::time::Instant::now();
        faults.hang_on(id, Some(Duration::from_secs(300))).await;
        assert_eq!(start.elapsed(), Duration::from_secs(300), "held for its whole time");
        let held = faults.hang_on(id, None);
        let release = async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            assert!(faults.remove(id), "a retired hang can still be removed");
        };
        tokio::join!(held, release);
        assert_eq!(start.elapsed(), Duration::from_secs(305));
    }

    #[test]
    fn malforms_bodies() {
        let body = Bytes::from_static(br#"{"a":1}"#);
        assert_eq!(Malform::Truncate.apply(&body), Bytes::from_static(br#"{"a"#));
        assert_eq!(Malform::Garble.apply(&body), Bytes::from_static(br#"#"a":1}"#));
    }
}
