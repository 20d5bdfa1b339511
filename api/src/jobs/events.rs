//! Progress events. Runs publish here; subscriptions read. In-process broadcast.

use chrono::{DateTime, Utc};
use roster_domain::import::{RunMode, RunStatus, Summary};
use roster_persistence::repo::imports::jobs::StoredJob;
use roster_persistence::repo::imports::runs::StoredRun;
use tokio::sync::broadcast;
use uuid::Uuid;

/// One run's progress at a moment; the last of a run carries its final status.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgressEvent {
    pub company_id: Uuid,
    pub job_id: Uuid,
    pub run_id: Uuid,
    pub mode: RunMode,
    pub status: RunStatus,
    pub phase: String,
    pub processed: u64,
    pub total: u64,
    pub summary: Summary,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum JobEvent {
    /// Something about the job changed (status, mapping, a run queued or ended).
    Job {
        company_id: Uuid,
        job_id: Uuid,
    },
    Progress(ProgressEvent),
}

#[derive(Clone)]
pub struct EventBus {
    tx: broadcast::Sender<JobEvent>,
}

impl Default for EventBus {
    fn default() -> Self {
        Self { tx: broadcast::channel(4096).0 }
    }
}

impl EventBus {
    pub fn publish(&self, event: JobEvent) {
        // No subscriber is not an error.
        let _ = self.tx.send(event);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<JobEvent> {
        self.tx.subscribe()
    }

    pub fn job_changed(&self, job: &StoredJob) {
        self.publish(JobEvent::Job { company_id: job.company_id, job_id: job.id });
    }

    pub fn run_changed(&self, job: &StoredJob, run: &StoredRun, phase: &str) {
        self.publish(JobEvent::Progress(progress_of(run, phase)));
        self.job_changed(job);
    }
}

pub fn progress_of(run: &StoredRun, phase: &str) -> ProgressEvent {
    ProgressEvent {
        company_id: run.company_id,
        job_id: run.job_id,
        run_id: run.id,
        mode: run.mode,
        status: run.status,
        phase: phase.to_string(),
        processed: run.processed,
        total: run.total,
        summary: run.summary,
        at: Utc::now(),
    }
}
