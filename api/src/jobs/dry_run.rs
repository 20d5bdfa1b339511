//! R-IMP-10: the dry run plans every row and stores the plans; nothing else changes.
//! Three stages overlap: reading staged rows and looking their employees up,
//! planning and encoding on a blocking thread (`plan_staged`), storing chunks
//! and checkpointing.

use std::sync::Arc;

use std::collections::HashSet;

use roster_domain::import::{Event, ImportSource, RowPlan, Summary};
use roster_persistence::DatabaseConnection;
use roster_persistence::repo::imports::plans::EncodedPlans;
use roster_persistence::repo::imports::{jobs, plans};
use uuid::Uuid;

use super::control::{Next, RunControl};
use super::runner::Ending;
use crate::error::{ApiError, Result};
use crate::services::hris;
use crate::services::imports::planning::{PlanningContext, plan_staged};

/// A planned batch: its chunk, each row's event and the employees it matched.
struct Planned {
    chunk: EncodedPlans,
    events: Vec<Event>,
    matched: Vec<Uuid>,
}

pub async fn execute(ctl: &mut RunControl) -> Result<Ending> {
    let app = ctl.app.clone();
    let db = &app.db.conn;
    let mut job = jobs::get(db, ctl.run.job_id).await?;
    // A dry run writes nothing but its plans, so a taken-over one starts again.
    plans::delete(db, ctl.run.id).await?;
    if job.source == ImportSource::Hris {
        ctl.run.total = hris::fetch_snapshot(&app, &job, ctl.run.id).await?;
        job = jobs::get(db, job.id).await?;
    }
    let ctx = Arc::new(PlanningContext::load(db, &job, app.clock.now()).await?);
    let unlisted = ctx.clone();
    let runner = &app.runner;
    let batch_size = usize::try_from(runner.batch_size.min(runner.plan_chunk_rows)).unwrap_or(usize::MAX).max(1);
    let (mut planned, feed) = plan_staged(db, ctx, job.id, 0, batch_size, |batch| {
        let chunk = EncodedPlans::of(&batch)?;
        let matched = batch.iter().filter_map(|p| p.employee_id).collect();
        Some(Planned { chunk, events: batch.iter().map(|p| p.event).collect(), matched })
    });
    let run_id = ctl.run.id;
    let (job_rows, lists_everyone) = (job.row_count, unlisted.source.policy().lists_everyone);
    let writer = async move {
        let (mut summary, mut processed, mut listed) = (Summary::default(), 0u64, HashSet::new());
        while let Some(planned) = planned.recv().await {
            processed += planned.chunk.rows() as u64;
            listed.extend(planned.matched);
            plans::insert_encoded(db, run_id, planned.chunk).await?;
            for event in planned.events {
                summary.add(event);
            }
            match ctl.checkpoint("planning", processed, &summary).await? {
                Next::Continue => {}
                Next::Cancel => return Ok::<_, ApiError>((Ending::Cancelled(summary), listed)),
                Next::Leave => return Ok((Ending::Left, listed)),
            }
        }
        Ok((Ending::Completed(summary), listed))
    };
    let (fed, ending) = tokio::join!(feed, writer);
    // Neither a failed read nor a failed planner may pass for a finished dry run.
    fed?;
    match ending? {
        (Ending::Completed(summary), listed) if lists_everyone => {
            plan_unlisted(db, &unlisted, run_id, job_rows, listed, summary).await.map(Ending::Completed)
        }
        (ending, _) => Ok(ending),
    }
}

/// R-HRIS-4/9: after a source that lists everyone, the employees it did not
/// list, planned as rows after its last: vanished ones deactivate, unlinked
/// ones are reported as unmatched.
async fn plan_unlisted(
    db: &DatabaseConnection,
    ctx: &PlanningContext,
    run_id: Uuid,
    last_row: u64,
    listed: HashSet<Uuid>,
    mut summary: Summary,
) -> Result<Summary> {
    let planner = ctx.planner();
    let everyone = roster_persistence::repo::hris::all_employees(db, ctx.company.id).await?;
    let mut row = u32::try_from(last_row).unwrap_or(u32::MAX);
    let plans: Vec<RowPlan> = everyone
        .iter()
        .filter(|s| !listed.contains(&s.employee.id))
        .filter_map(|s| {
            row = row.saturating_add(1);
            planner.plan_unlisted(&s.employee, row)
        })
        .collect();
    for chunk in plans.chunks(1000) {
        if let Some(encoded) = EncodedPlans::of(chunk) {
            plans::insert_encoded(db, run_id, encoded).await?;
        }
        for plan in chunk {
            summary.add(plan.event);
        }
    }
    Ok(summary)
}
