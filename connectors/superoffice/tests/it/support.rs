//! What the tests share: a connector served on 127.0.0.1 from a registry, SuperOffice's
//! client, and `desk`, a system in memory that keeps every field it is given (so round trips
//! of exact values can be checked end to end) with its own credential check.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use connector_core::model::Customer;
use connector_core::sink::{
    Found, LookupKey, Outcome, SinkCapabilities, WriteAction, WriteOutcome, WriteRequest,
};
use connector_core::source::{Change, ChangeDetection, Cursor, ReadMode, SourceCapabilities};
use connector_core::state::{MemoryStore, Sealer, StateStore};
use connector_core::system::{
    AnySink, AnySource, Context, Description, Options, Registry, Setting, System,
};
use connector_core::{EntityKind, Error, ErrorKind, Result, Sink, Source};
use connector_superoffice::{ConnectorServer, EisClient, ErpConnector, ServerOptions};
use futures_util::stream::{self, BoxStream, StreamExt};

pub const GUID: &str = "3f2504e0-4f89-11d3-9a0c-0305e82c3301";

mod lists {
    connector_core::entity_lists! {
        reads: [Customer],
        writes: [Customer],
    }
}

/// Customers by id, with the time each last changed.
#[derive(Default)]
pub struct Desk {
    customers: Mutex<BTreeMap<String, Customer>>,
    /// Reads fail after this many customers (a system that breaks mid-poll).
    pub fail_after: Mutex<Option<usize>>,
}

impl Desk {
    pub fn insert(&self, mut c: Customer, at: DateTime<Utc>) -> String {
        let mut all = self.customers.lock().unwrap();
        let id = format!("D-{}", all.len() + 1);
        c.meta.refs.set("desk", id.clone());
        c.meta.updated_at = Some(at);
        all.insert(id.clone(), c);
        id
    }

    pub fn get(&self, id: &str) -> Option<Customer> {
        self.customers.lock().unwrap().get(id).cloned()
    }

    pub fn len(&self) -> usize {
        self.customers.lock().unwrap().len()
    }
}

#[derive(Clone)]
pub struct DeskSystem(pub Arc<Desk>);

struct DeskEnd {
    desk: Arc<Desk>,
    token: String,
}

impl DeskEnd {
    fn authorised(&self) -> Result<()> {
        if self.token == "good" {
            Ok(())
        } else {
            Err(Error::new(ErrorKind::Auth, "the desk refused the token").with_connector("desk"))
        }
    }
}

#[async_trait]
impl Source<Customer> for DeskEnd {
    fn name(&self) -> &str {
        "desk"
    }
    fn capabilities(&self) -> SourceCapabilities {
        SourceCapabilities::new(EntityKind::Customer, ChangeDetection::Timestamp)
    }
    async fn check(&self) -> Result<()> {
        self.authorised()
    }
    fn read(&self, mode: ReadMode) -> BoxStream<'_, Result<Change<Customer>>> {
        if let Err(e) = self.authorised() {
            return stream::iter([Err(e)]).boxed();
        }
        let since = match &mode {
            ReadMode::Changes { since: Some(c) } => {
                DateTime::parse_from_rfc3339(c.as_str()).ok().map(|t| t.to_utc())
            }
            _ => None,
        };
        let all: Vec<Customer> = self.desk.customers.lock().unwrap().values().cloned().collect();
        let latest =
            all.iter().filter_map(|c| c.meta.updated_at).max().unwrap_or(DateTime::UNIX_EPOCH);
        let mut out: Vec<Result<Change<Customer>>> = all
            .into_iter()
            .filter(|c| since.is_none_or(|s| c.meta.updated_at.is_some_and(|u| u > s)))
            .map(|c| Ok(Change::Upsert(c)))
            .collect();
        if let Some(n) = *self.desk.fail_after.lock().unwrap() {
            out.truncate(n);
            out.push(Err(Error::new(ErrorKind::Transport, "the desk's connection dropped")));
        }
        out.push(Ok(Change::Checkpoint(Cursor::new(latest.to_rfc3339()))));
        if matches!(mode, ReadMode::Full) {
            out.push(Ok(Change::SnapshotComplete));
        }
        stream::iter(out).boxed()
    }
}

#[async_trait]
impl Sink<Customer> for DeskEnd {
    fn name(&self) -> &str {
        "desk"
    }
    fn capabilities(&self) -> SinkCapabilities {
        SinkCapabilities::new(EntityKind::Customer).max_batch(10).natural_key("number")
    }
    async fn check(&self) -> Result<()> {
        self.authorised()
    }
    async fn find(&self, _key: &LookupKey) -> Result<Option<Found<Customer>>> {
        Ok(None)
    }
    async fn write(&self, batch: Vec<WriteRequest<Customer>>) -> Result<Vec<WriteOutcome>> {
        self.authorised()?;
        let mut out = Vec::new();
        for r in batch {
            let WriteAction::Upsert(mut c) = r.action else { continue };
            let outcome = match r.target_id {
                Some(id) => {
                    c.meta.refs.set("desk", id.clone());
                    c.meta.updated_at = Some(Utc::now());
                    self.desk.customers.lock().unwrap().insert(id.clone(), c);
                    Outcome::Updated { target_id: id }
                }
                None => Outcome::Created { target_id: self.desk.insert(c, Utc::now()) },
            };
            out.push(WriteOutcome::new(r.key, outcome));
        }
        Ok(out)
    }
}

#[async_trait]
impl System for DeskSystem {
    fn description(&self) -> &'static Description {
        const D: Description = Description::new(
            "desk",
            "customers at a desk",
            lists::READS,
            lists::WRITES,
            &[Setting::secret("token", "the desk's token")],
        );
        &D
    }
    fn source(&self, kind: EntityKind, options: &Options, _ctx: &Context) -> Result<AnySource> {
        let end = DeskEnd {
            desk: self.0.clone(),
            token: options.get("token").cloned().unwrap_or_default(),
        };
        lists::erase_source(kind, Arc::new(end))
    }
    fn sink(&self, kind: EntityKind, options: &Options, _ctx: &Context) -> Result<AnySink> {
        let end = DeskEnd {
            desk: self.0.clone(),
            token: options.get("token").cloned().unwrap_or_default(),
        };
        lists::erase_sink(kind, Arc::new(end))
    }
    async fn check(&self, options: &Options, _ctx: &Context) -> Result<()> {
        DeskEnd { desk: self.0.clone(), token: options.get("token").cloned().unwrap_or_default() }
            .authorised()
    }
}

/// A connector serving `registry`'s `systems` on a free port, and SuperOffice's client.
pub async fn serve(
    registry: Registry,
    systems: &[&str],
) -> (ConnectorServer, EisClient, Arc<dyn StateStore>) {
    let state: Arc<dyn StateStore> = Arc::new(MemoryStore::default());
    let connector = ErpConnector::builder(registry, state.clone())
        .systems(systems.iter().copied())
        .sealer(Sealer::new(&[9; 32]))
        .build()
        .unwrap();
    let (server, client) = start(connector).await;
    (server, client, state)
}

/// Serves `connector` on a free port; SuperOffice's client of it.
pub async fn start(connector: ErpConnector) -> (ConnectorServer, EisClient) {
    let server =
        ConnectorServer::start(connector, "127.0.0.1:0".parse().unwrap(), ServerOptions::default())
            .await
            .unwrap();
    let client = EisClient::new(server.url());
    (server, client)
}

/// A connector serving a desk, with a saved connection `GUID`.
pub async fn desk() -> (Arc<Desk>, ConnectorServer, EisClient) {
    let desk = Arc::new(Desk::default());
    let mut registry = Registry::new();
    registry.register(DeskSystem(desk.clone()));
    let (server, eis, _) = serve(registry, &["desk"]).await;
    let saved = eis.save_connection(GUID, &[("token", "good")]).await.unwrap();
    assert!(saved.status.is_ok(), "{saved:?}");
    (desk, server, eis)
}
