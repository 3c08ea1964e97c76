//! The invoice channel rules: e-mail, e-invoice, mail, forced.

use connector_core::model::{CustomField, CustomValue};
use connector_procountor::{ChannelPolicy, InvoiceChannel, InvoiceSettings};

use crate::support::*;

fn operator(o: &mut connector_core::model::Order, op: &str) {
    o.meta.custom.insert(
        "einvoice_operator".into(),
        CustomField { value: CustomValue::Text(op.into()), source: None },
    );
}

fn settings() -> InvoiceSettings {
    // The register is not consulted, so only the order's data decides.
    InvoiceSettings { match_customers: false, ..InvoiceSettings::default() }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_billing_email_gives_email() {
    let sim = sim().await;
    let sink = sink(&sim, settings());
    let mut o = order("CH-1");
    o.party.e_invoice_address = Some("003701120389".into());
    created(&write(&sink, o).await);
    assert_eq!(sim.invoices()[0]["invoiceChannel"], "EMAIL");
    assert_eq!(sim.invoices()[0]["counterParty"]["email"], "laskut@asiakas.example");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_einvoice_address_gives_electronic_invoice() {
    let sim = sim().await;
    let sink = sink(&sim, settings());
    let mut o = order("CH-2");
    o.party.email = None;
    o.party.e_invoice_address = Some("0037 0112 0389".into());
    operator(&mut o, "003721291126");
    created(&write(&sink, o).await);
    let inv = &sim.invoices()[0];
    assert_eq!(inv["invoiceChannel"], "ELECTRONIC_INVOICE");
    assert_eq!(inv["counterParty"]["einvoiceAddress"]["address"], "003701120389");
    assert_eq!(inv["counterParty"]["einvoiceAddress"]["operator"], "003721291126");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_einvoice_address_without_operator_fails_on_the_operator() {
    let sim = sim().await;
    let sink = sink(&sim, settings());
    let mut o = order("CH-2b");
    o.party.email = None;
    o.party.e_invoice_address = Some("003701120389".into());
    assert_eq!(failed(write(&sink, o).await).field(), Some("meta.custom.einvoice_operator"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_full_postal_address_gives_mail() {
    let sim = sim().await;
    let sink = sink(&sim, settings());
    let mut o = order("CH-3");
    o.party.email = None;
    created(&write(&sink, o).await);
    assert_eq!(sim.invoices()[0]["invoiceChannel"], "MAIL");
}

#[tokio::test(flavor = "multi_thread")]
async fn mail_without_an_address_fails_on_the_billing_address() {
    let sim = sim().await;
    let sink = sink(&sim, settings());
    let mut o = order("CH-4");
    o.party.email = None;
    o.billing_address.as_mut().unwrap().city = None;
    let e = failed(write(&sink, o).await);
    assert_eq!(e.field(), Some("billing_address"));
    assert!(sim.invoices().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_forced_channel_wins_over_the_data() {
    let sim = sim().await;
    let forced =
        InvoiceSettings { channel: ChannelPolicy::Forced(InvoiceChannel::Mail), ..settings() };
    let sink = sink(&sim, forced);
    created(&write(&sink, order("CH-5")).await);
    assert_eq!(sim.invoices()[0]["invoiceChannel"], "MAIL");
    let none =
        InvoiceSettings { channel: ChannelPolicy::Forced(InvoiceChannel::NoSending), ..settings() };
    let sink = crate::support::sink(&sim, none);
    let mut o = order("CH-6");
    o.party.email = None;
    o.billing_address = None;
    created(&write(&sink, o).await);
    assert_eq!(sim.invoices()[1]["invoiceChannel"], "NO_SENDING");
}
