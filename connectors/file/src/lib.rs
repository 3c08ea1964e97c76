#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod coerce;
mod config;
mod csv_read;
mod csv_write;
mod decode;
pub mod exchange;
mod find;
mod flatten;
mod header;
mod jsonl_read;
mod paths;
mod reader;
mod shape;
mod sink;
mod source;
pub mod system;
mod write;

pub use config::{FileConfig, FileFormat, FileSettings};
pub use sink::{FileSink, MAX_BATCH};
pub use source::{CHANNEL_CAPACITY, CHECKPOINT_EVERY, FileSource};
pub use system::FileSystem;
