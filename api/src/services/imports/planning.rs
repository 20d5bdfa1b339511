//! Planning staged rows in batches: shared by the preview and the dry run, so
//! both show exactly the same events and issues.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use chrono::NaiveDate;
use roster_domain::import::validate::{parse_row, row_email};
use roster_domain::import::{ColumnMapping, GroupIndex, Planner, RowPlan};
use roster_domain::{BudgetPolicy, Company, EmailAddress, Employee};
use roster_persistence::repo::imports::jobs::StoredJob;
use roster_persistence::repo::imports::rows::{StagedReader, StagedRow};
use roster_persistence::repo::{companies, employees, groups, policies};
use roster_persistence::{ConnectionTrait, DatabaseConnection};
use tokio::sync::mpsc;
use uuid::Uuid;

use crate::error::{ApiError, Result};

/// Everything planning a job's rows needs, loaded once per run or request.
pub struct PlanningContext {
    pub company: Company,
    pub today: NaiveDate,
    pub groups: GroupIndex,
    pub policies: Vec<BudgetPolicy>,
    pub mapping: Vec<ColumnMapping>,
}

impl PlanningContext {
    pub async fn load(db: &impl ConnectionTrait, job: &StoredJob, now: chrono::DateTime<chrono::Utc>) -> Result<Self> {
        let company = companies::get(db, job.company_id).await?;
        let today = company.today(now);
        let groups = GroupIndex::new(groups::list(db, job.company_id).await?.into_iter().map(|g| (g.id, g.name.as_str().to_string())));
        let policies = policies::list(db, job.company_id).await?;
        Ok(Self { company, today, groups, policies, mapping: job.mapping() })
    }

    pub fn planner(&self) -> Planner<'_> {
        Planner::new(
            self.today,
            self.company.id,
            self.company.default_language,
            self.company.settings.send_invitations_on_create,
            &self.policies,
            &self.groups,
        )
    }
}

/// The employees a batch's e-mails name, found at once.
pub async fn existing_employees(db: &impl ConnectionTrait, ctx: &PlanningContext, rows: &[StagedRow]) -> Result<Existing> {
    let emails: Vec<EmailAddress> = rows.iter().filter_map(|r| row_email(&r.cells, &ctx.mapping)).collect();
    Ok(employees::find_by_emails(db, ctx.company.id, &emails).await?.into_iter().map(|s| (s.employee.email.clone(), s.employee)).collect())
}

/// Employees by e-mail, as `existing_employees` finds them.
pub type Existing = HashMap<EmailAddress, Employee>;

/// Plans a batch against the employees found for it (CPU only: no database).
pub fn plan_batch(ctx: &PlanningContext, planner: &mut Planner<'_>, rows: Vec<StagedRow>, existing: &Existing) -> Vec<RowPlan> {
    rows.iter()
        .map(|r| {
            let row = parse_row(r.row_number, &r.cells, &ctx.mapping, &ctx.groups);
            let current = row.email.as_ref().and_then(|e| existing.get(e));
            planner.plan(row, current, Uuid::now_v7())
        })
        .collect()
}

/// Plans a job's staged rows after row `after`, in sheet order. Each batch is read
/// and its employees looked up while the batch before is planned on a blocking
/// thread; there `each` turns a planned batch into what the caller receives. The
/// caller ends the scan early by dropping the receiver; the future (to be awaited
/// beside the receiving) feeds the planner and fails if reading or planning failed.
pub fn plan_staged<'a, T: Send + 'static>(
    db: &'a DatabaseConnection,
    ctx: Arc<PlanningContext>,
    job_id: Uuid,
    after: u32,
    batch_size: usize,
    mut each: impl FnMut(Vec<RowPlan>) -> Option<T> + Send + 'static,
) -> (mpsc::Receiver<T>, impl Future<Output = Result<()>> + Send + 'a) {
    let (to_planner, mut planner_inbox) = mpsc::channel::<(Vec<StagedRow>, Existing)>(2);
    let (to_caller, planned) = mpsc::channel::<T>(2);
    let planner = tokio::task::spawn_blocking({
        let ctx = ctx.clone();
        move || {
            let mut planner = ctx.planner();
            while let Some((rows, existing)) = planner_inbox.blocking_recv() {
                seed_rows_before(&ctx, &mut planner, &rows, after);
                let Some(out) = each(plan_batch(&ctx, &mut planner, rows, &existing)) else { continue };
                if to_caller.blocking_send(out).is_err() {
                    return;
                }
            }
        }
    });
    let feed = async move {
        let mut staged = StagedReader::new(job_id, after);
        loop {
            let rows = staged.next_batch(db, batch_size.max(1)).await?;
            if rows.is_empty() {
                break;
            }
            let existing = existing_employees(db, &ctx, &rows).await?;
            if to_planner.send((rows, existing)).await.is_err() {
                // The caller stopped receiving.
                break;
            }
        }
        drop(to_planner);
        planner.await.map_err(|e| ApiError::Internal(format!("the planner stopped: {e}")))
    };
    (planned, feed)
}

/// R-IMP-13 for a scan that starts mid-sheet: e-mails first seen before it come
/// from the rows' staged duplicate markers.
fn seed_rows_before(ctx: &PlanningContext, planner: &mut Planner<'_>, rows: &[StagedRow], after: u32) {
    for row in rows {
        if let Some(first) = row.duplicate_of.filter(|first| *first <= after)
            && let Some(email) = row_email(&row.cells, &ctx.mapping)
        {
            planner.mark_seen(email, first);
        }
    }
}
