//! A real connector behind it: Xero, on its simulator.

use connector_core::system::{Options, Registry, System};
use connector_superoffice::ResponseState;
use connector_xero::XeroSystem;

use crate::support::{GUID, serve};

async fn xero() -> (Box<dyn connector_core::system::RunningSimulator>, Options) {
    let sim = XeroSystem.simulate(0, &Options::new()).await.unwrap();
    let options = sim.options();
    (sim, options)
}

fn registry() -> Registry {
    let mut r = Registry::new();
    r.register(XeroSystem);
    r
}

#[tokio::test]
async fn superoffice_links_imports_and_polls_a_xero_organisation() {
    let (_sim, options) = xero().await;
    let (_server, eis, _) = serve(registry(), &["xero"]).await;

    // The connection dialog shows Xero's settings; secrets are password fields.
    let config = eis.get_config_data().await.unwrap();
    let kind_of = |key: &str| {
        config
            .fields()
            .into_iter()
            .find(|f| f.child_text("FieldKey") == Some(key))
            .and_then(|f| f.child_text("FieldType").map(str::to_owned))
    };
    assert_eq!(kind_of("client_secret").as_deref(), Some("Password"));
    assert_eq!(kind_of("refresh_token").as_deref(), Some("Password"));
    assert_eq!(kind_of("tenant_id").as_deref(), Some("Text"));
    // A setting naming a file on this server is never offered to (or taken from) SuperOffice.
    assert_eq!(kind_of("token_file"), None);

    // "Test ERP link", save, and the test SuperOffice runs after saving.
    let info: Vec<(&str, &str)> = options.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let tested = eis.test_config_data(&info).await.unwrap();
    assert!(tested.status.is_ok(), "{:?}", tested.status);
    assert!(eis.save_connection(GUID, &info).await.unwrap().status.is_ok());
    assert!(eis.test_connection(GUID).await.unwrap().status.is_ok());
    assert_eq!(eis.supported_actor_types(GUID).await.unwrap().items(), ["Customer", "Person"]);
    let fields = eis.actor_type_fields(GUID, "Customer").await.unwrap().field_keys();
    assert!(
        fields.iter().any(|f| f == "name") && fields.iter().any(|f| f == "email"),
        "{fields:?}"
    );

    // Import from ERP: searchable fields, advanced search, then the actors by key.
    let imported = eis.import(GUID, "Customer", "bay").await.unwrap();
    assert_eq!(imported.len(), 1, "{imported:?}");
    let bayside = &imported[0];
    assert_eq!(bayside.erp_key, "5b96e86b-418e-48e8-8949-308c14aec278");
    assert_eq!(bayside.value("name"), Some("Bayside Club"));
    assert_eq!(bayside.value("number"), Some("C-1001"));
    assert!(bayside.last_modified.starts_with("[DT:"), "{}", bayside.last_modified);

    // The sync loop: everything changed since a date, then nothing older than the newest.
    let all = eis
        .actors_by_timestamp(GUID, "Customer", "[DT:01/01/2000 00:00:00.0000000]", &[])
        .await
        .unwrap();
    let status = all.status.clone();
    let all = all.actors();
    assert!(all.len() >= 3, "{all:?} {status:?}");
    let newest = all
        .iter()
        .map(|a| connector_superoffice::values::parse_datetime(&a.last_modified).unwrap())
        .max()
        .unwrap();
    let later =
        connector_superoffice::values::encode_datetime(newest + chrono::Duration::milliseconds(1));
    let name = ["name".to_owned()];
    assert!(
        eis.actors_by_timestamp(GUID, "Customer", &later, &name).await.unwrap().actors().is_empty()
    );

    // A change made in SuperOffice reaches Xero and comes back in the next poll, alone.
    let mut change = bayside.clone();
    change.field_values = vec![("phone".into(), "+64 9 555 0100".into())];
    let saved = eis.save_actors(GUID, &[change]).await.unwrap();
    assert!(saved.status.is_ok(), "{:?}", saved.status);
    let again = eis.actors_by_timestamp(GUID, "Customer", &later, &name).await.unwrap().actors();
    assert_eq!(again.len(), 1, "{again:?}");
    assert_eq!(again[0].erp_key, bayside.erp_key);
    assert_eq!(again[0].field_values, vec![("name".to_owned(), "Bayside Club".to_owned())]);
}

#[tokio::test]
async fn test_erp_link_with_a_wrong_secret_says_what_to_fix_without_quoting_it() {
    let (_sim, mut options) = xero().await;
    options.insert("client_secret".into(), "not-the-secret-42".into());
    let (_server, eis, _) = serve(registry(), &["xero"]).await;
    let info: Vec<(&str, &str)> = options.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let tested = eis.test_config_data(&info).await.unwrap();
    assert_eq!(tested.status.state, ResponseState::Error);
    let user = &tested.status.user_explanation;
    assert!(
        user.starts_with("US:\"xero connection test failed") && user.contains("credentials"),
        "{user}"
    );
    let all = format!("{:?}", tested.status);
    assert!(!all.contains("not-the-secret-42"), "{all}");
}

#[tokio::test]
async fn two_organisations_served_with_one_app_keep_their_own_rotating_tokens() {
    let (_one, first) = xero().await;
    let (_two, second) = xero().await;
    assert_eq!(first["client_id"], second["client_id"], "one app");
    let (_server, eis, _) = serve(registry(), &["xero"]).await;
    let a = "0f8fad5b-d9cb-469f-a165-70867728950e";
    let first: Vec<(&str, &str)> = first.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let second: Vec<(&str, &str)> = second.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert!(eis.save_connection(GUID, &first).await.unwrap().status.is_ok());
    assert!(eis.save_connection(a, &second).await.unwrap().status.is_ok());
    // Each test rotates its organisation's refresh token; neither spends the other's.
    for guid in [GUID, a, GUID, a] {
        let tested = eis.test_connection(guid).await.unwrap();
        assert!(tested.status.is_ok(), "{guid}: {:?}", tested.status);
    }
}
