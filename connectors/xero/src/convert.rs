//! Xero wire records to canonical records, and canonical records to Xero's write shapes.

use chrono::{DateTime, NaiveDate, Utc};
use connector_core::Error;
use connector_core::http::dates;
use connector_core::model::{
    Address, AddressKind, Attribute, ContactKind, ContactPerson, Currency, Customer, DocumentLine,
    DocumentParty, Email, EntityRef, Invoice, InvoiceKind, InvoiceStatus, Lifecycle, Money, Order,
    OrderKind, OrderStatus, Phone, PriceListEntry, Product, ProductKind, StockLevel, Totals,
};
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

use crate::client::NAME;
use crate::wire;

/// What conversion needs from the connection.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// The organisation's base currency.
    pub currency: Currency,
    /// The tracking category that names the sales rep.
    pub rep_category: Option<String>,
}

fn non_empty(s: Option<&String>) -> Option<String> {
    s.map(|v| v.trim()).filter(|v| !v.is_empty()).map(str::to_owned)
}

fn instant(field: &str, s: Option<&String>) -> Result<Option<DateTime<Utc>>, Error> {
    match s.map(|s| s.trim()).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => dates::parse_instant(s)
            .map(Some)
            .map_err(|e| Error::invalid_field(field, e.message().to_owned())),
    }
}

fn date(field: &str, s: Option<&String>) -> Result<Option<NaiveDate>, Error> {
    match s.map(|s| s.trim()).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => dates::parse_date(s)
            .map(Some)
            .map_err(|e| Error::invalid_field(field, e.message().to_owned())),
    }
}

fn currency(ctx: &Ctx, code: Option<&String>) -> Result<Currency, Error> {
    match code.map(|c| c.trim()).filter(|c| !c.is_empty()) {
        None => Ok(ctx.currency),
        Some(c) => Currency::new(c)
            .map_err(|e| Error::invalid_field("CurrencyCode", e.message().to_owned())),
    }
}

fn address(a: &wire::Address) -> Option<Address> {
    let kind = match a.address_type.as_deref() {
        Some("POBOX") => AddressKind::Billing,
        Some("STREET") | Some("DELIVERY") => AddressKind::Shipping,
        _ => AddressKind::Other,
    };
    let lines: Vec<String> =
        [&a.address_line1, &a.address_line2, &a.address_line3, &a.address_line4]
            .into_iter()
            .filter_map(|l| non_empty(l.as_ref()))
            .collect();
    let out = Address {
        kind,
        lines,
        street_number: None,
        postal_code: non_empty(a.postal_code.as_ref()),
        city: non_empty(a.city.as_ref()),
        region: non_empty(a.region.as_ref()),
        country: non_empty(a.country.as_ref()),
        attention: non_empty(a.attention_to.as_ref()),
    };
    let empty = out.lines.is_empty()
        && out.postal_code.is_none()
        && out.city.is_none()
        && out.region.is_none()
        && out.country.is_none();
    (!empty).then_some(out)
}

/// A contact as a customer. Fails when it has neither a name nor a number.
pub fn customer(c: &wire::Contact, ctx: &Ctx) -> Result<Customer, Error> {
    let number =
        non_empty(c.contact_number.as_ref()).or_else(|| non_empty(c.account_number.as_ref()));
    let name = non_empty(c.name.as_ref());
    if number.is_none() && name.is_none() {
        return Err(Error::invalid_field(
            "Name",
            "the contact has neither a name nor a contact or account number",
        ));
    }
    let updated = instant("UpdatedDateUTC", c.updated_date_utc.as_ref())?;
    let mut out = Customer { number, name, ..Customer::default() };
    out.first_name = non_empty(c.first_name.as_ref());
    out.last_name = non_empty(c.last_name.as_ref());
    if let Some(e) = non_empty(c.email_address.as_ref()) {
        out.emails.push(Email { address: e, kind: ContactKind::Work, primary: true });
    }
    for p in &c.phones {
        let Some(n) = non_empty(p.phone_number.as_ref()) else { continue };
        let full = [p.phone_country_code.as_ref(), p.phone_area_code.as_ref()]
            .into_iter()
            .filter_map(|s| non_empty(s))
            .chain(std::iter::once(n))
            .collect::<Vec<_>>()
            .join(" ");
        let kind = match p.phone_type.as_deref() {
            Some("MOBILE") => ContactKind::Mobile,
            Some("FAX") => ContactKind::Fax,
            _ => ContactKind::Work,
        };
        out.phones.push(Phone { number: full, kind });
    }
    out.addresses = c.addresses.iter().filter_map(address).collect();
    if let Some(w) = non_empty(c.website.as_ref()) {
        out.websites.push(w);
    }
    out.tax_number = non_empty(c.tax_number.as_ref());
    out.registration_number = non_empty(c.company_number.as_ref());
    out.currency = match non_empty(c.default_currency.as_ref()) {
        Some(code) => Some(
            Currency::new(&code)
                .map_err(|e| Error::invalid_field("DefaultCurrency", e.message().to_owned()))?,
        ),
        None => None,
    };
    for p in &c.contact_persons {
        let person = ContactPerson {
            first_name: non_empty(p.first_name.as_ref()),
            last_name: non_empty(p.last_name.as_ref()),
            emails: non_empty(p.email_address.as_ref())
                .map(|a| vec![Email { address: a, kind: ContactKind::Work, primary: true }])
                .unwrap_or_default(),
            primary: p.include_in_emails.unwrap_or(false),
            ..ContactPerson::default()
        };
        out.contacts.push(person);
    }
    if let Some(t) = c.payment_terms.as_ref().and_then(|t| t.sales.as_ref()) {
        if let (Some(day), Some(kind)) = (t.day, t.kind.as_ref()) {
            out.payment_term = Some(EntityRef::by_key(format!("{day} {kind}")));
        }
    }
    out.sales_rep = c
        .sales_tracking_categories
        .iter()
        .find(|t| match &ctx.rep_category {
            Some(cat) => t.tracking_category_name.as_deref() == Some(cat.as_str()),
            None => true,
        })
        .and_then(|t| non_empty(t.tracking_option_name.as_ref()))
        .map(EntityRef::by_key);
    out.meta.lifecycle = match c.contact_status.as_deref() {
        Some("ARCHIVED") | Some("GDPRREQUEST") => Lifecycle::Inactive,
        _ => Lifecycle::Active,
    };
    out.meta.updated_at = updated;
    let r = out.meta.refs.set(NAME, c.contact_id.clone());
    r.updated_at = updated;
    r.number = non_empty(c.contact_number.as_ref());
    Ok(out)
}

/// An item as a product. Fails without a code.
pub fn product(i: &wire::Item, ctx: &Ctx) -> Result<Product, Error> {
    let sku = non_empty(i.code.as_ref())
        .ok_or_else(|| Error::invalid_field("Code", "the item has no code"))?;
    let updated = instant("UpdatedDateUTC", i.updated_date_utc.as_ref())?;
    let tracked = i.is_tracked_as_inventory.unwrap_or(false);
    let mut p = Product { sku, ..Product::default() };
    p.name = non_empty(i.name.as_ref());
    p.description = non_empty(i.description.as_ref());
    p.kind = if tracked { ProductKind::Inventory } else { ProductKind::NonInventory };
    p.stock_tracked = tracked;
    p.sold = i.is_sold.unwrap_or(true);
    p.purchased = i.is_purchased.unwrap_or(false);
    if let Some(s) = &i.sales_details {
        p.sales_price = s.unit_price.map(|a| Money::new(a, ctx.currency));
        p.tax_rate = non_empty(s.tax_type.as_ref()).map(EntityRef::by_key);
    }
    if let Some(s) = &i.purchase_details {
        p.purchase_price = s.unit_price.map(|a| Money::new(a, ctx.currency));
    }
    p.meta.updated_at = updated;
    p.meta.refs.set(NAME, i.item_id.clone()).updated_at = updated;
    Ok(p)
}

/// A tracked item's quantity on hand as a stock level (Xero has no warehouses).
pub fn stock_level(i: &wire::Item) -> Result<Option<StockLevel>, Error> {
    if !i.is_tracked_as_inventory.unwrap_or(false) {
        return Ok(None);
    }
    let Some(sku) = non_empty(i.code.as_ref()) else { return Ok(None) };
    let updated = instant("UpdatedDateUTC", i.updated_date_utc.as_ref())?;
    let q = i.quantity_on_hand.unwrap_or_default();
    let mut s = StockLevel {
        sku,
        warehouse: None,
        on_hand: Some(q),
        reserved: None,
        available: Some(q),
        incoming: None,
        as_of: updated,
        meta: Default::default(),
    };
    s.meta.updated_at = updated;
    s.meta.refs.set(NAME, i.item_id.clone());
    Ok(Some(s))
}

/// An item's sales price as a price-list entry.
pub fn price_entry(i: &wire::Item, ctx: &Ctx) -> Option<PriceListEntry> {
    let sku = non_empty(i.code.as_ref())?;
    let price = i.sales_details.as_ref()?.unit_price?;
    Some(PriceListEntry {
        sku,
        unit: None,
        unit_price: Money::new(price, ctx.currency),
        min_quantity: Decimal::ONE,
        discount_percent: None,
        valid_from: None,
        valid_to: None,
    })
}

fn party(c: Option<&wire::ContactRef>) -> DocumentParty {
    let Some(c) = c else { return DocumentParty::default() };
    DocumentParty {
        customer: EntityRef {
            id: non_empty(c.contact_id.as_ref()),
            key: non_empty(c.contact_number.as_ref()),
            name: non_empty(c.name.as_ref()),
        },
        name: non_empty(c.name.as_ref()),
        email: non_empty(c.email_address.as_ref()),
        ..DocumentParty::default()
    }
}

fn lines(
    items: &[wire::LineItem],
    cur: Currency,
    inclusive: bool,
    rep_category: Option<&str>,
) -> (Vec<DocumentLine>, Option<String>) {
    let mut rep = None;
    let out = items
        .iter()
        .enumerate()
        .map(|(n, l)| {
            let money = |d: Option<Decimal>| d.map(|a| Money::new(a, cur));
            let dims: Vec<Attribute> = l
                .tracking
                .iter()
                .filter_map(|t| {
                    Some(Attribute {
                        name: non_empty(t.name.as_ref())?,
                        value: non_empty(t.option.as_ref())?,
                    })
                })
                .collect();
            if rep.is_none() {
                if let Some(cat) = rep_category {
                    rep = dims.iter().find(|d| d.name == cat).map(|d| d.value.clone());
                }
            }
            let gross = if inclusive {
                l.line_amount
            } else {
                l.line_amount.zip(l.tax_amount).map(|(a, t)| a + t)
            };
            let net = if inclusive {
                l.line_amount.zip(l.tax_amount).map(|(a, t)| a - t)
            } else {
                l.line_amount
            };
            DocumentLine {
                line_no: u32::try_from(n + 1).ok(),
                sku: non_empty(l.item_code.as_ref()),
                description: non_empty(l.description.as_ref()),
                quantity: l.quantity.unwrap_or_default(),
                unit: None,
                unit_price: money(l.unit_amount),
                discount_percent: l.discount_rate,
                tax_rate: non_empty(l.tax_type.as_ref()).map(EntityRef::by_key),
                tax_percent: None,
                tax_amount: money(l.tax_amount),
                net_amount: money(net),
                gross_amount: money(gross),
                account: non_empty(l.account_code.as_ref()),
                warehouse: None,
                delivery_date: None,
                dimensions: dims,
            }
        })
        .collect();
    (out, rep)
}

/// Whether line amounts include tax: invoices say `Inclusive`, quotes `INCLUSIVE`.
fn is_inclusive(line_amount_types: Option<&str>) -> bool {
    line_amount_types.is_some_and(|t| t.eq_ignore_ascii_case("Inclusive"))
}

/// A sales invoice.
pub fn invoice(i: &wire::Invoice, ctx: &Ctx) -> Result<Invoice, Error> {
    let cur = currency(ctx, i.currency_code.as_ref())?;
    let updated = instant("UpdatedDateUTC", i.updated_date_utc.as_ref())?;
    let inclusive = is_inclusive(i.line_amount_types.as_deref());
    let (lines, rep) = lines(&i.line_items, cur, inclusive, ctx.rep_category.as_deref());
    let status = match i.status.as_deref().unwrap_or("DRAFT") {
        "DRAFT" => InvoiceStatus::Draft,
        "SUBMITTED" => InvoiceStatus::Submitted,
        "AUTHORISED" => InvoiceStatus::Authorised,
        "PAID" => InvoiceStatus::Paid,
        "VOIDED" => InvoiceStatus::Void,
        other => InvoiceStatus::Other(other.to_owned()),
    };
    let money = |d: Option<Decimal>| d.map(|a| Money::new(a, cur));
    let mut out = Invoice {
        number: non_empty(i.invoice_number.as_ref()),
        reference: non_empty(i.reference.as_ref()),
        kind: match i.kind.as_deref() {
            Some("ACCPAY") => InvoiceKind::Payable,
            _ => InvoiceKind::Receivable,
        },
        status,
        party: party(i.contact.as_ref()),
        issue_date: date("Date", i.date.as_ref())?,
        due_date: date("DueDate", i.due_date.as_ref())?,
        currency: cur,
        tax_inclusive: inclusive,
        sales_rep: rep.map(EntityRef::by_key),
        lines,
        totals: Totals {
            sub_total: money(i.sub_total),
            discount_total: None,
            tax_total: money(i.total_tax),
            total: money(i.total),
            balance_due: money(i.amount_due),
        },
        ..Invoice::default()
    };
    out.meta.lifecycle = match i.status.as_deref() {
        Some("DELETED") => Lifecycle::Deleted,
        Some("VOIDED") => Lifecycle::Inactive,
        _ => Lifecycle::Active,
    };
    out.meta.updated_at = updated;
    let r = out.meta.refs.set(NAME, i.invoice_id.clone());
    r.updated_at = updated;
    r.number = out.number.clone();
    Ok(out)
}

/// A quote as an order of kind quote.
pub fn quote(q: &wire::Quote, ctx: &Ctx) -> Result<Order, Error> {
    let cur = currency(ctx, q.currency_code.as_ref())?;
    let updated = instant("UpdatedDateUTC", q.updated_date_utc.as_ref())?;
    let inclusive = is_inclusive(q.line_amount_types.as_deref());
    let (lines, rep) = lines(&q.line_items, cur, inclusive, ctx.rep_category.as_deref());
    let status = match q.status.as_deref().unwrap_or("DRAFT") {
        "DRAFT" => OrderStatus::Draft,
        "SENT" => OrderStatus::Open,
        "ACCEPTED" => OrderStatus::Completed,
        "INVOICED" => OrderStatus::Closed,
        "DECLINED" => OrderStatus::Cancelled,
        other => OrderStatus::Other(other.to_owned()),
    };
    let money = |d: Option<Decimal>| d.map(|a| Money::new(a, cur));
    let mut out = Order {
        number: non_empty(q.quote_number.as_ref()),
        kind: OrderKind::Quote,
        status,
        party: party(q.contact.as_ref()),
        order_date: date("Date", q.date.as_ref())?,
        delivery_date: None,
        payment_date: date("ExpiryDate", q.expiry_date.as_ref())?,
        currency: cur,
        tax_inclusive: inclusive,
        sales_rep: rep.map(EntityRef::by_key),
        lines,
        totals: Totals {
            sub_total: money(q.sub_total),
            discount_total: None,
            tax_total: money(q.total_tax),
            total: money(q.total),
            balance_due: None,
        },
        memo: non_empty(q.summary.as_ref()),
        ..Order::default()
    };
    if q.status.as_deref() == Some("DELETED") {
        out.meta.lifecycle = Lifecycle::Deleted;
    }
    out.meta.updated_at = updated;
    let r = out.meta.refs.set(NAME, q.quote_id.clone());
    r.updated_at = updated;
    r.number = out.number.clone();
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Canonical → Xero

fn put(map: &mut Map<String, Value>, key: &str, value: Option<impl Into<Value>>) {
    if let Some(v) = value {
        map.insert(key.to_owned(), v.into());
    }
}

/// A decimal as an exact JSON number (no `f64` on the way).
pub fn number(d: Decimal) -> Value {
    serde_json::from_str(&d.normalize().to_string()).unwrap_or(Value::Null)
}

/// A customer as a Contact write (`ContactID` set for an update).
pub fn contact_body(c: &Customer, target_id: Option<&str>, archive: bool) -> Value {
    let mut m = Map::new();
    put(&mut m, "ContactID", target_id);
    if archive {
        m.insert("ContactStatus".into(), json!("ARCHIVED"));
        return Value::Object(m);
    }
    put(&mut m, "ContactNumber", c.number.clone());
    put(&mut m, "Name", c.name.clone());
    put(&mut m, "FirstName", c.first_name.clone());
    put(&mut m, "LastName", c.last_name.clone());
    put(&mut m, "EmailAddress", c.primary_email().map(str::to_owned));
    put(&mut m, "TaxNumber", c.tax_number.clone());
    put(&mut m, "CompanyNumber", c.registration_number.clone());
    put(&mut m, "DefaultCurrency", c.currency.map(|c| c.as_str().to_owned()));
    if !c.addresses.is_empty() {
        let addrs: Vec<Value> = c
            .addresses
            .iter()
            .map(|a| {
                let mut o = Map::new();
                let t = if a.kind == AddressKind::Shipping { "STREET" } else { "POBOX" };
                o.insert("AddressType".into(), json!(t));
                for (i, l) in a.lines.iter().take(4).enumerate() {
                    o.insert(format!("AddressLine{}", i + 1), json!(l));
                }
                put(&mut o, "City", a.city.clone());
                put(&mut o, "Region", a.region.clone());
                put(&mut o, "PostalCode", a.postal_code.clone());
                put(&mut o, "Country", a.country.clone());
                put(&mut o, "AttentionTo", a.attention.clone());
                Value::Object(o)
            })
            .collect();
        m.insert("Addresses".into(), Value::Array(addrs));
    }
    if !c.phones.is_empty() {
        let phones: Vec<Value> = c
            .phones
            .iter()
            .map(|p| {
                let t = match p.kind {
                    ContactKind::Mobile => "MOBILE",
                    ContactKind::Fax => "FAX",
                    _ => "DEFAULT",
                };
                json!({ "PhoneType": t, "PhoneNumber": p.number })
            })
            .collect();
        m.insert("Phones".into(), Value::Array(phones));
    }
    if !c.meta.lifecycle.is_active() {
        m.insert("ContactStatus".into(), json!("ARCHIVED"));
    }
    Value::Object(m)
}

/// Options for document writes.
#[derive(Debug, Clone)]
pub struct DocOptions<'a> {
    /// The invoice status for orders.
    pub invoice_status: &'a str,
    /// The account code for lines without one.
    pub account_code: Option<&'a str>,
    /// The tracking category for the rep.
    pub rep_category: Option<&'a str>,
}

/// The reference written for an order: its number, plus the rep when no tracking category
/// carries it (`SO-1 / JD`).
pub fn reference(o: &Order, opts: &DocOptions<'_>) -> Option<String> {
    let number = o.number.clone()?;
    let rep = o.sales_rep.as_ref().and_then(|r| r.key.clone().or_else(|| r.name.clone()));
    Some(match (rep, opts.rep_category) {
        (Some(rep), None) => format!("{number} / {rep}"),
        _ => number,
    })
}

/// An order as an `ACCREC` invoice, or a quote as a Quote (its `QuoteNumber` the order
/// number, which `GET /Quotes?QuoteNumber=` finds again). The status is set on create only:
/// an update never moves an approved document back. Lines carry quantity, unit amount and
/// discount; Xero computes `LineAmount` from them (sent beside them, it must agree to the
/// cent or the document is refused).
pub fn document_body(
    o: &Order,
    target_id: Option<&str>,
    opts: &DocOptions<'_>,
) -> Result<Value, Error> {
    let mut m = Map::new();
    let quote = o.kind == OrderKind::Quote;
    let create = target_id.is_none();
    if quote {
        put(&mut m, "QuoteID", target_id);
        if create {
            m.insert("Status".into(), json!("DRAFT"));
            let number = o.number.clone().filter(|n| !n.trim().is_empty()).ok_or_else(|| {
                Error::invalid_field("number", "a quote needs its number (QuoteNumber)")
            })?;
            m.insert("QuoteNumber".into(), json!(number));
        }
        put(&mut m, "Summary", o.memo.clone());
    } else {
        put(&mut m, "InvoiceID", target_id);
        m.insert("Type".into(), json!("ACCREC"));
        if create {
            m.insert("Status".into(), json!(opts.invoice_status));
        }
    }
    let c = &o.party.customer;
    let mut contact = Map::new();
    put(&mut contact, "ContactID", c.id.clone());
    if c.id.is_none() {
        put(&mut contact, "ContactNumber", c.key.clone());
        put(&mut contact, "Name", c.name.clone().or_else(|| o.party.name.clone()));
    }
    if contact.is_empty() {
        return Err(Error::invalid_field("party.customer", "the order names no customer"));
    }
    m.insert("Contact".into(), Value::Object(contact));
    let day =
        o.order_date.ok_or_else(|| Error::invalid_field("order_date", "the order has no date"))?;
    m.insert("Date".into(), json!(day.format("%Y-%m-%d").to_string()));
    if let Some(d) = o.payment_date.or(o.delivery_date) {
        let key = if quote { "ExpiryDate" } else { "DueDate" };
        m.insert(key.into(), json!(d.format("%Y-%m-%d").to_string()));
    }
    put(&mut m, "Reference", reference(o, opts));
    m.insert("CurrencyCode".into(), json!(o.currency.as_str()));
    // Quotes spell it upper case (`QuoteLineAmountTypes`), invoices not.
    let amounts = match (quote, o.tax_inclusive) {
        (true, true) => "INCLUSIVE",
        (true, false) => "EXCLUSIVE",
        (false, true) => "Inclusive",
        (false, false) => "Exclusive",
    };
    m.insert("LineAmountTypes".into(), json!(amounts));
    if o.lines.is_empty() {
        return Err(Error::invalid_field("lines", "the order has no lines"));
    }
    let rep = o.sales_rep.as_ref().and_then(|r| r.key.clone().or_else(|| r.name.clone()));
    let mut lines = Vec::with_capacity(o.lines.len() + 1);
    for (n, l) in o.lines.iter().enumerate() {
        let mut lm = Map::new();
        put(&mut lm, "ItemCode", l.sku.clone());
        put(&mut lm, "Description", l.description.clone().or_else(|| l.sku.clone()));
        lm.insert("Quantity".into(), number(l.quantity));
        let price = l.unit_price.ok_or_else(|| {
            Error::invalid_field(format!("lines[{n}].unit_price"), "the line has no unit price")
        })?;
        if price.currency != o.currency {
            return Err(Error::invalid_field(
                format!("lines[{n}].unit_price"),
                format!("the price is in {} but the order in {}", price.currency, o.currency),
            ));
        }
        lm.insert("UnitAmount".into(), number(price.amount));
        if let Some(d) = l.discount_percent {
            lm.insert("DiscountRate".into(), number(d));
        }
        put(
            &mut lm,
            "AccountCode",
            l.account.clone().or_else(|| opts.account_code.map(str::to_owned)),
        );
        put(&mut lm, "TaxType", l.tax_rate.as_ref().and_then(|t| t.key.clone()));
        if let (Some(cat), Some(rep)) = (opts.rep_category, rep.as_ref()) {
            lm.insert("Tracking".into(), json!([{ "Name": cat, "Option": rep }]));
        }
        lines.push(Value::Object(lm));
    }
    if !quote {
        if let Some(memo) = o.memo.as_ref().filter(|s| !s.trim().is_empty()) {
            lines.push(json!({ "Description": memo }));
        }
    }
    m.insert("LineItems".into(), Value::Array(lines));
    Ok(Value::Object(m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_stay_exact() {
        let v = number("1234.5678".parse().unwrap());
        assert_eq!(v.to_string(), "1234.5678");
        let v = number("0.10".parse().unwrap());
        assert_eq!(v.to_string(), "0.1");
    }

    #[test]
    fn archived_contacts_are_inactive_and_nameless_ones_fail() {
        let ctx = Ctx { currency: Currency::NZD, rep_category: Some("Sales Rep".into()) };
        let c: wire::Contact = serde_json::from_str(
            r#"{"ContactID":"c1","ContactStatus":"ARCHIVED","Name":"A","UpdatedDateUTC":"/Date(1573755038314+0000)/",
               "SalesTrackingCategories":[{"TrackingCategoryName":"Region","TrackingOptionName":"North"},{"TrackingCategoryName":"Sales Rep","TrackingOptionName":"JD"}]}"#,
        )
        .unwrap();
        let out = customer(&c, &ctx).unwrap();
        assert_eq!(out.meta.lifecycle, Lifecycle::Inactive);
        assert_eq!(out.sales_rep.unwrap().key.as_deref(), Some("JD"));
        assert_eq!(out.meta.updated_at.unwrap().timestamp_millis(), 1_573_755_038_314);
        let none: wire::Contact =
            serde_json::from_str(r#"{"ContactID":"c2","Name":"  "}"#).unwrap();
        assert_eq!(customer(&none, &ctx).unwrap_err().field(), Some("Name"));
    }
}
