//! The field catalogue of every canonical entity: names, types and whether a field must be
//! present, hand-written from `connector_core::model` and kept honest by a test that walks
//! fully populated, serialised samples. Mapping paths are checked against it at load time.

use connector_core::EntityKind;

use crate::path::Seg;

/// The type of a canonical field.
#[derive(Debug, Clone, Copy)]
pub enum Ty {
    /// A string.
    Text,
    /// An exact decimal (serialised as a string).
    Decimal,
    /// A whole number.
    Int,
    /// Yes or no.
    Bool,
    /// A business date (`2026-05-04`).
    Date,
    /// An instant (RFC 3339).
    DateTime,
    /// `{"amount": "12.50", "currency": "EUR"}`.
    Money,
    /// An ISO 4217 code.
    Currency,
    /// One of a fixed set of strings.
    Enum(&'static [&'static str]),
    /// A nested record.
    Object(&'static Struct),
    /// A list.
    List(&'static Ty),
    /// Custom fields by key (`meta.custom`).
    Custom,
    /// Any JSON (`meta.raw`).
    Json,
}

impl Ty {
    /// A short name for messages.
    pub fn name(&self) -> String {
        match self {
            Ty::Text => "text".into(),
            Ty::Decimal => "decimal".into(),
            Ty::Int => "integer".into(),
            Ty::Bool => "boolean".into(),
            Ty::Date => "date".into(),
            Ty::DateTime => "date-time".into(),
            Ty::Money => "Money".into(),
            Ty::Currency => "currency code".into(),
            Ty::Enum(v) => format!("one of {}", v.join(", ")),
            Ty::Object(s) => s.name.into(),
            Ty::List(t) => format!("list of {}", t.name()),
            Ty::Custom => "custom fields".into(),
            Ty::Json => "JSON".into(),
        }
    }
}

/// A nested record type.
#[derive(Debug)]
pub struct Struct {
    /// Its name (`Address`).
    pub name: &'static str,
    /// Its fields.
    pub fields: &'static [Field],
}

impl Struct {
    /// A field by name.
    pub fn field(&self, name: &str) -> Option<&'static Field> {
        self.fields.iter().find(|f| f.name == name)
    }
}

/// One field of a record type.
#[derive(Debug)]
pub struct Field {
    /// Its JSON name.
    pub name: &'static str,
    /// Its type.
    pub ty: Ty,
    /// Whether the record cannot be read without it (no serde default, not optional).
    pub required: bool,
}

const fn f(name: &'static str, ty: Ty) -> Field {
    Field { name, ty, required: false }
}

const fn req(name: &'static str, ty: Ty) -> Field {
    Field { name, ty, required: true }
}

const LIFECYCLE: Ty = Ty::Enum(&["active", "inactive", "deleted"]);
const CONTACT_KIND: Ty = Ty::Enum(&["work", "billing", "mobile", "fax", "personal", "other"]);

static SOURCE_REF: Struct = Struct {
    name: "SourceRef",
    fields: &[
        req("system", Ty::Text),
        req("id", Ty::Text),
        f("number", Ty::Text),
        f("version", Ty::Text),
        f("updated_at", Ty::DateTime),
    ],
};

static META: Struct = Struct {
    name: "Meta",
    fields: &[
        f("refs", Ty::List(&Ty::Object(&SOURCE_REF))),
        f("lifecycle", LIFECYCLE),
        f("custom", Ty::Custom),
        f("created_at", Ty::DateTime),
        f("updated_at", Ty::DateTime),
        f("raw", Ty::Json),
    ],
};

static ENTITY_REF: Struct = Struct {
    name: "EntityRef",
    fields: &[f("id", Ty::Text), f("key", Ty::Text), f("name", Ty::Text)],
};

static ADDRESS: Struct = Struct {
    name: "Address",
    fields: &[
        f("kind", Ty::Enum(&["billing", "shipping", "visiting", "postal", "other"])),
        f("lines", Ty::List(&Ty::Text)),
        f("street_number", Ty::Text),
        f("postal_code", Ty::Text),
        f("city", Ty::Text),
        f("region", Ty::Text),
        f("country", Ty::Text),
        f("attention", Ty::Text),
    ],
};

static EMAIL: Struct = Struct {
    name: "Email",
    fields: &[req("address", Ty::Text), f("kind", CONTACT_KIND), f("primary", Ty::Bool)],
};

static PHONE: Struct =
    Struct { name: "Phone", fields: &[req("number", Ty::Text), f("kind", CONTACT_KIND)] };

static CONTACT_PERSON: Struct = Struct {
    name: "ContactPerson",
    fields: &[
        f("id", Ty::Text),
        f("first_name", Ty::Text),
        f("last_name", Ty::Text),
        f("role", Ty::Text),
        f("emails", Ty::List(&Ty::Object(&EMAIL))),
        f("phones", Ty::List(&Ty::Object(&PHONE))),
        f("primary", Ty::Bool),
    ],
};

static BANK_ACCOUNT: Struct =
    Struct { name: "BankAccount", fields: &[req("iban", Ty::Text), f("bic", Ty::Text)] };

static ATTRIBUTE: Struct =
    Struct { name: "Attribute", fields: &[req("name", Ty::Text), req("value", Ty::Text)] };

static CUSTOMER: Struct = Struct {
    name: "Customer",
    fields: &[
        f("number", Ty::Text),
        f("kind", Ty::Enum(&["company", "person"])),
        f("name", Ty::Text),
        f("first_name", Ty::Text),
        f("last_name", Ty::Text),
        f("contacts", Ty::List(&Ty::Object(&CONTACT_PERSON))),
        f("emails", Ty::List(&Ty::Object(&EMAIL))),
        f("phones", Ty::List(&Ty::Object(&PHONE))),
        f("websites", Ty::List(&Ty::Text)),
        f("addresses", Ty::List(&Ty::Object(&ADDRESS))),
        f("tax_number", Ty::Text),
        f("registration_number", Ty::Text),
        f("currency", Ty::Currency),
        f("payment_term", Ty::Object(&ENTITY_REF)),
        f("price_list", Ty::Object(&ENTITY_REF)),
        f("sales_rep", Ty::Object(&ENTITY_REF)),
        f("credit_limit", Ty::Money),
        f("language", Ty::Text),
        f("e_invoice_address", Ty::Text),
        f("bank_accounts", Ty::List(&Ty::Object(&BANK_ACCOUNT))),
        f("notes", Ty::Text),
        f("meta", Ty::Object(&META)),
    ],
};

static VARIANT: Struct = Struct {
    name: "ProductVariant",
    fields: &[
        req("sku", Ty::Text),
        f("name", Ty::Text),
        f("options", Ty::List(&Ty::Object(&ATTRIBUTE))),
        f("price", Ty::Money),
        f("gtin", Ty::Text),
    ],
};

static IMAGE: Struct =
    Struct { name: "Image", fields: &[req("url", Ty::Text), f("primary", Ty::Bool)] };

static ORDER_UNIT: Struct =
    Struct { name: "OrderUnit", fields: &[req("code", Ty::Text), req("multiplier", Ty::Decimal)] };

static PRODUCT: Struct = Struct {
    name: "Product",
    fields: &[
        req("sku", Ty::Text),
        f("name", Ty::Text),
        f("description", Ty::Text),
        f("long_description", Ty::Text),
        f("kind", Ty::Enum(&["inventory", "non_inventory", "service", "virtual", "configurable"])),
        f("unit", Ty::Text),
        f("order_units", Ty::List(&Ty::Object(&ORDER_UNIT))),
        f("sales_price", Ty::Money),
        f("sales_price_includes_tax", Ty::Bool),
        f("purchase_price", Ty::Money),
        f("tax_rate", Ty::Object(&ENTITY_REF)),
        f("tax_percent", Ty::Decimal),
        f("gtin", Ty::Text),
        f("brand", Ty::Text),
        f("categories", Ty::List(&Ty::Text)),
        f("attributes", Ty::List(&Ty::Object(&ATTRIBUTE))),
        f("features", Ty::List(&Ty::Object(&ATTRIBUTE))),
        f("variants", Ty::List(&Ty::Object(&VARIANT))),
        f("variant_of", Ty::Text),
        f("images", Ty::List(&Ty::Object(&IMAGE))),
        f("sold", Ty::Bool),
        f("purchased", Ty::Bool),
        f("stock_tracked", Ty::Bool),
        f("weight_kg", Ty::Decimal),
        f("meta", Ty::Object(&META)),
    ],
};

static PRICE_ENTRY: Struct = Struct {
    name: "PriceListEntry",
    fields: &[
        req("sku", Ty::Text),
        f("unit", Ty::Text),
        req("unit_price", Ty::Money),
        f("min_quantity", Ty::Decimal),
        f("discount_percent", Ty::Decimal),
        f("valid_from", Ty::Date),
        f("valid_to", Ty::Date),
    ],
};

static PRICE_LIST: Struct = Struct {
    name: "PriceList",
    fields: &[
        req("code", Ty::Text),
        f("name", Ty::Text),
        req("currency", Ty::Currency),
        f("tax_inclusive", Ty::Bool),
        f("valid_from", Ty::Date),
        f("valid_to", Ty::Date),
        f("customers", Ty::List(&Ty::Object(&ENTITY_REF))),
        f("entries", Ty::List(&Ty::Object(&PRICE_ENTRY))),
        f("meta", Ty::Object(&META)),
    ],
};

static STOCK_LEVEL: Struct = Struct {
    name: "StockLevel",
    fields: &[
        req("sku", Ty::Text),
        f("warehouse", Ty::Text),
        f("on_hand", Ty::Decimal),
        f("reserved", Ty::Decimal),
        f("available", Ty::Decimal),
        f("incoming", Ty::Decimal),
        f("as_of", Ty::DateTime),
        f("meta", Ty::Object(&META)),
    ],
};

static DOCUMENT_LINE: Struct = Struct {
    name: "DocumentLine",
    fields: &[
        f("line_no", Ty::Int),
        f("sku", Ty::Text),
        f("description", Ty::Text),
        req("quantity", Ty::Decimal),
        f("unit", Ty::Text),
        f("unit_price", Ty::Money),
        f("discount_percent", Ty::Decimal),
        f("tax_rate", Ty::Object(&ENTITY_REF)),
        f("tax_percent", Ty::Decimal),
        f("tax_amount", Ty::Money),
        f("net_amount", Ty::Money),
        f("gross_amount", Ty::Money),
        f("account", Ty::Text),
        f("warehouse", Ty::Text),
        f("delivery_date", Ty::Date),
        f("dimensions", Ty::List(&Ty::Object(&ATTRIBUTE))),
    ],
};

static TOTALS: Struct = Struct {
    name: "Totals",
    fields: &[
        f("sub_total", Ty::Money),
        f("discount_total", Ty::Money),
        f("tax_total", Ty::Money),
        f("total", Ty::Money),
        f("balance_due", Ty::Money),
    ],
};

static PARTY: Struct = Struct {
    name: "DocumentParty",
    fields: &[
        f("customer", Ty::Object(&ENTITY_REF)),
        f("name", Ty::Text),
        f("company_name", Ty::Text),
        f("first_name", Ty::Text),
        f("last_name", Ty::Text),
        f("email", Ty::Text),
        f("phone", Ty::Text),
        f("tax_number", Ty::Text),
        f("registration_number", Ty::Text),
        f("e_invoice_address", Ty::Text),
    ],
};

static INVOICE: Struct = Struct {
    name: "Invoice",
    fields: &[
        f("number", Ty::Text),
        f("reference", Ty::Text),
        f("kind", Ty::Enum(&["receivable", "payable", "credit_note"])),
        // Known: draft, submitted, authorised, partially_paid, paid, void; any other
        // string is kept as the source's own status.
        f("status", Ty::Text),
        f("party", Ty::Object(&PARTY)),
        f("issue_date", Ty::Date),
        f("due_date", Ty::Date),
        req("currency", Ty::Currency),
        f("tax_inclusive", Ty::Bool),
        f("payment_term", Ty::Object(&ENTITY_REF)),
        f("orders", Ty::List(&Ty::Text)),
        f("sales_rep", Ty::Object(&ENTITY_REF)),
        f("billing_address", Ty::Object(&ADDRESS)),
        f("shipping_address", Ty::Object(&ADDRESS)),
        f("lines", Ty::List(&Ty::Object(&DOCUMENT_LINE))),
        f("totals", Ty::Object(&TOTALS)),
        f("memo", Ty::Text),
        f("meta", Ty::Object(&META)),
    ],
};

static ORDER: Struct = Struct {
    name: "Order",
    fields: &[
        f("number", Ty::Text),
        f("kind", Ty::Enum(&["order", "quote"])),
        // Known: draft, pending_approval, open, paid, partially_fulfilled, completed, closed,
        // cancelled; any other string is kept as the source's own status.
        f("status", Ty::Text),
        f("party", Ty::Object(&PARTY)),
        f("order_date", Ty::Date),
        f("delivery_date", Ty::Date),
        f("payment_date", Ty::Date),
        req("currency", Ty::Currency),
        f("tax_inclusive", Ty::Bool),
        f("payment_term", Ty::Object(&ENTITY_REF)),
        f("payment_method", Ty::Object(&ENTITY_REF)),
        f("shipping_method", Ty::Object(&ENTITY_REF)),
        f("sales_rep", Ty::Object(&ENTITY_REF)),
        f("billing_address", Ty::Object(&ADDRESS)),
        f("shipping_address", Ty::Object(&ADDRESS)),
        f("lines", Ty::List(&Ty::Object(&DOCUMENT_LINE))),
        f("totals", Ty::Object(&TOTALS)),
        f("memo", Ty::Text),
        f("channel", Ty::Text),
        f("meta", Ty::Object(&META)),
    ],
};

static SHIPMENT_LINE: Struct = Struct {
    name: "ShipmentLine",
    fields: &[req("sku", Ty::Text), req("quantity", Ty::Decimal), f("order_line_no", Ty::Int)],
};

static SHIPMENT: Struct = Struct {
    name: "Shipment",
    fields: &[
        f("number", Ty::Text),
        f("order_number", Ty::Text),
        f("external_order_number", Ty::Text),
        f("carrier", Ty::Text),
        f("tracking_code", Ty::Text),
        f("tracking_url", Ty::Text),
        f("shipped_on", Ty::Date),
        f("address", Ty::Object(&ADDRESS)),
        f("lines", Ty::List(&Ty::Object(&SHIPMENT_LINE))),
        f("meta", Ty::Object(&META)),
    ],
};

static TAX_RATE: Struct = Struct {
    name: "TaxRate",
    fields: &[
        req("code", Ty::Text),
        f("name", Ty::Text),
        req("percent", Ty::Decimal),
        f("country", Ty::Text),
        f("meta", Ty::Object(&META)),
    ],
};

static PAYMENT_TERM: Struct = Struct {
    name: "PaymentTerm",
    fields: &[
        req("code", Ty::Text),
        f("name", Ty::Text),
        req("due_days", Ty::Int),
        f("basis", Ty::Enum(&["invoice_date", "end_of_month"])),
        f("discount_days", Ty::Int),
        f("discount_percent", Ty::Decimal),
        f("meta", Ty::Object(&META)),
    ],
};

static USER: Struct = Struct {
    name: "User",
    fields: &[
        f("code", Ty::Text),
        f("name", Ty::Text),
        f("email", Ty::Text),
        f("meta", Ty::Object(&META)),
    ],
};

/// The record type of an entity kind.
pub fn entity(kind: EntityKind) -> &'static Struct {
    match kind {
        EntityKind::Customer => &CUSTOMER,
        EntityKind::Product => &PRODUCT,
        EntityKind::PriceList => &PRICE_LIST,
        EntityKind::StockLevel => &STOCK_LEVEL,
        EntityKind::Invoice => &INVOICE,
        EntityKind::Order => &ORDER,
        EntityKind::Shipment => &SHIPMENT,
        EntityKind::TaxRate => &TAX_RATE,
        EntityKind::PaymentTerm => &PAYMENT_TERM,
        EntityKind::User => &USER,
    }
}

/// What a path leads to in a record type.
#[derive(Debug, Clone, Copy)]
pub struct Resolved {
    /// The type at the end of the path.
    pub ty: Ty,
    /// Whether the path ends in a custom field (`meta.custom.<key>`).
    pub custom_field: bool,
    /// Whether the last field is required in its record.
    pub required: bool,
}

/// Follows `segs` through `root`. The error names the first step that does not exist, with
/// the closest field names as suggestions.
pub fn resolve(root: &'static Struct, segs: &[Seg]) -> Result<Resolved, String> {
    let mut ty = Ty::Object(root);
    let mut custom_field = false;
    let mut required = false;
    let mut walked = String::new();
    for s in segs {
        match (ty, s) {
            (Ty::Json, _) => {
                return Ok(Resolved { ty: Ty::Json, custom_field: false, required: false });
            }
            (Ty::Object(st), Seg::Key(k)) => match st.field(k) {
                Some(field) => {
                    ty = field.ty;
                    required = field.required;
                }
                None => {
                    let near = suggest(k, st.fields.iter().map(|f| f.name));
                    let at = if walked.is_empty() {
                        st.name.to_string()
                    } else {
                        format!("`{walked}` ({})", st.name)
                    };
                    return Err(format!(
                        "unknown field `{k}` in {at}{}",
                        near.map(|n| format!("; did you mean `{n}`?")).unwrap_or_default()
                    ));
                }
            },
            (Ty::Money, Seg::Key(k)) if &**k == "amount" || &**k == "currency" => {
                ty = if &**k == "amount" { Ty::Decimal } else { Ty::Currency };
                required = true;
            }
            (Ty::List(inner), Seg::Index(_)) => {
                ty = *inner;
                required = false;
            }
            (Ty::Custom, Seg::Key(_)) => {
                ty = Ty::Json;
                custom_field = true;
                required = false;
                walked.push_str(&seg_text(s));
                continue;
            }
            (t, s) => {
                return Err(format!(
                    "`{}` cannot be followed by `{}`: it is {}",
                    if walked.is_empty() { "the record" } else { &walked },
                    seg_text(s).trim_start_matches('.'),
                    t.name()
                ));
            }
        }
        walked.push_str(&seg_text(s));
        walked = walked.trim_start_matches('.').to_string();
    }
    Ok(Resolved { ty, custom_field, required })
}

fn seg_text(s: &Seg) -> String {
    match s {
        Seg::Key(k) => format!(".{k}"),
        Seg::Index(i) => format!("[{i}]"),
    }
}

/// The candidate closest to `word` by edit distance, if it is close enough to be a typo.
pub(crate) fn suggest<'a>(
    word: &str,
    candidates: impl Iterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .map(|c| (distance(word, c), c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests;
