//! The pages, one module each, and what they share (`layout`).

pub(crate) mod activity;
pub(crate) mod flows;
pub(crate) mod layout;
pub(crate) mod plan;
pub(crate) mod quarantine;
pub(crate) mod run;
