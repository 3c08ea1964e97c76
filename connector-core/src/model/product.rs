//! Products (items, articles) with variants, attributes, categories and images.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{EntityRef, Meta, Money};

/// What kind of thing a product is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProductKind {
    /// A physical, stock-tracked good.
    #[default]
    Inventory,
    /// A physical good without stock tracking.
    NonInventory,
    /// A service.
    Service,
    /// A virtual or digital product.
    Virtual,
    /// A configurable product whose variants are sold.
    Configurable,
}

/// A named attribute value (size, colour) or feature (country of origin).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attribute {
    /// The attribute's name (`size`).
    pub name: String,
    /// Its value (`XL`).
    pub value: String,
}

/// A variant of a configurable product.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProductVariant {
    /// The variant's SKU.
    pub sku: String,
    /// The variant's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The options that make it a variant (size = XL, colour = red).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<Attribute>,
    /// Its price, when it differs from the product's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<Money>,
    /// EAN / GTIN barcode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gtin: Option<String>,
}

/// A product image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Image {
    /// Where the image is.
    pub url: String,
    /// Whether it is the main image.
    #[serde(default)]
    pub primary: bool,
}

/// A unit a product is ordered in (a box of 12).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderUnit {
    /// The unit's code or name (`box`).
    pub code: String,
    /// How many base units it holds.
    #[serde(with = "crate::model::decimal_str")]
    pub multiplier: Decimal,
}

/// A product.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Product {
    /// The stock-keeping unit code; the natural key.
    pub sku: String,
    /// The name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Short description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Long description (often enriched in the target: a create-only field).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub long_description: Option<String>,
    /// Inventory, service, ...
    #[serde(default)]
    pub kind: ProductKind,
    /// Unit of measure (`pcs`, `kg`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// Order units beside the base unit.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub order_units: Vec<OrderUnit>,
    /// Sales price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sales_price: Option<Money>,
    /// Whether `sales_price` includes tax.
    #[serde(default)]
    pub sales_price_includes_tax: bool,
    /// Purchase price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purchase_price: Option<Money>,
    /// Sales tax rate (by code).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_rate: Option<EntityRef>,
    /// Tax percentage of the sales tax rate, when known (24 = 24 %).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::model::decimal_str::option"
    )]
    pub tax_percent: Option<Decimal>,
    /// EAN / GTIN barcode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gtin: Option<String>,
    /// Brand.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand: Option<String>,
    /// Categories or product groups, most general first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<String>,
    /// Attributes that define variants (size, colour).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<Attribute>,
    /// Features: extra information (country of origin).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub features: Vec<Attribute>,
    /// Variants.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub variants: Vec<ProductVariant>,
    /// The SKU of the configurable product this product is a variant of, for systems that
    /// keep variants as products of their own (its `attributes` say what makes it one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant_of: Option<String>,
    /// Images.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<Image>,
    /// Whether it is sold.
    #[serde(default = "yes")]
    pub sold: bool,
    /// Whether it is purchased.
    #[serde(default)]
    pub purchased: bool,
    /// Whether stock is tracked.
    #[serde(default)]
    pub stock_tracked: bool,
    /// Weight in kilograms.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::model::decimal_str::option"
    )]
    pub weight_kg: Option<Decimal>,
    /// Identities, lifecycle, custom fields, raw JSON.
    #[serde(default)]
    pub meta: Meta,
}

fn yes() -> bool {
    true
}
