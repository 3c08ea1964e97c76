//! Load-time checking: every problem is reported, each with file, line and column, before
//! any record flows.

use connector_mapping::{Format, LoadErrors, Loader, Location};

fn errors(text: &str, format: Format) -> LoadErrors {
    Loader::new().load_str(text, format, "test.toml").expect_err("the document should be refused")
}

fn has(errs: &LoadErrors, line: usize, column: usize, needle: &str) {
    let found = errs.errors().iter().any(|e| {
        matches!(&e.location, Location::File { file, line: l, column: c } if file == "test.toml" && *l == line && *c == column)
            && e.message.contains(needle)
    });
    assert!(found, "no error at {line}:{column} containing {needle:?} in:\n{errs}");
}

#[test]
fn collects_every_problem_with_line_and_column() {
    let text = r#"[maps.reps]
unmapped = "quarantine"
entries = { JV = "jan" }

[[mapping]]
source = "customers"
target = "customers"

[[mapping.field]]
target = "nmae"
source = "name"

[[mapping.field]]
target = "name"
source = "naem"

[[mapping.field]]
target = "tax_number"
source = "tax_number"
transforms = [{ op = "regex_replace", pattern = "([a-z", with = "" }]

[[mapping.field]]
target = "sales_rep.key"
source = "meta.custom.rep"
map = "repz"

[[mapping.field]]
target = "credit_limit"
source = "meta.raw.Since"
transforms = [{ op = "date", formats = ["%d-%m-%Y"] }]

[[mapping.field]]
target = "kind"
constant = "compnay"
"#;
    let errs = errors(text, Format::Toml);
    has(&errs, 10, 10, "unknown field `nmae`");
    has(&errs, 10, 10, "did you mean `name`?");
    has(&errs, 15, 10, "source `naem`: unknown field `naem`");
    has(&errs, 20, 15, "bad regex in `regex_replace`");
    has(&errs, 25, 7, "unknown value map `repz`; did you mean `reps`?");
    has(&errs, 28, 10, "type mismatch: `date` gives a date, but target `credit_limit` is Money");
    has(&errs, 34, 12, "constant does not fit target `kind`");
    assert_eq!(errs.errors().len(), 6, "{errs}");
    // The display lists them all, file:line:column first.
    let shown = errs.to_string();
    assert!(shown.starts_with("6 errors in mapping"), "{shown}");
    assert!(shown.contains("test.toml:10:10: target `nmae`"), "{shown}");
    // As the SDK's error: a config error.
    assert_eq!(errs.into_error().kind(), connector_core::ErrorKind::Config);
}

#[test]
fn structural_errors_are_all_reported() {
    let text = r#"colour = "red"

[maps.terms]
unmapped = "sometimes"
entries = { NET30 = "30" }

[[mapping]]
source = "widgets"
target = "customers"
copy = "partial"

[[mapping.field]]
target = "name"
source = "name"
constant = "x"
transforms = ["trim", "shout", { op = "round", scale = 2, mode = "nearest" }]
validate = ["required", { max_length = 3 }]
"#;
    let errs = errors(text, Format::Toml);
    has(&errs, 1, 1, "unknown key `colour` in the document");
    has(&errs, 4, 12, "unmapped must be fail, default, quarantine or pass");
    has(&errs, 8, 10, "unknown entity `widgets`");
    has(&errs, 10, 8, "copy must be \"source\" or \"empty\"");
    has(&errs, 15, 12, "either `source` or `constant`, not both");
    has(&errs, 16, 23, "unknown transform `shout`");
    has(&errs, 16, 66, "round mode must be half_even, half_up, down or up");
    has(&errs, 17, 25, "unknown rule `max_length`");
}

#[test]
fn syntax_errors_have_positions() {
    let errs = errors("[[mapping]]\nsource = \"customers\"\ntarget = \n", Format::Toml);
    assert_eq!(errs.errors().len(), 1);
    let Location::File { line, .. } = &errs.errors()[0].location else { panic!() };
    assert_eq!(*line, 3, "{errs}");
    assert!(errs.errors()[0].message.starts_with("TOML syntax"), "{errs}");

    let errs = errors(
        "{\n  \"source\": \"customers\",\n  \"target\": \"customers\"\n  \"field\": []\n}",
        Format::Json,
    );
    let Location::File { line, column, .. } = &errs.errors()[0].location else { panic!() };
    assert_eq!((*line, *column), (4, 3), "{errs}");
    assert!(errs.errors()[0].message.contains("expected `,` or `}`"), "{errs}");
}

#[test]
fn json_documents_report_positions_too() {
    let text = r#"{
  "source": "products",
  "target": "products",
  "field": [
    { "target": "sku", "source": "sku", "validate": ["digits"] },
    { "target": "long_description", "source": "description", "create_only": true },
    { "target": "sku", "source": "skew" },
    { "target": "sales_price", "source": "sales_price.amount" }
  ]
}"#;
    let errs = errors(text, Format::Json);
    has(&errs, 7, 34, "source `skew`: unknown field `skew`");
    has(&errs, 8, 17, "a plain number needs `currency`");
    assert_eq!(errs.errors().len(), 2, "{errs}");
}

#[test]
fn semantic_checks() {
    let text = r#"[maps.vat]
entries = { H = "21" }

[[mapping]]
source = "products"
target = "products"
update_fields = ["name", "prise"]

[[mapping.field]]
target = "sku"
source = "sku"
create_only = true

[[mapping.field]]
target = "tax_percent"
source = "tax_rate.key"
transforms = [{ op = "divide", by = 0 }]

[[mapping.field]]
target = "description"
source = "name"
validate = [{ regex = "(" }, { custom = "no_such_check" }]

[[mapping.field]]
target = "name"
source = ["name", "brand"]
transforms = ["upper"]

[[mapping.field]]
target = "unit"
source = "unit"
currency = "EUR"

[[mapping.each]]
source = "categories"
target = "categories"
"#;
    let errs = errors(text, Format::Toml);
    has(&errs, 7, 17, "update_fields: unknown field `prise`");
    has(&errs, 12, 15, "`sku` cannot be create-only");
    has(&errs, 17, 15, "divide by zero");
    has(&errs, 22, 13, "bad regex in rule");
    has(&errs, 22, 30, "unknown predicate `no_such_check`");
    has(&errs, 27, 15, "type mismatch: `upper` takes text");
    has(&errs, 32, 12, "`currency` only applies to Money targets");
    has(&errs, 35, 10, "each source `categories` must be a list of records");
}

#[test]
fn builder_errors_name_the_mapping_and_field() {
    use connector_core::EntityKind;
    use connector_mapping::{FieldSpec, MappingSpec, TransformSpec};
    let spec = MappingSpec::new(EntityKind::Customer, EntityKind::Customer)
        .name("crm")
        .field(FieldSpec::path("name", "nope"))
        .field(
            FieldSpec::path("name", "name")
                .transform(TransformSpec::RegexExtract { pattern: "[".into(), group: None }),
        );
    let errs = Loader::new().compile_one(vec![], spec).unwrap_err();
    assert_eq!(errs.errors().len(), 2, "{errs}");
    assert_eq!(
        errs.errors()[0].location,
        Location::Builder("mapping `crm`, field #1 (`name`)".into())
    );
    assert!(errs.errors()[1].message.contains("bad regex"), "{errs}");
}
