//! GraphQL-over-HTTP content negotiation: which media type the client accepts,
//! and the status and body shape that go with it.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

pub const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";
pub const APPLICATION_JSON: &str = "application/json";

/// The response media type chosen from `Accept`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseType {
    /// Legacy `application/json`: GraphQL errors come with 200 (spec, "application/json").
    Json,
    /// `application/graphql-response+json`: request errors come with 4xx and no `data`.
    GraphqlResponse,
}

impl ResponseType {
    fn content_type(self) -> &'static str {
        match self {
            Self::Json => "application/json; charset=utf-8",
            Self::GraphqlResponse => "application/graphql-response+json; charset=utf-8",
        }
    }

    /// Picks the first acceptable range in the header's order, skipping `q=0`.
    /// No `Accept` means `application/json` (the spec's legacy default).
    pub fn negotiate(headers: &HeaderMap) -> Option<Self> {
        let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).filter(|v| !v.trim().is_empty()) else {
            return Some(Self::Json);
        };
        for range in accept.split(',') {
            let mut parts = range.split(';').map(str::trim);
            let media = parts.next().unwrap_or("").to_ascii_lowercase();
            if parts.any(|p| p.replace(' ', "") == "q=0") {
                continue;
            }
            match media.as_str() {
                GRAPHQL_RESPONSE_JSON => return Some(Self::GraphqlResponse),
                APPLICATION_JSON | "application/*" | "*/*" => return Some(Self::Json),
                _ => {}
            }
        }
        None
    }

    /// A GraphQL-shaped body with the given status.
    pub fn respond(self, status: StatusCode, body: serde_json::Value) -> Response {
        self.respond_serialized(status, body.to_string().into_bytes())
    }

    /// A body that is already JSON text.
    pub fn respond_serialized(self, status: StatusCode, body: Vec<u8>) -> Response {
        let mut response = (status, body).into_response();
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(self.content_type()));
        response
    }

    /// A request that never reached execution: `errors` only, no `data`.
    pub fn request_error(self, status: StatusCode, code: &str, message: &str) -> Response {
        self.respond(status, json!({ "errors": [{ "message": message, "extensions": { "code": code } }] }))
    }
}

pub fn not_acceptable() -> Response {
    let mut response = (
        StatusCode::NOT_ACCEPTABLE,
        json!({ "errors": [{ "message": "cannot answer in any media type of the Accept header; accept application/graphql-response+json or application/json", "extensions": { "code": "BAD_REQUEST" } }] }).to_string(),
    )
        .into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(v: &str) -> Option<ResponseType> {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT, HeaderValue::from_str(v).unwrap());
        ResponseType::negotiate(&h)
    }

    #[test]
    fn negotiates_by_order_and_defaults_to_json() {
        assert_eq!(ResponseType::negotiate(&HeaderMap::new()), Some(ResponseType::Json));
        assert_eq!(accept("application/graphql-response+json, application/json;q=0.9"), Some(ResponseType::GraphqlResponse));
        assert_eq!(accept("application/json"), Some(ResponseType::Json));
        assert_eq!(accept("*/*"), Some(ResponseType::Json));
        assert_eq!(accept("application/xml"), None);
        assert_eq!(accept("application/json;q=0, application/xml"), None);
    }
}
