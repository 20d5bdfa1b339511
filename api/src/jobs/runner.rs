//! Import runs as the runner's work: claimed from the database queue, executed
//! with a renewed lease, and on shutdown left at a batch boundary for another
//! runner to resume.

use roster_domain::import::{Event, ImportSource, JobStatus, RunMode, RunStatus, Summary};
use roster_persistence::repo::imports::runs::{self, StoredRun};
use roster_persistence::repo::imports::{jobs, plans};
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
use crate::services::imports::new_run;
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

/// `import.dry_run_completed`, and for a sync `import.sync_completed` (a file) or
/// `hris.sync_completed` (R-HRIS-10), with the notifications of R-LOG-4: one
/// `EMPLOYEES_ADDED` when it created employees and, for an HR sync, one
/// `UNMATCHED_EMPLOYEES` and an `EMAIL_DISCREPANCY` per differing e-mail.
async fn announce_completion(txn: &DatabaseTransaction, run: &StoredRun, source: ImportSource, app: &AppState) -> Result<()> {
    let now = app.clock.now();
    let mut outbox = Outbox::load(txn, run.company_id).await?;
    let data = || json!({ "companyId": run.company_id, "jobId": run.job_id, "runId": run.id, "summary": summary_json(&run.summary) });
    if run.mode == RunMode::DryRun {
        outbox.emit(EventType::ImportDryRunCompleted, now, data);
        return Ok(outbox.write(txn, now).await?);
    }
    let mut notices = Vec::new();
    let added = run.summary.onboarding;
    if added > 0 {
        let by = if source == ImportSource::Hris { "the HR sync" } else { "an import" };
        notices.push(Notice {
            kind: kind::EMPLOYEES_ADDED,
            message: format!("{added} employee(s) added by {by}"),
            data: json!({ "jobId": run.job_id, "runId": run.id, "count": added, "source": source.code() }),
        });
    }
    if source == ImportSource::Hris {
        outbox.emit(EventType::HrisSyncCompleted, now, data);
        notices.extend(hr_sync_notices(txn, run).await?);
    } else {
        outbox.emit(EventType::ImportSyncCompleted, now, data);
    }
    notifications::record(txn, &mut outbox, run.company_id, notices, now).await?;
    Ok(outbox.write(txn, now).await?)
}

/// The HR sync's notices, from the plan it applied: the unmatched employees in
/// one summary (R-HRIS-4) and each e-mail discrepancy (R-HRIS-5).
async fn hr_sync_notices(txn: &DatabaseTransaction, run: &StoredRun) -> Result<Vec<Notice>> {
    let Some(plan_run) = run.plan_run_id else { return Ok(Vec::new()) };
    let (mut notices, mut unmatched, mut after) = (Vec::new(), Vec::new(), 0u32);
    loop {
        let page = plans::page(txn, plan_run, after, 1000, false).await?;
        let Some(last) = page.last() else { break };
        after = last.row_number;
        for plan in &page {
            if plan.event == Event::Unmatched {
                unmatched.push(plan.values.get("email").cloned().unwrap_or_default());
            }
            if let Some(issue) = plan.issues.iter().find(|i| i.code == "EMAIL_DISCREPANCY") {
                notices.push(Notice {
                    kind: kind::EMAIL_DISCREPANCY,
                    message: issue.message.clone(),
                    data: json!({ "jobId": run.job_id, "employeeId": plan.employee_id, "hrisId": plan.values.get("hrisId"), "hrisEmail": plan.values.get("email") }),
                });
            }
        }
    }
    if !unmatched.is_empty() {
        notices.push(Notice {
            kind: kind::UNMATCHED_EMPLOYEES,
            message: format!("{} employee(s) have no record in the HR system; they were left as they are", unmatched.len()),
            data: json!({ "jobId": run.job_id, "runId": run.id, "count": unmatched.len(), "emails": unmatched.iter().take(100).collect::<Vec<_>>() }),
        });
    }
    Ok(notices)
}

/// R-HRIS-10: a job that applies its own dry run (the daily HR sync) gets its
/// sync queued in the transaction that completes the dry run, so a crash cannot
/// leave a completed dry run that nobody applies.
async fn apply_after_dry_run(
    txn: &DatabaseTransaction,
    mut job: jobs::StoredJob,
    run: &StoredRun,
    status: JobStatus,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Option<(jobs::StoredJob, StoredRun)>> {
    if run.mode != RunMode::DryRun || !job.apply_after_dry_run {
        return Ok(None);
    }
    let next = status.confirm_sync().map_err(|e| ApiError::Conflict(e.to_string()))?;
    let sync = new_run(&job, RunMode::Sync, &job.created_by, Some(run.id), now);
    jobs::transition(txn, job.id, status, next, now).await?;
    runs::insert(txn, &sync).await?;
    job.status = next;
    Ok(Some((job, sync)))
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
    let mut follow_up = None;
    if status == RunStatus::Completed {
        // One read of the job for both: what announces the run and whether its sync follows.
        let job = jobs::get(&txn, run.job_id).await?;
        announce_completion(&txn, run, job.source, app).await?;
        follow_up = apply_after_dry_run(&txn, job, run, job_status, now).await?;
    }
    commit(txn).await?;
    if let Some((job, sync)) = &follow_up {
        app.events.run_changed(job, sync, "queued", now);
    }
    // A sync may have set offboarding dates to today: the lifecycle acts on them now.
    app.wake.notify_one();
    let db = &app.db.conn;
    let seconds = run.started_at.map(|s| (now - s).num_milliseconds() as f64 / 1000.0).unwrap_or(0.0);
    crate::metrics::run_finished(run.mode.code(), status.code(), seconds);
    let job = jobs::get(db, run.job_id).await?;
    app.events.run_changed(&job, run, "finished", now);
    tracing::info!(status = status.code(), total = summary.total, errors = summary.error, conflicts = summary.conflict, "run finished");
    Ok(())
}
