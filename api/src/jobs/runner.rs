//! The runner: every server process runs one (unless `--no-runner`). It claims
//! runs from the database queue, executes them with a renewed lease, and on
//! shutdown leaves its runs at a batch boundary for another runner to resume.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use roster_domain::import::{JobStatus, RunMode, RunStatus, Summary};
use roster_persistence::repo::imports::jobs;
use roster_persistence::repo::imports::runs::{self, StoredRun};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::task::JoinHandle;
use tracing::Instrument;
use uuid::Uuid;

use super::control::RunControl;
use super::{dry_run, sync};
use crate::error::ApiError;
use crate::events::{JobEvent, progress_of};
use crate::state::AppState;

/// How a run's execution ended.
pub enum Ending {
    Completed(Summary),
    Cancelled(Summary),
    /// Shutdown or a lost lease: the run stays for another runner.
    Left,
}

pub fn spawn_runner(app: AppState, mut shutdown: watch::Receiver<bool>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let settings = app.runner.clone();
        let owner = format!("runner-{}", Uuid::new_v4().simple());
        let slots = Arc::new(Semaphore::new(settings.concurrency.max(1)));
        let active: Arc<std::sync::Mutex<std::collections::HashSet<Uuid>>> = Arc::default();
        tracing::info!(%owner, concurrency = settings.concurrency, "runner started");
        loop {
            if *shutdown.borrow() {
                break;
            }
            while let Ok(permit) = slots.clone().try_acquire_owned() {
                let now = app.clock.now();
                let lease_until = now + chrono::Duration::from_std(settings.lease).unwrap_or_default();
                match runs::claim(&app.db.conn, &owner, now, lease_until).await {
                    Ok(Some(run)) => {
                        // Our own execution of this run is still going (its heartbeat was
                        // late): the claim only extended the lease; never execute it twice.
                        if !active.lock().map(|mut a| a.insert(run.id)).unwrap_or(false) {
                            continue;
                        }
                        let span = tracing::info_span!("run", job_id = %run.job_id, run_id = %run.id, mode = run.mode.code());
                        let done = active.clone();
                        let id = run.id;
                        let execution = execute(app.clone(), run, owner.clone(), shutdown.clone(), permit);
                        tokio::spawn(
                            async move {
                                execution.await;
                                if let Ok(mut a) = done.lock() {
                                    a.remove(&id);
                                }
                            }
                            .instrument(span),
                        );
                    }
                    Ok(None) => break,
                    Err(err) => {
                        tracing::warn!(error = %err, "claiming a run failed");
                        break;
                    }
                }
            }
            tokio::select! {
                _ = app.wake.notified() => {}
                _ = tokio::time::sleep(settings.poll) => {}
                // A dropped sender means shutdown too (and would otherwise wake this loop forever).
                changed = shutdown.changed() => if changed.is_err() { break },
            }
        }
        // Wait until every run in flight has finished or been left.
        let _ = slots.acquire_many(settings.concurrency.max(1) as u32).await;
        tracing::info!(%owner, "runner stopped");
    })
}

async fn execute(app: AppState, run: StoredRun, owner: String, shutdown: watch::Receiver<bool>, _slot: OwnedSemaphorePermit) {
    tracing::info!("run started");
    let lost = Arc::new(AtomicBool::new(false));
    let heartbeat = {
        let (app, lost, id, owner) = (app.clone(), lost.clone(), run.id, owner.clone());
        let every = app.runner.lease / 3;
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                let until = app.clock.now() + chrono::Duration::from_std(app.runner.lease).unwrap_or_default();
                if !matches!(runs::renew_lease(&app.db.conn, id, &owner, until).await, Ok(true)) {
                    tracing::warn!(run_id = %id, "lease lost; leaving the run to another runner");
                    lost.store(true, Ordering::SeqCst);
                    break;
                }
            }
        })
    };
    let mut ctl = RunControl::new(app.clone(), run.clone(), shutdown, lost);
    ctl.run.status = RunStatus::Running;
    app.events.publish(JobEvent::Progress(progress_of(&ctl.run, "started", app.clock.now())));
    let result = match run.mode {
        RunMode::DryRun => dry_run::execute(&mut ctl).await,
        RunMode::Sync => sync::execute(&mut ctl).await,
    };
    heartbeat.abort();
    let (status, summary, failure) = match result {
        Ok(Ending::Left) => {
            if let Err(err) = runs::release(&app.db.conn, run.id, &owner).await {
                tracing::warn!(error = %err, "could not release the lease; it will expire");
            }
            tracing::info!(processed = ctl.run.processed, "run left for another runner");
            return;
        }
        Ok(Ending::Completed(summary)) => (RunStatus::Completed, summary, None),
        Ok(Ending::Cancelled(summary)) => (RunStatus::Cancelled, summary, None),
        Err(err) => {
            let reason = failure_reason(&err, run.id);
            tracing::error!(error = ?err, "run failed");
            (RunStatus::Failed, ctl.run.summary, Some(reason))
        }
    };
    if let Err(err) = finish(&app, &mut ctl.run, &owner, status, summary, failure.as_deref()).await {
        tracing::error!(error = ?err, "could not record the end of the run; its lease will expire and another runner will resume it");
    }
}

fn failure_reason(err: &ApiError, run_id: Uuid) -> String {
    match err {
        ApiError::Internal(_) => format!("the run failed unexpectedly (logged as run {run_id}); start it again or contact support"),
        other => other.public_message(),
    }
}

async fn finish(
    app: &AppState,
    run: &mut StoredRun,
    owner: &str,
    status: RunStatus,
    summary: Summary,
    failure: Option<&str>,
) -> crate::error::Result<()> {
    let db = &app.db.conn;
    let now = app.clock.now();
    run.summary = summary;
    run.status = status;
    run.processed = if status == RunStatus::Completed { summary.total } else { run.processed };
    if !runs::finish(db, run.id, owner, status, failure, now).await? {
        tracing::warn!("another runner took this run over; it records the end");
        return Ok(());
    }
    runs::progress(db, run.id, run.processed, run.total, &summary).await?;
    let job_status = JobStatus::after_run(run.mode, status);
    jobs::set_status(db, run.job_id, job_status, failure, now).await?;
    let seconds = run.started_at.map(|s| (now - s).num_milliseconds() as f64 / 1000.0).unwrap_or(0.0);
    crate::metrics::run_finished(run.mode.code(), status.code(), seconds);
    let job = jobs::get(db, run.job_id).await?;
    app.events.run_changed(&job, run, "finished", now);
    tracing::info!(status = status.code(), total = summary.total, errors = summary.error, conflicts = summary.conflict, "run finished");
    Ok(())
}
