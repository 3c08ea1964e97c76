//! What the file connector needs to know per entity kind: the natural-key column and, for
//! documents, the array a one-line-per-row CSV groups.

use connector_core::EntityKind;
use serde_json::Value;

/// The per-kind facts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Shape {
    /// The natural-key field (`number`, `sku`, `code`).
    pub natural_key: &'static str,
    /// The array that a CSV with `<group>.<field>` columns fills one element per row
    /// (`lines` of invoices, orders and shipments; `entries` of price lists).
    pub group: Option<&'static str>,
}

/// The shape of a kind.
pub(crate) fn shape(kind: EntityKind) -> Shape {
    let (natural_key, group) = match kind {
        EntityKind::Customer => ("number", None),
        EntityKind::Product | EntityKind::StockLevel => ("sku", None),
        EntityKind::PriceList => ("code", Some("entries")),
        EntityKind::Invoice | EntityKind::Order | EntityKind::Shipment => ("number", Some("lines")),
        EntityKind::TaxRate | EntityKind::PaymentTerm | EntityKind::User => ("code", None),
    };
    Shape { natural_key, group }
}

fn text(v: Option<&Value>) -> Option<String> {
    let s = match v? {
        Value::String(s) => s.trim().to_owned(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    (!s.is_empty()).then_some(s)
}

/// The natural key of a record that is still JSON (it may not decode), by the same rules as
/// [`connector_core::Entity::key`]: the key field (`sku@warehouse` for stock levels, code or
/// e-mail for users), else the first reference's id.
pub(crate) fn value_key(kind: EntityKind, value: &Value) -> Option<String> {
    let own = match kind {
        EntityKind::StockLevel => {
            text(value.get("sku")).map(|sku| match text(value.get("warehouse")) {
                Some(w) => format!("{sku}@{w}"),
                None => sku,
            })
        }
        EntityKind::User => text(value.get("code")).or_else(|| text(value.get("email"))),
        _ => text(value.get(shape(kind).natural_key)),
    };
    own.or_else(|| text(value.pointer("/meta/refs/0/id")))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn keys_follow_the_entity_rules() {
        assert_eq!(
            value_key(EntityKind::StockLevel, &json!({"sku": "A", "warehouse": "W1"})),
            Some("A@W1".into())
        );
        assert_eq!(
            value_key(EntityKind::Product, &json!({"sku": " 00123 "})),
            Some("00123".into())
        );
        assert_eq!(
            value_key(EntityKind::User, &json!({"email": "a@x.example"})),
            Some("a@x.example".into())
        );
        assert_eq!(
            value_key(EntityKind::Customer, &json!({"meta": {"refs": [{"id": "x-1"}]}})),
            Some("x-1".into())
        );
        assert_eq!(value_key(EntityKind::Invoice, &json!({"number": 1001})), Some("1001".into()));
        assert_eq!(value_key(EntityKind::Invoice, &json!({"number": " "})), None);
    }

    #[test]
    fn documents_group_their_lines() {
        assert_eq!(shape(EntityKind::Invoice).group, Some("lines"));
        assert_eq!(shape(EntityKind::PriceList).group, Some("entries"));
        assert_eq!(shape(EntityKind::Customer).group, None);
    }
}
