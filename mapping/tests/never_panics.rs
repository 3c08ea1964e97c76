//! Property: applying a non-trivial mapping to arbitrary JSON never panics; it maps, skips
//! or fails with field errors.

use connector_core::EntityKind;
use connector_mapping::{Applied, Format, Loader, MappingPlan};
use proptest::prelude::*;
use serde_json::{Map, Value};
use std::sync::OnceLock;

const MAPPING: &str = r#"
[maps.reps]
unmapped = "quarantine"
ignore_case = true
entries = { JV = "jan", PB = "piet" }

[maps.country]
builtin = "country-iso-to-enum"
unmapped = "pass"

[[mapping]]
source = "orders"
target = "orders"

[[mapping.skip]]
all_empty = ["number", "party.name"]
reason = "empty"

[[mapping.field]]
target = "number"
source = "number"
transforms = ["trim", "upper", { op = "regex_replace", pattern = "[^A-Z0-9-]", with = "" }, { op = "truncate", max = 20 }]

[[mapping.field]]
target = "party.name"
source = ["party.first_name", "party.last_name", "meta.raw.Company"]
transforms = [{ op = "concat", separator = " " }, "title"]

[[mapping.field]]
target = "billing_address.lines[0]"
source = "meta.raw.Street"
transforms = ["street"]

[[mapping.field]]
target = "billing_address.street_number"
source = "meta.raw.Street"
transforms = ["house_number"]

[[mapping.field]]
target = "billing_address.country"
source = "meta.raw.Country"
map = "country"

[[mapping.field]]
target = "order_date"
source = "meta.raw.Date"
transforms = [{ op = "date", formats = ["%d-%m-%Y", "%d.%m.%Y"] }]

[[mapping.field]]
target = "sales_rep.key"
source = "meta.custom.rep"
map = "reps"

[[mapping.field]]
target = "meta.custom.postal"
source = "meta.raw.Zip"
transforms = [{ op = "regex_extract", pattern = "(\\d{4})\\s*[A-Z]{2}" }, "digits_only"]
validate = [{ max_len = 4 }]

[[mapping.field]]
target = "totals.total"
source = "meta.raw.Total"
transforms = [{ op = "number", decimal = ",", group = "." }, { op = "add_tax", rate = "25.5" }, { op = "round", scale = 2, mode = "half_up" }]
currency = "EUR"

[[mapping.field]]
target = "currency"
source = "currency"
default = "EUR"

[[mapping.each]]
source = "lines"
target = "lines"

[[mapping.each.field]]
target = "sku"
source = "sku"
transforms = ["digits_only"]
validate = ["required", "digits"]

[[mapping.each.field]]
target = "unit_price"
source = "unit_price.amount"
transforms = [{ op = "remove_tax", rate_from = "tax_percent" }, { op = "multiply", by = "1000" }, { op = "round", scale = 4 }]
currency_from = "/currency"

[[mapping.each.field]]
target = "quantity"
source = "quantity"
default = "1"
"#;

fn plan() -> &'static MappingPlan {
    static PLAN: OnceLock<MappingPlan> = OnceLock::new();
    PLAN.get_or_init(|| {
        let mut set = Loader::new()
            .load_str(MAPPING, Format::Toml, "prop.toml")
            .unwrap_or_else(|e| panic!("{e}"));
        set.take_for(EntityKind::Order).unwrap()
    })
}

fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| Value::Number(n.into())),
        "-?[0-9]{1,30}(\\.[0-9]{1,30})?(e[+-]?[0-9]{1,3})?"
            .prop_map(|s| serde_json::from_str(&s).unwrap_or(Value::Null)),
        ".{0,24}".prop_map(Value::String),
        "[0-9 .,A-Za-z-]{0,16}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop_oneof![
                        Just("number".to_string()),
                        Just("lines".to_string()),
                        Just("meta".to_string()),
                        Just("raw".to_string()),
                        Just("custom".to_string()),
                        Just("rep".to_string()),
                        Just("value".to_string()),
                        Just("Street".to_string()),
                        Just("Total".to_string()),
                        Just("Date".to_string()),
                        Just("sku".to_string()),
                        Just("unit_price".to_string()),
                        Just("amount".to_string()),
                        Just("tax_percent".to_string()),
                        Just("currency".to_string()),
                        Just("party".to_string()),
                        "[a-z]{1,8}",
                    ],
                    inner
                ),
                0..8
            )
            .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<String, Value>>())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, .. ProptestConfig::default() })]

    #[test]
    fn applying_never_panics(src in json()) {
        let plan = plan();
        match plan.apply(&src) {
            Ok(Applied::Record(v)) => prop_assert!(v.is_object() || !src.is_object()),
            Ok(Applied::Skip(reason)) => prop_assert_eq!(reason, "empty"),
            Err(f) => {
                prop_assert!(!f.failures.is_empty());
                prop_assert!(f.failures.iter().all(|x| !x.field.is_empty() && !x.rule.is_empty()));
            }
        }
    }

    #[test]
    fn record_shaped_inputs_never_panic(
        number in ".{0,12}", street in ".{0,30}", total in ".{0,14}", date in ".{0,12}",
        skus in prop::collection::vec(".{0,8}", 0..4), price in "-?[0-9]{0,6}(\\.[0-9]{0,4})?", pct in "-?[0-9]{0,3}(\\.[0-9])?",
    ) {
        let lines: Vec<Value> = skus.into_iter().map(|s| serde_json::json!({
            "sku": s, "unit_price": {"amount": price, "currency": "EUR"}, "tax_percent": pct,
        })).collect();
        let src = serde_json::json!({
            "number": number, "currency": "EUR", "lines": lines,
            "meta": {"raw": {"Street": street, "Total": total, "Date": date}},
        });
        let _ = plan().apply(&src);
    }
}
