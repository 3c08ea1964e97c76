//! Stock levels per product and warehouse.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::Meta;

/// How the sellable quantity is computed from a stock level.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SellablePolicy {
    /// Available as the source reported it, minus reservations (APIcenter's default).
    #[default]
    AvailableMinusReserved,
    /// Available as the source reported it.
    Available,
    /// On hand minus reserved.
    OnHandMinusReserved,
    /// On hand.
    OnHand,
}

/// The stock of one product in one warehouse (or in total).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StockLevel {
    /// The product, by SKU.
    pub sku: String,
    /// The warehouse code; `None` is the total over all warehouses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warehouse: Option<String>,
    /// Physically on hand.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::model::decimal_str::option"
    )]
    pub on_hand: Option<Decimal>,
    /// Reserved for open sales orders.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::model::decimal_str::option"
    )]
    pub reserved: Option<Decimal>,
    /// Available as the source reports it.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::model::decimal_str::option"
    )]
    pub available: Option<Decimal>,
    /// On order from suppliers.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::model::decimal_str::option"
    )]
    pub incoming: Option<Decimal>,
    /// When the level was read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_of: Option<DateTime<Utc>>,
    /// Identities, lifecycle, custom fields, raw JSON.
    #[serde(default)]
    pub meta: Meta,
}

impl StockLevel {
    /// The sellable quantity under a policy; `None` when the inputs it needs are missing.
    pub fn sellable(&self, policy: SellablePolicy) -> Option<Decimal> {
        let reserved = self.reserved.unwrap_or_default();
        match policy {
            SellablePolicy::AvailableMinusReserved => self.available.map(|a| a - reserved),
            SellablePolicy::Available => self.available,
            SellablePolicy::OnHandMinusReserved => self.on_hand.map(|a| a - reserved),
            SellablePolicy::OnHand => self.on_hand,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sellable_policies() {
        let s = StockLevel {
            sku: "A".into(),
            warehouse: None,
            on_hand: Some(Decimal::from(10)),
            reserved: Some(Decimal::from(3)),
            available: Some(Decimal::from(8)),
            incoming: None,
            as_of: None,
            meta: Meta::default(),
        };
        assert_eq!(s.sellable(SellablePolicy::AvailableMinusReserved), Some(Decimal::from(5)));
        assert_eq!(s.sellable(SellablePolicy::Available), Some(Decimal::from(8)));
        assert_eq!(s.sellable(SellablePolicy::OnHandMinusReserved), Some(Decimal::from(7)));
        assert_eq!(s.sellable(SellablePolicy::OnHand), Some(Decimal::from(10)));
    }
}
