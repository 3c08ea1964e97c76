//! Helpers shared by the test modules.

use std::str::FromStr;

use connector_core::model::{Currency, Money, Product};
use connector_core::sink::{WriteAction, WriteRequest};
use rust_decimal::Decimal;

/// A create request keyed `key`.
pub fn req<E>(key: &str, e: E) -> WriteRequest<E> {
    WriteRequest {
        key: key.into(),
        target_id: None,
        action: WriteAction::Upsert(e),
        idempotency_key: key.into(),
        is_create: true,
    }
}

/// A product named `Product {sku}` with a euro price.
pub fn product(sku: &str, price: &str) -> Product {
    Product {
        sku: sku.into(),
        name: Some(format!("Product {sku}")),
        sales_price: Some(Money::new(Decimal::from_str(price).unwrap(), Currency::EUR)),
        ..Product::default()
    }
}
