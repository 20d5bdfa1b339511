//! HR-sync benchmark against the fake Personio (a real HTTP server on 127.0.0.1):
//! for tenants of 10k and 50k employees (100 per page), the fetch, the dry run
//! (fetch + plan), the apply, peak RSS per phase, and the ratio of dry run +
//! apply (fetch excluded) to a file import of the same employees measured in the
//! same run; then a second sync with 1 % of the employees changed in the fake.
//!
//! cargo run --release -p roster-tests --example bench_hris
//! (add --database-url postgres://postgres@127.0.0.1:5432/test for PostgreSQL;
//! a fresh database named bench_<uuid> is created next to it).

mod support;

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use roster_api::auth::{AuthSettings, Caller, JwtKey, Role};
use roster_api::config::RunnerSettings;
use roster_api::runner::spawn_runner;
use roster_api::services::{hris, imports};
use roster_api::state::AppState;
use roster_domain::import::{JobStatus, Summary};
use roster_persistence::ConnectionTrait;
use roster_persistence::repo::imports::jobs;
use roster_tests::fake_personio::FakePersonio;
use serde_json::json;
use support::{BenchDatabase, Phase, measure, resident_mb, wait};
use uuid::Uuid;

#[derive(Parser)]
struct Args {
    /// Tenant sizes, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "10000,50000")]
    employees: Vec<usize>,
    /// A PostgreSQL URL to bench on (a fresh database is made beside it); SQLite otherwise.
    #[arg(long)]
    database_url: Option<String>,
}

async fn summary_of(app: &AppState, job: &jobs::StoredJob) -> Summary {
    imports::runs_of(app, job).await.expect("runs").last().expect("a run").summary
}

async fn company(app: &AppState, name: &str) -> Caller {
    let id = Uuid::now_v7();
    let c = roster_domain::Company {
        id,
        name: roster_domain::CompanyName::parse(name).unwrap(),
        default_language: roster_domain::Language::De,
        time_zone: roster_domain::TimeZoneName::parse("Europe/Berlin").unwrap(),
        settings: Default::default(),
    };
    roster_persistence::repo::companies::insert(&app.db.conn, &c, app.clock.now()).await.unwrap();
    for team in ["Platform", "Accounts Payable", "Field Sales DACH", "Customer Care"] {
        let g = roster_domain::CompanyGroup { id: Uuid::now_v7(), company_id: id, name: roster_domain::GroupName::parse(team).unwrap() };
        roster_persistence::repo::groups::insert(&app.db.conn, &g, app.clock.now()).await.unwrap();
    }
    Caller { subject: "bench-admin".into(), role: Role::Admin, company_id: Some(id), scopes: vec![] }
}

/// The same employees as a file: what a file import of them carries.
fn as_csv(fake: &FakePersonio, today: &str) -> Vec<u8> {
    let mut csv = String::from("Email,First name,Last name,Onboarding date,Company group\n");
    fake.with(|s| {
        for e in &s.employees {
            let a = &e["attributes"];
            let text = |k: &str| a[k]["value"].as_str().unwrap_or_default().to_string();
            let team = a["team"]["value"]["attributes"]["name"].as_str().unwrap_or_default();
            csv.push_str(&format!("{},{},{},{today},{team}\n", text("email"), text("first_name"), text("last_name")));
        }
    });
    csv.into_bytes()
}

struct Figures {
    employees: usize,
    /// Resident before the sync: the fake's tenant (it shares the process) and the idle app.
    idle: f64,
    fetch: Phase,
    dry_run: Phase,
    apply: Phase,
    file_import: Phase,
    second_dry_run: Phase,
    second_apply: Phase,
    first: Summary,
    second: Summary,
    changed: usize,
    second_writes: i64,
}

async fn run(args: &Args, dir: &std::path::Path, n: usize) -> Figures {
    let fake = FakePersonio::start(FakePersonio::generated(n), 0).await;
    let database = BenchDatabase::create(args.database_url.as_deref(), dir.join(format!("bench-hris-{n}.db"))).await;
    let database_url = database.url.clone();
    let auth = AuthSettings { key: JwtKey::Secret("bench-secret-bench-secret-bench-secret-0000".into()), issuer: None, audience: None };
    let mut settings = roster_api::Settings {
        runner: RunnerSettings { poll: Duration::from_millis(10), ..RunnerSettings::default() },
        ..roster_api::Settings::new(&database_url, auth)
    };
    settings.hris.personio_url = fake.url.clone();
    let app = roster_api::startup::connect(settings).await.expect("connect");
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let runner = spawn_runner(app.clone(), stopped);

    let admin = company(&app, "Nordlicht HR").await;
    hris::connect(&app, &admin, FakePersonio::CLIENT_ID, FakePersonio::CLIENT_SECRET).await.expect("connect");
    hris::update_settings(&app, &admin, |s| {
        s.set_phone_attribute("dynamic_1190431");
        Ok(())
    })
    .await
    .expect("settings");

    let idle = resident_mb();
    // The connector alone, as the dry run's first step runs it.
    let client = roster_api::hris::personio::PersonioClient::new(
        app.hris_client.clone(),
        &app.hris.personio_url,
        roster_api::hris::personio::Credentials {
            client_id: FakePersonio::CLIENT_ID.into(),
            client_secret: FakePersonio::CLIENT_SECRET.into(),
        },
        app.hris.retry,
    );
    let (fetched, fetch) = measure("fetch", async { client.employees(Some("dynamic_1190431")).await.expect("fetch").len() }).await;
    assert_eq!(fetched, n);

    let (job, dry_run) = measure("HR dry run (fetch + plan)", async {
        let job = hris::start_sync(&app, &admin).await.expect("start");
        wait(&app, job.id, JobStatus::DryRunCompleted).await;
        job
    })
    .await;
    let ((), apply) = measure("HR apply", async {
        imports::confirm_sync(&app, &admin, job.id).await.expect("confirm");
        wait(&app, job.id, JobStatus::Completed).await;
    })
    .await;
    let first = summary_of(&app, &job).await;

    // The same employees as a file, into another company of the same database.
    let other = company(&app, "Nordlicht File").await;
    let today = app.clock.now().with_timezone(&chrono_tz::Europe::Berlin).date_naive().to_string();
    let csv = as_csv(&fake, &today);
    let ((), file_import) = measure("file import (upload + dry run + sync)", async {
        let job = imports::upload(&app, &other, "employees.csv".into(), csv, None).await.expect("upload");
        imports::confirm_mapping(&app, &other, job.id, vec![]).await.expect("map");
        imports::start_dry_run(&app, &other, job.id).await.expect("dry run");
        wait(&app, job.id, JobStatus::DryRunCompleted).await;
        imports::confirm_sync(&app, &other, job.id).await.expect("sync");
        wait(&app, job.id, JobStatus::Completed).await;
    })
    .await;

    // 1 % change their phone in the HR system.
    let changed = (n / 100).max(1);
    for i in 0..changed {
        fake.set(3_000_000 + (i * 100) as u64, "dynamic_1190431", json!(format!("+49 30 {:07}", i)));
    }
    let audit_before = audit_rows(&app).await;
    let (again, second_dry_run) = measure("second HR dry run (1 % changed)", async {
        let job = hris::start_sync(&app, &admin).await.expect("start");
        wait(&app, job.id, JobStatus::DryRunCompleted).await;
        job
    })
    .await;
    let ((), second_apply) = measure("second HR apply", async {
        imports::confirm_sync(&app, &admin, again.id).await.expect("confirm");
        wait(&app, again.id, JobStatus::Completed).await;
    })
    .await;
    let second = summary_of(&app, &again).await;
    let second_writes = audit_rows(&app).await - audit_before;

    let _ = stop.send(true);
    runner.await.expect("runner");
    app.db.conn.close_by_ref().await.expect("close");
    database.remove().await;
    Figures { employees: n, idle, fetch, dry_run, apply, file_import, second_dry_run, second_apply, first, second, changed, second_writes }
}

/// Employees written, as the audit log counts them (one entry per changed employee).
async fn audit_rows(app: &AppState) -> i64 {
    let db = &app.db.conn;
    let row = db
        .query_one_raw(roster_persistence::Statement::from_string(db.get_database_backend(), "SELECT COUNT(*) FROM audit_log"))
        .await
        .expect("count")
        .expect("a row");
    row.try_get_by_index::<i64>(0).expect("count")
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let dir: PathBuf = std::env::temp_dir().join(format!("roster-bench-hris-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut all = Vec::new();
    for n in &args.employees {
        eprintln!("-- {n} employees");
        all.push(run(&args, &dir, *n).await);
    }
    let kind = if args.database_url.is_some() { "PostgreSQL" } else { "SQLite" };
    println!("\nRoster HR-sync benchmark — {kind}, the fake Personio on 127.0.0.1, 100 employees per page\n");
    println!(
        "| employees | fetch s | dry run s (fetch incl.) | apply s | peak RSS MB (idle, incl. the fake) | sync's own MB | file import s | (dry run − fetch + apply) / file import | 1 % changed: dry run s, apply s, updated, employees written |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    for f in &all {
        let peak = [f.fetch.peak, f.dry_run.peak, f.apply.peak].into_iter().fold(0.0, f64::max);
        let ratio = ((f.dry_run.secs - f.fetch.secs).max(0.0) + f.apply.secs) / f.file_import.secs;
        println!(
            "| {} | {:.2} | {:.2} | {:.2} | {peak:.0} ({:.0}) | {:.0} | {:.2} | {ratio:.2}× | {:.2}, {:.2}, {} of {} ({} changed), {} |",
            f.employees,
            f.fetch.secs,
            f.dry_run.secs,
            f.apply.secs,
            f.idle,
            peak - f.idle,
            f.file_import.secs,
            f.second_dry_run.secs,
            f.second_apply.secs,
            f.second.update,
            f.second.total,
            f.changed,
            f.second_writes
        );
        eprintln!("first sync: {:?}\nsecond sync: {:?}", f.first, f.second);
    }
    let _ = std::fs::remove_dir_all(&dir);
}
