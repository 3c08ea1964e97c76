//! The published `IErpConnectorWS` contract (`contract.json`, with its sources), and the
//! check that holds a request or a response to it: member names, the order WCF's
//! DataContractSerializer reads them in (a member out of order is silently lost there),
//! required members, enum values, GUIDs, booleans and integers.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

use crate::xml::Element;

/// The contract as published, with the sources each part comes from.
#[derive(Debug, Deserialize)]
pub struct Contract {
    /// The DataContract namespace.
    pub namespace: String,
    /// The `ErrorCode` that makes SuperOffice resend a connection.
    pub unknown_connection_error_code: String,
    /// Enum names and their values.
    pub enums: BTreeMap<String, Vec<String>>,
    /// Data contracts by name.
    pub types: BTreeMap<String, TypeDef>,
    /// Operations by SOAP name.
    pub operations: BTreeMap<String, Operation>,
}

/// One data contract.
#[derive(Debug, Deserialize)]
pub struct TypeDef {
    /// The base contract, whose members come first.
    #[serde(default)]
    pub base: Option<String>,
    /// Members and their types, in serialisation order within this type.
    pub members: BTreeMap<String, String>,
    /// Members that must be present (and, for text, not empty).
    #[serde(default)]
    pub required: Vec<String>,
    /// Members a connector's answers must carry besides (an actor SuperOffice creates has
    /// no key yet; one the connector returns always has its key and `LastModified`).
    #[serde(default)]
    pub required_in_answers: Vec<String>,
}

/// Which way a message goes: SuperOffice's request, or the connector's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// From SuperOffice to the connector.
    Request,
    /// From the connector to SuperOffice.
    Answer,
}

/// One operation: its request contract (`None`: no parameter) and response contract.
#[derive(Debug, Deserialize)]
pub struct Operation {
    /// The request's data contract.
    pub request: Option<String>,
    /// The result's data contract.
    pub response: String,
}

/// The contract, loaded once.
pub fn contract() -> &'static Contract {
    static CONTRACT: OnceLock<Contract> = OnceLock::new();
    CONTRACT.get_or_init(|| {
        serde_json::from_str(include_str!("contract.json")).expect("contract.json is valid")
    })
}

impl Contract {
    /// The members of `type_name` in the order WCF writes and reads them: the base's first.
    pub fn members(&self, type_name: &str) -> Vec<(&str, &str)> {
        let Some(def) = self.types.get(type_name) else { return Vec::new() };
        let mut out = def.base.as_deref().map(|b| self.members(b)).unwrap_or_default();
        out.extend(def.members.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        out
    }

    fn required(&self, type_name: &str, direction: Direction) -> Vec<&str> {
        let Some(def) = self.types.get(type_name) else { return Vec::new() };
        let mut out = def.base.as_deref().map(|b| self.required(b, direction)).unwrap_or_default();
        out.extend(def.required.iter().map(String::as_str));
        if direction == Direction::Answer {
            out.extend(def.required_in_answers.iter().map(String::as_str));
        }
        out
    }

    /// Every way `element`, going `direction`, breaks data contract `type_name` (empty when
    /// it keeps it); `path` names the element in the messages.
    pub fn check(
        &self,
        type_name: &str,
        element: &Element,
        path: &str,
        direction: Direction,
    ) -> Vec<String> {
        let mut out = Vec::new();
        Checker { contract: self, direction }.check_into(type_name, element, path, &mut out);
        out
    }
}

struct Checker<'a> {
    contract: &'a Contract,
    direction: Direction,
}

impl Checker<'_> {
    fn check_into(&self, type_name: &str, element: &Element, path: &str, out: &mut Vec<String>) {
        let members = self.contract.members(type_name);
        let mut position = 0;
        for child in &element.children {
            let Some(index) = members.iter().position(|(name, _)| *name == child.name) else {
                out.push(format!("{path}: `{}` is not a member of {type_name}", child.name));
                continue;
            };
            if index < position {
                out.push(format!(
                    "{path}: `{}` comes after `{}`; {type_name} reads its members in order and \
                     would lose it",
                    child.name, members[position].0
                ));
            }
            position = position.max(index);
            let child_path = format!("{path}/{}", child.name);
            self.check_value(members[index].1, child, &child_path, out);
        }
        for required in self.contract.required(type_name, self.direction) {
            let present = element.child(required).is_some_and(|c| !c.nil);
            let empty_text = element
                .child(required)
                .is_some_and(|c| c.children.is_empty() && c.text.trim().is_empty());
            let is_text = members.iter().any(|(n, t)| *n == required && is_scalar(t));
            if !present || (is_text && empty_text) {
                out.push(format!("{path}: {type_name} needs `{required}`"));
            }
        }
    }

    fn check_value(&self, ty: &str, element: &Element, path: &str, out: &mut Vec<String>) {
        if element.nil {
            return;
        }
        let text = element.text.trim();
        match ty {
            "string" => {}
            "boolean" if !matches!(text, "true" | "false") => {
                out.push(format!("{path}: `{text}` is not a boolean (true or false)"));
            }
            "int" if text.parse::<i32>().is_err() => {
                out.push(format!("{path}: `{text}` is not an int"))
            }
            "guid" if !is_guid(text) => out.push(format!("{path}: `{text}` is not a GUID")),
            "dictionary" => {
                for item in &element.children {
                    if item.name != "KeyValueOfstringstring" || item.child("Key").is_none() {
                        out.push(format!(
                            "{path}: `{}` is not a KeyValueOfstringstring",
                            item.name
                        ));
                    }
                }
            }
            array if array.ends_with("[]") => {
                let item_type = &array[..array.len() - 2];
                for (i, item) in element.children.iter().enumerate() {
                    let item_path = format!("{path}[{i}]");
                    if item_type == "string" {
                        if item.name != "string" {
                            out.push(format!("{item_path}: `{}` is not a string item", item.name));
                        }
                    } else {
                        self.check_value(item_type, item, &item_path, out);
                    }
                }
            }
            named => {
                if let Some(values) = self.contract.enums.get(named) {
                    if !values.iter().any(|v| v == text) {
                        out.push(format!(
                            "{path}: `{text}` is not a {named} ({})",
                            values.join(", ")
                        ));
                    }
                } else if self.contract.types.contains_key(named) {
                    self.check_into(named, element, path, out);
                }
            }
        }
    }
}

fn is_scalar(ty: &str) -> bool {
    !ty.ends_with("[]") && ty != "dictionary" && !contract().types.contains_key(ty)
}

/// Whether `text` is a GUID in its 8-4-4-4-12 hex form (braces allowed, as .NET allows).
pub fn is_guid(text: &str) -> bool {
    let t = text.trim().trim_start_matches('{').trim_end_matches('}');
    let groups: Vec<&str> = t.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.chars().all(|c| c.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::parse;

    #[test]
    fn every_operation_names_known_contracts() {
        let c = contract();
        for (name, op) in &c.operations {
            assert!(name.starts_with("WS"), "{name}");
            assert!(c.types.contains_key(&op.response), "{name}: {}", op.response);
            if let Some(req) = &op.request {
                assert!(c.types.contains_key(req), "{name}: {req}");
            }
        }
        for (name, def) in &c.types {
            for (member, ty) in &def.members {
                let base = ty.trim_end_matches("[]");
                let known = matches!(base, "string" | "boolean" | "int" | "guid" | "dictionary")
                    || c.enums.contains_key(base)
                    || c.types.contains_key(base);
                assert!(known, "{name}.{member}: {ty}");
            }
            for r in def.required.iter().chain(&def.required_in_answers) {
                assert!(c.members(name).iter().any(|(m, _)| m == r), "{name} requires unknown {r}");
            }
        }
        assert_eq!(c.operations.len(), 17);
    }

    #[test]
    fn holds_members_order_enums_and_required_values() {
        let c = contract();
        let good = parse(
            "<r><ErrorCode/><IsOk>true</IsOk><State>Ok</State><TechExplanation/><UserExplanation/>\
             <Actors><ErpActorWS><ActorType>Customer</ActorType><ErpKey>1</ErpKey><LastModified>x</LastModified></ErpActorWS></Actors></r>",
        )
        .unwrap();
        assert_eq!(
            c.check("ActorArrayPluginResponseWS", &good, "r", Direction::Answer),
            Vec::<String>::new()
        );
        let bad = parse(
            "<r><State>Fine</State><IsOk>yes</IsOk><Extra/>\
             <Actors><ErpActorWS><ActorType>Company</ActorType><ErpKey>1</ErpKey><LastModified/></ErpActorWS></Actors></r>",
        )
        .unwrap();
        let found = c.check("ActorArrayPluginResponseWS", &bad, "r", Direction::Answer).join("\n");
        for needle in [
            "`Fine` is not a ResponseState",
            "`IsOk` comes after `State`",
            "`yes` is not a boolean",
            "`Extra` is not a member",
            "`Company` is not a ActorType",
            "needs `LastModified`",
        ] {
            assert!(found.contains(needle), "{needle} not in\n{found}");
        }
        assert!(is_guid("3f2504e0-4f89-11d3-9a0c-0305e82c3301") && !is_guid("42"));
    }
}
