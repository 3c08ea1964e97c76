#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

pub mod actors;
pub mod auth;
pub mod carriers;
pub mod connections;
pub mod contract;
pub mod eis;
pub mod server;
pub mod service;
pub mod soap;
pub mod values;
pub mod wsdl;
pub mod xml;

pub use auth::{AuthAnswer, OnlineAuth};
pub use carriers::{ErpActor, FieldMetadata, Payload, PluginResponse, ResponseState};
pub use eis::EisClient;
pub use server::{ConnectorServer, ServerOptions};
pub use service::{ErpConnector, ErpConnectorBuilder};
