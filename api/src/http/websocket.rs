//! `GET /graphql/ws`: our own server side of the `graphql-transport-ws` protocol
//! (and the legacy `graphql-ws` one). async-graphql's built-in handler does not
//! close un-initialised connections (4408), uses 1011/1002 where the protocol
//! wants 4401/4403, replaces a duplicate subscription id silently (4409) and
//! sends validation errors as `next`; this one follows PROTOCOL.md.

use std::collections::HashMap;
use std::time::Duration;

use async_graphql::parser::types::OperationType;
use async_graphql::{Request, Variables};
use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::HttpState;
use super::graphql::{bounded_json, is_request_error, operation_type};
use crate::auth::Caller;
use crate::graphql::limits::RequestShape;
use crate::graphql::{PublicBase, RequestCache};

/// How long a client may take to send `connection_init` (graphql-ws's default).
const INIT_TIMEOUT: Duration = Duration::from_secs(3);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Protocol {
    /// `graphql-transport-ws` (graphql-ws ≥ 5).
    Transport,
    /// Legacy `graphql-ws` (subscriptions-transport-ws).
    Legacy,
}

impl Protocol {
    fn name(self) -> &'static str {
        match self {
            Self::Transport => "graphql-transport-ws",
            Self::Legacy => "graphql-ws",
        }
    }

    fn next(self) -> &'static str {
        if self == Self::Transport { "next" } else { "data" }
    }
}

pub async fn upgrade(State(state): State<HttpState>, headers: HeaderMap, ws: WebSocketUpgrade) -> Response {
    let offered = headers.get(header::SEC_WEBSOCKET_PROTOCOL).and_then(|v| v.to_str().ok()).unwrap_or("");
    let offered: Vec<&str> = offered.split(',').map(str::trim).collect();
    let protocol = if offered.contains(&"graphql-transport-ws") {
        Protocol::Transport
    } else if offered.contains(&"graphql-ws") {
        Protocol::Legacy
    } else {
        return (StatusCode::BAD_REQUEST, "Sec-WebSocket-Protocol must offer graphql-transport-ws (or the legacy graphql-ws)")
            .into_response();
    };
    let Ok(permit) = state.websockets.clone().try_acquire_owned() else {
        let limit = state.app.http.max_websocket_connections;
        return (StatusCode::SERVICE_UNAVAILABLE, format!("too many open WebSocket connections (the limit is {limit}); retry later"))
            .into_response();
    };
    let base = PublicBase::from_headers(&headers);
    ws.protocols([protocol.name()]).on_upgrade(move |socket| async move {
        Session::new(state, protocol, base).run(socket).await;
        drop(permit);
    })
}

/// What the connection loop does after a frame.
enum Flow {
    Continue,
    Close(u16, String),
}

struct Session {
    state: HttpState,
    protocol: Protocol,
    base: PublicBase,
    caller: Option<Caller>,
    subscriptions: HashMap<String, JoinHandle<()>>,
    out: mpsc::Sender<Outgoing>,
    out_rx: Option<mpsc::Receiver<Outgoing>>,
}

enum Outgoing {
    Frame(Value),
    /// A subscription ended on its own: forget its id.
    Ended(String),
}

impl Session {
    fn new(state: HttpState, protocol: Protocol, base: PublicBase) -> Self {
        let (out, rx) = mpsc::channel(256);
        Self { state, protocol, base, caller: None, subscriptions: HashMap::new(), out, out_rx: Some(rx) }
    }

    async fn run(mut self, mut socket: WebSocket) {
        let mut out_rx = self.out_rx.take().expect("created with a receiver");
        let init_deadline = tokio::time::sleep(INIT_TIMEOUT);
        tokio::pin!(init_deadline);
        crate::metrics::subscriptions_opened();
        let close = loop {
            tokio::select! {
                _ = &mut init_deadline, if self.caller.is_none() => break Some((4408, "Connection initialisation timeout".to_string())),
                outgoing = out_rx.recv() => match outgoing {
                    Some(Outgoing::Frame(frame)) => {
                        if socket.send(Message::Text(Utf8Bytes::from(frame.to_string()))).await.is_err() {
                            break None;
                        }
                    }
                    Some(Outgoing::Ended(id)) => {
                        self.subscriptions.remove(&id);
                    }
                    None => break None,
                },
                incoming = socket.recv() => match incoming {
                    Some(Ok(Message::Text(text))) => match self.handle(text.as_str()).await {
                        Flow::Continue => {}
                        Flow::Close(code, reason) => break Some((code, reason)),
                    },
                    Some(Ok(Message::Binary(_))) => break Some((4400, "binary frames are not part of the protocol".to_string())),
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break None,
                    Some(Ok(_)) => {}
                },
            }
        };
        for (_, task) in self.subscriptions.drain() {
            task.abort();
        }
        crate::metrics::subscriptions_closed();
        if let Some((code, reason)) = close {
            // A close reason is at most 123 bytes (RFC 6455).
            let mut reason = reason;
            while reason.len() > 123 {
                reason.pop();
            }
            let _ = socket.send(Message::Close(Some(CloseFrame { code, reason: Utf8Bytes::from(reason) }))).await;
        }
    }

    async fn send(&self, frame: Value) {
        let _ = self.out.send(Outgoing::Frame(frame)).await;
    }

    async fn handle(&mut self, text: &str) -> Flow {
        let Ok(Value::Object(message)) = serde_json::from_str::<Value>(text) else {
            return Flow::Close(4400, "Invalid message received: not a JSON object".into());
        };
        let kind = message.get("type").and_then(Value::as_str).unwrap_or("");
        let id = message.get("id").and_then(Value::as_str).map(String::from);
        match (self.protocol, kind) {
            (_, "connection_init") => self.init(message.get("payload")).await,
            (Protocol::Transport, "ping") => {
                self.send(json!({ "type": "pong" })).await;
                Flow::Continue
            }
            (Protocol::Transport, "pong") => Flow::Continue,
            (Protocol::Transport, "subscribe") | (Protocol::Legacy, "start") => {
                let Some(id) = id.filter(|i| !i.is_empty()) else {
                    return Flow::Close(4400, "Invalid message received: missing id".into());
                };
                let Some(caller) = self.caller.clone() else { return Flow::Close(4401, "Unauthorized".into()) };
                if self.subscriptions.get(&id).is_some_and(|t| !t.is_finished()) {
                    return Flow::Close(4409, format!("Subscriber for {id} already exists"));
                }
                let limit = self.state.app.http.max_subscriptions_per_connection;
                self.subscriptions.retain(|_, task| !task.is_finished());
                if self.subscriptions.len() >= limit {
                    let message = format!("this connection already holds {limit} subscriptions, the limit; complete one first");
                    self.refuse(&id, "TOO_MANY_SUBSCRIPTIONS", &message).await;
                    return Flow::Continue;
                }
                match request_of(message.get("payload")) {
                    Ok(request) => {
                        if let Err(limit) = self.state.app.http.query.admit(&request) {
                            self.refuse(&id, limit.code(), &limit.to_string()).await;
                            return Flow::Continue;
                        }
                        let task = self.start(id.clone(), caller, request);
                        self.subscriptions.insert(id, task);
                        Flow::Continue
                    }
                    Err(reason) => Flow::Close(4400, format!("Invalid message received: {reason}")),
                }
            }
            (Protocol::Transport, "complete") | (Protocol::Legacy, "stop") => {
                if let Some(task) = id.and_then(|id| self.subscriptions.remove(&id)) {
                    task.abort();
                }
                Flow::Continue
            }
            (Protocol::Legacy, "connection_terminate") => Flow::Close(1000, "Normal Closure".into()),
            _ => Flow::Close(4400, format!("Invalid message received: unknown type '{kind}'")),
        }
    }

    /// An operation refused before it starts: the protocol's `error` for its id.
    async fn refuse(&self, id: &str, code: &str, message: &str) {
        let error = json!({ "message": message, "extensions": { "code": code } });
        let payload = if self.protocol == Protocol::Transport { json!([error]) } else { error };
        self.send(json!({ "id": id, "type": "error", "payload": payload })).await;
    }

    /// `connection_init`: the token in the payload (R-AUTH-2); a bad one closes 4403.
    async fn init(&mut self, payload: Option<&Value>) -> Flow {
        if self.caller.is_some() {
            return Flow::Close(4429, "Too many initialisation requests".into());
        }
        let header = payload.and_then(|p| p.get("Authorization").or_else(|| p.get("authorization"))).and_then(Value::as_str);
        match crate::tenants::authenticate(&self.state.app, header).await {
            Ok(caller) => {
                self.caller = Some(caller);
                self.send(json!({ "type": "connection_ack" })).await;
                Flow::Continue
            }
            Err(err) => {
                if self.protocol == Protocol::Legacy {
                    self.send(json!({ "type": "connection_error", "payload": { "message": err.to_string() } })).await;
                }
                Flow::Close(4403, "Forbidden".into())
            }
        }
    }

    fn start(&self, id: String, caller: Caller, request: Request) -> JoinHandle<()> {
        let (schema, meter) = (self.state.schema.clone(), self.state.meter.clone());
        let out = self.out.clone();
        let protocol = self.protocol;
        let limits = self.state.app.http.query;
        let mut request = request.data(caller).data(RequestCache::new(&self.state.app)).data(self.base.clone());
        tokio::spawn(async move {
            let frame = |kind: &str, payload: Value| json!({ "id": id, "type": kind, "payload": payload });
            let is_subscription = operation_type(&mut request) == Some(OperationType::Subscription);
            let shape = RequestShape::of(&request);
            let mut responses = if is_subscription {
                schema.execute_stream(request).boxed()
            } else {
                futures_util::stream::once(async move { schema.execute(request).await }).boxed()
            };
            let mut first = true;
            while let Some(response) = responses.next().await {
                // Errors before any data (a document that fails to validate, or a
                // subscription whose source stream cannot start: an unknown job) are
                // the protocol's `error`, not a result.
                let request_error = is_request_error(&response)
                    || (is_subscription && response.data == async_graphql::Value::Null && !response.errors.is_empty());
                if first && request_error {
                    let response = meter.explain(&shape, &limits, response).await;
                    let errors = serde_json::to_value(&response.errors).unwrap_or_default();
                    let payload = if protocol == Protocol::Transport { errors } else { errors.get(0).cloned().unwrap_or_default() };
                    let _ = out.send(Outgoing::Frame(frame("error", payload))).await;
                    let _ = out.send(Outgoing::Ended(id.clone())).await;
                    return;
                }
                first = false;
                let _ = out
                    .send(Outgoing::Frame(frame(
                        protocol.next(),
                        serde_json::from_slice(&bounded_json(&limits, &response)).unwrap_or_default(),
                    )))
                    .await;
            }
            let _ = out.send(Outgoing::Frame(json!({ "id": id, "type": "complete" }))).await;
            let _ = out.send(Outgoing::Ended(id.clone())).await;
        })
    }
}

fn request_of(payload: Option<&Value>) -> Result<Request, &'static str> {
    let payload = payload.and_then(Value::as_object).ok_or("payload must be an object")?;
    let query = payload.get("query").and_then(Value::as_str).ok_or("payload.query must be a string")?;
    let mut request = Request::new(query);
    if let Some(name) = payload.get("operationName").and_then(Value::as_str) {
        request = request.operation_name(name);
    }
    if let Some(vars @ Value::Object(_)) = payload.get("variables") {
        request = request.variables(Variables::from_json(vars.clone()));
    }
    Ok(request)
}
