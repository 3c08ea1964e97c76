//! Debtors into AccountView (`AR1`, table CONTACT) through `POST accountviewdata`'s columnar
//! payload. A company customer is a company debtor with its first contact person as main
//! contact (`MAIN_CONT`, `MC_MAILB`); a private customer is a person debtor named after the
//! person. Customers are found by e-mail (`MAIL_BUS`) or debtor number (`SUB_NR`).

use async_trait::async_trait;
use connector_core::model::{Customer, CustomerKind};
use connector_core::sink::{
    Found, LookupKey, Outcome, SinkCapabilities, WriteAction, WriteOutcome, WriteRequest,
};
use connector_core::{EntityKind, Error, Result, Sink};
use serde_json::{Value, json};

use crate::client::{AccountViewClient, NAME, rows_of};

/// The columns a debtor is written with, their FoxPro type and length (CONTACT's data
/// dictionary).
pub(crate) const COLUMNS: &[(&str, usize)] = &[
    ("SUB_NR", 10),
    ("SRC_CODE", 10),
    ("ACCT_NAME", 40),
    ("MAIL_BUS", 50),
    ("TEL_BUS", 20),
    ("ADDRESS1", 80),
    ("POST_CODE", 10),
    ("CITY", 35),
    ("CNT_CODE", 2),
    ("CUR_CODE", 3),
    ("VAT_NR", 14),
    ("COC_CODE", 15),
    ("MAIN_CONT", 40),
    ("MC_MAILB", 50),
];

/// Writes debtors, and orders (article pages, through the order business object).
#[derive(Debug, Clone)]
pub struct AccountViewSink {
    pub(crate) client: AccountViewClient,
    /// Article codes found to exist, so an order's lines are looked up once per run.
    pub(crate) known_articles: std::sync::Arc<std::sync::Mutex<std::collections::HashSet<String>>>,
}

impl AccountViewSink {
    /// A sink over `client`.
    pub fn new(client: AccountViewClient) -> Self {
        Self { client, known_articles: Default::default() }
    }

    /// The debtor `number` if AccountView has it: its e-mail and name.
    async fn existing(&self, number: &str) -> Result<Option<(String, String)>> {
        let Some(filter) = equals_filter("contact.sub_nr", number) else { return Ok(None) };
        let fields = "contact.sub_nr,contact.mail_bus,contact.acct_name".to_owned();
        let mut pages = self.client.pages("AR1", "CONTACT", "SUB_NR", fields, Some(filter));
        let first =
            futures_util::StreamExt::next(&mut pages).await.transpose()?.unwrap_or_default();
        Ok(first.into_iter().next().map(|row| {
            let text = |c: &str| row.get(c).and_then(Value::as_str).unwrap_or_default().to_owned();
            (text("MAIL_BUS"), text("ACCT_NAME"))
        }))
    }
}

/// A search code from a name: its letters and digits, upper case, at most 10.
pub fn search_code(name: &str) -> String {
    name.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_uppercase).take(10).collect()
}

/// The debtor row of `c` with number `number`: the columns that have a value and their
/// values (so an update leaves the debtor's other columns alone; the search code is set on
/// create only), or the column and why it cannot be written.
pub fn debtor_row(
    c: &Customer,
    number: &str,
    create: bool,
) -> std::result::Result<Vec<(&'static str, Value)>, (String, String)> {
    let person_name = || {
        let full = [c.first_name.as_deref(), c.last_name.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        (!full.trim().is_empty()).then_some(full)
    };
    let name = match c.kind {
        CustomerKind::Company => c.name.clone(),
        CustomerKind::Person => person_name().or_else(|| c.name.clone()),
    }
    .filter(|n| !n.trim().is_empty())
    .ok_or_else(|| ("ACCT_NAME".to_owned(), "a debtor needs a name".to_owned()))?;
    let contact = (c.kind == CustomerKind::Company)
        .then(|| c.contacts.iter().find(|p| p.primary).or(c.contacts.first()))
        .flatten();
    let address = c.addresses.first();
    let values: Vec<Option<String>> = vec![
        Some(number.to_owned()),
        create.then(|| search_code(&name)),
        Some(name),
        c.primary_email().map(str::to_owned),
        c.phones.first().map(|p| p.number.clone()),
        address.map(|a| a.lines.join(", ")).filter(|l| !l.is_empty()),
        address.and_then(|a| a.postal_code.clone()),
        address.and_then(|a| a.city.clone()),
        address.and_then(|a| a.country.clone()).map(|c| c.to_ascii_uppercase()),
        c.currency.map(|cur| cur.to_string()),
        c.tax_number.clone(),
        c.registration_number.clone(),
        contact.map(|p| p.full_name()).filter(|n| !n.trim().is_empty()),
        contact.and_then(|p| p.emails.first().map(|e| e.address.clone())),
    ];
    COLUMNS
        .iter()
        .zip(values)
        .filter_map(|((col, len), v)| v.filter(|v| !v.trim().is_empty()).map(|v| (*col, *len, v)))
        .map(|(col, len, v)| {
            if v.chars().count() > len {
                Err((
                    col.to_owned(),
                    format!("`{v}` is longer than AccountView's {len} characters"),
                ))
            } else {
                Ok((col, Value::from(v)))
            }
        })
        .collect()
}

/// A filter on `column` (`contact.sub_nr`) equal to `value` (trimmed, without case), in a VFP string literal
/// whose delimiter the value does not contain (VFP has no escapes); `None` when it holds
/// every delimiter.
pub fn equals_filter(column: &str, value: &str) -> Option<String> {
    let v = value.trim().to_lowercase();
    let (open, close) = [('"', '"'), ('\'', '\''), ('[', ']')]
        .into_iter()
        .find(|(o, c)| !v.contains(*o) && !v.contains(*c))?;
    Some(format!("ALLTRIM(LOWER({column})) == {open}{v}{close}"))
}

#[async_trait]
impl Sink<Customer> for AccountViewSink {
    fn name(&self) -> &str {
        NAME
    }
    fn capabilities(&self) -> SinkCapabilities {
        SinkCapabilities::new(EntityKind::Customer)
            .max_batch(20)
            .can_find(true)
            .natural_key("email")
    }
    async fn check(&self) -> Result<()> {
        self.client.check().await
    }
    async fn find(&self, key: &LookupKey) -> Result<Option<Found<Customer>>> {
        let column = match key.field.as_str() {
            "email" => "mail_bus",
            "number" | "key" => "sub_nr",
            _ => return Ok(None),
        };
        let Some(filter) = equals_filter(&format!("contact.{column}"), &key.value) else {
            return Ok(None);
        };
        let mut pages = self.client.pages(
            "AR1",
            "CONTACT",
            "SUB_NR",
            "contact.sub_nr,contact.mail_bus".into(),
            Some(filter),
        );
        let first =
            futures_util::StreamExt::next(&mut pages).await.transpose()?.unwrap_or_default();
        Ok(first.into_iter().next().and_then(|row| {
            let id = row.get("SUB_NR")?.as_str()?.trim().to_owned();
            let matched = row.get(&column.to_ascii_uppercase())?.as_str()?.trim().to_owned();
            Some(Found::new(id, matched))
        }))
    }
    async fn write(&self, batch: Vec<WriteRequest<Customer>>) -> Result<Vec<WriteOutcome>> {
        let mut out = Vec::with_capacity(batch.len());
        for r in batch {
            let WriteAction::Upsert(c) = &r.action else {
                out.push(WriteOutcome::new(
                    r.key,
                    Outcome::Skipped {
                        reason: "debtors are blocked in AccountView, not here".into(),
                        target_id: r.target_id,
                    },
                ));
                continue;
            };
            let number = r
                .target_id
                .clone()
                .or_else(|| c.number.clone())
                .map(|n| n.trim().to_owned())
                .filter(|n| !n.is_empty());
            let Some(number) = number else {
                let error = Error::invalid_field("number", "a new debtor needs a number (SUB_NR)")
                    .with_connector(NAME)
                    .with_record(r.key.clone());
                out.push(WriteOutcome::new(r.key, Outcome::Failed { error }));
                continue;
            };
            let create = r.target_id.is_none();
            let row = match debtor_row(c, &number, create) {
                Ok(row) => row,
                Err((field, message)) => {
                    let error = Error::invalid_field(field, message)
                        .with_connector(NAME)
                        .with_record(r.key.clone());
                    out.push(WriteOutcome::new(r.key, Outcome::Failed { error }));
                    continue;
                }
            };
            // A create must not overwrite another debtor with the same number: one that is
            // there already is taken only when it is this customer (its e-mail or name), as
            // after a retried create whose answer was lost.
            if create {
                match self.existing(&number).await {
                    Ok(Some((mail, name))) => {
                        let same = |a: &str, b: Option<&str>| {
                            b.is_some_and(|b| a.trim().eq_ignore_ascii_case(b.trim()))
                        };
                        if !(same(&mail, c.primary_email()) || same(&name, c.name.as_deref())) {
                            let error = Error::new(
                                connector_core::ErrorKind::Conflict,
                                format!(
                                    "debtor number {number} belongs to another debtor ({name})"
                                ),
                            )
                            .with_connector(NAME)
                            .with_record(r.key.clone());
                            out.push(WriteOutcome::new(r.key, Outcome::Failed { error }));
                            continue;
                        }
                    }
                    Ok(None) => {}
                    Err(e) => {
                        out.push(WriteOutcome::new(
                            r.key.clone(),
                            Outcome::Failed { error: e.with_record(r.key) },
                        ));
                        continue;
                    }
                }
            }
            let fields: Vec<Value> =
                row.iter().map(|(name, _)| json!({"Name": name, "FieldType": "C"})).collect();
            let values: Vec<Value> = row.into_iter().map(|(_, v)| v).collect();
            let body = json!({
                "BookDate": self.client.config().timezone.to_local(chrono::Utc::now()).format("%Y-%m-%dT%H:%M:%S").to_string(),
                "BusinessObject": "AR1",
                "Table": {"Definition": {"Name": "CONTACT", "Fields": fields}, "DetailDefinitions": []},
                "TableData": {"Data": {"Rows": [{"Values": values}]}, "DetailData": []},
            });
            let http = self.client.http().await?;
            let sent: Result<Value> = http
                .post("accountviewdata")
                .json(&body)
                .operation("POST accountviewdata AR1")
                .send_json()
                .await;
            let outcome = match sent.and_then(|answer| rows_of(answer, "CONTACT").map(|_| ())) {
                Ok(()) if !create => Outcome::Updated { target_id: number },
                Ok(()) => Outcome::Created { target_id: number },
                Err(e) => Outcome::Failed { error: e.with_record(r.key.clone()) },
            };
            out.push(WriteOutcome::new(r.key, outcome));
        }
        Ok(out)
    }
}
