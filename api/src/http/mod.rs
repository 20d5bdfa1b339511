//! The HTTP surface: `/graphql` (GET, POST), `/graphql/ws`, health endpoints.

mod graphiql;
mod graphql;
mod negotiate;
mod websocket;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;

use crate::graphql::{RosterSchema, build_schema};
use crate::state::AppState;

/// What every handler gets: the app and the schema built once at start.
#[derive(Clone)]
pub struct HttpState {
    pub app: AppState,
    pub schema: RosterSchema,
}

pub fn router(app: AppState) -> Router {
    let schema = build_schema(app.clone());
    let state = HttpState { app, schema };
    Router::new()
        .route("/graphql", get(graphql::get).post(graphql::post))
        .route("/graphql/ws", get(websocket::upgrade))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .with_state(state)
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
