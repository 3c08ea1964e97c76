//! Wire pages as the APIcenter connectors receive them, generated for the benchmarks: an
//! Exact Online `sync/CRM/Accounts` page and a Salesforce query batch of accounts with their
//! contacts, both written from the documented shapes (`apis.md` §2.3 and §3.3).

/// An Exact `sync/` page of `n` accounts numbered from `start` (OData v2 envelope with an
/// absolute `__next`).
pub fn exact_page(start: usize, n: usize) -> String {
    let rows: Vec<String> = (start..start + n)
        .map(|i| {
            format!(
                r#"{{"__metadata":{{"uri":"https://start.exactonline.nl/api/v1/3145431/sync/CRM/Accounts(guid'a1b2c3d4-0000-4000-8000-{i:012}')","type":"Exact.Web.Api.Models.Sync.Account"}},"ID":"a1b2c3d4-0000-4000-8000-{i:012}","Code":"{:>18}","Name":"Fietsenwinkel {i} BV","Email":"inkoop{i}@example.nl","Phone":"+31 20 555 {i:04}","VATNumber":"NL00{i:07}B01","ChamberOfCommerce":"{:08}","AddressLine1":"Kettingstraat {i}","Postcode":"1011 AB","City":"Amsterdam","Country":"NL","Status":"C","IsSales":true,"Blocked":false,"PaymentConditionSales":"30","Language":"NL","Created":"/Date(1641034800000)/","Modified":"/Date(1641034800000)/","Timestamp":{}}}"#,
                100_000 + i,
                10_000_000 + i,
                5_000_000 + i
            )
        })
        .collect();
    format!(
        r#"{{"d":{{"results":[{}],"__next":"https://start.exactonline.nl/api/v1/3145431/sync/CRM/Accounts?$select=ID&$skiptoken=999L"}}}}"#,
        rows.join(",")
    )
}

/// A Salesforce query batch of `n` accounts numbered from `start`, each with one contact
/// (a child subquery), every record with its `attributes`.
pub fn salesforce_batch(start: usize, n: usize) -> String {
    let rows: Vec<String> = (start..start + n)
        .map(|i| {
            format!(
                r#"{{"attributes":{{"type":"Account","url":"/services/data/v59.0/sobjects/Account/001SIM{i:09}AAA"}},"Id":"001SIM{i:09}AAA","Name":"Fietsenwinkel {i} BV","AccountNumber":"{i}","ERP_Id__c":"{i}","Phone":"+31 20 555 {i:04}","Website":null,"BillingStreet":"Kettingstraat {i}","BillingPostalCode":"1011 AB","BillingCity":"Amsterdam","BillingState":null,"BillingCountryCode":"NL","ShippingStreet":null,"ShippingPostalCode":null,"ShippingCity":null,"ShippingState":null,"ShippingCountryCode":null,"SystemModstamp":"2026-01-02T03:04:05.000+0000","Contacts":{{"totalSize":1,"done":true,"records":[{{"attributes":{{"type":"Contact","url":"/services/data/v59.0/sobjects/Contact/003SIM{i:09}AAA"}},"Id":"003SIM{i:09}AAA","FirstName":"Els","LastName":"Bakker","Email":"els{i}@example.nl","Phone":null,"Title":"Inkoper"}}]}}}}"#
            )
        })
        .collect();
    format!(
        r#"{{"totalSize":100000,"done":false,"nextRecordsUrl":"/services/data/v59.0/query/01gSIM-2000","records":[{}]}}"#,
        rows.join(",")
    )
}
