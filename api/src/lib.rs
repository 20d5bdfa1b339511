//! Roster's API service: the axum server, the GraphQL schema, auth, and the
//! `roster` command line. Rules live in `roster-domain`, SQL in `roster-persistence`.

pub mod auth;
pub mod cli;
pub mod clock;
pub mod config;
pub mod error;
pub mod events;
pub mod graphql;
pub mod hris;
pub mod http;
mod import_command;
pub mod jobs;
mod known_companies;
pub mod lifecycle;
pub mod links;
pub mod metrics;
pub mod runner;
pub mod secrets;
pub mod services;
pub mod sheets;
pub mod startup;
pub mod state;
mod tenants;
pub mod webhooks;

pub use config::{HttpSettings, Settings};

/// Cases a fuzz harness runs: `PROPTEST_CASES` when set, else `default`.
#[cfg(test)]
pub(crate) fn fuzz_cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}
pub use startup::Application;
