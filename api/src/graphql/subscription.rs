//! Subscriptions (R-IMP-15): live progress of one job, and every change to the
//! company's jobs. A subscriber first gets the current state; events follow as
//! runs publish them (throttled at the source, a few per second per run); the
//! final event of a run carries its final status; a stream ends with its job.

use async_graphql::{Context, Subscription};
use futures_util::Stream;
use roster_domain::import::RunStatus;
use roster_persistence::repo::imports::{jobs, runs};
use tokio::sync::broadcast::error::RecvError;
use uuid::Uuid;

use super::context;
use super::types::import::{ImportJob, ImportProgress};
use crate::auth::Permission;
use crate::error::{ApiError, Result};
use crate::events::JobEvent;
use crate::events::progress_of;

#[derive(Default)]
pub struct Subscription;

#[Subscription]
impl Subscription {
    /// Progress of one job's runs; the last event of a run has a final status.
    async fn import_job_progress(&self, ctx: &Context<'_>, job_id: Uuid) -> Result<impl Stream<Item = ImportProgress> + use<>> {
        let app = context::app(ctx)?.clone();
        let company_id = context::caller(ctx)?.company_for(Permission::ReadTasks)?;
        // Subscribe before reading the state, so no event falls between the two.
        let mut events = app.events.subscribe();
        let job = jobs::find(&app.db.conn, company_id, job_id).await?.ok_or_else(|| ApiError::not_found("import job"))?;
        let latest = runs::for_job(&app.db.conn, job_id).await?.pop();
        Ok(async_stream::stream! {
            if let Some(run) = latest {
                yield ImportProgress::from(progress_of(&run, "current", app.clock.now()));
            }
            if job.status.is_final() {
                return;
            }
            loop {
                match events.recv().await {
                    Ok(JobEvent::Progress(p)) if p.job_id == job_id && p.company_id == company_id => {
                        let run_ended = matches!(p.status, RunStatus::Completed | RunStatus::Failed | RunStatus::Cancelled);
                        yield ImportProgress::from(p);
                        if run_ended && job_finished(&app, company_id, job_id).await {
                            return;
                        }
                    }
                    Ok(_) => {}
                    Err(RecvError::Lagged(_)) => {}
                    Err(RecvError::Closed) => return,
                }
            }
        })
    }

    /// Every change to any job of the caller's company (for a live task overview).
    async fn import_job_updates(&self, ctx: &Context<'_>) -> Result<impl Stream<Item = ImportJob> + use<>> {
        let app = context::app(ctx)?.clone();
        let company_id = context::caller(ctx)?.company_for(Permission::ReadTasks)?;
        let mut events = app.events.subscribe();
        Ok(async_stream::stream! {
            loop {
                match events.recv().await {
                    Ok(JobEvent::Job { company_id: c, job_id }) if c == company_id => {
                        if let Ok(Some(job)) = jobs::find(&app.db.conn, company_id, job_id).await {
                            yield ImportJob(job);
                        }
                    }
                    Ok(_) | Err(RecvError::Lagged(_)) => {}
                    Err(RecvError::Closed) => return,
                }
            }
        })
    }
}

async fn job_finished(app: &crate::state::AppState, company_id: Uuid, job_id: Uuid) -> bool {
    matches!(jobs::find(&app.db.conn, company_id, job_id).await, Ok(Some(job)) if job.status.is_final())
}
