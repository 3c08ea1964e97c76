//! The flows between Visma AccountView and Parts PIM, shared by
//! `examples/partspim_accountview.rs` and the CLI's demo. Each runs its section of
//! `examples/mappings/parts-pim-accountview.toml`.

use std::sync::Arc;

use connector_sdk::Sink;
use connector_sdk::accountview::{AccountViewClient, AccountViewSink, AccountViewSource};
use connector_sdk::flow::steps::{
    EnsureProductsExist, FindOrCreateCustomer, NoMatch, SkipIfExists,
};
use connector_sdk::flow::{Flow, filter};
use connector_sdk::mapping::{Format, Loader, MappingPlan};
use connector_sdk::model::{Customer, Order, Product, StockLevel};
use connector_sdk::parts_pim::{PartsPimConfig, PartsPimSink, PartsPimSource};
use connector_sdk::sink::LookupKey;
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

/// Orders Parts PIM → AccountView: an order AccountView has (by its Parts PIM number) is
/// skipped; the customer is found by e-mail among the debtors, or created (a company debtor
/// with its contact person when the order names a company, else a person debtor), or, with
/// `default_debtor`, the order goes on that debtor; the payment term and method go through
/// the mapping's value maps; an order naming an article AccountView lacks is quarantined
/// naming the SKU.
pub fn orders_flow(
    pim: PartsPimConfig,
    av: AccountViewClient,
    default_debtor: Option<String>,
    state: Arc<dyn StateStore>,
) -> connector_sdk::Result<Flow<Order>> {
    let plan = mapping("orders");
    let sink = Arc::new(AccountViewSink::new(av));
    let skip = SkipIfExists::new(sink.clone() as Arc<dyn Sink<Order>>, |o: &Order| {
        o.number.as_ref().map(|n| LookupKey::new("number", n.clone()))
    });
    let mut customers = FindOrCreateCustomer::new(sink.clone() as Arc<dyn Sink<Customer>>);
    if let Some(debtor) = default_debtor {
        customers = customers.on_no_match(NoMatch::UseDefault(debtor));
    }
    Ok(Flow::builder(
        "partspim-orders",
        Arc::new(PartsPimSource::new(pim)?),
        sink as Arc<dyn Sink<Order>>,
        state,
    )
    .step(plan.step::<Order>()?)
    .step(skip)
    .step(customers.into_step::<Order>())
    .build())
}

/// Orders AccountView → Parts PIM, the other way: orders entered in AccountView (an order
/// with an external import number, `EXT_ID`, came from another system such as Parts PIM and
/// is not sent back) are placed in Parts PIM once, by AccountView's order number, each with
/// the employee number (the setting, else 999999); an order naming a product Parts PIM does
/// not have is quarantined naming the SKU before anything is sent.
pub fn orders_to_pim_flow(
    av: AccountViewClient,
    pim: PartsPimConfig,
    state: Arc<dyn StateStore>,
) -> connector_sdk::Result<Flow<Order>> {
    let sink = Arc::new(PartsPimSink::new(pim)?);
    let entered_here = filter::<Order, _>(
        "entered-in-accountview",
        "the order came from another system (it has an external import number)",
        |o: &Order| !o.meta.custom.contains_key("external_number"),
    );
    let skip = SkipIfExists::new(sink.clone() as Arc<dyn Sink<Order>>, |o: &Order| {
        o.number.as_ref().map(|n| LookupKey::new("number", n.clone()))
    });
    // With Parts PIM's file transport (no lookups) the step checks nothing: the PIM's
    // import says whether a product exists.
    let products = EnsureProductsExist::new(sink.clone() as Arc<dyn Sink<Product>>);
    Ok(Flow::builder(
        "partspim-orders-out",
        Arc::new(AccountViewSource::new(av)),
        sink as Arc<dyn Sink<Order>>,
        state,
    )
    .step(entered_here)
    .step(skip)
    .step(products.into_step::<Order>())
    .build())
}

/// Three orders as the Parts PIM simulator takes them (`put_order`), for the example and the
/// demo: a company's, a private buyer's, and one naming a product AccountView lacks.
pub fn sample_orders() -> Vec<serde_json::Value> {
    let order = |number: &str, customer: serde_json::Value, sku: &str, method: &str| {
        serde_json::json!({"number": number, "employee_number": "999999", "currency": "EUR",
            "order_date": "2024-05-01", "updated_at": "2024-05-01T10:00:00Z",
            "payment_term": "30 dagen", "payment_method": method, "customer": customer,
            "lines": [{"sku": sku, "quantity": "2", "unit_price": "4.95"}]})
    };
    vec![
        order(
            "700001",
            serde_json::json!({"number": "20001", "company_name": "Rijwielhandel Noord",
                "first_name": "Piet", "last_name": "Bakker", "email": "piet@noord.example"}),
            "100200",
            "iDEAL",
        ),
        order(
            "700002",
            serde_json::json!({"number": "20002", "first_name": "Sanne", "last_name": "Visser",
                "email": "sanne@visser.example"}),
            "100300",
            "Incasso",
        ),
        order(
            "700003",
            serde_json::json!({"number": "20003", "first_name": "Kees", "email": "kees@example.nl"}),
            "424242",
            "iDEAL",
        ),
    ]
}

/// An order entered in AccountView, as its simulator takes it (`put_order`): a header for
/// debtor 1001 and two lines.
pub fn sample_accountview_order() -> (serde_json::Value, Vec<serde_json::Value>) {
    (
        serde_json::json!({"SUB_NR": "1001", "ORD_DATE": "2024-05-02T00:00:00", "CUR_CODE": "EUR",
            "DISC_CODE": "30", "DD_ACT": false}),
        vec![
            serde_json::json!({"ART_CODE": "100200", "ART_QTY": 10, "ART_PX": 4.95, "DISC_PCT": 0}),
            serde_json::json!({"ART_CODE": "100400", "ART_QTY": 4, "ART_PX": 6.25, "DISC_PCT": 5}),
        ],
    )
}
