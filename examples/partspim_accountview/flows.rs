//! The flows between Visma AccountView and Parts PIM, shared by
//! `examples/partspim_accountview.rs` and the CLI's demo. Each runs its section of
//! `examples/mappings/parts-pim-accountview.toml`.

use std::sync::Arc;

use connector_sdk::Sink;
use connector_sdk::accountview::{AccountViewClient, AccountViewSource};
use connector_sdk::flow::Flow;
use connector_sdk::mapping::{Format, Loader, MappingPlan};
use connector_sdk::model::{Product, StockLevel};
use connector_sdk::parts_pim::{PartsPimConfig, PartsPimSink};
use connector_sdk::state::StateStore;

/// The flows' mappings, built in.
pub const MAPPINGS: &str = include_str!("../mappings/parts-pim-accountview.toml");

/// The mapping section `name` of [`MAPPINGS`] (`tests/mapping.rs` loads the file, so a
/// failure here is a broken build).
pub fn mapping(name: &str) -> Arc<MappingPlan> {
    let mut set = Loader::new()
        .load_str(MAPPINGS, Format::Toml, "examples/mappings/parts-pim-accountview.toml")
        .unwrap_or_else(|e| panic!("parts-pim-accountview.toml:\n{e}"));
    Arc::new(set.take(name).unwrap_or_else(|| panic!("no `{name}` mapping")))
}

/// Products AccountView → Parts PIM: digits-only SKUs (others are quarantined naming the
/// SKU, never sent), the long description on create only, the employee number 999999 unless
/// the record carries one.
pub fn products_flow(
    av: AccountViewClient,
    pim: PartsPimConfig,
    state: Arc<dyn StateStore>,
) -> connector_sdk::Result<Flow<Product>> {
    let plan = mapping("products");
    let sink = Arc::new(PartsPimSink::new(pim)?) as Arc<dyn Sink<Product>>;
    Ok(Flow::builder("partspim-products", Arc::new(AccountViewSource::new(av)), sink, state)
        .step(plan.step::<Product>()?)
        .configure(|o| o.prepare_update = plan.prepare_update::<Product>())
        .build())
}

/// Stock AccountView → Parts PIM: what can be sold, available less sales reservations.
pub fn stock_flow(
    av: AccountViewClient,
    pim: PartsPimConfig,
    state: Arc<dyn StateStore>,
) -> connector_sdk::Result<Flow<StockLevel>> {
    let sink = Arc::new(PartsPimSink::new(pim)?) as Arc<dyn Sink<StockLevel>>;
    Ok(Flow::builder("partspim-stock", Arc::new(AccountViewSource::new(av)), sink, state).build())
}
