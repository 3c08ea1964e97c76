//! Flow files: a flow described in TOML and run by the engine, as `connector sync` does.
//!
//! ```toml
//! name = "customers-erp-to-crm"
//! entity = "customers"
//! tenant = "acme"            # optional, default "default"
//!
//! [source]
//! system = "file"
//! options = { path = "customers.csv" }
//!
//! [sink]
//! system = "file"
//! options = { path = "crm-customers.jsonl" }
//!
//! mapping = "customers.mapping.toml"   # optional; `file.toml#name` picks one mapping
//!
//! [options]                  # all optional: connector_core::flow::FlowSettings
//! batch_size = 100
//! concurrency = 4
//! deactivate_absent = true
//! max_deactivate_percent = 10
//! activity = "changes"       # off | changes | all
//! redact_personal_data = true
//! activity_retention_days = 30
//! allow_mass_deactivation = false
//! plan_limit = 1000
//! ```
//!
//! Options of a system not given in the file come from `CONNECTOR_<SYSTEM>_<KEY>`
//! environment variables. A relative `path` option is taken relative to the flow file, and so
//! is `mapping`: a mapping document (see `connector_mapping`) whose mapping from the flow's
//! entity to itself becomes the flow's mapping step (its create-only fields set
//! `prepare_update`). It is loaded and checked with the flow file, before any record flows.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use connector_core::flow::{Flow, FlowSettings, ProgressFn, RunMode, RunReport};
use connector_core::state::StateStore;
use connector_core::{EntityKind, Error, Result};
use serde::Deserialize;

use crate::registry::{self, Options};

/// One end of a flow: a system and its options.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Endpoint {
    /// The system's name (`file`, `xero`).
    pub system: String,
    /// Its options; the environment fills the rest.
    #[serde(default)]
    pub options: Options,
}

/// A flow described in TOML.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlowFile {
    /// The flow's name: keys its checkpoints and quarantine.
    pub name: String,
    /// The entity (`customers`, `price-lists`).
    pub entity: String,
    /// The tenant (default `default`).
    #[serde(default)]
    pub tenant: Option<String>,
    /// Where records come from.
    pub source: Endpoint,
    /// Where they go.
    pub sink: Endpoint,
    /// A mapping document for the flow's entity, relative to the flow file (`file#name`
    /// picks a mapping by name).
    #[serde(default)]
    pub mapping: Option<String>,
    /// Engine settings: the serde half of the engine's `FlowOptions`.
    #[serde(default)]
    pub options: FlowSettings,
    #[serde(skip)]
    dir: PathBuf,
    /// Set by [`for_tenant`](Self::for_tenant): one tenant of a fleet, whose settings come
    /// from the flow file and the tenant alone (not the worker's environment) and whose
    /// rotating tokens are kept under the tenant.
    #[serde(skip)]
    fleet: bool,
}

impl FlowFile {
    /// Reads and checks a flow file.
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::config(format!("cannot read flow file {}: {e}", path.display())))?;
        let mut flow =
            Self::parse(&text).map_err(|e| e.context(format!("flow file {}", path.display())))?;
        flow.dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        flow.mapping_plan()?;
        Ok(flow)
    }

    /// Loads, checks and compiles the flow's mapping, if it has one.
    pub fn mapping_plan(&self) -> Result<Option<Arc<connector_mapping::MappingPlan>>> {
        let Some(spec) = &self.mapping else { return Ok(None) };
        let (file, name) = match spec.split_once('#') {
            Some((f, n)) => (f, Some(n)),
            None => (spec.as_str(), None),
        };
        let path = self.dir.join(file);
        let mut set =
            connector_mapping::Loader::new().load_file(&path).map_err(|e| e.into_error())?;
        let kind = self.entity_kind()?;
        let plan = match name {
            Some(n) => set.take(n).ok_or_else(|| {
                Error::config(format!("mapping file {} has no mapping named `{n}`", path.display()))
            })?,
            None => {
                set.take_for(kind).map_err(|m| Error::config(format!("{}: {m}", path.display())))?
            }
        };
        Ok(Some(Arc::new(plan)))
    }

    /// The flow for `tenant`: its checkpoints, ledger and quarantine under that tenant, and
    /// each system's `settings` (a fleet keeps them per tenant) filling in what the flow
    /// file's options for that system's endpoints leave unset: the flow file says what the
    /// flow is, the tenant's settings whose account it runs on.
    pub fn for_tenant(
        &self,
        tenant: &str,
        settings: &std::collections::BTreeMap<String, Options>,
    ) -> Self {
        let mut flow = self.clone();
        flow.tenant = Some(tenant.to_owned());
        flow.fleet = true;
        for endpoint in [&mut flow.source, &mut flow.sink] {
            if let Some(s) = settings.get(&endpoint.system) {
                for (k, v) in s {
                    endpoint.options.entry(k.clone()).or_insert_with(|| v.clone());
                }
            }
        }
        flow
    }

    /// Parses a flow file's text (relative paths are then taken from the current directory).
    pub fn parse(text: &str) -> Result<Self> {
        let flow: FlowFile = toml::from_str(text).map_err(|e| Error::config(e.to_string()))?;
        flow.entity_kind()?;
        Ok(flow)
    }

    /// The entity kind.
    pub fn entity_kind(&self) -> Result<EntityKind> {
        EntityKind::parse(&self.entity).ok_or_else(|| {
            Error::config(format!(
                "unknown entity `{}`; known: {}",
                self.entity,
                EntityKind::ALL.map(|k| k.as_str()).join(", ")
            ))
        })
    }

    fn endpoint_options(&self, endpoint: &Endpoint) -> Options {
        // A fleet's tenant never runs on the worker's own account: the environment's
        // `CONNECTOR_<SYSTEM>_*` settings fill in only flows run on their own.
        let mut options = if self.fleet {
            endpoint.options.clone()
        } else {
            registry::merged_options(&endpoint.system, &endpoint.options)
        };
        if let Some(p) = endpoint.options.get("path") {
            let p = Path::new(p);
            if p.is_relative() && !self.dir.as_os_str().is_empty() {
                options.insert("path".into(), self.dir.join(p).to_string_lossy().into_owned());
            }
        }
        options
    }

    /// Runs the flow (or plans it, with `dry_run`), calling `progress` after every batch.
    pub async fn run(
        &self,
        state: Arc<dyn StateStore>,
        mode: RunMode,
        dry_run: bool,
        progress: Option<ProgressFn>,
    ) -> Result<RunReport> {
        let kind = self.entity_kind()?;
        crate::with_entity!(kind, E => {
            let flow = self.build::<E>(state, progress)?;
            Ok(if dry_run { flow.dry_run(mode).await } else { flow.run(mode).await })
        })
    }

    /// Replays the flow's open quarantined records.
    pub async fn replay(&self, state: Arc<dyn StateStore>) -> Result<RunReport> {
        let kind = self.entity_kind()?;
        crate::with_entity!(kind, E => Ok(self.build::<E>(state, None)?.replay().await))
    }

    /// Builds the engine's flow for entity `E`.
    pub fn build<E: connector_core::Entity>(
        &self,
        state: Arc<dyn StateStore>,
        progress: Option<ProgressFn>,
    ) -> Result<Flow<E>> {
        // A fleet's tenant keeps its rotating tokens in a place of its own: two tenants on
        // one app (one client id) never spend each other's refresh token. (A flow file run
        // on its own keeps them where it always has.)
        let systems = match (&self.tenant, self.fleet) {
            (Some(tenant), true) => registry::with_state(state.clone())?.scoped(tenant.clone()),
            _ => registry::with_state(state.clone())?,
        };
        let source =
            systems.source::<E>(&self.source.system, &self.endpoint_options(&self.source))?;
        let sink = systems.sink::<E>(&self.sink.system, &self.endpoint_options(&self.sink))?;
        let settings = self.options.clone();
        let mut builder = Flow::builder(self.name.clone(), source, sink, state)
            .tenant(self.tenant.clone().unwrap_or_else(|| "default".into()))
            .configure(|f| f.settings = settings);
        if let Some(plan) = self.mapping_plan()? {
            let prepare = plan.prepare_update::<E>();
            builder = builder.step(plan.step::<E>()?).configure(|f| f.prepare_update = prepare);
        }
        if let Some(p) = progress {
            builder = builder.on_progress(move |x| p(x));
        }
        Ok(builder.build())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use connector_core::flow::ActivityLevel;

    #[test]
    fn parses_and_rejects_unknowns() {
        let f = FlowFile::parse(
            r#"
name = "c"
entity = "customers"
[source]
system = "file"
options = { path = "a.csv" }
[sink]
system = "file"
options = { path = "b.jsonl" }
[options]
deactivate_absent = true
activity = "all"
"#,
        )
        .unwrap();
        assert_eq!(f.entity_kind().unwrap(), EntityKind::Customer);
        assert!(f.options.deactivate_absent);
        assert_eq!(f.options.activity, ActivityLevel::All);
        assert_eq!(f.options.batch_size, 100, "unset keys keep their defaults");

        let err = FlowFile::parse(
            "name='x'\nentity='widgets'\n[source]\nsystem='file'\n[sink]\nsystem='file'\n",
        )
        .unwrap_err();
        assert!(err.to_string().contains("unknown entity `widgets`"), "{err}");
        let err = FlowFile::parse("name='x'\nentity='customers'\ncolour='red'\n[source]\nsystem='file'\n[sink]\nsystem='file'\n")
            .unwrap_err();
        assert!(err.to_string().contains("colour"), "{err}");
    }
}
