//! Planning staged rows in batches: shared by the preview and the dry run, so
//! both show exactly the same events and issues.

use std::collections::HashMap;

use chrono::NaiveDate;
use roster_domain::import::validate::{parse_row, row_email};
use roster_domain::import::{ColumnMapping, GroupIndex, Planner, RowPlan};
use roster_domain::{BudgetPolicy, Company, EmailAddress, Employee};
use roster_persistence::ConnectionTrait;
use roster_persistence::repo::imports::jobs::StoredJob;
use roster_persistence::repo::imports::rows::StagedRow;
use roster_persistence::repo::{companies, employees, groups, policies};
use uuid::Uuid;

use crate::error::Result;

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

/// Plans a batch of rows in order, against the employees their e-mails name.
pub async fn plan_rows(
    db: &impl ConnectionTrait,
    ctx: &PlanningContext,
    planner: &mut Planner<'_>,
    rows: Vec<StagedRow>,
) -> Result<Vec<RowPlan>> {
    let existing = existing_employees(db, ctx, &rows).await?;
    Ok(plan_batch(ctx, planner, rows, &existing))
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
