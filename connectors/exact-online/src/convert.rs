//! Exact Online ↔ canonical records.

use chrono::{DateTime, NaiveDate, Utc};
use connector_core::http::dates;
use connector_core::model::{
    Address, AddressKind, Attribute, ContactKind, Currency, Customer, CustomerKind, DocumentLine,
    Email, Image, Invoice, InvoiceStatus, Lifecycle, Money, Order, OrderKind, Phone,
    PriceListEntry, Product, ProductKind, Shipment, ShipmentLine, StockLevel,
};
use connector_core::{Error, Result};
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

use crate::client::NAME;
use crate::wire;

fn text(s: &Option<String>) -> Option<String> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned)
}

fn instant(s: &Option<String>, field: &str) -> Result<Option<DateTime<Utc>>> {
    match s.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(v) => dates::parse_ms_json(v)
            .map(Some)
            .map_err(|_| Error::invalid_field(field, format!("not an Exact date: {v:?}"))),
    }
}

fn date(s: &Option<String>, field: &str) -> Result<Option<NaiveDate>> {
    Ok(instant(s, field)?.map(|d| d.date_naive()))
}

fn currency(code: &Option<String>, default: Currency, field: &str) -> Result<Currency> {
    match text(code) {
        None => Ok(default),
        Some(c) => Currency::new(&c).map_err(|_| Error::invalid_field(field, format!("{c:?}"))),
    }
}

/// An account (with its contacts, when read) as a customer. `Code` is trimmed.
pub fn customer(a: &wire::Account, contacts: &[wire::Contact]) -> Result<Customer> {
    let number = text(&a.code);
    if number.is_none() {
        return Err(Error::invalid_field("Code", "the account has no code"));
    }
    let name = text(&a.name);
    if name.is_none() {
        return Err(Error::invalid_field("Name", "the account has no name"));
    }
    let mut c = Customer { number, name, kind: CustomerKind::Company, ..Customer::default() };
    if let Some(e) = text(&a.email) {
        c.emails.push(Email { address: e, kind: ContactKind::Work, primary: true });
    }
    if let Some(p) = text(&a.phone) {
        c.phones.push(Phone { number: p, kind: ContactKind::Work });
    }
    c.websites.extend(text(&a.website));
    c.tax_number = text(&a.vat_number);
    c.registration_number = text(&a.chamber_of_commerce);
    c.language = text(&a.language);
    c.payment_term = text(&a.payment_condition_sales).map(connector_core::model::EntityRef::by_key);
    let lines: Vec<String> =
        [&a.address_line1, &a.address_line2].into_iter().filter_map(text).collect();
    if !lines.is_empty() || text(&a.city).is_some() {
        c.addresses.push(Address {
            kind: AddressKind::Visiting,
            lines,
            postal_code: text(&a.postcode),
            city: text(&a.city),
            country: text(&a.country),
            ..Address::default()
        });
    }
    for ct in contacts.iter().filter(|ct| ct.account.as_deref() == Some(a.id.as_str())) {
        c.contacts.push(connector_core::model::ContactPerson {
            id: Some(ct.id.clone()),
            first_name: text(&ct.first_name),
            last_name: text(&ct.last_name),
            role: text(&ct.job_title_description),
            emails: text(&ct.email)
                .map(|e| Email { address: e, kind: ContactKind::Work, primary: true })
                .into_iter()
                .collect(),
            phones: text(&ct.phone)
                .map(|n| Phone { number: n, kind: ContactKind::Work })
                .into_iter()
                .chain(text(&ct.mobile).map(|n| Phone { number: n, kind: ContactKind::Mobile }))
                .collect(),
            primary: ct.is_main_contact.unwrap_or(false)
                || a.main_contact.as_deref() == Some(ct.id.as_str()),
        });
    }
    if c.contacts.len() == 1 && text(&a.chamber_of_commerce).is_none() {
        let p = &c.contacts[0];
        let full = format!(
            "{} {}",
            p.first_name.as_deref().unwrap_or(""),
            p.last_name.as_deref().unwrap_or("")
        );
        if full.trim() == c.name.as_deref().unwrap_or("").trim() {
            c.kind = CustomerKind::Person;
            c.first_name = p.first_name.clone();
            c.last_name = p.last_name.clone();
        }
    }
    if a.blocked == Some(true) {
        c.meta.lifecycle = Lifecycle::Inactive;
    }
    c.meta.refs.set(NAME, a.id.clone());
    c.meta.updated_at = instant(&a.modified, "Modified")?;
    c.meta.created_at = instant(&a.created, "Created")?;
    Ok(c)
}

/// An item as a product: name from `Description`, long description from `Notes`, the one
/// picture Exact holds, the item group as category; the sales price and the VAT percentage
/// from `lookups` (by the item's GUID and its `SalesVatCode`).
pub fn product(
    i: &wire::Item,
    currency: Currency,
    lookups: &crate::lookups::ProductLookups,
) -> Result<Product> {
    let price = lookups.price(&i.id).map(|p| Money::new(p, currency));
    let sku = text(&i.code).ok_or_else(|| Error::invalid_field("Code", "the item has no code"))?;
    let mut p = Product {
        sku,
        name: text(&i.description),
        description: text(&i.extra_description),
        long_description: text(&i.notes),
        kind: if i.is_stock_item == Some(true) {
            ProductKind::Inventory
        } else {
            ProductKind::NonInventory
        },
        unit: text(&i.unit),
        sales_price: price,
        gtin: text(&i.barcode),
        tax_percent: text(&i.sales_vat_code).and_then(|c| lookups.vat_percent(&c)),
        tax_rate: text(&i.sales_vat_code).map(connector_core::model::EntityRef::by_key),
        sold: i.is_sales_item.unwrap_or(true),
        purchased: i.is_purchase_item.unwrap_or(false),
        stock_tracked: i.is_stock_item.unwrap_or(false),
        weight_kg: i.gross_weight,
        purchase_price: None,
        ..Product::default()
    };
    p.categories.extend(text(&i.item_group_description).or_else(|| text(&i.item_group_code)));
    if let Some(url) = text(&i.picture_url) {
        p.images.push(Image { url, primary: true });
    }
    let ended = date(&i.end_date, "EndDate")?
        .is_some_and(|d| d <= connector_core::http::now_utc().date_naive());
    if ended || i.is_sales_item == Some(false) {
        p.meta.lifecycle = Lifecycle::Inactive;
    }
    p.meta.refs.set(NAME, i.id.clone());
    p.meta.updated_at = instant(&i.modified, "Modified")?;
    Ok(p)
}

/// Reads variant information from an item's free fields into its product (see
/// [`ItemVariants`](crate::config::ItemVariants)): the features always; an item naming
/// another item's code as its parent becomes that configurable product's variant, with its
/// attributes; an item naming itself is the configurable product.
pub fn item_variants(i: &wire::Item, v: &crate::config::ItemVariants, p: &mut Product) {
    let read = |pairs: &[(String, String)]| -> Vec<Attribute> {
        pairs
            .iter()
            .filter_map(|(name, field)| {
                Some(Attribute { name: name.clone(), value: i.free_text(field)?.to_owned() })
            })
            .collect()
    };
    p.features = read(&v.features);
    match i.free_text(&v.parent_field) {
        Some(parent) if parent.eq_ignore_ascii_case(&p.sku) => {
            p.kind = ProductKind::Configurable;
        }
        Some(parent) => {
            p.variant_of = Some(parent.to_owned());
            p.attributes = read(&v.attributes);
        }
        None => {}
    }
}

/// A default sales price as a price-list entry.
pub fn price_entry(p: &wire::SalesItemPrice, default: Currency) -> Result<PriceListEntry> {
    let sku = text(&p.item_code)
        .ok_or_else(|| Error::invalid_field("ItemCode", "the price names no item"))?;
    let price = p.price.ok_or_else(|| Error::invalid_field("Price", "no price"))?;
    Ok(PriceListEntry {
        sku,
        unit: text(&p.unit),
        unit_price: Money::new(price, currency(&p.currency, default, "Currency")?),
        min_quantity: p.quantity.filter(|q| *q > Decimal::ZERO).unwrap_or(Decimal::ONE),
        discount_percent: None,
        valid_from: date(&p.start_date, "StartDate")?,
        valid_to: date(&p.end_date, "EndDate")?,
    })
}

/// Stock of an item in a warehouse, as Exact reports it: on hand `CurrentStock`, available
/// `FreeStock` ("quantity of available stock"), reserved `ReservedStock` ("stock stored in
/// the warehouse that is already reserved"), incoming `PlanningIn`. The connector computes
/// nothing: Exact's own figures are passed on.
pub fn stock_level(w: &wire::StockPosition) -> Result<StockLevel> {
    let sku = text(&w.item_code)
        .ok_or_else(|| Error::invalid_field("ItemCode", "the stock row names no item"))?;
    let on_hand = w.current_stock.ok_or_else(|| Error::invalid_field("CurrentStock", "missing"))?;
    let mut s = StockLevel {
        sku,
        warehouse: text(&w.warehouse_code),
        on_hand: Some(on_hand),
        reserved: w.reserved_stock,
        available: w.free_stock,
        incoming: w.planning_in,
        as_of: None,
        meta: Default::default(),
    };
    s.meta.refs.set(NAME, w.id.clone());
    Ok(s)
}

fn line(l: &wire::DocLine, cur: Currency) -> DocumentLine {
    DocumentLine {
        line_no: l.line_number,
        sku: text(&l.item_code),
        description: text(&l.description),
        quantity: l.quantity.unwrap_or(Decimal::ZERO),
        unit_price: l.unit_price.or(l.net_price).map(|a| Money::new(a, cur)),
        discount_percent: l.discount.filter(|d| !d.is_zero()).map(|d| d * Decimal::ONE_HUNDRED),
        tax_rate: text(&l.vat_code).map(connector_core::model::EntityRef::by_key),
        tax_percent: l.vat_percentage.map(|p| p * Decimal::ONE_HUNDRED),
        tax_amount: l.v_a_t_amount_f_c.map(|a| Money::new(a, cur)),
        net_amount: l.amount_f_c.map(|a| Money::new(a, cur)),
        ..DocumentLine::default()
    }
}

/// A sales invoice (status 10 draft, 20 open, 50 processed).
pub fn invoice(w: &wire::SalesInvoice, default: Currency) -> Result<Invoice> {
    let cur = currency(&w.currency, default, "Currency")?;
    let number = w
        .invoice_number
        .map(|n| n.to_string())
        .ok_or_else(|| Error::invalid_field("InvoiceNumber", "the invoice has no number"))?;
    let mut inv = Invoice {
        number: Some(number),
        reference: text(&w.your_ref),
        status: match w.status {
            Some(10) => InvoiceStatus::Draft,
            Some(20) => InvoiceStatus::Authorised,
            Some(50) => InvoiceStatus::Authorised,
            Some(other) => InvoiceStatus::Other(other.to_string()),
            None => InvoiceStatus::Draft,
        },
        issue_date: date(&w.invoice_date, "InvoiceDate")?,
        due_date: date(&w.due_date, "DueDate")?,
        currency: cur,
        memo: text(&w.description),
        lines: w.sales_invoice_lines.0.iter().map(|l| line(l, cur)).collect(),
        ..Invoice::default()
    };
    inv.party.customer.id = text(&w.ordered_by);
    inv.party.name = text(&w.ordered_by_name);
    inv.totals.total = w.amount_fc.map(|a| Money::new(a, cur));
    inv.totals.tax_total = w.vat_amount_fc.map(|a| Money::new(a, cur));
    inv.meta.refs.set(NAME, w.invoice_id.clone());
    inv.meta.updated_at = instant(&w.modified, "Modified")?;
    Ok(inv)
}

/// A goods delivery as a shipment: its own number and tracking code; the order number is the
/// sales order's `YourRef` (the source system's order number) when it has one, else
/// the Exact sales-order number. A split delivery is one shipment per delivery.
pub fn shipment(
    g: &wire::GoodsDelivery,
    your_ref: Option<String>,
    tracking_url: Option<&str>,
) -> Result<Shipment> {
    let number = g
        .delivery_number
        .map(|n| n.to_string())
        .ok_or_else(|| Error::invalid_field("DeliveryNumber", "the delivery has no number"))?;
    let lines = &g.goods_delivery_lines.0;
    let so = lines.iter().find_map(|l| l.sales_order_number).map(|n| n.to_string());
    let tracking = text(&g.tracking_number);
    let mut s = Shipment {
        number: Some(number),
        order_number: your_ref.or(so.clone()),
        external_order_number: so,
        carrier: text(&g.shipping_method_description).or_else(|| text(&g.shipping_method_code)),
        tracking_url: match (&tracking, tracking_url) {
            (Some(code), Some(t)) => Some(t.replace("{code}", code)),
            _ => None,
        },
        tracking_code: tracking,
        shipped_on: date(&g.delivery_date, "DeliveryDate")?,
        lines: Vec::new(),
        ..Shipment::default()
    };
    for l in lines {
        let sku = text(&l.item_code)
            .ok_or_else(|| Error::invalid_field("GoodsDeliveryLines.ItemCode", "missing"))?;
        s.lines.push(ShipmentLine {
            sku,
            quantity: l.quantity_delivered.unwrap_or(Decimal::ZERO),
            order_line_no: l.sales_order_line_number,
        });
    }
    s.meta.refs.set(NAME, g.entry_id.clone());
    s.meta.updated_at = instant(&g.modified, "Modified")?;
    Ok(s)
}

/// The body of a new or changed account (a company, or a person as a debtor in their own
/// name). `Status: C` makes it a customer.
pub fn account_body(c: &Customer) -> Result<Value> {
    let name = match c.kind {
        CustomerKind::Company => c.name.clone(),
        CustomerKind::Person => {
            let full = format!(
                "{} {}",
                c.first_name.as_deref().unwrap_or(""),
                c.last_name.as_deref().unwrap_or("")
            );
            Some(full.trim().to_owned()).filter(|s| !s.is_empty()).or_else(|| c.name.clone())
        }
    }
    .filter(|n| !n.trim().is_empty())
    .ok_or_else(|| Error::invalid_field("name", "a customer needs a name for Exact Online"))?;
    let mut m = Map::new();
    m.insert("Name".into(), json!(name));
    m.insert("Status".into(), json!("C"));
    if let Some(n) = c.number.as_deref().filter(|n| !n.trim().is_empty()) {
        m.insert("Code".into(), json!(crate::client::pad_code(n)));
    }
    if let Some(e) = c.primary_email() {
        m.insert("Email".into(), json!(e));
    }
    if let Some(p) = c.phones.first() {
        m.insert("Phone".into(), json!(p.number));
    }
    if let Some(v) = &c.tax_number {
        m.insert("VATNumber".into(), json!(v));
    }
    if let Some(v) = &c.registration_number {
        m.insert("ChamberOfCommerce".into(), json!(v));
    }
    if let Some(t) = c.payment_term.as_ref().and_then(|t| t.key.clone().or(t.id.clone())) {
        m.insert("PaymentConditionSales".into(), json!(t));
    }
    let addr = c
        .address(AddressKind::Billing)
        .or_else(|| c.address(AddressKind::Visiting))
        .or_else(|| c.addresses.first());
    if let Some(a) = addr {
        let street = match (a.lines.first(), &a.street_number) {
            (Some(l), Some(n)) if !l.contains(n.as_str()) => Some(format!("{l} {n}")),
            (Some(l), _) => Some(l.clone()),
            (None, _) => None,
        };
        if let Some(s) = street {
            m.insert("AddressLine1".into(), json!(s));
        }
        if let Some(v) = &a.postal_code {
            m.insert("Postcode".into(), json!(v));
        }
        if let Some(v) = &a.city {
            m.insert("City".into(), json!(v));
        }
        if let Some(v) = &a.country {
            m.insert("Country".into(), json!(v));
        }
    }
    for (k, v) in &c.meta.custom {
        if let Some(field) = k.strip_prefix("exact:") {
            m.insert(field.to_owned(), custom_json(&v.value));
        }
    }
    Ok(Value::Object(m))
}

fn custom_json(v: &connector_core::model::CustomValue) -> Value {
    use connector_core::model::CustomValue as C;
    match v {
        C::Text(s) | C::Choice(s) => json!(s),
        C::Number(d) => serde_json::from_str(&d.to_string()).unwrap_or(Value::Null),
        C::Bool(b) => json!(b),
        C::Date(d) => json!(d.to_string()),
        C::DateTime(d) => json!(dates::format_ms_json(*d)),
        C::Json(j) => j.clone(),
    }
}

/// The contact person of an account.
pub fn contact_body(
    account_id: &str,
    first: Option<&str>,
    last: &str,
    email: Option<&str>,
) -> Value {
    let mut m = Map::new();
    m.insert("Account".into(), json!(account_id));
    if let Some(f) = first {
        m.insert("FirstName".into(), json!(f));
    }
    m.insert("LastName".into(), json!(last));
    if let Some(e) = email {
        m.insert("Email".into(), json!(e));
    }
    Value::Object(m)
}

fn decimal_json(d: Decimal) -> Value {
    serde_json::from_str(&d.normalize().to_string()).unwrap_or(Value::Null)
}

/// Where a document goes and what its lines are called there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocTarget {
    /// `salesorder/SalesOrders` with `SalesOrderLines`.
    SalesOrder,
    /// `salesinvoice/SalesInvoices` with `SalesInvoiceLines`.
    SalesInvoice,
    /// `crm/Quotations` with `QuotationLines`.
    Quotation,
}

impl DocTarget {
    /// The endpoint.
    pub fn path(self) -> &'static str {
        match self {
            DocTarget::SalesOrder => "salesorder/SalesOrders",
            DocTarget::SalesInvoice => "salesinvoice/SalesInvoices",
            DocTarget::Quotation => "crm/Quotations",
        }
    }
    /// The key field of the answer.
    pub fn id_field(self) -> &'static str {
        match self {
            DocTarget::SalesOrder => "OrderID",
            DocTarget::SalesInvoice => "InvoiceID",
            DocTarget::Quotation => "QuotationID",
        }
    }
    fn lines_field(self) -> &'static str {
        match self {
            DocTarget::SalesOrder => "SalesOrderLines",
            DocTarget::SalesInvoice => "SalesInvoiceLines",
            DocTarget::Quotation => "QuotationLines",
        }
    }
    fn account_field(self) -> &'static str {
        match self {
            DocTarget::Quotation => "OrderAccount",
            _ => "OrderedBy",
        }
    }
}

/// The body of a document with its lines deep-inserted. `items` gives the item GUID of each
/// line (same order), `shipping_method` the GUID of the order's shipping method
/// (`sales/ShippingMethods`). `YourRef` carries the order number (the dedupe key).
///
/// The order date goes to `OrderDate` (sales orders and invoices; an invoice's
/// `InvoiceDate` is Exact's own, read-only in its model) or `QuotationDate`. A line with a
/// price carries `UnitPrice` (the price per unit), `Discount` (a fraction, `0` when none)
/// and `NetPrice` (the unit price after it), which pin the order's price.
pub fn document_body(
    o: &Order,
    target: DocTarget,
    account_id: &str,
    items: &[String],
    shipping_method: Option<&str>,
    default_vat: Option<&str>,
) -> Result<Value> {
    let number = o
        .number
        .as_deref()
        .filter(|n| !n.trim().is_empty())
        .ok_or_else(|| Error::invalid_field("number", "an order needs a number (YourRef)"))?;
    let mut m = Map::new();
    m.insert(target.account_field().into(), json!(account_id));
    m.insert("YourRef".into(), json!(number));
    let date_field = match target {
        DocTarget::Quotation => "QuotationDate",
        DocTarget::SalesInvoice | DocTarget::SalesOrder => "OrderDate",
    };
    if let Some(d) = o.order_date {
        let at = d.and_hms_opt(0, 0, 0).map(|n| n.and_utc());
        if let Some(at) = at {
            m.insert(date_field.into(), json!(format!("/Date({})/", at.timestamp_millis())));
        }
    }
    if target == DocTarget::SalesOrder {
        if let Some(d) = o.delivery_date.and_then(|d| d.and_hms_opt(0, 0, 0)) {
            m.insert(
                "DeliveryDate".into(),
                json!(format!("/Date({})/", d.and_utc().timestamp_millis())),
            );
        }
    }
    m.insert("Currency".into(), json!(o.currency.as_str()));
    if let Some(t) = o.payment_term.as_ref().and_then(|t| t.key.clone().or(t.id.clone())) {
        m.insert("PaymentCondition".into(), json!(t));
    }
    // No payment method is sent: Exact's SalesOrders, SalesInvoices and Quotations have no
    // such field. In Exact the payment method (`B` on credit, `I` collection, `K` cash) is
    // the `PaymentMethod` of a payment condition (`cashflow/PaymentConditions`), so it
    // reaches the document through `PaymentCondition` above: map the source's payment
    // terms (and methods) to a condition that carries the method wanted. Sending an
    // invented `PaymentMethod` property would be refused (a 400, which counts against
    // the key's hourly error budget).
    if o.payment_method.is_some() {
        tracing::debug!(
            order = number,
            "the order's payment method is not sent: Exact takes it from the payment condition"
        );
    }
    if let Some(memo) = &o.memo {
        m.insert("Description".into(), json!(memo));
    }
    if let Some(sm) = shipping_method {
        m.insert("ShippingMethod".into(), json!(sm));
    }
    if o.lines.is_empty() {
        return Err(Error::invalid_field("lines", "an order needs at least one line"));
    }
    let mut lines = Vec::with_capacity(o.lines.len());
    for (i, (l, item)) in o.lines.iter().zip(items).enumerate() {
        let mut lm = Map::new();
        lm.insert("Item".into(), json!(item));
        lm.insert("Quantity".into(), decimal_json(l.quantity));
        if let Some(p) = &l.unit_price {
            if p.currency != o.currency {
                return Err(Error::invalid_field(
                    format!("lines[{i}].unit_price"),
                    format!(
                        "currency {} differs from the order's {}",
                        p.currency.as_str(),
                        o.currency.as_str()
                    ),
                ));
            }
            // All three, so the line's price is the order's whichever Exact takes as leading
            // (its own price list or a customer discount would otherwise apply).
            let fraction = l.discount_percent.unwrap_or_default() / Decimal::ONE_HUNDRED;
            let net = (p.amount * (Decimal::ONE - fraction)).round_dp(6);
            lm.insert("UnitPrice".into(), decimal_json(p.amount));
            lm.insert("Discount".into(), decimal_json(fraction));
            lm.insert("NetPrice".into(), decimal_json(net));
        }
        if l.unit_price.is_none() {
            // Exact's own price: the discount applies to it.
            if let Some(d) = l.discount_percent.filter(|d| !d.is_zero()) {
                lm.insert("Discount".into(), decimal_json(d / Decimal::ONE_HUNDRED));
            }
        }
        if let Some(d) = &l.description {
            lm.insert("Description".into(), json!(d));
        }
        let vat = l.tax_rate.as_ref().and_then(|t| t.key.clone().or(t.id.clone()));
        if let Some(v) = vat.or(default_vat.map(str::to_owned)) {
            lm.insert("VATCode".into(), json!(v));
        }
        lines.push(Value::Object(lm));
    }
    m.insert(target.lines_field().into(), Value::Array(lines));
    Ok(Value::Object(m))
}

/// Which target an order goes to.
pub fn doc_target(o: &Order, setting: crate::config::OrderTarget) -> DocTarget {
    match (o.kind, setting) {
        (OrderKind::Quote, _) => DocTarget::Quotation,
        (_, crate::config::OrderTarget::SalesInvoice) => DocTarget::SalesInvoice,
        (_, crate::config::OrderTarget::SalesOrder) => DocTarget::SalesOrder,
    }
}

#[cfg(test)]
mod variant_tests {
    use super::*;
    use crate::config::ItemVariants;

    fn item(code: &str, parent: &str, size: &str) -> wire::Item {
        wire::Item {
            id: format!("id-{code}"),
            code: Some(code.to_owned()),
            free_text_field_01: Some(parent.to_owned()),
            free_text_field_02: Some(size.to_owned()),
            free_text_field_04: Some(" Portugal ".to_owned()),
            ..wire::Item::default()
        }
    }

    #[test]
    fn free_fields_give_variants_attributes_and_features() {
        let v = ItemVariants::default();
        let i = item("TEE-S", "TEE", "S");
        let mut p = product(&i, Currency::EUR, &Default::default()).unwrap();
        item_variants(&i, &v, &mut p);
        assert_eq!(p.variant_of.as_deref(), Some("TEE"));
        assert_eq!(p.attributes, vec![Attribute { name: "size".into(), value: "S".into() }]);
        let origin = Attribute { name: "country_of_origin".into(), value: "Portugal".into() };
        assert_eq!(p.features, vec![origin.clone()]);
        // The parent names itself: the configurable product, no attributes.
        let i = item("TEE", "TEE", "");
        let mut p = product(&i, Currency::EUR, &Default::default()).unwrap();
        item_variants(&i, &v, &mut p);
        assert_eq!((p.kind, p.variant_of.as_deref()), (ProductKind::Configurable, None));
        assert!(p.attributes.is_empty());
        assert_eq!(p.features, vec![origin]);
        // No parent: a simple product.
        let i = item("MUG", " ", "");
        let mut p = product(&i, Currency::EUR, &Default::default()).unwrap();
        item_variants(&i, &v, &mut p);
        assert_eq!((p.kind, p.variant_of.as_deref()), (ProductKind::NonInventory, None));
        assert_eq!(i.free_text("FreeTextField_11"), None);
        assert_eq!(i.free_text("Code"), None);
    }
}
