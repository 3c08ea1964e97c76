//! The flow files of a folder as the dashboard's [`FlowRunner`]: `connector serve --flows DIR`
//! replays and plans the flows whose files it finds there, by the flow's `name`.

use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use connector_core::error::Result;
use connector_core::flow::{RunMode, RunReport};
use connector_core::state::StateStore;
use connector_dashboard::FlowRunner;

use crate::flowfile::FlowFile;

/// The flow files (`*.toml`) of a folder, found by the flow's `name`, run on one state.
#[derive(Debug)]
pub struct FlowDir {
    dir: PathBuf,
    state: Arc<dyn StateStore>,
}

impl FlowDir {
    /// The flow files of `dir`, run on `state`.
    pub fn new(dir: impl Into<PathBuf>, state: Arc<dyn StateStore>) -> Self {
        Self { dir: dir.into(), state }
    }

    /// The file of the flow named `flow`, read now (so an edited mapping takes effect).
    pub fn find(&self, flow: &str) -> Option<FlowFile> {
        let entries = std::fs::read_dir(&self.dir).ok()?;
        entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .filter_map(|p| FlowFile::load(p).ok())
            .find(|f| f.name == flow)
    }

    fn file(&self, flow: &str) -> Result<FlowFile> {
        self.find(flow).ok_or_else(|| {
            connector_core::Error::config(format!(
                "no flow file named {flow} in {}",
                self.dir.display()
            ))
        })
    }
}

#[async_trait]
impl FlowRunner for FlowDir {
    fn knows(&self, flow: &str) -> bool {
        self.find(flow).is_some()
    }

    async fn replay(&self, flow: &str) -> Result<RunReport> {
        self.file(flow)?.replay(self.state.clone()).await
    }

    async fn plan(&self, flow: &str) -> Result<RunReport> {
        self.file(flow)?.run(self.state.clone(), RunMode::Full, true, None).await
    }
}
