//! The fields of [`Product`] the typed lane knows.

use connector_core::model::{EntityRef, Meta, Money, Product};

use super::fields::{
    Fields, MetaField, Place, RefText, TextSlot, Unfit, fields, json, owned, set_ref_text, text,
};
use crate::path::Seg;
use crate::value::V;

fields!(
    /// An optional text field of the product itself.
    TopText: Product => String {
        Name => name, Description => description, LongDescription => long_description,
        Unit => unit, Gtin => gtin, Brand => brand, VariantOf => variant_of,
    }
);

fields!(
    /// A price of the product.
    Price: Product => Money { SalesPrice => sales_price, PurchasePrice => purchase_price }
);

fields!(
    /// A reference of the product to another record.
    RefField: Product => EntityRef { TaxRate => tax_rate }
);

/// A field of a product record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ProductField {
    /// `sku`: the model needs it.
    Sku,
    /// `name`, `description`, ...
    Top(TopText),
    /// `sales_price`, `purchase_price`
    Price(Price),
    /// `tax_rate.key`, ...
    Ref(RefField, RefText),
    /// `meta.custom...`
    Meta(MetaField),
}

use ProductField as F;

impl Fields for ProductField {
    type Record = Product;

    fn parse(segs: &[Seg]) -> Option<Self> {
        use Seg::Key as K;
        Some(match segs {
            [K(k)] if &**k == "sku" => F::Sku,
            [K(k)] => match Price::parse(k) {
                Some(p) => F::Price(p),
                None => F::Top(TopText::parse(k)?),
            },
            [K(r), K(f)] => F::Ref(RefField::parse(r)?, RefText::parse(f)?),
            _ => F::Meta(MetaField::parse(segs)?),
        })
    }

    fn place(&self) -> Place<'_> {
        match self {
            F::Price(_) => Place::Money,
            F::Meta(MetaField::Custom(k)) => Place::Custom(k),
            F::Meta(MetaField::CustomValue(k)) => Place::CustomValue(k),
            _ => Place::Text,
        }
    }

    fn name(&self) -> String {
        match self {
            F::Sku => "sku".into(),
            F::Top(f) => f.key().to_string(),
            F::Price(p) => p.key().to_string(),
            F::Ref(r, f) => format!("{}.{}", r.key(), f.key()),
            F::Meta(m) => m.name(),
        }
    }

    fn meta(p: &Product) -> &Meta {
        &p.meta
    }

    fn meta_mut(p: &mut Product) -> &mut Meta {
        &mut p.meta
    }

    fn read_field<'c>(&self, p: &'c Product) -> V<'c> {
        match self {
            F::Sku => text(Some(&p.sku)),
            F::Top(f) => text(f.get(p).as_deref()),
            F::Price(f) => json(f.get(p).as_ref()),
            F::Ref(r, f) => text(r.get(p).as_ref().and_then(|e| f.get(e).as_deref())),
            F::Meta(_) => V::Absent,
        }
    }

    fn take_text(&self, p: &mut Product) -> V<'static> {
        match self {
            F::Sku => owned(Some(std::mem::take(&mut p.sku))),
            F::Top(f) => owned(f.get_mut(p).take()),
            F::Ref(r, f) => owned(r.get_mut(p).as_mut().and_then(|e| f.get_mut(e).take())),
            F::Price(_) | F::Meta(_) => V::Absent,
        }
    }

    fn text_slot<'c>(&self, p: &'c mut Product) -> TextSlot<'c> {
        let found = match self {
            F::Sku => Some(&mut p.sku),
            F::Top(f) => f.get_mut(p).as_mut(),
            F::Ref(r, f) => r.get_mut(p).as_mut().and_then(|e| f.get_mut(e).as_mut()),
            F::Price(_) | F::Meta(_) => return TextSlot::Elsewhere,
        };
        found.map_or(TextSlot::Absent, TextSlot::Text)
    }

    /// The SKU cannot go (the model needs it).
    fn remove_text(&self, p: &mut Product) -> Result<(), Unfit> {
        match self {
            F::Sku => return Err(self.unfit("missing field")),
            F::Top(f) => *f.get_mut(p) = None,
            F::Ref(r, f) => {
                if let Some(e) = r.get_mut(p) {
                    *f.get_mut(e) = None;
                }
            }
            F::Price(_) | F::Meta(_) => {}
        }
        Ok(())
    }

    fn set_text(&self, p: &mut Product, s: Option<String>) -> Result<(), Unfit> {
        match self {
            F::Sku => p.sku = s.ok_or_else(|| self.unfit("expected text, got null"))?,
            F::Top(f) => *f.get_mut(p) = s,
            F::Ref(r, f) => set_ref_text(r.get_mut(p), *f, s),
            F::Price(_) | F::Meta(_) => return Err(self.unfit("expected an object")),
        }
        Ok(())
    }

    fn money<'c>(&self, p: &'c mut Product) -> Option<&'c mut Option<Money>> {
        match self {
            F::Price(f) => Some(f.get_mut(p)),
            _ => None,
        }
    }

    fn list_element(&self) -> Option<(&'static str, usize)> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::path::Path;

    #[test]
    fn paths_name_their_fields() {
        let field = |p: &str| F::parse(&Path::parse(p).unwrap().segs);
        assert_eq!(field("sku"), Some(F::Sku));
        assert_eq!(field("long_description"), Some(F::Top(TopText::LongDescription)));
        assert_eq!(field("sales_price"), Some(F::Price(Price::SalesPrice)));
        assert_eq!(field("tax_rate.key"), Some(F::Ref(RefField::TaxRate, RefText::Key)));
        assert_eq!(field("meta.custom.ean"), Some(F::Meta(MetaField::Custom("ean".into()))));
        for unknown in ["kind", "categories[0]", "tax_percent", "images[0].url", "x.key"] {
            assert_eq!(field(unknown), None, "{unknown}");
        }
    }
}
