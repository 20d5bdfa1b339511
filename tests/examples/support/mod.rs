//! What every benchmark measures the same way: wall, CPU and peak RSS of a
//! phase (Linux /proc), a fresh database per run, and waiting for an import
//! job to reach a status.
// Each benchmark uses the part it needs.
#![allow(dead_code)]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use roster_api::state::AppState;
use roster_domain::import::JobStatus;
use roster_persistence::ConnectionTrait;
use roster_persistence::repo::imports::jobs;
use uuid::Uuid;

/// Resets the peak RSS (Linux: clear_refs 5) so each phase measures its own.
pub fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn status_mb(field: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with(field)).and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok()))
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

/// Peak resident memory since the last `reset_peak`.
pub fn peak_mb() -> f64 {
    status_mb("VmHWM:")
}

/// Resident now.
pub fn resident_mb() -> f64 {
    status_mb("VmRSS:")
}

fn uptime() -> String {
    std::fs::read_to_string("/proc/uptime").ok().and_then(|s| s.split_whitespace().next().map(String::from)).unwrap_or_default()
}

/// CPU seconds this process has used (user + system), all threads.
pub fn cpu_secs() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The fields after the command name (which may hold spaces) are space-separated.
    let fields: Vec<&str> = stat.rsplit_once(')').map(|(_, rest)| rest.split_whitespace().collect()).unwrap_or_default();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 of the line, 100 ticks a second.
    (ticks(11) + ticks(12)) / 100.0
}

#[derive(Clone, Copy, Default)]
pub struct Phase {
    pub name: &'static str,
    pub secs: f64,
    pub cpu: f64,
    pub peak: f64,
}

/// Runs `f` as one phase and prints its figures.
pub async fn measure<T>(name: &'static str, f: impl std::future::Future<Output = T>) -> (T, Phase) {
    reset_peak();
    let (start, cpu) = (Instant::now(), cpu_secs());
    let since_boot = uptime();
    let out = f.await;
    let phase = Phase { name, secs: start.elapsed().as_secs_f64(), cpu: cpu_secs() - cpu, peak: peak_mb() };
    // The uptime range lets `perf report --time` look at one phase.
    eprintln!("{name}: {:.2} s, {:.2} CPU s, peak RSS {:.0} MB (uptime {since_boot}–{})", phase.secs, phase.cpu, phase.peak, uptime());
    (out, phase)
}

/// Waits for the import job to reach `status`; a job that ends otherwise stops the bench.
pub async fn wait(app: &AppState, job: Uuid, status: JobStatus) {
    loop {
        let current = jobs::get(&app.db.conn, job).await.expect("job");
        if current.status == status {
            return;
        }
        assert!(!current.status.is_final(), "job ended {:?}: {:?}", current.status, current.failure_reason);
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The database one run writes to: a new PostgreSQL database beside the URL
/// given, or a SQLite file; removed again by `remove`.
pub struct BenchDatabase {
    pub url: String,
    postgres: Option<(String, String)>,
    sqlite_file: PathBuf,
}

impl BenchDatabase {
    pub async fn create(postgres_base: Option<&str>, sqlite_file: PathBuf) -> Self {
        let Some(base) = postgres_base else {
            return Self { url: format!("sqlite://{}", sqlite_file.display()), postgres: None, sqlite_file };
        };
        let admin = roster_persistence::Database::connect_without_migrating(base).await.expect("postgres");
        let name = format!("bench_{}", Uuid::new_v4().simple());
        admin.conn.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("create database");
        let url = format!("{}/{name}", base.rsplit_once('/').expect("url ends in /db").0);
        Self { url, postgres: Some((base.to_string(), name)), sqlite_file }
    }

    pub fn is_postgres(&self) -> bool {
        self.postgres.is_some()
    }

    pub fn kind(&self) -> &'static str {
        if self.is_postgres() { "PostgreSQL" } else { "SQLite" }
    }

    /// Drops the database (close the app's pool first), so the next run starts
    /// from nothing with the disk as it was.
    pub async fn remove(self) {
        match self.postgres {
            Some((base, name)) => {
                let admin = roster_persistence::Database::connect_without_migrating(&base).await.expect("postgres");
                admin.conn.execute_unprepared(&format!("DROP DATABASE {name} WITH (FORCE)")).await.expect("drop database");
            }
            None => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", self.sqlite_file.display()));
                }
            }
        }
    }
}
