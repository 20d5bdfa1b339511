//! `GET /graphql/ws`: subscriptions over `graphql-transport-ws` (and legacy
//! `graphql-ws`), authenticated by the `connection_init` payload.

use async_graphql::Data;
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::extract::{State, WebSocketUpgrade};
use axum::response::Response;

use super::HttpState;

pub async fn upgrade(State(state): State<HttpState>, protocol: GraphQLProtocol, ws: WebSocketUpgrade) -> Response {
    ws.protocols(async_graphql::http::ALL_WEBSOCKET_PROTOCOLS).on_upgrade(move |socket| {
        let auth = state.app.auth.clone();
        GraphQLWebSocket::new(socket, state.schema.clone(), protocol)
            .on_connection_init(move |payload| async move {
                let header = payload.get("Authorization").or_else(|| payload.get("authorization")).and_then(|v| v.as_str());
                let caller = auth.verify_header(header).map_err(|e| async_graphql::Error::new(e.to_string()))?;
                let mut data = Data::default();
                data.insert(caller);
                Ok(data)
            })
            .serve()
    })
}
