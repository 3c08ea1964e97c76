//! The carriers SuperOffice exchanges with a connector (`ErpActorWS`, `FieldMetadataInfoWS`,
//! `PluginResponseInfo` and its typed variants, `SearchRestrictionInfoWS`), read from and
//! written to XML in the member order WCF uses.

use std::fmt::Write as _;

use crate::xml::{Element, dictionary, string_array, text_element};

/// `ResponseState`: how an operation went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseState {
    /// Completed normally.
    Ok,
    /// Completed, with something to tell the user.
    OkWithInfo,
    /// Completed, with a warning.
    Warning,
    /// Failed.
    Error,
}

impl ResponseState {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "Ok",
            Self::OkWithInfo => "OkWithInfo",
            Self::Warning => "Warning",
            Self::Error => "Error",
        }
    }
}

/// `PluginResponseInfo`: the status every answer carries. Failures go back this way, never
/// as SOAP faults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginResponse {
    /// The state (`IsOk` is `state != Error`).
    pub state: ResponseState,
    /// What a user can act on (`US:"…"`, shown in SuperOffice).
    pub user_explanation: String,
    /// Technical detail, in English.
    pub tech_explanation: String,
    /// An error code (`UNKNOWN_CONNECTION_ID`).
    pub error_code: String,
}

impl PluginResponse {
    /// Success.
    pub fn ok() -> Self {
        Self {
            state: ResponseState::Ok,
            user_explanation: String::new(),
            tech_explanation: String::new(),
            error_code: String::new(),
        }
    }

    /// A failure with what the user should do and what went wrong technically.
    pub fn error(user: impl Into<String>, tech: impl Into<String>) -> Self {
        Self {
            state: ResponseState::Error,
            user_explanation: user.into(),
            tech_explanation: tech.into(),
            error_code: String::new(),
        }
    }

    /// With an error code.
    #[must_use]
    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        self.error_code = code.into();
        self
    }

    /// Whether it is not an error.
    pub fn is_ok(&self) -> bool {
        self.state != ResponseState::Error
    }

    /// Appends the base members, in order.
    pub fn write(&self, out: &mut String) {
        text_element(out, "ErrorCode", Some(&self.error_code));
        text_element(out, "IsOk", Some(if self.is_ok() { "true" } else { "false" }));
        text_element(out, "State", Some(self.state.as_str()));
        text_element(out, "TechExplanation", Some(&self.tech_explanation));
        text_element(out, "UserExplanation", Some(&self.user_explanation));
    }

    /// Reads the base members of a result element.
    pub fn read(result: &Element) -> Self {
        let state = match result.child_text("State").unwrap_or_default() {
            "Ok" => ResponseState::Ok,
            "OkWithInfo" => ResponseState::OkWithInfo,
            "Warning" => ResponseState::Warning,
            _ => ResponseState::Error,
        };
        let text = |n: &str| result.child_text(n).unwrap_or_default().to_owned();
        Self {
            state,
            user_explanation: text("UserExplanation"),
            tech_explanation: text("TechExplanation"),
            error_code: text("ErrorCode"),
        }
    }
}

/// `FieldMetadataType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// A checkbox (`[I:1]`/`[I:0]`).
    Checkbox,
    /// Text.
    Text,
    /// A password: masked in SuperOffice.
    Password,
    /// An integer (`[I:…]`).
    Integer,
    /// A number (`[F:…]`).
    Double,
    /// A list item key, the list named by `ListName`.
    List,
    /// A date and time (`[DT:…]`).
    Datetime,
    /// A label.
    Label,
}

impl FieldType {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Checkbox => "Checkbox",
            Self::Text => "Text",
            Self::Password => "Password",
            Self::Integer => "Integer",
            Self::Double => "Double",
            Self::List => "List",
            Self::Datetime => "Datetime",
            Self::Label => "Label",
        }
    }
}

/// `FieldAccess`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldAccess {
    /// Optional.
    Normal,
    /// Must be filled.
    Mandatory,
    /// Shown, not edited.
    ReadOnly,
}

impl FieldAccess {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Normal => "Normal",
            Self::Mandatory => "Mandatory",
            Self::ReadOnly => "ReadOnly",
        }
    }
}

/// `FieldMetadataInfoWS`: one field a connection or an actor type has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldMetadata {
    /// The key (`name`, `xero.client_id`).
    pub key: String,
    /// Display name, multi-language (`US:"Name";NO:"Navn"`).
    pub display_name: String,
    /// Tooltip, multi-language.
    pub display_description: String,
    /// The type.
    pub field_type: FieldType,
    /// The list of a `List` field.
    pub list_name: String,
    /// The default, encoded.
    pub default_value: String,
    /// The longest value (0: unlimited).
    pub max_length: i32,
    /// Access.
    pub access: FieldAccess,
    /// Display order.
    pub rank: i32,
}

impl FieldMetadata {
    /// Appends `<FieldMetadataInfoWS>` with its members in order.
    pub fn write(&self, out: &mut String) {
        out.push_str("<FieldMetadataInfoWS>");
        text_element(out, "Access", Some(self.access.as_str()));
        text_element(out, "DefaultValue", Some(&self.default_value));
        text_element(out, "DisplayDescription", Some(&self.display_description));
        text_element(out, "DisplayName", Some(&self.display_name));
        text_element(out, "FieldKey", Some(&self.key));
        text_element(out, "FieldType", Some(self.field_type.as_str()));
        text_element(out, "ListName", Some(&self.list_name));
        text_element(out, "MaxLength", Some(&self.max_length.to_string()));
        text_element(out, "Rank", Some(&self.rank.to_string()));
        out.push_str("</FieldMetadataInfoWS>");
    }
}

/// `ErpActorWS`: one record as SuperOffice sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErpActor {
    /// `Customer`, `Person`, …
    pub actor_type: String,
    /// Its key in the connection (opaque to SuperOffice, stable).
    pub erp_key: String,
    /// When it last changed, comparable across every actor of the connection.
    pub last_modified: String,
    /// The parent's actor type (a person's customer).
    pub parent_actor_type: Option<String>,
    /// The parent's key.
    pub parent_erp_key: Option<String>,
    /// Field keys and their encoded values, in the order given.
    pub field_values: Vec<(String, String)>,
}

impl ErpActor {
    /// The value of one field.
    pub fn value(&self, key: &str) -> Option<&str> {
        self.field_values.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// Appends `<ErpActorWS>` (or `<{name}>`) with its members in order.
    pub fn write_as(&self, out: &mut String, name: &str) {
        let _ = write!(out, "<{name}>");
        text_element(out, "ActorType", Some(&self.actor_type));
        text_element(out, "ErpKey", Some(&self.erp_key));
        dictionary(
            out,
            "FieldValues",
            self.field_values.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        );
        text_element(out, "LastModified", Some(&self.last_modified));
        text_element(out, "ParentActorType", self.parent_actor_type.as_deref());
        text_element(out, "ParentErpKey", self.parent_erp_key.as_deref());
        let _ = write!(out, "</{name}>");
    }

    /// Reads an `ErpActorWS` element.
    pub fn read(element: &Element) -> Self {
        let text = |n: &str| element.child_text(n).map(str::to_owned);
        Self {
            actor_type: text("ActorType").unwrap_or_default(),
            erp_key: text("ErpKey").unwrap_or_default(),
            last_modified: text("LastModified").unwrap_or_default(),
            parent_actor_type: text("ParentActorType").filter(|s| !s.is_empty()),
            parent_erp_key: text("ParentErpKey").filter(|s| !s.is_empty()),
            field_values: element.pairs("FieldValues"),
        }
    }
}

/// `SearchRestrictionInfoWS`: one criterion of an advanced search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restriction {
    /// The field.
    pub field_key: String,
    /// The operator (`begins`, `=`, `between`, …).
    pub operator: String,
    /// Its values (one for most operators, two for `between`, any for `IN`).
    pub values: Vec<String>,
}

impl Restriction {
    /// Reads a `SearchRestrictionInfoWS` element (`Values`, else `ScalarValue`).
    pub fn read(element: &Element) -> Self {
        let mut values = element.strings("Values");
        if values.is_empty() {
            values.extend(element.child_text("ScalarValue").map(str::to_owned));
        }
        Self {
            field_key: element.child_text("FieldKey").unwrap_or_default().to_owned(),
            operator: element.child_text("Operator").unwrap_or_default().to_owned(),
            values,
        }
    }

    /// Appends `<SearchRestrictionInfoWS>` with its members in order.
    pub fn write(&self, out: &mut String) {
        out.push_str("<SearchRestrictionInfoWS>");
        text_element(out, "FieldKey", Some(&self.field_key));
        text_element(out, "Operator", Some(&self.operator));
        text_element(out, "ScalarValue", self.values.first().map(String::as_str));
        string_array(out, "Values", &self.values);
        out.push_str("</SearchRestrictionInfoWS>");
    }
}

/// What an operation answers besides its status.
#[derive(Debug, Clone, PartialEq)]
pub enum Payload {
    /// Nothing (`ConnectorResultBaseWS`).
    None,
    /// `Items` (`StringArrayPluginResponseWS`).
    Items(Vec<String>),
    /// `FieldMetaDataObjects`.
    Fields(Vec<FieldMetadata>),
    /// `Actors`.
    Actors(Vec<ErpActor>),
    /// `Actor`.
    Actor(Option<ErpActor>),
    /// `ListItems` (key → display text).
    ListItems(Vec<(String, String)>),
}

impl Payload {
    /// Appends the payload member (nothing for `None`).
    pub fn write(&self, out: &mut String) {
        match self {
            Payload::None => {}
            Payload::Items(items) => string_array(out, "Items", items),
            Payload::Fields(fields) => {
                out.push_str("<FieldMetaDataObjects>");
                for f in fields {
                    f.write(out);
                }
                out.push_str("</FieldMetaDataObjects>");
            }
            Payload::Actors(actors) => {
                out.push_str("<Actors>");
                for a in actors {
                    a.write_as(out, "ErpActorWS");
                }
                out.push_str("</Actors>");
            }
            Payload::Actor(Some(actor)) => actor.write_as(out, "Actor"),
            Payload::Actor(None) => text_element(out, "Actor", None),
            Payload::ListItems(items) => {
                dictionary(out, "ListItems", items.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            }
        }
    }
}

/// A multi-language display text with one language: `US:"text"`.
pub fn us(text: &str) -> String {
    format!("US:\"{}\"", text.replace('"', "'"))
}
