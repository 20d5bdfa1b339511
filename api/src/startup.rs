//! Building and running the server. Tests use the very same path: `build` binds
//! the listener (port 0 gives a free port) and `port()` says which.

use std::sync::Arc;

use axum::Router;
use roster_persistence::{Database, DatabaseKind};
use tokio::net::TcpListener;

use crate::auth::Authenticator;
use crate::config::{Settings, resolve_encryption_key};
use crate::events::EventBus;
use crate::known_companies::KnownCompanies;
use crate::links::LinkSigner;
use crate::runner::spawn_runner;
use crate::secrets::SecretBox;
use crate::state::{App, AppState, Imports};
use tokio::sync::{Notify, watch};

pub struct Application {
    listener: TcpListener,
    router: Router,
    state: AppState,
}

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("database: {0}")]
    Database(#[from] sea_orm::DbErr),
    #[error("database: {0}")]
    Repo(#[from] roster_persistence::RepoError),
    #[error("{0}")]
    Auth(#[from] crate::auth::AuthError),
    #[error("encryption key: {0}")]
    Secrets(String),
    #[error("webhook client: {0}")]
    WebhookClient(String),
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: std::net::SocketAddr, source: std::io::Error },
}

impl Application {
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        let bind = settings.bind;
        let state = connect(settings).await?;
        let listener = TcpListener::bind(bind).await.map_err(|source| StartupError::Bind { addr: bind, source })?;
        let router = crate::http::router(state.clone());
        Ok(Self { listener, router, state })
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until Ctrl-C or SIGTERM, then lets in-flight requests finish and
    /// the runner leave its runs at a batch boundary.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let (stop, stopped) = watch::channel(false);
        let runner = self.state.runner.enabled.then(|| spawn_runner(self.state.clone(), stopped));
        let header_read_timeout = self.state.http.header_read_timeout;
        crate::http::server::serve(self.listener, self.router, header_read_timeout, shutdown_signal()).await;
        let _ = stop.send(true);
        if let Some(runner) = runner {
            let _ = runner.await;
        }
        Ok(())
    }
}

/// The application state without a server: connects, migrates, loads keys.
/// The server and local commands such as `roster import` share it.
pub async fn connect(settings: Settings) -> Result<AppState, StartupError> {
    let auth = Authenticator::new(&settings.auth)?;
    let key = resolve_encryption_key(&settings.database_url, settings.encryption_key.as_deref())
        .map_err(|e| StartupError::Secrets(format!("cannot read or create the key file: {e}")))?;
    let secrets = SecretBox::from_text(&key).map_err(|e| StartupError::Secrets(format!("ROSTER_ENCRYPTION_KEY: {e}")))?;
    let webhook_client = crate::webhooks::delivery::client(&settings.webhooks).map_err(|e| StartupError::WebhookClient(e.to_string()))?;
    let hris_client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(settings.hris.timeout)
        .build()
        .map_err(|e| StartupError::WebhookClient(e.to_string()))?;
    let db = Database::connect_with(&settings.database_url, settings.pool).await?;
    let links = LinkSigner::load(&db).await?;
    let events = match db.kind {
        DatabaseKind::Postgres => EventBus::postgres(db.conn.clone(), &settings.database_url).await?,
        DatabaseKind::Sqlite => EventBus::default(),
    };
    Ok(AppState(Arc::new(App {
        db,
        auth,
        companies: KnownCompanies::default(),
        http: settings.http,
        clock: settings.clock,
        imports: Imports { limits: settings.limits },
        runner: settings.runner,
        wake: Notify::new(),
        events,
        links,
        secrets,
        webhooks: settings.webhooks,
        webhook_client,
        hris: settings.hris,
        hris_client,
    })))
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
