//! R-IMP-10: the dry run plans every row and stores the plans; nothing else changes.

use roster_domain::import::Summary;
use roster_persistence::repo::imports::{jobs, plans, rows};

use super::control::{Next, RunControl};
use super::runner::Ending;
use crate::error::Result;
use crate::services::imports::planning::{PlanningContext, plan_rows};

pub async fn execute(ctl: &mut RunControl) -> Result<Ending> {
    let app = ctl.app.clone();
    let db = &app.db.conn;
    let job = jobs::get(db, ctl.run.job_id).await?;
    // A dry run writes nothing but its plans, so a taken-over one starts again.
    plans::delete(db, ctl.run.id).await?;
    let ctx = PlanningContext::load(db, &job, app.clock.now()).await?;
    let mut planner = ctx.planner();
    let (mut summary, mut processed) = (Summary::default(), 0u64);
    let mut staged_rows = rows::StagedReader::new(job.id);
    let batch_size = usize::try_from(app.imports.runner.batch_size).unwrap_or(usize::MAX).max(1);
    loop {
        let staged = staged_rows.next_batch(db, batch_size).await?;
        if staged.is_empty() {
            break;
        }
        let batch = plan_rows(db, &ctx, &mut planner, staged).await?;
        plans::insert_chunk(db, ctl.run.id, &batch).await?;
        for plan in &batch {
            summary.add(plan.event);
        }
        processed += batch.len() as u64;
        match ctl.checkpoint("planning", processed, &summary).await? {
            Next::Continue => {}
            Next::Cancel => return Ok(Ending::Cancelled(summary)),
            Next::Leave => return Ok(Ending::Left),
        }
    }
    Ok(Ending::Completed(summary))
}
