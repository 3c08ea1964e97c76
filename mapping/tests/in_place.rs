//! `apply_owned` (in place on the record, for `copy = "source"` plans) gives exactly what
//! `apply` (on a copy) gives: for the example mappings, for a mapping where a rule reads a
//! field an earlier rule writes, and for arbitrary JSON. And the typed lane
//! ([`MappingPlan::apply_entity`] on a `Customer` or `Product`) gives what mapping the
//! record's JSON and deserialising the result gives: on fixed corner cases, on arbitrary customers and
//! products, on random product plans, and for rounding at any scale.

use std::sync::OnceLock;

use connector_core::model::{Customer, Product};
use connector_core::{Entity, EntityKind};
use connector_mapping::{Applied, Format, Loader, Mapped, MappingPlan, RecordFailure};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

/// Both results, in a comparable form (`RecordFailure` has no `PartialEq`).
fn both(plan: &MappingPlan, src: &Value) -> (String, String) {
    let show = |r: Result<Applied, RecordFailure>| format!("{r:?}");
    (show(plan.apply(src)), show(plan.apply_owned(src.clone())))
}

/// The plan of a mapping document for an entity; panics with the load errors.
fn plan_for(kind: EntityKind, text: &str, file: &str) -> MappingPlan {
    Loader::new()
        .load_str(text, Format::Toml, file)
        .unwrap_or_else(|e| panic!("{e}"))
        .take_for(kind)
        .unwrap()
}

/// The customers plan of a mapping document.
fn customer_plan(text: &str, file: &str) -> MappingPlan {
    plan_for(EntityKind::Customer, text, file)
}

fn examples_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/mappings")
}

/// Every plan of every example mapping.
fn example_plans() -> &'static [MappingPlan] {
    static PLANS: OnceLock<Vec<MappingPlan>> = OnceLock::new();
    PLANS.get_or_init(|| {
        let mut plans = Vec::new();
        for entry in std::fs::read_dir(examples_dir()).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "toml" || e == "json") {
                let set = Loader::new().load_file(&path).unwrap_or_else(|e| panic!("{e}"));
                plans.extend(
                    set.into_arcs()
                        .into_iter()
                        .map(|p| std::sync::Arc::try_unwrap(p).expect("one owner")),
                );
            }
        }
        plans
    })
}

/// The keys the example mappings read and write, so arbitrary records hit their rules.
fn example_keys() -> &'static [String] {
    static KEYS: OnceLock<Vec<String>> = OnceLock::new();
    KEYS.get_or_init(|| {
        let mut keys = Vec::new();
        for entry in std::fs::read_dir(examples_dir()).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            for line in text.lines().filter(|l| l.contains("source") || l.contains("target")) {
                for quoted in line.split('"').skip(1).step_by(2) {
                    for k in quoted.split(['.', '[', ']', '/', ' ']) {
                        if !k.is_empty() && k.parse::<usize>().is_err() {
                            keys.push(k.to_string());
                        }
                    }
                }
            }
        }
        keys.extend(
            ["amount", "currency", "meta", "raw", "custom", "value", "type"].map(String::from),
        );
        keys.sort();
        keys.dedup();
        keys
    })
}

const OVERLAPPING: &str = r#"
[maps.reps]
unmapped = "quarantine"
entries = { JV = "jan.vermeer", PB = "piet.bos" }

[[mapping]]
source = "customers"
target = "customers"

[[mapping.field]]
target = "addresses[0].lines[0]"
source = "addresses[0].lines[0]"
transforms = ["street"]

[[mapping.field]]
target = "addresses[0].street_number"
source = "addresses[0].lines[0]"
transforms = ["house_number"]

[[mapping.field]]
target = "name"
source = ["first_name", "last_name", "name"]
transforms = [{ op = "concat" }, "trim", { op = "truncate", max = 12 }]
validate = ["required"]

[[mapping.field]]
target = "meta.custom.display"
source = "name"
transforms = ["title"]

[[mapping.field]]
target = "number"
source = "number"
transforms = ["trim", "upper"]
validate = ["required", "digits"]

[[mapping.field]]
target = "sales_rep.key"
source = "sales_rep.key"
map = "reps"

[[mapping.field]]
target = "credit_limit"
source = "credit_limit"
transforms = [{ op = "round", scale = 1 }]

[[mapping.field]]
target = "meta.custom.segment"
source = "meta.custom.segment"
default = "retail"

[[mapping.field]]
target = "tax_number"
source = "tax_number"
keep_empty = true
"#;

fn overlapping() -> &'static MappingPlan {
    static PLAN: OnceLock<MappingPlan> = OnceLock::new();
    PLAN.get_or_init(|| customer_plan(OVERLAPPING, "overlap.toml"))
}

#[test]
fn a_rule_reads_the_original_value_of_a_field_an_earlier_rule_writes() {
    let plan = overlapping();
    assert!(plan.applies_in_place());
    let src = json!({
        "number": " 0042 ", "name": "  jan  ", "first_name": "Jan", "last_name": "de Vries",
        "addresses": [{"lines": ["Hoofdstraat 12a"], "city": "Delft"}],
        "sales_rep": {"key": "PB"}, "credit_limit": {"amount": "10.25", "currency": "EUR"},
        "tax_number": " ", "kind": "person",
    });
    let (copied, in_place) = both(plan, &src);
    assert_eq!(copied, in_place);
    let Ok(Applied::Record(v)) = plan.apply_owned(src) else { panic!("{in_place}") };
    assert_eq!(v["addresses"][0]["lines"][0], json!("Hoofdstraat"));
    assert_eq!(v["addresses"][0]["street_number"], json!("12a"));
    assert_eq!(
        v["meta"]["custom"]["display"]["value"],
        json!({"type": "text", "value": "  Jan  "})
    );
    assert_eq!(v["name"], json!("Jan de Vries"));
    assert_eq!(v["number"], json!("0042"));
    assert_eq!(v["credit_limit"], json!({"amount": "10.2", "currency": "EUR"}));
    assert_eq!(v["tax_number"], json!(""));
    assert_eq!(v["kind"], json!("person"));
}

#[test]
fn rules_that_swap_two_fields_are_applied_on_a_copy() {
    let mut set = Loader::new()
        .load_str(
            r#"
source = "customers"
target = "customers"

[[field]]
target = "first_name"
source = "last_name"

[[field]]
target = "last_name"
source = "first_name"
"#,
            Format::Toml,
            "swap.toml",
        )
        .unwrap();
    let plan = set.take_for(EntityKind::Customer).unwrap();
    assert!(!plan.applies_in_place());
    let src = json!({"first_name": "Jan", "last_name": "Bos"});
    let Ok(Applied::Record(v)) = plan.apply_owned(src) else { panic!("no record") };
    assert_eq!(v, json!({"first_name": "Bos", "last_name": "Jan"}));
}

#[test]
fn failures_come_in_rule_order() {
    let plan = overlapping();
    let src =
        json!({"number": "A-1", "sales_rep": {"key": "XX"}, "addresses": [{"lines": ["x 1"]}]});
    let (copied, in_place) = both(plan, &src);
    assert_eq!(copied, in_place);
    assert!(copied.contains("digits") && copied.contains("quarantine"), "{copied}");
}

/// Text made empty by one transform is nothing for the next (a regex that matches the empty
/// text writes nothing); an amount is rounded the same in its text form as through `Decimal`;
/// a default that is the same for every record lands whole.
#[test]
fn owned_text_amounts_and_fixed_defaults_match_the_copy() {
    let plan = customer_plan(
        r#"
source = "customers"
target = "customers"

[[field]]
target = "name"
source = "name"
transforms = ["trim", { op = "regex_replace", pattern = "^$", with = "empty" }, "upper"]

[[field]]
target = "tax_number"
source = "tax_number"
transforms = [{ op = "regex_replace", pattern = "[^0-9A-Z]", with = "" }, "street"]

[[field]]
target = "credit_limit"
source = "credit_limit"
transforms = [{ op = "round", scale = 1, mode = "half_even" }]

[[field]]
target = "meta.custom.segment"
source = "meta.custom.segment"
default = "retail"
"#,
        "owned.toml",
    );
    assert!(plan.applies_in_place());
    for (name, tax, amount) in [
        ("   ", "NL 12", "0.05"),
        (" x ", " ", "-0.04"),
        ("", "12 a", "1e2"),
        ("ä ", "ä 1", "99.95"),
        ("a", "", ""),
    ] {
        let src = json!({"name": name, "tax_number": tax,
            "credit_limit": {"amount": amount, "currency": "EUR"}, "meta": {}});
        let (copied, in_place) = both(&plan, &src);
        assert_eq!(copied, in_place, "{src}");
    }
    // Empty text that no text transform touched stays text: `round` refuses it both ways.
    let (copied, in_place) = both(&plan, &json!({"name": "a", "credit_limit": ""}));
    assert_eq!(copied, in_place);
    assert!(copied.contains("is not a number"), "{copied}");
    let src = json!({"name": " jan ", "credit_limit": {"amount": "99.95", "currency": "EUR"}});
    let Ok(Applied::Record(out)) = plan.apply_owned(src) else { panic!("maps") };
    assert_eq!(out["name"], json!("JAN"));
    assert_eq!(out["credit_limit"], json!({"amount": "100.0", "currency": "EUR"}));
    assert_eq!(
        out["meta"]["custom"]["segment"]["value"],
        json!({"type": "text", "value": "retail"})
    );
}

#[test]
fn example_mappings_give_the_same_result_in_place() {
    let plans = example_plans();
    assert!(plans.iter().any(MappingPlan::applies_in_place));
    let samples = [
        json!({}),
        json!({"name": " Acme  B.V. ", "number": " c-1 ", "kind": "company", "currency": "eur",
            "addresses": [{"lines": ["Hoofdstraat 12a"], "postal_code": "1234 ab", "country": "nl",
            "city": " Delft "}], "emails": [{"address": " A@B.NL "}], "sku": "AB-12 34",
            "description": "  x ", "sales_price": {"amount": "12.345", "currency": "EUR"},
            "meta": {"custom": {"category": "A", "rep": "JV"}, "raw": {"Street": "Main St, 12"}}}),
    ];
    for plan in plans {
        for src in &samples {
            let (copied, in_place) = both(plan, src);
            assert_eq!(copied, in_place, "plan {}", plan.name());
        }
    }
}

fn json_with(keys: &'static [String]) -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| Value::Number(n.into())),
        "-?[0-9]{1,8}(\\.[0-9]{1,4})?"
            .prop_map(|s| serde_json::from_str(&s).unwrap_or(Value::Null)),
        ".{0,12}".prop_map(Value::String),
        "[0-9 .,A-Za-z-]{0,16}".prop_map(Value::String),
        prop::sample::select(vec![
            "JV",
            "PB",
            "NL",
            "fi",
            " Hoofdstraat 12a ",
            "2024-01-31",
            "EUR"
        ])
        .prop_map(|s| Value::String(s.into())),
    ];
    leaf.prop_recursive(4, 64, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(keys), inner), 0..8)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<String, Value>>())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, .. ProptestConfig::default() })]

    #[test]
    fn in_place_equals_copy_on_arbitrary_json(src in json_with(example_keys())) {
        for plan in example_plans().iter().chain([overlapping()]) {
            let (copied, in_place) = both(plan, &src);
            prop_assert_eq!(copied, in_place, "plan {}", plan.name());
        }
    }
}

/// A rule that empties a line of a list which is not its last leaves the line as it was, in
/// place as on a copy (only the last element of a list can be removed).
#[test]
fn an_emptied_line_that_is_not_the_last_stays_as_on_a_copy() {
    let plan = customer_plan(
        r#"
source = "customers"
target = "customers"

[[field]]
target = "addresses[0].lines[0]"
source = "addresses[0].lines[0]"
transforms = [{ op = "regex_replace", pattern = "^.*$", with = "" }]
"#,
        "lines.toml",
    );
    assert!(plan.applies_in_place());
    for lines in [json!(["Hoofdstraat 1", "2nd floor"]), json!(["Hoofdstraat 1"])] {
        let src = json!({"addresses": [{"lines": lines}]});
        let (copied, in_place) = both(&plan, &src);
        assert_eq!(copied, in_place, "{src}");
    }
    let src = json!({"addresses": [{"lines": ["Hoofdstraat 1", "2nd floor"]}]});
    let Ok(Applied::Record(out)) = plan.apply_owned(src) else { panic!("maps") };
    assert_eq!(out["addresses"][0]["lines"], json!(["Hoofdstraat 1", "2nd floor"]));
}

// The typed lane: customers mapped on the struct itself give what their JSON gives.

/// Rules that write into missing parents, empty required fields, read other fields, build
/// custom fields and Money: the corners where the typed lane must do what the JSON does.
const CORNERS: &str = r#"
[maps.reps]
unmapped = "default"
default = "house"
entries = { JV = "jan.vermeer", PB = "piet.bos" }

[[mapping]]
source = "customers"
target = "customers"

[[mapping.skip]]
path = "number"
one_of = ["SKIP"]
reason = "asked to skip"

[[mapping.field]]
target = "emails[1].address"
source = "emails[1].address"
transforms = ["trim"]
default = "info@example.com"

[[mapping.field]]
target = "phones[0].number"
source = "phones[0].number"
transforms = [{ op = "regex_replace", pattern = "[^0-9]", with = "" }]

[[mapping.field]]
target = "addresses[0].lines[0]"
source = "addresses[0].lines[0]"
transforms = ["street"]

[[mapping.field]]
target = "addresses[0].street_number"
source = "addresses[0].lines[0]"
transforms = ["house_number"]

[[mapping.field]]
target = "sales_rep.name"
source = "sales_rep.key"
map = "reps"

[[mapping.field]]
target = "payment_term.key"
source = "payment_term.key"
default = "30D"

[[mapping.field]]
target = "notes"
source = ["first_name", "last_name"]
transforms = [{ op = "concat", separator = " " }, "title"]

[[mapping.field]]
target = "registration_number"
source = "registration_number"
transforms = ["digits_only"]
keep_empty = true

[[mapping.field]]
target = "language"
constant = "nl"

[[mapping.field]]
target = "credit_limit"
source = "credit_limit"
transforms = [{ op = "multiply", by = "1.21" }, { op = "round", scale = 2 }]

[[mapping.field]]
target = "meta.custom.origin"
source = "name"
transforms = ["trim"]

[[mapping.field]]
target = "meta.custom.segment"
source = "meta.custom.segment"
default = "retail"

[[mapping.field]]
target = "number"
source = "number"
transforms = ["trim", "upper"]
validate = ["required", { max_len = 10 }]

# Last: writing at `addresses[1]` touches every `addresses[...]` path before it.
[[mapping.field]]
target = "addresses[1].city"
source = "first_name"
transforms = ["upper"]
"#;

fn corners() -> &'static MappingPlan {
    static PLAN: OnceLock<MappingPlan> = OnceLock::new();
    PLAN.get_or_init(|| customer_plan(CORNERS, "corners.toml"))
}

/// Mapping a record through its JSON (`apply_owned`, then back to the struct), shown as the
/// typed lane's result is shown by [`typed`].
fn through_json<E: Entity>(plan: &MappingPlan, record: &E) -> String {
    let v = serde_json::to_value(record).unwrap();
    match plan.apply_owned(v) {
        Ok(Applied::Record(v)) => match serde_json::from_value::<E>(v) {
            Ok(mapped) => format!("record {}", serde_json::to_value(&mapped).unwrap()),
            Err(_) => "does not fit".into(),
        },
        Ok(Applied::Skip(reason)) => format!("skip {reason}"),
        Err(f) => format!("failed {}", f.to_error("k")),
    }
}

/// Mapping a record with [`MappingPlan::apply_entity`] (the typed lane, when the plan takes
/// it).
fn typed<E: Entity>(plan: &MappingPlan, record: &E) -> String {
    match plan.apply_entity(record.clone(), "k") {
        Ok(Mapped::Record(mapped)) => format!("record {}", serde_json::to_value(&mapped).unwrap()),
        Ok(Mapped::Skip(reason)) => format!("skip {reason}"),
        Err(e) if e.to_string().contains("does not fit the model") => "does not fit".into(),
        Err(e) => format!("failed {e}"),
    }
}

#[test]
fn the_typed_lane_gives_what_the_json_gives() {
    assert!(corners().applies_in_place(), "in place");
    assert!(corners().maps_typed());
    assert!(overlapping().maps_typed());
    let samples = [
        json!({}),
        json!({"number": " c-1 ", "name": " Acme ", "first_name": "jan", "last_name": "de vries",
            "emails": [{"address": " a@b.nl "}, {"address": "  "}],
            "phones": [{"number": "+31 20"}],
            "addresses": [{"lines": ["Hoofdstraat 12a", " 2nd floor "], "city": "Delft"}],
            "sales_rep": {"key": "JV"}, "registration_number": "KvK 123",
            "credit_limit": {"amount": "1000.005", "currency": "EUR"},
            "meta": {"custom": {"segment": {"value": {"type": "text", "value": "b2b"}}}}}),
        // Writes into missing parents: a second e-mail address, a second address, a rep name.
        json!({"number": "C2", "emails": [{"address": "x@y.z"}], "addresses": [{"city": "Ede"}],
            "sales_rep": {"id": "7"}}),
        // An e-mail address that would have to be created after a missing one, and a
        // phone number that becomes empty (the model needs both): does not fit.
        json!({"number": "C3"}),
        json!({"number": "C4", "emails": [{"address": "a"}, {"address": "b"}],
            "phones": [{"number": "n/a"}]}),
        // A rule refuses the value: the refusal wins over not fitting.
        json!({"number": "TOO-LONG-NUMBER", "phones": [{"number": "-"}]}),
        json!({"number": "SKIP", "phones": [{"number": "-"}]}),
        // A line that is the only one, emptied by `street`; a blank registration number.
        json!({"number": "C5", "emails": [{"address": "a"}], "addresses": [{"lines": ["12"]}],
            "registration_number": " "}),
    ];
    for src in samples {
        let c: Customer = serde_json::from_value(src.clone()).unwrap();
        for plan in [corners(), overlapping()] {
            assert_eq!(typed(plan, &c), through_json(plan, &c), "plan {} on {src}", plan.name());
        }
    }
    let c: Customer = serde_json::from_value(json!({"number": "C2", "first_name": "anna",
        "emails": [{"address": "x@y.z"}], "addresses": [{"city": "Ede"}]}))
    .unwrap();
    let Ok(Mapped::Record(out)) = corners().apply_entity(c, "C2") else { panic!("maps") };
    assert_eq!(out.emails[1].address, "info@example.com");
    assert_eq!(out.addresses[1].city.as_deref(), Some("ANNA"));
    assert_eq!(out.language.as_deref(), Some("nl"));
    assert_eq!(out.payment_term.and_then(|p| p.key).as_deref(), Some("30D"));
}

fn text() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        "[ a-zA-Z0-9+()/-]{0,10}".prop_map(Some),
        prop::sample::select(vec!["", " ", "JV", "PB", "SKIP", "Hoofdstraat 12a", "12"])
            .prop_map(|s| Some(s.to_string())),
    ]
}

/// Customers whose fields are missing, blank, odd or as expected, with 0 to 2 e-mail
/// addresses, phone numbers, addresses and lines.
fn customer() -> impl Strategy<Value = Customer> {
    let list = |n| prop::collection::vec("[ a-z0-9@.-]{0,8}", 0..n);
    let address = (list(3), text(), text()).prop_map(|(lines, city, postal_code)| {
        json!({"lines": lines, "city": city, "postal_code": postal_code})
    });
    let money = prop::option::of((any::<i32>(), 0u32..5).prop_map(|(n, scale)| {
        json!({"amount": rust_decimal::Decimal::new(n.into(), scale).to_string(), "currency": "EUR"})
    }));
    let custom =
        prop::option::of(text().prop_map(|t| json!({"value": {"type": "text", "value": t}})));
    (
        (text(), text(), text(), text(), text()),
        (list(3), list(2), prop::collection::vec(address, 0..3)),
        (prop::option::of((text(), text())), money, custom),
    )
        .prop_map(
            |(
                (number, name, first, last, reg),
                (emails, phones, addresses),
                (rep, money, custom),
            )| {
                let emails: Vec<Value> =
                    emails.into_iter().map(|a| json!({"address": a})).collect();
                let phones: Vec<Value> = phones.into_iter().map(|n| json!({"number": n})).collect();
                let mut custom_fields = Map::new();
                if let Some(c) = custom.filter(|c| !c["value"]["value"].is_null()) {
                    custom_fields.insert("segment".into(), c);
                }
                let src = json!({"number": number, "name": name, "first_name": first,
                "last_name": last, "registration_number": reg, "emails": emails,
                "phones": phones, "addresses": addresses,
                "sales_rep": rep.map(|(id, key)| json!({"id": id, "key": key})),
                "credit_limit": money, "meta": {"custom": custom_fields}});
                serde_json::from_value(src).expect("a customer")
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, .. ProptestConfig::default() })]

    #[test]
    fn the_typed_lane_equals_the_json_lane_on_arbitrary_customers(c in customer()) {
        for plan in [corners(), overlapping()] {
            prop_assert_eq!(typed(plan, &c), through_json(plan, &c), "plan {}", plan.name());
        }
    }
}

/// A later rule fills the e-mail address an earlier one skipped over, or sets again the phone
/// number an earlier one removed: the JSON route ends with a record that fits, so such plans
/// are not mapped on the typed lane (which reports the first write that does not fit).
const REPAIR_EMAILS: &str = r#"
source = "customers"
target = "customers"

[[field]]
target = "emails[1].address"
constant = "second@example.com"

[[field]]
target = "emails[0].address"
constant = "first@example.com"
"#;

const REPAIR_PHONES: &str = r#"
source = "customers"
target = "customers"

[[field]]
target = "phones[0].number"
source = "phones[0].number"
transforms = ["digits_only"]

[[field]]
target = "phones[0].number"
source = "name"
"#;

#[test]
fn a_rule_that_may_mend_an_earlier_write_keeps_the_plan_on_the_json_route() {
    let load = |text: &str| customer_plan(text, "repairs.toml");
    let samples = [json!({}), json!({"name": "0612", "phones": [{"number": "n/a"}]})];
    for text in [REPAIR_EMAILS, REPAIR_PHONES] {
        let plan = load(text);
        assert!(!plan.maps_typed());
        for src in &samples {
            let c: Customer = serde_json::from_value(src.clone()).unwrap();
            assert_eq!(typed(&plan, &c), through_json(&plan, &c), "on {src}");
            assert!(typed(&plan, &c).starts_with("record"), "on {src}");
        }
    }
    // E-mail addresses written in their order can take the typed lane.
    let in_order =
        REPAIR_EMAILS.replace("emails[1]", "emails[X]").replace("emails[0]", "emails[1]");
    let plan = load(&in_order.replace("emails[X]", "emails[0]"));
    assert!(plan.maps_typed());
    let c: Customer = serde_json::from_value(json!({})).unwrap();
    assert_eq!(typed(&plan, &c), through_json(&plan, &c));
}

// Products on the typed lane.

const PRODUCT_CORNERS: &str = r#"
[maps.units]
unmapped = "pass"
ignore_case = true
entries = { pcs = "ST", kg = "KG" }

[[mapping]]
source = "products"
target = "products"

[[mapping.skip]]
path = "sku"
one_of = ["SKIP"]
reason = "asked to skip"

[[mapping.field]]
target = "sku"
source = "sku"
transforms = ["digits_only"]
validate = [{ max_len = 8 }]

[[mapping.field]]
target = "description"
source = ["name", "brand"]
transforms = [{ op = "concat", separator = " / " }, "trim"]

[[mapping.field]]
target = "name"
source = "name"
transforms = ["trim", "title"]

[[mapping.field]]
target = "unit"
source = "unit"
map = "units"

[[mapping.field]]
target = "sales_price"
source = "sales_price"
transforms = [{ op = "remove_tax", rate = "25.5" }, { op = "round", scale = 2, mode = "half_up" }]

[[mapping.field]]
target = "purchase_price"
source = "purchase_price"
keep_empty = true

[[mapping.field]]
target = "tax_rate.key"
source = "tax_rate.key"
default = "HIGH"

[[mapping.field]]
target = "meta.custom.ean"
source = "gtin"
transforms = [{ op = "regex_replace", pattern = "[^0-9]", with = "" }]

[[mapping.field]]
target = "meta.custom.employee_number"
source = "meta.custom.employee_number"
transforms = ["trim"]
default = "999999"
validate = ["digits"]
"#;

fn product_corners() -> &'static MappingPlan {
    static PLAN: OnceLock<MappingPlan> = OnceLock::new();
    PLAN.get_or_init(|| plan_for(EntityKind::Product, PRODUCT_CORNERS, "products.toml"))
}

/// [`typed`] and [`through_json`] of a product.
fn both_product_routes(plan: &MappingPlan, p: &Product) -> (String, String) {
    (typed(plan, p), through_json(plan, p))
}

#[test]
fn products_on_the_typed_lane_give_what_the_json_gives() {
    let plan = product_corners();
    assert!(plan.maps_typed());
    let samples = [
        json!({"sku": ""}),
        json!({"sku": "AB-12 34", "name": " drill ", "brand": "Bosch", "unit": "PCS",
            "sales_price": {"amount": "125.50", "currency": "EUR"},
            "purchase_price": {"amount": "70", "currency": "EUR"}, "gtin": "8 712345 678906",
            "tax_rate": {"id": "3"},
            "meta": {"custom": {"employee_number": {"value": {"type": "text", "value": " 12 "}}}}}),
        json!({"sku": "SKIP"}),
        json!({"sku": "123456789"}),
        json!({"sku": "x-1", "unit": "box",
            "meta": {"custom": {"employee_number": {"value": {"type": "text", "value": "n/a"}}}}}),
    ];
    for src in samples {
        let p: Product = serde_json::from_value(src.clone()).unwrap();
        let (typed, json) = both_product_routes(plan, &p);
        assert_eq!(typed, json, "on {src}");
    }
    let p: Product = serde_json::from_value(json!({"sku": "AB-12", "name": "drill",
        "sales_price": {"amount": "125.50", "currency": "EUR"}}))
    .unwrap();
    let Ok(Mapped::Record(out)) = plan.apply_entity(p, "AB-12") else { panic!("maps") };
    assert_eq!(out.sku, "12");
    assert_eq!(out.description.as_deref(), Some("drill"));
    assert_eq!(out.sales_price.unwrap().amount.to_string(), "100.00");
    assert_eq!(out.tax_rate.and_then(|t| t.key).as_deref(), Some("HIGH"));
}

/// Products whose fields are missing, blank, odd or as expected.
fn product() -> impl Strategy<Value = Product> {
    let money = || {
        prop::option::of((any::<i32>(), 0u32..5).prop_map(|(n, scale)| {
            json!({"amount": rust_decimal::Decimal::new(n.into(), scale).to_string(),
                "currency": "EUR"})
        }))
    };
    let custom =
        prop::option::of(text().prop_map(|t| json!({"value": {"type": "text", "value": t}})));
    (
        ("[ A-Za-z0-9-]{0,10}", text(), text(), text(), text()),
        (money(), money(), prop::option::of(text()), custom),
    )
        .prop_map(|((sku, name, brand, unit, gtin), (sales, purchase, tax, custom))| {
            let mut custom_fields = Map::new();
            if let Some(c) = custom.filter(|c| !c["value"]["value"].is_null()) {
                custom_fields.insert("employee_number".into(), c);
            }
            let src = json!({"sku": sku, "name": name, "brand": brand, "unit": unit,
                "gtin": gtin, "sales_price": sales, "purchase_price": purchase,
                "tax_rate": tax.map(|k| json!({"key": k})), "meta": {"custom": custom_fields}});
            serde_json::from_value(src).expect("a product")
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, .. ProptestConfig::default() })]

    #[test]
    fn the_typed_lane_equals_the_json_lane_on_arbitrary_products(p in product()) {
        let (typed, json) = both_product_routes(product_corners(), &p);
        prop_assert_eq!(typed, json);
    }
}

// Review of the product lane: random product plans, rounding at any scale, and plans that
// touch fields the lane does not know.

const RANDOM_TARGETS: &[&str] = &[
    "sku",
    "name",
    "description",
    "long_description",
    "unit",
    "gtin",
    "brand",
    "variant_of",
    "sales_price",
    "purchase_price",
    "tax_rate.id",
    "tax_rate.key",
    "tax_rate.name",
    "meta.custom.a",
    "meta.custom.b",
];

const RANDOM_SOURCES: &[&str] = &[
    "sku",
    "name",
    "description",
    "long_description",
    "unit",
    "gtin",
    "brand",
    "variant_of",
    "sales_price",
    "purchase_price",
    "tax_rate.id",
    "tax_rate.key",
    "tax_rate.name",
    "meta.custom.a",
    "meta.custom.b",
    "meta.custom.a.value.value",
];

const RANDOM_TRANSFORMS: &[&str] = &[
    r#""trim""#,
    r#""upper""#,
    r#""lower""#,
    r#""title""#,
    r#""digits_only""#,
    r#""street""#,
    r#""house_number""#,
    r#"{ op = "truncate", max = 3 }"#,
    r#"{ op = "regex_replace", pattern = "[^0-9]", with = "" }"#,
    r#"{ op = "regex_replace", pattern = "^$", with = "X" }"#,
    r#"{ op = "regex_replace", pattern = "^.*$", with = "" }"#,
    r#"{ op = "regex_extract", pattern = "([0-9]+)" }"#,
    r#"{ op = "concat", separator = " " }"#,
    r#"{ op = "round", scale = 1 }"#,
    r#"{ op = "round", scale = 2, mode = "half_even" }"#,
    r#"{ op = "round", scale = 0, mode = "down" }"#,
    r#"{ op = "multiply", by = 1.5 }"#,
    r#"{ op = "divide", by = 3 }"#,
    r#"{ op = "remove_tax", rate = 21 }"#,
    r#"{ op = "add_tax", rate = 24 }"#,
    r#"{ op = "number", decimal = ",", group = "." }"#,
    r#"{ op = "date", formats = ["%d-%m-%Y"] }"#,
    r#"{ op = "date", format = "%d.%m.%Y" }"#,
];

const RANDOM_CONSTANTS: &[&str] =
    &[r#""ABC""#, r#""  ""#, r#""""#, "12", "12.50", "1.005", "-0.004", "true", r#""31-01-2024""#];

const RANDOM_DEFAULTS: &[&str] = &[r#""D""#, r#""0""#, r#""""#, "12", r#""  ""#, "true"];

const RANDOM_RULES: &[&str] = &[
    r#""required""#,
    r#""digits""#,
    "{ max_len = 3 }",
    r#"{ one_of = ["ST", "12"] }"#,
    r#"{ regex = "^[0-9]" }"#,
];

const RANDOM_HEAD: &str = r#"
[maps.units]
unmapped = "pass"
ignore_case = true
entries = { pcs = "ST", kg = "KG", x = "" }

[maps.strict]
unmapped = "fail"
entries = { pcs = "ST" }

[[mapping]]
source = "products"
target = "products"
"#;

/// One `[[mapping.field]]` of a product plan, often one that does not load.
fn random_rule() -> impl Strategy<Value = String> {
    let input = prop_oneof![
        3 => prop::sample::select(RANDOM_SOURCES).prop_map(|s| format!("source = \"{s}\"")),
        1 => prop::collection::vec(prop::sample::select(RANDOM_SOURCES), 1..3).prop_map(|v| {
            let v: Vec<String> = v.iter().map(|s| format!("\"{s}\"")).collect();
            format!("source = [{}]", v.join(", "))
        }),
        1 => prop::sample::select(RANDOM_CONSTANTS).prop_map(|c| format!("constant = {c}")),
    ];
    (
        (prop::sample::select(RANDOM_TARGETS), input, any::<bool>()),
        prop::collection::vec(prop::sample::select(RANDOM_TRANSFORMS), 0..3),
        prop::option::weighted(0.15, prop::sample::select(vec!["units", "strict"])),
        prop::option::weighted(0.3, prop::sample::select(RANDOM_DEFAULTS)),
        prop::collection::vec(prop::sample::select(RANDOM_RULES), 0..2),
        (prop::bool::weighted(0.2), prop::bool::weighted(0.3)),
    )
        .prop_map(|((target, input, own), transforms, map, default, rules, (keep, eur))| {
            let input = if own && !target.starts_with("meta") {
                format!("source = \"{target}\"")
            } else {
                input
            };
            let mut s = format!("\n[[mapping.field]]\ntarget = \"{target}\"\n{input}\n");
            if !transforms.is_empty() {
                s += &format!("transforms = [{}]\n", transforms.join(", "));
            }
            if let Some(m) = map {
                s += &format!("map = \"{m}\"\n");
            }
            if let Some(d) = default {
                s += &format!("default = {d}\n");
            }
            if !rules.is_empty() {
                s += &format!("validate = [{}]\n", rules.join(", "));
            }
            if keep {
                s += "keep_empty = true\n";
            }
            if eur {
                s += "currency = \"EUR\"\n";
            }
            s
        })
}

fn random_product_plan(body: &str) -> Option<MappingPlan> {
    let text = format!("{RANDOM_HEAD}{body}");
    Loader::new()
        .load_str(&text, Format::Toml, "random.toml")
        .ok()?
        .take_for(EntityKind::Product)
        .ok()
}

fn odd_text() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        prop::sample::select(vec![
            "",
            " ",
            "pcs",
            "PCS",
            "x",
            "12",
            "Hoofdstraat 12a",
            " a b ",
            "ä",
            "1,5",
            "-0.004",
            "true",
            "SKIP",
            "31-01-2024",
        ])
        .prop_map(|s| Value::String(s.into())),
        "[ a-z0-9.,-]{0,8}".prop_map(Value::String),
    ]
}

/// A custom field of any kind (or none).
fn odd_custom() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        odd_text().prop_map(|t| json!({"value": {"type": "text", "value": t}})),
        odd_text().prop_map(|t| json!({"value": {"type": "choice", "value": t}, "source": "s:1"})),
        prop::sample::select(vec!["0", "-1.50", "12", "0.005"])
            .prop_map(|n| json!({"value": {"type": "number", "value": n}})),
        any::<bool>().prop_map(|b| json!({"value": {"type": "bool", "value": b}})),
        Just(json!({"value": {"type": "date", "value": "2024-01-31"}})),
        Just(json!({"value": {"type": "json", "value": null}})),
        Just(json!({"value": {"type": "json", "value": [1, "a"]}})),
        Just(json!({"value": {"type": "json", "value": {"amount": "1.5", "currency": "usd"}}})),
        Just(json!({"value": {"type": "json", "value": 1.50}})),
    ]
    .prop_map(|c| {
        if c["value"]["value"].is_null() && c["value"]["type"] != "json" { Value::Null } else { c }
    })
}

/// Products with odd text, amounts at the edges of `Decimal`, any custom fields.
fn odd_product() -> impl Strategy<Value = Product> {
    let money =
        || {
            prop_oneof![
            Just(Value::Null),
            (any::<i32>(), 0u32..6, prop::sample::select(vec!["EUR", "usd"])).prop_map(
                |(n, s, c)| json!({"amount": rust_decimal::Decimal::new(n.into(), s).to_string(),
                    "currency": c})
            ),
            prop::sample::select(vec![
                "-0.004", "0.005", "-0.05", "99.995", "-0", "1e3",
                "79228162514264337593543950335", "0.0000000000000000000000000001",
            ])
            .prop_map(|a| json!({"amount": a, "currency": "EUR"})),
        ]
        };
    (
        (odd_text(), odd_text(), odd_text(), odd_text(), odd_text(), odd_text()),
        (money(), money(), prop::option::of((odd_text(), odd_text(), odd_text()))),
        (odd_custom(), odd_custom()),
    )
        .prop_map(|((sku, name, desc, unit, gtin, brand), (sales, purchase, tax), (a, b))| {
            let mut custom = Map::new();
            for (k, c) in [("a", a), ("b", b)] {
                if !c.is_null() {
                    custom.insert(k.into(), c);
                }
            }
            let sku = if sku.is_null() { json!("") } else { sku };
            let src = json!({"sku": sku, "name": name, "description": desc, "unit": unit,
                "gtin": gtin, "brand": brand, "long_description": desc, "variant_of": unit,
                "sales_price": sales, "purchase_price": purchase,
                "tax_rate": tax.map(|(i, k, n)| json!({"id": i, "key": k, "name": n})),
                "meta": {"custom": custom}});
            serde_json::from_value(src).expect("a product")
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, .. ProptestConfig::default() })]

    /// Plans of up to four random rules (those that load) and a random skip rule, on odd
    /// products: the typed lane (most of these plans take it) gives what the JSON gives.
    #[test]
    fn random_product_plans_give_the_same_on_both_routes(
        rules in prop::collection::vec(random_rule(), 1..5),
        skip in prop::option::weighted(0.3, (prop::sample::select(RANDOM_SOURCES), 0u8..4)),
        products in prop::collection::vec(odd_product(), 4),
    ) {
        let mut body = String::new();
        if let Some((p, kind)) = skip {
            body += &match kind {
                0 => format!("\n[[mapping.skip]]\nall_empty = [\"{p}\", \"name\"]\nreason = \"a\"\n"),
                1 => format!("\n[[mapping.skip]]\nany_empty = [\"{p}\"]\nreason = \"b\"\n"),
                2 => format!("\n[[mapping.skip]]\npath = \"{p}\"\nnot_one_of = [\"SKIP\", \"\", \"12\"]\nreason = \"c\"\n"),
                _ => format!("\n[[mapping.skip]]\npath = \"{p}\"\none_of = [\"SKIP\", \"true\", \"0\"]\nreason = \"d\"\n"),
            };
        }
        for r in rules.iter().filter(|r| random_product_plan(r).is_some()) {
            body += r;
        }
        let Some(plan) = random_product_plan(&body) else { return Ok(()) };
        for p in &products {
            let (typed, json) = both_product_routes(&plan, p);
            prop_assert_eq!(&typed, &json, "typed lane: {}\n{}\non {}", plan.maps_typed(), body,
                serde_json::to_string(p).unwrap());
        }
    }

    /// `round` at any scale and mode: the lane's `Decimal` arithmetic gives what the JSON
    /// route's rounding of the amount's text gives.
    #[test]
    fn rounding_a_price_at_any_scale_gives_the_same_on_both_routes(
        neg in any::<bool>(),
        int in "(0|[1-9][0-9]{0,20})",
        frac in proptest::option::of("[0-9]{1,26}"),
        scale in 0u32..29,
        mode in prop::sample::select(vec!["half_even", "half_up", "down", "up"]),
    ) {
        let s = format!("{}{int}{}", if neg { "-" } else { "" },
            frac.map(|f| format!(".{f}")).unwrap_or_default());
        let Ok(d) = s.parse::<rust_decimal::Decimal>() else { return Ok(()) };
        let plan = plan_for(EntityKind::Product, &format!(r#"
source = "products"
target = "products"

[[field]]
target = "sales_price"
source = "sales_price"
transforms = [{{ op = "round", scale = {scale}, mode = "{mode}" }}]
"#), "round.toml");
        prop_assert!(plan.maps_typed());
        let p: Product = serde_json::from_value(json!({"sku": "1",
            "sales_price": {"amount": d.to_string(), "currency": "EUR"}})).unwrap();
        let (typed, json) = both_product_routes(&plan, &p);
        prop_assert_eq!(typed, json, "{} to {} ({})", d, scale, mode);
    }
}

/// A product plan that reads, writes or skips on any field the lane does not know (or reads
/// a tax rate or currency from the record) takes the JSON route; one that only adds a known
/// rule to it does not.
#[test]
fn product_plans_touching_unknown_fields_take_the_json_route() {
    let known = "\n[[field]]\ntarget = \"name\"\nsource = \"name\"\ntransforms = [\"trim\"]\n";
    let unknown = [
        "[[field]]\ntarget = \"tax_percent\"\nconstant = \"21\"",
        "[[field]]\ntarget = \"kind\"\nconstant = \"service\"",
        "[[field]]\ntarget = \"categories[0]\"\nsource = \"brand\"",
        "[[field]]\ntarget = \"meta.raw.X\"\nsource = \"brand\"",
        "[[field]]\ntarget = \"sales_price.amount\"\nsource = \"sales_price.amount\"",
        "[[field]]\ntarget = \"sales_price.currency\"\nconstant = \"USD\"",
        "[[field]]\ntarget = \"tax_rate\"\nsource = \"tax_rate\"",
        "[[field]]\ntarget = \"sold\"\nconstant = false",
        "[[field]]\ntarget = \"variants[0].sku\"\nsource = \"sku\"",
        "[[field]]\ntarget = \"images[0].url\"\nsource = \"brand\"",
        "[[field]]\ntarget = \"meta.custom.k.value.value\"\nsource = \"brand\"",
        "[[field]]\ntarget = \"brand\"\nsource = \"categories[0]\"",
        "[[field]]\ntarget = \"brand\"\nsource = \"meta.raw.Brand\"",
        "[[field]]\ntarget = \"brand\"\nsource = \"sales_price.currency\"",
        "[[field]]\ntarget = \"brand\"\nsource = \"kind\"",
        "[[field]]\ntarget = \"sales_price\"\nsource = \"sales_price\"\ntransforms = [{ op = \"add_tax\", rate_from = \"tax_percent\" }]",
        "[[field]]\ntarget = \"purchase_price\"\nsource = \"meta.custom.cost.value.value\"\ncurrency_from = \"meta.custom.currency\"",
        "[[skip]]\npath = \"kind\"\none_of = [\"service\"]\nreason = \"r\"",
        "[[skip]]\nall_empty = [\"categories\"]\nreason = \"r\"",
        "[[skip]]\nany_empty = [\"meta.raw.X\"]\nreason = \"r\"",
        "[[skip]]\npath = \"sales_price.currency\"\nnot_one_of = [\"EUR\"]\nreason = \"r\"",
    ];
    let head = "source = \"products\"\ntarget = \"products\"\n";
    assert!(plan_for(EntityKind::Product, &format!("{head}{known}"), "known.toml").maps_typed());
    let p: Product = serde_json::from_value(json!({"sku": "A-1", "name": " n ", "brand": "b",
        "kind": "service", "categories": ["c"], "tax_percent": "24",
        "sales_price": {"amount": "10", "currency": "EUR"},
        "meta": {"raw": {"X": 1, "Brand": "rb"},
            "custom": {"cost": {"value": {"type": "number", "value": "2"}},
                "currency": {"value": {"type": "text", "value": "usd"}}}}}))
    .unwrap();
    for rule in unknown {
        let plan =
            plan_for(EntityKind::Product, &format!("{head}{known}\n{rule}\n"), "unknown.toml");
        assert!(plan.applies_in_place() && !plan.maps_typed(), "{rule}");
        let (typed, json) = both_product_routes(&plan, &p);
        assert_eq!(typed, json, "{rule}");
    }
}

/// Each typed plan maps only records of its own entity; a product plan on a customer (or the
/// other way round) is refused, not mapped on the wrong struct.
#[test]
fn the_typed_lane_maps_only_its_own_entity() {
    let products = product_corners();
    let customers = corners();
    assert!(products.maps_typed() && customers.maps_typed());
    let p: Product = serde_json::from_value(json!({"sku": "AB-12", "name": "drill"})).unwrap();
    let c: Customer =
        serde_json::from_value(json!({"number": "C1", "emails": [{"address": "a@b.c"}]})).unwrap();
    assert!(products.apply_entity(c.clone(), "C1").is_err());
    assert!(customers.apply_entity(p.clone(), "AB-12").is_err());
    let Ok(Mapped::Record(out)) = products.apply_entity(p, "AB-12") else { panic!("maps") };
    assert_eq!(out.sku, "12");
    let Ok(Mapped::Record(out)) = customers.apply_entity(c, "C1") else { panic!("maps") };
    assert_eq!(out.language.as_deref(), Some("nl"));
}

/// A hook works on the record's JSON: a plan with one takes the JSON route.
#[test]
fn a_plan_with_a_hook_takes_the_json_route() {
    let plan = customer_plan(OVERLAPPING, "overlap.toml");
    assert!(plan.maps_typed());
    let plan = plan.with_hook("mark", |_, out| {
        out["notes"] = json!("hooked");
        Ok(())
    });
    assert!(!plan.maps_typed());
    let c: Customer = serde_json::from_value(json!({"number": "12", "name": "Acme"})).unwrap();
    let Ok(Mapped::Record(out)) = plan.apply_entity(c, "12") else { panic!("maps") };
    assert_eq!(out.notes.as_deref(), Some("hooked"));
}
