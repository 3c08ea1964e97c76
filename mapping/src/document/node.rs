//! A parsed mapping file as a tree of values with their byte spans, the same for TOML and
//! JSON, so the reader can report every problem with a line and column.

use std::ops::Range;

/// A value and where it is in the file.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub span: Range<usize>,
    pub v: NV,
}

/// Key, key span, value.
pub(crate) type Entry = (String, Range<usize>, Node);

/// The value of a node.
#[derive(Debug, Clone)]
pub(crate) enum NV {
    Null,
    Bool(bool),
    /// A number exactly as written (underscores removed, radix resolved).
    Number(String),
    Str(String),
    Array(Vec<Node>),
    Table(Vec<Entry>),
    /// Something a mapping has no use for (a TOML date-time): its type name.
    Other(&'static str),
}

impl NV {
    pub fn type_name(&self) -> &'static str {
        match self {
            NV::Null => "null",
            NV::Bool(_) => "a boolean",
            NV::Number(_) => "a number",
            NV::Str(_) => "a string",
            NV::Array(_) => "an array",
            NV::Table(_) => "a table",
            NV::Other(t) => t,
        }
    }
}
