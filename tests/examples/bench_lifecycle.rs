//! Lifecycle and webhook benchmark: `--employees` over `--companies` (made
//! directly in the database, already onboarded), one monthly policy each, and
//! floors measured in the same run:
//! - a tick with nothing due: time and statements;
//! - the first of a month granting every employee's monthly budget, against a
//!   plain batched insert of the same number of grant rows;
//! - `--onboardings` onboardings due on one date across the companies;
//! - webhook deliveries per second to a loopback receiver that answers 200.
//!
//! cargo run --release -p roster-tests --example bench_lifecycle -- [--employees 1000000] [--database-url postgres://…]

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, Utc};
use clap::Parser;
use roster_api::auth::{AuthSettings, JwtKey};
use roster_api::clock::Clock;
use roster_api::state::AppState;
use roster_api::webhooks::{EventType, Outbox};
use roster_domain::{BudgetKind, BudgetPolicy, Company, CompanyName, EmailAddress, Employee, GrantDue, Language, LoginState, TimeZoneName};
use roster_persistence::repo::{companies, employees, grants, policies};
use roster_persistence::{ConnectionTrait, TransactionTrait};
use support::BenchDatabase;
use uuid::Uuid;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
struct Args {
    #[arg(long, default_value_t = 1_000_000)]
    employees: usize,
    #[arg(long, default_value_t = 100)]
    companies: usize,
    #[arg(long, default_value_t = 10_000)]
    onboardings: usize,
    #[arg(long, default_value_t = 20_000)]
    deliveries: usize,
    /// Endpoints the deliveries are spread over (each endpoint's are sent in order).
    #[arg(long, default_value_t = 4)]
    endpoints: usize,
    /// A PostgreSQL URL (a fresh database is made beside it); SQLite otherwise.
    #[arg(long)]
    database_url: Option<String>,
}

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn person(company_id: Uuid, i: usize, onboarding: NaiveDate) -> Employee {
    Employee {
        id: Uuid::now_v7(),
        company_id,
        email: EmailAddress::parse(&format!("p{i}@c{}.test", company_id.simple())).unwrap(),
        first_name: "Anna".into(),
        last_name: format!("Number {i}"),
        prefix: None,
        onboarding_date: onboarding,
        offboarding_date: None,
        birthday: None,
        work_anniversary: None,
        language: Language::Nl,
        company_group_id: None,
        phone: None,
        custom_fields: Default::default(),
        login_state: LoginState::NotInvited,
        hr: Default::default(),
        version: 1,
    }
}

async fn one(app: &AppState, sql: &str) -> i64 {
    let db = &app.db.conn;
    let row = db.query_one_raw(roster_persistence::Statement::from_string(db.get_database_backend(), sql)).await.unwrap().unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let dir = std::env::temp_dir().join(format!("roster-bench-lifecycle-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let database = BenchDatabase::create(args.database_url.as_deref(), dir.join("bench.db")).await;
    let database_url = database.url.clone();
    let clock = Arc::new(Clock::starting_at(at("2027-03-10T10:00:00Z")));
    let mut settings = roster_api::Settings {
        clock: clock.clone(),
        ..roster_api::Settings::new(
            &database_url,
            AuthSettings { key: JwtKey::Secret("bench-secret-bench-secret-bench-0000".into()), issuer: None, audience: None },
        )
    };
    settings.webhooks.allow_loopback = true;
    let app = roster_api::startup::connect(settings).await.expect("connect");
    let backend = database.kind();
    println!("bench_lifecycle on {backend}: {} employees over {} companies", args.employees, args.companies);

    // The directory, onboarded before the benchmark's month.
    let started = Instant::now();
    let per_company = args.employees / args.companies;
    let mut company_ids = Vec::new();
    let onboarded: NaiveDate = "2027-02-01".parse().unwrap();
    for c in 0..args.companies {
        let company = Company {
            id: Uuid::now_v7(),
            name: CompanyName::parse(&format!("Company {c}")).unwrap(),
            default_language: Language::Nl,
            time_zone: TimeZoneName::default(),
            settings: Default::default(),
        };
        companies::insert(&app.db.conn, &company, clock.now()).await.unwrap();
        let policy = BudgetPolicy::create(Uuid::now_v7(), company.id, "Lunch", BudgetKind::Monthly, 5000, "EUR", true, vec![]).unwrap();
        policies::insert(&app.db.conn, &policy, clock.now()).await.unwrap();
        for start in (0..per_company).step_by(10_000) {
            let chunk: Vec<Employee> = (start..(start + 10_000).min(per_company)).map(|i| person(company.id, i, onboarded)).collect();
            let txn = app.db.conn.begin().await.unwrap();
            employees::insert_many(&txn, &chunk, clock.now()).await.unwrap();
            txn.commit().await.unwrap();
        }
        company_ids.push(company.id);
    }
    app.db.conn.execute_unprepared("UPDATE employees SET onboarded_at = created_at").await.unwrap();
    let (_, run) = roster_api::lifecycle::run_all(&app).await.unwrap();
    assert!(run.is_empty());
    if database.is_postgres() {
        app.db.conn.execute_unprepared("ANALYZE").await.unwrap();
    }
    println!("setup: {:.1} s", started.elapsed().as_secs_f64());

    // 1. A tick with nothing due.
    let mut times = Vec::new();
    let before = app.db.statements();
    for _ in 0..20 {
        let t = Instant::now();
        let (tally, _) = roster_api::lifecycle::run_all(&app).await.unwrap();
        times.push(t.elapsed());
        assert_eq!(tally, Default::default());
    }
    times.sort();
    println!(
        "tick, nothing due: median {:.2} ms, max {:.2} ms, {} statements per tick ({} companies, {} employees)",
        times[10].as_secs_f64() * 1000.0,
        times[19].as_secs_f64() * 1000.0,
        (app.db.statements() - before) / 20,
        args.companies,
        args.employees
    );

    // Floor: a plain batched insert of the same grant rows (then removed).
    let all_ids: Vec<(Uuid, Uuid)> = {
        let db = &app.db.conn;
        let rows = db
            .query_all_raw(roster_persistence::Statement::from_string(
                db.get_database_backend(),
                "SELECT company_id, id FROM employees ORDER BY company_id, id",
            ))
            .await
            .unwrap();
        rows.iter().map(|r| (r.try_get_by_index(0).unwrap(), r.try_get_by_index(1).unwrap())).collect()
    };
    let policy_of: std::collections::HashMap<Uuid, BudgetPolicy> = {
        let mut m = std::collections::HashMap::new();
        for c in &company_ids {
            m.insert(*c, policies::list(&app.db.conn, *c).await.unwrap().remove(0));
        }
        m
    };
    let t = Instant::now();
    for company in &company_ids {
        let policy = &policy_of[company];
        let mine: Vec<(Uuid, GrantDue)> = all_ids
            .iter()
            .filter(|(c, _)| c == company)
            .map(|(_, e)| {
                (
                    *e,
                    GrantDue {
                        policy_id: policy.id,
                        period: "floor".into(),
                        amount: policy.amount,
                        currency: policy.currency.clone(),
                        granted_on: onboarded,
                    },
                )
            })
            .collect();
        for chunk in mine.chunks(5000) {
            let txn = app.db.conn.begin().await.unwrap();
            grants::grant_many(&txn, *company, chunk, clock.now()).await.unwrap();
            txn.commit().await.unwrap();
        }
    }
    let floor = t.elapsed();
    let floor_rows = one(&app, "SELECT COUNT(*) FROM budget_grants WHERE period = 'floor'").await;
    app.db.conn.execute_unprepared("DELETE FROM budget_grants WHERE period = 'floor'").await.unwrap();
    println!(
        "floor: plain batched insert of {floor_rows} grant rows: {:.2} s ({:.0} rows/s)",
        floor.as_secs_f64(),
        floor_rows as f64 / floor.as_secs_f64()
    );

    // 2. The first of a month.
    clock.travel_to(at("2027-04-01T08:00:00Z"));
    let t = Instant::now();
    let (tally, _) = roster_api::lifecycle::run_all(&app).await.unwrap();
    let month = t.elapsed();
    println!(
        "first of the month: {} monthly grants in {:.2} s ({:.0}/s) = {:.2}x the floor",
        tally.grants,
        month.as_secs_f64(),
        tally.grants as f64 / month.as_secs_f64(),
        month.as_secs_f64() / floor.as_secs_f64()
    );

    // 3. Onboardings due on one date across companies.
    let due_on: NaiveDate = "2027-04-15".parse().unwrap();
    let per = args.onboardings / args.companies;
    for (c, company) in company_ids.iter().enumerate() {
        let chunk: Vec<Employee> = (0..per).map(|i| person(*company, 1_000_000 + c * per + i, due_on)).collect();
        employees::insert_many(&app.db.conn, &chunk, clock.now()).await.unwrap();
    }
    clock.travel_to(at("2027-04-15T08:00:00Z"));
    let t = Instant::now();
    let (tally, _) = roster_api::lifecycle::run_all(&app).await.unwrap();
    let took = t.elapsed();
    println!(
        "onboardings on one date: {} onboarded, {} grants in {:.2} s ({:.0} onboardings/s)",
        tally.onboarded,
        tally.grants,
        took.as_secs_f64(),
        tally.onboarded as f64 / took.as_secs_f64()
    );

    // 4. Webhook deliveries to a loopback receiver answering 200.
    let received = Arc::new(AtomicU64::new(0));
    let counter = received.clone();
    let receiver = axum::Router::new().route(
        "/hook",
        axum::routing::post(move || {
            let counter = counter.clone();
            async move {
                counter.fetch_add(1, Ordering::Relaxed);
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://127.0.0.1:{}/hook", listener.local_addr().unwrap().port());
    tokio::spawn(async move { axum::serve(listener, receiver).await.ok() });
    let caller = roster_api::auth::Caller {
        subject: "bench".into(),
        role: roster_api::auth::Role::Admin,
        company_id: Some(company_ids[0]),
        scopes: vec![],
    };
    for _ in 0..args.endpoints {
        roster_api::services::webhooks::create(&app, &caller, &url, vec!["employee.updated".into()]).await.unwrap();
    }
    let per_endpoint = args.deliveries / args.endpoints;
    for chunk in (0..per_endpoint).collect::<Vec<_>>().chunks(1000) {
        let txn = app.db.conn.begin().await.unwrap();
        let mut outbox = Outbox::load(&txn, company_ids[0]).await.unwrap();
        for i in chunk {
            outbox.emit(EventType::EmployeeUpdated, clock.now(), || serde_json::json!({ "n": i }));
        }
        outbox.write(&txn, clock.now()).await.unwrap();
        txn.commit().await.unwrap();
    }
    let total = (per_endpoint * args.endpoints) as u64;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let t = Instant::now();
    let runner = roster_api::runner::spawn_runner(app.clone(), stopped);
    while received.load(Ordering::Relaxed) < total {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let took = t.elapsed();
    println!(
        "webhooks: {total} deliveries over {} endpoints in {:.2} s = {:.0} deliveries/s",
        args.endpoints,
        took.as_secs_f64(),
        total as f64 / took.as_secs_f64()
    );
    let _ = stop.send(true);
    let _ = runner.await;

    app.db.conn.close_by_ref().await.ok();
    database.remove().await;
    let _ = std::fs::remove_dir_all(&dir);
}
