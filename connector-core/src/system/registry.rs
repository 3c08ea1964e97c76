//! The systems a build knows, by name.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use super::settings::check_keys;
use super::{AnySink, AnySource, Context, Options, System, and_list};
use crate::error::{Error, Result};
use crate::model::{Entity, EntityKind};
use crate::sink::Sink;
use crate::source::Source;
use crate::state::{Sealer, StateStore};

/// The systems compiled into a build, each registered once by its crate's `register`; the CLI,
/// flow files and hosts open sources and sinks through it by name.
#[derive(Default, Clone)]
pub struct Registry {
    systems: BTreeMap<&'static str, Arc<dyn System>>,
    ctx: Context,
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.systems.keys()).finish()
    }
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a system (replacing one of the same name).
    pub fn register(&mut self, system: impl System) -> &mut Self {
        self.systems.insert(system.name(), Arc::new(system));
        self
    }

    /// The same systems, keeping rotated refresh tokens in `state` (sealed with `sealer`) for
    /// every endpoint whose options name no `token_file`.
    pub fn keep_tokens_in(&self, state: Arc<dyn StateStore>, sealer: Option<Arc<Sealer>>) -> Self {
        Self { systems: self.systems.clone(), ctx: self.ctx.clone().keep_tokens_in(state, sealer) }
    }

    /// The same systems, keeping rotated tokens under `scope` (one tenant's apart from
    /// another's with the same app); see [`Context::scoped`].
    pub fn scoped(&self, scope: impl Into<String>) -> Self {
        Self { systems: self.systems.clone(), ctx: self.ctx.clone().scoped(scope) }
    }

    /// The names of the registered systems, in order.
    pub fn names(&self) -> Vec<&'static str> {
        self.systems.keys().copied().collect()
    }

    /// The registered systems, by name.
    pub fn systems(&self) -> impl Iterator<Item = &dyn System> {
        self.systems.values().map(|s| s.as_ref())
    }

    /// The system called `name`.
    pub fn get(&self, name: &str) -> Result<&dyn System> {
        self.systems.get(name).map(|s| s.as_ref()).ok_or_else(|| {
            Error::config(format!(
                "unknown system `{name}`; this build has {} (enable more with cargo features)",
                if self.systems.is_empty() {
                    "none".to_string()
                } else {
                    and_list(self.systems.keys())
                }
            ))
        })
    }

    /// A source of `kind` in `system`, its options checked against the declared settings.
    pub fn any_source(
        &self,
        system: &str,
        kind: EntityKind,
        options: &Options,
    ) -> Result<AnySource> {
        let sys = self.get(system)?;
        check_keys(sys.name(), sys.settings(), options)?;
        if !sys.reads().contains(&kind) {
            return Err(Error::unsupported(format!(
                "{} reads {}, not {kind}",
                sys.name(),
                and_list(sys.reads().iter().map(|k| k.as_str()))
            )));
        }
        let source = sys.source(kind, options, &self.ctx)?;
        if source.kind() != kind {
            return Err(Error::internal(format!(
                "{} opened a source of {} when {kind} was asked for",
                sys.name(),
                source.kind()
            )));
        }
        Ok(source)
    }

    /// A sink of `kind` in `system`, its options checked against the declared settings.
    pub fn any_sink(&self, system: &str, kind: EntityKind, options: &Options) -> Result<AnySink> {
        let sys = self.get(system)?;
        check_keys(sys.name(), sys.settings(), options)?;
        if !sys.writes().contains(&kind) {
            return Err(Error::unsupported(format!(
                "{} writes {}, not {kind}",
                sys.name(),
                and_list(sys.writes().iter().map(|k| k.as_str()))
            )));
        }
        let sink = sys.sink(kind, options, &self.ctx)?;
        if sink.kind() != kind {
            return Err(Error::internal(format!(
                "{} opened a sink of {} when {kind} was asked for",
                sys.name(),
                sink.kind()
            )));
        }
        Ok(sink)
    }

    /// A source of `E` in `system`.
    pub fn source<E: Entity>(&self, system: &str, options: &Options) -> Result<Arc<dyn Source<E>>> {
        let any = self.any_source(system, E::KIND, options)?;
        any.typed::<E>().ok_or_else(|| Error::internal("source of another entity"))
    }

    /// A sink of `E` in `system`.
    pub fn sink<E: Entity>(&self, system: &str, options: &Options) -> Result<Arc<dyn Sink<E>>> {
        let any = self.any_sink(system, E::KIND, options)?;
        any.typed::<E>().ok_or_else(|| Error::internal("sink of another entity"))
    }

    /// Tests the connection to `system`.
    pub async fn check(&self, system: &str, options: &Options) -> Result<()> {
        let sys = self.get(system)?;
        check_keys(sys.name(), sys.settings(), options)?;
        sys.check(options, &self.ctx).await
    }
}
