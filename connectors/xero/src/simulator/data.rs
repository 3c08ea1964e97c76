//! The simulator's demo data as Xero sends it, and the generated invoices of load tests.

/// The demo data set: contacts, items, invoices and quotes as Xero sends them.
pub const DEMO_CONTACTS: &str = r#"[
  {"ContactID":"5b96e86b-418e-48e8-8949-308c14aec278","ContactNumber":"C-1001","AccountNumber":"1001","ContactStatus":"ACTIVE","Name":"Bayside Club","FirstName":"Bob","LastName":"Partridge","EmailAddress":"secretarybob@bayside.example","TaxNumber":"12-345-678","Addresses":[{"AddressType":"POBOX","AddressLine1":"P O Box 3354","City":"Ridge Heights","Region":"Madeupville","PostalCode":"21391","Country":"NZ"},{"AddressType":"STREET","AddressLine1":"148 Bay Harbour Road","City":"Ridge Heights","PostalCode":"21391","Country":"NZ","AttentionTo":"Bob"}],"Phones":[{"PhoneType":"DEFAULT","PhoneNumber":"2024455","PhoneAreaCode":"02","PhoneCountryCode":"64"},{"PhoneType":"MOBILE","PhoneNumber":"0211234567"}],"SalesTrackingCategories":[{"TrackingCategoryName":"Sales Rep","TrackingOptionName":"JD"}],"PaymentTerms":{"Sales":{"Day":20,"Type":"OFFOLLOWINGMONTH"}},"IsCustomer":true,"IsSupplier":false,"DefaultCurrency":"NZD"},
  {"ContactID":"565acaa9-e7f3-4fbf-80c3-16b081ddae10","ContactNumber":"C-1002","ContactStatus":"ACTIVE","Name":"City Agency","EmailAddress":"orders@cityagency.example","Addresses":[{"AddressType":"POBOX","AddressLine1":"L4, CA House","AddressLine2":"14 Boulevard Quay","City":"Wellington","PostalCode":"6012","Country":"NZ"}],"Phones":[],"SalesTrackingCategories":[{"TrackingCategoryName":"Sales Rep","TrackingOptionName":"MK"}],"IsCustomer":true},
  {"ContactID":"9e6dd0b3-1d63-4ad8-b2ba-1b7a1d3a8f11","ContactNumber":"C-1003","ContactStatus":"ARCHIVED","Name":"Hamilton Smith Ltd","EmailAddress":"accounts@hsmith.example","Addresses":[],"Phones":[],"IsCustomer":true},
  {"ContactID":"e2a7f6c0-3b1d-4c5e-8f9a-0b1c2d3e4f5a","ContactStatus":"ACTIVE","Name":"","EmailAddress":"nobody@nowhere.example","Addresses":[],"Phones":[]},
  {"ContactID":"3e776c4b-ea9e-4bb1-96be-6b0c7a71a37f","ContactNumber":"C-1005","ContactStatus":"ACTIVE","Name":"Ridgeway University","EmailAddress":"purchasing@ridgeway.example","Addresses":[],"Phones":[],"SalesTrackingCategories":[{"TrackingCategoryName":"Sales Rep","TrackingOptionName":"ZZ"}],"IsCustomer":true}
]"#;

/// Items: tracked and untracked, with 4-decimal prices.
pub const DEMO_ITEMS: &str = r#"[
  {"ItemID":"19b79d12-0ae1-496e-9649-cbd04b15c7c5","Code":"GB1-WHITE","Name":"Golf balls - white single","Description":"Golf ball, white, single","IsSold":true,"IsPurchased":true,"IsTrackedAsInventory":true,"InventoryAssetAccountCode":"630","TotalCostPool":1840.0000,"QuantityOnHand":368.0000,"SalesDetails":{"UnitPrice":5.9500,"AccountCode":"200","TaxType":"OUTPUT2"},"PurchaseDetails":{"UnitPrice":2.1250,"COGSAccountCode":"310","TaxType":"INPUT2"}},
  {"ItemID":"c8c54d65-f3f2-452a-9926-2e8ce9c8f6d2","Code":"UMB-1","Name":"Umbrella","Description":"Golf umbrella, navy","IsSold":true,"IsPurchased":true,"IsTrackedAsInventory":true,"QuantityOnHand":12.5000,"SalesDetails":{"UnitPrice":19.9875,"AccountCode":"200","TaxType":"OUTPUT2"},"PurchaseDetails":{"UnitPrice":8.3300,"TaxType":"INPUT2"}},
  {"ItemID":"a4c1d2e3-0000-4000-8000-000000000003","Code":"LESSON-30","Name":"Golf lesson (30 min)","Description":"Half-hour lesson with a pro","IsSold":true,"IsPurchased":false,"IsTrackedAsInventory":false,"SalesDetails":{"UnitPrice":45.0000,"AccountCode":"200","TaxType":"OUTPUT2"}}
]"#;

/// Sales invoices and one bill (which the source leaves out).
pub const DEMO_INVOICES: &str = r#"[
  {"Type":"ACCREC","InvoiceID":"243216c5-369e-4056-ac67-05388f86dc81","InvoiceNumber":"INV-0001","Reference":"Ref 1","Contact":{"ContactID":"5b96e86b-418e-48e8-8949-308c14aec278","ContactNumber":"C-1001","Name":"Bayside Club"},"Date":"/Date(1573689600000+0000)/","DueDate":"/Date(1575417600000+0000)/","Status":"AUTHORISED","LineAmountTypes":"Exclusive","LineItems":[{"LineItemID":"52208ff9-528a-4985-a9ad-b2b1d4210e38","ItemCode":"GB1-WHITE","Description":"Golf ball, white, single","Quantity":24.0000,"UnitAmount":5.9500,"TaxType":"OUTPUT2","TaxAmount":21.42,"LineAmount":142.80,"AccountCode":"200","Tracking":[{"Name":"Sales Rep","Option":"JD"}]},{"LineItemID":"7c3d1e0a-1111-4222-8333-944455556666","ItemCode":"UMB-1","Description":"Golf umbrella, navy","Quantity":1.0000,"UnitAmount":19.9875,"TaxType":"OUTPUT2","TaxAmount":3.00,"LineAmount":19.99,"AccountCode":"200","Tracking":[]}],"SubTotal":162.79,"TotalTax":24.42,"Total":187.21,"AmountDue":187.21,"AmountPaid":0.00,"CurrencyCode":"NZD"},
  {"Type":"ACCREC","InvoiceID":"b0a1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d","InvoiceNumber":"INV-0002","Reference":"","Contact":{"ContactID":"565acaa9-e7f3-4fbf-80c3-16b081ddae10","ContactNumber":"C-1002","Name":"City Agency"},"Date":"/Date(1573776000000+0000)/","DueDate":"/Date(1575504000000+0000)/","Status":"PAID","LineAmountTypes":"Inclusive","LineItems":[{"ItemCode":"LESSON-30","Description":"Half-hour lesson with a pro","Quantity":2.0000,"UnitAmount":45.0000,"TaxType":"OUTPUT2","TaxAmount":11.74,"LineAmount":90.00,"AccountCode":"200"}],"SubTotal":78.26,"TotalTax":11.74,"Total":90.00,"AmountDue":0.00,"AmountPaid":90.00,"CurrencyCode":"NZD"},
  {"Type":"ACCPAY","InvoiceID":"d1e2f3a4-b5c6-4d7e-8f90-a1b2c3d4e5f6","InvoiceNumber":"","Reference":"Supplier bill","Contact":{"ContactID":"565acaa9-e7f3-4fbf-80c3-16b081ddae10","ContactNumber":"C-1002","Name":"City Agency"},"Date":"/Date(1573776000000+0000)/","Status":"AUTHORISED","LineAmountTypes":"Exclusive","LineItems":[{"Description":"Office rent","Quantity":1.0000,"UnitAmount":500.00,"TaxType":"INPUT2","TaxAmount":75.00,"LineAmount":500.00,"AccountCode":"469"}],"SubTotal":500.00,"TotalTax":75.00,"Total":575.00,"AmountDue":575.00,"CurrencyCode":"NZD"}
]"#;

/// One quote.
pub const DEMO_QUOTES: &str = r#"[
  {"QuoteID":"be59cd2b-7e3a-4f0b-9b1e-2c8f6d3a4b5c","QuoteNumber":"QU-0001","Reference":"Spring tournament","Contact":{"ContactID":"3e776c4b-ea9e-4bb1-96be-6b0c7a71a37f","ContactNumber":"C-1005","Name":"Ridgeway University"},"Date":"/Date(1573862400000+0000)/","DateString":"2019-11-16T00:00:00","ExpiryDate":"/Date(1576454400000+0000)/","Status":"SENT","LineAmountTypes":"EXCLUSIVE","LineItems":[{"ItemCode":"GB1-WHITE","Description":"Golf ball, white, single","Quantity":100.0000,"UnitAmount":5.5000,"DiscountRate":5.00,"TaxType":"OUTPUT2","TaxAmount":78.38,"LineAmount":522.50,"AccountCode":"200","Tracking":[{"Name":"Sales Rep","Option":"MK"}]}],"SubTotal":522.50,"TotalTax":78.38,"Total":600.88,"CurrencyCode":"NZD","Summary":"Prices valid for the spring tournament"}
]"#;

pub(super) const TRACKING: &str = r#"{"TrackingCategories":[{"Name":"Sales Rep","Status":"ACTIVE","TrackingCategoryID":"e2f2f732-e92a-4f3a-9c4d-ee4da0182a13","Options":[{"TrackingOptionID":"ae777a87-5ef3-4fa0-a4f0-d10e1f13073a","Name":"JD","Status":"ACTIVE"},{"TrackingOptionID":"9bf3f1a8-1c6a-4b0e-8e39-2c1b0a5d6e7f","Name":"MK","Status":"ACTIVE"},{"TrackingOptionID":"0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f","Name":"ZZ","Status":"ACTIVE"}]}]}"#;

/// When generated invoice 0 was updated (2020-01-01T00:00:00Z), in epoch milliseconds; the
/// `i`th was updated `i` seconds later.
pub(super) const GENERATED_BASE_MS: i64 = 1_577_836_800_000;

/// Generated invoice `i` as Xero sends it, appended to `out`.
pub(super) fn generated_invoice(out: &mut String, i: u64) {
    use std::fmt::Write as _;
    let updated = GENERATED_BASE_MS + i as i64 * 1000;
    let _ = write!(
        out,
        r#"{{"Type":"ACCREC","InvoiceID":"6e0a1f2b-0000-4000-8000-{i:012}","InvoiceNumber":"INV-G{i:07}","Reference":"generated","Contact":{{"ContactID":"5b96e86b-418e-48e8-8949-308c14aec278","ContactNumber":"C-1001","Name":"Bayside Club"}},"Date":"/Date(1573689600000+0000)/","DueDate":"/Date(1575417600000+0000)/","Status":"AUTHORISED","LineAmountTypes":"Exclusive","LineItems":[{{"LineItemID":"7a1b2c3d-0001-4000-8000-{i:012}","ItemCode":"GB1-WHITE","Description":"Golf ball","Quantity":3.0000,"UnitAmount":5.9500,"TaxType":"OUTPUT2","TaxAmount":2.68,"LineAmount":17.85,"AccountCode":"200"}},{{"LineItemID":"7a1b2c3d-0002-4000-8000-{i:012}","ItemCode":"UMB-1","Description":"Umbrella","Quantity":1.0000,"UnitAmount":19.9875,"TaxType":"OUTPUT2","TaxAmount":3.00,"LineAmount":19.99,"AccountCode":"200"}},{{"LineItemID":"7a1b2c3d-0003-4000-8000-{i:012}","ItemCode":"LESSON-30","Description":"Lesson","Quantity":1.0000,"UnitAmount":45.0000,"TaxType":"OUTPUT2","TaxAmount":6.75,"LineAmount":45.00,"AccountCode":"200"}}],"SubTotal":82.84,"TotalTax":12.43,"Total":95.27,"AmountDue":95.27,"AmountPaid":0.00,"CurrencyCode":"NZD","UpdatedDateUTC":"/Date({updated}+0000)/"}}"#
    );
}
