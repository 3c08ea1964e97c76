//! What a product read needs besides the items: the VAT percentage of each sales VAT code
//! (`vat/VATCodes`) and the default sales price of each item
//! (`sync/Logistics/SalesItemPrices`). `sync/Logistics/Items` carries neither: it has
//! `SalesVatCode` but no percentage, and no sales price.

use std::collections::HashMap;

use chrono::NaiveDate;
use connector_core::model::Currency;
use connector_core::{Error, Result};
use futures_util::StreamExt;
use rust_decimal::Decimal;
use serde_json::Value;

use crate::client::ExactClient;
use crate::wire;

/// `$select` of `vat/VATCodes`.
pub const VAT_CODE_FIELDS: &str = "Code,Percentage";
/// `$select` of `sync/Logistics/SalesItemPrices` for the default prices.
pub const DEFAULT_PRICE_FIELDS: &str = "ID,Item,Account,Currency,Price,Quantity,StartDate,EndDate";

/// The VAT percentages and default sales prices a product read looks up.
#[derive(Debug, Default)]
pub struct ProductLookups {
    vat: HashMap<String, Decimal>,
    prices: HashMap<u128, DefaultPrice>,
}

/// The default sales price chosen for an item so far.
#[derive(Debug, Clone, Copy)]
struct DefaultPrice {
    quantity: Decimal,
    start: Option<NaiveDate>,
    price: Decimal,
}

impl DefaultPrice {
    /// Whether `self` is a better default than `other`: the smallest quantity tier, then
    /// the latest start.
    fn beats(&self, other: &DefaultPrice) -> bool {
        (self.quantity, std::cmp::Reverse(self.start))
            < (other.quantity, std::cmp::Reverse(other.start))
    }
}

/// An Exact GUID as a number (the map key: 16 bytes per item instead of a string).
pub fn guid_key(id: &str) -> Option<u128> {
    let hex: String = id.trim().chars().filter(|c| *c != '-').collect();
    if hex.len() != 32 {
        return None;
    }
    u128::from_str_radix(&hex, 16).ok()
}

/// A VAT percentage as a percent: Exact sends fractions (`0.21`); a value above 1 is taken
/// as a percent already.
pub fn percent(p: Decimal) -> Decimal {
    if p > Decimal::ONE { p } else { p * Decimal::ONE_HUNDRED }
}

impl ProductLookups {
    /// Reads the VAT codes and, when `prices` is set, the default sales prices in
    /// `currency` valid on `today`.
    pub async fn load(
        client: &ExactClient,
        prices: bool,
        currency: Currency,
        today: NaiveDate,
    ) -> Result<Self> {
        let mut out = Self::default();
        let mut pages = client.pages("vat/VATCodes", vec![("$select", VAT_CODE_FIELDS.to_owned())]);
        while let Some(page) = pages.next().await {
            for raw in page? {
                let v: wire::VatCode = serde_json::from_value(raw)
                    .map_err(|e| Error::decode(format!("vat/VATCodes: {e}")))?;
                if let (Some(code), Some(p)) = (v.code, v.percentage) {
                    out.vat.insert(code.trim().to_owned(), percent(p));
                }
            }
        }
        if prices {
            let mut pages = client.pages(
                "sync/Logistics/SalesItemPrices",
                vec![
                    ("$select", DEFAULT_PRICE_FIELDS.to_owned()),
                    ("$filter", "Timestamp gt 1L".to_owned()),
                ],
            );
            while let Some(page) = pages.next().await {
                for raw in page? {
                    out.offer_price(&raw, currency, today);
                }
            }
        }
        Ok(out)
    }

    /// Takes one price row into account: default prices only (no account), in the
    /// division's currency, valid today. Rows that do not parse are left out here: the
    /// price-list read reports them.
    fn offer_price(&mut self, raw: &Value, currency: Currency, today: NaiveDate) {
        let Ok(p) = serde_json::from_value::<wire::SalesItemPrice>(raw.clone()) else {
            return;
        };
        if p.account.as_deref().is_some_and(|a| !a.trim().is_empty()) {
            return;
        }
        if p.currency.as_deref().is_some_and(|c| !c.trim().eq_ignore_ascii_case(currency.as_str()))
        {
            return;
        }
        let day = |s: &Option<String>| {
            s.as_deref()
                .and_then(|s| connector_core::http::dates::parse_ms_json(s).ok())
                .map(|d| d.date_naive())
        };
        let (start, end) = (day(&p.start_date), day(&p.end_date));
        if start.is_some_and(|s| s > today) || end.is_some_and(|e| e <= today) {
            return;
        }
        let (Some(item), Some(price)) = (p.item.as_deref().and_then(guid_key), p.price) else {
            return;
        };
        let offer = DefaultPrice { quantity: p.quantity.unwrap_or(Decimal::ZERO), start, price };
        match self.prices.get(&item) {
            Some(held) if !offer.beats(held) => {}
            _ => {
                self.prices.insert(item, offer);
            }
        }
    }

    /// The percentage (`21`) of a VAT code.
    pub fn vat_percent(&self, code: &str) -> Option<Decimal> {
        self.vat.get(code.trim()).copied()
    }

    /// The default sales price of an item, by its GUID.
    pub fn price(&self, item_id: &str) -> Option<Decimal> {
        guid_key(item_id).and_then(|k| self.prices.get(&k)).map(|p| p.price)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn the_default_price_is_the_smallest_tier_valid_today_without_an_account() {
        let today = NaiveDate::from_ymd_opt(2026, 6, 1).unwrap();
        let item = "1f000000-0000-4000-8000-000000000001";
        let mut l = ProductLookups::default();
        // Prices and quantities as Exact's JSON numbers, from their text.
        let row = |price: &str, qty: &str, extra: Value| {
            let number = |t: &str| serde_json::from_str::<Value>(t).unwrap();
            let mut v = json!({"ID": "x", "Item": item, "Currency": "EUR",
                "Price": number(price), "Quantity": number(qty)});
            if let (Some(m), Value::Object(e)) = (v.as_object_mut(), extra) {
                m.extend(e);
            }
            v
        };
        l.offer_price(&row("10", "10", json!({})), Currency::EUR, today);
        l.offer_price(&row("12", "1", json!({})), Currency::EUR, today);
        l.offer_price(&row("9", "0", json!({"Account": "a1b2"})), Currency::EUR, today);
        l.offer_price(&row("8", "0", json!({"Currency": "USD"})), Currency::EUR, today);
        l.offer_price(
            &row("7", "0", json!({"EndDate": "/Date(1577836800000)/"})),
            Currency::EUR,
            today,
        );
        l.offer_price(
            &row("6", "0", json!({"StartDate": "/Date(1893456000000)/"})),
            Currency::EUR,
            today,
        );
        assert_eq!(l.price(item), Some(d("12")));
        assert_eq!(l.price(&item.to_uppercase()), Some(d("12")));
        assert_eq!(l.price("1f000000-0000-4000-8000-000000000002"), None);
    }

    #[test]
    fn vat_percentages_and_guid_keys() {
        assert_eq!(percent(d("0.21")), d("21.00"));
        assert_eq!(percent(d("21")), d("21"));
        assert_eq!(percent(d("0")), d("0"));
        assert_eq!(guid_key("not-a-guid"), None);
        assert!(guid_key("1F000000-0000-4000-8000-000000000001").is_some());
    }
}
