//! Whether the company a token names exists. A token signed with the right key
//! but naming no company (a deleted tenant, a typo in an identity provider's
//! claim mapping) must not reach a resolver: every list would answer empty and
//! every write fail in the database. Checked once per request or connection;
//! companies seen recently are remembered, so the check is a map look-up.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use roster_persistence::{DatabaseConnection, RepoError};
use uuid::Uuid;

use crate::auth::{AuthError, Caller};

/// How long a company found once is taken to exist without asking again.
const REMEMBER_FOR: Duration = Duration::from_secs(60);
/// Companies remembered at most; the memory is cleared when it is full.
const REMEMBER_AT_MOST: usize = 10_000;

#[derive(Default)]
pub struct KnownCompanies {
    seen: Mutex<HashMap<Uuid, Instant>>,
}

impl KnownCompanies {
    pub async fn exists(&self, db: &DatabaseConnection, id: Uuid) -> Result<bool, RepoError> {
        if self.remembered(id) {
            return Ok(true);
        }
        let found = roster_persistence::repo::companies::exists(db, id).await?;
        if found {
            let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
            if seen.len() >= REMEMBER_AT_MOST {
                seen.clear();
            }
            seen.insert(id, Instant::now());
        }
        Ok(found)
    }

    fn remembered(&self, id: Uuid) -> bool {
        let seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        seen.get(&id).is_some_and(|at| at.elapsed() < REMEMBER_FOR)
    }
}

/// R-AUTH-2, R-TEN-1: a valid token whose company exists (support tokens that
/// name no company act on none and pass).
pub async fn authenticate(app: &crate::state::App, header: Option<&str>) -> Result<Caller, AuthError> {
    let caller = app.auth.verify_header(header)?;
    if let Some(company_id) = caller.company_id {
        match app.companies.exists(&app.db.read, company_id).await {
            Ok(true) => {}
            Ok(false) => return Err(AuthError::UnknownCompany),
            Err(err) => {
                tracing::error!(%err, "looking up a token's company failed");
                return Err(AuthError::Unavailable);
            }
        }
    }
    Ok(caller)
}
