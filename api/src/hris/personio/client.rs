//! A careful client of Personio's shared API (R-HRIS-14): one token per client,
//! reused for its lifetime and renewed once on 401; the token Personio echoes in
//! the `Authorization` header is taken up; pages of at most 100 by item offset
//! until an empty page or the reported total; ids de-duplicated (a page that
//! shifted mid-fetch repeats one); 429 and 5xx retried with growing delays of at
//! least a second and a bounded total. Credentials never leave this module.

use std::collections::HashSet;
use std::time::Duration;

use reqwest::StatusCode;
use roster_domain::hris::HrEmployee;
use serde_json::{Value, json};
use tokio::sync::Mutex;

use super::parse::{error_message, parse_attributes, parse_page};
use crate::hris::{HrAttributeInfo, HrisError};

/// The most Personio serves per page (since 31 Jan 2025).
pub const PAGE_LIMIT: usize = 100;

/// A pages-without-end guard: 10 million employees at 100 a page.
const MAX_PAGES: usize = 100_000;

#[derive(Clone)]
pub struct Credentials {
    pub client_id: String,
    pub client_secret: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials").field("client_id", &self.client_id).field("client_secret", &"<redacted>").finish()
    }
}

/// How 429 and 5xx answers are retried.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// The first delay; each retry doubles it. Personio asks for at least 1 s.
    pub first_delay: Duration,
    pub max_delay: Duration,
    /// Attempts per request, the first included.
    pub attempts: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self { first_delay: Duration::from_secs(1), max_delay: Duration::from_secs(16), attempts: 6 }
    }
}

pub struct PersonioClient {
    http: reqwest::Client,
    base: String,
    credentials: Credentials,
    retry: RetryPolicy,
    token: Mutex<Option<String>>,
}

enum Answer {
    Ok(Vec<u8>),
    Unauthorized,
    Forbidden(String),
}

impl PersonioClient {
    pub fn new(http: reqwest::Client, base: &str, credentials: Credentials, retry: RetryPolicy) -> Self {
        Self { http, base: base.trim_end_matches('/').to_string(), credentials, retry, token: Mutex::new(None) }
    }

    /// `POST /v1/auth` with a JSON body (never credentials in the query string).
    async fn authenticate(&self) -> Result<String, HrisError> {
        let body = json!({ "client_id": self.credentials.client_id, "client_secret": self.credentials.client_secret });
        let url = format!("{}/v1/auth", self.base);
        let (status, bytes) = self.send_with_retries(|| self.http.post(&url).json(&body), None).await?;
        let root: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        match status {
            s if s.is_success() => root
                .pointer("/data/token")
                .and_then(Value::as_str)
                .map(String::from)
                .ok_or_else(|| HrisError::Malformed("the authentication answer has no token".into())),
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN | StatusCode::BAD_REQUEST => {
                Err(HrisError::AuthFailed(format!("{} ({})", error_message(&root), status.as_u16())))
            }
            other => Err(HrisError::Unavailable(format!("authentication answered {}", other.as_u16()))),
        }
    }

    async fn token(&self) -> Result<String, HrisError> {
        let mut held = self.token.lock().await;
        if let Some(token) = held.as_ref() {
            return Ok(token.clone());
        }
        let token = self.authenticate().await?;
        *held = Some(token.clone());
        Ok(token)
    }

    /// A GET with the token; a 401 renews the token once.
    async fn get(&self, path_and_query: &str) -> Result<Answer, HrisError> {
        let url = format!("{}{path_and_query}", self.base);
        for renewed in [false, true] {
            let token = self.token().await?;
            let (status, bytes) = self.send_with_retries(|| self.http.get(&url).bearer_auth(&token), Some(&self.token)).await?;
            match status {
                s if s.is_success() => return Ok(Answer::Ok(bytes)),
                StatusCode::UNAUTHORIZED if !renewed => {
                    *self.token.lock().await = None;
                }
                StatusCode::UNAUTHORIZED => return Ok(Answer::Unauthorized),
                StatusCode::FORBIDDEN => {
                    let root: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
                    return Ok(Answer::Forbidden(error_message(&root)));
                }
                other => {
                    let root: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
                    return Err(HrisError::Malformed(format!("{path_and_query} answered {}: {}", other.as_u16(), error_message(&root))));
                }
            }
        }
        Ok(Answer::Unauthorized)
    }

    /// Sends until an answer that is neither 429 nor 5xx, or the attempts run out.
    /// A token echoed in the `Authorization` header replaces the held one.
    async fn send_with_retries(
        &self,
        request: impl Fn() -> reqwest::RequestBuilder,
        echo: Option<&Mutex<Option<String>>>,
    ) -> Result<(StatusCode, Vec<u8>), HrisError> {
        let mut delay = self.retry.first_delay;
        let mut last = String::new();
        for attempt in 1..=self.retry.attempts.max(1) {
            match request().send().await {
                Ok(response) => {
                    let status = response.status();
                    let retry = status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error();
                    if !retry {
                        if let (Some(held), Some(token)) = (echo, echoed_token(&response)) {
                            *held.lock().await = Some(token);
                        }
                        let bytes = response.bytes().await.map_err(|e| HrisError::Unavailable(format!("the answer broke off: {e}")))?;
                        return Ok((status, bytes.to_vec()));
                    }
                    last = format!("answered {}", status.as_u16());
                }
                Err(e) => last = describe(&e),
            }
            if attempt < self.retry.attempts {
                tracing::warn!(attempt, delay_ms = delay.as_millis() as u64, reason = %last, "the HR system asked to wait; retrying");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(self.retry.max_delay);
            }
        }
        Err(HrisError::Unavailable(format!("{last} after {} attempts", self.retry.attempts)))
    }

    /// Every employee, page by page (at most `PAGE_LIMIT` each, item offsets),
    /// de-duplicated by id; the first listing of an id wins.
    pub async fn employees(&self, phone_attribute: Option<&str>) -> Result<Vec<HrEmployee>, HrisError> {
        let (mut all, mut seen) = (Vec::new(), HashSet::new());
        let mut offset = 0usize;
        for _ in 0..MAX_PAGES {
            let path = format!("/v1/company/employees?limit={PAGE_LIMIT}&offset={offset}");
            let body = match self.get(&path).await? {
                Answer::Ok(body) => body,
                Answer::Unauthorized => return Err(HrisError::AuthFailed("the token was refused twice".into())),
                Answer::Forbidden(message) => return Err(HrisError::Forbidden(message)),
            };
            let page = parse_page(&body, phone_attribute)?;
            if page.employees.len() > PAGE_LIMIT {
                return Err(HrisError::Malformed(format!(
                    "a page held {} employees, more than the {PAGE_LIMIT} asked for",
                    page.employees.len()
                )));
            }
            let count = page.employees.len();
            for employee in page.employees {
                if seen.insert(employee.id.clone()) {
                    all.push(employee);
                }
            }
            offset += count;
            if count == 0 || page.total.is_some_and(|total| offset as u64 >= total) {
                return Ok(all);
            }
        }
        Err(HrisError::Malformed(format!("the employee list did not end after {MAX_PAGES} pages")))
    }

    /// The attributes the credential may read; `None` when even the list is refused.
    pub async fn attributes(&self) -> Result<Option<Vec<HrAttributeInfo>>, HrisError> {
        match self.get("/v1/company/employees/attributes").await? {
            Answer::Ok(body) => parse_attributes(&body).map(Some),
            Answer::Forbidden(_) => Ok(None),
            Answer::Unauthorized => Err(HrisError::AuthFailed("the token was refused twice".into())),
        }
    }

    /// Checks the credentials: a token, then one employee page of one.
    pub async fn check(&self) -> Result<(), HrisError> {
        match self.get("/v1/company/employees?limit=1&offset=0").await? {
            Answer::Ok(body) => parse_page(&body, None).map(|_| ()),
            Answer::Unauthorized => Err(HrisError::AuthFailed("the token was refused twice".into())),
            Answer::Forbidden(message) => Err(HrisError::Forbidden(message)),
        }
    }
}

fn echoed_token(response: &reqwest::Response) -> Option<String> {
    let value = response.headers().get(reqwest::header::AUTHORIZATION)?.to_str().ok()?;
    value.strip_prefix("Bearer ").map(|t| t.trim().to_string()).filter(|t| !t.is_empty())
}

/// A transport error without its URL (which holds nothing secret, but is noise).
fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out".into()
    } else if e.is_connect() {
        "could not connect".into()
    } else {
        "the connection failed".into()
    }
}
