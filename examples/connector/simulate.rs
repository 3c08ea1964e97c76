//! `connector simulate <system>`: starts a system's simulator and prints the settings that
//! reach it, as the environment variables the other commands read.

use std::process::ExitCode;

use connector_sdk::Result;
use connector_sdk::registry::registry;
use connector_sdk::system::simulator_options_from_env;

/// Serves `system`'s simulator on 127.0.0.1 until Ctrl-C. Its own settings come from
/// `CONNECTOR_<SYSTEM>_SIM_<KEY>` variables (`CONNECTOR_XERO_SIM_INVOICES=100000`).
pub async fn simulate(system: &str, port: u16) -> Result<ExitCode> {
    let sys = registry().get(system)?;
    let sim = sys.simulate(port, &simulator_options_from_env(system)).await?;
    let prefix = format!("CONNECTOR_{}_", system.to_ascii_uppercase().replace('-', "_"));
    say!("{} simulator at {}", sys.name(), sim.base_url());
    for (key, value) in sim.options() {
        say!("  {prefix}{}={value}", key.to_ascii_uppercase());
    }
    for note in sim.notes() {
        say!("  ({note})");
    }
    sim.serve_until_ctrl_c().await?;
    Ok(ExitCode::SUCCESS)
}
