//! What the engine benchmarks share: generated customers and the flow under test.

use std::sync::Arc;

use connector_sdk::flow::{ActivityLevel, Flow};
use connector_sdk::memory::{IterSource, NullSink};
use connector_sdk::model::{Customer, Email};
use connector_sdk::state::StateStore;

/// The i-th generated customer: a number, a name and an e-mail address.
pub fn customer(i: usize) -> Customer {
    Customer {
        number: Some(format!("C-{i:07}")),
        name: Some(format!("Customer {i}")),
        emails: vec![Email {
            address: format!("c{i}@example.com"),
            kind: Default::default(),
            primary: true,
        }],
        ..Default::default()
    }
}

/// `n` generated customers from an in-memory source into a no-op sink, batches of 1,000,
/// activity log off: the engine and its ledger, nothing else.
pub fn flow(n: usize, state: Arc<dyn StateStore>) -> Flow<Customer> {
    Flow::builder(
        "bench",
        Arc::new(IterSource::new("mem", move || (0..n).map(customer))),
        Arc::new(NullSink::new()),
        state,
    )
    .configure(|o| {
        // `BATCH` overrides the batch size (for measurements).
        o.batch_size = std::env::var("BATCH").ok().and_then(|b| b.parse().ok()).unwrap_or(1000);
        o.activity = ActivityLevel::Off;
    })
    .build()
}
