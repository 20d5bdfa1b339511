//! `spawn_app()`: a real server per test, tokens, and a GraphQL client.

use std::time::Duration;

use jsonwebtoken::{EncodingKey, Header};
use roster_api::auth::{AuthSettings, JwtKey};
use roster_api::config::RunnerSettings;
use roster_api::{Application, Settings};
use roster_persistence::ConnectionTrait;
use serde_json::{Value, json};
use uuid::Uuid;

pub const SECRET: &str = "test-secret-that-is-long-enough-for-hs256-0123456789";

pub struct TestApp {
    pub address: String,
    pub database_url: String,
    pub client: reqwest::Client,
    pub _dir: Option<tempfile::TempDir>,
}

/// A fresh database URL: a temp SQLite file, or a new PostgreSQL database.
pub async fn fresh_database() -> (String, Option<tempfile::TempDir>) {
    match std::env::var("ROSTER_TEST_DATABASE_URL") {
        Ok(base) if !base.is_empty() => {
            let name = format!("test_{}", Uuid::new_v4().simple());
            let admin = roster_persistence::Database::connect_without_migrating(&base).await.expect("connect to ROSTER_TEST_DATABASE_URL");
            admin.conn.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("create test database");
            admin.conn.close().await.ok();
            let (prefix, _) = base.rsplit_once('/').expect("ROSTER_TEST_DATABASE_URL ends in /<database>");
            (format!("{prefix}/{name}"), None)
        }
        _ => {
            let dir = tempfile::tempdir().expect("temp dir");
            (format!("sqlite://{}", dir.path().join("roster.db").display()), Some(dir))
        }
    }
}

pub fn settings(database_url: &str) -> Settings {
    Settings {
        runner: RunnerSettings { poll: Duration::from_millis(50), lease: Duration::from_secs(3), ..RunnerSettings::default() },
        ..Settings::new(database_url, AuthSettings { key: JwtKey::Secret(SECRET.into()), issuer: None, audience: None })
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Like `spawn_app`, with the settings edited before the server is built.
pub async fn spawn_app_with(edit: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_app_with_state(edit).await.0
}

/// Like `spawn_app_with`, also handing out the server's own state (its pools).
pub async fn spawn_app_with_state(edit: impl FnOnce(&mut Settings)) -> (TestApp, roster_api::state::AppState) {
    let (database_url, dir) = fresh_database().await;
    let mut settings = settings(&database_url);
    edit(&mut settings);
    let app = Application::build(settings).await.expect("build the application");
    let address = format!("http://127.0.0.1:{}", app.port());
    let state = app.state().clone();
    tokio::spawn(app.run_until_stopped());
    (TestApp { address, database_url, client: reqwest::Client::new(), _dir: dir }, state)
}

/// A token made with the plain `jsonwebtoken` crate, as any client library would.
pub fn token_with(claims: Value, secret: &str) -> String {
    jsonwebtoken::encode(&Header::default(), &claims, &EncodingKey::from_secret(secret.as_bytes())).unwrap()
}

pub fn exp_in(seconds: i64) -> i64 {
    chrono::Utc::now().timestamp() + seconds
}

pub fn token(role: &str, company: Option<Uuid>) -> String {
    token_scoped(role, company, &[])
}

pub fn token_scoped(role: &str, company: Option<Uuid>, scopes: &[&str]) -> String {
    let mut claims = json!({ "sub": format!("{role}-user"), "role": role, "exp": exp_in(3600), "scopes": scopes });
    if let Some(c) = company {
        claims["company_id"] = json!(c);
    }
    token_with(claims, SECRET)
}

pub fn admin(company: Uuid) -> String {
    token("admin", Some(company))
}

pub fn support() -> String {
    token("support", None)
}

impl TestApp {
    pub fn url(&self) -> String {
        format!("{}/graphql", self.address)
    }

    /// POSTs a GraphQL request and returns the whole JSON body.
    pub async fn gql(&self, token: &str, query: &str, variables: Value) -> Value {
        self.client
            .post(self.url())
            .bearer_auth(token)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("request")
            .json()
            .await
            .expect("json body")
    }

    /// Like `gql`, but fails the test on any GraphQL error and returns `data`.
    pub async fn data(&self, token: &str, query: &str, variables: Value) -> Value {
        let body = self.gql(token, query, variables).await;
        assert!(body.get("errors").is_none(), "unexpected errors: {body}");
        body["data"].clone()
    }

    pub async fn create_company(&self, name: &str) -> Uuid {
        let data = self
            .data(
                &support(),
                "mutation($n: String!) { createCompany(input: {name: $n, defaultLanguage: NL}) { company { id } userErrors { code } } }",
                json!({ "n": name }),
            )
            .await;
        data["createCompany"]["company"]["id"].as_str().unwrap().parse().unwrap()
    }

    pub async fn create_group(&self, token: &str, name: &str) -> String {
        let data = self
            .data(
                token,
                "mutation($n: String!) { createCompanyGroup(input: {name: $n}) { companyGroup { id } userErrors { code } } }",
                json!({ "n": name }),
            )
            .await;
        data["createCompanyGroup"]["companyGroup"]["id"].as_str().expect("group created").to_string()
    }

    /// Creates an employee and returns the payload (employee + userErrors).
    pub async fn create_employee(&self, token: &str, input: Value) -> Value {
        let data = self.data(token, CREATE_EMPLOYEE, json!({ "input": input })).await;
        data["createEmployee"].clone()
    }
}

pub const CREATE_EMPLOYEE: &str = "mutation($input: CreateEmployeeInput!) { createEmployee(input: $input) { employee { id email firstName lastName prefix onboardingDate offboardingDate language status loginState customFields companyGroup { id name } budgetGrants { amount currency period grantedOn policy { name } } } userErrors { field message code } } }";

/// The first error's `extensions.code`.
pub fn error_code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"].as_str().unwrap_or_else(|| panic!("expected an error: {body}"))
}

pub fn user_error_codes(payload: &Value) -> Vec<String> {
    payload["userErrors"].as_array().expect("userErrors").iter().map(|e| e["code"].as_str().unwrap().to_string()).collect()
}

/// Today in Europe/Amsterdam, the test companies' time zone (R-TEN-2).
pub fn today() -> chrono::NaiveDate {
    chrono::Utc::now().with_timezone(&chrono_tz::Europe::Amsterdam).date_naive()
}

pub fn days_from_today(days: i64) -> String {
    (today() + chrono::Duration::days(days)).to_string()
}

pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(name)).expect("fixture exists")
}

pub const JOB_FIELDS: &str = "id status rowCount fileName failureReason columns { index header fieldKey autoMapped sampleValues } runs { id mode status processed total startedBy summary { total onboarding update offboarding noChange error conflict } } summary { total onboarding update noChange error conflict }";

impl TestApp {
    /// Uploads a file through the GraphQL multipart endpoint; returns the payload.
    pub async fn upload(&self, token: &str, file_name: &str, bytes: Vec<u8>) -> Value {
        let query =
            format!("mutation($f: Upload!) {{ uploadImport(file: $f) {{ job {{ {JOB_FIELDS} }} userErrors {{ field message code }} }} }}");
        let form = reqwest::multipart::Form::new()
            .text("operations", json!({ "query": query, "variables": { "f": null } }).to_string())
            .text("map", json!({ "0": ["variables.f"] }).to_string())
            .part("0", reqwest::multipart::Part::bytes(bytes).file_name(file_name.to_string()));
        let response = self
            .client
            .post(self.url())
            .bearer_auth(token)
            .header("GraphQL-Require-Preflight", "1")
            .multipart(form)
            .send()
            .await
            .expect("upload");
        let body: Value = response.json().await.expect("json");
        assert!(body.get("errors").is_none(), "unexpected errors: {body}");
        body["data"]["uploadImport"].clone()
    }

    pub async fn job(&self, token: &str, id: &str) -> Value {
        let query = format!("query($id: UUID!) {{ importJob(id: $id) {{ {JOB_FIELDS} }} }}");
        self.data(token, &query, json!({ "id": id })).await["importJob"].clone()
    }

    /// Polls the job until it reaches `status` (a test fails after 60 s).
    pub async fn wait_for(&self, token: &str, id: &str, status: &str) -> Value {
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        loop {
            let job = self.job(token, id).await;
            if job["status"] == status {
                return job;
            }
            assert!(std::time::Instant::now() < deadline, "job never reached {status}: {job}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Runs a job action (`startDryRun`, `confirmSync`, `cancelImportJob`) and returns its payload.
    pub async fn job_action(&self, token: &str, action: &str, id: &str) -> Value {
        let query =
            format!("mutation($id: UUID!) {{ {action}(jobId: $id) {{ job {{ id status }} userErrors {{ field message code }} }} }}");
        self.data(token, &query, json!({ "id": id })).await[action].clone()
    }

    pub async fn map_columns(&self, token: &str, id: &str, mapping: Value) -> Value {
        let query = "mutation($id: UUID!, $m: [ColumnMappingInput!]!) { confirmMapping(jobId: $id, mapping: $m) { job { id status columns { index fieldKey autoMapped } } userErrors { field message code } } }";
        self.data(token, query, json!({ "id": id, "m": mapping })).await["confirmMapping"].clone()
    }

    pub async fn rows(&self, token: &str, id: &str, only_issues: bool) -> Value {
        let query = "query($id: UUID!, $o: Boolean) { importJob(id: $id) { rows(first: 100, onlyIssues: $o) { totalCount pageInfo { hasNextPage } edges { node { rowNumber values event employeeId issues { fieldKey header code message severity } budgets { policyName kind amount currency grantedOn } } } } } }";
        self.data(token, query, json!({ "id": id, "o": only_issues })).await["importJob"]["rows"].clone()
    }

    pub async fn employee_count(&self, token: &str) -> i64 {
        self.data(token, "{ employees { totalCount } }", json!({})).await["employees"]["totalCount"].as_i64().unwrap()
    }
}

/// A server on a runtime of its own, so a test can kill it mid-run like a crash:
/// every task stops at its next await, open transactions are rolled back.
pub struct KillableServer {
    pub app: TestApp,
    runtime: Option<tokio::runtime::Runtime>,
}

impl KillableServer {
    pub async fn start(database_url: &str, edit: impl FnOnce(&mut Settings)) -> Self {
        let mut settings = settings(database_url);
        edit(&mut settings);
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
        let (tx, rx) = tokio::sync::oneshot::channel();
        runtime.spawn(async move {
            let app = Application::build(settings).await.expect("build the application");
            let _ = tx.send(app.port());
            let _ = app.run_until_stopped().await;
        });
        let port = rx.await.expect("the server started");
        let app = TestApp {
            address: format!("http://127.0.0.1:{port}"),
            database_url: database_url.to_string(),
            client: reqwest::Client::new(),
            _dir: None,
        };
        Self { app, runtime: Some(runtime) }
    }

    pub fn kill(mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

impl Drop for KillableServer {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

/// A CSV of `n` new employees, onboarding today.
pub fn people_csv(n: usize) -> Vec<u8> {
    let mut csv = String::from("Email,First name,Last name\n");
    for i in 0..n {
        csv.push_str(&format!("person{i:04}@acme.test,Person,Number{i}\n"));
    }
    csv.into_bytes()
}

/// R-IMP-12: how many rows every sync in the database has recorded as applied.
pub async fn applied_rows(database_url: &str) -> i64 {
    let db = roster_persistence::Database::connect_without_migrating(database_url).await.unwrap();
    let sql = "SELECT id FROM import_runs WHERE mode = 'SYNC'";
    let runs = db.conn.query_all_raw(roster_persistence::Statement::from_string(db.conn.get_database_backend(), sql)).await.unwrap();
    let mut total = 0;
    for run in runs {
        let id: Uuid = run.try_get_by_index(0).unwrap();
        total += roster_persistence::repo::imports::applied::recorded_rows(&db.conn, id).await.unwrap() as i64;
    }
    total
}
