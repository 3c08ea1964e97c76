//! Keeps the hand-written catalogue in step with the models: a record with every catalogued
//! field set to a value of its catalogued type must deserialise into the model and come back
//! with every field, and dropping a field marked required must make it unreadable.

use connector_core::EntityKind;
use connector_core::model::*;
use serde_json::{Value, json};

use super::*;
use crate::path::Path;

fn sample(ty: &Ty) -> Value {
    match ty {
        Ty::Text => json!("x"),
        Ty::Decimal => json!("1.5"),
        Ty::Int => json!(3),
        Ty::Bool => json!(true),
        Ty::Date => json!("2026-01-02"),
        Ty::DateTime => json!("2026-01-02T03:04:05Z"),
        Ty::Money => json!({"amount": "1.50", "currency": "EUR"}),
        Ty::Currency => json!("EUR"),
        Ty::Enum(v) => json!(v[v.len() - 1]),
        Ty::Object(s) => sample_struct(s, None),
        Ty::List(t) => json!([sample(t)]),
        Ty::Custom => json!({"k": {"value": {"type": "text", "value": "v"}}}),
        Ty::Json => json!({"a": 1}),
    }
}

fn sample_struct(s: &Struct, without: Option<&str>) -> Value {
    let mut m = serde_json::Map::new();
    for f in s.fields {
        if Some(f.name) != without {
            m.insert(f.name.into(), sample(&f.ty));
        }
    }
    Value::Object(m)
}

fn round_trip(kind: EntityKind, v: Value) -> Result<Value, serde_json::Error> {
    fn rt<E: serde::Serialize + serde::de::DeserializeOwned>(
        v: Value,
    ) -> Result<Value, serde_json::Error> {
        let e: E = serde_json::from_value(v)?;
        serde_json::to_value(e)
    }
    match kind {
        EntityKind::Customer => rt::<Customer>(v),
        EntityKind::Product => rt::<Product>(v),
        EntityKind::PriceList => rt::<PriceList>(v),
        EntityKind::StockLevel => rt::<StockLevel>(v),
        EntityKind::Invoice => rt::<Invoice>(v),
        EntityKind::Order => rt::<Order>(v),
        EntityKind::Shipment => rt::<Shipment>(v),
        EntityKind::TaxRate => rt::<TaxRate>(v),
        EntityKind::PaymentTerm => rt::<PaymentTerm>(v),
        EntityKind::User => rt::<User>(v),
    }
}

fn leaf_paths(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Object(m) if !at.ends_with(".custom") && !at.ends_with(".raw") => {
            for (k, x) in m {
                let p = if at.is_empty() { k.clone() } else { format!("{at}.{k}") };
                leaf_paths(x, p, out);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                leaf_paths(x, format!("{at}[{i}]"), out);
            }
        }
        _ => out.push(at),
    }
}

#[test]
fn every_catalogued_field_exists_in_the_model_with_its_type() {
    for kind in EntityKind::ALL {
        let st = entity(kind);
        let full = sample_struct(st, None);
        let back = round_trip(kind, full.clone())
            .unwrap_or_else(|e| panic!("{kind}: a fully populated sample does not decode: {e}"));
        let mut want = Vec::new();
        leaf_paths(&full, String::new(), &mut want);
        let mut got = Vec::new();
        leaf_paths(&back, String::new(), &mut got);
        for p in &want {
            assert!(got.contains(p), "{kind}: `{p}` is catalogued but the model dropped it");
        }
        for p in &got {
            let parsed = Path::parse(p).unwrap();
            assert!(resolve(st, &parsed.segs).is_ok(), "{kind}: `{p}` is not catalogued");
        }
    }
}

#[test]
fn required_flags_match_the_model() {
    for kind in EntityKind::ALL {
        let st = entity(kind);
        for f in st.fields {
            let v = sample_struct(st, Some(f.name));
            let ok = round_trip(kind, v).is_ok();
            assert_eq!(
                ok, !f.required,
                "{kind}.{}: required = {} in the catalogue",
                f.name, f.required
            );
        }
    }
}

#[test]
fn resolve_reports_unknown_fields_with_suggestions() {
    let st = entity(EntityKind::Customer);
    let p = Path::parse("adresses[0].city").unwrap();
    let e = resolve(st, &p.segs).unwrap_err();
    assert!(
        e.contains("unknown field `adresses`") && e.contains("did you mean `addresses`"),
        "{e}"
    );
    let p = Path::parse("name.first").unwrap();
    let e = resolve(st, &p.segs).unwrap_err();
    assert!(e.contains("cannot be followed by `first`"), "{e}");
    let r = resolve(st, &Path::parse("meta.custom.rep").unwrap().segs).unwrap();
    assert!(r.custom_field);
    let r = resolve(st, &Path::parse("meta.raw.Any.Thing[3]").unwrap().segs).unwrap();
    assert!(matches!(r.ty, Ty::Json));
    let r = resolve(st, &Path::parse("credit_limit").unwrap().segs).unwrap();
    assert!(matches!(r.ty, Ty::Money));
}
