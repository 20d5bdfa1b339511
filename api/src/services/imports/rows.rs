//! `ImportJob.rows`: before a dry run, the preview (R-IMP-9), planned page by
//! page; after it, the stored plans with their events, and a sync's outcomes.

use std::collections::BTreeMap;

use roster_domain::GrantDue;
use roster_domain::import::validate::row_email;
use roster_domain::import::{Event, JobStatus, RowIssue, RowPlan, RunMode, RunStatus, Severity};
use roster_persistence::repo::imports::jobs::StoredJob;
use roster_persistence::repo::imports::runs::{self, StoredRun};
use roster_persistence::repo::imports::{applied, plans, rows};
use uuid::Uuid;

use super::planning::{PlanningContext, plan_rows};
use crate::error::Result;
use crate::state::AppState;

/// One row as the API shows it.
pub struct RowView {
    pub row_number: u32,
    pub values: BTreeMap<String, String>,
    pub event: Option<Event>,
    pub issues: Vec<RowIssue>,
    pub budgets: Vec<GrantDue>,
    pub employee_id: Option<Uuid>,
}

impl RowView {
    fn from_plan(plan: RowPlan, with_event: bool) -> Self {
        Self {
            row_number: plan.row_number,
            values: plan.values,
            event: with_event.then_some(plan.event),
            issues: plan.issues,
            budgets: plan.budgets,
            employee_id: plan.employee_id,
        }
    }
}

/// The dry run whose plans the job shows, if its mapping has not changed since.
pub fn shown_dry_run(job: &StoredJob, runs: &[StoredRun]) -> Option<Uuid> {
    if matches!(job.status, JobStatus::Uploaded | JobStatus::Mapped | JobStatus::DryRunRunning) {
        return None;
    }
    runs.iter().rev().find(|r| r.mode == RunMode::DryRun && r.status == RunStatus::Completed).map(|r| r.id)
}

/// Rows of the sheet; `after` is the last row number already seen.
pub async fn rows_page(app: &AppState, job: &StoredJob, first: u64, after: u32, only_issues: bool) -> Result<(Vec<RowView>, bool, u64)> {
    let db = &app.db.conn;
    let all_runs = runs::for_job(db, job.id).await?;
    if let Some(dry_run) = shown_dry_run(job, &all_runs) {
        let total = plans::count(db, dry_run, only_issues).await?;
        let mut page = plans::page(db, dry_run, after, first + 1, only_issues).await?;
        let has_next = page.len() as u64 > first;
        page.truncate(first as usize);
        let sync = all_runs.iter().rev().find(|r| r.mode == RunMode::Sync && r.plan_run_id == Some(dry_run));
        let outcomes = match (sync, page.first(), page.last()) {
            (Some(sync), Some(a), Some(b)) => applied::in_range(db, sync.id, a.row_number, b.row_number).await?,
            _ => Default::default(),
        };
        let views = page
            .into_iter()
            .map(|plan| {
                let outcome = outcomes.get(&plan.row_number).cloned();
                let mut view = RowView::from_plan(plan, true);
                if let Some(o) = outcome.filter(|o| o.outcome == Event::Conflict.code()) {
                    view.event = Some(Event::Conflict);
                    view.issues.push(conflict_issue(o.detail));
                }
                view
            })
            .collect();
        return Ok((views, has_next, total));
    }
    preview(app, job, first, after, only_issues).await
}

pub fn conflict_issue(detail: Option<String>) -> RowIssue {
    RowIssue {
        field: None,
        header: None,
        code: "CONFLICT".into(),
        message: detail.unwrap_or_else(|| "the employee changed after the dry run; run a fresh dry run".into()),
        severity: Severity::Error,
    }
}

const SCAN_BATCH: usize = 1000;

/// The preview: rows planned as a dry run would, without storing anything.
/// Duplicates on earlier pages are found through the rows' staged duplicate markers.
async fn preview(app: &AppState, job: &StoredJob, first: u64, after: u32, only_issues: bool) -> Result<(Vec<RowView>, bool, u64)> {
    let db = &app.db.conn;
    let ctx = PlanningContext::load(db, job, app.clock.now()).await?;
    if !only_issues {
        let staged = rows::page(db, job.id, after, first + 1).await?;
        let has_next = staged.len() as u64 > first;
        let staged: Vec<_> = staged.into_iter().take(first as usize).collect();
        let plans = plan_page(app, &ctx, staged).await?;
        return Ok((plans.into_iter().map(|p| RowView::from_plan(p, false)).collect(), has_next, job.row_count));
    }
    // Rows with issues only: the whole sheet is planned, in batches, to count them.
    let (mut found, mut total, mut has_next) = (Vec::new(), 0u64, false);
    let mut planner = ctx.planner();
    let mut staged_rows = rows::StagedReader::new(job.id);
    loop {
        let staged = staged_rows.next_batch(db, SCAN_BATCH).await?;
        if staged.is_empty() {
            break;
        }
        for plan in plan_rows(db, &ctx, &mut planner, staged).await? {
            if plan.issues.is_empty() {
                continue;
            }
            total += 1;
            if plan.row_number > after {
                if (found.len() as u64) < first {
                    found.push(RowView::from_plan(plan, false));
                } else {
                    has_next = true;
                }
            }
        }
    }
    Ok((found, has_next, total))
}

/// Plans one page, seeding the planner with e-mails first seen on earlier rows.
async fn plan_page(app: &AppState, ctx: &PlanningContext, staged: Vec<rows::StagedRow>) -> Result<Vec<RowPlan>> {
    let Some(first_row) = staged.first().map(|r| r.row_number) else { return Ok(Vec::new()) };
    let mut planner = ctx.planner();
    for row in &staged {
        if let Some(first) = row.duplicate_of.filter(|first| *first < first_row)
            && let Some(email) = row_email(&row.cells, &ctx.mapping)
        {
            planner.mark_seen(email, first);
        }
    }
    plan_rows(&app.db.conn, ctx, &mut planner, staged).await
}
