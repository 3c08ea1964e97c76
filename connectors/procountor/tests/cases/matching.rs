//! Customer register matching (customer number, then business ID, then a new partner or
//! none) and product register matching (by code, or free rows).

use connector_procountor::{DetailsFrom, InvoiceSettings};

use crate::support::*;

#[tokio::test(flavor = "multi_thread")]
async fn matched_by_customer_number_first() {
    let sim = sim().await;
    let sink = sink(&sim, InvoiceSettings::default());
    let mut o = order("M-1");
    // The business ID points at the other customer: the number wins.
    o.party.registration_number = Some("0109862-8".into());
    created(&write(&sink, o).await);
    let first = &sim.partners()[0];
    assert_eq!(first["customerNumber"], "1001");
    assert_eq!(sim.invoices()[0]["partnerId"], first["id"]);
    assert_eq!(sim.partners().len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn then_by_business_id() {
    let sim = sim().await;
    let sink = sink(&sim, InvoiceSettings::default());
    let mut o = order("M-2");
    o.party.customer.key = Some("9999".into());
    o.party.registration_number = Some("0109862-8".into());
    created(&write(&sink, o).await);
    let second = &sim.partners()[1];
    assert_eq!(second["identifier"], "0109862-8");
    assert_eq!(sim.invoices()[0]["partnerId"], second["id"]);
    assert_eq!(sim.partners().len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn then_a_new_partner_or_none_per_setting() {
    let sim = sim().await;
    let sink = sink(&sim, InvoiceSettings::default());
    let mut o = order("M-3");
    o.party.customer.key = Some("2001".into());
    o.party.company_name = Some("Uusi Oy".into());
    o.party.registration_number = Some("0737546-2".into());
    created(&write(&sink, o.clone()).await);
    let partners = sim.partners();
    assert_eq!(partners.len(), 3);
    assert_eq!(partners[2]["name"], "Uusi Oy");
    assert_eq!(partners[2]["customerNumber"], "2001");
    assert_eq!(partners[2]["address"]["country"], "FINLAND");
    assert_eq!(sim.invoices()[0]["partnerId"], partners[2]["id"]);

    let no_create =
        sink_with(&sim, InvoiceSettings { create_partners: false, ..Default::default() });
    o.number = Some("M-4".into());
    o.party.customer.key = Some("2002".into());
    o.party.registration_number = Some("1572860-0".into());
    created(&write(&no_create, o).await);
    assert_eq!(sim.partners().len(), 3);
    let inv = &sim.invoices()[1];
    assert!(inv.get("partnerId").is_none());
    assert_eq!(inv["counterParty"]["counterPartyAddress"]["name"], "Uusi Oy");
}

fn sink_with(
    sim: &connector_procountor::simulator::ProcountorSimulator,
    s: InvoiceSettings,
) -> connector_procountor::ProcountorSink {
    crate::support::sink(sim, s)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_register_is_updated_only_when_asked() {
    let sim = sim().await;
    let mut o = order("M-5");
    o.party.email = Some("uusi@asiakas.example".into());
    let keep = sink(&sim, InvoiceSettings::default());
    created(&write(&keep, o.clone()).await);
    assert_eq!(sim.partners()[0]["email"], "laskut@asiakas.example");
    assert_eq!(sim.invoices()[0]["counterParty"]["email"], "uusi@asiakas.example");

    let update = sink(&sim, InvoiceSettings { update_register: true, ..Default::default() });
    o.number = Some("M-6".into());
    created(&write(&update, o).await);
    assert_eq!(sim.partners()[0]["email"], "uusi@asiakas.example");
    assert_eq!(sim.journal().count_call("PUT", "/api/businesspartners/1001"), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn invoice_details_from_the_register() {
    let sim = sim().await;
    let sink =
        sink(&sim, InvoiceSettings { details_from: DetailsFrom::Register, ..Default::default() });
    // A bare order for customer 1002: the register has its address and e-invoice address.
    let mut o = order("M-7");
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
}
