//! The demo division's data, as Exact sends it.

/// Accounts as Exact sends them (codes right-aligned in 18 characters).
pub const DEMO_ACCOUNTS: &str = r#"[
  {"ID":"a1b2c3d4-0001-4000-8000-000000000001","Code":"              1068","Name":"Fietsenwinkel De Ketting BV","Email":"inkoop@deketting.example","Phone":"+31 20 555 0101","VATNumber":"NL001234567B01","ChamberOfCommerce":"12345678","AddressLine1":"Kettingstraat 12","Postcode":"1011 AB","City":"Amsterdam","Country":"NL","Status":"C","IsSales":true,"Blocked":false,"PaymentConditionSales":"30","Language":"NL"},
  {"ID":"a1b2c3d4-0002-4000-8000-000000000002","Code":"              1069","Name":"Jan de Vries","Email":"jan.devries@example.nl","AddressLine1":"Dorpsweg 3","Postcode":"3511 CE","City":"Utrecht","Country":"NL","Status":"C","IsSales":true,"Blocked":false},
  {"ID":"a1b2c3d4-0003-4000-8000-000000000003","Code":"              2001","Name":"Onderdelen Leverancier NV","Email":"sales@leverancier.example","Status":"S","IsSales":false,"IsSupplier":true},
  {"ID":"a1b2c3d4-0004-4000-8000-000000000004","Code":"              9999","Name":"Webshop Debiteur","Email":"webshop@example.nl","Status":"C","IsSales":true}
]"#;

/// Contacts under the accounts.
pub const DEMO_CONTACTS: &str = r#"[
  {"ID":"c0c0c0c0-0001-4000-8000-000000000001","Account":"a1b2c3d4-0001-4000-8000-000000000001","FirstName":"Els","LastName":"Bakker","Email":"els@deketting.example","JobTitleDescription":"Inkoper","IsMainContact":true},
  {"ID":"c0c0c0c0-0002-4000-8000-000000000002","Account":"a1b2c3d4-0002-4000-8000-000000000002","FirstName":"Jan","LastName":"de Vries","Email":"jan.devries@example.nl","IsMainContact":true}
]"#;

/// Items: stock and service items, one ended, with exact prices.
pub const DEMO_ITEMS: &str = r#"[
  {"ID":"1f000000-0000-4000-8000-000000000001","Code":"BIKE-CITY-M","Description":"City bike, 53 cm","ExtraDescription":"Comfortable city bike","Notes":"Aluminium frame, 7 gears, hub dynamo. Long description from Exact.","Barcode":"8712345000011","IsSalesItem":true,"IsStockItem":true,"IsPurchaseItem":true,"ItemGroupCode":"BIKES","ItemGroupDescription":"Bikes","PictureUrl":"https://start.exactonline.nl/docs/images/bike-city.png","Unit":"pc","SalesVatCode":"2","CostPriceStandard":312.5000,"StandardSalesPrice":549.0000,"GrossWeight":16.500},
  {"ID":"1f000000-0000-4000-8000-000000000002","Code":"LOCK-CHAIN","Description":"Chain lock 90 cm","Barcode":"8712345000028","IsSalesItem":true,"IsStockItem":true,"IsPurchaseItem":true,"ItemGroupCode":"ACC","ItemGroupDescription":"Accessories","Unit":"pc","SalesVatCode":"2","CostPriceStandard":11.0400,"StandardSalesPrice":24.9500},
  {"ID":"1f000000-0000-4000-8000-000000000003","Code":"SERVICE-TUNE","Description":"Tune-up","IsSalesItem":true,"IsStockItem":false,"IsPurchaseItem":false,"Unit":"hr","SalesVatCode":"2","StandardSalesPrice":45.0000},
  {"ID":"1f000000-0000-4000-8000-000000000004","Code":"BIKE-OLD-2019","Description":"Model 2019 (ended)","IsSalesItem":true,"IsStockItem":true,"StandardSalesPrice":399.0000,"EndDate":"/Date(1577836800000)/"}
]"#;

/// Default sales prices (one is customer-specific).
pub const DEMO_PRICES: &str = r#"[
  {"ID":"9a000000-0000-4000-8000-000000000001","Item":"1f000000-0000-4000-8000-000000000001","ItemCode":"BIKE-CITY-M","Currency":"EUR","Price":549.0000,"Quantity":1.0,"Unit":"pc"},
  {"ID":"9a000000-0000-4000-8000-000000000002","Item":"1f000000-0000-4000-8000-000000000002","ItemCode":"LOCK-CHAIN","Currency":"EUR","Price":24.9500,"Quantity":1.0,"Unit":"pc"},
  {"ID":"9a000000-0000-4000-8000-000000000004","Item":"1f000000-0000-4000-8000-000000000003","ItemCode":"SERVICE-TUNE","Currency":"EUR","Price":45.0000,"Quantity":0.0,"Unit":"hr"},
  {"ID":"9a000000-0000-4000-8000-000000000005","Item":"1f000000-0000-4000-8000-000000000004","ItemCode":"BIKE-OLD-2019","Currency":"EUR","Price":399.0000,"Quantity":0.0,"Unit":"pc"},
  {"ID":"9a000000-0000-4000-8000-000000000003","Item":"1f000000-0000-4000-8000-000000000002","ItemCode":"LOCK-CHAIN","Account":"a1b2c3d4-0001-4000-8000-000000000001","Currency":"EUR","Price":19.9500,"Quantity":10.0,"Unit":"pc"}
]"#;

/// Stock positions per item and warehouse, with Exact's own `FreeStock` and
/// `ProjectedStock`.
pub const DEMO_STOCK: &str = r#"[
  {"ID":"5a000000-0000-4000-8000-000000000001","ItemId":"1f000000-0000-4000-8000-000000000001","ItemCode":"BIKE-CITY-M","ItemDescription":"City bike, 53 cm","Warehouse":"7e000000-0000-4000-8000-000000000001","WarehouseCode":"1","WarehouseDescription":"Hoofdmagazijn","UnitCode":"pc","CurrentStock":12.0,"ReservedStock":2.0,"FreeStock":10.0,"PlanningIn":5.0,"PlanningOut":3.0,"ProjectedStock":14.0,"ReorderPoint":2.0},
  {"ID":"5a000000-0000-4000-8000-000000000002","ItemId":"1f000000-0000-4000-8000-000000000002","ItemCode":"LOCK-CHAIN","ItemDescription":"Chain lock 90 cm","Warehouse":"7e000000-0000-4000-8000-000000000001","WarehouseCode":"1","WarehouseDescription":"Hoofdmagazijn","UnitCode":"pc","CurrentStock":140.0,"ReservedStock":0.0,"FreeStock":140.0,"PlanningIn":0.0,"PlanningOut":0.0,"ProjectedStock":140.0,"ReorderPoint":20.0}
]"#;

/// The division's VAT codes (`Percentage` a fraction).
pub const DEMO_VAT_CODES: &str = r#"[
  {"ID":"0d000000-0000-4000-8000-000000000000","Code":"0","Description":"Geen BTW","Percentage":0.0,"IsBlocked":false},
  {"ID":"0d000000-0000-4000-8000-000000000001","Code":"1","Description":"BTW laag","Percentage":0.09,"IsBlocked":false},
  {"ID":"0d000000-0000-4000-8000-000000000002","Code":"2","Description":"BTW hoog","Percentage":0.21,"IsBlocked":false}
]"#;

/// The division's shipping methods.
pub const DEMO_SHIPPING_METHODS: &str = r#"[
  {"ID":"5b000000-0000-4000-8000-000000000001","Code":"DHL","Description":"DHL Parcel","Active":true},
  {"ID":"5b000000-0000-4000-8000-000000000002","Code":"POSTNL","Description":"PostNL","Active":true},
  {"ID":"5b000000-0000-4000-8000-000000000003","Code":"PICKUP","Description":"Afhalen","Active":true}
]"#;
