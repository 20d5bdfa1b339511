//! The HTTP surface: `/graphql` (GET, POST), `/graphql/ws`, health endpoints.

mod files;
mod graphiql;
pub(crate) mod graphql;
mod negotiate;
pub mod server;
mod websocket;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;

use crate::graphql::limits::Meter;
use crate::graphql::{RosterSchema, build_schema};
use crate::state::AppState;
use tokio::sync::Semaphore;

/// What every handler gets: the app and the schema built once at start.
#[derive(Clone)]
pub struct HttpState {
    pub app: AppState,
    pub schema: RosterSchema,
    /// The schema's twin that measures requests without running them.
    pub meter: Meter,
    /// One permit per open WebSocket connection.
    pub websockets: Arc<Semaphore>,
}

pub fn router(app: AppState) -> Router {
    let schema = build_schema(app.clone(), app.http.query);
    let websockets = Arc::new(Semaphore::new(app.http.max_websocket_connections));
    // Uploads come through /graphql; JSON bodies there are checked to 2 MB apart.
    let upload_limit = app.imports.limits.max_file_bytes + 1024 * 1024;
    let http = app.http.clone();
    let state = HttpState { app, schema, meter: Meter::new(), websockets };
    let router = Router::new()
        .route("/graphql", get(graphql::get).post(graphql::post).layer(DefaultBodyLimit::max(upload_limit)))
        .route("/files/{token}", get(files::download))
        .route("/graphql/ws", get(websocket::upgrade))
        .route("/metrics", get(metrics))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .with_state(state);
    server::harden(router, &http).layer(axum::middleware::from_fn(count_requests))
}

async fn count_requests(request: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    let response = next.run(request).await;
    crate::metrics::http_request(response.status().as_u16());
    response
}

/// Prometheus text format; open like the health endpoints (no tenant data).
async fn metrics(State(state): State<HttpState>) -> ([(axum::http::HeaderName, &'static str); 1], String) {
    let gauges = crate::services::operations::gauges(&state.app).await;
    ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], crate::metrics::render(&gauges))
}

/// Ready when the database answers.
async fn readyz(State(state): State<HttpState>) -> (StatusCode, &'static str) {
    match state.app.db.conn.ping().await {
        Ok(()) => (StatusCode::OK, "ready"),
        Err(err) => {
            tracing::warn!(%err, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}
