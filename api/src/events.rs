//! The event bus: progress of runs and changes to jobs. Runs publish here; subscriptions read. In one process a
//! broadcast channel carries them; with PostgreSQL they go out through NOTIFY and
//! come back through LISTEN, so a subscriber on replica B sees a run on replica A.

use chrono::{DateTime, Utc};
use roster_domain::import::{RunMode, RunStatus, Summary};
use roster_persistence::notify;
use roster_persistence::repo::imports::jobs::StoredJob;
use roster_persistence::repo::imports::runs::StoredRun;
use roster_persistence::repo::imports::runs::{summary_from, summary_json};
use sea_orm::DatabaseConnection;
use serde_json::{Value, json};
use tokio::sync::{broadcast, mpsc};
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
    /// With PostgreSQL: events to NOTIFY, in publish order.
    remote: Option<mpsc::UnboundedSender<JobEvent>>,
}

impl Default for EventBus {
    fn default() -> Self {
        Self { tx: broadcast::channel(4096).0, remote: None }
    }
}

const CHANNEL: &str = "roster_events";

impl EventBus {
    /// Events through PostgreSQL, shared by every replica on the database.
    pub async fn postgres(db: DatabaseConnection, url: &str) -> Result<Self, sea_orm::DbErr> {
        let tx = broadcast::channel(4096).0;
        let mut incoming = notify::listen(url, CHANNEL).await?;
        let local = tx.clone();
        tokio::spawn(async move {
            while let Some(payload) = incoming.recv().await {
                match decode(&payload) {
                    Some(event) => {
                        let _ = local.send(event);
                    }
                    None => tracing::warn!(%payload, "ignored an event that does not parse"),
                }
            }
        });
        let (out, mut out_rx) = mpsc::unbounded_channel::<JobEvent>();
        tokio::spawn(async move {
            while let Some(event) = out_rx.recv().await {
                if let Err(err) = notify::notify(&db, CHANNEL, &encode(&event)).await {
                    tracing::warn!(error = %err, "could not publish an event");
                }
            }
        });
        Ok(Self { tx, remote: Some(out) })
    }

    pub fn publish(&self, event: JobEvent) {
        // No subscriber is not an error.
        match &self.remote {
            Some(out) => {
                let _ = out.send(event);
            }
            None => {
                let _ = self.tx.send(event);
            }
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<JobEvent> {
        self.tx.subscribe()
    }

    pub fn job_changed(&self, job: &StoredJob) {
        self.publish(JobEvent::Job { company_id: job.company_id, job_id: job.id });
    }

    pub fn run_changed(&self, job: &StoredJob, run: &StoredRun, phase: &str, at: DateTime<Utc>) {
        self.publish(JobEvent::Progress(progress_of(run, phase, at)));
        self.job_changed(job);
    }
}

fn encode(event: &JobEvent) -> String {
    match event {
        JobEvent::Job { company_id, job_id } => json!({ "k": "job", "c": company_id, "j": job_id }),
        JobEvent::Progress(p) => json!({
            "k": "progress", "c": p.company_id, "j": p.job_id, "r": p.run_id, "m": p.mode.code(), "s": p.status.code(),
            "ph": p.phase, "n": p.processed, "t": p.total, "sum": summary_json(&p.summary), "at": p.at,
        }),
    }
    .to_string()
}

fn decode(payload: &str) -> Option<JobEvent> {
    let v: Value = serde_json::from_str(payload).ok()?;
    let uuid = |k: &str| v.get(k)?.as_str()?.parse::<Uuid>().ok();
    match v.get("k")?.as_str()? {
        "job" => Some(JobEvent::Job { company_id: uuid("c")?, job_id: uuid("j")? }),
        "progress" => Some(JobEvent::Progress(ProgressEvent {
            company_id: uuid("c")?,
            job_id: uuid("j")?,
            run_id: uuid("r")?,
            mode: RunMode::parse(v.get("m")?.as_str()?)?,
            status: RunStatus::parse(v.get("s")?.as_str()?)?,
            phase: v.get("ph")?.as_str()?.to_string(),
            processed: v.get("n")?.as_u64()?,
            total: v.get("t")?.as_u64()?,
            summary: summary_from(v.get("sum")?),
            at: v.get("at")?.as_str()?.parse().ok()?,
        })),
        _ => None,
    }
}

pub fn progress_of(run: &StoredRun, phase: &str, at: DateTime<Utc>) -> ProgressEvent {
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
        at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_survive_the_trip_through_notify() {
        let p = ProgressEvent {
            company_id: Uuid::new_v4(),
            job_id: Uuid::new_v4(),
            run_id: Uuid::new_v4(),
            mode: RunMode::Sync,
            status: RunStatus::Running,
            phase: "applying".into(),
            processed: 10,
            total: 20,
            summary: Summary { total: 10, onboarding: 7, error: 3, ..Summary::default() },
            at: "2026-12-02T10:00:00Z".parse().unwrap(),
        };
        for event in [JobEvent::Progress(p.clone()), JobEvent::Job { company_id: p.company_id, job_id: p.job_id }] {
            assert_eq!(decode(&encode(&event)), Some(event));
        }
    }
}
