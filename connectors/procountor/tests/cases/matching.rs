//! Customer register matching (customer number, then business ID, then a new partner or
//! none) and product register matching (by code, or free rows). The register keeps a
//! partner's customer number, business ID, e-mail and e-invoice data in `invoicingInfo`.

use connector_core::sink::Sink;
use connector_procountor::{DetailsFrom, InvoiceSettings};
use serde_json::json;

use crate::support::*;

#[tokio::test(flavor = "multi_thread")]
async fn matched_by_customer_number_in_invoicing_info_first() {
    let sim = sim().await;
    let sink = sink(&sim, InvoiceSettings::default());
    let mut o = order("M-1");
    // The business ID points at the other customer: the number wins.
    o.party.registration_number = Some("0109862-8".into());
    created(&write(&sink, o).await);
    let first = &sim.partners()[0];
    assert_eq!(first["invoicingInfo"]["customerNumber"], "1001");
    assert_eq!(sim.invoices()[0]["partnerId"], first["id"]);
    assert_eq!(sim.partners().len(), 2, "no partner was created");
    let search =
        sim.journal().entries().into_iter().find(|e| e.path == "/api/businesspartners").unwrap();
    assert_eq!(search.query("customerNumber"), Some("1001"));
    assert_eq!(search.query("type"), Some("CUSTOMER"));
    assert_conforms(&sim);
}

#[tokio::test(flavor = "multi_thread")]
async fn then_by_business_id_sent_in_the_identifier_header() {
    let sim = sim().await;
    let sink = sink(&sim, InvoiceSettings::default());
    let mut o = order("M-2");
    o.party.customer.key = Some("9999".into());
    o.party.registration_number = Some("0109862-8".into());
    created(&write(&sink, o).await);
    let second = &sim.partners()[1];
    assert_eq!(second["invoicingInfo"]["identifier"], "0109862-8");
    assert_eq!(sim.invoices()[0]["partnerId"], second["id"]);
    assert_eq!(sim.partners().len(), 2, "no partner was created");
    let by_id: Vec<_> = sim
        .journal()
        .entries()
        .into_iter()
        .filter(|e| e.path == "/api/businesspartners" && e.header("identifier").is_some())
        .collect();
    assert!(!by_id.is_empty());
    assert!(by_id.iter().all(|e| e.header("identifier") == Some("0109862-8")));
    assert!(sim.journal().entries().iter().all(|e| e.query("identifier").is_none()));
    assert_conforms(&sim);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_customer_is_created_with_its_payment_info_and_invoicing_data() {
    let sim = sim().await;
    let sink = sink(&sim, InvoiceSettings::default());
    let mut o = order("M-3");
    o.party.customer.key = Some("2001".into());
    o.party.company_name = Some("Uusi Oy".into());
    o.party.email = Some("ap@uusi.example".into());
    o.party.registration_number = Some("0737546-2".into());
    created(&write(&sink, o.clone()).await);
    let partners = sim.partners();
    assert_eq!(partners.len(), 3);
    let new = &partners[2];
    assert_eq!(new["name"], "Uusi Oy");
    assert_eq!(new["type"], "CUSTOMER");
    assert_eq!(new["paymentInfo"]["paymentMethod"], "BANK_TRANSFER");
    assert_eq!(new["invoicingInfo"]["customerNumber"], "2001");
    assert_eq!(new["invoicingInfo"]["identifier"], "0737546-2");
    assert_eq!(new["invoicingInfo"]["email"], "ap@uusi.example");
    assert_eq!(new["address"]["country"], "FINLAND");
    assert_eq!(sim.invoices()[0]["partnerId"], new["id"]);

    // The next order of the same customer finds it: no second partner.
    o.number = Some("M-3b".into());
    created(&write(&sink, o).await);
    assert_eq!(sim.partners().len(), 3);
    assert_eq!(sim.invoices()[1]["partnerId"], new["id"]);
    assert_conforms(&sim);
}

#[tokio::test(flavor = "multi_thread")]
async fn no_partner_is_created_when_the_settings_say_so_or_nothing_could_find_it_again() {
    let sim = sim().await;
    let no_create = sink(&sim, InvoiceSettings { create_partners: false, ..Default::default() });
    let mut o = order("M-4");
    o.party.customer.key = Some("2002".into());
    o.party.company_name = Some("Uusi Oy".into());
    o.party.registration_number = Some("1572860-0".into());
    created(&write(&no_create, o.clone()).await);
    assert_eq!(sim.partners().len(), 2);
    let inv = &sim.invoices()[0];
    assert!(inv.get("partnerId").is_none());
    assert_eq!(inv["counterParty"]["counterPartyAddress"]["name"], "Uusi Oy");

    // A customer with neither a customer number nor a business ID: creating a partner for
    // it would create one per order.
    let create = sink(&sim, InvoiceSettings::default());
    o.number = Some("M-5".into());
    o.party.customer.key = None;
    o.party.registration_number = None;
    created(&write(&create, o).await);
    assert_eq!(sim.partners().len(), 2);
    assert_conforms(&sim);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_inactive_partner_with_the_number_fails_the_order_instead_of_being_duplicated() {
    let sim = sim().await;
    let first = sim.partners()[0]["id"].as_i64().unwrap();
    sim.touch_partner(first, "/registryInfo/active", json!(false));
    let sink = sink(&sim, InvoiceSettings::default());
    let e = failed(write(&sink, order("M-6")).await);
    assert_eq!(e.field(), Some("party.customer.key"));
    assert!(e.message().contains("inactive"), "{}", e.message());
    assert_eq!(sim.partners().len(), 2);
    assert!(sim.invoices().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn two_batches_in_flight_create_one_partner_for_one_new_customer() {
    let sim = sim().await;
    let sink = sink(&sim, InvoiceSettings::default());
    let new_customer = |n: &str| {
        let mut o = order(n);
        o.party.customer.key = Some("3001".into());
        o.party.company_name = Some("Rinnakkain Oy".into());
        o.party.registration_number = None;
        o
    };
    let (a, b) = tokio::join!(
        sink.write(vec![request(new_customer("M-7"), None)]),
        sink.write(vec![request(new_customer("M-8"), None)]),
    );
    created(&a.unwrap()[0].outcome);
    created(&b.unwrap()[0].outcome);
    assert_eq!(sim.partners().len(), 3, "one new partner");
    let invoices = sim.invoices();
    assert_eq!(invoices[0]["partnerId"], invoices[1]["partnerId"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_register_is_patched_with_its_version_only_when_asked() {
    let sim = sim().await;
    let mut o = order("M-9");
    o.party.email = Some("uusi@asiakas.example".into());
    let keep = sink(&sim, InvoiceSettings::default());
    created(&write(&keep, o.clone()).await);
    assert_eq!(sim.partners()[0]["invoicingInfo"]["email"], "laskut@asiakas.example");
    assert_eq!(sim.invoices()[0]["counterParty"]["email"], "uusi@asiakas.example");

    let update = sink(&sim, InvoiceSettings { update_register: true, ..Default::default() });
    o.number = Some("M-10".into());
    created(&write(&update, o).await);
    let partner = &sim.partners()[0];
    assert_eq!(partner["invoicingInfo"]["email"], "uusi@asiakas.example");
    // A PATCH, with the version; nothing the order does not carry is lost.
    assert_eq!(sim.journal().count_call("PATCH", "/api/businesspartners/1001"), 1);
    assert_eq!(sim.journal().count_call("PUT", "/api/businesspartners/1001"), 0);
    assert_eq!(partner["invoicingInfo"]["customerNumber"], "1001");
    assert_eq!(partner["invoicingInfo"]["language"], "FINNISH");
    assert_eq!(partner["paymentInfo"]["paymentMethod"], "BANK_TRANSFER");
    assert_eq!(partner["registryInfo"]["phone"], "+358 9 123 4567");
    let patch = sim.journal().entries().into_iter().find(|e| e.method.as_str() == "PATCH").unwrap();
    let body: serde_json::Value = serde_json::from_slice(&patch.body).unwrap();
    assert!(body["version"].is_string());
    assert_conforms(&sim);
}

#[tokio::test(flavor = "multi_thread")]
async fn invoice_details_from_the_register() {
    let sim = sim().await;
    let sink =
        sink(&sim, InvoiceSettings { details_from: DetailsFrom::Register, ..Default::default() });
    // A bare order for customer 1002: the register has its address and e-invoice address.
    let mut o = order("M-11");
    o.party.customer.key = Some("1002".into());
    o.party.company_name = Some("Kauppa".into());
    o.party.email = None;
    o.party.registration_number = None;
    o.billing_address = None;
    created(&write(&sink, o).await);
    let inv = &sim.invoices()[0];
    assert_eq!(inv["invoiceChannel"], "ELECTRONIC_INVOICE");
    assert_eq!(inv["counterParty"]["counterPartyAddress"]["name"], "Kauppa Ab");
    assert_eq!(inv["counterParty"]["counterPartyAddress"]["city"], "Vaasa");
    assert_eq!(inv["counterParty"]["einvoiceAddress"]["address"], "003701098628");
    assert_eq!(inv["counterParty"]["einvoiceAddress"]["operator"], "003721291126");
    assert_conforms(&sim);
}

#[tokio::test(flavor = "multi_thread")]
async fn products_matched_by_code_or_sent_as_free_rows() {
    let sim = sim().await;
    let mut o = order("P-1");
    let mut free = o.lines[0].clone();
    free.sku = Some("NOT-IN-REGISTER".into());
    free.description = Some("Gift wrap".into());
    o.lines.push(free);
    let on = sink(&sim, InvoiceSettings::default());
    created(&write(&on, o.clone()).await);
    let rows = sim.invoices()[0]["invoiceRows"].clone();
    assert_eq!(rows[0]["product"], "Widget");
    assert!(rows[0]["productId"].is_i64());
    assert!(rows[1].get("productId").is_none());
    assert_eq!(rows[1]["product"], "Gift wrap");

    let off = sink(&sim, InvoiceSettings { match_products: false, ..Default::default() });
    o.number = Some("P-2".into());
    created(&write(&off, o).await);
    let rows = sim.invoices()[1]["invoiceRows"].clone();
    assert!(rows[0].get("productId").is_none());
    assert_eq!(rows[0]["product"], "Widget");
    assert_eq!(
        sim.journal().count(|e| e.path == "/api/products"),
        2,
        "one lookup per code, cached"
    );
    assert_conforms(&sim);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_product_code_is_matched_exactly_across_pages_of_substring_hits() {
    let sim = sim().await;
    // 250 products whose codes contain "1", before the one whose code is exactly "1".
    for n in 0..250 {
        sim.add_product(json!({
            "type": "SALES", "code": format!("X1-{n}"), "name": format!("Other {n}"),
            "unit": "PIECE", "price": 1, "discount": 0, "vat": 25.5, "currency": "EUR",
            "active": true
        }));
    }
    let exact = sim.add_product(json!({
        "type": "SALES", "code": "1", "name": "The one", "unit": "PIECE", "price": 5,
        "discount": 0, "vat": 25.5, "currency": "EUR", "active": true
    }));
    let sink = sink(&sim, InvoiceSettings::default());
    let mut o = order("P-3");
    o.lines[0].sku = Some("1".into());
    created(&write(&sink, o).await);
    let row = &sim.invoices()[0]["invoiceRows"][0];
    assert_eq!(row["productId"], exact);
    assert_eq!(row["product"], "The one");
    let lookups: Vec<_> =
        sim.journal().entries().into_iter().filter(|e| e.path == "/api/products").collect();
    assert_eq!(lookups.len(), 2, "two pages of 200");
    assert!(lookups[1].query("previousId").is_some());
    assert_conforms(&sim);
}

#[tokio::test(flavor = "multi_thread")]
async fn find_partner_reads_the_register_shape() {
    let sim = sim().await;
    let sink = sink(&sim, InvoiceSettings::default());
    let details = connector_procountor::order_party(&order("M-12")).unwrap();
    let p = sink.find_partner(&details).await.unwrap().unwrap();
    assert_eq!(p.invoicing().customer_number.as_deref(), Some("1001"));
    assert!(p.is_active());
    assert!(sink.check().await.is_ok());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_order_that_will_be_refused_writes_nothing_to_the_register() {
    let sim = sim().await;
    let sink = sink(&sim, InvoiceSettings { update_register: true, ..Default::default() });
    // A new customer, but a VAT rate the company does not use on sales.
    let mut o = order("M-13");
    o.party.customer.key = Some("4001".into());
    o.party.registration_number = None;
    o.lines[0].tax_percent = Some(dec("24"));
    assert_eq!(failed(write(&sink, o).await).field(), Some("lines[0].tax_percent"));
    // A known customer whose e-mail changed, and an order number too long.
    let mut o = order(&"N".repeat(41));
    o.party.email = Some("uusi@asiakas.example".into());
    assert_eq!(failed(write(&sink, o).await).field(), Some("number"));
    // A new customer without a name.
    let mut o = order("M-14");
    o.party.customer.key = Some("4002".into());
    o.party.registration_number = None;
    o.party.company_name = None;
    assert_eq!(failed(write(&sink, o).await).field(), Some("party.name"));
    assert_eq!(sim.partners().len(), 2);
    assert_eq!(sim.partners()[0]["invoicingInfo"]["email"], "laskut@asiakas.example");
    assert_eq!(
        sim.journal()
            .count(|e| e.method.as_str() != "GET" && e.path.starts_with("/api/businesspartners")),
        0
    );
}
