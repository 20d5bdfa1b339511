//! Read-path benchmark: one company with `--big` employees and `--small` companies
//! of `--small-size` (made directly in the database), the real server in this
//! process, and an open-loop load generator: requests are sent at fixed rates
//! whatever the answers' speed, and each latency counts from when its request
//! was due, so queueing shows (a closed loop would hide it). Then the same page
//! while a `--sync-rows` import sync runs in the same server.
//!
//! cargo run --release -p roster-tests --example bench_api -- [--big 1000000] [--database-url postgres://…]

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use roster_api::auth::{AuthSettings, Caller, JwtKey, Role};
use roster_api::config::RunnerSettings;
use roster_api::services::imports;
use roster_domain::import::JobStatus;
use roster_domain::{Company, CompanyGroup, CompanyName, EmailAddress, Employee, GroupName, Language, LoginState, TimeZoneName};
use roster_persistence::ConnectionTrait;
use roster_persistence::repo::{companies, employees, groups};
use serde_json::{Value, json};
use support::{BenchDatabase, wait};
use uuid::Uuid;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
struct Args {
    #[arg(long, default_value_t = 1_000_000)]
    big: usize,
    #[arg(long, default_value_t = 99)]
    small: usize,
    #[arg(long, default_value_t = 10_000)]
    small_size: usize,
    /// Requests per second, one series each.
    #[arg(long, value_delimiter = ',', default_value = "100,500,1000")]
    rates: Vec<u32>,
    /// Seconds each series sends for.
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    #[arg(long, default_value_t = 100_000)]
    sync_rows: usize,
    /// Requests per second of the page sent while the sync runs.
    #[arg(long, default_value_t = 500)]
    sync_rate: u32,
    /// Only the page during the sync (skip the idle series).
    #[arg(long)]
    only_sync: bool,
    /// Only the idle scenarios whose name contains this (e.g. "first page"); all by default.
    #[arg(long)]
    only: Option<String>,
    /// Skip the page during the sync.
    #[arg(long)]
    no_sync: bool,
    /// A PostgreSQL URL (a fresh database is made beside it); SQLite otherwise.
    #[arg(long)]
    database_url: Option<String>,
}

const SECRET: &str = "bench-secret-bench-secret-bench-secret-0000";

fn person(company_id: Uuid, group: Option<Uuid>, i: usize) -> Employee {
    let first = ["Anna", "Bram", "Chloé", "Daan", "Emma", "Finn", "Gijs", "Hanna", "Iris", "Joost"][i % 10];
    let last = ["de Vries", "Jansen", "Bakker", "Visser", "Smit", "Meijer", "Müller", "Mulder", "Bos", "Vos"][(i / 10) % 10];
    Employee {
        id: Uuid::now_v7(),
        company_id,
        email: EmailAddress::parse(&format!("{}.{}{i}@example.test", first.to_lowercase().replace('é', "e"), (i / 10) % 10)).unwrap(),
        first_name: first.into(),
        last_name: last.into(),
        prefix: None,
        onboarding_date: chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap() + chrono::Duration::days((i % 700) as i64),
        offboarding_date: i.is_multiple_of(17).then(|| chrono::NaiveDate::from_ymd_opt(2026, 6, 30).unwrap()),
        birthday: None,
        work_anniversary: None,
        language: Language::Nl,
        company_group_id: group,
        phone: None,
        custom_fields: Default::default(),
        login_state: LoginState::NotInvited,
        hr: Default::default(),
        version: 1,
    }
}

struct Tenant {
    id: Uuid,
    group: Uuid,
    token: String,
    /// A cursor from the middle of the directory, and an e-mail that exists.
    middle_cursor: String,
    email: String,
}

async fn make_company(db: &roster_persistence::Database, name: &str, size: usize) -> Tenant {
    let now = chrono::Utc::now();
    let company = Company {
        id: Uuid::now_v7(),
        name: CompanyName::parse(name).unwrap(),
        default_language: Language::Nl,
        time_zone: TimeZoneName::default(),
        settings: Default::default(),
    };
    companies::insert(&db.conn, &company, now).await.unwrap();
    let mut team_ids = Vec::new();
    for g in 0..5 {
        let group = CompanyGroup { id: Uuid::now_v7(), company_id: company.id, name: GroupName::parse(&format!("Team {g}")).unwrap() };
        groups::insert(&db.conn, &group, now).await.unwrap();
        team_ids.push(group.id);
    }
    let (mut middle, mut email) = (Uuid::nil(), String::new());
    for start in (0..size).step_by(10_000) {
        let chunk: Vec<Employee> = (start..(start + 10_000).min(size)).map(|i| person(company.id, Some(team_ids[i % 5]), i)).collect();
        if (start..start + chunk.len()).contains(&(size / 2)) {
            middle = chunk[size / 2 - start].id;
            email = chunk[size / 2 - start].email.as_str().to_string();
        }
        employees::insert_many(&db.conn, &chunk, now).await.unwrap();
    }
    Tenant { id: company.id, group: team_ids[0], token: String::new(), middle_cursor: middle.simple().to_string(), email }
}

#[derive(Clone)]
struct Scenario {
    name: &'static str,
    query: String,
    variables: Value,
    token: String,
}

fn scenarios(big: &Tenant, small: &Tenant) -> Vec<Scenario> {
    let page = "query($a: String, $f: EmployeeFilter) { employees(first: 50, after: $a, filter: $f) { edges { node { id email firstName lastName status companyGroup { name } } } pageInfo { hasNextPage endCursor } } }";
    let s =
        |name, query: &str, variables: Value, t: &Tenant| Scenario { name, query: query.to_string(), variables, token: t.token.clone() };
    vec![
        s("first page of 50 (1M company)", page, json!({}), big),
        s("first page of 50 (10k company)", page, json!({}), small),
        s("page deep behind a cursor", page, json!({ "a": big.middle_cursor }), big),
        s("status + group filter", page, json!({ "f": { "status": ["ACTIVE"], "companyGroupId": big.group } }), big),
        s("search", page, json!({ "f": { "search": "muller 4242" } }), big),
        s("employee(email:)", "query($e: String) { employee(email: $e) { id firstName status } }", json!({ "e": big.email }), big),
        s("page with totalCount", "{ employees(first: 50) { totalCount edges { node { id } } } }", json!({}), big),
        s("page with budgetGrants", "{ employees(first: 50) { edges { node { id budgetGrants { amount period } } } } }", json!({}), big),
    ]
}

struct Outcome {
    latencies: Vec<Duration>,
    errors: usize,
    sent: usize,
    wall: Duration,
}

/// Sends `rate` requests a second for `seconds` (or until `until` says stop),
/// each at its due time, without waiting for earlier answers.
async fn open_loop(
    client: &reqwest::Client,
    url: &str,
    scenario: &Scenario,
    rate: u32,
    seconds: u64,
    until: Option<Arc<dyn Fn() -> bool + Send + Sync>>,
) -> Outcome {
    let interval = Duration::from_secs_f64(1.0 / f64::from(rate));
    let start = tokio::time::Instant::now();
    let total = rate as usize * seconds as usize;
    let body = Arc::new(json!({ "query": scenario.query, "variables": scenario.variables }));
    let mut tasks = Vec::with_capacity(total);
    for i in 0..total {
        let due = start + interval * i as u32;
        tokio::time::sleep_until(due).await;
        if until.as_ref().is_some_and(|done| done()) {
            break;
        }
        let (client, url, token, body) = (client.clone(), url.to_string(), scenario.token.clone(), body.clone());
        tasks.push(tokio::spawn(async move {
            let response = client.post(&url).bearer_auth(token).json(&*body).send().await;
            let ok = match response {
                // The generator shares the cores with the server: a byte search, not a JSON parse.
                Ok(r) if r.status().is_success() => r.bytes().await.is_ok_and(|b| !b.windows(9).any(|w| w == b"\"errors\":")),
                _ => false,
            };
            (due.elapsed(), ok)
        }));
    }
    let sent = tasks.len();
    let mut latencies = Vec::with_capacity(sent);
    let mut errors = 0;
    for task in tasks {
        let (latency, ok) = task.await.unwrap();
        latencies.push(latency);
        errors += usize::from(!ok);
    }
    latencies.sort();
    Outcome { latencies, errors, sent, wall: start.elapsed() }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn report(name: &str, rate: u32, o: &Outcome) -> f64 {
    let at = |q: f64| {
        o.latencies.get(((o.latencies.len() as f64 * q) as usize).min(o.latencies.len().saturating_sub(1))).copied().unwrap_or_default()
    };
    let p99 = ms(at(0.99));
    println!(
        "| {name} | {rate} | {:.0} | {:.1} | {:.1} | {p99:.1} | {:.1} | {} |",
        o.sent as f64 / o.wall.as_secs_f64(),
        ms(at(0.50)),
        ms(at(0.95)),
        ms(o.latencies.last().copied().unwrap_or_default()),
        o.errors
    );
    p99
}

fn sync_file(rows: usize) -> Vec<u8> {
    let mut csv = String::from("Email,First name,Last name\n");
    for i in 0..rows {
        csv.push_str(&format!("sync{i}@import.test,Sync,Person {i}\n"));
    }
    csv.into_bytes()
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let dir = std::env::temp_dir().join(format!("roster-bench-api-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let database = BenchDatabase::create(args.database_url.as_deref(), dir.join("bench.db")).await;
    let database_url = database.url.clone();
    let settings = roster_api::Settings {
        runner: RunnerSettings { poll: Duration::from_millis(20), ..RunnerSettings::default() },
        ..roster_api::Settings::new(&database_url, AuthSettings { key: JwtKey::Secret(SECRET.into()), issuer: None, audience: None })
    };
    // The directory is made before the server starts, in the steady state a
    // live one is in: dates reached have been acted on, so the lifecycle has
    // nothing to catch up on and the read series run without a writer.
    let started = Instant::now();
    let db = roster_persistence::Database::connect(&database_url).await.expect("database");
    let mut big = make_company(&db, "Big", args.big).await;
    let mut small = Vec::new();
    for c in 0..args.small {
        small.push(make_company(&db, &format!("Small {c}"), args.small_size).await);
    }
    let today = chrono::Utc::now().date_naive();
    for column in ["onboarding", "offboarding"] {
        let mark = if column == "onboarding" { "onboarded_at" } else { "deactivated_at" };
        let sql = format!("UPDATE employees SET {mark} = created_at WHERE {mark} IS NULL AND {column}_date <= '{today}'");
        db.conn.execute_unprepared(&sql).await.expect("steady state");
    }
    if db.kind == roster_persistence::DatabaseKind::Postgres {
        // The steady state of a live directory is vacuumed too: without this the
        // autovacuum of the two million rows just written (and the merge of their
        // trigram entries into the GIN index) runs during the first series.
        db.conn.execute_unprepared("VACUUM ANALYZE").await.unwrap();
    }
    db.conn.close_by_ref().await.ok();
    drop(db);
    let server = roster_api::Application::build(settings).await.expect("server");
    let app = server.state().clone();
    let url = format!("http://127.0.0.1:{}/graphql", server.port());
    tokio::spawn(server.run_until_stopped());
    for tenant in std::iter::once(&mut big).chain(small.iter_mut()) {
        tenant.token = app.auth.mint("bench", Role::Admin, Some(tenant.id), vec![], Duration::from_secs(7200)).unwrap();
    }
    eprintln!(
        "made {} employees in {} companies in {:.1} s",
        args.big + args.small * args.small_size,
        args.small + 1,
        started.elapsed().as_secs_f64()
    );

    let client = reqwest::Client::builder().pool_max_idle_per_host(256).build().unwrap();
    let small_one = small.first().unwrap_or(&big);
    println!("\n| scenario | rate/s | achieved/s | p50 ms | p95 ms | p99 ms | max ms | errors |\n|---|---:|---:|---:|---:|---:|---:|---:|");
    let chosen = |s: &Scenario| !args.only_sync && args.only.as_deref().is_none_or(|only| s.name.contains(only));
    for scenario in scenarios(&big, small_one).into_iter().filter(chosen) {
        // Warm the caches and the connection pool first.
        open_loop(&client, &url, &scenario, 50, 1, None).await;
        for &rate in &args.rates {
            let outcome = open_loop(&client, &url, &scenario, rate, args.seconds, None).await;
            report(scenario.name, rate, &outcome);
        }
    }

    if !args.no_sync {
        sync_series(&app, &client, &url, &args, (&big, small_one, &small)).await;
    }

    app.db.conn.close_by_ref().await.ok();
    database.remove().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// The same first page while an import sync writes into another company.
async fn sync_series(
    app: &roster_api::state::AppState,
    client: &reqwest::Client,
    url: &str,
    args: &Args,
    (big, small_one, small): (&Tenant, &Tenant, &[Tenant]),
) {
    let target = small.last().unwrap_or(big);
    let caller = Caller { subject: "bench".into(), role: Role::Admin, company_id: Some(target.id), scopes: vec![] };
    let job = imports::upload(app, &caller, "sync.csv".into(), sync_file(args.sync_rows), None).await.expect("upload");
    imports::confirm_mapping(app, &caller, job.id, vec![]).await.expect("map");
    imports::start_dry_run(app, &caller, job.id).await.expect("dry run");
    wait(app, job.id, JobStatus::DryRunCompleted).await;
    let page = scenarios(big, small_one).remove(0);
    let rate = args.sync_rate;
    imports::confirm_sync(app, &caller, job.id).await.expect("sync");
    let (state, job_id) = (app.clone(), job.id);
    let finished = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = finished.clone();
    let watcher = tokio::spawn(async move {
        let sync_started = Instant::now();
        wait(&state, job_id, JobStatus::Completed).await;
        flag.store(true, std::sync::atomic::Ordering::SeqCst);
        sync_started.elapsed()
    });
    let done = finished.clone();
    let outcome = open_loop(client, url, &page, rate, 600, Some(Arc::new(move || done.load(std::sync::atomic::Ordering::SeqCst)))).await;
    let sync_took = watcher.await.unwrap();
    report(&format!("first page of 50 during a {}-row sync ({:.1} s)", args.sync_rows, sync_took.as_secs_f64()), rate, &outcome);
}
