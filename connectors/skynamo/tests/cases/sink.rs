//! Sinks.

use std::collections::BTreeMap;

use connector_core::model::{
    Currency, CustomField, CustomValue, Customer, EntityRef, Invoice, InvoiceStatus, Lifecycle,
    Money, PriceList, Product, StockLevel,
};
use connector_core::sink::{Outcome, Sink};
use connector_skynamo::simulator::{API_KEY, INSTANCE, SkynamoSimulator};
use connector_testkit::simulator::Method;
use rust_decimal::Decimal;
use serde_json::json;

use crate::support::{assert_conforms, deactivate, price_list, sink, upsert, writes};

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn customer(code: &str, name: &str, rep: Option<&str>) -> Customer {
    let mut c =
        Customer { number: Some(code.into()), name: Some(name.into()), ..Default::default() };
    c.sales_rep = rep.map(EntityRef::by_key);
    c.meta.custom.insert(
        "address".into(),
        CustomField {
            value: CustomValue::Text("148 Bay Harbour Road\nRidge Heights\n\n21391".into()),
            source: None,
        },
    );
    c
}

async fn seed_products(sim: &SkynamoSimulator, codes: &[&str]) {
    let s = sink(sim);
    let batch = codes
        .iter()
        .map(|c| {
            upsert(Product {
                sku: (*c).into(),
                name: Some(format!("Product {c}")),
                ..Default::default()
            })
        })
        .collect();
    let out = Sink::<Product>::write(&s, batch).await.unwrap();
    assert!(out.iter().all(|o| o.outcome.is_success()), "{out:?}");
}

#[tokio::test]
async fn customers_by_code_with_rep_and_custom_fields_then_patched_then_inactive() {
    let sim = SkynamoSimulator::start().await.unwrap();
    let s = sink(&sim);
    let out = Sink::<Customer>::write(
        &s,
        vec![
            upsert(customer("C-1001", "Bayside Club", Some("john.doe@example.com"))),
            upsert(customer("C-1002", "City Agency", Some("Nobody Known"))),
        ],
    )
    .await
    .unwrap();
    let get = |k: &str| out.iter().find(|o| o.key == k).unwrap().outcome.clone();
    let id = match get("C-1001") {
        Outcome::Created { target_id } => target_id,
        other => panic!("{other:?}"),
    };
    match get("C-1002") {
        Outcome::Failed { error } => assert_eq!(error.field(), Some("sales_rep")),
        other => panic!("{other:?}"),
    }
    let rec = sim.customers().get(&id).unwrap().value;
    assert_eq!(rec["assigned_users"], json!([1]));
    assert_eq!(
        rec["custom_fields"],
        json!([{"id": 12, "value": "148 Bay Harbour Road\nRidge Heights\n\n21391"}])
    );
    assert_eq!(rec["active"], true);

    // Written again without a known target id (a rerun after a crash): found by code, patched.
    let mut renamed = customer("C-1001", "Bayside Club Inc", Some("JOHN.DOE@example.com"));
    renamed.meta.lifecycle = Lifecycle::Active;
    let out = Sink::<Customer>::write(&s, vec![upsert(renamed)]).await.unwrap();
    assert_eq!(out[0].outcome, Outcome::Updated { target_id: id.clone() });
    assert_eq!(sim.customers().len(), 1);
    assert_eq!(sim.customers().get(&id).unwrap().value["name"], "Bayside Club Inc");

    // Deleted (archived) in the ERP: inactive, never deleted.
    let out = Sink::<Customer>::write(&s, vec![deactivate("C-1001", &id)]).await.unwrap();
    assert_eq!(out[0].outcome, Outcome::Deactivated { target_id: id.clone() });
    assert_eq!(sim.customers().get(&id).unwrap().value["active"], false);

    let calls = writes(&sim);
    assert!(calls.iter().all(|e| e.method != Method::PUT), "PATCH, never PUT");
    assert!(calls.iter().any(|e| e.method == Method::PATCH));
    assert!(
        sim.journal().entries().iter().all(|e| e.header("x-api-key") == Some(API_KEY)
            && e.header("x-api-client") == Some(INSTANCE))
    );
    assert_conforms(&sim);
}

#[tokio::test]
async fn arrays_of_twenty_with_one_bad_row_fail_only_that_row() {
    let sim = SkynamoSimulator::start().await.unwrap();
    let s = sink(&sim);
    let mut batch: Vec<_> = (0..20)
        .map(|i| {
            upsert(Product {
                sku: format!("P-{i:02}"),
                name: Some(format!("Product {i}")),
                ..Default::default()
            })
        })
        .collect();
    batch[7] = upsert(Product { sku: "P-07".into(), name: None, ..Default::default() });
    let out = Sink::<Product>::write(&s, batch).await.unwrap();
    assert_eq!(out.len(), 20);
    let failed: Vec<_> = out.iter().filter(|o| !o.outcome.is_success()).collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].key, "P-07");
    match &failed[0].outcome {
        Outcome::Failed { error } => {
            assert!(error.message().contains("name: is required"), "{}", error.message())
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(sim.products().len(), 19);
    for e in writes(&sim) {
        let n =
            serde_json::from_slice::<serde_json::Value>(&e.body).unwrap().as_array().unwrap().len();
        assert!(n <= 20);
    }
    let p = sim.products().find(|r| r.value["code"] == "P-01").unwrap().value;
    assert_eq!(p["order_units"][0]["name"], "Each");
    assert_eq!(p["order_units"][0]["multiplier"], 1);
}

#[tokio::test]
async fn price_lists_prices_and_stock_are_exact_and_never_price_less() {
    let sim = SkynamoSimulator::start().await.unwrap();
    seed_products(&sim, &["GB1-WHITE", "UMB-1"]).await;
    let s = sink(&sim);
    let list =
        price_list("xero-sales", &[("GB1-WHITE", "5.9500"), ("UMB-1", "19.9875"), ("NOPE", "1")]);
    let out = Sink::<PriceList>::write(&s, vec![upsert(list.clone())]).await.unwrap();
    match &out[0].outcome {
        Outcome::Failed { error } => {
            assert_eq!(error.field_errors().len(), 1);
            assert_eq!(error.field_errors()[0].field, "entries[2]");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(sim.pricelists().len(), 1);
    let price = |code: &str| {
        sim.prices().find(|r| r.value["product_code"] == code).unwrap().value["price"].to_string()
    };
    assert_eq!(price("UMB-1"), "19.9875");
    assert_eq!(price("GB1-WHITE"), "5.95");
    let mut fixed = list;
    fixed.entries.pop();
    let out = Sink::<PriceList>::write(&s, vec![upsert(fixed)]).await.unwrap();
    assert!(matches!(out[0].outcome, Outcome::Updated { .. }), "{:?}", out[0]);
    assert_eq!(sim.pricelists().len(), 1);
    assert_eq!(sim.prices().len(), 2);
    for e in writes(&sim).iter().filter(|e| e.path.ends_with("/prices")) {
        let rows: Vec<serde_json::Value> = serde_json::from_slice(&e.body).unwrap();
        assert!(rows.iter().all(|r| r.get("price").is_some()), "a price-less row deletes");
    }

    let level = |sku: &str, w: Option<&str>, q: &str| StockLevel {
        sku: sku.into(),
        warehouse: w.map(str::to_owned),
        on_hand: Some(d(q)),
        reserved: None,
        available: Some(d(q)),
        incoming: None,
        as_of: None,
        meta: Default::default(),
    };
    let out = Sink::<StockLevel>::write(
        &s,
        vec![
            upsert(level("UMB-1", None, "12.5")),
            upsert(level("GB1-WHITE", Some("CPT"), "368")),
            upsert(level("GB1-WHITE", Some("Mars"), "1")),
        ],
    )
    .await
    .unwrap();
    assert_eq!(out.iter().filter(|o| o.outcome.is_success()).count(), 2);
    let by_key: BTreeMap<String, String> =
        sim.stocklevels().all().into_iter().map(|r| (r.id, r.value["level"].to_string())).collect();
    assert_eq!(by_key.get("UMB-1|Each|null").map(String::as_str), Some("12.5"));
    assert_eq!(by_key.get("GB1-WHITE|Each|2").map(String::as_str), Some("368"));
}

#[tokio::test]
async fn invoices_are_created_once_then_patched_by_id_and_deleted_by_status() {
    let sim = SkynamoSimulator::start().await.unwrap();
    seed_products(&sim, &["UMB-1"]).await;
    let s = sink(&sim);
    Sink::<Customer>::write(
        &s,
        vec![upsert(Customer {
            number: Some("C-1001".into()),
            name: Some("Bayside".into()),
            ..Default::default()
        })],
    )
    .await
    .unwrap();
    let inv = Invoice {
        number: Some("INV-0001".into()),
        status: InvoiceStatus::Authorised,
        currency: Currency::NZD,
        issue_date: chrono::NaiveDate::from_ymd_opt(2019, 11, 14),
        party: connector_core::model::DocumentParty {
            customer: EntityRef::by_key("C-1001"),
            ..Default::default()
        },
        lines: vec![connector_core::model::DocumentLine {
            sku: Some("UMB-1".into()),
            quantity: d("1.0000"),
            net_amount: Some(Money::new(d("19.99"), Currency::NZD)),
            tax_amount: Some(Money::new(d("3.00"), Currency::NZD)),
            ..Default::default()
        }],
        totals: connector_core::model::Totals {
            total: Some(Money::new(d("187.21"), Currency::NZD)),
            ..Default::default()
        },
        ..Default::default()
    };
    let out = Sink::<Invoice>::write(&s, vec![upsert(inv.clone())]).await.unwrap();
    assert!(matches!(out[0].outcome, Outcome::Created { .. }), "{:?}", out[0]);
    let id = match &out[0].outcome {
        Outcome::Created { target_id } => target_id.clone(),
        other => panic!("{other:?}"),
    };
    // A rerun with no target id known (after a crash) finds it by external id: PATCH, not
    // a second POST (POST only creates).
    let mut paid = inv;
    paid.status = InvoiceStatus::Paid;
    let out = Sink::<Invoice>::write(&s, vec![upsert(paid)]).await.unwrap();
    assert_eq!(out[0].outcome, Outcome::Updated { target_id: id.clone() });
    assert_eq!(sim.invoices().len(), 1);
    let v = sim.invoices().all()[0].value.clone();
    assert_eq!(v["status"], "Paid");
    assert_eq!(v["total"].to_string(), "187.21");
    assert_eq!(v["items"][0]["value"].to_string(), "19.99");
    let calls = writes(&sim);
    let posts = calls.iter().filter(|e| e.path.ends_with("/invoicesbyexternalid"));
    assert_eq!(posts.clone().filter(|e| e.method == Method::POST).count(), 1);
    let patch = posts.clone().find(|e| e.method == Method::PATCH).expect("a PATCH");
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&patch.body).unwrap();
    assert_eq!(rows[0]["id"].to_string(), id);
    // Deleted in the ERP: a PATCH with the id and status Deleted.
    let out = Sink::<Invoice>::write(&s, vec![deactivate("INV-0001", &id)]).await.unwrap();
    assert_eq!(out[0].outcome, Outcome::Deactivated { target_id: id.clone() });
    assert_eq!(sim.invoices().all()[0].value["status"], "Deleted");
    assert_conforms(&sim);
    assert!(
        Sink::<Invoice>::find(&s, &connector_core::sink::LookupKey::new("external_id", "INV-0001"))
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        Sink::<Invoice>::find(&s, &connector_core::sink::LookupKey::new("external_id", "INV-9"))
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn a_wrong_key_is_a_clear_error() {
    let sim = SkynamoSimulator::start().await.unwrap();
    let mut config = sim.config();
    config.api_key = secrecy::SecretString::from("wrong");
    let s =
        connector_skynamo::SkynamoSink::new(connector_skynamo::SkynamoClient::new(config).unwrap());
    let e = Sink::<Customer>::check(&s).await.unwrap_err();
    assert_eq!(e.kind(), connector_core::ErrorKind::Permission);
    assert!(e.to_string().contains("invalid region, instance name or API key"), "{e}");
    assert!(!e.to_string().contains("wrong"));
}

#[tokio::test]
async fn custom_fields_come_from_the_customer_form_definition() {
    let sim = SkynamoSimulator::start().await.unwrap();
    let s = sink(&sim);
    let mut c = customer("C-2001", "Harbour Ltd", None);
    c.meta.custom.insert(
        "xero_account_number".into(),
        CustomField { value: CustomValue::Text("ACC-9".into()), source: None },
    );
    // A product field's name is not a customer field.
    c.meta.custom.insert(
        "xero_item_id".into(),
        CustomField { value: CustomValue::Text("x".into()), source: None },
    );
    let out = Sink::<Customer>::write(&s, vec![upsert(c.clone())]).await.unwrap();
    match &out[0].outcome {
        Outcome::Failed { error } => assert_eq!(error.field(), Some("meta.custom.xero_item_id")),
        other => panic!("{other:?}"),
    }
    c.meta.custom.remove("xero_item_id");
    let out = Sink::<Customer>::write(&s, vec![upsert(c)]).await.unwrap();
    let id = match &out[0].outcome {
        Outcome::Created { target_id } => target_id.clone(),
        other => panic!("{other:?}"),
    };
    let fields = sim.customers().get(&id).unwrap().value["custom_fields"].clone();
    assert_eq!(
        fields,
        json!([{"id": 12, "value": "148 Bay Harbour Road\nRidge Heights\n\n21391"},
               {"id": 13, "value": "ACC-9"}])
    );
    assert_eq!(sim.journal().count_call("GET", "/v1/formdefinitions"), 1, "read once");
    assert_eq!(sim.journal().count(|e| e.path == "/v1/customfields"), 0);
    assert_conforms(&sim);
}

#[tokio::test]
async fn reps_are_matched_by_login_name_or_email() {
    let sim = SkynamoSimulator::start().await.unwrap();
    let s = sink(&sim);
    let out = Sink::<Customer>::write(
        &s,
        vec![
            upsert(customer("C-1", "By login", Some("mary.kim"))),
            upsert(customer("C-2", "By name", Some("Mary Kim"))),
            upsert(customer("C-3", "By e-mail", Some("MARY.KIM@example.com"))),
        ],
    )
    .await
    .unwrap();
    assert!(out.iter().all(|o| o.outcome.is_success()), "{out:?}");
    for r in sim.customers().all() {
        assert_eq!(r.value["assigned_users"], json!([2]), "{}", r.value["code"]);
    }
    assert_conforms(&sim);
}

#[tokio::test]
async fn a_new_price_list_gets_its_prices_in_the_same_run() {
    let sim = SkynamoSimulator::start().await.unwrap();
    seed_products(&sim, &["UMB-1"]).await;
    let s = sink(&sim);
    let mut list = price_list("wholesale", &[("UMB-1", "17.50")]);
    list.tax_inclusive = true;
    let out = Sink::<PriceList>::write(&s, vec![upsert(list)]).await.unwrap();
    let list_id = match &out[0].outcome {
        Outcome::Created { target_id } => target_id.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(sim.pricelists().get(&list_id).unwrap().value["name"], "wholesale");
    let price = sim.prices().all()[0].value.clone();
    assert_eq!(price["price_list_id"].to_string(), list_id);
    assert_eq!(price["price"].to_string(), "17.5");
    assert_conforms(&sim);
}

#[tokio::test]
async fn products_are_found_by_code_without_a_filter_products_do_not_have() {
    let sim = SkynamoSimulator::start().await.unwrap();
    seed_products(&sim, &["A-1", "A-2", "B-1"]).await;
    let s = sink(&sim);
    sim.journal().clear();
    let out = Sink::<Product>::write(
        &s,
        vec![
            upsert(Product {
                sku: "A-2".into(),
                name: Some("Renamed".into()),
                ..Default::default()
            }),
            upsert(Product { sku: "C-1".into(), name: Some("New".into()), ..Default::default() }),
        ],
    )
    .await
    .unwrap();
    let outcome = |k: &str| out.iter().find(|o| o.key == k).unwrap().outcome.clone();
    let a2 = sim.products().find(|r| r.value["code"] == "A-2").unwrap();
    assert_eq!(outcome("A-2"), Outcome::Updated { target_id: a2.id.clone() });
    assert_eq!(a2.value["name"], "Renamed");
    assert_eq!(
        sim.products().find(|r| r.value["code"] == "A-1").unwrap().value["name"],
        "Product A-1"
    );
    assert!(matches!(outcome("C-1"), Outcome::Created { .. }));
    assert_eq!(sim.products().len(), 4);
    assert!(sim.journal().entries().iter().all(|e| e.query("filters").is_none()));
    let found = Sink::<Product>::find(&s, &connector_core::sink::LookupKey::new("sku", "C-1"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.target_id, sim.products().find(|r| r.value["code"] == "C-1").unwrap().id);
    assert_conforms(&sim);
}

#[tokio::test]
async fn a_filter_that_was_not_applied_is_an_error_not_an_overwrite() {
    use connector_testkit::simulator::{Fault, FaultRule, SimResponse};
    let sim = SkynamoSimulator::start().await.unwrap();
    let s = sink(&sim);
    Sink::<Customer>::write(&s, vec![upsert(customer("C-1", "First", None))]).await.unwrap();
    let first = sim.customers().all()[0].clone();
    // The lookup by code answers an unrelated customer, as an ignored filter would.
    sim.faults().add(
        FaultRule::new(Fault::Respond(SimResponse::json(
            200,
            json!({"data": [first.value], "page": {"page_number": 1, "page_size": 2,
                   "total_item_count": 1, "filtered_item_count": 1}}),
        )))
        .next(1)
        .on_path("/v1/customers")
        .on_method(Method::GET),
    );
    let out =
        Sink::<Customer>::write(&s, vec![upsert(customer("C-2", "Second", None))]).await.unwrap();
    match &out[0].outcome {
        Outcome::Failed { error } => {
            assert!(error.message().contains("not applied"), "{}", error.message())
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(sim.customers().get(&first.id).unwrap().value["name"], "First", "untouched");
    assert_eq!(sim.customers().len(), 1);
}
