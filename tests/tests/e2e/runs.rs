//! Runs in the background: cancel (R-IMP-15) and a crash in the middle of a
//! sync (R-IMP-12, R-BUD-4): resumed, every row applied exactly once.

use std::time::Duration;

use roster_persistence::ConnectionTrait;
use serde_json::json;

use crate::helpers::*;

async fn dry_run_of(app: &TestApp, admin: &str, file: Vec<u8>) -> String {
    let uploaded = app.upload(admin, "people.csv", file).await;
    let id = uploaded["job"]["id"].as_str().expect("uploaded").to_string();
    app.map_columns(admin, &id, json!([])).await;
    app.job_action(admin, "startDryRun", &id).await;
    app.wait_for(admin, &id, "DRY_RUN_COMPLETED").await;
    id
}

async fn sync_progress(app: &TestApp, admin: &str, id: &str) -> i64 {
    let job = app.job(admin, id).await;
    job["runs"].as_array().unwrap().iter().find(|r| r["mode"] == "SYNC").map(|r| r["processed"].as_i64().unwrap()).unwrap_or(0)
}

async fn wait_for_progress(app: &TestApp, admin: &str, id: &str, at_least: i64) {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while sync_progress(app, admin, id).await < at_least {
        assert!(std::time::Instant::now() < deadline, "the sync made no progress");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn r_imp_15_a_running_sync_is_cancelled_at_a_batch_boundary_and_keeps_what_it_applied() {
    let app = spawn_app_with(|s| {
        s.runner.batch_size = 1;
        s.runner.batch_pause = Duration::from_millis(100);
    })
    .await;
    let company = app.create_company("Acme").await;
    let admin = admin(company);
    let id = dry_run_of(&app, &admin, people_csv(30)).await;
    app.job_action(&admin, "confirmSync", &id).await;
    wait_for_progress(&app, &admin, &id, 3).await;
    let cancelled = app.job_action(&admin, "cancelImportJob", &id).await;
    assert_eq!(cancelled["userErrors"], json!([]));
    let job = app.wait_for(&admin, &id, "CANCELLED").await;
    let sync = job["runs"].as_array().unwrap().iter().find(|r| r["mode"] == "SYNC").unwrap().clone();
    assert_eq!(sync["status"], "CANCELLED");
    let applied = sync["summary"]["onboarding"].as_i64().unwrap();
    assert!((3..30).contains(&applied), "stopped part-way: {sync}");
    assert_eq!(app.employee_count(&admin).await, applied, "what was applied stays applied");
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(app.employee_count(&admin).await, applied, "and nothing more after the cancel");
    let again = app.job_action(&admin, "cancelImportJob", &id).await;
    assert_eq!(again["userErrors"][0]["code"], "INVALID_STATE");
}

#[tokio::test]
async fn r_imp_15_a_queued_dry_run_is_cancelled_at_once() {
    let app = spawn_app_with(|s| s.runner.enabled = false).await;
    let company = app.create_company("Acme").await;
    let admin = admin(company);
    let uploaded = app.upload(&admin, "people.csv", people_csv(3)).await;
    let id = uploaded["job"]["id"].as_str().unwrap().to_string();
    app.map_columns(&admin, &id, json!([])).await;
    assert_eq!(app.job_action(&admin, "startDryRun", &id).await["job"]["status"], "DRY_RUN_RUNNING");
    assert_eq!(app.job_action(&admin, "cancelImportJob", &id).await["job"]["status"], "CANCELLED");
    let job = app.job(&admin, &id).await;
    assert_eq!(job["runs"][0]["status"], "CANCELLED");
}

#[tokio::test]
async fn r_imp_12_a_sync_killed_midway_resumes_after_restart_and_applies_every_row_once() {
    let (database_url, _dir) = fresh_database().await;
    // A batch (one transaction) of two plan chunks, as in production (5,000 rows of 1,000-row chunks).
    let slow = |s: &mut roster_api::Settings| {
        s.runner.batch_size = 4;
        s.runner.plan_chunk_rows = 2;
        s.runner.batch_pause = Duration::from_millis(60);
        s.runner.lease = Duration::from_secs(1);
    };
    let first = KillableServer::start(&database_url, slow).await;
    let app = &first.app;
    let company = app.create_company("Acme").await;
    let admin = admin(company);
    app.data(
        &admin,
        "mutation { createBudgetPolicy(input: {name: \"Lunch\", kind: MONTHLY, amount: 5000}) { budgetPolicy { id } } }",
        json!({}),
    )
    .await;
    let rows = 40;
    let id = dry_run_of(app, &admin, people_csv(rows)).await;
    app.job_action(&admin, "confirmSync", &id).await;
    wait_for_progress(app, &admin, &id, 8).await;
    let at_kill = sync_progress(app, &admin, &id).await;
    first.kill();
    assert!(at_kill < rows as i64, "killed in the middle, at {at_kill} of {rows}");

    let second = KillableServer::start(&database_url, slow).await;
    let app = &second.app;
    let job = app.wait_for(&admin, &id, "COMPLETED").await;
    assert_eq!(job["summary"]["onboarding"], rows as i64, "{job}");
    assert_eq!(app.employee_count(&admin).await, rows as i64);

    let db = roster_persistence::Database::connect_without_migrating(&database_url).await.unwrap();
    let count = |sql: &'static str| {
        let conn = db.conn.clone();
        async move {
            let row =
                conn.query_one_raw(roster_persistence::Statement::from_string(conn.get_database_backend(), sql)).await.unwrap().unwrap();
            row.try_get_by_index::<i64>(0).unwrap()
        }
    };
    assert_eq!(applied_rows(&database_url).await, rows as i64, "one applied marker per row");
    assert_eq!(count("SELECT COUNT(*) FROM audit_log WHERE action = 'import.onboarding'").await, rows as i64, "one audit entry per row");
    assert_eq!(
        count(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'import.onboarding' AND before IS NULL AND after->>'email' LIKE '%@acme.test'"
        )
        .await,
        rows as i64,
        "the audit trail keeps each new employee as a JSON object"
    );
    assert_eq!(count("SELECT COUNT(*) FROM budget_grants").await, rows as i64, "R-BUD-4: the onboarding budget granted once per employee");
    assert_eq!(count("SELECT COUNT(*) FROM (SELECT email FROM employees GROUP BY email HAVING COUNT(*) > 1) d").await, 0);
    let grants = app.data(&admin, "{ employee(email: \"person0000@acme.test\") { budgetGrants { amount period } } }", json!({})).await;
    assert_eq!(grants["employee"]["budgetGrants"].as_array().unwrap().len(), 1, "R-BUD-2: onboarding today grants at the sync");
}

#[tokio::test]
async fn r_imp_12_a_sync_batch_of_several_plan_chunks_commits_and_reports_them_together() {
    let app = spawn_app_with(|s| {
        s.runner.batch_size = 6;
        s.runner.plan_chunk_rows = 2;
        s.runner.batch_pause = Duration::from_millis(100);
    })
    .await;
    let company = app.create_company("Acme").await;
    let admin = admin(company);
    let rows = 20;
    let id = dry_run_of(&app, &admin, people_csv(rows)).await;
    app.job_action(&admin, "confirmSync", &id).await;
    let mut seen = std::collections::BTreeSet::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let processed = sync_progress(&app, &admin, &id).await;
        seen.insert(processed);
        if processed >= rows as i64 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the sync made no progress: {seen:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Progress moves per committed batch of three 2-row chunks: 6, 12, 18, then the rest.
    assert!(seen.iter().all(|p| p % 6 == 0 || *p == rows as i64), "progress only at batch boundaries: {seen:?}");
    assert!(seen.iter().any(|p| *p > 0 && *p < rows as i64), "progress seen in the middle: {seen:?}");
    let job = app.wait_for(&admin, &id, "COMPLETED").await;
    assert_eq!(job["summary"]["onboarding"], rows as i64, "{job}");
    assert_eq!(app.employee_count(&admin).await, rows as i64);
    assert_eq!(applied_rows(&app.database_url).await, rows as i64, "one applied marker per row");
}

#[tokio::test]
async fn one_sync_per_company_runs_at_a_time_and_the_next_waits_queued() {
    let app = spawn_app_with(|s| {
        s.runner.batch_size = 2;
        s.runner.batch_pause = Duration::from_millis(60);
        s.runner.concurrency = 4;
    })
    .await;
    let company = app.create_company("Acme").await;
    let admin = admin(company);
    let first = dry_run_of(&app, &admin, people_csv(40)).await;
    let mut second_csv = String::from("Email,First name,Last name\n");
    for i in 0..10 {
        second_csv.push_str(&format!("other{i}@acme.test,Other,Person\n"));
    }
    let second = dry_run_of(&app, &admin, second_csv.into_bytes()).await;
    app.job_action(&admin, "confirmSync", &first).await;
    wait_for_progress(&app, &admin, &first, 4).await;
    app.job_action(&admin, "confirmSync", &second).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let waiting = app.job(&admin, &second).await;
    let sync = waiting["runs"].as_array().unwrap().iter().find(|r| r["mode"] == "SYNC").unwrap().clone();
    assert_eq!(sync["status"], "QUEUED", "the second sync of the company waits: {waiting}");
    assert_eq!(app.job(&admin, &first).await["status"], "SYNC_RUNNING");
    app.wait_for(&admin, &first, "COMPLETED").await;
    app.wait_for(&admin, &second, "COMPLETED").await;
    assert_eq!(app.employee_count(&admin).await, 50);
}

#[tokio::test]
async fn metrics_count_runs_rows_requests_and_the_queue() {
    let app = spawn_app().await;
    let company = app.create_company("Acme").await;
    let admin = admin(company);
    dry_run_of(&app, &admin, people_csv(12)).await;
    let text = app.client.get(format!("{}/metrics", app.address)).send().await.unwrap().text().await.unwrap();
    let value = |prefix: &str| -> f64 {
        text.lines()
            .find(|l| l.starts_with(prefix))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {prefix} in\n{text}"))
    };
    assert!(value("roster_import_runs_total{mode=\"DRY_RUN\",status=\"COMPLETED\"}") >= 1.0);
    assert!(value("roster_import_rows_processed_total") >= 12.0);
    assert!(value("roster_import_run_duration_seconds_count") >= 1.0);
    assert!(value("roster_http_requests_total{status=\"200\"}") >= 1.0);
    assert_eq!(value("roster_import_queue_depth"), 0.0);
    assert!(text.contains("# TYPE roster_active_subscriptions gauge"));
}

/// A runner stops when its shutdown sender is dropped, rather than waking its
/// loop forever (an embedding that forgets to send `true` must not spin a core).
#[tokio::test]
async fn a_runner_stops_when_its_shutdown_sender_is_dropped() {
    let (url, _dir) = fresh_database().await;
    let app = roster_api::startup::connect(settings(&url)).await.expect("connect");
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let runner = roster_api::runner::spawn_runner(app, stopped);
    drop(stop);
    tokio::time::timeout(Duration::from_secs(20), runner).await.expect("the runner stopped").expect("the runner did not panic");
}
