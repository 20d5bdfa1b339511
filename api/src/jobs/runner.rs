//! Import runs as the runner's work: claimed from the database queue, executed
//! with a renewed lease, and on shutdown left at a batch boundary for another
//! runner to resume.

use roster_domain::import::{JobStatus, RunMode, RunStatus, Summary};
use roster_persistence::repo::imports::jobs;
use roster_persistence::repo::imports::runs::{self, StoredRun};
use tokio::sync::watch;
use uuid::Uuid;

use super::control::RunControl;
use super::{dry_run, sync};
use roster_persistence::DatabaseTransaction;
use roster_persistence::repo::imports::runs::summary_json;
use serde_json::json;

use crate::error::{ApiError, Result};
use crate::events::{JobEvent, progress_of};
use crate::runner::lease::{self, Heartbeat};
use crate::runner::{Claimed, Runner};
use crate::services::notifications::{self, Notice, kind};
use crate::services::{begin, commit};
use crate::state::AppState;
use crate::webhooks::{EventType, Outbox};

/// How a run's execution ended.
pub enum Ending {
    Completed(Summary),
    Cancelled(Summary),
    /// Shutdown or a lost lease: the run stays for another runner.
    Left,
}

/// Claims the oldest queued run, or one whose lease expired.
pub async fn claim(runner: &Runner) -> Result<Option<Claimed>> {
    let app = &runner.app;
    let lease = (app.clock.wall(), lease::lease_until(app));
    let Some(run) = runs::claim(&app.db.conn, &runner.owner, lease, app.clock.now()).await? else {
        return Ok(None);
    };
    let span = tracing::info_span!("run", job_id = %run.job_id, run_id = %run.id, mode = run.mode.code());
    Ok(Some(Claimed { id: run.id, span, execution: Box::pin(execute(app.clone(), run, runner.owner.clone(), runner.shutdown.clone())) }))
}

async fn execute(app: AppState, run: StoredRun, owner: String, shutdown: watch::Receiver<bool>) {
    tracing::info!("run started");
    let heartbeat = {
        let (db, id, owner) = (app.db.conn.clone(), run.id, owner.clone());
        Heartbeat::start(&app, format!("run {id}"), move |until| {
            let (db, owner) = (db.clone(), owner.clone());
            async move { matches!(runs::renew_lease(&db, id, &owner, until).await, Ok(true)) }
        })
    };
    let mut ctl = RunControl::new(app.clone(), run.clone(), shutdown, heartbeat.lost_flag());
    ctl.run.status = RunStatus::Running;
    app.events.publish(JobEvent::Progress(progress_of(&ctl.run, "started", app.clock.now())));
    let result = match run.mode {
        RunMode::DryRun => dry_run::execute(&mut ctl).await,
        RunMode::Sync => sync::execute(&mut ctl).await,
    };
    drop(heartbeat);
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

/// `import.dry_run_completed` or `import.sync_completed`, and for a sync that
/// created employees one `EMPLOYEES_ADDED` (R-LOG-4), with the run's end.
async fn announce_completion(txn: &DatabaseTransaction, run: &StoredRun, app: &AppState) -> Result<()> {
    let now = app.clock.now();
    let mut outbox = Outbox::load(txn, run.company_id, &app.clock).await?;
    let data = || json!({ "companyId": run.company_id, "jobId": run.job_id, "runId": run.id, "summary": summary_json(&run.summary) });
    match run.mode {
        RunMode::DryRun => outbox.emit(EventType::ImportDryRunCompleted, now, data),
        RunMode::Sync => {
            outbox.emit(EventType::ImportSyncCompleted, now, data);
            let added = run.summary.onboarding;
            if added > 0 {
                let notice = Notice {
                    kind: kind::EMPLOYEES_ADDED,
                    message: format!("{added} employee(s) added by an import"),
                    data: json!({ "jobId": run.job_id, "runId": run.id, "count": added, "source": "FILE" }),
                };
                notifications::record(txn, &mut outbox, run.company_id, vec![notice], now).await?;
            }
        }
    }
    Ok(outbox.write(txn, now).await?)
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
) -> Result<()> {
    let now = app.clock.now();
    run.summary = summary;
    run.status = status;
    run.processed = if status == RunStatus::Completed { summary.total } else { run.processed };
    let txn = begin(app).await?;
    if !runs::finish(&txn, run.id, owner, status, failure, now).await? {
        tracing::warn!("another runner took this run over; it records the end");
        return Ok(());
    }
    runs::progress(&txn, run.id, run.processed, run.total, &summary).await?;
    let job_status = JobStatus::after_run(run.mode, status);
    jobs::set_status(&txn, run.job_id, job_status, failure, now).await?;
    if status == RunStatus::Completed {
        announce_completion(&txn, run, app).await?;
    }
    commit(txn).await?;
    let db = &app.db.conn;
    let seconds = run.started_at.map(|s| (now - s).num_milliseconds() as f64 / 1000.0).unwrap_or(0.0);
    crate::metrics::run_finished(run.mode.code(), status.code(), seconds);
    let job = jobs::get(db, run.job_id).await?;
    app.events.run_changed(&job, run, "finished", now);
    tracing::info!(status = status.code(), total = summary.total, errors = summary.error, conflicts = summary.conflict, "run finished");
    Ok(())
}
