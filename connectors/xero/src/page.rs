//! One page of a Xero listing: the body as fetched and where each record's JSON sits in it.
//! The source decodes the records one at a time as its stream is read, so a page of 1,000
//! invoices costs its body in memory, not the body and 1,000 decoded records beside it.

use std::collections::HashMap;
use std::ops::Range;

use serde::Deserialize;
use serde_json::value::RawValue;

/// The collections a list answer may carry, each a list of records left unparsed: one scan
/// of the body finds every record's place. When it does not fit, the answer is read again
/// for its shape, to tell a body that is not JSON from a collection that is not a list.
#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow, rename = "Contacts", default)]
    contacts: Option<Vec<&'a RawValue>>,
    #[serde(borrow, rename = "Items", default)]
    items: Option<Vec<&'a RawValue>>,
    #[serde(borrow, rename = "Invoices", default)]
    invoices: Option<Vec<&'a RawValue>>,
    #[serde(borrow, rename = "Quotes", default)]
    quotes: Option<Vec<&'a RawValue>>,
}

/// Why a body is not a page.
#[derive(Debug)]
pub(crate) enum PageError {
    /// The body is not a JSON object.
    NotJson(serde_json::Error),
    /// The collection is there but not a list.
    NotAList,
}

/// A fetched page and the records not yet read from it.
#[derive(Debug, Default)]
pub(crate) struct Page {
    body: Vec<u8>,
    rows: Vec<Range<usize>>,
    next: usize,
}

impl Page {
    /// Finds the records of `collection` (`Invoices`, …) in a list answer. A missing or
    /// `null` collection is an empty page.
    pub fn parse(body: Vec<u8>, collection: &str) -> Result<Self, PageError> {
        let rows = {
            let env: Envelope<'_> = match serde_json::from_slice(&body) {
                Ok(env) => env,
                Err(e) => {
                    // The rare path: read the answer again only for its shape.
                    let shape = serde_json::from_slice::<HashMap<&str, &RawValue>>(&body);
                    return Err(match shape {
                        Ok(fields) if fields.contains_key(collection) => PageError::NotAList,
                        _ => PageError::NotJson(e),
                    });
                }
            };
            let list = match collection {
                "Contacts" => env.contacts,
                "Items" => env.items,
                "Invoices" => env.invoices,
                "Quotes" => env.quotes,
                _ => None,
            };
            // Each record's text lies inside `body`: keep its place, not a copy.
            let base = body.as_ptr() as usize;
            list.unwrap_or_default()
                .iter()
                .map(|r| {
                    let start = r.get().as_ptr() as usize - base;
                    start..start + r.get().len()
                })
                .collect()
        };
        Ok(Self { body, rows, next: 0 })
    }

    /// How many records the page holds.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// The next record's JSON text, if any is left.
    pub fn next_row(&mut self) -> Option<&[u8]> {
        let range = self.rows.get(self.next)?.clone();
        self.next += 1;
        Some(&self.body[range])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_found_in_place_and_read_in_order() {
        let body = br#"{"Id":"x","Status":"OK","Invoices":[{"InvoiceID":"a"}, {"InvoiceID":"b","N":[1,{"k":"]"}]}]}"#;
        let mut page = Page::parse(body.to_vec(), "Invoices").unwrap();
        assert_eq!(page.len(), 2);
        assert_eq!(page.next_row(), Some(&br#"{"InvoiceID":"a"}"#[..]));
        assert_eq!(page.next_row(), Some(&br#"{"InvoiceID":"b","N":[1,{"k":"]"}]}"#[..]));
        assert_eq!(page.next_row(), None);
    }

    #[test]
    fn missing_or_null_collection_is_empty_and_others_are_refused() {
        assert_eq!(Page::parse(br#"{"Invoices":null}"#.to_vec(), "Invoices").unwrap().len(), 0);
        assert_eq!(Page::parse(br#"{"Items":[{}]}"#.to_vec(), "Invoices").unwrap().len(), 0);
        assert!(matches!(
            Page::parse(br#"{"Invoices":{"a":1}}"#.to_vec(), "Invoices"),
            Err(PageError::NotAList)
        ));
        assert!(matches!(
            Page::parse(b"<html>busy</html>".to_vec(), "Invoices"),
            Err(PageError::NotJson(_))
        ));
    }
}
