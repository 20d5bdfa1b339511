//! Real `roster serve` processes: runs executed exactly once across replicas on
//! one PostgreSQL database, progress seen on the other replica, and a SIGKILL of
//! the executing process survived (the run is taken over after its lease); the
//! same kill-and-restart with one process on SQLite (R-IMP-12, R-BUD-4).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use roster_persistence::ConnectionTrait;
use serde_json::json;

use roster_tests::fake_personio::FakePersonio;

use crate::helpers::*;

/// The `roster` binary, built once per test run so it is never stale.
fn roster_binary() -> std::path::PathBuf {
    static BUILT: OnceLock<std::path::PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let status =
                Command::new(env!("CARGO")).args(["build", "-q", "-p", "roster-api", "--bin", "roster"]).status().expect("cargo build");
            assert!(status.success(), "building the roster binary failed");
            let deps = std::env::current_exe().unwrap();
            deps.parent().and_then(|d| d.parent()).unwrap().join("roster")
        })
        .clone()
}

pub(crate) struct Process {
    child: Child,
    pub(crate) app: TestApp,
    log: Arc<Mutex<Vec<String>>>,
}

impl Process {
    pub(crate) fn start(database_url: &str) -> Self {
        Self::start_with(database_url, &[])
    }

    pub(crate) fn start_with(database_url: &str, env: &[(&str, &str)]) -> Self {
        let mut child = Command::new(roster_binary())
            .envs(env.iter().copied())
            .arg("serve")
            .env("ROSTER_BIND", "127.0.0.1:0")
            .env("ROSTER_DATABASE_URL", database_url)
            .env("ROSTER_JWT_SECRET", SECRET)
            .env("ROSTER_LEASE_SECONDS", "2")
            .env("ROSTER_BATCH_SIZE", "5")
            .env("ROSTER_BATCH_PAUSE_MS", "40")
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("roster serve starts");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (port_tx, port_rx) = std::sync::mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let plain = strip_ansi(&line);
                if let Some(port) =
                    plain.split("port=").nth(1).and_then(|r| r.split_whitespace().next()).and_then(|p| p.parse::<u16>().ok())
                {
                    let _ = port_tx.send(port);
                }
                sink.lock().unwrap().push(plain);
            }
        });
        let port = port_rx.recv_timeout(Duration::from_secs(60)).expect("the server says where it listens");
        let app = TestApp {
            address: format!("http://127.0.0.1:{port}"),
            database_url: database_url.to_string(),
            client: reqwest::Client::new(),
            _dir: None,
        };
        Self { child, app, log }
    }

    fn logged(&self, needle: &[&str]) -> usize {
        self.log.lock().unwrap().iter().filter(|l| needle.iter().all(|n| l.contains(n))).count()
    }

    fn kill(mut self) {
        self.child.kill().expect("SIGKILL");
        let _ = self.child.wait();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

async fn one(database_url: &str, sql: &str) -> i64 {
    let db = roster_persistence::Database::connect_without_migrating(database_url).await.unwrap();
    let statement = roster_persistence::Statement::from_string(db.conn.get_database_backend(), sql);
    db.conn.query_one_raw(statement).await.unwrap().unwrap().try_get_by_index::<i64>(0).unwrap()
}

async fn counts(database_url: &str) -> (i64, i64, i64, i64, i64) {
    (
        one(database_url, "SELECT COUNT(*) FROM employees").await,
        applied_rows(database_url).await,
        one(database_url, "SELECT COUNT(*) FROM audit_log WHERE action = 'import.onboarding'").await,
        one(database_url, "SELECT COUNT(*) FROM budget_grants").await,
        one(database_url, "SELECT COUNT(*) FROM (SELECT employee_id, policy_id, period FROM budget_grants GROUP BY employee_id, policy_id, period HAVING COUNT(*) > 1) d").await,
    )
}

async fn prepare(app: &TestApp, rows: usize) -> (String, String) {
    let company = app.create_company("Acme").await;
    let admin = admin(company);
    app.data(
        &admin,
        "mutation { createBudgetPolicy(input: {name: \"Lunch\", kind: MONTHLY, amount: 5000}) { budgetPolicy { id } } }",
        json!({}),
    )
    .await;
    let id = app.upload(&admin, "people.csv", people_csv(rows)).await["job"]["id"].as_str().unwrap().to_string();
    app.map_columns(&admin, &id, json!([])).await;
    (admin, id)
}

/// Dry run, then the sync (left running).
async fn start_sync(app: &TestApp, admin: &str, id: &str) {
    app.job_action(admin, "startDryRun", id).await;
    app.wait_for(admin, id, "DRY_RUN_COMPLETED").await;
    app.job_action(admin, "confirmSync", id).await;
}

async fn wait_progress(app: &TestApp, admin: &str, id: &str, at_least: i64) -> i64 {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let job = app.job(admin, id).await;
        let processed =
            job["runs"].as_array().unwrap().iter().find(|r| r["mode"] == "SYNC").map(|r| r["processed"].as_i64().unwrap()).unwrap_or(0);
        if processed >= at_least {
            return processed;
        }
        assert!(Instant::now() < deadline, "no progress: {job}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn two_replicas_on_postgres_execute_once_share_progress_and_survive_a_sigkill() {
    let Ok(base) = std::env::var("ROSTER_TEST_DATABASE_URL").map(|v| v.trim().to_string()) else {
        eprintln!("two replicas need PostgreSQL: set ROSTER_TEST_DATABASE_URL (CI does)");
        return;
    };
    if base.is_empty() {
        eprintln!("two replicas need PostgreSQL: set ROSTER_TEST_DATABASE_URL (CI does)");
        return;
    }
    let (database_url, _) = fresh_database().await;
    let a = Process::start(&database_url);
    let b = Process::start(&database_url);
    let rows = 300;
    let (admin, id) = prepare(&a.app, rows).await;
    a.app.job_action(&admin, "startDryRun", &id).await;
    b.app.wait_for(&admin, &id, "DRY_RUN_COMPLETED").await;
    let dry_run_id = b.app.job(&admin, &id).await["runs"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(
        a.logged(&["run started", &dry_run_id]) + b.logged(&["run started", &dry_run_id]),
        1,
        "the dry run was executed exactly once"
    );

    a.app.job_action(&admin, "confirmSync", &id).await;
    wait_progress(&a.app, &admin, &id, 20).await;
    let (executor, other) = if a.logged(&["run started", "SYNC"]) == 1 { (a, b) } else { (b, a) };
    assert_eq!(other.logged(&["run started", "SYNC"]), 0);

    // A subscriber on the other replica sees the run's progress (LISTEN/NOTIFY).
    let url = format!("{}/graphql/ws", other.app.address.replace("http://", "ws://"));
    let progress = tokio::spawn({
        let token = admin.clone();
        let id = id.clone();
        async move { crate::subscriptions::collect_progress(&url, &token, &id, Duration::from_secs(90)).await }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    let at_kill = wait_progress(&other.app, &admin, &id, 40).await;
    executor.kill();
    assert!(at_kill < rows as i64, "killed mid-sync at {at_kill}/{rows}");

    let job = other.app.wait_for(&admin, &id, "COMPLETED").await;
    assert_eq!(job["summary"]["onboarding"], rows as i64, "{job}");
    assert_eq!(other.logged(&["run started", "SYNC"]), 1, "the other replica took the run over");
    let events = progress.await.unwrap();
    assert!(
        events.iter().any(|e| e["status"] == "RUNNING" && e["processed"].as_i64().unwrap() > 0),
        "progress seen on the other replica: {events:?}"
    );
    assert_eq!(events.last().unwrap()["status"], "COMPLETED");

    let (employees, applied, audited, grants, duplicate_grants) = counts(&database_url).await;
    eprintln!(
        "kill test (PostgreSQL, 2 replicas): rows expected {rows}, employees {employees}, applied {applied}, audit entries {audited}, grants {grants}, duplicate grants {duplicate_grants}, killed at {at_kill}"
    );
    assert_eq!((employees, applied, audited, grants, duplicate_grants), (rows as i64, rows as i64, rows as i64, rows as i64, 0));
}

#[tokio::test]
async fn one_process_killed_mid_sync_and_restarted_applies_every_row_once() {
    let (database_url, _dir) = fresh_database().await;
    let first = Process::start(&database_url);
    let rows = 200;
    let (admin, id) = prepare(&first.app, rows).await;
    start_sync(&first.app, &admin, &id).await;
    let at_kill = wait_progress(&first.app, &admin, &id, 30).await;
    first.kill();
    assert!(at_kill < rows as i64);
    let second = Process::start(&database_url);
    let job = second.app.wait_for(&admin, &id, "COMPLETED").await;
    assert_eq!(job["summary"]["onboarding"], rows as i64);
    let (employees, applied, audited, grants, duplicate_grants) = counts(&database_url).await;
    eprintln!(
        "kill test (one process): rows expected {rows}, employees {employees}, applied {applied}, audit entries {audited}, grants {grants}, duplicate grants {duplicate_grants}, killed at {at_kill}"
    );
    assert_eq!((employees, applied, audited, grants, duplicate_grants), (rows as i64, rows as i64, rows as i64, rows as i64, 0));
}

#[tokio::test]
async fn r_hris_4_r_imp_12_an_hr_sync_killed_mid_apply_and_restarted_applies_every_record_once() {
    let (database_url, _dir) = fresh_database().await;
    let records = 300;
    let fake = FakePersonio::start(FakePersonio::generated(records), 0).await;
    let first = Process::start_with(&database_url, &[("ROSTER_PERSONIO_URL", &fake.url)]);
    let company = first.app.create_company("Nordlicht").await;
    let admin = admin(company);
    first
        .app
        .data(
            &admin,
            "mutation { createBudgetPolicy(input: {name: \"Lunch\", kind: MONTHLY, amount: 5000}) { budgetPolicy { id } } }",
            json!({}),
        )
        .await;
    let connected = first
        .app
        .data(
            &admin,
            "mutation($id: String!, $s: String!) { connectHris(input: {clientId: $id, clientSecret: $s}) { hrisConnection { status } userErrors { code } } }",
            json!({"id": FakePersonio::CLIENT_ID, "s": FakePersonio::CLIENT_SECRET}),
        )
        .await;
    assert_eq!(connected["connectHris"]["hrisConnection"]["status"], "ACTIVE", "{connected}");
    let started = first.app.data(&admin, "mutation { startHrisSync { job { id } userErrors { code message } } }", json!({})).await;
    let id = started["startHrisSync"]["job"]["id"].as_str().unwrap_or_else(|| panic!("{started}")).to_string();
    first.app.wait_for(&admin, &id, "DRY_RUN_COMPLETED").await;
    first.app.job_action(&admin, "confirmSync", &id).await;
    let at_kill = wait_progress(&first.app, &admin, &id, 30).await;
    first.kill();
    assert!(at_kill < records as i64, "killed mid-apply at {at_kill}/{records}");

    let second = Process::start_with(&database_url, &[("ROSTER_PERSONIO_URL", &fake.url)]);
    let job = second.app.wait_for(&admin, &id, "COMPLETED").await;
    assert_eq!(job["summary"]["onboarding"], records as i64, "{job}");
    let (employees, applied, audited, grants, duplicate_grants) = counts(&database_url).await;
    eprintln!(
        "kill test (HR sync): records {records}, employees {employees}, applied {applied}, audit entries {audited}, grants {grants}, duplicate grants {duplicate_grants}, killed at {at_kill}"
    );
    let n = records as i64;
    assert_eq!((employees, applied, audited, grants, duplicate_grants), (n, n, n, n, 0));
    // Every record linked by its HR id once, and every supervisor kept.
    let linked = second.app.data(&admin, "{ employees(filter: {linkedToHris: true}) { totalCount } }", json!({})).await;
    assert_eq!(linked["employees"]["totalCount"], n, "{linked}");
    let heads = (records / 50) as i64;
    assert_eq!(one(&database_url, "SELECT COUNT(*) FROM employees WHERE manager_hris_id IS NOT NULL").await, n - heads);
    assert_eq!(one(&database_url, "SELECT COUNT(DISTINCT hris_id) FROM employees").await, n);
}

#[tokio::test]
async fn a_graceful_shutdown_leaves_the_run_at_a_batch_boundary_for_the_next_process() {
    let (database_url, _dir) = fresh_database().await;
    let first = Process::start(&database_url);
    let rows = 200;
    let (admin, id) = prepare(&first.app, rows).await;
    start_sync(&first.app, &admin, &id).await;
    wait_progress(&first.app, &admin, &id, 20).await;
    let pid = first.child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let deadline = Instant::now() + Duration::from_secs(30);
    while first.logged(&["run left for another runner"]) == 0 {
        assert!(Instant::now() < deadline, "the run was not left at a batch boundary");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(first);
    // The lease was released: the next process resumes at once, without waiting for it to expire.
    let second = Process::start(&database_url);
    let job = second.app.wait_for(&admin, &id, "COMPLETED").await;
    assert_eq!(job["summary"]["onboarding"], rows as i64);
    let (employees, applied, _, grants, duplicate_grants) = counts(&database_url).await;
    assert_eq!((employees, applied, grants, duplicate_grants), (rows as i64, rows as i64, rows as i64, 0));
}

#[tokio::test]
async fn r_log_6_roster_lifecycle_run_at_an_instant_processes_the_dates_up_to_it() {
    // No runner in the server: the command alone processes the dates (a runner
    // holding the company's lease would have the command leave it, as it says).
    let (app, _state) = spawn_app_with_state(|s| {
        s.runner.enabled = false;
        s.clock = std::sync::Arc::new(roster_api::clock::Clock::starting_at(crate::lifecycle::at("2027-04-10T09:00:00Z")));
    })
    .await;
    let company = app.create_company("Acme").await;
    let token = admin(company);
    crate::lifecycle::policy(&app, &token, "Lunch", "MONTHLY", 5000).await;
    let created = app
        .create_employee(&token, json!({ "email": "ada@acme.test", "firstName": "Ada", "lastName": "L", "onboardingDate": "2027-04-20" }))
        .await;
    let id = created["employee"]["id"].as_str().unwrap().to_string();
    let output = Command::new(roster_binary())
        .args(["lifecycle", "run", "--at", "2027-06-01T08:00:00Z"])
        .env("ROSTER_DATABASE_URL", &app.database_url)
        .env("ROSTER_JWT_SECRET", SECRET)
        .output()
        .expect("roster lifecycle run");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout} {}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("lifecycle as of 2027-06-01T08:00:00Z"), "{stdout}");
    assert!(stdout.contains("1 onboarded, 3 budget(s) granted"), "{stdout}");
    let grants = crate::lifecycle::employee(&app, &token, &id).await["budgetGrants"].as_array().unwrap().len();
    assert_eq!(grants, 3, "April (onboarding), May, June");
}

#[test]
fn r_log_6_an_invalid_roster_now_fails_at_start_with_what_is_expected() {
    let output = Command::new(roster_binary())
        .arg("serve")
        .env("ROSTER_NOW", "next tuesday")
        .env("ROSTER_DATABASE_URL", "sqlite::memory:")
        .env("ROSTER_JWT_SECRET", SECRET)
        .output()
        .expect("roster serve");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("ROSTER_NOW: 'next tuesday' is not an RFC 3339 instant"), "{stderr}");
    assert!(stderr.contains("expected e.g. 2027-01-01T00:00:00Z"), "{stderr}");
}
