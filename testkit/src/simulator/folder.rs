//! The "simulator" of a file transport: a folder, seeded with what the other side would
//! have left there, and the settings that point a connector at it.

use std::path::{Path, PathBuf};

use connector_core::system::{Options, RunningSimulator};
use connector_core::{Error, Result};

/// A folder standing in for a system that trades files (`connector simulate <system>` with a
/// folder): nothing listens, the connector reads and writes the folder itself.
#[derive(Debug)]
pub struct FolderSimulator {
    folder: PathBuf,
    options: Options,
    notes: Vec<String>,
}

impl FolderSimulator {
    /// A folder simulator at `folder` (created when missing) with the options that reach it.
    pub fn new(folder: impl Into<PathBuf>, options: Options) -> Result<Self> {
        let folder = folder.into();
        std::fs::create_dir_all(&folder).map_err(|e| {
            Error::config(format!("cannot create the folder {}: {e}", folder.display()))
        })?;
        Ok(Self { folder, options, notes: Vec::new() })
    }

    /// Adds a line for a person.
    #[must_use]
    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    /// The folder.
    pub fn folder(&self) -> &Path {
        &self.folder
    }
}

#[async_trait::async_trait]
impl RunningSimulator for FolderSimulator {
    fn base_url(&self) -> String {
        format!("file://{}", self.folder.display())
    }
    fn options(&self) -> Options {
        self.options.clone()
    }
    fn notes(&self) -> Vec<String> {
        self.notes.clone()
    }
    async fn serve_until_ctrl_c(self: Box<Self>) -> Result<()> {
        tokio::signal::ctrl_c().await.map_err(|e| Error::internal(e.to_string()))
    }
}
