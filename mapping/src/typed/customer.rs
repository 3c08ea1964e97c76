//! The fields of [`Customer`] the typed lane knows.

use connector_core::model::{Address, Customer, Email, EntityRef, Meta, Money, Phone};

use super::fields::{
    Fields, MetaField, Place, RefText, TextSlot, Unfit, fields, json, owned, set_ref_text, text,
};
use crate::path::Seg;
use crate::value::V;

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

/// A field of a customer record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CustomerField {
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
    /// `meta.custom...`
    Meta(MetaField),
}

use CustomerField as F;

impl Fields for CustomerField {
    type Record = Customer;

    fn parse(segs: &[Seg]) -> Option<Self> {
        use Seg::{Index as I, Key as K};
        Some(match segs {
            [K(k)] if &**k == "credit_limit" => F::CreditLimit,
            [K(k)] => F::Top(TopText::parse(k)?),
            [K(l), I(i), K(f)] if &**l == "emails" && &**f == "address" => F::Email(*i),
            [K(l), I(i), K(f)] if &**l == "phones" && &**f == "number" => F::Phone(*i),
            [K(l), I(i), K(f), I(j)] if &**l == "addresses" && &**f == "lines" => F::Line(*i, *j),
            [K(l), I(i), K(f)] if &**l == "addresses" => F::Address(*i, AddressText::parse(f)?),
            [K(r), K(f)] => F::Ref(RefField::parse(r)?, RefText::parse(f)?),
            _ => F::Meta(MetaField::parse(segs)?),
        })
    }

    fn place(&self) -> Place<'_> {
        match self {
            F::CreditLimit => Place::Money,
            F::Meta(MetaField::Custom(k)) => Place::Custom(k),
            F::Meta(MetaField::CustomValue(k)) => Place::CustomValue(k),
            _ => Place::Text,
        }
    }

    fn name(&self) -> String {
        match self {
            F::Top(f) => f.key().to_string(),
            F::Email(i) => format!("emails[{i}].address"),
            F::Phone(i) => format!("phones[{i}].number"),
            F::Line(i, j) => format!("addresses[{i}].lines[{j}]"),
            F::Address(i, f) => format!("addresses[{i}].{}", f.key()),
            F::Ref(r, f) => format!("{}.{}", r.key(), f.key()),
            F::CreditLimit => "credit_limit".into(),
            F::Meta(m) => m.name(),
        }
    }

    fn meta(c: &Customer) -> &Meta {
        &c.meta
    }

    fn meta_mut(c: &mut Customer) -> &mut Meta {
        &mut c.meta
    }

    fn read_field<'c>(&self, c: &'c Customer) -> V<'c> {
        match self {
            F::Top(f) => text(f.get(c).as_deref()),
            F::Email(i) => text(c.emails.get(*i).map(|e| e.address.as_str())),
            F::Phone(i) => text(c.phones.get(*i).map(|p| p.number.as_str())),
            F::Line(i, j) => text(c.addresses.get(*i).and_then(|a| a.lines.get(*j)).map(|l| &**l)),
            F::Address(i, f) => text(c.addresses.get(*i).and_then(|a| f.get(a).as_deref())),
            F::Ref(r, f) => text(r.get(c).as_ref().and_then(|e| f.get(e).as_deref())),
            F::CreditLimit => json(c.credit_limit.as_ref()),
            F::Meta(_) => V::Absent,
        }
    }

    fn take_text(&self, c: &mut Customer) -> V<'static> {
        match self {
            F::Top(f) => owned(f.get_mut(c).take()),
            F::Email(i) => owned(c.emails.get_mut(*i).map(|e| std::mem::take(&mut e.address))),
            F::Phone(i) => owned(c.phones.get_mut(*i).map(|p| std::mem::take(&mut p.number))),
            F::Line(i, j) => {
                let Some(lines) = c.addresses.get_mut(*i).map(|a| &mut a.lines) else {
                    return V::Absent;
                };
                if j + 1 == lines.len() {
                    owned(lines.get_mut(*j).map(std::mem::take))
                } else {
                    owned(lines.get(*j).cloned())
                }
            }
            F::Address(i, f) => owned(c.addresses.get_mut(*i).and_then(|a| f.get_mut(a).take())),
            F::Ref(r, f) => owned(r.get_mut(c).as_mut().and_then(|e| f.get_mut(e).take())),
            F::CreditLimit | F::Meta(_) => V::Absent,
        }
    }

    fn text_slot<'c>(&self, c: &'c mut Customer) -> TextSlot<'c> {
        let found = match self {
            F::Top(f) => f.get_mut(c).as_mut(),
            F::Email(i) => c.emails.get_mut(*i).map(|e| &mut e.address),
            F::Phone(i) => c.phones.get_mut(*i).map(|p| &mut p.number),
            F::Line(i, j) => match c.addresses.get_mut(*i).map(|a| &mut a.lines) {
                Some(lines) if j + 1 < lines.len() => return TextSlot::Elsewhere,
                Some(lines) => lines.get_mut(*j),
                None => None,
            },
            F::Address(i, f) => c.addresses.get_mut(*i).and_then(|a| f.get_mut(a).as_mut()),
            F::Ref(r, f) => r.get_mut(c).as_mut().and_then(|e| f.get_mut(e).as_mut()),
            F::CreditLimit | F::Meta(_) => return TextSlot::Elsewhere,
        };
        found.map_or(TextSlot::Absent, TextSlot::Text)
    }

    /// A line goes only when it is its list's last (as the JSON path has it); an e-mail
    /// address or phone number cannot go (the model needs it).
    fn remove_text(&self, c: &mut Customer) -> Result<(), Unfit> {
        match self {
            F::Top(f) => *f.get_mut(c) = None,
            F::Email(i) if *i < c.emails.len() => return Err(self.unfit("missing field")),
            F::Phone(i) if *i < c.phones.len() => return Err(self.unfit("missing field")),
            F::Line(i, j) => {
                if let Some(lines) = c.addresses.get_mut(*i).map(|a| &mut a.lines) {
                    if j + 1 == lines.len() {
                        lines.pop();
                    }
                }
            }
            F::Address(i, f) => {
                if let Some(a) = c.addresses.get_mut(*i) {
                    *f.get_mut(a) = None;
                }
            }
            F::Ref(r, f) => {
                if let Some(e) = r.get_mut(c) {
                    *f.get_mut(e) = None;
                }
            }
            F::Email(_) | F::Phone(_) | F::CreditLimit | F::Meta(_) => {}
        }
        Ok(())
    }

    /// Creates what the JSON write creates: a missing reference, addresses and lines up to
    /// the index (blank), or the next e-mail address or phone number.
    fn set_text(&self, c: &mut Customer, s: Option<String>) -> Result<(), Unfit> {
        let needed = |s: Option<String>| s.ok_or_else(|| self.unfit("expected text, got null"));
        match self {
            F::Top(f) => *f.get_mut(c) = s,
            F::Address(i, f) => *f.get_mut(address(c, *i)) = s,
            F::Ref(r, f) => set_ref_text(r.get_mut(c), *f, s),
            F::Line(i, j) => {
                let s = needed(s)?;
                let lines = &mut address(c, *i).lines;
                if lines.len() <= *j {
                    lines.resize(j + 1, String::new());
                }
                lines[*j] = s;
            }
            F::Email(i) => {
                let s = needed(s)?;
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
            F::Phone(i) => {
                let s = needed(s)?;
                let n = c.phones.len();
                match c.phones.get_mut(*i) {
                    Some(p) => p.number = s,
                    None if *i == n => c.phones.push(Phone { number: s, kind: Default::default() }),
                    None => return Err(self.unfit("a phone number before it is missing")),
                }
            }
            F::CreditLimit | F::Meta(_) => return Err(self.unfit("expected an object")),
        }
        Ok(())
    }

    fn money<'c>(&self, c: &'c mut Customer) -> Option<&'c mut Option<Money>> {
        matches!(self, F::CreditLimit).then_some(&mut c.credit_limit)
    }

    fn list_element(&self) -> Option<(&'static str, usize)> {
        match self {
            F::Email(i) => Some(("emails", *i)),
            F::Phone(i) => Some(("phones", *i)),
            _ => None,
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
        let field = |p: &str| F::parse(&Path::parse(p).unwrap().segs);
        let custom = |k: &str| Some(F::Meta(MetaField::Custom(k.into())));
        assert_eq!(field("meta.custom.segment"), custom("segment"));
        assert_eq!(
            field("meta.custom.rep.value.value"),
            Some(F::Meta(MetaField::CustomValue("rep".into())))
        );
        assert_eq!(field("addresses[1].lines[2]"), Some(F::Line(1, 2)));
        assert_eq!(field("sales_rep.key"), Some(F::Ref(RefField::SalesRep, RefText::Key)));
        assert_eq!(field("addresses[0].city"), Some(F::Address(0, AddressText::City)));
        assert_eq!(field("tax_number"), Some(F::Top(TopText::TaxNumber)));
        assert_eq!(field("credit_limit"), Some(F::CreditLimit));
        for unknown in ["meta.raw.Street", "kind", "emails[0].kind", "addresses[0].lines", "x.key"]
        {
            assert_eq!(field(unknown), None, "{unknown}");
        }
    }
}
