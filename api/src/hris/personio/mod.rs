//! Personio API v1 (../shared/data/personio/README.md): `POST /v1/auth`, then
//! `GET /v1/company/employees` page by page and `GET /v1/company/employees/attributes`.

mod client;
mod parse;

pub use client::{Credentials, PersonioClient, RetryPolicy};
pub use parse::{parse_attributes, parse_page};

/// The attributes the sync reads; `connectHris` reports those the credential cannot.
pub const NEEDED_ATTRIBUTES: [&str; 9] =
    ["first_name", "last_name", "email", "status", "hire_date", "termination_date", "team", "subcompany", "supervisor"];
