//! The mapping crate in the facade: every example mapping loads; a mapping step in a real
//! flow leaves create-only fields out of updates and never blanks a field with an empty
//! source value; a customer mapping on the typed lane maps, skips and quarantines in a flow;
//! flow files take a `mapping` and report its problems with positions.

use std::sync::Arc;

use connector_sdk::flow::{Flow, RunMode};
use connector_sdk::flowfile::FlowFile;
use connector_sdk::mapping::{Format, Loader};
use connector_sdk::memory::{IterSource, MemorySink};
use connector_sdk::model::{Customer, Product};
use connector_sdk::state::MemoryStore;
use connector_sdk::{EntityKind, ErrorKind};

#[test]
fn every_example_mapping_loads_and_compiles() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/mappings");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("toml" | "json")))
        .collect();
    files.sort();
    let names: Vec<String> =
        files.iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
    for expected in [
        "apicenter.toml",
        "parts-pim-accountview.toml",
        "procountor.toml",
        "skynamo-link.toml",
        "superoffice.toml",
    ] {
        assert!(names.iter().any(|n| n == expected), "{expected} is missing from {names:?}");
    }
    for file in &files {
        let set =
            Loader::new().load_file(file).unwrap_or_else(|e| panic!("{}:\n{e}", file.display()));
        assert!(!set.plans().is_empty(), "{} has no mapping", file.display());
        for plan in set.plans() {
            assert!(
                plan.rule_count() > 0 || !plan.is_enabled(),
                "{}: `{}` has no rules",
                file.display(),
                plan.name()
            );
        }
    }
}

const PRODUCTS: &str = r#"
source = "products"
target = "products"

[[field]]
target = "name"
source = "name"
transforms = ["trim"]

[[field]]
target = "description"
source = "description"
transforms = ["trim"]

[[field]]
target = "long_description"
source = "long_description"
create_only = true

[[field]]
target = "sku"
source = "sku"
validate = ["digits"]
"#;

fn product(sku: &str, name: &str, description: &str, long: &str) -> Product {
    Product {
        sku: sku.into(),
        name: Some(name.into()),
        description: Some(description.into()),
        long_description: Some(long.into()),
        ..Default::default()
    }
}

#[tokio::test]
async fn updates_leave_create_only_fields_alone_and_empty_values_do_not_blank() {
    let mut set = Loader::new().load_str(PRODUCTS, Format::Toml, "products.toml").unwrap();
    let plan = Arc::new(set.take_for(EntityKind::Product).unwrap());
    let state = Arc::new(MemoryStore::new());
    let sink = Arc::new(MemorySink::<Product>::new("target"));
    let flow = |records: Vec<Product>| {
        let prepare = plan.prepare_update::<Product>();
        assert!(prepare.is_some());
        Flow::builder(
            "products",
            Arc::new(IterSource::from_vec("source", records)),
            sink.clone(),
            state.clone(),
        )
        .step(plan.step::<Product>().unwrap())
        .configure(|o| o.prepare_update = prepare)
        .build()
    };

    // Create: every mapped field is sent, the long description included.
    let report = flow(vec![product("100", " Widget ", "Short", "Long, written at create")])
        .run(RunMode::Full)
        .await;
    assert_eq!(report.counts.created, 1, "{report:?}");
    let created = sink.records()["100"].record.clone();
    assert_eq!(created.name.as_deref(), Some("Widget"));
    assert_eq!(created.long_description.as_deref(), Some("Long, written at create"));

    // Update: the source changed its long description and blanked the short one.
    let report = flow(vec![product("100", "Widget 2", "   ", "Long, changed at the source")])
        .run(RunMode::Full)
        .await;
    assert_eq!(report.counts.updated, 1, "{report:?}");
    let sent = sink.records()["100"].record.clone();
    assert_eq!(sent.name.as_deref(), Some("Widget 2"));
    assert_eq!(sent.long_description, None, "a create-only field must not be sent on update");
    assert_eq!(sent.description, None, "a blank source value must not be sent as an empty string");

    // A SKU that is not digits only is quarantined with the record, field, rule and value.
    let report = flow(vec![product("AB-1", "Bad", "x", "y")]).run(RunMode::Full).await;
    assert_eq!(report.counts.quarantined, 1, "{report:?}");
    let (key, err) = &report.errors[0];
    assert_eq!(key, "AB-1");
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert_eq!(err.record(), Some("AB-1"));
    assert_eq!(err.field(), Some("sku"));
    let shown = err.to_string();
    assert!(shown.contains("digits") && shown.contains("\"AB-1\""), "{shown}");
}

#[tokio::test]
async fn skip_rules_and_the_switch_become_skips_in_the_engine() {
    let text = r#"
source = "products"
target = "products"

[[skip]]
all_empty = ["name"]
reason = "rows without a name are dropped"
"#;
    let plan = Arc::new(
        Loader::new()
            .load_str(text, Format::Toml, "p.toml")
            .unwrap()
            .take_for(EntityKind::Product)
            .unwrap(),
    );
    assert!(plan.prepare_update::<Product>().is_none());
    // A skip on a field the typed lane knows: the step maps products on the struct.
    assert!(plan.maps_typed());
    let sink = Arc::new(MemorySink::<Product>::new("target"));
    let records = vec![product("1", "A", "", ""), product("2", " ", "", "")];
    let flow = Flow::builder(
        "p",
        Arc::new(IterSource::from_vec("s", records)),
        sink.clone(),
        Arc::new(MemoryStore::new()),
    )
    .step(plan.step::<Product>().unwrap())
    .build();
    let report = flow.run(RunMode::Full).await;
    assert_eq!((report.counts.created, report.counts.skipped), (1, 1), "{report:?}");
    // A mapping between other entities is refused as a step.
    let other = Arc::new(
        Loader::new().load_str("source = \"orders\"\ntarget = \"invoices\"\n[[field]]\ntarget = \"number\"\nsource = \"number\"\n", Format::Toml, "o.toml")
            .unwrap()
            .take("orders-to-invoices")
            .unwrap(),
    );
    assert!(other.step::<Product>().is_err());
}

#[test]
fn flow_files_take_a_mapping_and_report_its_errors_with_positions() {
    let dir = tempfile::tempdir().unwrap();
    let flow = |mapping: &str| {
        format!(
            "name = \"p\"\nentity = \"products\"\nmapping = \"{mapping}\"\n[source]\nsystem = \"file\"\n[sink]\nsystem = \"file\"\n"
        )
    };
    std::fs::write(dir.path().join("good.toml"), PRODUCTS).unwrap();
    std::fs::write(dir.path().join("flow.toml"), flow("good.toml")).unwrap();
    let f = FlowFile::load(dir.path().join("flow.toml")).unwrap();
    let plan = f.mapping_plan().unwrap().unwrap();
    assert_eq!(plan.create_only_fields(), vec!["long_description"]);

    std::fs::write(
        dir.path().join("bad.toml"),
        PRODUCTS.replace("source = \"description\"", "source = \"descr\""),
    )
    .unwrap();
    std::fs::write(dir.path().join("flow2.toml"), flow("bad.toml")).unwrap();
    let err = FlowFile::load(dir.path().join("flow2.toml")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    let shown = err.to_string();
    assert!(shown.contains("bad.toml:12:10: source `descr`: unknown field `descr`"), "{shown}");

    std::fs::write(dir.path().join("flow3.toml"), flow("good.toml#nope")).unwrap();
    let err = FlowFile::load(dir.path().join("flow3.toml")).unwrap_err();
    assert!(err.to_string().contains("no mapping named `nope`"), "{err}");
}

/// A customers mapping whose every field the typed lane knows runs on the `Customer` structs
/// in a flow: mapped records land, a skip rule skips, a refused value and a record the model
/// cannot hold (a phone number made empty) are quarantined, and the run goes on.
#[tokio::test]
async fn a_typed_customer_mapping_maps_skips_and_quarantines_in_a_flow() {
    let text = r#"
source = "customers"
target = "customers"

[maps.reps]
unmapped = "default"
default = "house"
entries = { JV = "jan.vermeer" }

[[skip]]
all_empty = ["name"]
reason = "rows without a name are dropped"

[[field]]
target = "number"
source = "number"
transforms = ["trim", "upper"]
validate = [{ max_len = 8 }]

[[field]]
target = "phones[0].number"
source = "phones[0].number"
transforms = [{ op = "regex_replace", pattern = "[^0-9+]", with = "" }]

[[field]]
target = "sales_rep.key"
source = "sales_rep.key"
map = "reps"

[[field]]
target = "meta.custom.segment"
source = "meta.custom.segment"
default = "retail"
"#;
    let plan = Arc::new(
        Loader::new()
            .load_str(text, Format::Toml, "c.toml")
            .unwrap()
            .take_for(EntityKind::Customer)
            .unwrap(),
    );
    assert!(plan.maps_typed());
    let customer = |number: &str, name: &str, phone: &str| -> Customer {
        serde_json::from_value(serde_json::json!({
            "number": number, "name": name, "phones": [{"number": phone}],
            "sales_rep": {"key": "JV"}
        }))
        .unwrap()
    };
    let records = vec![
        customer(" c-1 ", "Acme", "+31 (0)20-123"),
        customer("c-2", " ", "1"),
        customer("c-300000000", "Too long", "1"),
        customer("c-4", "No phone", "n/a"),
    ];
    let sink = Arc::new(MemorySink::<Customer>::new("target"));
    let flow = Flow::builder(
        "c",
        Arc::new(IterSource::from_vec("s", records)),
        sink.clone(),
        Arc::new(MemoryStore::new()),
    )
    .step(plan.step::<Customer>().unwrap())
    .build();
    let report = flow.run(RunMode::Full).await;
    let c = &report.counts;
    assert_eq!((c.created, c.skipped, c.quarantined), (1, 1, 2), "{report:?}");
    let landed = sink.records();
    let mapped = &landed.values().next().unwrap().record;
    assert_eq!(mapped.number.as_deref(), Some("C-1"));
    assert_eq!(mapped.phones[0].number, "+31020123");
    assert_eq!(mapped.sales_rep.as_ref().and_then(|r| r.key.as_deref()), Some("jan.vermeer"));
    assert_eq!(
        serde_json::to_value(&mapped.meta.custom["segment"]).unwrap(),
        serde_json::json!({"value": {"type": "text", "value": "retail"}})
    );
}
