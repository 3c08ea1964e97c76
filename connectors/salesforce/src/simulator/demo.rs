//! The demo org's data, on standard fields only: two accounts with their contacts, two
//! products, and orders (two activated, one draft).

use connector_core::http::now_utc;
use serde_json::{Value, json};

use super::{State, lock};

/// A JSON number from its text (`"24.95"`).
fn number_of(text: &str) -> Value {
    serde_json::from_str(text.trim()).unwrap_or(Value::Null)
}

impl State {
    /// Inserts a record of a standard object (`Account`, `Contact`, …); its id.
    fn insert(&self, object: &str, v: Value) -> String {
        self.obj(object).and_then(|c| c.insert(v).ok()).map(|r| r.id).unwrap_or_default()
    }

    /// The country field the org has (`BillingCountryCode` with picklists).
    fn country(&self, object: &str, prefix: &str) -> String {
        match self.def(object) {
            Some(d) if d.field(&format!("{prefix}CountryCode")).is_some() => {
                format!("{prefix}CountryCode")
            }
            _ => format!("{prefix}Country"),
        }
    }

    pub(super) fn seed_demo(&self) {
        let country = self.country("Account", "Billing");
        let mut ketting = json!({"Name": "Fietsenwinkel De Ketting BV", "AccountNumber": "1068", "Phone": "+31 20 555 0101", "BillingStreet": "Kettingstraat 12", "BillingPostalCode": "1011 AB", "BillingCity": "Amsterdam"});
        ketting[country.as_str()] = json!("NL");
        let a1 = self.insert("Account", ketting);
        let c1 = self.insert(
            "Contact",
            json!({"AccountId": a1, "FirstName": "Els", "LastName": "Bakker", "Email": "inkoop@deketting.example", "Title": "Inkoper"}),
        );
        let mut maria = json!({"Name": "Maria Jansen", "BillingStreet": "Lindelaan 4", "BillingPostalCode": "2511 AA", "BillingCity": "Den Haag"});
        maria[country.as_str()] = json!("NL");
        let a2 = self.insert("Account", maria);
        let c2 = self.insert(
            "Contact",
            json!({"AccountId": a2, "FirstName": "Maria", "LastName": "Jansen", "Email": "maria.jansen@example.nl"}),
        );
        for (code, name) in
            [("BIKE-CITY-M", "City bike, 53 cm"), ("LOCK-CHAIN", "Chain lock 90 cm")]
        {
            self.insert("Product2", json!({"Name": name, "ProductCode": code, "IsActive": true}));
        }
        self.add_order(
            &a1,
            Some(&c1),
            "Activated",
            &[("BIKE-CITY-M", "2", "529.00"), ("LOCK-CHAIN", "2", "24.95")],
        );
        self.add_order(&a2, Some(&c2), "Activated", &[("LOCK-CHAIN", "1", "24.95")]);
        self.add_order(&a2, Some(&c2), "Draft", &[("BIKE-CITY-M", "1", "549.00")]);
    }

    /// An order of `account` with its items `(product code, quantity, unit price)`, the
    /// account's billing address on it; its `OrderNumber`.
    pub(super) fn add_order(
        &self,
        account: &str,
        contact: Option<&str>,
        status: &str,
        items: &[(&str, &str, &str)],
    ) -> String {
        let number = {
            let mut n = lock(&self.order_numbers);
            *n += 1;
            format!("{:08}", *n)
        };
        let acc = self.obj("Account").and_then(|c| c.get(account)).map(|r| r.value);
        let acc = acc.unwrap_or(Value::Null);
        let mut total = rust_decimal::Decimal::ZERO;
        for (_, q, p) in items {
            let q: rust_decimal::Decimal = q.parse().unwrap_or_default();
            let p: rust_decimal::Decimal = p.parse().unwrap_or_default();
            total += q * p;
        }
        let mut order = json!({
            "OrderNumber": number, "Status": status,
            "EffectiveDate": now_utc().date_naive().to_string(), "AccountId": account,
            "BillToContactId": contact, "TotalAmount": number_of(&total.normalize().to_string()),
        });
        let (from, to) = (self.country("Account", "Billing"), self.country("Order", "Billing"));
        for prefix in ["Billing", "Shipping"] {
            for f in ["Street", "PostalCode", "City"] {
                order[format!("{prefix}{f}")] = acc[format!("Billing{f}")].clone();
            }
            order[to.replace("Billing", prefix)] = acc[from.as_str()].clone();
        }
        let order_id = self.insert("Order", order);
        for (i, (code, q, p)) in items.iter().enumerate() {
            let product = self
                .obj("Product2")
                .and_then(|c| c.find(|r| r.value["ProductCode"].as_str() == Some(code)))
                .map(|r| r.id);
            let item = json!({
                "OrderId": order_id, "OrderItemNumber": format!("{:010}", i + 1),
                "Product2Id": product, "Quantity": number_of(q), "UnitPrice": number_of(p),
            });
            self.insert("OrderItem", item);
        }
        number
    }
}
