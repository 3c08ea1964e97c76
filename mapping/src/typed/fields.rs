//! What the typed lane needs of an entity's fields ([`Fields`]), and what every entity's
//! fields share: Money, custom fields, references, and how a rule's result is written. Each
//! field behaves as its path does on the record's JSON, followed by deserialising the result:
//! a missing parent reads as nothing, a write creates what the JSON write creates, and a write
//! the model cannot hold (removing a required field, text in a Money field) is reported as
//! not fitting, as deserialising would report it.

use std::borrow::Cow;
use std::fmt;

use connector_core::model::{CustomField, CustomValue, EntityRef, Meta, Money};
use serde_json::Value;

use crate::path::Seg;
use crate::value::V;

/// Defines an enum of a struct's `Option<...>` fields by their serde names, with accessors.
macro_rules! fields {
    ($(#[$doc:meta])* $name:ident: $owner:ty => $ty:ty { $($var:ident => $field:ident),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub(crate) enum $name { $($var),* }

        #[allow(dead_code)]
        impl $name {
            pub(crate) fn parse(key: &str) -> Option<Self> {
                match key {
                    $(stringify!($field) => Some(Self::$var),)*
                    _ => None,
                }
            }

            pub(crate) fn key(self) -> &'static str {
                match self { $(Self::$var => stringify!($field)),* }
            }

            pub(crate) fn get(self, owner: &$owner) -> &Option<$ty> {
                match self { $(Self::$var => &owner.$field),* }
            }

            pub(crate) fn get_mut(self, owner: &mut $owner) -> &mut Option<$ty> {
                match self { $(Self::$var => &mut owner.$field),* }
            }
        }
    };
}
pub(crate) use fields;

fields!(
    /// An optional text field of a reference.
    RefText: EntityRef => String { Id => id, Key => key, Name => name }
);

/// A field under `meta`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum MetaField {
    /// `meta.custom.<key>`
    Custom(Box<str>),
    /// `meta.custom.<key>.value.value`: the value inside a custom field (read only).
    CustomValue(Box<str>),
}

impl MetaField {
    /// The field a path names, if it is one of these.
    pub(crate) fn parse(segs: &[Seg]) -> Option<MetaField> {
        use Seg::Key as K;
        match segs {
            [K(m), K(c), K(k)] if &**m == "meta" && &**c == "custom" => {
                Some(MetaField::Custom(k.clone()))
            }
            [K(m), K(c), K(k), K(v), K(w)]
                if &**m == "meta" && &**c == "custom" && &**v == "value" && &**w == "value" =>
            {
                Some(MetaField::CustomValue(k.clone()))
            }
            _ => None,
        }
    }

    /// The field's path.
    pub(crate) fn name(&self) -> String {
        match self {
            MetaField::Custom(k) => format!("meta.custom.{k}"),
            MetaField::CustomValue(k) => format!("meta.custom.{k}.value.value"),
        }
    }
}

/// What kind of value a field holds.
pub(crate) enum Place<'a> {
    /// Text.
    Text,
    /// Money.
    Money,
    /// A custom field, by key.
    Custom(&'a str),
    /// The value inside a custom field, by key (read only).
    CustomValue(&'a str),
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
    /// Not text, or a list element that must not be moved out (see [`Fields::take_text`]):
    /// the rule takes the general way.
    Elsewhere,
}

/// Why a written record no longer fits the model.
pub(crate) type Unfit = String;

/// Text as a value: nothing when it is missing.
pub(crate) fn text(s: Option<&str>) -> V<'_> {
    s.map_or(V::Absent, |s| V::Text(Cow::Borrowed(s)))
}

/// Owned text as a value, to be changed in place.
pub(crate) fn owned(s: Option<String>) -> V<'static> {
    s.map_or(V::Absent, |s| V::Text(Cow::Owned(s)))
}

/// A value as its JSON form (Money, custom fields: not text, so rarely worth a fast path).
pub(crate) fn json<T: serde::Serialize>(v: Option<&T>) -> V<'static> {
    match v.map(serde_json::to_value) {
        Some(Ok(j)) => V::from_owned(j),
        _ => V::Absent,
    }
}

/// What `meta.custom.<key>.value.value` reads on the record's JSON.
fn custom_value<'c>(meta: &'c Meta, key: &str) -> V<'c> {
    match meta.custom.get(key).map(|f| &f.value) {
        None => V::Absent,
        Some(CustomValue::Text(s) | CustomValue::Choice(s)) => text(Some(s)),
        Some(other) => match serde_json::to_value(other) {
            Ok(Value::Object(mut m)) => V::from_owned(m.remove("value").unwrap_or_default()),
            _ => V::Absent,
        },
    }
}

/// Sets the text field of a reference, creating the reference (as the JSON write creates
/// `{}`).
pub(crate) fn set_ref_text(r: &mut Option<EntityRef>, f: RefText, s: Option<String>) {
    *f.get_mut(r.get_or_insert_with(EntityRef::default)) = s;
}

/// The fields of one canonical entity that the typed lane reads and writes.
pub(crate) trait Fields: Sized + PartialEq + fmt::Debug {
    /// The entity.
    type Record: 'static;

    /// The field a path names, if the lane knows it.
    fn parse(segs: &[Seg]) -> Option<Self>;

    /// What the field holds.
    fn place(&self) -> Place<'_>;

    /// The field's path, for messages.
    fn name(&self) -> String;

    /// The record's `meta`.
    fn meta(r: &Self::Record) -> &Meta;

    /// The record's `meta`, to change.
    fn meta_mut(r: &mut Self::Record) -> &mut Meta;

    /// A text or Money field's value, as reading its path from the record's JSON gives it.
    fn read_field<'c>(&self, r: &'c Self::Record) -> V<'c>;

    /// A text field's value for a rule that reads nothing else and will write it back: text
    /// is moved out, so its transforms can change it in place. An element of a list that is
    /// not the list's last is copied instead: it cannot be removed, so emptying it leaves it
    /// as it was.
    fn take_text(&self, r: &mut Self::Record) -> V<'static>;

    /// A text field's own text, to be changed where it is.
    fn text_slot<'c>(&self, r: &'c mut Self::Record) -> TextSlot<'c>;

    /// Removes a text field, as removing its path from the JSON and deserialising would.
    fn remove_text(&self, r: &mut Self::Record) -> Result<(), Unfit>;

    /// Sets a text field (`None`: JSON null), as the JSON write and deserialising would.
    fn set_text(&self, r: &mut Self::Record, s: Option<String>) -> Result<(), Unfit>;

    /// A Money field (`None` for any other).
    fn money<'c>(&self, r: &'c mut Self::Record) -> Option<&'c mut Option<Money>>;

    /// The list and index of the element this field is a required part of (`emails[1]` for
    /// `emails[1].address`): writing it past the list's end leaves a gap.
    fn list_element(&self) -> Option<(&'static str, usize)>;

    /// Whether the field holds text.
    fn is_text(&self) -> bool {
        matches!(self.place(), Place::Text)
    }

    /// The field's value, as reading its path from the record's JSON gives it.
    fn read<'c>(&self, r: &'c Self::Record) -> V<'c> {
        match self.place() {
            Place::Text | Place::Money => self.read_field(r),
            Place::Custom(k) => json(Self::meta(r).custom.get(k)),
            Place::CustomValue(k) => custom_value(Self::meta(r), k),
        }
    }

    /// The field's value for a rule that reads nothing else and will write it back (see
    /// [`Fields::take_text`]); other than text, a copy.
    fn take(&self, r: &mut Self::Record) -> V<'static> {
        if self.is_text() {
            return self.take_text(r);
        }
        self.read(r).into_owned()
    }

    /// Writes a rule's result, as writing at the path in the JSON and deserialising would.
    fn write(&self, r: &mut Self::Record, put: Put) -> Result<(), Unfit> {
        let put = match put {
            Put::Json(Value::String(s)) => Put::Text(s),
            other => other,
        };
        let custom = |r: &mut Self::Record, k: &str, field: CustomField| {
            Self::meta_mut(r).custom.insert(k.to_string(), field);
        };
        match (self.place(), put) {
            (_, Put::Nothing) => {}
            (Place::Text, Put::Remove) => return self.remove_text(r),
            (Place::Text, Put::Text(s)) => return self.set_text(r, Some(s)),
            (Place::Text, Put::Json(Value::Null)) => return self.set_text(r, None),
            (Place::Text, Put::Json(_) | Put::Custom(_)) => return Err(self.unfit("expected text")),
            (Place::Money, put) => {
                let Some(slot) = self.money(r) else { return Err(self.unfit("not Money")) };
                *slot = match put {
                    Put::Remove => None,
                    Put::Json(j) => serde_json::from_value(j).map_err(|e| self.unfit(e))?,
                    _ => return Err(self.unfit("expected Money")),
                };
            }
            (Place::Custom(k), Put::Remove) => {
                Self::meta_mut(r).custom.remove(k);
            }
            (Place::Custom(k), Put::Custom(field)) => custom(r, k, field),
            (Place::Custom(k), Put::Json(j)) => {
                custom(r, k, serde_json::from_value(j).map_err(|e| self.unfit(e))?);
            }
            (Place::Custom(_), Put::Text(_)) => {
                return Err(self.unfit("expected a custom field, got text"));
            }
            (Place::CustomValue(_), _) => return Err(self.unfit("a read-only field")),
        }
        Ok(())
    }

    /// Why a write does not fit the model.
    fn unfit(&self, why: impl fmt::Display) -> Unfit {
        format!("`{}`: {why}", self.name())
    }
}
