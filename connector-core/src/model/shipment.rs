//! Shipments (goods deliveries) with carrier and track-and-trace.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{Address, Meta};

/// One delivered line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShipmentLine {
    /// The product, by SKU.
    pub sku: String,
    /// Quantity delivered.
    #[serde(with = "crate::model::decimal_str")]
    pub quantity: Decimal,
    /// The order line it fulfils, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_line_no: Option<u32>,
}

/// A shipment of (part of) an order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Shipment {
    /// The delivery number; the natural key. Split deliveries of one order have their own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    /// The order it ships (by the order's number).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_number: Option<String>,
    /// The order's number in the system the order came from (its external number).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_order_number: Option<String>,
    /// Carrier (shipping method) name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carrier: Option<String>,
    /// Track-and-trace code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking_code: Option<String>,
    /// Track-and-trace URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking_url: Option<String>,
    /// Date shipped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipped_on: Option<NaiveDate>,
    /// Delivery address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
    /// Lines delivered.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lines: Vec<ShipmentLine>,
    /// Identities, lifecycle, custom fields, raw JSON.
    #[serde(default)]
    pub meta: Meta,
}
