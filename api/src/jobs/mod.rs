//! Background runs: the runner that claims queued runs from the database, the
//! dry run and sync executors, and the progress events they publish.

mod control;
mod dry_run;
pub mod events;
mod runner;
mod sync;

use std::time::Duration;

pub use events::{EventBus, JobEvent, ProgressEvent};
pub use runner::spawn_runner;

/// How runs are executed; tests shorten the lease to see take-overs quickly.
#[derive(Debug, Clone)]
pub struct RunnerSettings {
    /// Run a runner in this process (`roster serve --no-runner` turns it off).
    pub enabled: bool,
    /// Runs executed at the same time by this process.
    pub concurrency: usize,
    /// A run whose lease is not renewed for this long is taken over.
    pub lease: Duration,
    /// Rows per batch: a sync commits once per batch, of whole plan chunks.
    pub batch_size: u64,
    /// Rows per stored plan chunk at most (the dry run plans a chunk at a time, the
    /// sync holds at most three at a time): bounds memory whatever the batch size.
    pub plan_chunk_rows: u64,
    /// How often the queue is polled when nothing woke the runner.
    pub poll: Duration,
    /// Pause between batches, to spare a busy database.
    pub batch_pause: Duration,
}

impl Default for RunnerSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            concurrency: 2,
            lease: Duration::from_secs(30),
            batch_size: 5000,
            plan_chunk_rows: 1000,
            poll: Duration::from_millis(500),
            batch_pause: Duration::ZERO,
        }
    }
}
