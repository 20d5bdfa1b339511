//! Shared application state, put into the router and the schema once. A leaf:
//! it holds types of modules that never reach back here (settings, clock, keys,
//! the event bus), so every part of the app may import it without a cycle.

use std::ops::Deref;
use std::sync::Arc;

use roster_persistence::Database;

use crate::auth::Authenticator;
use crate::clock::Clock;
use crate::config::{HrisConnectorSettings, HttpSettings, RunnerSettings, WebhookSettings};
use crate::events::EventBus;
use crate::known_companies::KnownCompanies;
use crate::links::LinkSigner;
use crate::secrets::SecretBox;
use crate::sheets::Limits;

pub struct App {
    /// The writer (SQLite: one connection) and the readers (SQLite: a read-only pool).
    pub db: Database,
    /// Verifies bearer tokens; keys are parsed once at start.
    pub auth: Authenticator,
    /// Companies that tokens named and that exist (R-TEN-1).
    pub companies: KnownCompanies,
    pub http: HttpSettings,
    /// R-LOG-6: the only "now" of the app.
    pub clock: Arc<Clock>,
    pub imports: Imports,
    /// How background work is run: imports, lifecycle, webhook deliveries.
    pub runner: RunnerSettings,
    /// Wakes the runner when work is queued, so it need not wait for its poll.
    pub wake: tokio::sync::Notify,
    pub events: EventBus,
    /// Signs short-lived download links (`GET /files/…`).
    pub links: LinkSigner,
    /// Seals and opens credentials at rest (R-WH-6).
    pub secrets: SecretBox,
    pub webhooks: WebhookSettings,
    /// Sends webhook deliveries: no redirects, the attempt timeout, and a
    /// resolver that refuses forbidden addresses (R-WH-3/5).
    pub webhook_client: reqwest::Client,
    pub hris: HrisConnectorSettings,
    /// Talks to HR systems: no redirects, the request timeout.
    pub hris_client: reqwest::Client,
}

/// What the import pipeline shares across requests and the runner.
pub struct Imports {
    pub limits: Limits,
}

#[derive(Clone)]
pub struct AppState(pub Arc<App>);

impl Deref for AppState {
    type Target = App;
    fn deref(&self) -> &App {
        &self.0
    }
}
