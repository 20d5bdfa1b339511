//! R-IMP-10: the dry run plans every row and stores the plans; nothing else changes.
//! Three stages overlap: reading staged rows and looking their employees up,
//! planning and encoding on a blocking thread, storing chunks and checkpointing.

use std::sync::Arc;

use roster_domain::import::{Event, Summary};
use roster_persistence::repo::imports::plans::EncodedPlans;
use roster_persistence::repo::imports::rows::{StagedReader, StagedRow};
use roster_persistence::repo::imports::{jobs, plans};
use tokio::sync::mpsc;

use super::control::{Next, RunControl};
use super::runner::Ending;
use crate::error::{ApiError, Result};
use crate::services::imports::planning::{Existing, PlanningContext, existing_employees, plan_batch};

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
    let runner = &app.imports.runner;
    let batch_size = usize::try_from(runner.batch_size.min(runner.plan_chunk_rows)).unwrap_or(usize::MAX).max(1);
    let (to_planner, mut planner_inbox) = mpsc::channel::<(Vec<StagedRow>, Existing)>(2);
    let (to_writer, mut writer_inbox) = mpsc::channel::<Planned>(2);

    let planner = tokio::task::spawn_blocking({
        let ctx = ctx.clone();
        move || {
            let mut planner = ctx.planner();
            while let Some((rows, existing)) = planner_inbox.blocking_recv() {
                let batch = plan_batch(&ctx, &mut planner, rows, &existing);
                let Some(chunk) = EncodedPlans::of(&batch) else { continue };
                let events = batch.iter().map(|p| p.event).collect();
                if to_writer.blocking_send(Planned { chunk, events }).is_err() {
                    return;
                }
            }
        }
    });
    let reader = async move {
        let mut staged = StagedReader::new(job.id);
        loop {
            let rows = staged.next_batch(db, batch_size).await?;
            if rows.is_empty() {
                return Ok::<_, ApiError>(());
            }
            let existing = existing_employees(db, &ctx, &rows).await?;
            if to_planner.send((rows, existing)).await.is_err() {
                // The writer stopped (cancelled, or leaving the run).
                return Ok(());
            }
        }
    };
    let run_id = ctl.run.id;
    let writer = async move {
        let (mut summary, mut processed) = (Summary::default(), 0u64);
        while let Some(planned) = writer_inbox.recv().await {
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
    let (read, ending) = tokio::join!(reader, writer);
    // Neither a failed read nor a failed planner may pass for a finished dry run.
    planner.await.map_err(|e| ApiError::Internal(format!("the planner stopped: {e}")))?;
    read?;
    ending
}
