//! Roster's API service: the axum server, the GraphQL schema, auth, and the
//! `roster` command line. Rules live in `roster-domain`, SQL in `roster-persistence`.

pub mod auth;
pub mod cli;
pub mod config;
pub mod error;
pub mod files;
pub mod graphql;
pub mod http;
mod import_command;
pub mod jobs;
pub mod metrics;
pub mod services;
pub mod sheets;
pub mod startup;
pub mod state;

pub use config::Settings;
pub use startup::Application;
