//! The five APIcenter flows (Salesforce ↔ Exact Online), shared by the example
//! `salesforce_to_exact`, the CLI's `demo` and `tests/apicenter.rs`. Each flow runs its
//! section of `examples/mappings/apicenter.toml` (`orders`, `shipments`, `stock`,
//! `products`, `customers`) as a mapping step, and its create-only fields are left out of
//! updates.

use std::sync::Arc;

use connector_sdk::exact_online::{ExactClient, ExactSink, ExactSource};
use connector_sdk::flow::steps::{FindOrCreateCustomer, SkipIfExists};
use connector_sdk::flow::{Flow, StepOutcome, filter, step_fn};
use connector_sdk::mapping::{Format, Loader, MappingPlan};
use connector_sdk::model::{Customer, Order, OrderStatus, Product, Shipment, StockLevel};
use connector_sdk::salesforce::simulator::SalesforceSimulator;
use connector_sdk::salesforce::{
    SalesforceClient, SalesforceConfig, SalesforceSink, SalesforceSource,
};
use connector_sdk::sink::{LookupKey, Sink};
use connector_sdk::state::MemoryStore;

/// Sets a simulated Salesforce org up as APIcenter's customers set theirs: the ERP custom
/// fields ([`SalesforceSimulator::add_erp_fields`]: the ERP number and SKU as External IDs,
/// the stock field, the variant lookup, the shipment object) and the account's posting
/// group the customers mapping fills. The configuration to use them.
pub fn apicenter_org(sf: &SalesforceSimulator) -> SalesforceConfig {
    sf.add_erp_fields();
    sf.add_field("Account", "Posting_Group__c", "picklist", false, None);
    sf.erp_config()
}

/// The Salesforce order statuses that count as paid.
pub const PAID_STATUSES: &[&str] = &["Paid", "Activated"];

/// The flows' mappings (`examples/mappings/apicenter.toml`), built in.
pub const MAPPINGS: &str = include_str!("../mappings/apicenter.toml");

/// The mapping section `name` of [`MAPPINGS`]. The file ships with the example and
/// `tests/mapping.rs` loads it, so a failure here is a broken build, not a user error.
pub fn mapping(name: &str) -> Arc<MappingPlan> {
    let mut set = Loader::new()
        .load_str(MAPPINGS, Format::Toml, "examples/mappings/apicenter.toml")
        .unwrap_or_else(|e| panic!("apicenter.toml:\n{e}"));
    Arc::new(set.take(name).unwrap_or_else(|| panic!("apicenter.toml has no `{name}` mapping")))
}

/// Flow 1: orders Salesforce → Exact Online.
pub fn orders_flow(sf: SalesforceClient, exact: ExactClient) -> Flow<Order> {
    let plan = mapping("orders");
    let sink = Arc::new(ExactSink::new(exact));
    let paid =
        filter::<Order, _>("paid-only", "the order is not in a paid status", |o: &Order| match &o
            .status
        {
            OrderStatus::Paid | OrderStatus::Open => true,
            OrderStatus::Other(s) => PAID_STATUSES.contains(&s.as_str()),
            _ => false,
        });
    // The party's id is Salesforce's: Exact's comes from the customer step.
    let drop_ids = step_fn("drop-source-ids", |mut o: Order, _ctx: &_| {
        o.party.customer.id = None;
        StepOutcome::Continue(o)
    });
    let skip = SkipIfExists::new(sink.clone() as Arc<dyn Sink<Order>>, |o: &Order| {
        o.number.as_ref().map(|n| LookupKey::new("number", n.clone()))
    });
    let customers =
        FindOrCreateCustomer::new(sink.clone() as Arc<dyn Sink<Customer>>).into_step::<Order>();
    Flow::builder(
        "apicenter-orders",
        Arc::new(SalesforceSource::new(sf)),
        sink as Arc<dyn Sink<Order>>,
        Arc::new(MemoryStore::new()),
    )
    .step(paid)
    .step(plan.step::<Order>().expect("the orders mapping fits orders"))
    .step(drop_ids)
    .step(skip)
    .step(customers)
    .build()
}

/// Flow 2: shipments Exact Online → Salesforce.
pub fn shipments_flow(exact: ExactClient, sf: SalesforceClient) -> Flow<Shipment> {
    let plan = mapping("shipments");
    Flow::builder(
        "apicenter-shipments",
        Arc::new(ExactSource::new(exact)),
        Arc::new(SalesforceSink::new(sf)) as Arc<dyn Sink<Shipment>>,
        Arc::new(MemoryStore::new()),
    )
    .step(plan.step::<Shipment>().expect("the shipments mapping fits shipments"))
    .configure(|o| o.prepare_update = plan.prepare_update::<Shipment>())
    .build()
}

/// Flow 3: stock Exact Online → Salesforce.
pub fn stock_flow(exact: ExactClient, sf: SalesforceClient) -> Flow<StockLevel> {
    let plan = mapping("stock");
    Flow::builder(
        "apicenter-stock",
        Arc::new(ExactSource::new(exact)),
        Arc::new(SalesforceSink::new(sf)) as Arc<dyn Sink<StockLevel>>,
        Arc::new(MemoryStore::new()),
    )
    .step(plan.step::<StockLevel>().expect("the stock mapping fits stock levels"))
    .configure(|o| o.prepare_update = plan.prepare_update::<StockLevel>())
    .build()
}

/// Flow 4: products Exact Online → Salesforce. The mapping marks the descriptions
/// create-only: enrichment in Salesforce stays. An item deleted in Exact becomes inactive.
pub fn products_flow(exact: ExactClient, sf: SalesforceClient) -> Flow<Product> {
    let plan = mapping("products");
    Flow::builder(
        "apicenter-products",
        Arc::new(ExactSource::new(exact)),
        Arc::new(SalesforceSink::new(sf)) as Arc<dyn Sink<Product>>,
        Arc::new(MemoryStore::new()),
    )
    .step(plan.step::<Product>().expect("the products mapping fits products"))
    .configure(|o| {
        o.prepare_update = plan.prepare_update::<Product>();
        o.deactivate_absent = true;
    })
    .build()
}

/// Flow 5: customers Exact Online → Salesforce, with the mandatory target settings the
/// mapping sets.
pub fn customers_flow(exact: ExactClient, sf: SalesforceClient) -> Flow<Customer> {
    let plan = mapping("customers");
    Flow::builder(
        "apicenter-customers",
        Arc::new(ExactSource::new(exact)),
        Arc::new(SalesforceSink::new(sf)) as Arc<dyn Sink<Customer>>,
        Arc::new(MemoryStore::new()),
    )
    .step(plan.step::<Customer>().expect("the customers mapping fits customers"))
    .configure(|o| o.prepare_update = plan.prepare_update::<Customer>())
    .build()
}
