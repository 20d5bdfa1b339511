//! R-IMP-11..14: the sync applies the dry run's plan in batches, one transaction
//! per batch. Each applied row is recorded in the same transaction, so after a
//! crash the resumed sync skips it: nothing is applied twice, nothing half.

use std::collections::HashMap;

use roster_domain::import::{Event, RowPlan, Summary};
use roster_persistence::ConnectionTrait;
use roster_persistence::repo::audit::{self, AuditEntry};
use roster_persistence::repo::codec::employee_to_json;
use roster_persistence::repo::imports::{applied, jobs, plans};
use roster_persistence::repo::{companies, employees, grants};
use uuid::Uuid;

use super::control::{Next, RunControl};
use super::runner::Ending;
use crate::error::{ApiError, Result};
use crate::services::{begin, commit};

pub async fn execute(ctl: &mut RunControl) -> Result<Ending> {
    let app = ctl.app.clone();
    let db = &app.db.conn;
    let plan_run = ctl.run.plan_run_id.ok_or_else(|| ApiError::Internal("a sync without a dry run to apply".into()))?;
    let job = jobs::get(db, ctl.run.job_id).await?;
    let company = companies::get(db, job.company_id).await?;
    let today = company.today(app.clock.now());
    let (mut summary, mut processed, mut after) = (Summary::default(), 0u64, 0u32);
    loop {
        let batch = plans::page(db, plan_run, after, app.imports.runner.batch_size, false).await?;
        let (Some(first), Some(last)) = (batch.first(), batch.last()) else { break };
        let range = (first.row_number, last.row_number);
        after = last.row_number;
        let mut outcomes: HashMap<u32, String> =
            applied::in_range(db, ctl.run.id, range.0, range.1).await?.into_iter().map(|(r, o)| (r, o.outcome)).collect();
        let pending: Vec<&RowPlan> =
            batch.iter().filter(|p| p.event.changes_directory() && !outcomes.contains_key(&p.row_number)).collect();
        if !pending.is_empty() {
            let txn = begin(&app).await?;
            for plan in pending {
                let outcome = apply(&txn, ctl, job.company_id, job.id, today, plan).await?;
                outcomes.insert(plan.row_number, outcome.code().to_string());
            }
            commit(txn).await?;
        }
        for plan in &batch {
            let event = outcomes.get(&plan.row_number).and_then(|o| Event::parse(o)).unwrap_or(plan.event);
            summary.add(event);
        }
        processed += batch.len() as u64;
        match ctl.checkpoint("applying", processed, &summary).await? {
            Next::Continue => {}
            Next::Cancel => return Ok(Ending::Cancelled(summary)),
            Next::Leave => return Ok(Ending::Left),
        }
    }
    Ok(Ending::Completed(summary))
}

/// Applies one planned row inside the batch's transaction, or records a conflict.
async fn apply(
    db: &impl ConnectionTrait,
    ctl: &RunControl,
    company_id: Uuid,
    job_id: Uuid,
    today: chrono::NaiveDate,
    plan: &RowPlan,
) -> Result<Event> {
    let now = ctl.app.clock.now();
    let Some(target) = plan.target.as_ref() else {
        return Err(ApiError::Internal(format!("row {} has no planned employee", plan.row_number)));
    };
    let conflict = |detail: String| async move {
        applied::record(db, ctl.run.id, plan.row_number, Event::Conflict.code(), Some(detail)).await?;
        Ok::<Event, ApiError>(Event::Conflict)
    };
    let before = match plan.event {
        Event::Onboarding => {
            if employees::find_by_email(db, company_id, &target.email).await?.is_some() {
                return conflict(format!("{} was added by someone else after the dry run; run a fresh dry run", target.email)).await;
            }
            employees::insert(db, target, now).await?;
            let due: Vec<_> = plan.budgets.iter().filter(|g| g.granted_on <= today).cloned().collect();
            grants::grant(db, company_id, target.id, &due, now).await?;
            None
        }
        _ => {
            let current = employees::find(db, company_id, target.id).await?;
            let Some(current) = current.filter(|c| Some(c.employee.version) == plan.seen_version) else {
                return conflict(format!("{} changed after the dry run; run a fresh dry run", target.email)).await;
            };
            employees::update(db, target, current.employee.version, now).await?;
            Some(current.employee)
        }
    };
    audit::record(
        db,
        &AuditEntry {
            company_id,
            actor: ctl.run.started_by.clone(),
            action: format!("import.{}", plan.event.code().to_lowercase()),
            employee_id: Some(target.id),
            job_id: Some(job_id),
            row_number: Some(plan.row_number as i32),
            before: before.as_ref().map(employee_to_json),
            after: Some(employee_to_json(target)),
            at: now,
        },
    )
    .await?;
    applied::record(db, ctl.run.id, plan.row_number, plan.event.code(), None).await?;
    Ok(plan.event)
}
