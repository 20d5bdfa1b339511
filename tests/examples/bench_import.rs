//! Import benchmark: generates realistic files with ../shared/data/gen_employees.py,
//! runs upload → dry run → sync on a fresh database, and prints per phase rows/s,
//! peak RSS and the ratio to floors measured in the same run: calamine reading the
//! same file (streaming), and a plain batched insert of the same rows.
//!
//! cargo run --release -p roster-tests --example bench_import -- --rows 100000
//! (add --database-url postgres://postgres@127.0.0.1:5432/test for PostgreSQL;
//! a fresh database named bench_<uuid> is created next to it).

mod support;

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use calamine::Reader;
use clap::Parser;
use roster_api::auth::{AuthSettings, Caller, JwtKey, Role};
use roster_api::config::RunnerSettings;
use roster_api::runner::spawn_runner;
use roster_api::services::imports;
use roster_api::state::AppState;
use roster_domain::import::JobStatus;
use roster_persistence::{ConnectionTrait, Statement, TransactionTrait};
use support::{BenchDatabase, Phase, measure, wait};
use uuid::Uuid;

/// The allocator the `roster` binary uses.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
struct Args {
    #[arg(long, default_value_t = 100_000)]
    rows: usize,
    /// A PostgreSQL URL to bench on (a fresh database is made beside it); SQLite otherwise.
    #[arg(long)]
    database_url: Option<String>,
    #[arg(long, default_value = "../shared/data/gen_employees.py")]
    generator: PathBuf,
    /// Rows per sync transaction (the runner's default).
    #[arg(long, default_value_t = RunnerSettings::default().batch_size)]
    batch_size: u64,
    /// Runs of the whole pipeline, each on a fresh database; medians are reported.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Register a webhook endpoint subscribed to every event (a loopback receiver
    /// answering 200), to compare the sync with and without one.
    #[arg(long)]
    webhook: bool,
    /// With --webhook: deliver nothing during the sync (deliveries left to another replica).
    #[arg(long)]
    no_delivery: bool,
}

fn generate(generator: &Path, rows: usize, dir: &Path) -> (PathBuf, PathBuf) {
    let file = dir.join(format!("emp_{rows}.xlsx"));
    let existing = dir.join(format!("emp_{rows}.existing.csv"));
    let today = chrono::Utc::now().with_timezone(&chrono_tz::Europe::Amsterdam).date_naive().to_string();
    let status = Command::new("python3")
        .arg(generator)
        .args(["--rows", &rows.to_string(), "--seed", "42", "--today", &today, "--error-rate", "0.02", "--format", "xlsx"])
        .arg("--out")
        .arg(&file)
        .arg("--existing-out")
        .arg(&existing)
        .status()
        .expect("python3 runs the generator (pip install XlsxWriter)");
    assert!(status.success(), "the generator failed");
    (file, existing)
}

/// Floor 1: calamine's streaming reader over every cell of the same file.
fn calamine_floor(bytes: &[u8]) -> usize {
    let mut workbook = calamine::Xlsx::new(Cursor::new(bytes)).expect("xlsx");
    let name = workbook.sheet_names()[0].clone();
    let mut reader = workbook.worksheet_cells_reader(&name).expect("sheet");
    let mut cells = 0;
    while let Some(cell) = reader.next_cell().expect("cell") {
        std::hint::black_box(cell.get_value());
        cells += 1;
    }
    cells
}

/// The file's rows as text, one tab-joined string per row (read outside any measured
/// phase): what the insert floor writes.
fn file_rows(bytes: &[u8]) -> Vec<Box<str>> {
    let mut workbook = calamine::Xlsx::new(Cursor::new(bytes)).expect("xlsx");
    let name = workbook.sheet_names()[0].clone();
    let mut reader = workbook.worksheet_cells_reader(&name).expect("sheet");
    let (mut rows, mut current, mut at) = (Vec::new(), Vec::<String>::new(), 0);
    while let Some(cell) = reader.next_cell().expect("cell") {
        let (row, column) = cell.get_position();
        if row != at {
            if at > 0 {
                rows.push(current.join("\t").into_boxed_str());
            }
            (current, at) = (Vec::new(), row);
        }
        if row > 0 {
            current.resize(column as usize + 1, String::new());
            current[column as usize] = calamine::Data::from(cell.get_value().clone()).to_string();
        }
    }
    if at > 0 {
        rows.push(current.join("\t").into_boxed_str());
    }
    rows
}

/// Floor 2: the file's rows, every column, inserted plainly into a table with the
/// same (company, e-mail) key as employees: multi-row statements of 500 rows with
/// bound values, committed every `per_transaction` rows as the sync commits.
async fn insert_floor(app: &AppState, rows: &[Box<str>], per_transaction: usize) {
    let db = &app.db.conn;
    let columns: Vec<String> = (1..=11).map(|i| format!("c{i} TEXT")).collect();
    db.execute_unprepared(&format!(
        "CREATE TABLE bench_floor (company_id TEXT NOT NULL, email TEXT NOT NULL, {}, UNIQUE (company_id, email))",
        columns.join(", ")
    ))
    .await
    .expect("floor table");
    let backend = db.get_database_backend();
    let company = Uuid::now_v7().to_string();
    for batch in rows.chunks(per_transaction.max(1)) {
        let txn = db.begin().await.expect("begin");
        for chunk in batch.chunks(500) {
            let mut values: Vec<sea_orm::Value> = Vec::with_capacity(chunk.len() * 13);
            let mut tuples = Vec::with_capacity(chunk.len());
            for row in chunk {
                let first = values.len();
                values.push(company.clone().into());
                let mut cells = row.split('\t');
                for _ in 0..12 {
                    values.push(cells.next().unwrap_or("").to_string().into());
                }
                let marks: Vec<String> = (first + 1..=first + 13)
                    .map(|i| if backend == roster_persistence::DbBackend::Postgres { format!("${i}") } else { "?".into() })
                    .collect();
                tuples.push(format!("({})", marks.join(",")));
            }
            let sql = format!("INSERT INTO bench_floor VALUES {} ON CONFLICT DO NOTHING", tuples.join(","));
            txn.execute_raw(Statement::from_sql_and_values(backend, sql, values)).await.expect("insert");
        }
        txn.commit().await.expect("commit");
    }
}

/// The floor this benchmark used before it inserted the file's rows: five short
/// synthetic columns, one transaction. Printed for comparison only.
async fn synthetic_insert_floor(app: &AppState, rows: usize) {
    let db = &app.db.conn;
    db.execute_unprepared("CREATE TABLE bench_synthetic (company_id TEXT NOT NULL, email TEXT NOT NULL, first_name TEXT, last_name TEXT, data TEXT, UNIQUE (company_id, email))")
        .await
        .expect("floor table");
    db.execute_unprepared("BEGIN").await.expect("begin");
    for chunk in (0..rows).collect::<Vec<_>>().chunks(500) {
        let values: Vec<String> =
            chunk.iter().map(|i| format!("('c', 'person{i}@example.com', 'First', 'Last', '{{\"k\":\"v{i}\"}}')")).collect();
        db.execute_unprepared(&format!("INSERT INTO bench_synthetic VALUES {}", values.join(","))).await.expect("insert");
    }
    db.execute_unprepared("COMMIT").await.expect("commit");
}

async fn preload_existing(app: &AppState, company: Uuid, existing: &Path) -> usize {
    let bytes = std::fs::read(existing).expect("existing csv");
    let caller = Caller { subject: "bench".into(), role: Role::Admin, company_id: Some(company), scopes: vec![] };
    let job = imports::upload(app, &caller, "existing.csv".into(), bytes, None).await.expect("existing upload");
    imports::confirm_mapping(app, &caller, job.id, vec![]).await.expect("map");
    imports::start_dry_run(app, &caller, job.id).await.expect("dry run");
    wait(app, job.id, JobStatus::DryRunCompleted).await;
    imports::confirm_sync(app, &caller, job.id).await.expect("sync");
    wait(app, job.id, JobStatus::Completed).await;
    job.row_count as usize
}

/// One run's phases, each with its floor in the same run.
struct Run {
    read_floor: Phase,
    write_floor: Phase,
    synthetic_floor: Phase,
    upload: Phase,
    issue_page: Phase,
    issue_total: Phase,
    dry_run: Phase,
    sync: Phase,
    cells: usize,
    existing_rows: usize,
    summary: String,
}

impl Run {
    fn upload_and_dry_run(&self) -> Phase {
        Phase {
            name: "upload + dry run",
            secs: self.upload.secs + self.dry_run.secs,
            cpu: self.upload.cpu + self.dry_run.cpu,
            peak: self.upload.peak.max(self.dry_run.peak),
        }
    }
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let dir = tempfile_dir();
    let (file, existing) = generate(&args.generator, args.rows, &dir);
    let file_size = std::fs::metadata(&file).expect("generated file").len();
    let mut runs = Vec::new();
    for run in 1..=args.runs.max(1) {
        eprintln!("-- run {run} of {}", args.runs.max(1));
        runs.push(run_once(&args, &file, &existing, &dir, run).await);
    }
    report(&args, &runs, file_size);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The median of a figure over the runs.
fn median(runs: &[Run], figure: impl Fn(&Run) -> f64) -> f64 {
    let mut values: Vec<f64> = runs.iter().map(figure).collect();
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len() % 2 == 1 { values[mid] } else { (values[mid - 1] + values[mid]) / 2.0 }
}

/// "median (min–max)" of a per-run ratio.
fn ratio(runs: &[Run], unit: &str, figure: impl Fn(&Run) -> f64) -> String {
    let values: Vec<f64> = runs.iter().map(&figure).collect();
    let (min, max) = values.iter().fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
    if runs.len() == 1 {
        format!("{:.2}× {unit}", values[0])
    } else {
        format!("{:.2}× {unit} ({min:.2}–{max:.2})", median(runs, figure))
    }
}

fn report(args: &Args, runs: &[Run], file_bytes: u64) {
    let kind = if args.database_url.is_some() { "PostgreSQL" } else { "SQLite" };
    let first = &runs[0];
    println!(
        "\nRoster import benchmark — {kind}, {} rows × 12 columns ({} cells, {:.1} MB xlsx), {} existing employees; medians of {} runs",
        args.rows,
        first.cells,
        file_bytes as f64 / 1e6,
        first.existing_rows,
        runs.len()
    );
    println!("sync summary: {}\n", first.summary);
    println!("| phase | seconds | CPU seconds | rows/s | peak RSS MB | ratio to floor (median, range) |");
    println!("|---|---:|---:|---:|---:|---:|");
    let rows = args.rows as f64;
    let row = |phase: &dyn Fn(&Run) -> Phase, ratio: String| {
        let secs = median(runs, |r| phase(r).secs);
        let name = phase(first).name;
        let (cpu, peak) = (median(runs, |r| phase(r).cpu), runs.iter().map(|r| phase(r).peak).fold(0.0, f64::max));
        println!("| {name} | {secs:.2} | {cpu:.2} | {:.0} | {peak:.0} | {ratio} |", rows / secs);
    };
    row(&|r| r.read_floor, "1.00".into());
    row(&|r| r.write_floor, "1.00".into());
    row(&|r| r.upload, ratio(runs, "read", |r| r.upload.secs / r.read_floor.secs));
    row(&|r| r.dry_run, String::new());
    row(&Run::upload_and_dry_run, ratio(runs, "read", |r| r.upload_and_dry_run().secs / r.read_floor.secs));
    row(&|r| r.sync, ratio(runs, "insert", |r| r.sync.secs / r.write_floor.secs));
    println!(
        "\n(synthetic insert, the earlier floor — five short columns, one transaction: {:.2} s; sync {:.1}× that)",
        median(runs, |r| r.synthetic_floor.secs),
        median(runs, |r| r.sync.secs / r.synthetic_floor.secs)
    );
    println!(
        "(preview before the dry run, 50 rows with issues after row {}: {:.3} s; with the issue total, which plans the whole sheet: {:.2} s)",
        args.rows / 2,
        median(runs, |r| r.issue_page.secs),
        median(runs, |r| r.issue_total.secs)
    );
}

/// The whole pipeline once, with its floors, on a fresh database.
async fn run_once(args: &Args, file: &Path, existing: &Path, dir: &Path, run: usize) -> Run {
    let database = BenchDatabase::create(args.database_url.as_deref(), dir.join(format!("bench-{run}.db"))).await;
    let database_url = database.url.clone();
    let auth = AuthSettings { key: JwtKey::Secret("bench-secret-bench-secret-bench-secret-0000".into()), issuer: None, audience: None };
    let mut settings = roster_api::Settings {
        runner: RunnerSettings { batch_size: args.batch_size, poll: Duration::from_millis(10), ..RunnerSettings::default() },
        ..roster_api::Settings::new(&database_url, auth)
    };
    settings.webhooks.allow_loopback = true;
    if args.no_delivery {
        settings.runner.delivery_concurrency = 0;
    }
    let app = roster_api::startup::connect(settings).await.expect("connect");
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let runner = spawn_runner(app.clone(), stopped);

    let company = Uuid::now_v7();
    let db = &app.db.conn;
    let c = roster_domain::Company {
        id: company,
        name: roster_domain::CompanyName::parse("Noordwind BV").unwrap(),
        default_language: roster_domain::Language::Nl,
        time_zone: roster_domain::TimeZoneName::default(),
        settings: Default::default(),
    };
    roster_persistence::repo::companies::insert(db, &c, chrono::Utc::now()).await.unwrap();
    for name in ["Engineering", "Sales", "Marketing", "Finance", "HR", "Operations", "Support", "Legal"] {
        let g =
            roster_domain::CompanyGroup { id: Uuid::now_v7(), company_id: company, name: roster_domain::GroupName::parse(name).unwrap() };
        roster_persistence::repo::groups::insert(db, &g, chrono::Utc::now()).await.unwrap();
    }
    let policy = roster_domain::BudgetPolicy::create(
        Uuid::now_v7(),
        company,
        "Lunch",
        roster_domain::BudgetKind::Monthly,
        5000,
        "EUR",
        true,
        vec![],
    )
    .unwrap();
    roster_persistence::repo::policies::insert(db, &policy, chrono::Utc::now()).await.unwrap();
    if args.webhook {
        let receiver = axum::Router::new().route("/hook", axum::routing::post(|| async { "ok" }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://127.0.0.1:{}/hook", listener.local_addr().unwrap().port());
        tokio::spawn(async move { axum::serve(listener, receiver).await.ok() });
        let admin = Caller { subject: "bench".into(), role: Role::Admin, company_id: Some(company), scopes: vec![] };
        roster_api::services::webhooks::create(&app, &admin, &url, vec![]).await.expect("endpoint");
    }
    let existing_rows = preload_existing(&app, company, existing).await;

    // Each phase gets the file in memory, as an upload has it; the benchmark keeps no copy
    // beside it, so the peak RSS is the phase's own.
    let bytes = std::fs::read(file).expect("generated file");
    let (cells, read_floor) = measure("floor: calamine read", async { calamine_floor(&bytes) }).await;
    let rows_as_text = file_rows(&bytes);
    drop(bytes);
    let ((), write_floor) =
        measure("floor: batched insert", insert_floor(&app, &rows_as_text, usize::try_from(args.batch_size).unwrap_or(1000))).await;
    drop(rows_as_text);
    let ((), synthetic_floor) = measure("synthetic insert", synthetic_insert_floor(&app, args.rows)).await;

    let caller = Caller { subject: "bench".into(), role: Role::Admin, company_id: Some(company), scopes: vec![] };
    let bytes = std::fs::read(file).expect("generated file");
    let (job, upload) = measure("upload", async {
        let job = imports::upload(&app, &caller, "employees.xlsx".into(), bytes, None).await.expect("upload");
        imports::confirm_mapping(
            &app,
            &caller,
            job.id,
            vec![(10, Some("custom:employee_id".into())), (11, Some("custom:cost_center".into()))],
        )
        .await
        .expect("map")
    })
    .await;
    // What an admin paging through the preview's problems waits for (R-IMP-9).
    let issues_after = |after: u32, with_total: bool| imports::Page { first: 50, after, only_issues: true, with_total };
    let mid_sheet = u32::try_from(args.rows / 2).unwrap_or(u32::MAX);
    let (_, issue_page) = measure("preview: 50 rows with issues after mid-sheet", async {
        imports::rows_page(&app, &job, issues_after(mid_sheet, false)).await.expect("preview")
    })
    .await;
    let (_, issue_total) = measure("preview: the same page and the issue total", async {
        imports::rows_page(&app, &job, issues_after(mid_sheet, true)).await.expect("preview")
    })
    .await;
    let ((), dry_run) = measure("dry run", async {
        imports::start_dry_run(&app, &caller, job.id).await.expect("dry run");
        wait(&app, job.id, JobStatus::DryRunCompleted).await;
    })
    .await;
    let ((), sync) = measure("sync", async {
        imports::confirm_sync(&app, &caller, job.id).await.expect("sync");
        wait(&app, job.id, JobStatus::Completed).await;
    })
    .await;
    let runs = imports::runs_of(&app, &job).await.unwrap();
    let summary = format!("{:?}", runs.last().unwrap().summary);
    if args.webhook {
        let (_, at_sync_end) = roster_persistence::repo::webhooks::counts(&app.db.conn).await.expect("delivery counts");
        let (unsent, _) = roster_persistence::repo::webhooks::outbox_backlog(&app.db.conn).await.expect("outbox backlog");
        eprintln!("webhook deliveries when the sync completed, by status: {at_sync_end:?}; event batches not yet sent: {unsent}");
    }
    let _ = stop.send(true);
    runner.await.expect("runner");
    app.db.conn.close_by_ref().await.expect("close");
    database.remove().await;
    Run { read_floor, write_floor, synthetic_floor, upload, issue_page, issue_total, dry_run, sync, cells, existing_rows, summary }
}

fn tempfile_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("roster-bench-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}
