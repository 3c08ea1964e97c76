//! Create, get, save and poll by timestamp: exact values survive every hop.

use chrono::{TimeZone, Utc};
use connector_core::model::{Currency, Customer, Money};
use connector_superoffice::carriers::Restriction;
use connector_superoffice::values::{encode_datetime, parse_datetime};
use connector_superoffice::{ErpActor, ResponseState};
use rust_decimal::Decimal;

use crate::support::{GUID, desk};

fn actor(values: &[(&str, &str)]) -> ErpActor {
    ErpActor {
        actor_type: "Customer".into(),
        erp_key: String::new(),
        last_modified: String::new(),
        parent_actor_type: None,
        parent_erp_key: None,
        field_values: values.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
    }
}

#[tokio::test]
async fn create_get_save_and_poll_keep_exact_values() {
    let (desk, _server, eis) = desk().await;
    let before = Utc::now() - chrono::Duration::seconds(1);

    // Created from SuperOffice, with a non-ASCII name and an exact decimal.
    let created = eis
        .create_actor(
            GUID,
            &actor(&[
                ("name", "Ærø Fiskeri & Søn ÅB — „Ölgården“"),
                ("currency", "DKK"),
                ("credit_limit", "[F:1234567.89]"),
                ("active", "[I:1]"),
            ]),
        )
        .await
        .unwrap();
    assert!(created.status.is_ok(), "{:?}", created.status);
    let created = created.actor().unwrap();
    assert_eq!(created.erp_key, "D-1");
    let held = desk.get("D-1").unwrap();
    assert_eq!(held.name.as_deref(), Some("Ærø Fiskeri & Søn ÅB — „Ölgården“"));
    assert_eq!(
        held.credit_limit,
        Some(Money::new(Decimal::new(123456789, 2), Currency::new("DKK").unwrap()))
    );

    // Read back by key: the same values, and a LastModified after the create.
    let got = eis.get_actors(GUID, "Customer", &["D-1".to_owned()], &[]).await.unwrap().actors();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].value("name"), Some("Ærø Fiskeri & Søn ÅB — „Ölgården“"));
    assert_eq!(got[0].value("credit_limit"), Some("[F:1234567.89]"));
    assert!(parse_datetime(&got[0].last_modified).unwrap() >= before);

    // Saved from SuperOffice: a new limit, the name kept.
    let mut changed = got[0].clone();
    changed.field_values = vec![("credit_limit".into(), "[F:0.10]".into())];
    let saved = eis.save_actors(GUID, &[changed]).await.unwrap();
    assert!(saved.status.is_ok(), "{:?}", saved.status);
    let held = desk.get("D-1").unwrap();
    assert_eq!(held.credit_limit.unwrap().amount.to_string(), "0.10");
    assert_eq!(held.name.as_deref(), Some("Ærø Fiskeri & Søn ÅB — „Ölgården“"));

    // The poll from before the create sees it with the saved value; one from after its
    // LastModified does not.
    let polled = eis
        .actors_by_timestamp(GUID, "Customer", &encode_datetime(before), &[])
        .await
        .unwrap()
        .actors();
    assert_eq!(polled.len(), 1);
    assert_eq!(polled[0].value("credit_limit"), Some("[F:0.10]"));
    let later = parse_datetime(&polled[0].last_modified).unwrap() + chrono::Duration::seconds(1);
    let none = eis
        .actors_by_timestamp(GUID, "Customer", &encode_datetime(later), &[])
        .await
        .unwrap()
        .actors();
    assert!(none.is_empty(), "{none:?}");

    // A second create of the same customer number links to the first instead.
    let first = eis
        .create_actor(GUID, &actor(&[("number", "K-7"), ("name", "Seven")]))
        .await
        .unwrap()
        .actor()
        .unwrap();
    let again =
        eis.create_actor(GUID, &actor(&[("number", "K-7"), ("name", "Seven")])).await.unwrap();
    assert_eq!(again.status.state, ResponseState::OkWithInfo);
    assert_eq!(again.actor().unwrap().erp_key, first.erp_key);
    assert_eq!(desk.len(), 2);
}

#[tokio::test]
async fn polls_resume_from_the_sources_cursor_and_people_follow_their_customer() {
    let (desk, _server, eis) = desk().await;
    let t0 = Utc.with_ymd_and_hms(2024, 3, 1, 8, 0, 0).unwrap();
    let mut acme =
        Customer { name: Some("Acme Oy".into()), number: Some("A-1".into()), ..Default::default() };
    acme.contacts.push(connector_core::model::ContactPerson {
        first_name: Some("Päivi".into()),
        last_name: Some("Länsimäki".into()),
        ..Default::default()
    });
    desk.insert(acme, t0);
    let first = eis
        .actors_by_timestamp(GUID, "Person", "[DT:01/01/2024 00:00:00.0000000]", &[])
        .await
        .unwrap()
        .actors();
    assert_eq!(first.len(), 1);
    assert_eq!(
        (first[0].erp_key.as_str(), first[0].parent_erp_key.as_deref()),
        ("D-1/1", Some("D-1"))
    );

    // A person created under the customer, then found by parent.
    let mut person = actor(&[("first_name", "Jyrki"), ("last_name", "Ääri")]);
    person.actor_type = "Person".into();
    person.parent_actor_type = Some("Customer".into());
    person.parent_erp_key = Some("D-1".into());
    let made = eis.create_actor(GUID, &person).await.unwrap();
    assert!(made.status.is_ok(), "{:?}", made.status);
    assert_eq!(made.actor().unwrap().erp_key, "D-1/2");
    let people =
        eis.search_by_parent(GUID, "Person", "Customer", "D-1", "").await.unwrap().actors();
    assert_eq!(people.len(), 2, "{people:?}");

    // The next poll from the first poll's time resumes from the cursor and sees the change.
    let next = eis
        .actors_by_timestamp(GUID, "Customer", &encode_datetime(t0), &[])
        .await
        .unwrap()
        .actors();
    assert_eq!(next.len(), 1);

    // Advanced search with SuperOffice's operators.
    let hit = |op: &str, v: &str| Restriction {
        field_key: "name".into(),
        operator: op.into(),
        values: vec![v.into()],
    };
    let found = eis
        .search_advanced(GUID, "Customer", &[hit("contains", "%me o%")], &[])
        .await
        .unwrap()
        .actors();
    assert_eq!(found.len(), 1);
    let none = eis
        .search_advanced(GUID, "Customer", &[hit("notbegins", "ac")], &[])
        .await
        .unwrap()
        .actors();
    assert!(none.is_empty());
    let bad = eis
        .search_advanced(
            GUID,
            "Customer",
            &[Restriction {
                field_key: "colour".into(),
                operator: "=".into(),
                values: vec!["red".into()],
            }],
            &[],
        )
        .await
        .unwrap();
    assert_eq!(bad.status.state, ResponseState::Error);
    assert!(bad.status.user_explanation.contains("`colour`"), "{:?}", bad.status);

    // Keys SuperOffice holds that the system no longer has are named, not an error.
    let partly =
        eis.get_actors(GUID, "Customer", &["D-1".into(), "D-9".into()], &[]).await.unwrap();
    assert_eq!(partly.status.state, ResponseState::OkWithInfo);
    assert!(partly.status.user_explanation.contains("D-9"));
    assert_eq!(partly.actors().len(), 1);
}

#[tokio::test]
async fn a_bad_value_from_superoffice_names_the_field_and_changes_nothing() {
    let (desk, _server, eis) = desk().await;
    let answer = eis
        .create_actor(
            GUID,
            &actor(&[("name", "X"), ("currency", "EUR"), ("credit_limit", "[F:lots]")]),
        )
        .await
        .unwrap();
    assert_eq!(answer.status.state, ResponseState::Error);
    assert!(answer.status.user_explanation.contains("credit_limit"), "{:?}", answer.status);
    assert_eq!(desk.len(), 0);
}

#[tokio::test]
async fn simple_search_and_lists_answer_as_superoffice_expects() {
    let (desk, _server, eis) = desk().await;
    for (name, number) in
        [("Nordlys AS", "N-1"), ("Sørlandet Bygg", "S-2"), ("Nordic Tools", "N-3")]
    {
        desk.insert(
            Customer { name: Some(name.into()), number: Some(number.into()), ..Default::default() },
            Utc::now(),
        );
    }
    // The connect dialog's automatic search with the CRM name, without case.
    let found = eis.search_actors(GUID, "Customer", "nord").await.unwrap().actors();
    let mut names: Vec<&str> = found.iter().filter_map(|a| a.value("name")).collect();
    names.sort_unstable();
    assert_eq!(names, ["Nordic Tools", "Nordlys AS"]);
    assert!(
        eis.search_actors(GUID, "Project", "x").await.unwrap().status.state == ResponseState::Error
    );

    // Lists, also with the empty GUID the connection dialog uses.
    let empty = "00000000-0000-0000-0000-000000000000";
    let systems = eis.get_list(empty, "ErpSystems").await.unwrap().list_items();
    assert_eq!(systems, [("desk".to_owned(), "customers at a desk".to_owned())]);
    let kinds =
        eis.get_list_items(GUID, "CustomerKinds", &["person".into()]).await.unwrap().list_items();
    assert_eq!(kinds, [("person".to_owned(), "Person".to_owned())]);
    let unknown = eis.get_list(GUID, "Colours").await.unwrap();
    assert_eq!(unknown.status.state, ResponseState::Error);
    assert!(unknown.status.user_explanation.contains("Colours"));
}
