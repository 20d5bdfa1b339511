//! One test binary: every test boots the real server on port 0 with its own
//! database (SQLite file, or a fresh PostgreSQL database when
//! `ROSTER_TEST_DATABASE_URL` is set) and speaks GraphQL over HTTP.

mod auth;
mod companies;
mod employees;
mod helpers;
mod hostile;
mod hris;
mod hris_daily;
mod hris_invites;
mod http;
mod import;
mod lifecycle;
mod lookups;
mod pagination;
mod processes;
mod reads;
mod runs;
mod schema_drift;
mod subscriptions;
mod tenancy;
mod webhooks;
