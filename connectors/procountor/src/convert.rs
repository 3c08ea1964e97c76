//! Conversions: canonical orders → Procountor invoice bodies (raw JSON), and Procountor's
//! records → canonical customers, products and invoices.

use std::collections::HashMap;
use std::str::FromStr;

use chrono::{Days, NaiveDate, NaiveDateTime, TimeZone, Utc};
use connector_core::model::{
    Address, AddressKind, ContactKind, Currency, CustomField, CustomValue, Customer, CustomerKind,
    DocumentLine, DocumentParty, Email, EntityRef, Invoice, InvoiceKind, InvoiceStatus, Lifecycle,
    Money, Order, Phone, Product, ProductKind, SourceRef,
};
use connector_core::{Error, Result};
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

use crate::business_id::{is_valid_bank_reference, normalize_business_id};
use crate::client::CONNECTOR;
use crate::config::{ChannelPolicy, InvoiceChannel, InvoiceSettings};
use crate::country::{compact_iban, country_enum, country_iso, unit_enum};
use crate::wire::{BusinessPartner, WireAddress, WireInvoice, WireProduct};

/// A decimal as an exact JSON number.
pub fn number(d: Decimal) -> Value {
    let text = d.normalize().to_string();
    serde_json::Number::from_str(&text).map(Value::Number).unwrap_or(Value::String(text))
}

fn text(custom: &connector_core::model::CustomFields, name: &str) -> Option<String> {
    match custom.get(name).map(|f| &f.value) {
        Some(CustomValue::Text(s) | CustomValue::Choice(s)) if !s.trim().is_empty() => {
            Some(s.trim().to_owned())
        }
        _ => None,
    }
}

fn non_empty(s: Option<&str>) -> Option<&str> {
    s.map(str::trim).filter(|s| !s.is_empty())
}

/// The customer data an invoice carries, from the order or from the register.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PartyDetails {
    /// Name.
    pub name: Option<String>,
    /// Business ID, normalised.
    pub identifier: Option<String>,
    /// Customer number.
    pub customer_number: Option<String>,
    /// Billing e-mail.
    pub email: Option<String>,
    /// Street.
    pub street: Option<String>,
    /// Postal code.
    pub zip: Option<String>,
    /// City.
    pub city: Option<String>,
    /// Country enum name.
    pub country: Option<String>,
    /// E-invoice address.
    pub einvoice_address: Option<String>,
    /// E-invoice operator.
    pub einvoice_operator: Option<String>,
}

impl PartyDetails {
    fn has_postal_address(&self) -> bool {
        self.street.is_some() && self.zip.is_some() && self.city.is_some()
    }

    /// The `address` object of a partner or the `counterPartyAddress` of an invoice.
    pub fn address_json(&self) -> Value {
        let mut a = Map::new();
        a.insert("name".into(), json!(self.name.clone().unwrap_or_default()));
        for (k, v) in [
            ("street", &self.street),
            ("zip", &self.zip),
            ("city", &self.city),
            ("country", &self.country),
        ] {
            if let Some(v) = v {
                a.insert(k.into(), json!(v));
            }
        }
        Value::Object(a)
    }

    /// The `invoicingInfo` these details set (customer number, business ID, e-mail,
    /// e-invoice address and operator), over `base` (a partner's current `invoicingInfo`).
    fn invoicing_json(&self, base: Option<&Value>) -> Value {
        let mut o = base.and_then(Value::as_object).cloned().unwrap_or_default();
        for (k, v) in [
            ("customerNumber", &self.customer_number),
            ("identifier", &self.identifier),
            ("email", &self.email),
            ("einvoiceAddress", &self.einvoice_address),
            ("einvoiceOperator", &self.einvoice_operator),
        ] {
            if let Some(v) = v {
                o.insert(k.into(), json!(v));
            }
        }
        Value::Object(o)
    }

    /// A new customer for `POST /businesspartners`: its name and address, the invoicing data
    /// in `invoicingInfo`, and the `paymentInfo.paymentMethod` Procountor requires.
    pub fn new_partner_json(&self, payment_method: &str) -> Value {
        json!({
            "type": "CUSTOMER",
            "name": self.name.clone().unwrap_or_default(),
            "address": self.address_json(),
            "invoicingInfo": self.invoicing_json(None),
            "paymentInfo": { "paymentMethod": payment_method },
        })
    }

    /// A `PATCH /businesspartners/{id}` body that sets these details on `current` (the
    /// partner as `GET /businesspartners/{id}` answered it): its `version`, its name, type and
    /// payment info as they are, and its `invoicingInfo` and `address` with the order's values
    /// laid over them, whole, so nothing the order does not set is lost.
    pub fn partner_patch_json(&self, current: &Value) -> Value {
        let mut address =
            current.get("address").and_then(Value::as_object).cloned().unwrap_or_default();
        if let Value::Object(mine) = self.address_json() {
            for (k, v) in mine {
                if !(k == "name" && v.as_str().is_some_and(str::is_empty)) {
                    address.insert(k, v);
                }
            }
        }
        let mut body = json!({
            "name": self.name.clone().or_else(|| current["name"].as_str().map(str::to_owned)).unwrap_or_default(),
            "type": current.get("type").cloned().unwrap_or_else(|| json!("CUSTOMER")),
            "address": address,
            "invoicingInfo": self.invoicing_json(current.get("invoicingInfo")),
            "version": current.get("version").cloned().unwrap_or(Value::Null),
        });
        if let Some(pay) = current.get("paymentInfo").filter(|p| p.is_object()) {
            body["paymentInfo"] = pay.clone();
        }
        body
    }

    /// The register's details of a partner.
    pub fn from_partner(p: &BusinessPartner) -> Self {
        let a = p.address.clone().unwrap_or_default();
        let i = p.invoicing();
        Self {
            name: non_empty(a.name.as_deref()).or(non_empty(p.name.as_deref())).map(str::to_owned),
            identifier: non_empty(i.identifier.as_deref()).map(str::to_owned),
            customer_number: non_empty(i.customer_number.as_deref()).map(str::to_owned),
            email: non_empty(i.email.as_deref()).map(str::to_owned),
            street: non_empty(a.street.as_deref()).map(str::to_owned),
            zip: non_empty(a.zip.as_deref()).map(str::to_owned),
            city: non_empty(a.city.as_deref()).map(str::to_owned),
            country: non_empty(a.country.as_deref()).map(str::to_owned),
            einvoice_address: non_empty(i.einvoice_address.as_deref()).map(str::to_owned),
            einvoice_operator: non_empty(i.einvoice_operator.as_deref()).map(str::to_owned),
        }
    }

    /// Whether the register entry differs from these details in what the order sets.
    pub fn differs_from(&self, register: &PartyDetails) -> bool {
        let pairs = [
            (&self.name, &register.name),
            (&self.identifier, &register.identifier),
            (&self.email, &register.email),
            (&self.street, &register.street),
            (&self.zip, &register.zip),
            (&self.city, &register.city),
            (&self.country, &register.country),
            (&self.einvoice_address, &register.einvoice_address),
        ];
        pairs.iter().any(|(mine, theirs)| mine.is_some() && mine != theirs)
    }
}

/// The customer data of an order, validated: a bad business ID or an unknown country is an
/// error naming the field.
pub fn order_party(order: &Order) -> Result<PartyDetails> {
    let p: &DocumentParty = &order.party;
    let name = non_empty(p.company_name.as_deref())
        .or(non_empty(p.name.as_deref()))
        .map(str::to_owned)
        .or_else(|| {
            let full = [p.first_name.as_deref(), p.last_name.as_deref()]
                .into_iter()
                .flatten()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            (!full.is_empty()).then_some(full)
        });
    let identifier = match non_empty(p.registration_number.as_deref()) {
        Some(id) => Some(
            normalize_business_id(id)
                .map_err(|m| Error::invalid_field("party.registration_number", m))?,
        ),
        None => None,
    };
    let addr = order.billing_address.as_ref();
    let street = addr
        .map(|a| {
            a.lines
                .iter()
                .map(|l| l.trim())
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>()
                .join(", ")
        })
        .filter(|s| !s.is_empty());
    let country = match addr.and_then(|a| non_empty(a.country.as_deref())) {
        Some(c) => Some(
            country_enum(c)
                .ok_or_else(|| {
                    Error::invalid_field(
                        "billing_address.country",
                        format!("`{c}` is not a country Procountor knows"),
                    )
                })?
                .to_owned(),
        ),
        None => None,
    };
    Ok(PartyDetails {
        name,
        identifier,
        customer_number: non_empty(p.customer.key.as_deref()).map(str::to_owned),
        email: non_empty(p.email.as_deref()).map(str::to_owned),
        street,
        zip: addr.and_then(|a| non_empty(a.postal_code.as_deref())).map(str::to_owned),
        city: addr.and_then(|a| non_empty(a.city.as_deref())).map(str::to_owned),
        country,
        einvoice_address: non_empty(p.e_invoice_address.as_deref())
            .map(|s| s.chars().filter(|c| !c.is_whitespace()).collect()),
        einvoice_operator: text(&order.meta.custom, "einvoice_operator"),
    })
}

/// The invoice channel for an order, and a check that the details it needs are there.
pub fn choose_channel(
    order: &Order,
    details: &PartyDetails,
    policy: ChannelPolicy,
) -> Result<InvoiceChannel> {
    let channel = match policy {
        ChannelPolicy::Forced(c) => c,
        ChannelPolicy::FromOrder => match text(&order.meta.custom, "invoice_channel") {
            Some(c) => InvoiceChannel::parse(&c)
                .map_err(|e| Error::invalid_field("meta.custom.invoice_channel", e.message()))?,
            None if details.email.is_some() => InvoiceChannel::Email,
            None if details.einvoice_address.is_some() => InvoiceChannel::ElectronicInvoice,
            None => InvoiceChannel::Mail,
        },
    };
    match channel {
        InvoiceChannel::Email if details.email.is_none() => Err(Error::invalid_field(
            "party.email",
            "the EMAIL invoice channel needs a billing e-mail address",
        )),
        InvoiceChannel::Mail if !details.has_postal_address() => Err(Error::invalid_field(
            "billing_address",
            "the MAIL invoice channel needs a street, a postal code and a city \
             (and no billing e-mail or e-invoice address was given)",
        )),
        InvoiceChannel::ElectronicInvoice if details.einvoice_address.is_none() => {
            Err(Error::invalid_field(
                "party.e_invoice_address",
                "the ELECTRONIC_INVOICE channel needs an e-invoice address",
            ))
        }
        InvoiceChannel::ElectronicInvoice
            if details.einvoice_operator.is_none()
                && details.country.as_deref().is_none_or(|c| c == "FINLAND") =>
        {
            Err(Error::invalid_field(
                "meta.custom.einvoice_operator",
                "a Finnish e-invoice address needs its operator (custom field einvoice_operator)",
            ))
        }
        InvoiceChannel::ElectronicInvoice if details.street.is_none() => Err(Error::invalid_field(
            "billing_address",
            "the ELECTRONIC_INVOICE channel needs the billing address",
        )),
        c => Ok(c),
    }
}

/// A product of the register, as the sink uses it for rows.
#[derive(Debug, Clone, PartialEq)]
pub struct RegisterProduct {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: Option<String>,
    /// Code.
    pub code: String,
}

/// What an order carries whoever its customer turns out to be, checked: its number (the
/// `originalInvoiceNumber`), its rows and its bank reference.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderRows<'a> {
    /// The order number, at most 40 characters.
    pub number: &'a str,
    /// The `invoiceRows`.
    pub rows: Vec<Value>,
    /// `bankReferenceCode`: a supplied reference with a valid check digit, or empty.
    pub reference: String,
}

/// Checks what an order carries whoever its customer turns out to be, before anything is
/// written for it: the number, the payment method, every row (unit, price, a VAT percentage
/// in use, a text) and a supplied bank reference. Errors name the order's field.
pub fn order_rows<'a>(
    order: &'a Order,
    settings: &InvoiceSettings,
    vats: &[Decimal],
    products: &HashMap<String, RegisterProduct>,
) -> Result<OrderRows<'a>> {
    let number = non_empty(order.number.as_deref())
        .ok_or_else(|| Error::invalid_field("number", "an order needs its number"))?;
    if number.chars().count() > 40 {
        return Err(Error::invalid_field(
            "number",
            "the order number is longer than the 40 characters of originalInvoiceNumber",
        ));
    }
    if settings.payment_method.eq_ignore_ascii_case("DIRECT_DEBIT") {
        return Err(Error::config("paymentMethod DIRECT_DEBIT is not allowed on create"));
    }
    if order.lines.is_empty() {
        return Err(Error::invalid_field("lines", "an invoice needs at least one row"));
    }
    let mut rows = Vec::with_capacity(order.lines.len());
    for (i, line) in order.lines.iter().enumerate() {
        rows.push(row_json(i, line, order.currency, vats, products)?);
    }
    let reference = match text(&order.meta.custom, "bank_reference") {
        Some(r) if is_valid_bank_reference(&r) => {
            r.chars().filter(|c| !c.is_whitespace()).collect()
        }
        Some(r) => {
            return Err(Error::invalid_field(
                "meta.custom.bank_reference",
                format!("`{r}` has no valid check digit (Finnish 7-3-1 or RF)"),
            ));
        }
        None => String::new(),
    };
    Ok(OrderRows { number, rows, reference })
}

/// Builds the `POST /invoices` body for an order (type SALES_INVOICE; Procountor creates
/// it UNFINISHED). `products` holds the register matches by code (empty when product
/// matching is off). Every problem is an error naming the order's field.
#[allow(clippy::too_many_arguments)]
pub fn invoice_body(
    order: &Order,
    details: &PartyDetails,
    partner_id: Option<i64>,
    channel: InvoiceChannel,
    settings: &InvoiceSettings,
    vats: &[Decimal],
    products: &HashMap<String, RegisterProduct>,
    today: NaiveDate,
) -> Result<Value> {
    let OrderRows { number, rows, reference } = order_rows(order, settings, vats, products)?;
    if details.name.is_none() {
        return Err(Error::invalid_field("party.name", "the invoice needs the customer's name"));
    }
    let date = order.order_date.unwrap_or(today);
    let due = match order.payment_date {
        Some(d) => d,
        None => date.checked_add_days(Days::new(u64::from(settings.payment_days))).unwrap_or(date),
    };
    let mut payment = json!({
        "paymentMethod": settings.payment_method,
        "currency": order.currency.as_str(),
        "dueDate": due.to_string(),
        "currencyRate": 1,
        "bankReferenceCode": reference,
    });
    if let Some(iban) = settings.bank_account.as_deref().filter(|s| !s.trim().is_empty()) {
        payment["bankAccount"] = json!({ "accountNumber": compact_iban(iban) });
    }
    let mut counter_party = json!({ "counterPartyAddress": details.address_json() });
    let cp = counter_party.as_object_mut().expect("an object");
    if let Some(v) = &details.identifier {
        cp.insert("identifier".into(), json!(v));
    }
    if let Some(v) = &details.customer_number {
        cp.insert("customerNumber".into(), json!(v));
    }
    if let Some(v) = &details.email {
        cp.insert("email".into(), json!(v));
    }
    if let Some(v) = &details.einvoice_address {
        cp.insert(
            "einvoiceAddress".into(),
            json!({ "operator": details.einvoice_operator.clone().unwrap_or_default(), "address": v }),
        );
    }
    let mut body = json!({
        "type": "SALES_INVOICE",
        "date": date.to_string(),
        "counterParty": counter_party,
        "billingAddress": details.address_json(),
        "paymentInfo": payment,
        "extraInfo": { "accountingByRow": false, "unitPricesIncludeVat": order.tax_inclusive },
        "discountPercent": 0,
        "vatStatus": settings.vat_status,
        "invoiceChannel": channel.as_str(),
        "language": settings.language,
        "originalInvoiceNumber": number,
        "invoiceRows": rows,
    });
    let o = body.as_object_mut().expect("an object");
    if let Some(id) = partner_id {
        o.insert("partnerId".into(), json!(id));
    }
    if let Some(r) = text(&order.meta.custom, "order_reference") {
        o.insert("orderReference".into(), json!(r));
    }
    if let Some(memo) = non_empty(order.memo.as_deref()) {
        o.insert("additionalInformation".into(), json!(memo));
    }
    if let Some(d) = order.delivery_date {
        o.insert("deliveryStartDate".into(), json!(d.to_string()));
    }
    if let Some(ship) = &order.shipping_address {
        o.insert("deliveryAddress".into(), delivery_json(ship, details)?);
    }
    Ok(body)
}

fn delivery_json(a: &Address, details: &PartyDetails) -> Result<Value> {
    let mut d = Map::new();
    d.insert(
        "name".into(),
        json!(a.attention.clone().or_else(|| details.name.clone()).unwrap_or_default()),
    );
    let street: Vec<&str> = a.lines.iter().map(|l| l.trim()).filter(|l| !l.is_empty()).collect();
    if !street.is_empty() {
        d.insert("street".into(), json!(street.join(", ")));
    }
    if let Some(z) = non_empty(a.postal_code.as_deref()) {
        d.insert("zip".into(), json!(z));
    }
    if let Some(c) = non_empty(a.city.as_deref()) {
        d.insert("city".into(), json!(c));
    }
    if let Some(c) = non_empty(a.country.as_deref()) {
        let name = country_enum(c).ok_or_else(|| {
            Error::invalid_field(
                "shipping_address.country",
                format!("`{c}` is not a country Procountor knows"),
            )
        })?;
        d.insert("country".into(), json!(name));
    }
    Ok(Value::Object(d))
}

fn row_json(
    i: usize,
    line: &DocumentLine,
    currency: Currency,
    vats: &[Decimal],
    products: &HashMap<String, RegisterProduct>,
) -> Result<Value> {
    let field = |f: &str| format!("lines[{i}].{f}");
    let unit = unit_enum(line.unit.as_deref()).ok_or_else(|| {
        Error::invalid_field(
            field("unit"),
            format!("`{}` is not one of Procountor's units", line.unit.as_deref().unwrap_or("")),
        )
    })?;
    let price = line
        .unit_price
        .as_ref()
        .ok_or_else(|| Error::invalid_field(field("unit_price"), "a row needs its unit price"))?;
    if price.currency != currency {
        return Err(Error::invalid_field(
            field("unit_price"),
            format!("the price is in {}, the order in {currency}", price.currency),
        ));
    }
    let vat = line.tax_percent.ok_or_else(|| {
        Error::invalid_field(field("tax_percent"), "a row needs its VAT percentage")
    })?;
    if !vats.iter().any(|v| *v == vat.normalize()) {
        let in_use = vats.iter().map(|v| v.to_string()).collect::<Vec<_>>().join(", ");
        return Err(Error::invalid_field(
            field("tax_percent"),
            format!(
                "{} % is not a VAT rate in use for the company (in use: {in_use})",
                vat.normalize()
            ),
        ));
    }
    let sku = non_empty(line.sku.as_deref());
    let matched = sku.and_then(|s| products.get(s));
    let product_name = matched
        .and_then(|p| p.name.clone())
        .or_else(|| non_empty(line.description.as_deref()).map(str::to_owned))
        .or_else(|| sku.map(str::to_owned))
        .ok_or_else(|| Error::invalid_field(field("description"), "a free row needs a text"))?;
    let mut row = json!({
        "product": product_name,
        "quantity": number(line.quantity),
        "unit": unit,
        "unitPrice": number(price.amount),
        "discountPercent": number(line.discount_percent.unwrap_or_default()),
        "vatPercent": number(vat),
    });
    if let Some(p) = matched {
        row["productId"] = json!(p.id);
        row["productCode"] = json!(p.code);
    }
    Ok(row)
}

fn parse_version(v: Option<&str>) -> Option<chrono::DateTime<Utc>> {
    let v = v?;
    let trimmed = v.trim_end_matches('Z');
    NaiveDateTime::parse_from_str(trimmed, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|n| Utc.from_utc_datetime(&n))
        .or_else(|| chrono::DateTime::parse_from_rfc3339(v).ok().map(|d| d.with_timezone(&Utc)))
}

fn source_ref(id: i64, number: Option<String>, version: Option<&str>) -> SourceRef {
    SourceRef {
        system: CONNECTOR.to_owned(),
        id: id.to_string(),
        number,
        version: version.map(str::to_owned),
        updated_at: parse_version(version),
    }
}

fn address_from(a: &WireAddress, kind: AddressKind) -> Address {
    Address {
        kind,
        lines: a.street.iter().filter(|s| !s.trim().is_empty()).cloned().collect(),
        postal_code: a.zip.clone(),
        city: a.city.clone(),
        country: a
            .country
            .as_deref()
            .map(|c| country_iso(c).map(str::to_owned).unwrap_or_else(|| c.to_owned())),
        attention: a.specifier.clone(),
        ..Address::default()
    }
}

/// A business partner as a canonical customer: the customer number, business ID, e-mail and
/// e-invoice address from `invoicingInfo`, the phones and the active flag from `registryInfo`.
pub fn customer_from(p: &BusinessPartner, raw: Option<Value>) -> Customer {
    let i = p.invoicing();
    let r = p.registry_info.clone().unwrap_or_default();
    let text = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
    let mut c = Customer {
        number: text(i.customer_number),
        kind: if p.kind.as_deref() == Some("PERSON") {
            CustomerKind::Person
        } else {
            CustomerKind::Company
        },
        name: p.name.clone(),
        emails: text(i.email)
            .into_iter()
            .map(|e| Email { address: e, kind: Default::default(), primary: true })
            .collect(),
        phones: [(r.phone, ContactKind::Work), (r.mobile_phone, ContactKind::Mobile)]
            .into_iter()
            .filter_map(|(n, kind)| text(n).map(|number| Phone { number, kind }))
            .collect(),
        addresses: p.address.iter().map(|a| address_from(a, AddressKind::Billing)).collect(),
        registration_number: text(i.identifier),
        e_invoice_address: text(i.einvoice_address),
        ..Customer::default()
    };
    if let Some(op) = text(i.einvoice_operator) {
        c.meta.custom.insert(
            "einvoice_operator".into(),
            CustomField {
                value: CustomValue::Text(op),
                source: Some("invoicingInfo.einvoiceOperator".into()),
            },
        );
    }
    c.meta.refs.0.push(source_ref(p.id, c.number.clone(), p.version.as_deref()));
    c.meta.updated_at = parse_version(p.version.as_deref());
    if !p.is_active() {
        c.meta.lifecycle = Lifecycle::Inactive;
    }
    c.meta.raw = raw;
    c
}

/// A product of the register as a canonical product; `None` without a code.
pub fn product_from(p: &WireProduct, raw: Option<Value>) -> Option<Product> {
    let sku = p.code.clone().filter(|s| !s.trim().is_empty())?;
    let currency = p.currency.as_deref().and_then(|c| Currency::new(c).ok()).unwrap_or_default();
    let mut out = Product {
        sku,
        name: p.name.clone(),
        kind: ProductKind::Inventory,
        unit: p.unit.clone(),
        sales_price: p.price.map(|a| Money::new(a, currency)),
        tax_percent: p.vat,
        sold: p.kind.as_deref() != Some("PURCHASE"),
        purchased: p.kind.as_deref() == Some("PURCHASE"),
        ..Product::default()
    };
    out.meta.refs.0.push(source_ref(p.id, Some(out.sku.clone()), p.version.as_deref()));
    out.meta.updated_at = parse_version(p.version.as_deref());
    if p.active == Some(false) {
        out.meta.lifecycle = Lifecycle::Inactive;
    }
    out.meta.raw = raw;
    Some(out)
}

/// A full invoice as a canonical invoice. Errors name the field that did not decode.
pub fn invoice_from(w: &WireInvoice, raw: Option<Value>) -> Result<Invoice> {
    let pay = w.payment_info.clone().unwrap_or_default();
    let currency = match pay.currency.as_deref() {
        Some(c) => Currency::new(c).map_err(|e| {
            Error::invalid_field("paymentInfo.currency", e.message()).with_record(w.id.to_string())
        })?,
        None => Currency::default(),
    };
    let date = |field: &str, v: &Option<String>| -> Result<Option<NaiveDate>> {
        v.as_deref()
            .map(|s| {
                NaiveDate::parse_from_str(s.get(..10).unwrap_or(s), "%Y-%m-%d").map_err(|e| {
                    Error::invalid_field(field, format!("`{s}`: {e}")).with_record(w.id.to_string())
                })
            })
            .transpose()
    };
    let cp = w.counter_party.clone().unwrap_or_default();
    let cpa = cp.counter_party_address.clone().unwrap_or_default();
    let lines = w
        .invoice_rows
        .iter()
        .enumerate()
        .map(|(i, r)| DocumentLine {
            line_no: u32::try_from(i + 1).ok(),
            sku: r.product_code.clone(),
            description: r.product.clone(),
            quantity: r.quantity.unwrap_or_default(),
            unit: r.unit.clone(),
            unit_price: r.unit_price.map(|a| Money::new(a, currency)),
            discount_percent: r.discount_percent,
            tax_percent: r.vat_percent,
            ..DocumentLine::default()
        })
        .collect();
    let status = match w.status.as_deref() {
        Some("UNFINISHED") | None => InvoiceStatus::Draft,
        Some("NOT_SENT") | Some("SENT") => InvoiceStatus::Authorised,
        Some("PAID" | "MARKED_PAID") => InvoiceStatus::Paid,
        Some("PARTLY_PAID") => InvoiceStatus::PartiallyPaid,
        Some("INVALIDATED") | Some("DELETED") => InvoiceStatus::Void,
        Some(other) => InvoiceStatus::Other(other.to_owned()),
    };
    let mut inv = Invoice {
        number: w.invoice_number.map(|n| n.to_string()).or_else(|| Some(w.id.to_string())),
        reference: w.order_reference.clone(),
        kind: match w.kind.as_deref() {
            Some("PURCHASE_INVOICE") | Some("TRAVEL_INVOICE") | Some("BILL_OF_CHARGES") => {
                InvoiceKind::Payable
            }
            _ => InvoiceKind::Receivable,
        },
        status: status.clone(),
        party: DocumentParty {
            customer: EntityRef {
                id: w.partner_id.map(|p| p.to_string()),
                key: cp.customer_number.clone(),
                name: cpa.name.clone(),
            },
            name: cpa.name,
            email: cp.email.clone(),
            registration_number: cp.identifier.clone(),
            e_invoice_address: cp.einvoice_address.as_ref().and_then(|e| e.address.clone()),
            ..DocumentParty::default()
        },
        issue_date: date("date", &w.date)?,
        due_date: date("paymentInfo.dueDate", &pay.due_date)?,
        currency,
        tax_inclusive: w
            .extra_info
            .as_ref()
            .and_then(|e| e.unit_prices_include_vat)
            .unwrap_or(false),
        orders: w.original_invoice_number.iter().cloned().collect(),
        billing_address: w
            .billing_address
            .as_ref()
            .or(cp.counter_party_address.as_ref())
            .map(|a| address_from(a, AddressKind::Billing)),
        shipping_address: w
            .delivery_address
            .as_ref()
            .map(|a| address_from(a, AddressKind::Shipping)),
        lines,
        memo: w.additional_information.clone(),
        ..Invoice::default()
    };
    inv.meta.refs.0.push(source_ref(w.id, inv.number.clone(), w.version.as_deref()));
    inv.meta.updated_at = parse_version(w.version.as_deref());
    if matches!(status, InvoiceStatus::Void) {
        inv.meta.lifecycle = Lifecycle::Deleted;
    }
    inv.meta.raw = raw;
    Ok(inv)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_marked_paid_invoice_reads_as_paid() {
        let w: WireInvoice = serde_json::from_value(json!({
            "id": 7, "type": "SALES_INVOICE", "status": "MARKED_PAID", "date": "2026-05-04",
            "paymentInfo": { "currency": "EUR", "dueDate": "2026-05-18" }
        }))
        .unwrap();
        assert_eq!(invoice_from(&w, None).unwrap().status, InvoiceStatus::Paid);
    }
}
