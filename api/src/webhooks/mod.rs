//! Webhooks (R-WH-1..6): the events Roster announces, the outbox that records
//! them with the change they report, and their delivery to each endpoint.

pub mod delivery;
pub mod events;
pub mod signing;
pub mod ssrf;

pub use events::{EventType, Outbox};
