//! Settings: what each system declares it takes, where option values come from (flow files,
//! `--option`, `CONNECTOR_<SYSTEM>_<KEY>` variables), and the check that names a misspelt
//! key.

use super::{Options, and_list};
use crate::error::{Error, Result};

/// One setting a system takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Setting {
    /// The option key (`client_id`); as a variable, `CONNECTOR_<SYSTEM>_<KEY>`.
    pub key: &'static str,
    /// What it is, in a line.
    pub about: &'static str,
    /// A password, token or key: shown masked, stored encrypted, never logged.
    pub secret: bool,
}

impl Setting {
    /// A plain setting.
    pub const fn new(key: &'static str, about: &'static str) -> Self {
        Self { key, about, secret: false }
    }

    /// A secret setting.
    pub const fn secret(key: &'static str, about: &'static str) -> Self {
        Self { key, about, secret: true }
    }

    /// `client_id`: an OAuth2 app's client id.
    pub const CLIENT_ID: Setting = Setting::new("client_id", "the app's client id");
    /// `client_secret`: an OAuth2 app's client secret.
    pub const CLIENT_SECRET: Setting = Setting::secret("client_secret", "the app's client secret");
    /// `refresh_token`: a refresh token from the consent flow, rotated on use.
    pub const REFRESH_TOKEN: Setting =
        Setting::secret("refresh_token", "a refresh token from the consent flow (rotates on use)");
    /// `token_file`: where a rotating refresh token is kept instead of the state store.
    pub const TOKEN_FILE: Setting = Setting::new(
        "token_file",
        "a file for the rotating refresh token (default: the state store)",
    );
}

/// The options of `system` from the environment: `CONNECTOR_<SYSTEM>_<KEY>` becomes `key`
/// (`CONNECTOR_FILE_PATH` → `path`, `CONNECTOR_EXACT_ONLINE_API_URL` → `api_url`).
pub fn options_from_env(system: &str) -> Options {
    let prefix = format!("CONNECTOR_{}_", system.to_ascii_uppercase().replace('-', "_"));
    std::env::vars()
        .filter_map(|(k, v)| k.strip_prefix(&prefix).map(|rest| (rest.to_ascii_lowercase(), v)))
        .collect()
}

/// The simulator's own settings of `system` from the environment: the `sim_*` keys of
/// [`options_from_env`] (`CONNECTOR_XERO_SIM_INVOICES` → `sim_invoices`).
pub fn simulator_options_from_env(system: &str) -> Options {
    options_from_env(system).into_iter().filter(|(k, _)| is_simulator_key(k)).collect()
}

/// The environment's options overridden by `explicit` ones.
pub fn merged_options(system: &str, explicit: &Options) -> Options {
    let mut options = options_from_env(system);
    options.extend(explicit.iter().map(|(k, v)| (k.clone(), v.clone())));
    options
}

/// Whether a key belongs to the simulator (`sim_invoices`) rather than the client.
pub(super) fn is_simulator_key(key: &str) -> bool {
    key.starts_with("sim_")
}

/// Fails on the first key `settings` does not declare, naming it, the nearest known key and
/// every known one. Simulator keys (`sim_*`) are left to the simulator.
pub(super) fn check_keys(system: &str, settings: &[Setting], options: &Options) -> Result<()> {
    for key in options.keys().filter(|k| !is_simulator_key(k)) {
        if settings.iter().any(|s| s.key == key) {
            continue;
        }
        let nearest = settings
            .iter()
            .map(|s| (edit_distance(key, s.key), s.key))
            .filter(|(d, _)| *d <= 2)
            .min();
        let hint = nearest.map(|(_, k)| format!(" (did you mean `{k}`?)")).unwrap_or_default();
        return Err(Error::config(format!(
            "{system} has no setting `{key}`{hint}; it takes {}",
            and_list(settings.iter().map(|s| s.key))
        )));
    }
    Ok(())
}

/// Levenshtein distance over bytes (keys are ASCII).
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1).min(row[j] + 1).min(diagonal + usize::from(ca != cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    const SETTINGS: &[Setting] = &[
        Setting::new("tenant_id", "the organisation"),
        Setting::secret("client_secret", "the app's secret"),
    ];

    #[test]
    fn a_misspelt_key_is_named_with_the_nearest_and_the_known_ones() {
        let options: Options = [("tenat_id".to_string(), "x".to_string())].into();
        let err = check_keys("xero", SETTINGS, &options).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Config);
        assert_eq!(
            err.message(),
            "xero has no setting `tenat_id` (did you mean `tenant_id`?); it takes tenant_id and \
             client_secret"
        );
        let far: Options = [("colour".to_string(), "x".to_string())].into();
        let err = check_keys("xero", SETTINGS, &far).unwrap_err();
        assert!(!err.message().contains("did you mean"), "{}", err.message());
    }

    #[test]
    fn known_and_simulator_keys_pass() {
        let options: Options = [
            ("tenant_id".to_string(), "x".to_string()),
            ("sim_invoices".to_string(), "10".to_string()),
        ]
        .into();
        assert!(check_keys("xero", SETTINGS, &options).is_ok());
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
    }

    #[test]
    fn env_options_are_lower_cased_and_overridden() {
        let explicit: Options = [("path".to_string(), "x.csv".to_string())].into();
        let merged = merged_options("no-such-system", &explicit);
        assert_eq!(merged.get("path").map(String::as_str), Some("x.csv"));
    }
}
