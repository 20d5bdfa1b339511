//! Companies that exist, remembered for a while. A token signed with the right key
//! but naming no company (a deleted tenant, a typo in an identity provider's
//! claim mapping) must not reach a resolver; `tenants::authenticate` asks here
//! once per request or connection, so the check is usually a map look-up.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use roster_persistence::{DatabaseConnection, RepoError};
use uuid::Uuid;

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
