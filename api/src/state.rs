//! Shared application state, put into the router and the schema once.

use std::ops::Deref;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use roster_persistence::Database;

use crate::auth::Authenticator;
use crate::config::HttpSettings;
use crate::files::LinkSigner;
use crate::jobs::{EventBus, RunnerSettings};
use crate::sheets::Limits;
use crate::tenants::KnownCompanies;

/// The source of "now"; the domain never reads a clock itself.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

pub struct App {
    /// The pool; SQLite gets one connection (one writer), PostgreSQL a pool.
    pub db: Database,
    /// Verifies bearer tokens; keys are parsed once at start.
    pub auth: Authenticator,
    /// Companies that tokens named and that exist (R-TEN-1).
    pub companies: KnownCompanies,
    pub http: HttpSettings,
    pub clock: Arc<dyn Clock>,
    pub imports: Imports,
    /// Signs short-lived download links (`GET /files/…`).
    pub links: LinkSigner,
}

/// What the import pipeline shares across requests and the runner.
pub struct Imports {
    pub limits: Limits,
    pub runner: RunnerSettings,
    /// Wakes the runner when a run is queued, so it need not wait for its poll.
    pub wake: tokio::sync::Notify,
    pub events: EventBus,
}

#[derive(Clone)]
pub struct AppState(pub Arc<App>);

impl Deref for AppState {
    type Target = App;
    fn deref(&self) -> &App {
        &self.0
    }
}
