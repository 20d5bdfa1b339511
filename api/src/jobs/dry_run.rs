//! R-IMP-10: the dry run plans every row and stores the plans; nothing else changes.
//! Three stages overlap: reading staged rows and looking their employees up,
//! planning and encoding on a blocking thread (`plan_staged`), storing chunks
//! and checkpointing.

use std::sync::Arc;

use roster_domain::import::{Event, Summary};
use roster_persistence::repo::imports::plans::EncodedPlans;
use roster_persistence::repo::imports::{jobs, plans};

use super::control::{Next, RunControl};
use super::runner::Ending;
use crate::error::{ApiError, Result};
use crate::services::imports::planning::{PlanningContext, plan_staged};

/// A planned batch: its chunk and each row's event.
struct Planned {
    chunk: EncodedPlans,
    events: Vec<Event>,
}

pub async fn execute(ctl: &mut RunControl) -> Result<Ending> {
    let app = ctl.app.clone();
    let db = &app.db.conn;
    let job = jobs::get(db, ctl.run.job_id).await?;
    // A dry run writes nothing but its plans, so a taken-over one starts again.
    plans::delete(db, ctl.run.id).await?;
    let ctx = Arc::new(PlanningContext::load(db, &job, app.clock.now()).await?);
    let runner = &app.runner;
    let batch_size = usize::try_from(runner.batch_size.min(runner.plan_chunk_rows)).unwrap_or(usize::MAX).max(1);
    let (mut planned, feed) = plan_staged(db, ctx, job.id, 0, batch_size, |batch| {
        let chunk = EncodedPlans::of(&batch)?;
        Some(Planned { chunk, events: batch.iter().map(|p| p.event).collect() })
    });
    let run_id = ctl.run.id;
    let writer = async move {
        let (mut summary, mut processed) = (Summary::default(), 0u64);
        while let Some(planned) = planned.recv().await {
            processed += planned.chunk.rows() as u64;
            plans::insert_encoded(db, run_id, planned.chunk).await?;
            for event in planned.events {
                summary.add(event);
            }
            match ctl.checkpoint("planning", processed, &summary).await? {
                Next::Continue => {}
                Next::Cancel => return Ok::<_, ApiError>(Ending::Cancelled(summary)),
                Next::Leave => return Ok(Ending::Left),
            }
        }
        Ok(Ending::Completed(summary))
    };
    let (fed, ending) = tokio::join!(feed, writer);
    // Neither a failed read nor a failed planner may pass for a finished dry run.
    fed?;
    ending
}
