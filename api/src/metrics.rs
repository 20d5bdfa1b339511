//! Prometheus metrics (`GET /metrics`): runs by mode and status, rows processed,
//! run durations, queue depth, active subscriptions, HTTP requests by status.
//! Counters are process-wide atomics; the queue depth is read at scrape time.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

static ACTIVE_SUBSCRIPTIONS: AtomicI64 = AtomicI64::new(0);
static ROWS_PROCESSED: AtomicU64 = AtomicU64::new(0);
static RUNS: Mutex<BTreeMap<(&'static str, &'static str), u64>> = Mutex::new(BTreeMap::new());
static HTTP: Mutex<BTreeMap<u16, u64>> = Mutex::new(BTreeMap::new());
static LIFECYCLE: Mutex<BTreeMap<&'static str, u64>> = Mutex::new(BTreeMap::new());
static ATTEMPTS: Mutex<BTreeMap<(&'static str, u32), u64>> = Mutex::new(BTreeMap::new());
/// Run duration histogram buckets in seconds, and (count per bucket, sum, count).
const BUCKETS: [f64; 9] = [0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0];
static DURATIONS: Mutex<([u64; 9], f64, u64)> = Mutex::new(([0; 9], 0.0, 0));

pub fn subscriptions_opened() {
    ACTIVE_SUBSCRIPTIONS.fetch_add(1, Ordering::Relaxed);
}

pub fn subscriptions_closed() {
    ACTIVE_SUBSCRIPTIONS.fetch_sub(1, Ordering::Relaxed);
}

pub fn rows_processed(n: u64) {
    ROWS_PROCESSED.fetch_add(n, Ordering::Relaxed);
}

pub fn run_finished(mode: &'static str, status: &'static str, seconds: f64) {
    if let Ok(mut runs) = RUNS.lock() {
        *runs.entry((mode, status)).or_default() += 1;
    }
    if let Ok(mut d) = DURATIONS.lock() {
        for (i, bound) in BUCKETS.iter().enumerate() {
            if seconds <= *bound {
                d.0[i] += 1;
            }
        }
        d.1 += seconds;
        d.2 += 1;
    }
}

pub fn http_request(status: u16) {
    if let Ok(mut http) = HTTP.lock() {
        *http.entry(status).or_default() += 1;
    }
}

/// Lifecycle work done in this process: dates, onboardings, grants, deactivations.
pub fn lifecycle_work(kind: &'static str, n: u64) {
    if n > 0
        && let Ok(mut work) = LIFECYCLE.lock()
    {
        *work.entry(kind).or_default() += n;
    }
}

/// A webhook delivery attempt: its outcome (`delivered`, `retrying`, `failed`) and number.
pub fn delivery_attempt(outcome: &'static str, attempt: u32) {
    if let Ok(mut attempts) = ATTEMPTS.lock() {
        *attempts.entry((outcome, attempt.min(10))).or_default() += 1;
    }
}

/// What the caller reads from the database at scrape time.
#[derive(Debug, Default)]
pub struct Gauges {
    pub queue_depth: u64,
    pub lifecycle_lag_seconds: i64,
    pub webhook_endpoints: u64,
    pub deliveries_by_status: Vec<(String, u64)>,
    /// Outbox batches enabled endpoints are yet to be sent, once per endpoint.
    pub outbox_unsent_batches: u64,
    /// How long ago the oldest of them was written.
    pub outbox_lag_seconds: i64,
}

/// The exposition text.
pub fn render(gauges: &Gauges) -> String {
    let queue_depth = gauges.queue_depth;
    let mut out = String::new();
    let _ = writeln!(out, "# HELP roster_import_runs_total Runs ended, by mode and status.\n# TYPE roster_import_runs_total counter");
    if let Ok(runs) = RUNS.lock() {
        for ((mode, status), n) in runs.iter() {
            let _ = writeln!(out, "roster_import_runs_total{{mode=\"{mode}\",status=\"{status}\"}} {n}");
        }
    }
    let _ = writeln!(
        out,
        "# HELP roster_import_rows_processed_total Rows planned or applied by runs in this process.\n# TYPE roster_import_rows_processed_total counter"
    );
    let _ = writeln!(out, "roster_import_rows_processed_total {}", ROWS_PROCESSED.load(Ordering::Relaxed));
    let _ = writeln!(
        out,
        "# HELP roster_import_run_duration_seconds Duration of runs that ended.\n# TYPE roster_import_run_duration_seconds histogram"
    );
    if let Ok(d) = DURATIONS.lock() {
        for (i, bound) in BUCKETS.iter().enumerate() {
            let _ = writeln!(out, "roster_import_run_duration_seconds_bucket{{le=\"{bound}\"}} {}", d.0[i]);
        }
        let _ = writeln!(out, "roster_import_run_duration_seconds_bucket{{le=\"+Inf\"}} {}", d.2);
        let _ = writeln!(out, "roster_import_run_duration_seconds_sum {}", d.1);
        let _ = writeln!(out, "roster_import_run_duration_seconds_count {}", d.2);
    }
    let _ = writeln!(
        out,
        "# HELP roster_import_queue_depth Runs waiting to be claimed.\n# TYPE roster_import_queue_depth gauge\nroster_import_queue_depth {queue_depth}"
    );
    let _ = writeln!(out, "# HELP roster_active_subscriptions Open WebSocket connections.\n# TYPE roster_active_subscriptions gauge");
    let _ = writeln!(out, "roster_active_subscriptions {}", ACTIVE_SUBSCRIPTIONS.load(Ordering::Relaxed));
    let _ = writeln!(
        out,
        "# HELP roster_lifecycle_lag_seconds How long the oldest due lifecycle work has waited.\n# TYPE roster_lifecycle_lag_seconds gauge\nroster_lifecycle_lag_seconds {}",
        gauges.lifecycle_lag_seconds
    );
    let _ = writeln!(
        out,
        "# HELP roster_lifecycle_work_total Lifecycle work done in this process, by kind.\n# TYPE roster_lifecycle_work_total counter"
    );
    if let Ok(work) = LIFECYCLE.lock() {
        for (kind, n) in work.iter() {
            let _ = writeln!(out, "roster_lifecycle_work_total{{kind=\"{kind}\"}} {n}");
        }
    }
    let _ = writeln!(
        out,
        "# HELP roster_webhook_endpoints Webhook endpoints registered.\n# TYPE roster_webhook_endpoints gauge\nroster_webhook_endpoints {}",
        gauges.webhook_endpoints
    );
    let _ = writeln!(out, "# HELP roster_webhook_deliveries Webhook deliveries stored, by status.\n# TYPE roster_webhook_deliveries gauge");
    for (status, n) in &gauges.deliveries_by_status {
        let _ = writeln!(out, "roster_webhook_deliveries{{status=\"{status}\"}} {n}");
    }
    let _ = writeln!(
        out,
        "# HELP roster_webhook_outbox_unsent_batches Event batches (up to 200 events) not yet sent, counted once per enabled endpoint.\n\
         # TYPE roster_webhook_outbox_unsent_batches gauge\nroster_webhook_outbox_unsent_batches {}",
        gauges.outbox_unsent_batches
    );
    let _ = writeln!(
        out,
        "# HELP roster_webhook_outbox_lag_seconds How long ago the oldest event batch not yet sent was written.\n\
         # TYPE roster_webhook_outbox_lag_seconds gauge\nroster_webhook_outbox_lag_seconds {}",
        gauges.outbox_lag_seconds
    );
    let _ = writeln!(
        out,
        "# HELP roster_webhook_attempts_total Delivery attempts in this process, by outcome and attempt number.\n# TYPE roster_webhook_attempts_total counter"
    );
    if let Ok(attempts) = ATTEMPTS.lock() {
        for ((outcome, attempt), n) in attempts.iter() {
            let _ = writeln!(out, "roster_webhook_attempts_total{{outcome=\"{outcome}\",attempt=\"{attempt}\"}} {n}");
        }
    }
    let _ = writeln!(out, "# HELP roster_http_requests_total HTTP requests by status.\n# TYPE roster_http_requests_total counter");
    if let Ok(http) = HTTP.lock() {
        for (status, n) in http.iter() {
            let _ = writeln!(out, "roster_http_requests_total{{status=\"{status}\"}} {n}");
        }
    }
    out
}
