//! A faithful fake of Personio's API v1 (../shared/data/personio/README.md), a
//! real HTTP server: `POST /v1/auth` (JSON or form body; credentials in the
//! query string refused), `GET /v1/company/employees` paged by item offset with
//! the limit enforced, `GET /v1/company/employees/attributes`, the token echoed
//! in `Authorization` on every data answer. Tests change its data and inject
//! faults between and during syncs; `fake-personio` serves it on its own.

use std::collections::{HashSet, VecDeque};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

/// A fault served instead of (or before) the next employee pages.
#[derive(Debug, Clone)]
pub enum Fault {
    /// 429 with Personio's (guessed) rate-limit headers, no `Retry-After`.
    TooManyRequests,
    /// A gateway failure.
    BadGateway,
    /// A page that is not JSON.
    Malformed,
    /// More employees than the limit asked for.
    OverLimit,
    /// The page, after a delay.
    Slow(Duration),
    /// Adds this employee at the front once the page is served, so the next page
    /// repeats the last one of this (an employee added mid-fetch).
    ShiftAfter(Value),
}

#[derive(Debug)]
pub struct FakeState {
    pub employees: Vec<Value>,
    pub attributes: Value,
    pub client_id: String,
    pub client_secret: String,
    tokens: HashSet<String>,
    /// Legacy mode: each token is good for one request; the answer carries the next.
    pub one_time_tokens: bool,
    pub max_limit: usize,
    pub default_limit: usize,
    pub faults: VecDeque<Fault>,
    /// The credential may not read the attribute list, or employees at all.
    pub forbid_attributes: bool,
    pub forbid_employees: bool,
    /// Every request as "METHOD path?query", for tests to read.
    pub requests: Vec<String>,
    pub auth_requests: usize,
}

#[derive(Clone)]
pub struct FakePersonio {
    pub state: Arc<Mutex<FakeState>>,
    pub url: String,
}

impl FakePersonio {
    pub const CLIENT_ID: &'static str = "roster-test-client";
    pub const CLIENT_SECRET: &'static str = "s3cr3t-personio-value";

    /// The fixtures of `dir` (both employee pages, the attribute list).
    pub fn fixtures(dir: &Path) -> FakeState {
        let read = |name: &str| -> Value {
            let text = std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{}: {e}", dir.join(name).display()));
            serde_json::from_str(&text).expect("fixture JSON")
        };
        let mut employees = Vec::new();
        for page in ["personio_employees_page1.json", "personio_employees_page2.json"] {
            employees.extend(read(page)["data"].as_array().cloned().unwrap_or_default());
        }
        FakeState::new(employees, read("personio_attributes.json"))
    }

    /// A generated tenant of `n` employees in the fixtures' shape.
    pub fn generated(n: usize) -> FakeState {
        let employees = (0..n).map(|i| generated_employee(3_000_000 + i as u64, i)).collect();
        FakeState::new(employees, json!({"success": true, "data": []}))
    }

    /// Serves `state` on 127.0.0.1 (`port` 0 picks a free one).
    pub async fn start(state: FakeState, port: u16) -> Self {
        let state = Arc::new(Mutex::new(state));
        let app = Router::new()
            .route("/v1/auth", post(auth))
            .route("/v1/company/employees", get(employees))
            .route("/v1/company/employees/attributes", get(attributes))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port))).await.expect("bind the fake");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        tokio::spawn(async move { axum::serve(listener, app).await.ok() });
        Self { state, url }
    }

    pub fn with<T>(&self, f: impl FnOnce(&mut FakeState) -> T) -> T {
        f(&mut self.state.lock().expect("fake state"))
    }

    /// Invalidates every token, as a 24 h expiry would.
    pub fn expire_tokens(&self) {
        self.with(|s| s.tokens.clear());
    }

    pub fn inject(&self, faults: impl IntoIterator<Item = Fault>) {
        self.with(|s| s.faults.extend(faults));
    }

    /// Sets one attribute's value of employee `id`, and bumps `last_modified_at`.
    pub fn set(&self, id: u64, key: &str, value: Value) {
        self.with(|s| {
            let employee = s.find(id).unwrap_or_else(|| panic!("no employee {id} in the fake"));
            let attributes = employee["attributes"].as_object_mut().expect("attributes");
            match attributes.get_mut(key) {
                Some(Value::Object(a)) => {
                    a.insert("value".into(), value);
                }
                _ => {
                    attributes.insert(key.into(), json!({"label": key, "value": value, "type": "standard", "universal_id": key}));
                }
            }
            attributes.insert(
                "last_modified_at".into(),
                json!({"label": "Last modified", "value": "2025-12-01T09:00:00+01:00", "type": "date", "universal_id": "last_modified_at"}),
            );
        });
    }

    pub fn remove(&self, id: u64) {
        self.with(|s| s.employees.retain(|e| employee_id(e) != Some(id)));
    }

    pub fn add(&self, employee: Value) {
        self.with(|s| s.employees.push(employee));
    }

    pub fn employee_requests(&self) -> Vec<String> {
        self.with(|s| s.requests.iter().filter(|r| r.starts_with("GET /v1/company/employees?")).cloned().collect())
    }
}

impl FakeState {
    fn new(employees: Vec<Value>, attributes: Value) -> Self {
        Self {
            employees,
            attributes,
            client_id: FakePersonio::CLIENT_ID.into(),
            client_secret: FakePersonio::CLIENT_SECRET.into(),
            tokens: HashSet::new(),
            one_time_tokens: false,
            max_limit: 100,
            default_limit: 50,
            faults: VecDeque::new(),
            forbid_attributes: false,
            forbid_employees: false,
            requests: Vec::new(),
            auth_requests: 0,
        }
    }

    fn find(&mut self, id: u64) -> Option<&mut Value> {
        self.employees.iter_mut().find(|e| employee_id(e) == Some(id))
    }

    fn issue_token(&mut self) -> String {
        let token = format!("papi-{}", uuid::Uuid::new_v4());
        self.tokens.insert(token.clone());
        token
    }
}

fn employee_id(e: &Value) -> Option<u64> {
    e.pointer("/attributes/id/value").and_then(|v| v.as_u64().or_else(|| v.as_str()?.parse().ok()))
}

fn error(status: StatusCode, code: i64, message: &str) -> Response {
    (status, axum::Json(json!({"success": false, "error": {"code": code, "message": message}}))).into_response()
}

type Shared = State<Arc<Mutex<FakeState>>>;

async fn auth(State(state): Shared, Query(query): Query<Vec<(String, String)>>, headers: HeaderMap, body: Bytes) -> Response {
    let mut s = state.lock().expect("fake state");
    s.requests.push("POST /v1/auth".into());
    s.auth_requests += 1;
    if query.iter().any(|(k, _)| k == "client_secret") {
        return error(StatusCode::FORBIDDEN, 0, "Credentials in the query string are no longer accepted");
    }
    let form =
        headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
    let pairs: Vec<(String, String)> = if form {
        serde_urlencoded_pairs(&body)
    } else {
        serde_json::from_slice::<Value>(&body)
            .ok()
            .and_then(|v| v.as_object().cloned())
            .map(|o| o.into_iter().filter_map(|(k, v)| Some((k, v.as_str()?.to_string()))).collect())
            .unwrap_or_default()
    };
    let given = |key: &str| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
    if given("client_id").as_deref() != Some(&s.client_id) || given("client_secret").as_deref() != Some(&s.client_secret) {
        return error(StatusCode::FORBIDDEN, 0, "Wrong credentials");
    }
    let token = s.issue_token();
    axum::Json(json!({"success": true, "data": {"token": token, "expires_in": 86400, "scope": "employees:read"}})).into_response()
}

/// `a=b&c=d` without a dependency: the fake only needs the two credential fields.
fn serde_urlencoded_pairs(body: &[u8]) -> Vec<(String, String)> {
    String::from_utf8_lossy(body)
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (k.to_string(), v.replace('+', " ").replace("%40", "@").replace("%2D", "-")))
        .collect()
}

/// The bearer token, if it is a live one; in legacy mode it is used up.
fn authorised(s: &mut FakeState, headers: &HeaderMap) -> Result<String, Box<Response>> {
    let token =
        headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer ")).map(str::to_string);
    match token {
        None => Err(Box::new(error(StatusCode::UNAUTHORIZED, 401, "Authorization is not provided"))),
        Some(t) if !s.tokens.contains(&t) => Err(Box::new(error(StatusCode::UNAUTHORIZED, 401, "Provided authorization is not valid"))),
        Some(t) if s.one_time_tokens => {
            s.tokens.remove(&t);
            Ok(s.issue_token())
        }
        Some(t) => Ok(t),
    }
}

fn with_token(mut response: Response, token: &str) -> Response {
    if let Ok(value) = HeaderValue::from_str(&format!("Bearer {token}")) {
        response.headers_mut().insert(header::AUTHORIZATION, value);
    }
    response
}

async fn employees(State(state): Shared, Query(query): Query<Vec<(String, String)>>, headers: HeaderMap) -> Response {
    let (delay, response) = {
        let mut s = state.lock().expect("fake state");
        let rendered: Vec<String> = query.iter().map(|(k, v)| format!("{k}={v}")).collect();
        s.requests.push(format!("GET /v1/company/employees?{}", rendered.join("&")));
        let token = match authorised(&mut s, &headers) {
            Ok(t) => t,
            Err(response) => return *response,
        };
        if s.forbid_employees {
            return error(StatusCode::FORBIDDEN, 403, "Provided authorization is not valid");
        }
        let number = |key: &str| query.iter().find(|(k, _)| k == key).map(|(_, v)| v.parse::<i64>());
        let limit = match number("limit") {
            None => s.default_limit as i64,
            Some(Ok(l)) => l,
            Some(Err(_)) => -1,
        };
        if limit < 1 || limit as usize > s.max_limit {
            return error(StatusCode::UNPROCESSABLE_ENTITY, 422, "The limit must be between 1 and 200.");
        }
        let offset = match number("offset") {
            None => 0,
            Some(Ok(o)) if o >= 0 => o as usize,
            _ => return error(StatusCode::UNPROCESSABLE_ENTITY, 422, "The offset must be 0 or more."),
        };
        let limit = limit as usize;
        let mut delay = None;
        let mut shift = None;
        let mut over = false;
        match s.faults.pop_front() {
            Some(Fault::TooManyRequests) => {
                let mut r = error(StatusCode::TOO_MANY_REQUESTS, 429, "Too Many Requests");
                for (k, v) in [("x-ratelimit-remaining", "0"), ("x-ratelimit-replenish-rate", "5"), ("x-ratelimit-burst-capacity", "15")] {
                    r.headers_mut().insert(k, HeaderValue::from_static(v));
                }
                return r;
            }
            Some(Fault::BadGateway) => return (StatusCode::BAD_GATEWAY, "<html>502 Bad Gateway</html>").into_response(),
            Some(Fault::Malformed) => {
                return with_token((StatusCode::OK, "{\"success\": true, \"data\": [{\"attr").into_response(), &token);
            }
            Some(Fault::OverLimit) => over = true,
            Some(Fault::Slow(d)) => delay = Some(d),
            Some(Fault::ShiftAfter(e)) => shift = Some(e),
            None => {}
        }
        let total = s.employees.len();
        let end = if over { (offset + limit + 1).min(total) } else { (offset + limit).min(total) };
        let data: Vec<Value> = s.employees.get(offset.min(total)..end).map(<[Value]>::to_vec).unwrap_or_default();
        if let Some(e) = shift {
            s.employees.insert(0, e);
        }
        let body = json!({
            "success": true,
            "metadata": {"total_elements": total, "current_page": offset / limit, "total_pages": total.div_ceil(limit)},
            "offset": offset,
            "limit": limit,
            "data": data,
        });
        (delay, with_token(axum::Json(body).into_response(), &token))
    };
    if let Some(d) = delay {
        tokio::time::sleep(d).await;
    }
    response
}

async fn attributes(State(state): Shared, headers: HeaderMap) -> Response {
    let mut s = state.lock().expect("fake state");
    s.requests.push("GET /v1/company/employees/attributes".into());
    let token = match authorised(&mut s, &headers) {
        Ok(t) => t,
        Err(response) => return *response,
    };
    if s.forbid_attributes {
        return error(StatusCode::FORBIDDEN, 403, "Provided authorization is not valid");
    }
    with_token(axum::Json(s.attributes.clone()).into_response(), &token)
}

fn attribute(label: &str, value: Value, kind: &str) -> Value {
    json!({"label": label, "value": value, "type": kind, "universal_id": null})
}

fn relation(kind: &str, id: u64, name: &str) -> Value {
    json!({"type": kind, "attributes": {"id": id, "name": name}})
}

/// One generated employee: deterministic from `i`, in the fixtures' shape.
pub fn generated_employee(id: u64, i: usize) -> Value {
    const FIRST: [&str; 8] = ["Lena", "Jonas", "Aylin", "Tobias", "Mia", "Henrik", "Sofia", "Felix"];
    const LAST: [&str; 8] = ["Vogt", "Becker", "Demir", "Brandt", "Schulte", "Lund", "Rossi", "Wagner"];
    const TEAMS: [&str; 4] = ["Platform", "Accounts Payable", "Field Sales DACH", "Customer Care"];
    let (first, last) = (FIRST[i % 8], LAST[(i / 8) % 8]);
    let mut attributes = serde_json::Map::new();
    attributes.insert("id".into(), json!({"label": "ID", "value": id, "type": "integer", "universal_id": "id"}));
    attributes.insert("first_name".into(), attribute("First name", json!(first), "standard"));
    attributes.insert("last_name".into(), attribute("Last name", json!(last), "standard"));
    attributes.insert(
        "email".into(),
        attribute("Email", json!(format!("{}.{}.{i}@tenant.example", first.to_lowercase(), last.to_lowercase())), "standard"),
    );
    attributes.insert("status".into(), attribute("Status", json!("active"), "standard"));
    attributes.insert("employment_type".into(), attribute("Employment type", json!("internal"), "standard"));
    attributes.insert("hire_date".into(), attribute("Hire date", json!("2020-01-01T00:00:00+01:00"), "date"));
    attributes.insert("termination_date".into(), attribute("Termination date", Value::Null, "date"));
    attributes.insert("team".into(), attribute("Team", relation("Team", 71000 + (i % 4) as u64, TEAMS[i % 4]), "standard"));
    attributes.insert("subcompany".into(), attribute("Subcompany", relation("Subcompany", 40101, "Nordlicht Logistics GmbH"), "standard"));
    // Blocks of 50 report to the first of their block, which reports to nobody.
    let head = (i % 50) as u64;
    let supervisor =
        if head == 0 { json!([]) } else { json!({"type": "Employee", "attributes": {"id": {"label": "ID", "value": id - head}}}) };
    attributes.insert("supervisor".into(), attribute("Supervisor", supervisor, "standard"));
    attributes.insert("dynamic_1190431".into(), attribute("Work phone", json!(format!("+49 40 {:07}", i)), "standard"));
    json!({"type": "Employee", "attributes": attributes})
}
