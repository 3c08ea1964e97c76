//! Customers (debtors, accounts) and their contact persons.

use serde::{Deserialize, Serialize};

use super::{Address, Email, EntityRef, Meta, Money, Phone};

/// Whether a customer is a company or a private person.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CustomerKind {
    /// A company (account) with contact persons.
    #[default]
    Company,
    /// A private person.
    Person,
}

/// A person at a company customer.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ContactPerson {
    /// The system's id of the person, once known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// First name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// Last name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// Job title or role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// E-mail addresses.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub emails: Vec<Email>,
    /// Phone numbers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub phones: Vec<Phone>,
    /// Whether this is the customer's main contact.
    #[serde(default)]
    pub primary: bool,
}

impl ContactPerson {
    /// First and last name joined by a space.
    pub fn full_name(&self) -> String {
        [self.first_name.as_deref(), self.last_name.as_deref()]
            .into_iter()
            .flatten()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// A bank account.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BankAccount {
    /// IBAN, without spaces.
    pub iban: String,
    /// BIC / SWIFT code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bic: Option<String>,
}

/// A customer: a company or a person who buys.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Customer {
    /// The customer number or code (debtor number); the usual natural key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    /// Company or person.
    #[serde(default)]
    pub kind: CustomerKind,
    /// The display name (company name, or the person's full name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A person's first name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// A person's last name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// Contact persons of a company.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contacts: Vec<ContactPerson>,
    /// E-mail addresses.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub emails: Vec<Email>,
    /// Phone numbers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub phones: Vec<Phone>,
    /// Web sites.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub websites: Vec<String>,
    /// Addresses.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub addresses: Vec<Address>,
    /// VAT number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_number: Option<String>,
    /// Company registration number (KvK, Y-tunnus, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration_number: Option<String>,
    /// Default currency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<super::Currency>,
    /// Payment term (by code).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_term: Option<EntityRef>,
    /// Price list (by code).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_list: Option<EntityRef>,
    /// The sales rep or owner (by user code).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sales_rep: Option<EntityRef>,
    /// Credit limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credit_limit: Option<Money>,
    /// Language (ISO 639-1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// E-invoice address (OVT, Peppol id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub e_invoice_address: Option<String>,
    /// Bank accounts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bank_accounts: Vec<BankAccount>,
    /// Free notes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// Identities, lifecycle, custom fields, raw JSON.
    #[serde(default)]
    pub meta: Meta,
}

impl Customer {
    /// The primary e-mail address, else the first one.
    pub fn primary_email(&self) -> Option<&str> {
        self.emails
            .iter()
            .find(|e| e.primary)
            .or_else(|| self.emails.first())
            .map(|e| e.address.as_str())
    }

    /// The first address of a kind.
    pub fn address(&self, kind: super::AddressKind) -> Option<&super::Address> {
        self.addresses.iter().find(|a| a.kind == kind)
    }
}
