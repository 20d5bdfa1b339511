//! R-IMP-11..14: the sync applies the dry run's plan in batches, one transaction
//! per batch. Each applied row is recorded in the same transaction, so after a
//! crash the resumed sync skips it: nothing is applied twice, nothing half.
//! Batches are the dry run's plan chunks; writes are multi-row statements.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use roster_domain::import::{Event, RowPlan, Summary};
use roster_domain::{EmailAddress, Employee};
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
        let batch = plans::next_chunk(db, plan_run, after, false).await?;
        let (Some(first), Some(last)) = (batch.first(), batch.last()) else { break };
        let range = (first.row_number, last.row_number);
        after = last.row_number;
        let mut outcomes: HashMap<u32, String> =
            applied::in_range(db, ctl.run.id, range.0, range.1).await?.into_iter().map(|(r, o)| (r, o.outcome)).collect();
        let pending: Vec<&RowPlan> =
            batch.iter().filter(|p| p.event.changes_directory() && !outcomes.contains_key(&p.row_number)).collect();
        if !pending.is_empty() {
            let txn = begin(&app).await?;
            let recorded = apply_batch(&txn, ctl, job.company_id, job.id, today, range, &pending).await?;
            commit(txn).await?;
            outcomes.extend(recorded);
        }
        for plan in &batch {
            summary.add(outcomes.get(&plan.row_number).and_then(|o| Event::parse(o)).unwrap_or(plan.event));
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

fn target(plan: &RowPlan) -> Result<&Employee> {
    plan.target.as_ref().ok_or_else(|| ApiError::Internal(format!("row {} has no planned employee", plan.row_number)))
}

/// Applies a batch's pending rows inside its transaction; returns each row's outcome.
async fn apply_batch(
    db: &impl ConnectionTrait,
    ctl: &RunControl,
    company_id: Uuid,
    job_id: Uuid,
    today: NaiveDate,
    chunk: (u32, u32),
    pending: &[&RowPlan],
) -> Result<HashMap<u32, String>> {
    let now = ctl.app.clock.now();
    let mut records: Vec<(u32, String, Option<String>)> = Vec::with_capacity(pending.len());
    let mut audit_entries = Vec::with_capacity(pending.len());
    let mut audit = |plan: &RowPlan, before: Option<&Employee>, after: &Employee| {
        audit_entries.push(AuditEntry {
            company_id,
            actor: ctl.run.started_by.clone(),
            action: format!("import.{}", plan.event.code().to_lowercase()),
            employee_id: Some(after.id),
            job_id: Some(job_id),
            row_number: Some(plan.row_number as i32),
            before: before.map(employee_to_json),
            after: Some(employee_to_json(after)),
            at: now,
        });
    };

    // One lookup each for the batch's onboardings (a taken e-mail is a conflict)
    // and its updates and offboardings (applied only to the version the dry run saw).
    let (onboardings, changes): (Vec<&RowPlan>, Vec<&RowPlan>) = pending.iter().copied().partition(|p| p.event == Event::Onboarding);
    let emails: Vec<EmailAddress> = onboardings.iter().map(|p| target(p).map(|t| t.email.clone())).collect::<Result<_>>()?;
    let ids: Vec<Uuid> = changes.iter().map(|p| target(p).map(|t| t.id)).collect::<Result<_>>()?;
    let (taken, current) =
        tokio::try_join!(employees::find_by_emails(db, company_id, &emails), employees::find_many_for_update(db, company_id, &ids),)?;
    let taken: HashSet<EmailAddress> = taken.into_iter().map(|s| s.employee.email).collect();
    let current: HashMap<Uuid, (Employee, chrono::DateTime<chrono::Utc>)> =
        current.into_iter().map(|s| (s.employee.id, (s.employee, s.created_at))).collect();

    let mut new_employees = Vec::with_capacity(onboardings.len());
    let mut due = Vec::new();
    for plan in onboardings {
        let t = target(plan)?;
        if taken.contains(&t.email) {
            records.push((
                plan.row_number,
                Event::Conflict.code().into(),
                Some(format!("{} was added by someone else after the dry run; run a fresh dry run", t.email)),
            ));
            continue;
        }
        due.extend(plan.budgets.iter().filter(|g| g.granted_on <= today).map(|g| (t.id, g.clone())));
        audit(plan, None, t);
        records.push((plan.row_number, plan.event.code().into(), None));
        new_employees.push(t.clone());
    }
    let mut changed = Vec::with_capacity(changes.len());
    for plan in changes {
        let t = target(plan)?;
        match current.get(&t.id).filter(|(c, _)| Some(c.version) == plan.seen_version) {
            None => records.push((
                plan.row_number,
                Event::Conflict.code().into(),
                Some(format!("{} changed after the dry run; run a fresh dry run", t.email)),
            )),
            Some((before, created_at)) => {
                changed.push((t.clone(), *created_at));
                audit(plan, Some(before), t);
                records.push((plan.row_number, plan.event.code().into(), None));
            }
        }
    }
    // The writes are independent but for grants, which follow their employees; issued
    // together, one statement is built while the connection runs another.
    tokio::try_join!(
        async {
            employees::insert_many(db, &new_employees, now).await?;
            grants::grant_many(db, company_id, &due, now).await
        },
        employees::overwrite_many(db, &changed, now),
        audit::record_many(db, &audit_entries),
        applied::record_chunk(db, ctl.run.id, chunk, &records),
    )?;
    Ok(records.into_iter().map(|(row, outcome, _)| (row, outcome)).collect())
}
