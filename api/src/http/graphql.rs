//! Our own GraphQL-over-HTTP handler around async-graphql.
//!
//! Stock async-graphql-axum answers `application/graphql-response+json` even to
//! `Accept: application/json`, gives 200 with `data: null` for documents that do
//! not parse or validate, runs mutations over GET, ignores `operationName` on GET
//! and parses any content type as JSON. This handler fixes each of those.

use std::collections::HashMap;

use async_graphql::parser::types::{DocumentOperations, OperationType};
use async_graphql::{BatchRequest, Request, Variables};
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde_json::Value as Json;

use super::negotiate::{ResponseType, not_acceptable};
use super::{HttpState, graphiql};
use crate::auth::{AuthError, Caller};
use crate::graphql::limits::RequestShape;
use crate::graphql::{LimitError, PublicBase, RequestCache, limits};

/// JSON bodies are small; only uploads may be large.
const MAX_JSON_BODY: usize = 2 * 1024 * 1024;
/// Headers that prove a CORS preflight happened (a browser form cannot set them).
const PREFLIGHT_HEADERS: [&str; 3] = ["graphql-require-preflight", "apollo-require-preflight", "x-apollo-operation-name"];

/// A GraphQL multipart request (file uploads): one file, within the size limit,
/// and only with a preflight header, so a cross-site form cannot post one (CSRF).
async fn multipart(
    state: &HttpState,
    kind: ResponseType,
    caller: Caller,
    headers: &HeaderMap,
    content_type: &str,
    body: Bytes,
) -> Response {
    if !PREFLIGHT_HEADERS.iter().any(|h| headers.get(*h).is_some_and(|v| !v.is_empty())) {
        return kind.request_error(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            "multipart requests need a non-empty 'GraphQL-Require-Preflight' header (CSRF protection)",
        );
    }
    let limit = state.app.imports.limits.max_file_bytes;
    let options = async_graphql::http::MultipartOptions::default().max_file_size(limit).max_num_files(1);
    let cursor = futures_util::io::Cursor::new(body);
    match async_graphql::http::receive_batch_body(Some(content_type), cursor, options).await {
        Ok(batch) => match admit(state, &batch).await {
            Ok(()) => execute(state, kind, caller, PublicBase::from_headers(headers), batch).await,
            Err(limit) => refuse_limit(kind, &limit),
        },
        Err(async_graphql::ParseRequestError::PayloadTooLarge) => kind.request_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "PAYLOAD_TOO_LARGE",
            &format!("the upload is larger than the limit of {limit} bytes"),
        ),
        Err(err) => kind.request_error(StatusCode::BAD_REQUEST, "BAD_REQUEST", &format!("malformed multipart request: {err}")),
    }
}

pub async fn get(State(state): State<HttpState>, headers: HeaderMap, Query(params): Query<HashMap<String, String>>) -> Response {
    if !params.contains_key("query") && wants_html(&headers) {
        return Html(graphiql::PAGE).into_response();
    }
    let Some(kind) = ResponseType::negotiate(&headers) else { return not_acceptable() };
    let caller = match authenticate(&state, &headers).await {
        Ok(c) => c,
        Err(err) => return refuse(kind, err),
    };
    let Some(query) = params.get("query") else {
        return kind.request_error(StatusCode::BAD_REQUEST, "BAD_REQUEST", "missing the 'query' parameter");
    };
    let mut object = serde_json::Map::new();
    object.insert("query".into(), Json::String(query.clone()));
    if let Some(name) = params.get("operationName") {
        object.insert("operationName".into(), Json::String(name.clone()));
    }
    for key in ["variables", "extensions"] {
        if let Some(raw) = params.get(key).filter(|r| !r.is_empty()) {
            match serde_json::from_str::<Json>(raw) {
                Ok(v) => {
                    object.insert(key.into(), v);
                }
                Err(_) => {
                    return kind.request_error(StatusCode::BAD_REQUEST, "BAD_REQUEST", &format!("the '{key}' parameter is not valid JSON"));
                }
            }
        }
    }
    let mut request = match parse_request(Json::Object(object)) {
        Ok(r) => r,
        Err(msg) => return kind.request_error(StatusCode::BAD_REQUEST, "BAD_REQUEST", &msg),
    };
    // Before `operation_type` parses the document.
    if let Err(limit) = state.app.http.query.admit(&request) {
        return refuse_limit(kind, &limit);
    }
    if operation_type(&mut request) == Some(OperationType::Mutation) {
        let mut response =
            kind.request_error(StatusCode::METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED", "mutations are only accepted over POST");
        response.headers_mut().insert(header::ALLOW, HeaderValue::from_static("POST"));
        return response;
    }
    execute(&state, kind, caller, PublicBase::from_headers(&headers), BatchRequest::Single(request)).await
}

pub async fn post(State(state): State<HttpState>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(kind) = ResponseType::negotiate(&headers) else { return not_acceptable() };
    let caller = match authenticate(&state, &headers).await {
        Ok(c) => c,
        Err(err) => return refuse(kind, err),
    };
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let mut parts = content_type.split(';').map(str::trim);
    let media = parts.next().unwrap_or("").to_ascii_lowercase();
    if media == "multipart/form-data" {
        return multipart(&state, kind, caller, &headers, content_type, body).await;
    }
    if body.len() > MAX_JSON_BODY {
        return kind.request_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "PAYLOAD_TOO_LARGE",
            &format!("a JSON request body is at most {MAX_JSON_BODY} bytes"),
        );
    }
    let charset_ok = parts
        .filter_map(|p| p.split_once('='))
        .all(|(k, v)| !k.trim().eq_ignore_ascii_case("charset") || v.trim().trim_matches('"').eq_ignore_ascii_case("utf-8"));
    if media != "application/json" || !charset_ok {
        let message = if media.is_empty() {
            "missing Content-Type: send application/json".to_string()
        } else {
            format!("unsupported Content-Type '{content_type}': send application/json (UTF-8)")
        };
        return kind.request_error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "UNSUPPORTED_MEDIA_TYPE", &message);
    }
    let body: Json = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => return kind.request_error(StatusCode::BAD_REQUEST, "BAD_REQUEST", &format!("the body is not valid JSON: {e}")),
    };
    let batch = match body {
        Json::Array(items) => items.into_iter().map(parse_request).collect::<Result<Vec<_>, _>>().map(BatchRequest::Batch),
        single => parse_request(single).map(BatchRequest::Single),
    };
    let batch = match batch {
        Ok(batch) => batch,
        Err(msg) => return kind.request_error(StatusCode::BAD_REQUEST, "BAD_REQUEST", &msg),
    };
    match admit(&state, &batch).await {
        Ok(()) => execute(&state, kind, caller, PublicBase::from_headers(&headers), batch).await,
        Err(limit) => refuse_limit(kind, &limit),
    }
}

fn wants_html(headers: &HeaderMap) -> bool {
    headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("text/html"))
}

/// R-AUTH-2: every GraphQL request needs a valid token for a company that exists.
async fn authenticate(state: &HttpState, headers: &HeaderMap) -> Result<Caller, AuthError> {
    crate::tenants::authenticate(&state.app, headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok())).await
}

/// A refused token: 401, `UNAUTHENTICATED`, and what to fix.
fn refuse(kind: ResponseType, err: AuthError) -> Response {
    tracing::debug!(%err, "refused a request");
    if matches!(err, AuthError::Unavailable) {
        return kind.request_error(StatusCode::SERVICE_UNAVAILABLE, "INTERNAL", &err.to_string());
    }
    let mut response = kind.request_error(StatusCode::UNAUTHORIZED, "UNAUTHENTICATED", &err.to_string());
    response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    response
}

/// What is refused before any operation runs: documents over the limits of
/// their text and variables, batches too large, and a batch whose operations
/// cost more than one request may, together.
async fn admit(state: &HttpState, batch: &BatchRequest) -> Result<(), LimitError> {
    let limits = &state.app.http.query;
    match batch {
        BatchRequest::Single(request) => limits.admit(request),
        BatchRequest::Batch(requests) => {
            limits.admit_batch_size(requests.len())?;
            requests.iter().try_for_each(|r| limits.admit(r))?;
            let found = state.meter.measure_batch(requests).await;
            if found > limits.max_complexity {
                return Err(LimitError::BatchTooComplex { found, limit: limits.max_complexity });
            }
            Ok(())
        }
    }
}

/// A refused document is answered as one that does not parse (GraphQL over
/// HTTP: 200 for `application/json`, 400 for `application/graphql-response+json`);
/// a refused batch with 400 either way, as the batch cannot be answered item by item.
fn refuse_limit(kind: ResponseType, limit: &LimitError) -> Response {
    let status = match (kind, limit) {
        (_, LimitError::BatchTooLarge { .. } | LimitError::BatchTooComplex { .. }) => StatusCode::BAD_REQUEST,
        (ResponseType::GraphqlResponse, _) => StatusCode::BAD_REQUEST,
        (ResponseType::Json, _) => StatusCode::OK,
    };
    kind.request_error(status, limit.code(), &limit.to_string())
}

/// Checks the GraphQL-over-HTTP parameters' types before anything runs.
fn parse_request(value: Json) -> Result<Request, String> {
    let Json::Object(mut object) = value else {
        return Err("a request must be a JSON object with a 'query' string".into());
    };
    let query = match object.remove("query") {
        Some(Json::String(q)) => q,
        Some(Json::Null) | None => return Err("missing the 'query' parameter".into()),
        Some(_) => return Err("the 'query' parameter must be a string".into()),
    };
    let mut request = Request::new(query);
    match object.remove("operationName") {
        Some(Json::String(name)) => request = request.operation_name(name),
        Some(Json::Null) | None => {}
        Some(_) => return Err("the 'operationName' parameter must be a string or null".into()),
    }
    match object.remove("variables") {
        Some(vars @ Json::Object(_)) => request = request.variables(Variables::from_json(vars)),
        Some(Json::Null) | None => {}
        Some(_) => return Err("the 'variables' parameter must be an object or null".into()),
    }
    match object.remove("extensions") {
        Some(Json::Object(_)) | Some(Json::Null) | None => {}
        Some(_) => return Err("the 'extensions' parameter must be an object or null".into()),
    }
    Ok(request)
}

/// The type of the operation that would run, if the document parses and names
/// one. The parsed document stays in the request, so it is parsed only once.
pub(super) fn operation_type(request: &mut Request) -> Option<OperationType> {
    let name = request.operation_name.clone();
    let document = request.parsed_query().ok()?;
    match &document.operations {
        DocumentOperations::Single(op) => Some(op.node.ty),
        DocumentOperations::Multiple(ops) => match &name {
            Some(name) => ops.iter().find(|(n, _)| n.as_str() == name).map(|(_, op)| op.node.ty),
            None if ops.len() == 1 => ops.values().next().map(|op| op.node.ty),
            None => None,
        },
    }
}

/// A response whose document failed before execution (parse, validation,
/// variable coercion): no data, and every error without a path.
pub(super) fn is_request_error(response: &async_graphql::Response) -> bool {
    response.data == async_graphql::Value::Null && !response.errors.is_empty() && response.errors.iter().all(|e| e.path.is_empty())
}

/// Errors async-graphql raises itself (parse, validation, limits, variable
/// coercion) carry no code; they are all the client's input to fix.
fn with_codes(mut response: async_graphql::Response) -> async_graphql::Response {
    for error in &mut response.errors {
        let extensions = error.extensions.get_or_insert_with(Default::default);
        if extensions.get("code").is_none() {
            extensions.set("code", "BAD_USER_INPUT");
        }
    }
    response
}

/// The response serialised once, or an error in its place when it is over the size limit.
pub(super) fn bounded_json(limits: &limits::QueryLimits, response: &async_graphql::Response) -> Vec<u8> {
    let body = serde_json::to_vec(response).unwrap_or_default();
    match limits.admit_response(body.len()) {
        Ok(()) => body,
        Err(limit) => serde_json::to_vec(&limit.response()).unwrap_or_default(),
    }
}

/// Runs one admitted request; the schema's bare limit errors get their codes and figures.
async fn run(state: &HttpState, request: Request) -> async_graphql::Response {
    let shape = RequestShape::of(&request);
    let response = state.schema.execute(request).await;
    with_codes(state.meter.explain(&shape, &state.app.http.query, response).await)
}

/// Runs admitted requests.
async fn execute(state: &HttpState, kind: ResponseType, caller: Caller, base: PublicBase, batch: BatchRequest) -> Response {
    let per_request = |request: Request| request.data(caller.clone()).data(RequestCache::new(&state.app)).data(base.clone());
    match batch {
        BatchRequest::Single(request) => {
            let response = run(state, per_request(request)).await;
            if kind == ResponseType::GraphqlResponse && is_request_error(&response) {
                // A request that never executed: 400 and no `data` at all.
                let mut body = serde_json::to_value(&response).unwrap_or_default();
                if let Json::Object(o) = &mut body {
                    o.remove("data");
                }
                return kind.respond(StatusCode::BAD_REQUEST, body);
            }
            kind.respond_serialized(StatusCode::OK, bounded_json(&state.app.http.query, &response))
        }
        BatchRequest::Batch(requests) => {
            let mut body = b"[".to_vec();
            for (i, request) in requests.into_iter().enumerate() {
                if i > 0 {
                    body.push(b',');
                }
                body.extend(bounded_json(&state.app.http.query, &run(state, per_request(request)).await));
            }
            body.push(b']');
            kind.respond_serialized(StatusCode::OK, body)
        }
    }
}
