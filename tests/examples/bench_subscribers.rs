//! Subscriber benchmark: N WebSocket subscribers (graphql-transport-ws) on one
//! running import. Prints events delivered, the lag from publish (`at`) to
//! receipt (p50/p99), and the server's CPU cost per subscriber (CPU time of the
//! run with N subscribers minus the same run with none, divided by N).
//!
//! ulimit -n 8192; cargo run --release -p roster-tests --example bench_subscribers -- --subscribers 1000 --rows 100000

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use futures_util::{SinkExt, StreamExt};
use roster_api::auth::{AuthSettings, Caller, JwtKey, Role};
use roster_api::config::RunnerSettings;
use roster_api::services::imports;
use roster_api::{Application, Settings};
use roster_domain::import::JobStatus;
use serde_json::{Value, json};
use support::wait;
use tokio::sync::Mutex;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use uuid::Uuid;

#[derive(Parser)]
struct Args {
    #[arg(long, default_value_t = 100)]
    subscribers: usize,
    #[arg(long, default_value_t = 100_000)]
    rows: usize,
}

const SECRET: &str = "bench-secret-bench-secret-bench-secret-0000";

fn cpu_seconds() -> f64 {
    // utime + stime of this process, in clock ticks (fields 14 and 15 of /proc/self/stat).
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat.rsplit_once(')').map(|(_, r)| r.split_whitespace().collect()).unwrap_or_default();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

fn csv(rows: usize) -> Vec<u8> {
    let mut s = String::from("Email,First name,Last name\n");
    for i in 0..rows {
        s.push_str(&format!("person{i}@example.com,Person,Number{i}\n"));
    }
    s.into_bytes()
}

async fn subscriber(url: String, token: String, job: Uuid, lags: Arc<Mutex<Vec<f64>>>, ready: tokio::sync::mpsc::Sender<()>) -> usize {
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse().unwrap());
    let (mut ws, _) = tokio_tungstenite::connect_async(request).await.expect("connect");
    ws.send(Message::Text(
        json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } }).to_string().into(),
    ))
    .await
    .unwrap();
    let _ack = ws.next().await;
    let query = "subscription($id: UUID!) { importJobProgress(jobId: $id) { status processed at } }";
    ws.send(Message::Text(
        json!({ "id": "1", "type": "subscribe", "payload": { "query": query, "variables": { "id": job } } }).to_string().into(),
    ))
    .await
    .unwrap();
    let _ = ready.send(()).await;
    let mut received = 0;
    let mut mine = Vec::new();
    while let Some(Ok(Message::Text(text))) = ws.next().await {
        let now = chrono::Utc::now();
        let frame: Value = serde_json::from_str(&text).unwrap_or_default();
        if frame["type"] != "next" {
            break;
        }
        let event = &frame["payload"]["data"]["importJobProgress"];
        if let Some(at) = event["at"].as_str().and_then(|s| s.parse::<chrono::DateTime<chrono::Utc>>().ok()) {
            mine.push((now - at).num_microseconds().unwrap_or(0) as f64 / 1000.0);
        }
        received += 1;
        if event["status"] == "COMPLETED" {
            break;
        }
    }
    lags.lock().await.extend(mine);
    received
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let dir = std::env::temp_dir().join(format!("roster-subs-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let settings = Settings {
        runner: RunnerSettings { poll: Duration::from_millis(10), ..RunnerSettings::default() },
        ..Settings::new(
            &format!("sqlite://{}", dir.join("bench.db").display()),
            AuthSettings { key: JwtKey::Secret(SECRET.into()), issuer: None, audience: None },
        )
    };
    let server = Application::build(settings).await.expect("server");
    let port = server.port();
    let app = server.state().clone();
    tokio::spawn(server.run_until_stopped());
    let company = Uuid::now_v7();
    let c = roster_domain::Company {
        id: company,
        name: roster_domain::CompanyName::parse("Bench").unwrap(),
        default_language: roster_domain::Language::En,
        time_zone: roster_domain::TimeZoneName::default(),
        settings: Default::default(),
    };
    roster_persistence::repo::companies::insert(&app.db.conn, &c, chrono::Utc::now()).await.unwrap();
    let caller = Caller { subject: "bench".into(), role: Role::Admin, company_id: Some(company), scopes: vec![] };
    let token = app.auth.mint("bench", Role::Admin, Some(company), vec![], Duration::from_secs(3600)).unwrap();

    let mut cpu = Vec::new();
    for subscribers in [0, args.subscribers] {
        let job = imports::upload(&app, &caller, "people.csv".into(), csv(args.rows), None).await.expect("upload");
        imports::confirm_mapping(&app, &caller, job.id, vec![]).await.expect("map");
        let lags = Arc::new(Mutex::new(Vec::new()));
        let (ready_tx, mut ready_rx) = tokio::sync::mpsc::channel(subscribers.max(1));
        let url = format!("ws://127.0.0.1:{port}/graphql/ws");
        let tasks: Vec<_> = (0..subscribers)
            .map(|_| tokio::spawn(subscriber(url.clone(), token.clone(), job.id, lags.clone(), ready_tx.clone())))
            .collect();
        for _ in 0..subscribers {
            ready_rx.recv().await;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        let (cpu_start, started) = (cpu_seconds(), Instant::now());
        imports::start_dry_run(&app, &caller, job.id).await.expect("dry run");
        wait(&app, job.id, JobStatus::DryRunCompleted).await;
        let mut delivered = 0;
        for t in tasks {
            delivered += t.await.unwrap_or(0);
        }
        let (cpu_used, wall) = (cpu_seconds() - cpu_start, started.elapsed().as_secs_f64());
        cpu.push(cpu_used);
        let mut lags = lags.lock().await.clone();
        lags.sort_by(|a, b| a.total_cmp(b));
        let pct = |p: f64| lags.get(((lags.len() as f64 - 1.0) * p).round() as usize).copied().unwrap_or(0.0);
        if subscribers == 0 {
            println!("baseline: dry run of {} rows, no subscribers: {wall:.2} s wall, {cpu_used:.2} s CPU", args.rows);
        } else {
            let per_sub_ms = (cpu_used - cpu[0]) / subscribers as f64 * 1000.0;
            println!(
                "\n| subscribers | rows | run s | events delivered | events/subscriber | lag p50 ms | lag p99 ms | CPU ms/subscriber |"
            );
            println!("|---:|---:|---:|---:|---:|---:|---:|---:|");
            println!(
                "| {subscribers} | {} | {wall:.2} | {delivered} | {:.1} | {:.1} | {:.1} | {per_sub_ms:.2} |",
                args.rows,
                delivered as f64 / subscribers as f64,
                pct(0.5),
                pct(0.99)
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
