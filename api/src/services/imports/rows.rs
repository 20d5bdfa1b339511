//! `ImportJob.rows`: before a dry run, the preview (R-IMP-9), planned page by
//! page; after it, the stored plans with their events, and a sync's outcomes.

use std::collections::BTreeMap;
use std::sync::Arc;

use roster_domain::GrantDue;
use roster_domain::import::{Event, JobStatus, RowIssue, RowPlan, RunMode, RunStatus, Severity};
use roster_persistence::repo::imports::jobs::StoredJob;
use roster_persistence::repo::imports::runs::{self, StoredRun};
use roster_persistence::repo::imports::{applied, plans};
use uuid::Uuid;

use super::planning::{PlanningContext, plan_staged};
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

/// Which rows a page shows: up to `first` after row `after`, all or only those
/// with issues; `with_total` when the caller wants them counted.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    pub first: u64,
    pub after: u32,
    pub only_issues: bool,
    pub with_total: bool,
}

/// Rows of the sheet, whether more follow, and how many there are (when `with_total`).
pub async fn rows_page(app: &AppState, job: &StoredJob, page: Page) -> Result<(Vec<RowView>, bool, u64)> {
    let db = &app.db.conn;
    let Page { first, after, only_issues, .. } = page;
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
    preview(app, job, page).await
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

/// The preview: rows planned as a dry run would, without storing anything, on a
/// blocking thread. A page plans only from `after` until it is full; rows with
/// issues are counted over the whole sheet only when `with_total` asks for it.
async fn preview(app: &AppState, job: &StoredJob, page: Page) -> Result<(Vec<RowView>, bool, u64)> {
    let db = &app.db.conn;
    let ctx = Arc::new(PlanningContext::load(db, job, app.clock.now()).await?);
    let Page { first, after, only_issues, with_total } = page;
    let counting = only_issues && with_total;
    let (start, batch) = match (counting, only_issues) {
        (true, _) => (0, SCAN_BATCH),
        (false, true) => (after, SCAN_BATCH),
        (false, false) => (after, first as usize + 1),
    };
    let (mut planned, feed) = plan_staged(db, ctx, job.id, start, batch, move |plans: Vec<RowPlan>| {
        Some(if only_issues { plans.into_iter().filter(|p| !p.issues.is_empty()).collect() } else { plans })
    });
    let collect = async move {
        let (mut views, mut has_next, mut shown) = (Vec::new(), false, 0u64);
        while let Some(plans) = planned.recv().await {
            for plan in plans {
                shown += 1;
                if plan.row_number <= after {
                    continue;
                }
                if (views.len() as u64) < first {
                    views.push(RowView::from_plan(plan, false));
                } else {
                    has_next = true;
                }
            }
            if has_next && !counting {
                break;
            }
        }
        (views, has_next, shown)
    };
    let (fed, (views, has_next, shown)) = tokio::join!(feed, collect);
    fed?;
    let total = if only_issues { shown } else { job.row_count };
    Ok((views, has_next, total))
}
