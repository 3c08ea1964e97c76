//! The org's objects and fields. A new simulator is a standard org: the standard fields of
//! each object as the description has them (`tests/fixtures/salesforce-api.json`), without
//! the State and Country/Territory Picklist fields unless the builder turns them on, and no
//! custom field or object until a test adds one ([`super::SalesforceSimulator::add_field`],
//! [`super::SalesforceSimulator::add_object`]).

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::api_spec;

/// The standard objects served, with their id prefixes.
pub(super) const STANDARD: &[(&str, &str)] = &[
    ("Account", "001"),
    ("Contact", "003"),
    ("Product2", "01t"),
    ("Pricebook2", "01s"),
    ("PricebookEntry", "01u"),
    ("Order", "801"),
    ("OrderItem", "802"),
];

/// Parent relationships: object, relationship name, id field, parent object.
const PARENTS: &[(&str, &str, &str, &str)] = &[
    ("Account", "Parent", "ParentId", "Account"),
    ("Contact", "Account", "AccountId", "Account"),
    ("Order", "Account", "AccountId", "Account"),
    ("Order", "BillToContact", "BillToContactId", "Contact"),
    ("Order", "ShipToContact", "ShipToContactId", "Contact"),
    ("Order", "Pricebook2", "Pricebook2Id", "Pricebook2"),
    ("OrderItem", "Order", "OrderId", "Order"),
    ("OrderItem", "Product2", "Product2Id", "Product2"),
    ("OrderItem", "PricebookEntry", "PricebookEntryId", "PricebookEntry"),
    ("PricebookEntry", "Pricebook2", "Pricebook2Id", "Pricebook2"),
    ("PricebookEntry", "Product2", "Product2Id", "Product2"),
];

/// Child relationships: parent object, relationship name, child object, its id field.
const CHILDREN: &[(&str, &str, &str, &str)] = &[
    ("Account", "Contacts", "Contact", "AccountId"),
    ("Account", "Orders", "Order", "AccountId"),
    ("Order", "OrderItems", "OrderItem", "OrderId"),
    ("Product2", "PricebookEntries", "PricebookEntry", "Product2Id"),
    ("Pricebook2", "PricebookEntries", "PricebookEntry", "Pricebook2Id"),
];

/// Relationships the description lists as fields, and the fields it serves only with
/// optional features.
fn standard_only(object: &str, field: &str, picklists: bool) -> bool {
    let relation = field == "attributes"
        || field == "Owner"
        || PARENTS.iter().any(|(o, r, ..)| *o == object && *r == field)
        || CHILDREN.iter().any(|(o, r, ..)| *o == object && *r == field);
    let picklist = field.ends_with("CountryCode") || field.ends_with("StateCode");
    !relation && (picklists || !picklist)
}

/// One field.
#[derive(Debug, Clone)]
pub(super) struct FieldDef {
    /// The API name.
    pub(super) name: String,
    /// The describe type (`string`, `double`, `reference`, …).
    pub(super) kind: String,
    pub(super) external_id: bool,
    pub(super) custom: bool,
    /// For a lookup: the object it points at.
    pub(super) reference_to: Option<String>,
}

/// One object's fields (by lower-case name: API names are case-insensitive).
#[derive(Debug, Clone)]
pub(super) struct ObjectDef {
    pub(super) name: String,
    pub(super) prefix: String,
    pub(super) custom: bool,
    pub(super) fields: BTreeMap<String, FieldDef>,
}

fn describe_type(field: &str, written: &str) -> &'static str {
    match written {
        _ if field == "Id" => "id",
        "string" if field.ends_with("Id") => "reference",
        "string" => "string",
        "number" => "double",
        "integer" => "int",
        "boolean" => "boolean",
        "date" => "date",
        "date-time" => "datetime",
        "any" => "address",
        _ => "picklist",
    }
}

impl ObjectDef {
    /// A standard object with the description's fields.
    pub(super) fn standard(name: &str, prefix: &str, picklists: bool) -> Self {
        let spec = api_spec();
        let mut fields = BTreeMap::new();
        for f in spec.schema_fields(name).unwrap_or_default() {
            if !standard_only(name, f, picklists) {
                continue;
            }
            let written = spec.field_type(name, f).unwrap_or_default();
            let kind = describe_type(f, &written).to_owned();
            let reference_to = PARENTS
                .iter()
                .find(|(o, _, id, _)| *o == name && *id == f)
                .map(|(.., target)| (*target).to_owned());
            fields.insert(
                f.to_ascii_lowercase(),
                FieldDef {
                    name: f.to_owned(),
                    kind,
                    external_id: false,
                    custom: false,
                    reference_to,
                },
            );
        }
        Self { name: name.to_owned(), prefix: prefix.to_owned(), custom: false, fields }
    }

    /// A custom object with `Id`, `Name`, the system fields and no other.
    pub(super) fn custom(name: &str, prefix: &str) -> Self {
        let mut o = Self {
            name: name.to_owned(),
            prefix: prefix.to_owned(),
            custom: true,
            fields: BTreeMap::new(),
        };
        for (f, kind) in [
            ("Id", "id"),
            ("Name", "string"),
            ("OwnerId", "reference"),
            ("IsDeleted", "boolean"),
            ("CreatedDate", "datetime"),
            ("CreatedById", "reference"),
            ("LastModifiedDate", "datetime"),
            ("LastModifiedById", "reference"),
            ("SystemModstamp", "datetime"),
        ] {
            o.add(f, kind, false, None);
        }
        o.fields.values_mut().for_each(|f| f.custom = false);
        o
    }

    /// Adds a field (a custom one when its name ends in `__c`).
    pub(super) fn add(&mut self, name: &str, kind: &str, external_id: bool, to: Option<&str>) {
        self.fields.insert(
            name.to_ascii_lowercase(),
            FieldDef {
                name: name.to_owned(),
                kind: kind.to_owned(),
                external_id,
                custom: name.ends_with("__c"),
                reference_to: to.map(str::to_owned),
            },
        );
    }

    /// The field, if the object has it.
    pub(super) fn field(&self, name: &str) -> Option<&FieldDef> {
        self.fields.get(&name.to_ascii_lowercase())
    }

    /// A parent relationship of the object: its id field and the parent object
    /// (`Account` → `AccountId`, `Account`; a custom lookup `Order__r` → `Order__c`).
    pub(super) fn parent(&self, rel: &str) -> Option<(String, String)> {
        if let Some((.., id, target)) =
            PARENTS.iter().find(|(o, r, ..)| *o == self.name && r.eq_ignore_ascii_case(rel))
        {
            return Some(((*id).to_owned(), (*target).to_owned()));
        }
        let field = format!("{}__c", rel.strip_suffix("__r")?);
        let f = self.field(&field)?;
        Some((f.name.clone(), f.reference_to.clone()?))
    }

    /// The describe answer.
    pub(super) fn describe(&self) -> Value {
        let fields: Vec<Value> = self
            .fields
            .values()
            .map(|f| {
                let mut v = json!({
                    "name": f.name, "label": f.name, "type": f.kind,
                    "externalId": f.external_id, "idLookup": f.name == "Id" || f.external_id,
                    "custom": f.custom, "nillable": f.name != "Id",
                    "createable": f.name != "Id" && f.name != "SystemModstamp",
                    "updateable": f.name != "Id" && f.name != "SystemModstamp",
                });
                if let Some(to) = &f.reference_to {
                    v["referenceTo"] = json!([to]);
                }
                v
            })
            .collect();
        json!({
            "name": self.name, "label": self.name, "keyPrefix": self.prefix,
            "custom": self.custom, "createable": true, "updateable": true, "queryable": true,
            "fields": fields,
        })
    }
}

/// A child relationship of `object`: the child object and its id field.
pub(super) fn child(object: &str, rel: &str) -> Option<(&'static str, &'static str)> {
    CHILDREN
        .iter()
        .find(|(o, r, ..)| *o == object && r.eq_ignore_ascii_case(rel))
        .map(|(.., child, fk)| (*child, *fk))
}
