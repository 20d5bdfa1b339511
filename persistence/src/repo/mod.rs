//! Repositories: narrow functions per aggregate, each on `&impl ConnectionTrait`.

pub mod audit;
pub mod codec;
pub mod companies;
pub mod employees;
pub mod event_batches;
pub mod grants;
pub mod groups;
pub mod hris;
pub mod imports;
pub mod leases;
pub mod lifecycle;
pub mod notifications;
pub mod outbox;
pub mod policies;
pub mod secrets;
pub mod webhooks;
pub mod writes;

use crate::error::RepoError;

/// Rebuilds a domain value from a stored one; a failure means the row was
/// written by something that bypassed the domain.
pub(crate) fn stored<T, E: std::fmt::Display>(what: &str, parsed: Result<T, E>) -> Result<T, RepoError> {
    parsed.map_err(|e| RepoError::Corrupt(format!("{what}: {e}")))
}
