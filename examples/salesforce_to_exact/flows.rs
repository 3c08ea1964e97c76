//! The five APIcenter flows (Salesforce ↔ Exact Online), shared by the example
//! `salesforce_to_exact` and the CLI's `demo`.

use std::sync::Arc;

use connector_sdk::exact_online::{ExactClient, ExactSink, ExactSource};
use connector_sdk::flow::steps::{FindOrCreateCustomer, SkipIfExists};
use connector_sdk::flow::{Flow, StepOutcome, filter, step_fn};
use connector_sdk::model::{
    CustomField, CustomValue, Customer, Order, OrderStatus, Product, Shipment, StockLevel,
};
use connector_sdk::salesforce::{SalesforceClient, SalesforceSink, SalesforceSource};
use connector_sdk::sink::{LookupKey, Sink};
use connector_sdk::state::MemoryStore;

/// The Salesforce order statuses that count as paid.
pub const PAID_STATUSES: &[&str] = &["Paid", "Activated"];

/// Flow 1: orders Salesforce → Exact Online.
pub fn orders_flow(sf: SalesforceClient, exact: ExactClient) -> Flow<Order> {
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
    .step(drop_ids)
    .step(skip)
    .step(customers)
    .build()
}

/// Flow 2: shipments Exact Online → Salesforce.
pub fn shipments_flow(exact: ExactClient, sf: SalesforceClient) -> Flow<Shipment> {
    Flow::builder(
        "apicenter-shipments",
        Arc::new(ExactSource::new(exact)),
        Arc::new(SalesforceSink::new(sf)) as Arc<dyn Sink<Shipment>>,
        Arc::new(MemoryStore::new()),
    )
    .build()
}

/// Flow 3: stock Exact Online → Salesforce.
pub fn stock_flow(exact: ExactClient, sf: SalesforceClient) -> Flow<StockLevel> {
    Flow::builder(
        "apicenter-stock",
        Arc::new(ExactSource::new(exact)),
        Arc::new(SalesforceSink::new(sf)) as Arc<dyn Sink<StockLevel>>,
        Arc::new(MemoryStore::new()),
    )
    .build()
}

/// Flow 4: products Exact Online → Salesforce.
pub fn products_flow(exact: ExactClient, sf: SalesforceClient) -> Flow<Product> {
    Flow::builder(
        "apicenter-products",
        Arc::new(ExactSource::new(exact)),
        Arc::new(SalesforceSink::new(sf)) as Arc<dyn Sink<Product>>,
        Arc::new(MemoryStore::new()),
    )
    .configure(|o| {
        // The long description goes on create only: enrichment in Salesforce stays.
        o.prepare_update = Some(Arc::new(|p: &mut Product| {
            p.long_description = None;
            p.description = None;
        }));
        o.deactivate_absent = true;
    })
    .build()
}

/// Flow 5: customers Exact Online → Salesforce, with a mandatory target setting.
pub fn customers_flow(exact: ExactClient, sf: SalesforceClient) -> Flow<Customer> {
    let settings = step_fn("target-settings", |mut c: Customer, _ctx: &_| {
        c.meta.custom.insert(
            "salesforce:Posting_Group__c".into(),
            CustomField { value: CustomValue::Choice("DOMESTIC".into()), source: None },
        );
        StepOutcome::Continue(c)
    });
    Flow::builder(
        "apicenter-customers",
        Arc::new(ExactSource::new(exact)),
        Arc::new(SalesforceSink::new(sf)) as Arc<dyn Sink<Customer>>,
        Arc::new(MemoryStore::new()),
    )
    .step(settings)
    .build()
}
