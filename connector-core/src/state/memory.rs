//! In-memory state store.

/// In-memory state store (being implemented).
#[derive(Debug, Default)]
pub struct MemoryStore;
