//! Companies that exist, with their time zones, remembered for a while. A token
//! signed with the right key but naming no company (a deleted tenant, a typo in
//! an identity provider's claim mapping) must not reach a resolver;
//! `tenants::authenticate` asks here once per request or connection, and reads
//! take the company's "today" from here, so neither costs a statement per request.
//! A time-zone change reaches another replica's reads within `REMEMBER_FOR`;
//! writes always read the company afresh.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use roster_domain::TimeZoneName;
use roster_persistence::{DatabaseConnection, RepoError};
use uuid::Uuid;

/// How long a company found once is taken to exist, in that time zone, without asking again.
const REMEMBER_FOR: Duration = Duration::from_secs(60);
/// Companies remembered at most; the memory is cleared when it is full.
const REMEMBER_AT_MOST: usize = 10_000;

#[derive(Default)]
pub struct KnownCompanies {
    seen: Mutex<HashMap<Uuid, (Instant, TimeZoneName)>>,
}

impl KnownCompanies {
    pub async fn exists(&self, db: &DatabaseConnection, id: Uuid) -> Result<bool, RepoError> {
        Ok(self.time_zone(db, id).await?.is_some())
    }

    /// The company's time zone; `None` when there is no such company.
    pub async fn time_zone(&self, db: &DatabaseConnection, id: Uuid) -> Result<Option<TimeZoneName>, RepoError> {
        if let Some(zone) = self.remembered(id) {
            return Ok(Some(zone));
        }
        let found = roster_persistence::repo::companies::time_zone(db, id).await?;
        if let Some(zone) = &found {
            let mut seen = self.lock();
            if seen.len() >= REMEMBER_AT_MOST {
                seen.clear();
            }
            seen.insert(id, (Instant::now(), zone.clone()));
        }
        Ok(found)
    }

    /// After this replica changed the company's settings.
    pub fn forget(&self, id: Uuid) {
        self.lock().remove(&id);
    }

    fn remembered(&self, id: Uuid) -> Option<TimeZoneName> {
        self.lock().get(&id).filter(|(at, _)| at.elapsed() < REMEMBER_FOR).map(|(_, zone)| zone.clone())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, (Instant, TimeZoneName)>> {
        self.seen.lock().unwrap_or_else(|p| p.into_inner())
    }
}
