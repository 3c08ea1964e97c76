//! Files as a [`System`]: what the registry, the CLI and flow files open by the name `file`.

use std::sync::Arc;

use async_trait::async_trait;
use connector_core::model::Customer;
use connector_core::system::{AnySink, AnySource, Context, Description, Options, Setting, System};
use connector_core::{EntityKind, Result, Sink, Source};

use crate::config::{FileConfig, FileSettings};
use crate::sink::FileSink;
use crate::source::FileSource;

const SETTINGS: &[Setting] = &[
    Setting::new("path", "the file"),
    Setting::new("format", "csv or jsonl (default: from the file's extension)"),
    Setting::new("delimiter", "the CSV delimiter (default ,)"),
    Setting::new("columns", "the CSV columns to write, as dotted paths"),
];

const DESCRIPTION: Description = Description::new(
    "file",
    "CSV and JSON Lines files of any entity",
    &EntityKind::ALL,
    &EntityKind::ALL,
    SETTINGS,
)
.typed::<FileSettings>();

/// CSV and JSON Lines files of any canonical entity, read and written.
#[derive(Debug, Clone, Copy, Default)]
pub struct FileSystem;

#[async_trait]
impl System for FileSystem {
    fn description(&self) -> &'static Description {
        &DESCRIPTION
    }
    fn source(&self, kind: EntityKind, options: &Options, _ctx: &Context) -> Result<AnySource> {
        let config = FileConfig::from_options(options)?;
        Ok(connector_core::with_entity!(kind, E => {
            let source: Arc<dyn Source<E>> = Arc::new(FileSource::<E>::new(config));
            AnySource::new(source)
        }))
    }
    fn sink(&self, kind: EntityKind, options: &Options, _ctx: &Context) -> Result<AnySink> {
        let config = FileConfig::from_options(options)?;
        Ok(connector_core::with_entity!(kind, E => {
            let sink: Arc<dyn Sink<E>> = Arc::new(FileSink::<E>::new(config));
            AnySink::new(sink)
        }))
    }
    /// A file that exists must be readable; one that does not, creatable.
    async fn check(&self, options: &Options, _ctx: &Context) -> Result<()> {
        let config = FileConfig::from_options(options)?;
        if config.path.exists() {
            Source::<Customer>::check(&FileSource::new(config)).await
        } else {
            Sink::<Customer>::check(&FileSink::new(config)).await
        }
    }
}
