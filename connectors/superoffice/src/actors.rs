//! Canonical records as SuperOffice actors and back: a [`Customer`] is a `Customer` actor,
//! each of its contact persons a `Person` actor whose parent is the customer. Field metadata
//! (types, access, display names in English and Norwegian), values in SuperOffice's
//! encodings, and `LastModified` as a `[DT:…]` instant, comparable across every actor of a
//! connection.

use chrono::{DateTime, Utc};
use connector_core::model::{
    Address, ContactKind, ContactPerson, Currency, Customer, CustomerKind, Email, EntityRef,
    Lifecycle, Money, Phone,
};

use crate::carriers::{ErpActor, FieldAccess, FieldMetadata, FieldType};
use crate::values::{self, ValueError};

/// The actor type of customers.
pub const CUSTOMER: &str = "Customer";
/// The actor type of contact persons.
pub const PERSON: &str = "Person";
/// The list of customer kinds (`company`, `person`).
pub const KINDS_LIST: &str = "CustomerKinds";

/// One actor field: key, type, access, names (English, Norwegian), longest value.
struct Field(&'static str, FieldType, FieldAccess, &'static str, &'static str, i32);

const CUSTOMER_FIELDS: &[Field] = &[
    Field("number", FieldType::Text, FieldAccess::ReadOnly, "Customer number", "Kundenummer", 50),
    Field("name", FieldType::Text, FieldAccess::Mandatory, "Name", "Navn", 255),
    Field(
        "kind",
        FieldType::List,
        FieldAccess::Normal,
        "Company or person",
        "Firma eller person",
        0,
    ),
    Field("email", FieldType::Text, FieldAccess::Normal, "E-mail", "E-post", 255),
    Field("phone", FieldType::Text, FieldAccess::Normal, "Phone", "Telefon", 50),
    Field("website", FieldType::Text, FieldAccess::Normal, "Web site", "Nettsted", 255),
    Field("tax_number", FieldType::Text, FieldAccess::Normal, "VAT number", "MVA-nummer", 50),
    Field(
        "registration_number",
        FieldType::Text,
        FieldAccess::Normal,
        "Registration number",
        "Organisasjonsnummer",
        50,
    ),
    Field("street", FieldType::Text, FieldAccess::Normal, "Street address", "Gateadresse", 255),
    Field("postal_code", FieldType::Text, FieldAccess::Normal, "Postal code", "Postnummer", 20),
    Field("city", FieldType::Text, FieldAccess::Normal, "City", "Poststed", 100),
    Field(
        "country",
        FieldType::Text,
        FieldAccess::Normal,
        "Country (ISO code)",
        "Land (ISO-kode)",
        2,
    ),
    Field("currency", FieldType::Text, FieldAccess::Normal, "Currency", "Valuta", 3),
    Field(
        "credit_limit",
        FieldType::Double,
        FieldAccess::Normal,
        "Credit limit",
        "Kredittgrense",
        0,
    ),
    Field(
        "payment_term",
        FieldType::Text,
        FieldAccess::Normal,
        "Payment term",
        "Betalingsbetingelse",
        50,
    ),
    Field("active", FieldType::Checkbox, FieldAccess::Normal, "Active", "Aktiv", 0),
    Field("notes", FieldType::Text, FieldAccess::Normal, "Notes", "Notater", 0),
];

const PERSON_FIELDS: &[Field] = &[
    Field("first_name", FieldType::Text, FieldAccess::Normal, "First name", "Fornavn", 100),
    Field("last_name", FieldType::Text, FieldAccess::Mandatory, "Last name", "Etternavn", 100),
    Field("email", FieldType::Text, FieldAccess::Normal, "E-mail", "E-post", 255),
    Field("phone", FieldType::Text, FieldAccess::Normal, "Phone", "Telefon", 50),
    Field("role", FieldType::Text, FieldAccess::Normal, "Title", "Tittel", 100),
    Field("primary", FieldType::Checkbox, FieldAccess::Normal, "Main contact", "Hovedkontakt", 0),
];

fn fields_of(actor_type: &str) -> Option<&'static [Field]> {
    match actor_type {
        CUSTOMER => Some(CUSTOMER_FIELDS),
        PERSON => Some(PERSON_FIELDS),
        _ => None,
    }
}

/// The fields of an actor type, as SuperOffice shows them; `None` for a type not served.
pub fn field_metadata(actor_type: &str) -> Option<Vec<FieldMetadata>> {
    let fields = fields_of(actor_type)?;
    Some(
        fields
            .iter()
            .zip(1..)
            .map(|(f, rank)| FieldMetadata {
                key: f.0.to_owned(),
                display_name: format!("US:\"{}\";NO:\"{}\"", f.3, f.4),
                display_description: format!("US:\"{}\"", f.3),
                field_type: f.1,
                list_name: if f.1 == FieldType::List {
                    KINDS_LIST.to_owned()
                } else {
                    String::new()
                },
                default_value: String::new(),
                max_length: f.5,
                access: f.2,
                rank,
            })
            .collect(),
    )
}

/// The fields an advanced search may restrict, per actor type.
pub fn searchable_fields(actor_type: &str) -> Option<Vec<String>> {
    let keys: &[&str] = match actor_type {
        CUSTOMER => &["name", "number", "email", "city", "country", "registration_number"],
        PERSON => &["last_name", "first_name", "email"],
        _ => return None,
    };
    Some(keys.iter().map(|k| (*k).to_owned()).collect())
}

/// Whether `key` is a field of `actor_type`, and its type.
pub fn field_type(actor_type: &str, key: &str) -> Option<FieldType> {
    fields_of(actor_type)?.iter().find(|f| f.0 == key).map(|f| f.1)
}

/// `LastModified` of a record changed at `at` (epoch when the source does not say).
pub fn last_modified(at: Option<DateTime<Utc>>) -> String {
    values::encode_datetime(at.unwrap_or(DateTime::UNIX_EPOCH))
}

/// The key SuperOffice keeps for a customer: its id in `system`, else its natural key.
pub fn customer_key(system: &str, c: &Customer) -> Option<String> {
    c.meta.refs.id(system).map(str::to_owned).or_else(|| c.number.clone().filter(|n| !n.is_empty()))
}

/// Whether `erp_key` is this customer's key (as [`customer_key`] gives it: its id in
/// `system`, else its number; never another customer's number that equals an id).
pub fn is_customer(system: &str, c: &Customer, erp_key: &str) -> bool {
    customer_key(system, c).as_deref() == Some(erp_key)
}

fn push(values: &mut Vec<(String, String)>, key: &str, value: Option<String>) {
    if let Some(v) = value.filter(|v| !v.is_empty()) {
        values.push((key.to_owned(), v));
    }
}

fn main_address(c: &Customer) -> Option<&Address> {
    c.addresses.first()
}

/// The customer as a `Customer` actor; `None` without a key.
pub fn customer_actor(system: &str, c: &Customer) -> Option<ErpActor> {
    let key = customer_key(system, c)?;
    let mut v = Vec::new();
    push(&mut v, "number", c.number.clone());
    push(&mut v, "name", c.name.clone());
    push(&mut v, "kind", Some(kind_key(c.kind).to_owned()));
    push(&mut v, "email", c.primary_email().map(str::to_owned));
    push(&mut v, "phone", c.phones.first().map(|p| p.number.clone()));
    push(&mut v, "website", c.websites.first().cloned());
    push(&mut v, "tax_number", c.tax_number.clone());
    push(&mut v, "registration_number", c.registration_number.clone());
    if let Some(a) = main_address(c) {
        push(&mut v, "street", (!a.lines.is_empty()).then(|| a.lines.join(", ")));
        push(&mut v, "postal_code", a.postal_code.clone());
        push(&mut v, "city", a.city.clone());
        push(&mut v, "country", a.country.clone());
    }
    push(&mut v, "currency", c.currency.as_ref().map(|c| c.to_string()));
    push(&mut v, "credit_limit", c.credit_limit.as_ref().map(|m| values::encode_decimal(m.amount)));
    push(
        &mut v,
        "payment_term",
        c.payment_term.as_ref().and_then(|t| t.key.clone().or(t.id.clone())),
    );
    push(&mut v, "active", Some(values::encode_bool(c.meta.lifecycle == Lifecycle::Active)));
    push(&mut v, "notes", c.notes.clone());
    Some(ErpActor {
        actor_type: CUSTOMER.to_owned(),
        erp_key: key,
        last_modified: last_modified(c.meta.updated_at.or(c.meta.created_at)),
        parent_actor_type: None,
        parent_erp_key: None,
        field_values: v,
    })
}

/// The customer's contact persons as `Person` actors, keyed `<customer key>/<n>` (its id
/// when the source gives one).
pub fn person_actors(system: &str, c: &Customer) -> Vec<ErpActor> {
    let Some(parent) = customer_key(system, c) else { return Vec::new() };
    let changed = last_modified(c.meta.updated_at.or(c.meta.created_at));
    c.contacts
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let mut v = Vec::new();
            push(&mut v, "first_name", p.first_name.clone());
            push(&mut v, "last_name", p.last_name.clone());
            push(&mut v, "email", p.emails.first().map(|e| e.address.clone()));
            push(&mut v, "phone", p.phones.first().map(|ph| ph.number.clone()));
            push(&mut v, "role", p.role.clone());
            push(&mut v, "primary", Some(values::encode_bool(p.primary)));
            let id = p.id.clone().unwrap_or_else(|| (i + 1).to_string());
            ErpActor {
                actor_type: PERSON.to_owned(),
                erp_key: format!("{parent}/{id}"),
                last_modified: changed.clone(),
                parent_actor_type: Some(CUSTOMER.to_owned()),
                parent_erp_key: Some(parent.clone()),
                field_values: v,
            }
        })
        .collect()
}

fn kind_key(kind: CustomerKind) -> &'static str {
    match kind {
        CustomerKind::Company => "company",
        CustomerKind::Person => "person",
    }
}

/// The items of the customer-kind list.
pub fn kinds() -> Vec<(String, String)> {
    vec![("company".into(), "Company".into()), ("person".into(), "Person".into())]
}

/// A field that could not be taken from an actor: which, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field key.
    pub field: String,
    /// Why.
    pub message: String,
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "field `{}`: {}", self.field, self.message)
    }
}

fn field_error(field: &str, e: impl std::fmt::Display) -> FieldError {
    FieldError { field: field.to_owned(), message: e.to_string() }
}

/// Applies a `Customer` actor's field values onto `c` (a new record, or the one the system
/// holds): each known field replaces the record's value; an unknown field is refused.
pub fn apply_customer(c: &mut Customer, actor: &ErpActor) -> Result<(), FieldError> {
    // The credit limit last: it takes the currency the same actor may set.
    let ordered = actor
        .field_values
        .iter()
        .filter(|(k, _)| k != "credit_limit")
        .chain(actor.field_values.iter().filter(|(k, _)| k == "credit_limit"));
    for (key, value) in ordered {
        let text = || (!value.trim().is_empty()).then(|| value.trim().to_owned());
        match key.as_str() {
            "number" => c.number = text(),
            "name" => c.name = text(),
            "kind" => {
                c.kind = match value.trim() {
                    "company" | "" => CustomerKind::Company,
                    "person" => CustomerKind::Person,
                    other => {
                        return Err(field_error(
                            key,
                            format!("`{other}` is not company or person"),
                        ));
                    }
                }
            }
            "email" => set_first_email(&mut c.emails, text()),
            "phone" => set_first_phone(&mut c.phones, text()),
            // The first web site is the one shown; the others stay.
            "website" => match (text(), c.websites.is_empty()) {
                (Some(w), true) => c.websites.push(w),
                (Some(w), false) => c.websites[0] = w,
                (None, false) => {
                    c.websites.remove(0);
                }
                (None, true) => {}
            },
            "tax_number" => c.tax_number = text(),
            "registration_number" => c.registration_number = text(),
            "street" | "postal_code" | "city" | "country" => {
                if c.addresses.is_empty() {
                    c.addresses.push(Address::default());
                }
                let a = &mut c.addresses[0];
                match key.as_str() {
                    // Lines are shown joined: unchanged text keeps them as they are.
                    "street" if text().as_deref() == Some(a.lines.join(", ").as_str()) => {}
                    "street" => a.lines = text().into_iter().collect(),
                    "postal_code" => a.postal_code = text(),
                    "city" => a.city = text(),
                    _ => a.country = text().map(|t| t.to_ascii_uppercase()),
                }
            }
            "currency" => {
                c.currency = match text() {
                    Some(code) => Some(Currency::new(&code).map_err(|e| field_error(key, e))?),
                    None => None,
                }
            }
            "credit_limit" => {
                c.credit_limit = match text() {
                    Some(t) => {
                        let amount = values::parse_decimal(&t)
                            .map_err(|e: ValueError| field_error(key, e))?;
                        let currency = c
                            .currency
                            .or_else(|| c.credit_limit.as_ref().map(|m| m.currency))
                            .ok_or_else(|| {
                                field_error(key, "a credit limit needs the customer's currency")
                            })?;
                        Some(Money::new(amount, currency))
                    }
                    None => None,
                }
            }
            "payment_term" => {
                c.payment_term = text().map(|k| EntityRef { key: Some(k), ..Default::default() })
            }
            "active" => {
                let active = values::parse_bool(value).map_err(|e| field_error(key, e))?;
                c.meta.lifecycle = if active { Lifecycle::Active } else { Lifecycle::Inactive };
            }
            "notes" => c.notes = text(),
            other => return Err(field_error(other, "is not a Customer field of this connector")),
        }
    }
    Ok(())
}

/// Applies a `Person` actor's field values onto a contact person.
pub fn apply_person(p: &mut ContactPerson, actor: &ErpActor) -> Result<(), FieldError> {
    for (key, value) in &actor.field_values {
        let text = || (!value.trim().is_empty()).then(|| value.trim().to_owned());
        match key.as_str() {
            "first_name" => p.first_name = text(),
            "last_name" => p.last_name = text(),
            "email" => set_first_email(&mut p.emails, text()),
            "phone" => set_first_phone(&mut p.phones, text()),
            "role" => p.role = text(),
            "primary" => p.primary = values::parse_bool(value).map_err(|e| field_error(key, e))?,
            other => return Err(field_error(other, "is not a Person field of this connector")),
        }
    }
    Ok(())
}

fn set_first_email(emails: &mut Vec<Email>, address: Option<String>) {
    match (address, emails.is_empty()) {
        (Some(a), true) => {
            emails.push(Email { address: a, kind: ContactKind::Work, primary: true })
        }
        (Some(a), false) => emails[0].address = a,
        (None, _) => {
            if !emails.is_empty() {
                emails.remove(0);
            }
        }
    }
}

fn set_first_phone(phones: &mut Vec<Phone>, number: Option<String>) {
    match (number, phones.is_empty()) {
        (Some(n), true) => phones.push(Phone { number: n, kind: ContactKind::Work }),
        (Some(n), false) => phones[0].number = n,
        (None, _) => {
            if !phones.is_empty() {
                phones.remove(0);
            }
        }
    }
}

/// Whether an actor's field value meets an advanced-search restriction (text compared
/// without case; `%` in a value is a wildcard; numbers compared exactly).
pub fn matches(actor: &ErpActor, field: &str, operator: &str, wanted: &[String]) -> bool {
    let have = actor.value(field).unwrap_or_default();
    let first = wanted.first().map(String::as_str).unwrap_or_default();
    let (h, w) = (have.to_lowercase(), first.trim_matches('%').to_lowercase());
    let number = |s: &str| values::parse_decimal(s).ok();
    let compare = |f: fn(std::cmp::Ordering) -> bool| match (number(have), number(first)) {
        (Some(a), Some(b)) => f(a.cmp(&b)),
        _ => f(h.as_str().cmp(first.to_lowercase().as_str())),
    };
    match operator {
        "=" => compare(|o| o.is_eq()),
        "isnot" | "!=" => !compare(|o| o.is_eq()),
        "begins" => h.starts_with(&w),
        "notbegins" => !h.starts_with(&w),
        "contains" => h.contains(&w),
        "notcontains" => !h.contains(&w),
        "ends" => h.ends_with(&w),
        "notends" => !h.ends_with(&w),
        ">" => compare(|o| o.is_gt()),
        "<" => compare(|o| o.is_lt()),
        ">=" => compare(|o| o.is_ge()),
        "<=" => compare(|o| o.is_le()),
        "between" => {
            let (lo, hi) = (wanted.first(), wanted.get(1));
            match (lo, hi, number(have)) {
                (Some(lo), Some(hi), Some(v)) => match (number(lo), number(hi)) {
                    (Some(l), Some(u)) => l <= v && v <= u,
                    _ => false,
                },
                (Some(lo), Some(hi), None) => lo.to_lowercase() <= h && h <= hi.to_lowercase(),
                _ => false,
            }
        }
        "IN" | "in" => wanted.iter().any(|w| w.to_lowercase() == h),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn customer() -> Customer {
        let mut c = Customer {
            number: Some("C-1".into()),
            name: Some("Bjørn & Søn AS".into()),
            currency: Some(Currency::new("NOK").unwrap()),
            credit_limit: Some(Money::new(
                rust_decimal::Decimal::new(1234567, 2),
                Currency::new("NOK").unwrap(),
            )),
            contacts: vec![ContactPerson {
                first_name: Some("Åse".into()),
                last_name: Some("Ødegård".into()),
                primary: true,
                ..Default::default()
            }],
            ..Default::default()
        };
        c.meta.refs.set("xero", "id-1");
        c
    }

    #[test]
    fn a_customer_and_its_people_become_actors_and_come_back_exactly() {
        let c = customer();
        let actor = customer_actor("xero", &c).unwrap();
        assert_eq!(actor.erp_key, "id-1");
        assert_eq!(actor.value("credit_limit"), Some("[F:12345.67]"));
        assert_eq!(actor.value("active"), Some("[I:1]"));
        assert_eq!(actor.last_modified, "[DT:01/01/1970 00:00:00.0000000]");
        let mut back = Customer::default();
        apply_customer(&mut back, &actor).unwrap();
        assert_eq!((back.name, back.credit_limit), (c.name.clone(), c.credit_limit));
        let people = person_actors("xero", &c);
        assert_eq!(people[0].erp_key, "id-1/1");
        assert_eq!(people[0].parent_erp_key.as_deref(), Some("id-1"));
        assert_eq!(people[0].value("last_name"), Some("Ødegård"));
        for f in field_metadata(CUSTOMER).unwrap() {
            assert!(field_type(CUSTOMER, &f.key).is_some());
        }
    }

    #[test]
    fn a_bad_value_names_its_field() {
        let mut actor = customer_actor("xero", &customer()).unwrap();
        actor.field_values.push(("credit_limit".into(), "[F:lots]".into()));
        let err = apply_customer(&mut Customer::default(), &actor).unwrap_err();
        assert_eq!(err.field, "credit_limit");
        actor.field_values = vec![("colour".into(), "red".into())];
        assert_eq!(apply_customer(&mut Customer::default(), &actor).unwrap_err().field, "colour");
    }

    #[test]
    fn restrictions_follow_superoffice_operators() {
        let actor = customer_actor("xero", &customer()).unwrap();
        let w = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert!(matches(&actor, "name", "begins", &w(&["bjØrn"])));
        assert!(matches(&actor, "name", "contains", &w(&["%søn%"])));
        assert!(!matches(&actor, "name", "notcontains", &w(&["Søn"])));
        assert!(matches(&actor, "credit_limit", ">", &w(&["[F:12345.66]"])));
        assert!(matches(&actor, "credit_limit", "between", &w(&["12000", "13000"])));
        assert!(matches(&actor, "number", "IN", &w(&["C-2", "c-1"])));
    }
}
