//! Typed settings. Tests build them directly; the binary reads `ROSTER_*` variables.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::auth::{AuthSettings, JwtKey};
use crate::clock::Clock;
use crate::sheets::Limits;

/// Everything `Application::build` needs; no global configuration anywhere.
#[derive(Clone)]
pub struct Settings {
    pub bind: SocketAddr,
    pub database_url: String,
    pub auth: AuthSettings,
    pub limits: Limits,
    pub runner: RunnerSettings,
    pub http: HttpSettings,
    pub pool: roster_persistence::PoolSettings,
    /// R-LOG-6: the clock every rule reads; tests keep a handle to travel in time.
    pub clock: Arc<Clock>,
    pub webhooks: WebhookSettings,
    /// Seals credentials at rest (`ROSTER_ENCRYPTION_KEY`); when none is given, a
    /// key generated once next to the SQLite database (as the JWT secret is).
    pub encryption_key: Option<String>,
    pub hris: HrisConnectorSettings,
}

/// How the HR connectors reach their APIs (R-HRIS-14).
#[derive(Debug, Clone)]
pub struct HrisConnectorSettings {
    /// `ROSTER_PERSONIO_URL`.
    pub personio_url: String,
    pub retry: crate::hris::personio::RetryPolicy,
    /// A request with no answer by then failed (and is retried).
    pub timeout: Duration,
}

impl Default for HrisConnectorSettings {
    fn default() -> Self {
        Self {
            personio_url: "https://api.personio.de".into(),
            retry: crate::hris::personio::RetryPolicy::default(),
            timeout: Duration::from_secs(30),
        }
    }
}

/// How webhooks are delivered (R-WH-3..5).
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// The wait before each attempt (the first is immediate); after the last, FAILED.
    pub retry_schedule: Vec<Duration>,
    /// An attempt that has no answer by then failed.
    pub timeout: Duration,
    /// Plain `http://` to loopback, for local development and tests (R-WH-5).
    pub allow_loopback: bool,
    /// Failed deliveries in a row that disable an endpoint (R-WH-4).
    pub failures_to_disable: i32,
    /// How long an endpoint may fail without a success before it is disabled (R-WH-4).
    pub failing_period_to_disable: chrono::Duration,
    /// How long the previous secret also signs after a rotation (R-WH-6).
    pub rotation_overlap: chrono::Duration,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        let m = |n: u64| Duration::from_secs(60 * n);
        Self {
            retry_schedule: vec![Duration::ZERO, Duration::from_secs(5), m(5), m(30), m(120), m(300), m(600), m(600)],
            timeout: Duration::from_secs(10),
            allow_loopback: false,
            failures_to_disable: 50,
            failing_period_to_disable: chrono::Duration::days(5),
            rotation_overlap: chrono::Duration::hours(24),
        }
    }
}

/// `ROSTER_WEBHOOK_RETRY_SCHEDULE`: comma-separated waits, e.g. `0s,5s,5m,30m`.
pub fn parse_retry_schedule(raw: &str) -> Result<Vec<Duration>, String> {
    let schedule = raw.split(',').map(|part| crate::auth::parse_ttl(part.trim())).collect::<Result<Vec<_>, _>>()?;
    if schedule.is_empty() || schedule.len() > 20 {
        return Err(format!("'{raw}' must list 1 to 20 waits, e.g. 0s,5s,5m,30m,2h,5h,10h,10h"));
    }
    Ok(schedule)
}

const ENCRYPTION_KEY_FILE: &str = "roster.encryption-key";

/// The encryption key: the one given, else the key file next to the SQLite
/// database (or in the working directory), else a new one written there.
pub fn resolve_encryption_key(database_url: &str, given: Option<&str>) -> std::io::Result<String> {
    if let Some(key) = given {
        return Ok(key.to_string());
    }
    let file = secret_file_for(database_url).with_file_name(ENCRYPTION_KEY_FILE);
    if let Ok(existing) = std::fs::read_to_string(&file)
        && !existing.trim().is_empty()
    {
        return Ok(existing.trim().to_string());
    }
    let key = crate::secrets::SecretBox::generate_key().map_err(|e| std::io::Error::other(e.to_string()))?;
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    write_private(&file, &key)?;
    Ok(key)
}

impl Settings {
    /// Every setting at its default, for this database and these keys.
    pub fn new(database_url: &str, auth: AuthSettings) -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            database_url: database_url.to_string(),
            auth,
            limits: Limits::default(),
            runner: RunnerSettings::default(),
            http: HttpSettings::default(),
            pool: roster_persistence::PoolSettings::default(),
            clock: Arc::new(Clock::system()),
            webhooks: WebhookSettings::default(),
            encryption_key: None,
            hris: HrisConnectorSettings::default(),
        }
    }
}

/// The bounds a request must stay within; all settings (`ROSTER_QUERY_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueryLimits {
    /// Bytes of the document text.
    pub max_document_bytes: usize,
    /// Lexical tokens (names, values, punctuation) of the document.
    pub max_tokens: usize,
    /// Nesting of `{`, `[` and `(` together: selections, lists, objects, arguments.
    pub max_nesting: usize,
    /// Nesting of lists and objects in the variables' JSON.
    pub max_variables_depth: usize,
    /// Fields of one operation that carry an alias.
    pub max_aliases: usize,
    /// Selection depth (fields within fields).
    pub max_depth: usize,
    /// Complexity of one request, and of all requests of a batch together: a
    /// field costs 1, a list field costs its page size times its children.
    pub max_complexity: usize,
    /// Operations in one batch.
    pub max_batch: usize,
    /// Bytes of one serialised response.
    pub max_response_bytes: usize,
}

impl Default for QueryLimits {
    fn default() -> Self {
        Self {
            max_document_bytes: 100 * 1024,
            max_tokens: 10_000,
            max_nesting: 64,
            max_variables_depth: 32,
            max_aliases: 100,
            max_depth: 16,
            max_complexity: 10_000,
            max_batch: 10,
            max_response_bytes: 8 * 1024 * 1024,
        }
    }
}

/// How background work is executed; tests shorten the lease to see take-overs quickly.
#[derive(Debug, Clone)]
pub struct RunnerSettings {
    /// Run a runner in this process (`roster serve --no-runner` turns it off).
    pub enabled: bool,
    /// Import runs executed at the same time by this process.
    pub concurrency: usize,
    /// Companies whose lifecycle this process works on at the same time.
    pub lifecycle_concurrency: usize,
    /// Webhook endpoints this process delivers to at the same time (0: none,
    /// other replicas deliver).
    pub delivery_concurrency: usize,
    /// A run whose lease is not renewed for this long is taken over.
    pub lease: Duration,
    /// Rows per batch: a sync commits once per batch, of whole plan chunks.
    pub batch_size: u64,
    /// Rows per stored plan chunk at most (the dry run plans a chunk at a time, the
    /// sync holds at most three at a time): bounds memory whatever the batch size.
    pub plan_chunk_rows: u64,
    /// How often the queue is polled when nothing woke the runner.
    pub poll: Duration,
    /// Pause between batches, to spare a busy database.
    pub batch_pause: Duration,
}

impl Default for RunnerSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            concurrency: 2,
            lifecycle_concurrency: 1,
            delivery_concurrency: 4,
            lease: Duration::from_secs(30),
            batch_size: 5000,
            plan_chunk_rows: 1000,
            poll: Duration::from_millis(500),
            batch_pause: Duration::ZERO,
        }
    }
}

/// What protects the server from its clients: what one request may cost, how
/// long it may take, and how many WebSocket connections and subscriptions it holds.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    pub query: QueryLimits,
    /// A request's whole exchange, body included; past it the client gets 408.
    pub request_timeout: Duration,
    /// Time to send a request's headers, which is also how long a kept-alive
    /// connection may sit idle before its next request.
    pub header_read_timeout: Duration,
    pub max_websocket_connections: usize,
    pub max_subscriptions_per_connection: usize,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            query: QueryLimits::default(),
            request_timeout: Duration::from_secs(60),
            header_read_timeout: Duration::from_secs(10),
            max_websocket_connections: 1_000,
            max_subscriptions_per_connection: 32,
        }
    }
}

/// The settings of `HttpSettings` on the command line or in the environment;
/// each left out keeps its default.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct HttpArgs {
    /// Largest GraphQL document in bytes (default 102400).
    #[arg(long, env = "ROSTER_MAX_DOCUMENT_BYTES")]
    pub max_document_bytes: Option<usize>,
    /// Most lexical tokens in a document (default 10000).
    #[arg(long, env = "ROSTER_MAX_TOKENS")]
    pub max_tokens: Option<usize>,
    /// Deepest nesting of `{`, `[` and `(` in a document (default 64).
    #[arg(long, env = "ROSTER_MAX_NESTING")]
    pub max_nesting: Option<usize>,
    /// Deepest nesting of lists and objects in the variables (default 32).
    #[arg(long, env = "ROSTER_MAX_VARIABLES_DEPTH")]
    pub max_variables_depth: Option<usize>,
    /// Most aliased fields in a document (default 100).
    #[arg(long, env = "ROSTER_MAX_ALIASES")]
    pub max_aliases: Option<usize>,
    /// Deepest selection of fields (default 16).
    #[arg(long, env = "ROSTER_MAX_QUERY_DEPTH")]
    pub max_query_depth: Option<usize>,
    /// Complexity budget of a request or of a whole batch (default 10000).
    #[arg(long, env = "ROSTER_MAX_COMPLEXITY")]
    pub max_complexity: Option<usize>,
    /// Most operations in one batch (default 10).
    #[arg(long, env = "ROSTER_MAX_BATCH")]
    pub max_batch: Option<usize>,
    /// Largest response in bytes (default 8388608).
    #[arg(long, env = "ROSTER_MAX_RESPONSE_BYTES")]
    pub max_response_bytes: Option<usize>,
    /// Seconds a request may take, body included (default 60).
    #[arg(long, env = "ROSTER_REQUEST_TIMEOUT_SECS")]
    pub request_timeout_secs: Option<u64>,
    /// Seconds to send a request's headers, and to keep an idle connection (default 10).
    #[arg(long, env = "ROSTER_HEADER_READ_TIMEOUT_SECS")]
    pub header_read_timeout_secs: Option<u64>,
    /// Most open WebSocket connections (default 1000).
    #[arg(long, env = "ROSTER_MAX_WS_CONNECTIONS")]
    pub max_websocket_connections: Option<usize>,
    /// Most subscriptions on one WebSocket connection (default 32).
    #[arg(long, env = "ROSTER_MAX_SUBSCRIPTIONS")]
    pub max_subscriptions_per_connection: Option<usize>,
}

impl HttpArgs {
    pub fn settings(&self) -> HttpSettings {
        let d = HttpSettings::default();
        let q = d.query;
        let secs = |v: Option<u64>, default: Duration| v.map(|s| Duration::from_secs(s.max(1))).unwrap_or(default);
        HttpSettings {
            query: QueryLimits {
                max_document_bytes: self.max_document_bytes.unwrap_or(q.max_document_bytes),
                max_tokens: self.max_tokens.unwrap_or(q.max_tokens),
                max_nesting: self.max_nesting.unwrap_or(q.max_nesting),
                max_variables_depth: self.max_variables_depth.unwrap_or(q.max_variables_depth),
                max_aliases: self.max_aliases.unwrap_or(q.max_aliases),
                max_depth: self.max_query_depth.unwrap_or(q.max_depth),
                max_complexity: self.max_complexity.unwrap_or(q.max_complexity),
                max_batch: self.max_batch.unwrap_or(q.max_batch),
                max_response_bytes: self.max_response_bytes.unwrap_or(q.max_response_bytes),
            },
            request_timeout: secs(self.request_timeout_secs, d.request_timeout),
            header_read_timeout: secs(self.header_read_timeout_secs, d.header_read_timeout),
            max_websocket_connections: self.max_websocket_connections.unwrap_or(d.max_websocket_connections),
            max_subscriptions_per_connection: self.max_subscriptions_per_connection.unwrap_or(d.max_subscriptions_per_connection),
        }
    }
}

pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
pub const DEFAULT_DATABASE_URL: &str = "sqlite://roster.db";
const SECRET_FILE: &str = "roster.jwt-secret";

/// The key settings as given on the command line or in the environment.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct AuthArgs {
    /// HS256 shared secret (at least 32 characters).
    #[arg(long, env = "ROSTER_JWT_SECRET", hide_env_values = true, global = true)]
    pub jwt_secret: Option<String>,
    /// PEM public key for RS256 or ES256 tokens (the PEM text itself).
    #[arg(long, env = "ROSTER_JWT_PUBLIC_KEY", hide_env_values = true, global = true)]
    pub jwt_public_key: Option<String>,
    /// Accepted `iss` claim; checked when set.
    #[arg(long, env = "ROSTER_JWT_ISSUER", global = true)]
    pub jwt_issuer: Option<String>,
    /// Accepted `aud` claim; checked when set.
    #[arg(long, env = "ROSTER_JWT_AUDIENCE", global = true)]
    pub jwt_audience: Option<String>,
}

/// Where a generated secret is kept: next to the SQLite file, so tokens survive
/// a restart; in the working directory for other databases.
pub fn secret_file_for(database_url: &str) -> PathBuf {
    let path =
        database_url.strip_prefix("sqlite://").or_else(|| database_url.strip_prefix("sqlite:")).map(|p| p.split('?').next().unwrap_or(p));
    match path.filter(|p| !p.is_empty() && *p != ":memory:") {
        Some(db) => Path::new(db).parent().map(|d| d.join(SECRET_FILE)).unwrap_or_else(|| PathBuf::from(SECRET_FILE)),
        None => PathBuf::from(SECRET_FILE),
    }
}

/// Outcome of resolving the key: whether a secret had to be generated now.
pub struct ResolvedAuth {
    pub settings: AuthSettings,
    pub generated_secret_at: Option<PathBuf>,
}

impl AuthArgs {
    /// Uses the configured key, else the secret file, else generates one there,
    /// so `roster serve` starts for a newcomer with nothing configured.
    pub fn resolve(&self, database_url: &str) -> std::io::Result<ResolvedAuth> {
        let settings = |key| AuthSettings { key, issuer: self.jwt_issuer.clone(), audience: self.jwt_audience.clone() };
        if let Some(pem) = &self.jwt_public_key {
            return Ok(ResolvedAuth { settings: settings(JwtKey::PublicKeyPem(pem.clone())), generated_secret_at: None });
        }
        if let Some(secret) = &self.jwt_secret {
            return Ok(ResolvedAuth { settings: settings(JwtKey::Secret(secret.clone())), generated_secret_at: None });
        }
        let file = secret_file_for(database_url);
        if let Ok(existing) = std::fs::read_to_string(&file)
            && !existing.trim().is_empty()
        {
            return Ok(ResolvedAuth { settings: settings(JwtKey::Secret(existing.trim().to_string())), generated_secret_at: None });
        }
        let secret = random_hex(32)?;
        if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        write_private(&file, &secret)?;
        Ok(ResolvedAuth { settings: settings(JwtKey::Secret(secret)), generated_secret_at: Some(file) })
    }
}

fn random_hex(bytes: usize) -> std::io::Result<String> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(|e| std::io::Error::other(e.to_string()))?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(unix)]
fn write_private(path: &Path, content: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path)?;
    f.write_all(content.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, content: &str) -> std::io::Result<()> {
    std::fs::write(path, content)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_lives_next_to_the_sqlite_file() {
        assert_eq!(secret_file_for("sqlite://data/roster.db?mode=rwc"), PathBuf::from("data/roster.jwt-secret"));
        assert_eq!(secret_file_for("sqlite://roster.db"), PathBuf::from("roster.jwt-secret"));
        assert_eq!(secret_file_for("postgres://localhost/x"), PathBuf::from("roster.jwt-secret"));
    }

    #[test]
    fn generated_secret_survives_a_restart() {
        let dir = std::env::temp_dir().join(format!("roster-secret-{}", uuid::Uuid::new_v4()));
        let url = format!("sqlite://{}/r.db", dir.display());
        let first = AuthArgs::default().resolve(&url).unwrap();
        assert!(first.generated_secret_at.is_some());
        let second = AuthArgs::default().resolve(&url).unwrap();
        assert!(second.generated_secret_at.is_none());
        match (first.settings.key, second.settings.key) {
            (JwtKey::Secret(a), JwtKey::Secret(b)) => assert_eq!(a, b),
            _ => panic!("expected secrets"),
        }
        std::fs::remove_dir_all(dir).ok();
    }
}
