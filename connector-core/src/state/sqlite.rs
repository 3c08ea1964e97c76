//! SQLite state store.

/// SQLite state store (being implemented).
#[derive(Debug)]
pub struct SqliteStore;
