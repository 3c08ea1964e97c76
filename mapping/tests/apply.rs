//! Applying compiled plans: copy modes, never-overwrite-with-empty, defaults, per-line rules,
//! skips, value-map policies and coverage, validation errors that name record, field, rule and
//! value, custom Rust predicates, transforms and hooks.

use connector_core::EntityKind;
use connector_core::model::{Customer, Invoice, Order};
use connector_mapping::*;
use serde_json::{Value, json};

fn load(text: &str) -> MappingSet {
    Loader::new().load_str(text, Format::Toml, "t.toml").unwrap_or_else(|e| panic!("{e}"))
}

fn record(r: Result<Applied, RecordFailure>) -> Value {
    match r {
        Ok(Applied::Record(v)) => v,
        other => panic!("expected a record, got {other:?}"),
    }
}

const CUSTOMERS: &str = r#"
[maps.reps]
unmapped = "quarantine"
entries = { JV = "jan.vermeer", PB = "piet.bos" }

[[mapping]]
source = "customers"
target = "customers"

[[skip]]
"#;

#[test]
fn copy_source_adjusts_and_blank_values_become_absent() {
    let mut set = load(
        r#"
source = "customers"
target = "customers"

[[field]]
target = "name"
source = "name"
transforms = ["trim"]

[[field]]
target = "notes"
source = "notes"
transforms = ["trim"]
keep_empty = true

[[field]]
target = "language"
constant = "fi"
"#,
    );
    let plan = set.take_for(EntityKind::Customer).unwrap();
    let src = json!({"number": "C1", "name": "   ", "notes": " ", "tax_number": "FI123", "meta": {"lifecycle": "active"}});
    let out = record(plan.apply(&src));
    assert!(out.get("name").is_none(), "a blank name must not blank the target: {out}");
    assert_eq!(out["notes"], json!(""), "keep_empty writes the empty value");
    assert_eq!(out["tax_number"], json!("FI123"), "copy = source keeps unmapped fields");
    assert_eq!(out["language"], json!("fi"));
    let c: Customer = serde_json::from_value(out).unwrap();
    assert_eq!(c.name, None);
}

#[test]
fn copy_empty_keeps_identity_only_and_maps_across_entities() {
    let mut set = load(
        r#"
[maps.country]
builtin = "country-iso-to-enum"
unmapped = "fail"

[[mapping]]
name = "order-to-invoice"
source = "orders"
target = "invoices"

[[mapping.field]]
target = "number"
source = "number"

[[mapping.field]]
target = "currency"
source = "currency"

[[mapping.field]]
target = "issue_date"
source = "meta.raw.OrderDate"
transforms = [{ op = "date", formats = ["%d.%m.%Y"] }]

[[mapping.field]]
target = "billing_address.country"
source = "billing_address.country"
map = "country"

[[mapping.each]]
source = "lines"
target = "lines"
copy = "empty"

[[mapping.each.field]]
target = "sku"
source = "sku"
validate = ["digits"]

[[mapping.each.field]]
target = "quantity"
source = "quantity"

[[mapping.each.field]]
target = "unit_price"
source = "unit_price.amount"
transforms = [{ op = "remove_tax", rate_from = "tax_percent" }, { op = "round", scale = 2, mode = "half_up" }]
currency_from = "/currency"
"#,
    );
    let plan = set.take("order-to-invoice").unwrap();
    let order = json!({
        "number": "SO-1", "currency": "EUR", "memo": "not copied",
        "billing_address": {"kind": "billing", "country": "FI"},
        "lines": [
            {"sku": "123", "quantity": "2", "unit_price": {"amount": "12.40", "currency": "EUR"}, "tax_percent": "24"},
            {"sku": "A-9", "quantity": "1", "unit_price": {"amount": "1", "currency": "EUR"}, "tax_percent": "24"}
        ],
        "meta": {"refs": [{"system": "shop", "id": "77"}], "raw": {"OrderDate": "04.05.2026"}}
    });
    let failure = plan.apply(&order).unwrap_err();
    assert_eq!(failure.failures.len(), 1, "{failure}");
    let f = &failure.failures[0];
    assert_eq!(
        (f.field.as_str(), f.rule.as_str(), f.value.as_deref()),
        ("lines[1].sku", "digits", Some("A-9"))
    );
    let err = failure.to_error("SO-1");
    assert_eq!(err.record(), Some("SO-1"));
    let shown = err.to_string();
    assert!(
        shown.contains("lines[1].sku") && shown.contains("digits") && shown.contains("\"A-9\""),
        "{shown}"
    );

    let mut ok = order;
    ok["lines"][1]["sku"] = json!("9");
    let out = record(plan.apply(&ok));
    assert!(out.get("memo").is_none());
    assert_eq!(out["meta"]["refs"][0]["id"], json!("77"), "identity is kept");
    assert!(out["meta"].get("raw").is_none());
    assert_eq!(out["issue_date"], json!("2026-05-04"));
    assert_eq!(out["billing_address"]["country"], json!("FINLAND"));
    assert_eq!(out["lines"][0]["unit_price"], json!({"amount": "10.00", "currency": "EUR"}));
    let inv: Invoice = serde_json::from_value(out).unwrap();
    assert_eq!(inv.lines.len(), 2);
    // The typed API does the same.
    let typed: Order = serde_json::from_value(ok).unwrap();
    let inv2: Invoice = plan.apply_typed(&typed).unwrap().unwrap();
    assert_eq!(inv2, inv);
}

#[test]
fn value_map_policies_and_coverage_report() {
    let text = |policy: &str| {
        format!(
            r#"
[maps.reps]
{policy}
entries = {{ JV = "jan.vermeer" }}

[[mapping]]
source = "customers"
target = "customers"

[[mapping.field]]
target = "sales_rep.key"
source = "meta.custom.rep"
map = "reps"
"#
        )
    };
    let src = |rep: &str| json!({"number": "C1", "meta": {"custom": {"rep": {"value": {"type": "text", "value": rep}}}}});

    let plan = load(&text("unmapped = \"fail\"")).take_for(EntityKind::Customer).unwrap();
    assert_eq!(record(plan.apply(&src("JV")))["sales_rep"]["key"], json!("jan.vermeer"));
    let f = plan.apply(&src("XX")).unwrap_err();
    assert!(!f.is_quarantine());
    assert!(f.to_error("C1").to_string().contains("mapping refused the record"));

    let plan = load(&text("unmapped = \"quarantine\"")).take_for(EntityKind::Customer).unwrap();
    for _ in 0..12 {
        let f = plan.apply(&src("ZZ")).unwrap_err();
        assert!(f.is_quarantine());
        assert!(f.to_error("C1").to_string().contains("held in quarantine"));
    }
    plan.apply(&src("JV")).unwrap();
    let report = plan.coverage();
    assert_eq!(report.count("reps", "ZZ"), 12);
    assert_eq!(report.lookups, vec![("reps".to_string(), 13)]);
    assert_eq!(
        report.to_string(),
        "12 customers used \"ZZ\" (value map `reps`), which has no mapping; policy: quarantine"
    );
    plan.reset_coverage();
    assert!(plan.coverage().is_complete());

    let plan = load(&text("default = \"house\"")).take_for(EntityKind::Customer).unwrap();
    assert_eq!(record(plan.apply(&src("XX")))["sales_rep"]["key"], json!("house"));
    assert_eq!(plan.coverage().count("reps", "XX"), 1);

    let plan = load(&text("unmapped = \"pass\"")).take_for(EntityKind::Customer).unwrap();
    assert_eq!(record(plan.apply(&src("XX")))["sales_rep"]["key"], json!("XX"));
}

#[test]
fn skip_rules_and_the_on_off_switch() {
    let mut set = load(
        r#"
[[mapping]]
source = "customers"
target = "customers"

[[mapping.skip]]
all_empty = ["name", "number"]
reason = "rows without name and code are dropped"

[[mapping.skip]]
path = "meta.lifecycle"
one_of = ["deleted"]
reason = "deleted"

[[mapping]]
name = "orders-back"
source = "orders"
target = "orders"
enabled = false

[[mapping.skip]]
path = "status"
not_one_of = ["paid"]
reason = "only paid orders"
"#,
    );
    let c = set.take_for(EntityKind::Customer).unwrap();
    assert_eq!(
        c.apply(&json!({"name": " ", "meta": {}})).unwrap(),
        Applied::Skip("rows without name and code are dropped".into())
    );
    assert!(matches!(c.apply(&json!({"number": "C1"})).unwrap(), Applied::Record(_)));
    assert_eq!(
        c.apply(&json!({"number": "C1", "meta": {"lifecycle": "deleted"}})).unwrap(),
        Applied::Skip("deleted".into())
    );
    let o = set.take("orders-back").unwrap();
    assert!(!o.is_enabled());
    let Applied::Skip(reason) = o.apply(&json!({"number": "1", "status": "paid"})).unwrap() else {
        panic!()
    };
    assert!(reason.contains("switched off"), "{reason}");
}

#[test]
fn defaults_constants_custom_fields_and_raw_json() {
    let mut set = load(
        r#"
source = "customers"
target = "customers"

[[field]]
target = "meta.custom.employee_number"
source = "meta.custom.employee_number"
default = "999999"
validate = ["digits"]

[[field]]
target = "addresses[0].lines[0]"
source = "meta.raw.BillingStreet"
transforms = ["street"]

[[field]]
target = "addresses[0].street_number"
source = "meta.raw.BillingStreet"
transforms = ["house_number"]

[[field]]
target = "name"
source = ["first_name", "last_name"]
transforms = [{ op = "concat", separator = " " }, "title"]

[[field]]
target = "credit_limit"
source = "meta.raw.Limit"
transforms = [{ op = "number", decimal = ",", group = "." }, { op = "round", scale = 2 }]
currency = "EUR"
"#,
    );
    let plan = set.take_for(EntityKind::Customer).unwrap();
    let src = json!({"number": "C1", "first_name": "jan", "last_name": "DE VRIES",
        "meta": {"raw": {"BillingStreet": "Hoofdstraat 12a", "Limit": "1.234,565"}}});
    let out = record(plan.apply(&src));
    assert_eq!(
        out["meta"]["custom"]["employee_number"],
        json!({"value": {"type": "text", "value": "999999"}})
    );
    assert_eq!(out["addresses"][0]["lines"], json!(["Hoofdstraat"]));
    assert_eq!(out["addresses"][0]["street_number"], json!("12a"));
    assert_eq!(out["name"], json!("Jan De Vries"));
    assert_eq!(out["credit_limit"], json!({"amount": "1234.56", "currency": "EUR"}));
    let c: Customer = serde_json::from_value(out).unwrap();
    assert_eq!(c.addresses[0].street_number.as_deref(), Some("12a"));

    let bad = json!({"number": "C2", "meta": {"custom": {"employee_number": {"value": {"type": "text", "value": "E-12"}}}, "raw": {"Limit": "lots"}}});
    let f = plan.apply(&bad).unwrap_err();
    let fields: Vec<(&str, &str)> =
        f.failures.iter().map(|x| (x.field.as_str(), x.rule.as_str())).collect();
    assert_eq!(
        fields,
        vec![("meta.custom.employee_number", "digits"), ("credit_limit", "number")],
        "{f}"
    );
}

#[test]
fn wrong_types_and_missing_paths_at_run_time() {
    let mut set = load(
        r#"
source = "customers"
target = "customers"

[[field]]
target = "name"
source = "meta.raw.Name"
transforms = ["upper"]
validate = ["required"]

[[field]]
target = "currency"
source = "meta.raw.Currency"

[[field]]
target = "kind"
source = "meta.raw.Kind"
"#,
    );
    let plan = set.take_for(EntityKind::Customer).unwrap();
    // Missing paths: `required` fails, the others leave the field absent.
    let f = plan.apply(&json!({"number": "C1"})).unwrap_err();
    assert_eq!(f.failures.len(), 1);
    assert_eq!(
        (f.failures[0].field.as_str(), f.failures[0].rule.as_str(), f.failures[0].value.as_deref()),
        ("name", "required", None)
    );
    // Wrong types: an object where text is expected, a bad currency and enum value.
    let f = plan
        .apply(&json!({"number": "C1", "meta": {"raw": {"Name": {"a": 1}, "Currency": "EURO", "Kind": "alien"}}}))
        .unwrap_err();
    let got: Vec<String> =
        f.failures.iter().map(|x| format!("{} {} {:?}", x.field, x.rule, x.value)).collect();
    assert_eq!(
        got,
        vec![
            "name upper Some(\"{\\\"a\\\":1}\")".to_string(),
            "currency type Some(\"EURO\")".to_string(),
            "kind type Some(\"alien\")".to_string()
        ]
    );
    assert!(f.failures[2].message.contains("not one of company, person"), "{f}");
}

#[test]
fn rust_api_predicates_transforms_and_hooks() {
    let loader = Loader::new().predicate("even_length", |s: &str| s.len() % 2 == 0).transform(
        "reverse",
        |v: &Value| match v.as_str() {
            Some(s) => Ok(Value::String(s.chars().rev().collect())),
            None => Err("text only".into()),
        },
    );
    let spec = MappingSpec::new(EntityKind::Customer, EntityKind::Customer)
        .copy(CopyMode::Empty)
        .field(FieldSpec::path("number", "number").validate(RuleSpec::Custom("even_length".into())))
        .field(
            FieldSpec::path("name", "name")
                .transform(TransformSpec::Custom { name: "reverse".into() }),
        )
        .field(FieldSpec::path("sales_rep.key", "sales_rep.key").map("reps"));
    let maps = vec![ValueMapSpec::new("reps").entry("JV", "jan").unmapped(Unmapped::Pass)];
    let plan = loader.compile_one(maps, spec).unwrap().with_hook("vip", |src, out| {
        if src["name"] == json!("VIP") {
            out["notes"] = json!("vip");
        }
        Ok(())
    });
    let out =
        record(plan.apply(&json!({"number": "C1C2", "name": "VIP", "sales_rep": {"key": "JV"}})));
    assert_eq!(
        out,
        json!({"number": "C1C2", "name": "PIV", "sales_rep": {"key": "jan"}, "notes": "vip"})
    );
    let f = plan.apply(&json!({"number": "C12", "name": 5})).unwrap_err();
    let rules: Vec<&str> = f.failures.iter().map(|x| x.rule.as_str()).collect();
    assert_eq!(rules, vec!["even_length", "custom reverse"], "{f}");
}

#[test]
fn create_only_and_update_fields_are_stripped_for_updates() {
    let mut set = load(
        r#"
source = "products"
target = "products"
update_fields = ["name", "sales_price"]

[[field]]
target = "long_description"
source = "long_description"
create_only = true
"#,
    );
    let plan = set.take_for(EntityKind::Product).unwrap();
    assert_eq!(plan.create_only_fields(), vec!["long_description"]);
    let mut v = json!({"sku": "1", "name": "A", "long_description": "L", "brand": "B", "meta": {}});
    plan.strip_for_update(&mut v);
    assert_eq!(v, json!({"sku": "1", "name": "A", "meta": {}}));
}

#[test]
fn a_top_level_skip_beside_mapping_sections_is_refused() {
    // `[[skip]]` (not `[[mapping.skip]]`) after a `[[mapping]]` belongs to the document.
    let text =
        format!("{CUSTOMERS}all_empty = [\"name\", \"number\"]\nreason = \"no name, no code\"\n");
    let errs = Loader::new().load_str(&text, Format::Toml, "x").unwrap_err();
    assert!(errs.to_string().contains("x:10:3: unknown key `skip` in the document"), "{errs}");
}
