//! The operations of `IErpConnectorWS`, served from any SDK system: connections are kept
//! per GUID, actors are the system's customers and their contact persons, and every failure
//! is an answer with `State=Error`, a `UserExplanation` a user can act on and a
//! `TechExplanation`.

use std::collections::HashSet;
use std::ops::ControlFlow;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use connector_core::model::{ContactPerson, Customer};
use connector_core::sink::{Outcome, WriteAction, WriteRequest};
use connector_core::source::{Change, ChangeDetection, Cursor, ReadMode};
use connector_core::state::{Scope, Sealer, StateStore};
use connector_core::system::{Options, Registry};
use connector_core::{EntityKind, Error, ErrorKind};
use futures_util::StreamExt;
use tokio::sync::mpsc;

use crate::actors::{self, CUSTOMER, KINDS_LIST, PERSON};
use crate::auth::{AuthAnswer, OnlineAuth};
use crate::carriers::{
    ErpActor, FieldAccess, FieldMetadata, FieldType, Payload, PluginResponse, ResponseState,
    Restriction, us,
};
use crate::connections::{Connection, Connections, normalize_guid};
use crate::contract::{contract, is_guid};
use crate::values;
use crate::xml::Element;

/// The list of systems a connection can use (shown in the connection dialog).
pub const SYSTEMS_LIST: &str = "ErpSystems";

/// What an operation answers: its status and its payload.
pub type Answer = (PluginResponse, Payload);

/// Serves `IErpConnectorWS` from the systems of a [`Registry`].
#[derive(Clone)]
pub struct ErpConnector {
    inner: Arc<Inner>,
}

struct Inner {
    auth: Option<OnlineAuth>,
    registry: Registry,
    systems: Vec<String>,
    connections: Connections,
    state: Arc<dyn StateStore>,
    max_results: usize,
}

impl std::fmt::Debug for ErpConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ErpConnector").field("systems", &self.inner.systems).finish_non_exhaustive()
    }
}

/// Settings of an [`ErpConnector`] before it is built.
#[must_use = "a builder does nothing until `build` is called"]
pub struct ErpConnectorBuilder {
    auth: Option<OnlineAuth>,
    registry: Registry,
    state: Arc<dyn StateStore>,
    sealer: Option<Sealer>,
    systems: Option<Vec<String>>,
    max_results: usize,
}

impl std::fmt::Debug for ErpConnectorBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ErpConnectorBuilder")
            .field("systems", &self.systems)
            .finish_non_exhaustive()
    }
}

impl ErpConnectorBuilder {
    /// Serves only these systems (default: every system of the registry that reads
    /// customers). With one, the connection dialog shows its settings without a system
    /// choice.
    pub fn systems<S: Into<String>>(mut self, systems: impl IntoIterator<Item = S>) -> Self {
        self.systems = Some(systems.into_iter().map(Into::into).collect());
        self
    }

    /// The key connections are sealed with (default: `CONNECTOR_STATE_KEY`).
    pub fn sealer(mut self, sealer: Sealer) -> Self {
        self.sealer = Some(sealer);
        self
    }

    /// Answers SuperOffice Online's `Authenticate` handshake (without it, every handshake is
    /// refused: the connector is for onsite installations).
    pub fn online_auth(mut self, auth: OnlineAuth) -> Self {
        self.auth = Some(auth);
        self
    }

    /// The most actors a search answers (default 200).
    pub fn max_results(mut self, n: usize) -> Self {
        self.max_results = n.max(1);
        self
    }

    /// The connector. Fails without a sealing key (saved connections hold credentials) or
    /// when a named system is not registered or does not read customers.
    pub fn build(self) -> connector_core::Result<ErpConnector> {
        let sealer = match self.sealer {
            Some(s) => s,
            None => Sealer::from_env()?.ok_or_else(|| {
                Error::config(
                    "the SuperOffice connector keeps credentials SuperOffice sends: set \
                     CONNECTOR_STATE_KEY (64 hex digits) to seal them",
                )
            })?,
        };
        let reads_customers = |name: &str| {
            self.registry.get(name).is_ok_and(|s| s.reads().contains(&EntityKind::Customer))
        };
        let systems = match self.systems {
            Some(list) => {
                if let Some(bad) = list.iter().find(|s| !reads_customers(s)) {
                    return Err(Error::config(format!(
                        "`{bad}` cannot be served to SuperOffice: it is not registered or reads \
                         no customers"
                    )));
                }
                list
            }
            None => self
                .registry
                .names()
                .into_iter()
                .filter(|n| reads_customers(n))
                .map(str::to_owned)
                .collect(),
        };
        if systems.is_empty() {
            return Err(Error::config("no system to serve to SuperOffice"));
        }
        let sealer = Arc::new(sealer);
        let registry = self.registry.keep_tokens_in(self.state.clone(), Some(sealer.clone()));
        Ok(ErpConnector {
            inner: Arc::new(Inner {
                auth: self.auth,
                registry,
                systems,
                connections: Connections::new(self.state.clone(), sealer),
                state: self.state,
                max_results: self.max_results,
            }),
        })
    }
}

/// Whether a setting may come from SuperOffice: not one that names a file on this server
/// (`token_file`), nor a simulator's own (`sim_*`).
fn offered(key: &str) -> bool {
    key != "token_file" && !key.starts_with("sim_")
}

/// An answer with no payload.
fn status(response: PluginResponse) -> Answer {
    (response, Payload::None)
}

/// A failure with what the user should do and the technical detail.
fn failed(user: &str, tech: impl std::fmt::Display) -> Answer {
    status(PluginResponse::error(us(user), tech.to_string()))
}

/// The status of a failure (for results that carry no payload yet).
fn failed_status(user: &str, tech: impl std::fmt::Display) -> PluginResponse {
    PluginResponse::error(us(user), tech.to_string())
}

/// The user-facing explanation of an error from the system behind a connection.
fn system_failed(system: &str, doing: &str, e: &Error) -> Answer {
    let advice = match e.kind() {
        ErrorKind::Auth => {
            "check the connection's credentials (client id, secret, refresh token) and save it again"
        }
        ErrorKind::Permission => "give the account the rights the connector needs",
        ErrorKind::Config => "correct the connection's settings",
        ErrorKind::RateLimited | ErrorKind::BudgetExhausted => {
            "the system's call limit is reached: the next poll tries again"
        }
        ErrorKind::Timeout | ErrorKind::Transport | ErrorKind::Upstream => {
            "the system did not answer: the next poll tries again"
        }
        _ => "see the technical explanation",
    };
    failed(&format!("{system} {doing} failed: {}; {advice}", e.message()), e)
}

impl ErpConnector {
    /// A connector serving the systems of `registry`, keeping connections and rotated tokens
    /// in `state`.
    pub fn builder(registry: Registry, state: Arc<dyn StateStore>) -> ErpConnectorBuilder {
        ErpConnectorBuilder {
            auth: None,
            registry,
            state,
            sealer: None,
            systems: None,
            max_results: 200,
        }
    }

    /// The systems served.
    pub fn systems(&self) -> &[String] {
        &self.inner.systems
    }

    /// Answers SuperOffice Online's handshake.
    pub fn authenticate(&self, signed_token: &str) -> AuthAnswer {
        match &self.inner.auth {
            Some(auth) => auth.authenticate(signed_token),
            None => AuthAnswer {
                succeeded: false,
                signed_application_token: None,
                reason: Some(
                    "this connector is not set up for SuperOffice Online (no application key)"
                        .into(),
                ),
            },
        }
    }

    /// Answers one operation; `request` is the operation's `request` element (absent for
    /// `WSGetConfigData`). Never fails: an error is an answer with `State=Error`.
    pub async fn call(&self, operation: &str, request: Option<&Element>) -> Answer {
        let empty = Element::default();
        let req = request.unwrap_or(&empty);
        let text = |n: &str| req.child_text(n).unwrap_or_default().trim().to_owned();
        match operation {
            "WSGetConfigData" => (PluginResponse::ok(), Payload::Fields(self.config_fields())),
            "WSGetList" => self.list(&text("ListName"), &[]),
            "WSGetListItems" => self.list(&text("ListName"), &req.strings("ListItemKeys")),
            "WSTestConfigData" => self.test_config(&req.pairs("ConnectionInfo")).await,
            _ if !contract().operations.contains_key(operation) && operation != "Authenticate" => {
                failed(
                    &format!("the connector does not know the operation `{operation}`"),
                    format!("unknown IErpConnectorWS operation {operation}"),
                )
            }
            _ => self.with_connection(operation, req, &text("ConnectionGuid")).await,
        }
    }

    async fn with_connection(&self, operation: &str, req: &Element, guid: &str) -> Answer {
        if !is_guid(guid) {
            return failed(
                "the request names no valid connection",
                format!("ConnectionGuid `{guid}` is not a GUID"),
            );
        }
        if operation == "WSSaveConnection" {
            return self.save_connection(guid, &req.pairs("ConnectionInfo")).await;
        }
        if operation == "WSDeleteConnection" {
            return match self.inner.connections.delete(guid).await {
                Ok(()) => {
                    self.forget_polls(guid).await;
                    status(PluginResponse::ok())
                }
                Err(e) => failed("the connection could not be deleted", e),
            };
        }
        if operation == "WSGetActorsByTimestamp" {
            return match self.prepare_poll(req).await {
                Ok(poll) => self.by_timestamp(poll).await,
                Err(answer) => answer,
            };
        }
        let conn = match self.load(guid).await {
            Ok(c) => c,
            Err(answer) => return answer,
        };
        let text = |n: &str| req.child_text(n).unwrap_or_default().trim().to_owned();
        let actor_type = text("ActorType");
        let fields = req.strings("FieldKeys");
        match operation {
            "WSTestConnection" => {
                match self.registry_for(&conn).check(&conn.system, &conn.options).await {
                    Ok(()) => status(PluginResponse::ok()),
                    Err(e) => system_failed(&conn.system, "connection test", &e),
                }
            }
            "WSGetSupportedActorTypes" => {
                (PluginResponse::ok(), Payload::Items(vec![CUSTOMER.to_owned(), PERSON.to_owned()]))
            }
            "WSGetSupportedActorTypeFields" => match actors::field_metadata(&actor_type) {
                Some(f) => (PluginResponse::ok(), Payload::Fields(f)),
                None => unknown_actor(&actor_type),
            },
            "WSGetSearchableFields" => match actors::searchable_fields(&actor_type) {
                Some(f) => (PluginResponse::ok(), Payload::Items(f)),
                None => unknown_actor(&actor_type),
            },
            "WSGetActors" => {
                let keys: HashSet<String> = req.strings("ErpKeys").into_iter().collect();
                self.get_actors(&conn, &actor_type, &keys, &fields).await
            }
            "WSSearchActors" => {
                let needle = text("SearchText").trim_matches('%').to_lowercase();
                let hit = move |a: &ErpActor| {
                    ["name", "number", "email", "first_name", "last_name"]
                        .iter()
                        .any(|f| a.value(f).is_some_and(|v| v.to_lowercase().contains(&needle)))
                };
                self.search(&conn, &actor_type, None, &fields, hit).await
            }
            "WSSearchActorByParent" => {
                let (parent_type, parent) = (text("ParentActorType"), text("ParentActorErpKey"));
                if actor_type != PERSON || parent_type != CUSTOMER {
                    return failed(
                        &format!("{actor_type} actors have no {parent_type} parent here"),
                        "only Person actors under a Customer are searched by parent",
                    );
                }
                let needle = text("SearchText").trim_matches('%').to_lowercase();
                let hit = move |a: &ErpActor| {
                    needle.is_empty()
                        || ["first_name", "last_name", "email"]
                            .iter()
                            .any(|f| a.value(f).is_some_and(|v| v.to_lowercase().contains(&needle)))
                };
                self.search(&conn, &actor_type, Some(parent), &fields, hit).await
            }
            "WSSearchActorsAdvanced" => {
                let restrictions: Vec<Restriction> = req
                    .child("Restrictions")
                    .map(|r| r.children.iter().map(Restriction::read).collect())
                    .unwrap_or_default();
                let searchable = actors::searchable_fields(&actor_type).unwrap_or_default();
                if let Some(r) = restrictions.iter().find(|r| !searchable.contains(&r.field_key)) {
                    return failed(
                        &format!("{actor_type} cannot be searched by `{}`", r.field_key),
                        format!("searchable fields: {}", searchable.join(", ")),
                    );
                }
                if let Some(r) = restrictions
                    .iter()
                    .find(|r| !contract().enums["SearchOperator"].contains(&r.operator))
                {
                    return failed(
                        &format!("the search operator `{}` is not supported", r.operator),
                        "see SearchOperator",
                    );
                }
                let hit = move |a: &ErpActor| {
                    restrictions
                        .iter()
                        .all(|r| actors::matches(a, &r.field_key, &r.operator, &r.values))
                };
                self.search(&conn, &actor_type, None, &fields, hit).await
            }
            "WSCreateActor" => match req.child("Actor") {
                Some(a) => self.create(&conn, ErpActor::read(a)).await,
                None => {
                    failed("the request carries no actor", "CreateActorRequestWS.Actor is missing")
                }
            },
            "WSSaveActors" => {
                let actors: Vec<ErpActor> = req
                    .child("Actors")
                    .map(|a| a.children.iter().map(ErpActor::read).collect())
                    .unwrap_or_default();
                self.save_actors(&conn, actors).await
            }
            other => failed(&format!("`{other}` is not served"), "no handler"),
        }
    }

    fn config_fields(&self) -> Vec<FieldMetadata> {
        let systems = &self.inner.systems;
        let single = systems.len() == 1;
        let mut out = Vec::new();
        if !single {
            out.push(FieldMetadata {
                key: "system".into(),
                display_name: "US:\"System\";NO:\"System\"".into(),
                display_description: us("the system this connection reads and writes"),
                field_type: FieldType::List,
                list_name: SYSTEMS_LIST.into(),
                default_value: systems[0].clone(),
                max_length: 0,
                access: FieldAccess::Mandatory,
                rank: 1,
            });
        }
        for name in systems {
            let Ok(sys) = self.inner.registry.get(name) else { continue };
            for setting in sys.settings().iter().filter(|s| offered(s.key)) {
                let rank = out.len() as i32 + 1;
                out.push(FieldMetadata {
                    key: if single {
                        setting.key.to_owned()
                    } else {
                        format!("{name}.{}", setting.key)
                    },
                    display_name: if single {
                        us(setting.key)
                    } else {
                        us(&format!("{name}: {}", setting.key))
                    },
                    display_description: us(setting.about),
                    field_type: if setting.secret { FieldType::Password } else { FieldType::Text },
                    list_name: String::new(),
                    default_value: String::new(),
                    max_length: 0,
                    access: FieldAccess::Normal,
                    rank,
                });
            }
        }
        out
    }

    fn list(&self, name: &str, keys: &[String]) -> Answer {
        let items: Vec<(String, String)> = match name {
            SYSTEMS_LIST => self
                .inner
                .systems
                .iter()
                .map(|s| {
                    let about = self
                        .inner
                        .registry
                        .get(s)
                        .map(|x| x.about().to_owned())
                        .unwrap_or_default();
                    (s.clone(), about)
                })
                .collect(),
            KINDS_LIST => actors::kinds(),
            other => {
                return failed(
                    &format!("the connector has no list `{other}`"),
                    format!("lists: {SYSTEMS_LIST}, {KINDS_LIST}"),
                );
            }
        };
        let items =
            items.into_iter().filter(|(k, _)| keys.is_empty() || keys.contains(k)).collect();
        (PluginResponse::ok(), Payload::ListItems(items))
    }

    /// The connection the dialog's values describe.
    fn connection_of(&self, info: &[(String, String)]) -> Result<Connection, PluginResponse> {
        let systems = &self.inner.systems;
        let value =
            |k: &str| info.iter().find(|(key, _)| key == k).map(|(_, v)| v.trim().to_owned());
        let system = if systems.len() == 1 {
            systems[0].clone()
        } else {
            match value("system").filter(|s| !s.is_empty()) {
                Some(s) if systems.contains(&s) => s,
                Some(s) => {
                    return Err(failed_status(
                        &format!("`{s}` is not a system this connector serves"),
                        systems.join(", "),
                    ));
                }
                None => {
                    return Err(failed_status(
                        "choose the system the connection uses",
                        "ConnectionInfo has no `system`",
                    ));
                }
            }
        };
        let prefix = format!("{system}.");
        let options: Options = info
            .iter()
            .filter_map(|(k, v)| {
                let key =
                    if systems.len() == 1 { Some(k.as_str()) } else { k.strip_prefix(&prefix) };
                key.filter(|k| offered(k) && !v.trim().is_empty())
                    .map(|k| (k.to_owned(), v.trim().to_owned()))
            })
            .collect();
        Ok(Connection { system, options })
    }

    async fn test_config(&self, info: &[(String, String)]) -> Answer {
        let conn = match self.connection_of(info) {
            Ok(c) => c,
            Err(r) => return status(r),
        };
        match self.registry_for(&conn).check(&conn.system, &conn.options).await {
            Ok(()) => status(PluginResponse::ok()),
            Err(e) => system_failed(&conn.system, "connection test", &e),
        }
    }

    async fn save_connection(&self, guid: &str, info: &[(String, String)]) -> Answer {
        let conn = match self.connection_of(info) {
            Ok(c) => c,
            Err(r) => return status(r),
        };
        // Opening a source reads and checks the settings without calling the system.
        if let Err(e) =
            self.registry_for(&conn).any_source(&conn.system, EntityKind::Customer, &conn.options)
        {
            return failed(&format!("the connection's settings are not right: {}", e.message()), e);
        }
        match self.inner.connections.save(guid, &conn).await {
            Ok(()) => {
                self.forget_polls(guid).await;
                status(PluginResponse::ok())
            }
            Err(e) => failed("the connection could not be saved", e),
        }
    }

    /// Reads the system's customers (`mode`), handing each to `f` until it breaks; the last
    /// checkpoint the source gave.
    async fn scan(
        &self,
        conn: &Connection,
        mode: ReadMode,
        mut f: impl FnMut(Customer) -> ControlFlow<()>,
    ) -> connector_core::Result<Option<Cursor>> {
        let source = self.registry_for(conn).source::<Customer>(&conn.system, &conn.options)?;
        let mut stream = source.read(mode);
        let mut last = None;
        while let Some(item) = stream.next().await {
            match item? {
                Change::Upsert(c) => {
                    let flow = f(c);
                    if flow.is_break() {
                        break;
                    }
                }
                Change::Checkpoint(cursor) => last = Some(cursor),
                _ => {}
            }
        }
        Ok(last)
    }

    /// The actors of one customer, of `actor_type`.
    fn actors_of(conn: &Connection, actor_type: &str, c: &Customer) -> Vec<ErpActor> {
        match actor_type {
            CUSTOMER => actors::customer_actor(&conn.system, c).into_iter().collect(),
            PERSON => actors::person_actors(&conn.system, c),
            _ => Vec::new(),
        }
    }

    async fn get_actors(
        &self,
        conn: &Connection,
        actor_type: &str,
        keys: &HashSet<String>,
        fields: &[String],
    ) -> Answer {
        if actors::field_metadata(actor_type).is_none() {
            return unknown_actor(actor_type);
        }
        let mut found = Vec::new();
        let scanned = self
            .scan(conn, ReadMode::Full, |c| {
                for a in Self::actors_of(conn, actor_type, &c) {
                    if keys.contains(&a.erp_key) {
                        found.push(select(a, fields));
                    }
                }
                if found.len() >= keys.len() {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            })
            .await;
        if let Err(e) = scanned {
            return system_failed(&conn.system, "read", &e);
        }
        let mut response = PluginResponse::ok();
        if found.len() < keys.len() {
            let known: HashSet<&str> = found.iter().map(|a| a.erp_key.as_str()).collect();
            let mut missing: Vec<&str> =
                keys.iter().map(String::as_str).filter(|k| !known.contains(k)).collect();
            missing.sort_unstable();
            response.state = ResponseState::OkWithInfo;
            response.user_explanation =
                us(&format!("{} has no {actor_type} {}", conn.system, missing.join(", ")));
        }
        (response, Payload::Actors(found))
    }

    async fn search(
        &self,
        conn: &Connection,
        actor_type: &str,
        parent: Option<String>,
        fields: &[String],
        hit: impl Fn(&ErpActor) -> bool,
    ) -> Answer {
        if actors::field_metadata(actor_type).is_none() {
            return unknown_actor(actor_type);
        }
        let max = self.inner.max_results;
        let mut found = Vec::new();
        let scanned = self
            .scan(conn, ReadMode::Full, |c| {
                if let Some(p) = &parent {
                    if !actors::is_customer(&conn.system, &c, p) {
                        return ControlFlow::Continue(());
                    }
                }
                for a in Self::actors_of(conn, actor_type, &c) {
                    if hit(&a) && found.len() < max {
                        found.push(select(a, fields));
                    }
                }
                if found.len() >= max || parent.is_some() && !found.is_empty() {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            })
            .await;
        match scanned {
            Ok(_) => (PluginResponse::ok(), Payload::Actors(found)),
            Err(e) => system_failed(&conn.system, "search", &e),
        }
    }

    /// Checks a `WSGetActorsByTimestamp` request (its `request` element): the poll to run,
    /// or the answer to give instead (an unknown connection, actor type or timestamp).
    pub async fn prepare_poll(&self, request: &Element) -> Result<Poll, Answer> {
        let text = |n: &str| request.child_text(n).unwrap_or_default().trim().to_owned();
        let guid = text("ConnectionGuid");
        let conn = self.load(&guid).await?;
        let actor_type = text("ActorType");
        if actors::field_metadata(&actor_type).is_none() {
            return Err(unknown_actor(&actor_type));
        }
        let since = text("UpdatedOnOrAfter");
        let since = if since.is_empty() {
            DateTime::UNIX_EPOCH
        } else {
            values::parse_datetime(&since)
                .map_err(|e| failed("the sync timestamp cannot be read", e))?
        };
        Ok(Poll { guid, conn, actor_type, since, fields: request.strings("FieldKeys") })
    }

    /// Runs a poll: every actor changed on or after its timestamp goes to `out` as it is
    /// read (so a poll of a million customers holds a few at a time). It resumes from the
    /// source's cursor of an earlier poll when one covers the timestamp, and keeps this
    /// poll's cursor for the next. A failure of the system is the status to answer.
    pub async fn run_poll(
        &self,
        poll: Poll,
        out: mpsc::Sender<ErpActor>,
    ) -> Result<(), PluginResponse> {
        let Poll { guid, conn, actor_type, since, fields } = poll;
        // Where earlier polls of this connection stopped: the source's cursor after each,
        // with the newest change time up to it. A cursor whose newest change is older than
        // `since` covers everything changed on or after it.
        let scope = Scope::new(normalize_guid(&guid), "superoffice", "customers");
        let mut marks = match self.inner.state.checkpoint(&scope).await {
            Ok(Some(c)) => Marks::parse(c.as_str()),
            _ => Marks::default(),
        };
        let source = self
            .registry_for(&conn)
            .source::<Customer>(&conn.system, &conn.options)
            .map_err(|e| system_failed(&conn.system, "read of changes", &e).0)?;
        let reads_changes = source.capabilities().changes != ChangeDetection::None;
        let resume = marks.before(since).filter(|_| reads_changes).cloned();
        let mode = match &resume {
            Some(m) => ReadMode::Changes { since: Some(Cursor::new(m.cursor.clone())) },
            None => ReadMode::Full,
        };
        let mut newest = resume.as_ref().map_or(DateTime::UNIX_EPOCH, |m| m.newest);
        let mut last = None;
        let mut stream = source.read(mode);
        while let Some(item) = stream.next().await {
            match item.map_err(|e| system_failed(&conn.system, "read of changes", &e).0)? {
                Change::Upsert(c) => {
                    let changed =
                        c.meta.updated_at.or(c.meta.created_at).unwrap_or(DateTime::UNIX_EPOCH);
                    newest = newest.max(changed);
                    if changed < since {
                        continue;
                    }
                    for actor in Self::actors_of(&conn, &actor_type, &c) {
                        if out.send(select(actor, &fields)).await.is_err() {
                            return Ok(()); // the caller went away
                        }
                    }
                }
                Change::Checkpoint(cursor) => last = Some(cursor),
                _ => {}
            }
        }
        if let (Some(cursor), true) = (last, reads_changes) {
            marks.add(Mark { newest, cursor: cursor.0 });
            if let Err(e) =
                self.inner.state.save_checkpoint(&scope, &Cursor::new(marks.to_text())).await
            {
                tracing::warn!(error = %e, "superoffice: the poll's checkpoint was not saved");
            }
        }
        Ok(())
    }

    /// A poll answered in one piece (the server streams it instead).
    async fn by_timestamp(&self, poll: Poll) -> Answer {
        let (tx, mut rx) = mpsc::channel(256);
        let collect = async move {
            let mut found = Vec::new();
            while let Some(actor) = rx.recv().await {
                found.push(actor);
            }
            found
        };
        match tokio::join!(self.run_poll(poll, tx), collect) {
            (Ok(()), found) => (PluginResponse::ok(), Payload::Actors(found)),
            (Err(status), _) => (status, Payload::None),
        }
    }

    /// The registry for `conn`: its rotated refresh token kept apart from other connections'
    /// (two organisations served with one app have one client id), keyed by the refresh
    /// token SuperOffice saved, so the dialog's test and the saved connection share it.
    fn registry_for(&self, conn: &Connection) -> Registry {
        match conn.options.get("refresh_token") {
            Some(rt) => {
                let digest = ring::digest::digest(
                    &ring::digest::SHA256,
                    format!("{}\n{rt}", conn.system).as_bytes(),
                );
                let scope: String =
                    digest.as_ref()[..8].iter().map(|b| format!("{b:02x}")).collect();
                self.inner.registry.scoped(format!("superoffice-{scope}"))
            }
            None => self.inner.registry.clone(),
        }
    }

    /// Forgets where polls of connection `guid` stopped: a saved connection may point at
    /// another system or company, whose cursors mean nothing here.
    async fn forget_polls(&self, guid: &str) {
        let scope = Scope::new(normalize_guid(guid), "superoffice", "customers");
        if let Err(e) =
            self.inner.state.save_checkpoint(&scope, &Cursor::new(Marks::default().to_text())).await
        {
            tracing::warn!(error = %e, "superoffice: the connection's poll marks were not cleared");
        }
    }

    /// The connection `guid`, or the answer that says why there is none.
    async fn load(&self, guid: &str) -> Result<Connection, Answer> {
        if !is_guid(guid) {
            return Err(failed(
                "the request names no valid connection",
                format!("ConnectionGuid `{guid}` is not a GUID"),
            ));
        }
        match self.inner.connections.load(guid).await {
            Ok(Some(c)) => Ok(c),
            Ok(None) => Err(status(
                PluginResponse::error(
                    us("the connector does not know this connection yet"),
                    format!("unknown connection {}", normalize_guid(guid)),
                )
                .with_code(contract().unknown_connection_error_code.clone()),
            )),
            Err(e) => Err(failed("the connection's saved settings cannot be read", e)),
        }
    }

    /// The customer `key` as the system holds it.
    async fn find_customer(
        &self,
        conn: &Connection,
        key: &str,
        by_number: bool,
    ) -> connector_core::Result<Option<Customer>> {
        let mut hit = None;
        self.scan(conn, ReadMode::Full, |c| {
            let found = if by_number {
                c.number.as_deref().is_some_and(|n| n.trim() == key.trim())
            } else {
                actors::is_customer(&conn.system, &c, key)
            };
            if found {
                hit = Some(c);
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })
        .await?;
        Ok(hit)
    }

    /// Writes one customer; the outcome's id.
    async fn write_customer(
        &self,
        conn: &Connection,
        c: Customer,
        target_id: Option<String>,
    ) -> Result<String, PluginResponse> {
        let sink =
            self.registry_for(conn).sink::<Customer>(&conn.system, &conn.options).map_err(|e| {
                failed_status(
                    &format!("{} does not take customers from SuperOffice", conn.system),
                    e,
                )
            })?;
        let key = c.number.clone().or_else(|| c.name.clone()).unwrap_or_default();
        let digest = ring::digest::digest(
            &ring::digest::SHA256,
            serde_json::to_string(&c).unwrap_or_default().as_bytes(),
        );
        let hash: String = digest.as_ref()[..12].iter().map(|b| format!("{b:02x}")).collect();
        let request = WriteRequest {
            key: key.clone(),
            is_create: target_id.is_none(),
            target_id: target_id.clone(),
            idempotency_key: format!("superoffice:{key}:{hash}"),
            action: WriteAction::Upsert(c),
        };
        let outcomes = sink
            .write(vec![request])
            .await
            .map_err(|e| system_failed(&conn.system, "write", &e).0)?;
        match outcomes.into_iter().next().map(|o| o.outcome) {
            Some(Outcome::Failed { error }) => Err(system_failed(&conn.system, "write", &error).0),
            Some(o) => o.target_id().map(str::to_owned).or(target_id).ok_or_else(|| {
                failed_status(
                    &format!("{} did not say which record it wrote", conn.system),
                    o.as_str(),
                )
            }),
            None => Err(failed_status(
                &format!("{} answered nothing for the write", conn.system),
                "no outcome",
            )),
        }
    }

    async fn create(&self, conn: &Connection, actor: ErpActor) -> Answer {
        match actor.actor_type.as_str() {
            CUSTOMER => {
                if let Some(number) = actor.value("number").filter(|n| !n.is_empty()) {
                    match self.find_customer(conn, number, true).await {
                        Ok(Some(existing)) => {
                            let mut r = PluginResponse::ok();
                            r.state = ResponseState::OkWithInfo;
                            r.user_explanation = us(&format!(
                                "customer {number} already exists in {}: linked to it",
                                conn.system
                            ));
                            return (
                                r,
                                Payload::Actor(actors::customer_actor(&conn.system, &existing)),
                            );
                        }
                        Ok(None) => {}
                        Err(e) => return system_failed(&conn.system, "read", &e),
                    }
                }
                let mut c = Customer::default();
                if let Err(e) = actors::apply_customer(&mut c, &actor) {
                    return failed(&format!("the customer cannot be created: {e}"), e);
                }
                match self.write_customer(conn, c.clone(), None).await {
                    Ok(id) => {
                        c.meta.refs.set(conn.system.clone(), id);
                        c.meta.updated_at = Some(Utc::now());
                        (
                            PluginResponse::ok(),
                            Payload::Actor(actors::customer_actor(&conn.system, &c)),
                        )
                    }
                    Err(r) => status(r),
                }
            }
            PERSON => {
                let Some(parent) = actor.parent_erp_key.clone() else {
                    return failed(
                        "a person needs the customer it belongs to",
                        "ParentErpKey is missing",
                    );
                };
                let mut c = match self.find_customer(conn, &parent, false).await {
                    Ok(Some(c)) => c,
                    Ok(None) => {
                        return failed(
                            &format!("{} has no customer {parent}", conn.system),
                            "parent not found",
                        );
                    }
                    Err(e) => return system_failed(&conn.system, "read", &e),
                };
                let mut person = ContactPerson::default();
                if let Err(e) = actors::apply_person(&mut person, &actor) {
                    return failed(&format!("the person cannot be created: {e}"), e);
                }
                c.contacts.push(person);
                let index = c.contacts.len() - 1;
                let id = c.meta.refs.id(&conn.system).map(str::to_owned);
                match self.write_customer(conn, c.clone(), id).await {
                    Ok(_) => {
                        let created =
                            actors::person_actors(&conn.system, &c).into_iter().nth(index);
                        (PluginResponse::ok(), Payload::Actor(created))
                    }
                    Err(r) => status(r),
                }
            }
            other => unknown_actor(other),
        }
    }

    async fn save_actors(&self, conn: &Connection, list: Vec<ErpActor>) -> Answer {
        let mut saved = Vec::new();
        let mut problems = Vec::new();
        for actor in list {
            let customer_key = match actor.actor_type.as_str() {
                CUSTOMER => actor.erp_key.clone(),
                PERSON => {
                    actor.erp_key.rsplit_once('/').map(|(p, _)| p.to_owned()).unwrap_or_default()
                }
                other => {
                    problems.push(format!("{}: {other} is not served", actor.erp_key));
                    continue;
                }
            };
            let mut c = match self.find_customer(conn, &customer_key, false).await {
                Ok(Some(c)) => c,
                Ok(None) => {
                    problems.push(format!(
                        "{}: {} has no customer {customer_key}",
                        actor.erp_key, conn.system
                    ));
                    continue;
                }
                Err(e) => return system_failed(&conn.system, "read", &e),
            };
            let applied = if actor.actor_type == CUSTOMER {
                actors::apply_customer(&mut c, &actor)
            } else {
                let position = actors::person_actors(&conn.system, &c)
                    .iter()
                    .position(|p| p.erp_key == actor.erp_key);
                match position {
                    Some(i) => actors::apply_person(&mut c.contacts[i], &actor),
                    None => {
                        problems.push(format!("{}: no such person", actor.erp_key));
                        continue;
                    }
                }
            };
            if let Err(e) = applied {
                problems.push(format!("{}: {e}", actor.erp_key));
                continue;
            }
            let id = c.meta.refs.id(&conn.system).map(str::to_owned);
            match self.write_customer(conn, c.clone(), id).await {
                Ok(_) => {
                    c.meta.updated_at = Some(Utc::now());
                    saved.extend(
                        Self::actors_of(conn, &actor.actor_type, &c)
                            .into_iter()
                            .filter(|a| a.erp_key == actor.erp_key),
                    );
                }
                Err(r) => problems.push(format!("{}: {}", actor.erp_key, r.tech_explanation)),
            }
        }
        let mut response = PluginResponse::ok();
        if !problems.is_empty() {
            response.state =
                if saved.is_empty() { ResponseState::Error } else { ResponseState::Warning };
            response.user_explanation = us(&format!(
                "{} of the actors were not saved: {}",
                problems.len(),
                problems.join("; ")
            ));
            response.tech_explanation = problems.join("\n");
        }
        (response, Payload::Actors(saved))
    }
}

fn unknown_actor(actor_type: &str) -> Answer {
    failed(
        &format!("this connector serves Customer and Person actors, not `{actor_type}`"),
        format!("unsupported actor type {actor_type}"),
    )
}

/// The actor with only the fields asked for (all when none are named).
fn select(mut actor: ErpActor, fields: &[String]) -> ErpActor {
    if !fields.is_empty() {
        actor.field_values.retain(|(k, _)| fields.contains(k));
    }
    actor
}

/// A `WSGetActorsByTimestamp` request, checked and ready to run.
pub struct Poll {
    guid: String,
    conn: Connection,
    actor_type: String,
    since: DateTime<Utc>,
    fields: Vec<String>,
}

impl std::fmt::Debug for Poll {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Poll")
            .field("actor_type", &self.actor_type)
            .field("since", &self.since)
            .finish_non_exhaustive()
    }
}

/// A point a poll by timestamp can resume from: the source's cursor after a read, and the
/// newest change time of everything up to it.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct Mark {
    newest: DateTime<Utc>,
    cursor: String,
}

/// The last few marks of a connection, oldest first.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct Marks(Vec<Mark>);

impl Marks {
    const KEPT: usize = 8;

    fn parse(text: &str) -> Self {
        serde_json::from_str(text).unwrap_or_default()
    }

    fn to_text(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The latest mark whose newest change is before `since`.
    fn before(&self, since: DateTime<Utc>) -> Option<&Mark> {
        self.0.iter().rev().find(|m| m.newest < since)
    }

    fn add(&mut self, mark: Mark) {
        self.0.retain(|m| m.newest != mark.newest);
        self.0.push(mark);
        self.0.sort_by_key(|m| m.newest);
        let extra = self.0.len().saturating_sub(Self::KEPT);
        self.0.drain(..extra);
    }
}
