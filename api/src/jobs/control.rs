//! What a running run checks between batches: progress written and published
//! (throttled), cancellation asked for, shutdown, and whether it still holds its lease.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use roster_domain::import::{RunStatus, Summary};
use roster_persistence::repo::imports::runs::{self, StoredRun};
use tokio::sync::watch;

use crate::error::Result;
use crate::events::{JobEvent, progress_of};
use crate::state::AppState;

/// Events per run are at most one per this interval, plus the final one.
const PUBLISH_EVERY: Duration = Duration::from_millis(250);

pub enum Next {
    Continue,
    /// The admin cancelled: stop at this batch boundary.
    Cancel,
    /// This process is shutting down or lost its lease: leave the run to another runner.
    Leave,
}

pub struct RunControl {
    pub app: AppState,
    pub run: StoredRun,
    pub shutdown: watch::Receiver<bool>,
    pub lease_lost: Arc<AtomicBool>,
    last_publish: Option<Instant>,
}

impl RunControl {
    pub fn new(app: AppState, run: StoredRun, shutdown: watch::Receiver<bool>, lease_lost: Arc<AtomicBool>) -> Self {
        Self { app, run, shutdown, lease_lost, last_publish: None }
    }

    /// Records progress after a batch and says whether to go on.
    pub async fn checkpoint(&mut self, phase: &str, processed: u64, summary: &Summary) -> Result<Next> {
        crate::metrics::rows_processed(processed.saturating_sub(self.run.processed));
        self.run.processed = processed;
        self.run.summary = *summary;
        self.run.status = RunStatus::Running;
        runs::progress(&self.app.db.conn, self.run.id, processed, self.run.total, summary).await?;
        if self.last_publish.is_none_or(|t| t.elapsed() >= PUBLISH_EVERY) {
            self.last_publish = Some(Instant::now());
            self.app.events.publish(JobEvent::Progress(progress_of(&self.run, phase, self.app.clock.now())));
        }
        let pause = self.app.runner.batch_pause;
        if !pause.is_zero() {
            tokio::time::sleep(pause).await;
        }
        if self.lease_lost.load(Ordering::SeqCst) || *self.shutdown.borrow() {
            return Ok(Next::Leave);
        }
        if runs::cancel_requested(&self.app.db.conn, self.run.id).await? {
            return Ok(Next::Cancel);
        }
        Ok(Next::Continue)
    }
}
