//! The `roster` command line: serve, migrate, schema, token, company create.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, Subcommand};
use uuid::Uuid;

use crate::auth::{Authenticator, Role, parse_ttl};
use crate::clock::{Clock, parse_instant};
use crate::config::RunnerSettings;
use crate::config::{
    AuthArgs, DEFAULT_BIND, DEFAULT_DATABASE_URL, HrisConnectorSettings, HttpArgs, Settings, WebhookSettings, parse_retry_schedule,
};
use crate::sheets::Limits;
use crate::startup::Application;
use roster_persistence::PoolSettings;

#[derive(Parser)]
#[command(name = "roster", version, about = "Roster: keeps a platform's employee directory right")]
struct Cli {
    /// Database URL: a SQLite file (created if missing) or postgres://…
    #[arg(long, env = "ROSTER_DATABASE_URL", default_value = DEFAULT_DATABASE_URL, global = true)]
    database_url: String,
    #[command(flatten)]
    auth: AuthArgs,
    /// Key that seals credentials at rest: 32 bytes as base64 or hex. When unset,
    /// one is generated next to the SQLite database (roster.encryption-key).
    #[arg(long, env = "ROSTER_ENCRYPTION_KEY", hide_env_values = true, global = true)]
    encryption_key: Option<String>,
    /// The Personio API the HR sync talks to (a fake one for trials and tests).
    #[arg(long, env = "ROSTER_PERSONIO_URL", default_value = "https://api.personio.de", global = true)]
    personio_url: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
#[expect(clippy::large_enum_variant, reason = "parsed once per process")]
enum Command {
    /// Serve the GraphQL API (migrating the database first).
    Serve {
        #[arg(long, env = "ROSTER_BIND", default_value = DEFAULT_BIND)]
        bind: SocketAddr,
        /// Serve the API only; runs are executed by other processes.
        #[arg(long, env = "ROSTER_NO_RUNNER")]
        no_runner: bool,
        /// Runs this process executes at the same time.
        #[arg(long, env = "ROSTER_RUNNER_CONCURRENCY", default_value_t = 2)]
        runner_concurrency: usize,
        /// Seconds a run's lease lasts without a heartbeat before another runner takes it over.
        #[arg(long, env = "ROSTER_LEASE_SECONDS", default_value_t = 30)]
        lease_seconds: u64,
        /// Rows per batch (a sync commits once per batch; larger batches mean fewer commits).
        #[arg(long, env = "ROSTER_BATCH_SIZE", default_value_t = 5000)]
        batch_size: u64,
        /// Pause between batches in milliseconds, to spare a busy database.
        #[arg(long, env = "ROSTER_BATCH_PAUSE_MS", default_value_t = 0)]
        batch_pause_ms: u64,
        /// Largest upload in bytes.
        #[arg(long, env = "ROSTER_MAX_UPLOAD_BYTES", default_value_t = 100 * 1024 * 1024)]
        max_upload_bytes: usize,
        #[command(flatten)]
        http: HttpArgs,
        /// SQLite: read-only connections beside the one writer.
        #[arg(long, env = "ROSTER_SQLITE_READERS", default_value_t = PoolSettings::default().sqlite_readers)]
        sqlite_readers: u32,
        /// PostgreSQL: connections in the pool.
        #[arg(long, env = "ROSTER_POSTGRES_POOL_SIZE", default_value_t = PoolSettings::default().postgres_connections)]
        postgres_pool_size: u32,
        /// Start the clock at this RFC 3339 instant; it runs on from there (staging, tests).
        #[arg(long, env = "ROSTER_NOW")]
        now: Option<String>,
        /// Waits before each webhook attempt, e.g. 0s,5s,5m,30m,2h,5h,10h,10h (the default).
        #[arg(long, env = "ROSTER_WEBHOOK_RETRY_SCHEDULE")]
        webhook_retry_schedule: Option<String>,
        /// Allow plain http:// webhook endpoints on loopback (local development only).
        #[arg(long, env = "ROSTER_WEBHOOK_ALLOW_LOOPBACK")]
        webhook_allow_loopback: bool,
    },
    /// Run pending database migrations.
    Migrate,
    /// Print the GraphQL schema (SDL).
    Schema,
    /// Mint a token with the configured secret.
    Token {
        #[arg(long)]
        role: Role,
        /// The company the token acts for (not needed for support).
        #[arg(long)]
        company: Option<Uuid>,
        #[arg(long, default_value = "roster-cli")]
        subject: String,
        #[arg(long, default_value = "1h")]
        ttl: String,
        /// Extra scopes, e.g. imports:write (repeatable).
        #[arg(long = "scope")]
        scopes: Vec<String>,
    },
    /// Import a spreadsheet into a company: dry run, then sync (unless --dry-run).
    Import {
        file: std::path::PathBuf,
        #[arg(long)]
        company: Uuid,
        /// Stop after the dry run.
        #[arg(long)]
        dry_run: bool,
        /// Map a column by hand: HEADER=FIELD, e.g. custom_cost_center=custom:cost_center (repeatable).
        #[arg(long)]
        map: Vec<String>,
    },
    /// Manage companies.
    Company {
        #[command(subcommand)]
        command: CompanyCommand,
    },
    /// The lifecycle: dated onboardings, monthly budgets, deactivations (R-LOG-5).
    Lifecycle {
        #[command(subcommand)]
        command: LifecycleCommand,
    },
}

#[derive(Subcommand)]
enum LifecycleCommand {
    /// Process every company's due dates once, as of an instant (R-LOG-6).
    Run {
        /// RFC 3339 instant, e.g. 2027-01-01T08:00:00Z (default: now).
        #[arg(long)]
        at: Option<String>,
    },
}

#[derive(Subcommand)]
enum CompanyCommand {
    /// Create a company and print its id.
    Create {
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "en")]
        language: String,
        #[arg(long, default_value = "Europe/Amsterdam")]
        time_zone: String,
        /// Company groups to create with it (repeatable).
        #[arg(long = "group")]
        groups: Vec<String>,
    },
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(if matches!(cli.command, Command::Serve { .. }) { "info" } else { "warn" });
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing(level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| format!("{level},sqlx=warn,sea_orm=warn,sea_orm_migration=warn").into());
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
}

async fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Schema => {
            print!("{}", crate::graphql::sdl());
            Ok(())
        }
        Command::Migrate => {
            roster_persistence::Database::connect(&cli.database_url).await.map_err(|e| e.to_string())?;
            eprintln!("migrations applied to {}", redact(&cli.database_url));
            Ok(())
        }
        Command::Serve {
            bind,
            no_runner,
            runner_concurrency,
            lease_seconds,
            batch_size,
            batch_pause_ms,
            max_upload_bytes,
            http,
            sqlite_readers,
            postgres_pool_size,
            now,
            webhook_retry_schedule,
            webhook_allow_loopback,
        } => {
            let mut webhooks = WebhookSettings { allow_loopback: webhook_allow_loopback, ..WebhookSettings::default() };
            if let Some(raw) = webhook_retry_schedule {
                webhooks.retry_schedule = parse_retry_schedule(&raw).map_err(|e| format!("ROSTER_WEBHOOK_RETRY_SCHEDULE: {e}"))?;
            }
            let clock = match now {
                Some(raw) => Clock::starting_at(parse_instant(&raw).map_err(|e| format!("ROSTER_NOW: {e}"))?),
                None => Clock::system(),
            };
            let runner = RunnerSettings {
                enabled: !no_runner,
                concurrency: runner_concurrency.max(1),
                lease: Duration::from_secs(lease_seconds.max(1)),
                batch_size: batch_size.clamp(1, 50_000),
                batch_pause: Duration::from_millis(batch_pause_ms),
                ..RunnerSettings::default()
            };
            let limits = Limits { max_file_bytes: max_upload_bytes, ..Limits::default() };
            let pool = PoolSettings { sqlite_readers, postgres_connections: postgres_pool_size };
            let resolved = cli.auth.resolve(&cli.database_url).map_err(|e| format!("cannot read or create the JWT secret: {e}"))?;
            if let Some(path) = &resolved.generated_secret_at {
                eprintln!(
                    "No ROSTER_JWT_SECRET or ROSTER_JWT_PUBLIC_KEY set: generated a secret in {}.\nMint a token with: roster token --role admin --company <company-id>",
                    path.display()
                );
            }
            let settings = Settings {
                bind,
                limits,
                runner,
                http: http.settings(),
                pool,
                clock: Arc::new(clock),
                webhooks,
                encryption_key: cli.encryption_key.clone(),
                hris: HrisConnectorSettings { personio_url: cli.personio_url.clone(), ..HrisConnectorSettings::default() },
                ..Settings::new(&cli.database_url, resolved.settings)
            };
            serve(settings).await
        }
        Command::Token { role, company, subject, ttl, scopes } => {
            let resolved = cli.auth.resolve(&cli.database_url).map_err(|e| format!("cannot read or create the JWT secret: {e}"))?;
            let auth = Authenticator::new(&resolved.settings).map_err(|e| e.to_string())?;
            if role != Role::Support && company.is_none() {
                return Err("--company is required for this role".into());
            }
            let ttl = parse_ttl(&ttl)?;
            println!("{}", auth.mint(&subject, role, company, scopes, ttl).map_err(|e| e.to_string())?);
            Ok(())
        }
        Command::Import { file, company, dry_run, map } => {
            let resolved = cli.auth.resolve(&cli.database_url).map_err(|e| format!("cannot read or create the JWT secret: {e}"))?;
            let settings = Settings {
                encryption_key: cli.encryption_key.clone(),
                hris: HrisConnectorSettings { personio_url: cli.personio_url.clone(), ..HrisConnectorSettings::default() },
                ..Settings::new(&cli.database_url, resolved.settings)
            };
            let app = crate::startup::connect(settings).await.map_err(|e| e.to_string())?;
            crate::import_command::run(app, crate::import_command::ImportArgs { file, company, dry_run, map }).await
        }
        Command::Lifecycle { command: LifecycleCommand::Run { at } } => {
            let clock = match at {
                Some(raw) => Clock::starting_at(parse_instant(&raw).map_err(|e| format!("--at: {e}"))?),
                None => Clock::system(),
            };
            let resolved = cli.auth.resolve(&cli.database_url).map_err(|e| format!("cannot read or create the JWT secret: {e}"))?;
            let settings = Settings {
                clock: Arc::new(clock),
                encryption_key: cli.encryption_key.clone(),
                ..Settings::new(&cli.database_url, resolved.settings)
            };
            let app = crate::startup::connect(settings).await.map_err(|e| e.to_string())?;
            let (tally, busy) = crate::lifecycle::run_all(&app).await.map_err(|e| e.public_message())?;
            println!(
                "lifecycle as of {}: {} date(s) processed, {} onboarded, {} budget(s) granted, {} deactivated",
                app.clock.now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                tally.dates,
                tally.onboarded,
                tally.grants,
                tally.deactivated
            );
            for company in busy {
                println!("company {company}: another process is working on it; left to it");
            }
            Ok(())
        }
        Command::Company { command: CompanyCommand::Create { name, language, time_zone, groups } } => {
            let db = roster_persistence::Database::connect(&cli.database_url).await.map_err(|e| e.to_string())?;
            let company = roster_domain::Company {
                id: Uuid::now_v7(),
                name: roster_domain::CompanyName::parse(&name).map_err(|e| e.to_string())?,
                default_language: roster_domain::Language::parse(&language).map_err(|e| e.to_string())?,
                time_zone: roster_domain::TimeZoneName::parse(&time_zone).map_err(|e| e.to_string())?,
                settings: roster_domain::CompanySettings::default(),
            };
            roster_persistence::repo::companies::insert(&db.conn, &company, Clock::system().now()).await.map_err(|e| e.to_string())?;
            for name in groups {
                let group = roster_domain::CompanyGroup {
                    id: Uuid::now_v7(),
                    company_id: company.id,
                    name: roster_domain::GroupName::parse(&name).map_err(|e| e.to_string())?,
                };
                roster_persistence::repo::groups::insert(&db.conn, &group, Clock::system().now())
                    .await
                    .map_err(|e| format!("group '{name}': {e}"))?;
            }
            println!("{}", company.id);
            Ok(())
        }
    }
}

async fn serve(settings: Settings) -> Result<(), String> {
    let (bind, database_url) = (settings.bind, settings.database_url.clone());
    let app = Application::build(settings).await.map_err(|e| e.to_string())?;
    tracing::info!(port = app.port(), database = %redact(&database_url), "roster listening on http://{}:{}/graphql", bind.ip(), app.port());
    app.run_until_stopped().await.map_err(|e| e.to_string())
}

/// Hides a password in a database URL before it is logged.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}
