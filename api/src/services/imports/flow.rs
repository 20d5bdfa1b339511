//! The job's flow: mapping, dry run, sync, cancel (R-IMP-7, 10, 11, 15).

use chrono::{DateTime, Utc};
use roster_domain::import::mapping::confirm;
use roster_domain::import::{FieldKey, JobStatus, RunMode, RunStatus, StandardField, Summary};
use roster_persistence::repo::employees::Page;
use roster_persistence::repo::imports::jobs::{self, StoredColumn, StoredJob};
use roster_persistence::repo::imports::runs::{self, StoredRun};
use uuid::Uuid;

use super::not_allowed;
use crate::auth::{Caller, Permission};
use crate::error::{ApiError, Result, UserError};
use crate::state::AppState;

/// A job of the caller's company; another company's id is "not found" (R-TEN-1).
pub async fn find_job(app: &AppState, caller: &Caller, job_id: Uuid) -> Result<Option<StoredJob>> {
    let company_id = caller.company_for(Permission::ReadTasks)?;
    Ok(jobs::find(&app.db.read, company_id, job_id).await?)
}

async fn job_for_write(app: &AppState, caller: &Caller, job_id: Uuid) -> Result<StoredJob> {
    let company_id = caller.company_for(Permission::WriteImports)?;
    jobs::find(&app.db.conn, company_id, job_id).await?.ok_or_else(|| ApiError::not_found("import job"))
}

pub async fn jobs_page(
    app: &AppState,
    caller: &Caller,
    status: Option<JobStatus>,
    source: Option<roster_domain::import::ImportSource>,
    page: (u64, Option<Uuid>),
    with_total: bool,
) -> Result<Page<StoredJob>> {
    let company_id = caller.company_for(Permission::ReadTasks)?;
    Ok(jobs::list(&app.db.read, company_id, status, source, page, with_total).await?)
}

pub async fn runs_of(app: &AppState, job: &StoredJob) -> Result<Vec<StoredRun>> {
    Ok(runs::for_job(&app.db.read, job.id).await?)
}

pub(super) fn email_column(columns: &[StoredColumn]) -> Option<usize> {
    columns.iter().find(|c| c.mapping.field == Some(FieldKey::Standard(StandardField::Email))).map(|c| c.mapping.index)
}

/// R-IMP-7: the admin's mapping; custom columns only map when chosen here.
pub async fn confirm_mapping(app: &AppState, caller: &Caller, job_id: Uuid, choices: Vec<(i64, Option<String>)>) -> Result<StoredJob> {
    let mut job = job_for_write(app, caller, job_id).await?;
    let next_status = job.status.confirm_mapping().map_err(not_allowed)?;
    let mapping = confirm(&job.mapping(), &choices).map_err(|errors| {
        ApiError::Invalid(
            errors
                .into_iter()
                .map(|e| UserError {
                    field: Some(match e.choice {
                        Some(i) => vec!["mapping".into(), i.to_string()],
                        None => vec!["mapping".into()],
                    }),
                    message: e.message,
                    code: "INVALID_MAPPING".into(),
                })
                .collect(),
        )
    })?;
    let before = email_column(&job.columns);
    for (column, mapped) in job.columns.iter_mut().zip(mapping) {
        column.mapping = mapped;
    }
    let now = app.clock.now();
    let txn = crate::services::begin(app).await?;
    if email_column(&job.columns) != before {
        super::duplicates::remark(&txn, job.id, email_column(&job.columns)).await?;
    }
    jobs::set_columns(&txn, job.id, &job.columns, next_status, now).await?;
    crate::services::commit(txn).await?;
    job.status = next_status;
    job.updated_at = now;
    app.events.job_changed(&job);
    Ok(job)
}

/// A run of the job, queued now.
pub(crate) fn new_run(job: &StoredJob, mode: RunMode, started_by: &str, plan_run_id: Option<Uuid>, now: DateTime<Utc>) -> StoredRun {
    StoredRun {
        id: Uuid::now_v7(),
        job_id: job.id,
        company_id: job.company_id,
        mode,
        status: RunStatus::Queued,
        started_by: started_by.to_string(),
        queued_at: now,
        started_at: None,
        finished_at: None,
        processed: 0,
        total: job.row_count,
        summary: Summary::default(),
        failure_reason: None,
        plan_run_id,
        cancel_requested: false,
    }
}

async fn queue_run(
    app: &AppState,
    started_by: &str,
    job: &mut StoredJob,
    mode: RunMode,
    next: JobStatus,
    plan_run_id: Option<Uuid>,
) -> Result<()> {
    let now = app.clock.now();
    let run = new_run(job, mode, started_by, plan_run_id, now);
    let txn = crate::services::begin(app).await?;
    if !jobs::transition(&txn, job.id, job.status, next, now).await? {
        return Err(ApiError::Conflict("the job changed while this request ran; read it again".into()));
    }
    runs::insert(&txn, &run).await?;
    crate::services::commit(txn).await?;
    job.status = next;
    job.updated_at = now;
    tracing::info!(job_id = %job.id, run_id = %run.id, mode = mode.code(), "run queued");
    app.wake.notify_one();
    app.events.job_changed(job);
    app.events.run_changed(job, &run, "queued", app.clock.now());
    Ok(())
}

/// R-IMP-10: queues a dry run; the request returns at once.
pub async fn start_dry_run(app: &AppState, caller: &Caller, job_id: Uuid) -> Result<StoredJob> {
    let mut job = job_for_write(app, caller, job_id).await?;
    let next = job.status.start_dry_run().map_err(not_allowed)?;
    queue_run(app, &caller.subject, &mut job, RunMode::DryRun, next, None).await?;
    Ok(job)
}

/// R-IMP-11: queues the sync of exactly the latest completed dry run's plan.
pub async fn confirm_sync(app: &AppState, caller: &Caller, job_id: Uuid) -> Result<StoredJob> {
    let mut job = job_for_write(app, caller, job_id).await?;
    let next = job.status.confirm_sync().map_err(not_allowed)?;
    let dry_run = runs::for_job(&app.db.conn, job.id)
        .await?
        .into_iter()
        .rev()
        .find(|r| r.mode == RunMode::DryRun && r.status == RunStatus::Completed)
        .ok_or_else(|| ApiError::Invalid(vec![UserError::new(&["jobId"], "INVALID_STATE", "the job has no completed dry run to apply")]))?;
    queue_run(app, &caller.subject, &mut job, RunMode::Sync, next, Some(dry_run.id)).await?;
    Ok(job)
}

/// R-IMP-15: cancels a queued or running run (a running sync stops at a batch
/// boundary; what it applied stays applied) and ends the job.
pub async fn cancel(app: &AppState, caller: &Caller, job_id: Uuid) -> Result<StoredJob> {
    let mut job = job_for_write(app, caller, job_id).await?;
    job.status.cancel().map_err(not_allowed)?;
    let now = app.clock.now();
    let unfinished = runs::unfinished_for_job(&app.db.conn, job.id).await?;
    for run in &unfinished {
        runs::request_cancel(&app.db.conn, run.id, now).await?;
    }
    let still_running = runs::unfinished_for_job(&app.db.conn, job.id).await?;
    if still_running.is_empty() {
        jobs::set_status(&app.db.conn, job.id, JobStatus::Cancelled, None, now).await?;
        job.status = JobStatus::Cancelled;
        for run in unfinished {
            let ended = runs::get(&app.db.conn, run.id).await?;
            app.events.run_changed(&job, &ended, "cancelled", app.clock.now());
        }
    }
    job.updated_at = now;
    app.events.job_changed(&job);
    Ok(job)
}
