//! The SuperOffice ERP Sync Connector driven as SuperOffice drives it: every request built
//! from the published contract, every answer held to it.

mod protocol;
mod round_trip;
mod support;
mod xero;
mod zeep;
