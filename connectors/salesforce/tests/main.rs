//! Integration tests of the Salesforce connector against its simulator.

#[path = "cases/jwt.rs"]
mod jwt;
#[path = "cases/read.rs"]
mod read;
#[path = "cases/write.rs"]
mod write;
