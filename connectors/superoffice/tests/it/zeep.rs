//! A real SOAP toolchain consumes the WSDL: Python's zeep builds a client from `?wsdl` and
//! calls `WSGetSupportedActorTypes` and `WSGetActorsByTimestamp`. The interpreter is
//! `CONNECTOR_ZEEP_PYTHON` (default `python3`); without zeep the test is skipped unless
//! `CONNECTOR_REQUIRE_ZEEP` is set (CI sets it, so it never skips there).

use std::process::Command;

use chrono::Utc;
use connector_core::model::{Currency, Customer, Money};
use rust_decimal::Decimal;

use crate::support::{GUID, desk};

fn python() -> Option<String> {
    let python = std::env::var("CONNECTOR_ZEEP_PYTHON").unwrap_or_else(|_| "python3".into());
    let has_zeep = Command::new(&python)
        .args(["-c", "import zeep"])
        .output()
        .is_ok_and(|o| o.status.success());
    if has_zeep {
        return Some(python);
    }
    assert!(
        std::env::var_os("CONNECTOR_REQUIRE_ZEEP").is_none(),
        "CONNECTOR_REQUIRE_ZEEP is set but `{python}` cannot import zeep"
    );
    eprintln!("skipped: `{python}` has no zeep (pip install zeep, or set CONNECTOR_ZEEP_PYTHON)");
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zeep_builds_a_client_from_the_wsdl_and_polls() {
    let Some(python) = python() else { return };
    let (desk, server, _eis) = desk().await;
    desk.insert(
        Customer {
            name: Some("Ærøskøbing Handel".into()),
            currency: Some(Currency::new("DKK").unwrap()),
            credit_limit: Some(Money::new(Decimal::new(100005, 2), Currency::new("DKK").unwrap())),
            ..Default::default()
        },
        Utc::now(),
    );
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/zeep/client.py");
    let url = server.url();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(python).args([script, &url, GUID]).output()
    })
    .await
    .unwrap()
    .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "zeep failed:\n{stderr}");
    let seen: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(seen["types_ok"], true, "{seen}");
    assert_eq!(seen["types"], serde_json::json!(["Customer", "Person"]));
    assert_eq!(seen["poll_state"], "Ok");
    let actor = &seen["actors"][0];
    assert_eq!(actor["ErpKey"], "D-1");
    assert_eq!(actor["values"]["name"], "Ærøskøbing Handel");
    assert_eq!(actor["values"]["credit_limit"], "[F:1000.05]");
    assert!(actor["LastModified"].as_str().unwrap().starts_with("[DT:"), "{seen}");
}
