//! SuperOffice's side of the protocol: the ERP Integration Server's calls, as SuperOffice
//! documents them, for tests, `connector simulate superoffice` and the demo. Every request it
//! sends and every answer it reads is held to the published contract; a breach is an error,
//! as the real server would misread or refuse it.

use crate::carriers::{ErpActor, PluginResponse, Restriction};
use crate::contract::{Direction, contract};
use crate::soap;
use crate::wsdl::soap_action;
use crate::xml::{self, Element, dictionary, string_array, text_element};

/// What went wrong with a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EisError {
    /// The request or the answer breaks the published contract.
    Contract(Vec<String>),
    /// The HTTP exchange failed or the answer is not a SOAP envelope.
    Transport(String),
}

impl std::fmt::Display for EisError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EisError::Contract(v) => {
                write!(f, "breaks the IErpConnectorWS contract: {}", v.join("; "))
            }
            EisError::Transport(e) => write!(f, "the connector could not be called: {e}"),
        }
    }
}

impl std::error::Error for EisError {}

/// An answer: its status and the result element (for the payload).
#[derive(Debug, Clone)]
pub struct EisAnswer {
    /// `PluginResponseInfo`.
    pub status: PluginResponse,
    /// The `…Result` element.
    pub result: Element,
}

impl EisAnswer {
    /// The `Items` of a string-array answer.
    pub fn items(&self) -> Vec<String> {
        self.result.strings("Items")
    }

    /// The actors of an actor-array answer.
    pub fn actors(&self) -> Vec<ErpActor> {
        self.result
            .child("Actors")
            .map(|a| a.children.iter().map(ErpActor::read).collect())
            .unwrap_or_default()
    }

    /// The actor of a single-actor answer.
    pub fn actor(&self) -> Option<ErpActor> {
        self.result.child("Actor").filter(|a| !a.nil).map(ErpActor::read)
    }

    /// The field keys of a field-metadata answer.
    pub fn field_keys(&self) -> Vec<String> {
        self.result
            .child("FieldMetaDataObjects")
            .map(|f| {
                f.children
                    .iter()
                    .filter_map(|m| m.child_text("FieldKey").map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The field metadata elements of a field-metadata answer.
    pub fn fields(&self) -> Vec<Element> {
        self.result.child("FieldMetaDataObjects").map(|f| f.children.clone()).unwrap_or_default()
    }

    /// The items of a list answer (key → display).
    pub fn list_items(&self) -> Vec<(String, String)> {
        self.result.pairs("ListItems")
    }
}

/// A client of a connector's `IErpConnectorWS`, as SuperOffice's integration server calls it.
#[derive(Debug, Clone)]
pub struct EisClient {
    http: reqwest::Client,
    url: String,
    namespace: String,
}

impl EisClient {
    /// A client of the connector at `url`, in SuperOffice's namespace.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            http: reqwest::Client::new(),
            url: url.into(),
            namespace: contract().namespace.clone(),
        }
    }

    /// Sends requests in another namespace (a connector configured with its own).
    #[must_use]
    pub fn with_namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = namespace.into();
        self
    }

    /// Calls `operation` with the members of its `request` element (`None`: no parameter).
    pub async fn call(
        &self,
        operation: &str,
        members: Option<&str>,
    ) -> Result<EisAnswer, EisError> {
        let op = contract().operations.get(operation).ok_or_else(|| {
            EisError::Contract(vec![format!("`{operation}` is not an operation")])
        })?;
        let body = soap::request(operation, &self.namespace, members);
        if let Some(request_type) = &op.request {
            let sent = soap::read_request(&body).map_err(EisError::Transport)?;
            let request = sent.body.child("request").cloned().unwrap_or_default();
            let broken = contract().check(request_type, &request, "request", Direction::Request);
            if !broken.is_empty() {
                return Err(EisError::Contract(broken));
            }
        }
        let response = self
            .http
            .post(&self.url)
            .header("Content-Type", "text/xml; charset=utf-8")
            .header("SOAPAction", format!("\"{}\"", soap_action(&self.namespace, operation)))
            .body(body)
            .send()
            .await
            .map_err(|e| EisError::Transport(e.to_string()))?;
        let status = response.status();
        let text = response.text().await.map_err(|e| EisError::Transport(e.to_string()))?;
        if !status.is_success() {
            return Err(EisError::Transport(format!("HTTP {status}: {text}")));
        }
        let root = xml::parse_bounded(&text, usize::MAX)
            .map_err(|e| EisError::Transport(e.to_string()))?;
        let wrapper = root
            .child("Body")
            .and_then(|b| b.children.first())
            .filter(|w| w.name == format!("{operation}Response"))
            .ok_or_else(|| {
                EisError::Contract(vec![format!("the answer has no {operation}Response")])
            })?;
        if wrapper.namespace.as_deref() != Some(self.namespace.as_str()) {
            return Err(EisError::Contract(vec![format!(
                "the answer is in namespace {:?}, not the request's {}",
                wrapper.namespace, self.namespace
            )]));
        }
        let result = wrapper.child(&format!("{operation}Result")).cloned().ok_or_else(|| {
            EisError::Contract(vec![format!("the answer has no {operation}Result")])
        })?;
        let broken = contract().check(
            &op.response,
            &result,
            &format!("{operation}Result"),
            Direction::Answer,
        );
        if !broken.is_empty() {
            return Err(EisError::Contract(broken));
        }
        let status = PluginResponse::read(&result);
        let is_ok = result.child_text("IsOk") == Some("true");
        if is_ok != status.is_ok() {
            return Err(EisError::Contract(vec![format!(
                "IsOk={is_ok} disagrees with State={}",
                status.state.as_str()
            )]));
        }
        Ok(EisAnswer { status, result })
    }

    /// `WSGetConfigData`.
    pub async fn get_config_data(&self) -> Result<EisAnswer, EisError> {
        self.call("WSGetConfigData", None).await
    }

    /// `WSTestConfigData` with the dialog's values.
    pub async fn test_config_data(&self, info: &[(&str, &str)]) -> Result<EisAnswer, EisError> {
        let mut m = String::new();
        dictionary(&mut m, "ConnectionInfo", info.iter().copied());
        self.call("WSTestConfigData", Some(&m)).await
    }

    /// `WSSaveConnection`.
    pub async fn save_connection(
        &self,
        guid: &str,
        info: &[(&str, &str)],
    ) -> Result<EisAnswer, EisError> {
        let mut m = guid_member(guid);
        dictionary(&mut m, "ConnectionInfo", info.iter().copied());
        self.call("WSSaveConnection", Some(&m)).await
    }

    /// `WSTestConnection`.
    pub async fn test_connection(&self, guid: &str) -> Result<EisAnswer, EisError> {
        self.call("WSTestConnection", Some(&guid_member(guid))).await
    }

    /// `WSDeleteConnection`.
    pub async fn delete_connection(&self, guid: &str) -> Result<EisAnswer, EisError> {
        self.call("WSDeleteConnection", Some(&guid_member(guid))).await
    }

    /// `WSGetSupportedActorTypes`.
    pub async fn supported_actor_types(&self, guid: &str) -> Result<EisAnswer, EisError> {
        self.call("WSGetSupportedActorTypes", Some(&guid_member(guid))).await
    }

    /// `WSGetSupportedActorTypeFields`.
    pub async fn actor_type_fields(
        &self,
        guid: &str,
        actor_type: &str,
    ) -> Result<EisAnswer, EisError> {
        self.call("WSGetSupportedActorTypeFields", Some(&of_type(guid, actor_type))).await
    }

    /// `WSGetSearchableFields`.
    pub async fn searchable_fields(
        &self,
        guid: &str,
        actor_type: &str,
    ) -> Result<EisAnswer, EisError> {
        self.call("WSGetSearchableFields", Some(&of_type(guid, actor_type))).await
    }

    /// `WSGetActors`.
    pub async fn get_actors(
        &self,
        guid: &str,
        actor_type: &str,
        keys: &[String],
        fields: &[String],
    ) -> Result<EisAnswer, EisError> {
        let mut m = of_type(guid, actor_type);
        string_array(&mut m, "ErpKeys", keys);
        string_array(&mut m, "FieldKeys", fields);
        self.call("WSGetActors", Some(&m)).await
    }

    /// `WSSearchActors`.
    pub async fn search_actors(
        &self,
        guid: &str,
        actor_type: &str,
        text: &str,
    ) -> Result<EisAnswer, EisError> {
        let mut m = of_type(guid, actor_type);
        string_array(&mut m, "FieldKeys", &[]);
        text_element(&mut m, "SearchText", Some(text));
        self.call("WSSearchActors", Some(&m)).await
    }

    /// `WSSearchActorByParent`.
    pub async fn search_by_parent(
        &self,
        guid: &str,
        actor_type: &str,
        parent_type: &str,
        parent_key: &str,
        text: &str,
    ) -> Result<EisAnswer, EisError> {
        let mut m = of_type(guid, actor_type);
        string_array(&mut m, "FieldKeys", &[]);
        text_element(&mut m, "ParentActorErpKey", Some(parent_key));
        text_element(&mut m, "ParentActorType", Some(parent_type));
        text_element(&mut m, "SearchText", Some(text));
        self.call("WSSearchActorByParent", Some(&m)).await
    }

    /// `WSSearchActorsAdvanced`.
    pub async fn search_advanced(
        &self,
        guid: &str,
        actor_type: &str,
        restrictions: &[Restriction],
        fields: &[String],
    ) -> Result<EisAnswer, EisError> {
        let mut m = of_type(guid, actor_type);
        string_array(&mut m, "FieldKeys", fields);
        m.push_str("<Restrictions>");
        for r in restrictions {
            r.write(&mut m);
        }
        m.push_str("</Restrictions>");
        self.call("WSSearchActorsAdvanced", Some(&m)).await
    }

    /// `WSCreateActor`.
    pub async fn create_actor(&self, guid: &str, actor: &ErpActor) -> Result<EisAnswer, EisError> {
        let mut m = String::new();
        actor.write_as(&mut m, "Actor");
        let m = format!("{}{m}", guid_member(guid));
        self.call("WSCreateActor", Some(&m)).await
    }

    /// `WSSaveActors`.
    pub async fn save_actors(
        &self,
        guid: &str,
        actors: &[ErpActor],
    ) -> Result<EisAnswer, EisError> {
        let mut m = String::from("<Actors>");
        for a in actors {
            a.write_as(&mut m, "ErpActorWS");
        }
        m.push_str("</Actors>");
        self.call("WSSaveActors", Some(&format!("{}{m}", guid_member(guid)))).await
    }

    /// `WSGetList`.
    pub async fn get_list(&self, guid: &str, list: &str) -> Result<EisAnswer, EisError> {
        let mut m = guid_member(guid);
        text_element(&mut m, "ListName", Some(list));
        self.call("WSGetList", Some(&m)).await
    }

    /// `WSGetListItems`: the display texts of some items of a list.
    pub async fn get_list_items(
        &self,
        guid: &str,
        list: &str,
        keys: &[String],
    ) -> Result<EisAnswer, EisError> {
        let mut m = guid_member(guid);
        string_array(&mut m, "ListItemKeys", keys);
        text_element(&mut m, "ListName", Some(list));
        self.call("WSGetListItems", Some(&m)).await
    }

    /// `WSGetActorsByTimestamp`.
    pub async fn actors_by_timestamp(
        &self,
        guid: &str,
        actor_type: &str,
        since: &str,
        fields: &[String],
    ) -> Result<EisAnswer, EisError> {
        let mut m = of_type(guid, actor_type);
        string_array(&mut m, "FieldKeys", fields);
        text_element(&mut m, "UpdatedOnOrAfter", Some(since));
        self.call("WSGetActorsByTimestamp", Some(&m)).await
    }

    /// SuperOffice's import from the ERP: the searchable fields, an advanced search on the
    /// first with `begins` and `prefix`, then the found actors by key.
    pub async fn import(
        &self,
        guid: &str,
        actor_type: &str,
        prefix: &str,
    ) -> Result<Vec<ErpActor>, EisError> {
        let searchable = self.searchable_fields(guid, actor_type).await?.items();
        let field = searchable.first().cloned().unwrap_or_else(|| "name".into());
        let restriction = Restriction {
            field_key: field,
            operator: "begins".into(),
            values: vec![prefix.to_owned()],
        };
        let found = self.search_advanced(guid, actor_type, &[restriction], &[]).await?.actors();
        let keys: Vec<String> = found.into_iter().map(|a| a.erp_key).collect();
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        Ok(self.get_actors(guid, actor_type, &keys, &[]).await?.actors())
    }
}

/// The members every actor request starts with: the connection, then the actor type.
fn of_type(guid: &str, actor_type: &str) -> String {
    let mut m = guid_member(guid);
    text_element(&mut m, "ActorType", Some(actor_type));
    m
}

fn guid_member(guid: &str) -> String {
    let mut m = String::new();
    text_element(&mut m, "ConnectionGuid", Some(guid));
    m
}

/// What SuperOffice's whole loop saw: the dialog, the link test, the import and a poll.
#[derive(Debug, Clone)]
pub struct Walk {
    /// The connection dialog's field keys.
    pub config_fields: Vec<String>,
    /// "Test ERP link" before saving.
    pub link_test: PluginResponse,
    /// The test after saving.
    pub connection_test: PluginResponse,
    /// The actor types the connection serves.
    pub actor_types: Vec<String>,
    /// What the import found (searchable fields → advanced search → get actors).
    pub imported: Vec<ErpActor>,
    /// What the first poll by timestamp returned.
    pub polled: Vec<ErpActor>,
}

impl EisClient {
    /// SuperOffice's loop for a new ERP link: the dialog's fields, "Test ERP link" with
    /// `info`, save as `guid`, the test after saving, the actor types, an import of customers
    /// whose first searchable field begins with `prefix`, then a poll of everything changed
    /// since 2000. Stops at the first step that fails.
    pub async fn walk(
        &self,
        guid: &str,
        info: &[(&str, &str)],
        prefix: &str,
    ) -> Result<Walk, EisError> {
        let config_fields = self.get_config_data().await?.field_keys();
        let link_test = self.test_config_data(info).await?.status;
        let mut walk = Walk {
            config_fields,
            link_test: link_test.clone(),
            connection_test: link_test.clone(),
            actor_types: Vec::new(),
            imported: Vec::new(),
            polled: Vec::new(),
        };
        if !link_test.is_ok() {
            return Ok(walk);
        }
        let saved = self.save_connection(guid, info).await?.status;
        if !saved.is_ok() {
            walk.connection_test = saved;
            return Ok(walk);
        }
        walk.connection_test = self.test_connection(guid).await?.status;
        if !walk.connection_test.is_ok() {
            return Ok(walk);
        }
        walk.actor_types = self.supported_actor_types(guid).await?.items();
        walk.imported = self.import(guid, "Customer", prefix).await?;
        walk.polled = self
            .actors_by_timestamp(guid, "Customer", "[DT:01/01/2000 00:00:00.0000000]", &[])
            .await?
            .actors();
        Ok(walk)
    }
}
