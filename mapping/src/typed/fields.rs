//! The fields of [`Customer`] the typed lane reads and writes, resolved from a path once when
//! the plan is built. Each behaves as its path does on the record's JSON, followed by
//! deserialising the result: a missing parent reads as nothing, a write creates what the JSON
//! write creates, and a write the model cannot hold (removing a required field, text in a
//! Money field) is reported as not fitting, as deserialising would report it.

use std::borrow::Cow;

use connector_core::model::{Address, CustomField, CustomValue, Customer, Email, EntityRef, Phone};
use serde_json::Value;

use crate::path::Seg;
use crate::value::V;

/// Defines an enum of a struct's `Option<...>` fields by their serde names, with accessors.
macro_rules! fields {
    ($(#[$doc:meta])* $name:ident: $owner:ty => $ty:ty { $($var:ident => $field:ident),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub(crate) enum $name { $($var),* }

        impl $name {
            fn parse(key: &str) -> Option<Self> {
                match key {
                    $(stringify!($field) => Some(Self::$var),)*
                    _ => None,
                }
            }

            fn key(self) -> &'static str {
                match self { $(Self::$var => stringify!($field)),* }
            }

            fn get(self, owner: &$owner) -> &Option<$ty> {
                match self { $(Self::$var => &owner.$field),* }
            }

            fn get_mut(self, owner: &mut $owner) -> &mut Option<$ty> {
                match self { $(Self::$var => &mut owner.$field),* }
            }
        }
    };
}

fields!(
    /// An optional text field of the customer itself.
    TopText: Customer => String {
        Number => number, Name => name, FirstName => first_name, LastName => last_name,
        TaxNumber => tax_number, RegistrationNumber => registration_number,
        Language => language, EInvoiceAddress => e_invoice_address, Notes => notes,
    }
);

fields!(
    /// An optional text field of an address.
    AddressText: Address => String {
        StreetNumber => street_number, PostalCode => postal_code, City => city,
        Region => region, Country => country, Attention => attention,
    }
);

fields!(
    /// A reference of the customer to another record.
    RefField: Customer => EntityRef {
        PaymentTerm => payment_term, PriceList => price_list, SalesRep => sales_rep,
    }
);

fields!(
    /// An optional text field of a reference.
    RefText: EntityRef => String { Id => id, Key => key, Name => name }
);

/// A field of a customer record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Leaf {
    /// `name`, `tax_number`, ...
    Top(TopText),
    /// `emails[i].address`
    Email(usize),
    /// `phones[i].number`
    Phone(usize),
    /// `addresses[i].lines[j]`
    Line(usize, usize),
    /// `addresses[i].city`, ...
    Address(usize, AddressText),
    /// `sales_rep.key`, ...
    Ref(RefField, RefText),
    /// `credit_limit`
    CreditLimit,
    /// `meta.custom.<key>`
    Custom(Box<str>),
    /// `meta.custom.<key>.value.value`: the value inside a custom field (read only).
    CustomValue(Box<str>),
}

/// What a rule puts into its field.
pub(crate) enum Put {
    /// Nothing (the rule failed).
    Nothing,
    /// Remove the field (never overwrite with empty).
    Remove,
    /// This text.
    Text(String),
    /// This custom field, built when the plan was.
    Custom(CustomField),
    /// This JSON, as the JSON path would write it.
    Json(Value),
}

/// A text field, for a rule that changes its text where it is.
pub(crate) enum TextSlot<'c> {
    /// The field's text.
    Text(&'c mut String),
    /// The field is not there.
    Absent,
    /// Not text, or a line that is not its list's last (which must not be moved out: see
    /// [`Leaf::take`]): the rule takes the general way.
    Elsewhere,
}

/// Why a written record no longer fits the model.
pub(crate) type Unfit = String;

fn text(s: Option<&str>) -> V<'_> {
    s.map_or(V::Absent, |s| V::Text(Cow::Borrowed(s)))
}

fn owned(s: Option<String>) -> V<'static> {
    s.map_or(V::Absent, |s| V::Text(Cow::Owned(s)))
}

/// A value as its JSON form (Money, custom fields: not text, so rarely worth a fast path).
fn json<T: serde::Serialize>(v: Option<&T>) -> V<'static> {
    match v.map(serde_json::to_value) {
        Some(Ok(j)) => V::from_owned(j),
        _ => V::Absent,
    }
}

impl Leaf {
    /// The field a path names, if the typed lane knows it.
    pub(crate) fn parse(segs: &[Seg]) -> Option<Leaf> {
        use Seg::{Index as I, Key as K};
        Some(match segs {
            [K(k)] if &**k == "credit_limit" => Leaf::CreditLimit,
            [K(k)] => Leaf::Top(TopText::parse(k)?),
            [K(l), I(i), K(f)] if &**l == "emails" && &**f == "address" => Leaf::Email(*i),
            [K(l), I(i), K(f)] if &**l == "phones" && &**f == "number" => Leaf::Phone(*i),
            [K(l), I(i), K(f), I(j)] if &**l == "addresses" && &**f == "lines" => {
                Leaf::Line(*i, *j)
            }
            [K(l), I(i), K(f)] if &**l == "addresses" => Leaf::Address(*i, AddressText::parse(f)?),
            [K(r), K(f)] => Leaf::Ref(RefField::parse(r)?, RefText::parse(f)?),
            [K(m), K(c), K(k)] if &**m == "meta" && &**c == "custom" => Leaf::Custom(k.clone()),
            [K(m), K(c), K(k), K(v), K(w)]
                if &**m == "meta" && &**c == "custom" && &**v == "value" && &**w == "value" =>
            {
                Leaf::CustomValue(k.clone())
            }
            _ => return None,
        })
    }

    /// The field's value, as reading its path from the record's JSON gives it.
    pub(crate) fn read<'c>(&self, c: &'c Customer) -> V<'c> {
        match self {
            Leaf::Top(f) => text(f.get(c).as_deref()),
            Leaf::Email(i) => text(c.emails.get(*i).map(|e| e.address.as_str())),
            Leaf::Phone(i) => text(c.phones.get(*i).map(|p| p.number.as_str())),
            Leaf::Line(i, j) => {
                text(c.addresses.get(*i).and_then(|a| a.lines.get(*j)).map(|l| &**l))
            }
            Leaf::Address(i, f) => text(c.addresses.get(*i).and_then(|a| f.get(a).as_deref())),
            Leaf::Ref(r, f) => text(r.get(c).as_ref().and_then(|e| f.get(e).as_deref())),
            Leaf::CreditLimit => json(c.credit_limit.as_ref()),
            Leaf::Custom(k) => json(c.meta.custom.get(&**k)),
            Leaf::CustomValue(k) => match c.meta.custom.get(&**k).map(|f| &f.value) {
                None => V::Absent,
                Some(CustomValue::Text(s) | CustomValue::Choice(s)) => text(Some(s)),
                Some(other) => match serde_json::to_value(other) {
                    Ok(Value::Object(mut m)) => {
                        V::from_owned(m.remove("value").unwrap_or_default())
                    }
                    _ => V::Absent,
                },
            },
        }
    }

    /// The field's own text, to be changed where it is.
    pub(crate) fn text_slot<'c>(&self, c: &'c mut Customer) -> TextSlot<'c> {
        let found = match self {
            Leaf::Top(f) => f.get_mut(c).as_mut(),
            Leaf::Email(i) => c.emails.get_mut(*i).map(|e| &mut e.address),
            Leaf::Phone(i) => c.phones.get_mut(*i).map(|p| &mut p.number),
            Leaf::Line(i, j) => match c.addresses.get_mut(*i).map(|a| &mut a.lines) {
                Some(lines) if j + 1 < lines.len() => return TextSlot::Elsewhere,
                Some(lines) => lines.get_mut(*j),
                None => None,
            },
            Leaf::Address(i, f) => c.addresses.get_mut(*i).and_then(|a| f.get_mut(a).as_mut()),
            Leaf::Ref(r, f) => r.get_mut(c).as_mut().and_then(|e| f.get_mut(e).as_mut()),
            Leaf::CreditLimit | Leaf::Custom(_) | Leaf::CustomValue(_) => {
                return TextSlot::Elsewhere;
            }
        };
        found.map_or(TextSlot::Absent, TextSlot::Text)
    }

    /// Whether the field holds text.
    pub(crate) fn is_text(&self) -> bool {
        !matches!(self, Leaf::CreditLimit | Leaf::Custom(_) | Leaf::CustomValue(_))
    }

    /// The field's value for a rule that reads nothing else and will write it back: text is
    /// moved out, so its transforms can change it in place. A line that is not its list's
    /// last is copied instead: it cannot be removed, so emptying it leaves it as it was.
    pub(crate) fn take(&self, c: &mut Customer) -> V<'static> {
        match self {
            Leaf::Top(f) => owned(f.get_mut(c).take()),
            Leaf::Email(i) => owned(c.emails.get_mut(*i).map(|e| std::mem::take(&mut e.address))),
            Leaf::Phone(i) => owned(c.phones.get_mut(*i).map(|p| std::mem::take(&mut p.number))),
            Leaf::Line(i, j) => {
                let Some(lines) = c.addresses.get_mut(*i).map(|a| &mut a.lines) else {
                    return V::Absent;
                };
                if j + 1 == lines.len() {
                    owned(lines.get_mut(*j).map(std::mem::take))
                } else {
                    owned(lines.get(*j).cloned())
                }
            }
            Leaf::Address(i, f) => owned(c.addresses.get_mut(*i).and_then(|a| f.get_mut(a).take())),
            Leaf::Ref(r, f) => owned(r.get_mut(c).as_mut().and_then(|e| f.get_mut(e).take())),
            Leaf::CreditLimit | Leaf::Custom(_) | Leaf::CustomValue(_) => match self.read(c) {
                V::Json(j) => V::Json(Cow::Owned(j.into_owned())),
                V::Text(t) => V::Text(Cow::Owned(t.into_owned())),
                V::Bool(b) => V::Bool(b),
                _ => V::Absent,
            },
        }
    }

    /// Writes the rule's result, as writing at the path in the JSON and deserialising would.
    pub(crate) fn write(&self, c: &mut Customer, put: Put) -> Result<(), Unfit> {
        let put = match put {
            Put::Nothing => return Ok(()),
            Put::Json(Value::String(s)) => Put::Text(s),
            other => other,
        };
        match (self, put) {
            (_, Put::Nothing) => Ok(()),
            (Leaf::CreditLimit, Put::Remove) => {
                c.credit_limit = None;
                Ok(())
            }
            (Leaf::CreditLimit, Put::Json(j)) => {
                c.credit_limit = serde_json::from_value(j).map_err(|e| self.unfit(e))?;
                Ok(())
            }
            (Leaf::Custom(k), Put::Remove) => {
                c.meta.custom.remove(&**k);
                Ok(())
            }
            (Leaf::Custom(k), Put::Custom(field)) => {
                c.meta.custom.insert(k.to_string(), field);
                Ok(())
            }
            (Leaf::Custom(k), Put::Json(j)) => {
                let field = serde_json::from_value(j).map_err(|e| self.unfit(e))?;
                c.meta.custom.insert(k.to_string(), field);
                Ok(())
            }
            (Leaf::CreditLimit | Leaf::Custom(_), Put::Text(_)) => {
                Err(self.unfit("expected an object, got text"))
            }
            (Leaf::CreditLimit, Put::Custom(_)) => {
                Err(self.unfit("expected Money, got a custom field"))
            }
            (_, Put::Remove) => self.remove_text(c),
            (_, Put::Text(s)) => self.set_text(c, Some(s)),
            (_, Put::Json(Value::Null)) => self.set_text(c, None),
            (_, Put::Json(_) | Put::Custom(_)) => Err(self.unfit("expected text")),
        }
    }

    /// Removes a text field; a line only when it is its list's last (as the JSON path does).
    fn remove_text(&self, c: &mut Customer) -> Result<(), Unfit> {
        match self {
            Leaf::Top(f) => *f.get_mut(c) = None,
            Leaf::Email(i) if *i < c.emails.len() => return Err(self.unfit("missing field")),
            Leaf::Phone(i) if *i < c.phones.len() => return Err(self.unfit("missing field")),
            Leaf::Line(i, j) => {
                if let Some(lines) = c.addresses.get_mut(*i).map(|a| &mut a.lines) {
                    if j + 1 == lines.len() {
                        lines.pop();
                    }
                }
            }
            Leaf::Address(i, f) => {
                if let Some(a) = c.addresses.get_mut(*i) {
                    *f.get_mut(a) = None;
                }
            }
            Leaf::Ref(r, f) => {
                if let Some(e) = r.get_mut(c) {
                    *f.get_mut(e) = None;
                }
            }
            Leaf::Email(_)
            | Leaf::Phone(_)
            | Leaf::CreditLimit
            | Leaf::Custom(_)
            | Leaf::CustomValue(_) => {}
        }
        Ok(())
    }

    /// Sets a text field (`None`: JSON null), creating what the JSON write creates: a missing
    /// reference, addresses and lines up to the index (blank), or the next e-mail address or
    /// phone number.
    fn set_text(&self, c: &mut Customer, s: Option<String>) -> Result<(), Unfit> {
        match self {
            Leaf::Top(f) => *f.get_mut(c) = s,
            Leaf::Address(i, f) => *f.get_mut(address(c, *i)) = s,
            Leaf::Ref(r, f) => *f.get_mut(r.get_mut(c).get_or_insert_with(EntityRef::default)) = s,
            Leaf::Line(i, j) => {
                let s = s.ok_or_else(|| self.unfit("expected text, got null"))?;
                let lines = &mut address(c, *i).lines;
                if lines.len() <= *j {
                    lines.resize(j + 1, String::new());
                }
                lines[*j] = s;
            }
            Leaf::Email(i) => {
                let s = s.ok_or_else(|| self.unfit("expected text, got null"))?;
                let n = c.emails.len();
                match c.emails.get_mut(*i) {
                    Some(e) => e.address = s,
                    None if *i == n => c.emails.push(Email {
                        address: s,
                        kind: Default::default(),
                        primary: false,
                    }),
                    None => return Err(self.unfit("an e-mail address before it is missing")),
                }
            }
            Leaf::Phone(i) => {
                let s = s.ok_or_else(|| self.unfit("expected text, got null"))?;
                let n = c.phones.len();
                match c.phones.get_mut(*i) {
                    Some(p) => p.number = s,
                    None if *i == n => c.phones.push(Phone { number: s, kind: Default::default() }),
                    None => return Err(self.unfit("a phone number before it is missing")),
                }
            }
            Leaf::CreditLimit | Leaf::Custom(_) | Leaf::CustomValue(_) => {
                return Err(self.unfit("expected an object"));
            }
        }
        Ok(())
    }

    fn unfit(&self, why: impl std::fmt::Display) -> Unfit {
        format!("`{}`: {why}", self.name())
    }

    /// The field's path.
    pub(crate) fn name(&self) -> String {
        match self {
            Leaf::Top(f) => f.key().to_string(),
            Leaf::Email(i) => format!("emails[{i}].address"),
            Leaf::Phone(i) => format!("phones[{i}].number"),
            Leaf::Line(i, j) => format!("addresses[{i}].lines[{j}]"),
            Leaf::Address(i, f) => format!("addresses[{i}].{}", f.key()),
            Leaf::Ref(r, f) => format!("{}.{}", r.key(), f.key()),
            Leaf::CreditLimit => "credit_limit".into(),
            Leaf::Custom(k) => format!("meta.custom.{k}"),
            Leaf::CustomValue(k) => format!("meta.custom.{k}.value.value"),
        }
    }
}

/// The address at `i`, with blank addresses added up to it (as the JSON write adds `{}`).
fn address(c: &mut Customer, i: usize) -> &mut Address {
    if c.addresses.len() <= i {
        c.addresses.resize_with(i + 1, Address::default);
    }
    &mut c.addresses[i]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::path::Path;

    #[test]
    fn paths_name_their_fields() {
        let leaf = |p: &str| Leaf::parse(&Path::parse(p).unwrap().segs);
        assert_eq!(leaf("meta.custom.segment"), Some(Leaf::Custom("segment".into())));
        assert_eq!(leaf("meta.custom.rep.value.value"), Some(Leaf::CustomValue("rep".into())));
        assert_eq!(leaf("addresses[1].lines[2]"), Some(Leaf::Line(1, 2)));
        assert_eq!(leaf("sales_rep.key"), Some(Leaf::Ref(RefField::SalesRep, RefText::Key)));
        assert_eq!(leaf("addresses[0].city"), Some(Leaf::Address(0, AddressText::City)));
        assert_eq!(leaf("tax_number"), Some(Leaf::Top(TopText::TaxNumber)));
        for unknown in ["meta.raw.Street", "kind", "emails[0].kind", "addresses[0].lines", "x.key"]
        {
            assert_eq!(leaf(unknown), None, "{unknown}");
        }
    }
}
