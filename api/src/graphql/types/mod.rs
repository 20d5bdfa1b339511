//! GraphQL types, converted from domain values; names follow the API contract.

pub mod company;
pub mod directory;
pub mod employee;
pub mod enums;
pub mod hris;
pub mod import;
pub mod inputs;
pub mod notification;
pub mod page;
pub mod payloads;
pub mod scalars;
pub mod webhook;
