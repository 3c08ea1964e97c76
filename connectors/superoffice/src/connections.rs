//! Connections SuperOffice saved: per connection GUID, the system it reads and writes and
//! that system's settings, kept in the state store and sealed (ChaCha20-Poly1305 under
//! `CONNECTOR_STATE_KEY`) because they hold credentials.

use std::sync::Arc;

use connector_core::state::{Sealer, StateStore, unseal};
use connector_core::system::Options;
use connector_core::{Error, Result};
use serde::{Deserialize, Serialize};

/// One saved connection.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Connection {
    /// The system behind it (`xero`).
    pub system: String,
    /// Its settings (secrets included: never logged, never in `Debug`).
    pub options: Options,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("system", &self.system)
            .field("settings", &self.options.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// Where connections are kept.
#[derive(Clone)]
pub struct Connections {
    state: Arc<dyn StateStore>,
    sealer: Arc<Sealer>,
}

impl std::fmt::Debug for Connections {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connections").finish_non_exhaustive()
    }
}

/// A connection GUID in one spelling: lower case, no braces.
pub fn normalize_guid(guid: &str) -> String {
    guid.trim().trim_start_matches('{').trim_end_matches('}').to_ascii_lowercase()
}

fn key(guid: &str) -> String {
    format!("superoffice/connections/{}", normalize_guid(guid))
}

impl Connections {
    /// Connections in `state`, sealed with `sealer`.
    pub fn new(state: Arc<dyn StateStore>, sealer: Arc<Sealer>) -> Self {
        Self { state, sealer }
    }

    /// Saves (or replaces) the connection `guid`.
    pub async fn save(&self, guid: &str, connection: &Connection) -> Result<()> {
        let json = serde_json::to_string(connection)
            .map_err(|e| Error::internal(format!("cannot encode a connection: {e}")))?;
        self.state.save_secret(&key(guid), &self.sealer.seal(&json)?).await
    }

    /// The connection `guid`, if SuperOffice saved it (and did not delete it).
    pub async fn load(&self, guid: &str) -> Result<Option<Connection>> {
        let Some(stored) = self.state.secret(&key(guid)).await? else { return Ok(None) };
        if stored.is_empty() {
            return Ok(None);
        }
        let json = unseal(Some(&self.sealer), &stored)?;
        serde_json::from_str(&json)
            .map(Some)
            .map_err(|e| Error::internal(format!("a stored connection cannot be read: {e}")))
    }

    /// Forgets the connection `guid`.
    pub async fn delete(&self, guid: &str) -> Result<()> {
        self.state.save_secret(&key(guid), "").await
    }
}

#[cfg(test)]
mod tests {
    use connector_core::state::MemoryStore;

    use super::*;

    #[tokio::test]
    async fn connections_are_sealed_found_by_any_spelling_and_forgotten() {
        let state: Arc<dyn StateStore> = Arc::new(MemoryStore::default());
        let conns = Connections::new(state.clone(), Arc::new(Sealer::new(&[7; 32])));
        let conn = Connection {
            system: "xero".into(),
            options: [("client_secret".to_owned(), "s3cret".to_owned())].into(),
        };
        conns.save("{ABC-1}", &conn).await.unwrap();
        let held = state.secret("superoffice/connections/abc-1").await.unwrap().unwrap();
        assert!(held.starts_with("sealed:") && !held.contains("s3cret"), "{held}");
        assert_eq!(conns.load("abc-1").await.unwrap(), Some(conn.clone()));
        assert!(!format!("{conn:?}").contains("s3cret"));
        conns.delete("ABC-1").await.unwrap();
        assert_eq!(conns.load("abc-1").await.unwrap(), None);
    }
}
