//! Planning staged rows in batches: shared by the preview and the dry run, so
//! both show exactly the same events and issues.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use chrono::NaiveDate;
use roster_domain::hris::{HrEmployee, HrReading, HrisSettings, InvitePolicy};
use roster_domain::import::validate::{parse_row, row_email};
use roster_domain::import::{ColumnMapping, GroupIndex, ImportSource, Planner, RowPlan, SourceRecord};
use roster_domain::{BudgetPolicy, Company, EmailAddress, Employee};
use roster_persistence::repo::hris;
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
    pub source: ImportSource,
    /// An HR job's connection settings and lookups.
    pub hr: Option<HrContext>,
}

/// What reading an HR snapshot needs, loaded once per run.
pub struct HrContext {
    pub settings: HrisSettings,
    pub team_groups: HashMap<String, Option<Uuid>>,
    pub cost_centers: HashMap<String, Uuid>,
    pub legal_entities: HashMap<String, Uuid>,
}

impl PlanningContext {
    pub async fn load(db: &impl ConnectionTrait, job: &StoredJob, now: chrono::DateTime<chrono::Utc>) -> Result<Self> {
        let company = companies::get(db, job.company_id).await?;
        let today = company.today(now);
        let mut groups = GroupIndex::new(groups::list(db, job.company_id).await?.into_iter().map(|g| (g.id, g.name.as_str().to_string())));
        let policies = policies::list(db, job.company_id).await?;
        let hr = match job.source {
            ImportSource::File => None,
            ImportSource::Hris => {
                let connection =
                    hris::find(db, job.company_id).await?.ok_or_else(|| ApiError::Conflict("the HR system was disconnected".into()))?;
                let cost_centers = hris::cost_centers(db, job.company_id).await?;
                let legal_entities = hris::legal_entities(db, job.company_id).await?;
                let named = cost_centers.iter().chain(&legal_entities).map(|(name, id)| (*id, name.clone()));
                groups = groups.naming(named.collect::<Vec<_>>());
                Some(HrContext { settings: connection.settings, team_groups: connection.team_mappings, cost_centers, legal_entities })
            }
        };
        Ok(Self { company, today, groups, policies, mapping: job.mapping(), source: job.source, hr })
    }

    pub fn planner(&self) -> Planner<'_> {
        let invites = match &self.hr {
            Some(hr) => hr.settings.invite_policy == InvitePolicy::AutoInvite,
            None => self.company.settings.send_invitations_on_create,
        };
        Planner::new(self.today, self.company.id, self.company.default_language, invites, &self.policies, &self.groups)
            .with_policy(self.source.policy())
    }

    pub(crate) fn reading(&self) -> Option<HrReading<'_>> {
        self.hr.as_ref().map(|hr| HrReading {
            company_id: self.company.id,
            settings: &hr.settings,
            team_groups: &hr.team_groups,
            groups: &self.groups,
            cost_centers: &hr.cost_centers,
            legal_entities: &hr.legal_entities,
        })
    }

    /// A staged row as its source's record: a sheet row through the mapping, or an HR record.
    fn record(&self, reading: Option<&HrReading<'_>>, row: &StagedRow) -> SourceRecord {
        match reading {
            Some(reading) => reading.read(row.row_number, &HrEmployee::from_cells(&row.cells)),
            None => parse_row(row.row_number, &row.cells, &self.mapping, &self.groups),
        }
    }
}

/// The employees a batch names, found at once: by e-mail, and for an HR
/// snapshot also by HR id (R-HRIS-2).
pub async fn existing_employees(db: &impl ConnectionTrait, ctx: &PlanningContext, rows: &[StagedRow]) -> Result<Existing> {
    let (emails, hris_ids): (Vec<EmailAddress>, Vec<String>) = match ctx.source {
        ImportSource::File => (rows.iter().filter_map(|r| row_email(&r.cells, &ctx.mapping)).collect(), Vec::new()),
        ImportSource::Hris => {
            let records: Vec<HrEmployee> = rows.iter().map(|r| HrEmployee::from_cells(&r.cells)).collect();
            let emails = records.iter().filter_map(|e| EmailAddress::parse(e.email.as_deref()?).ok()).collect();
            (emails, records.into_iter().map(|e| e.id).collect())
        }
    };
    let by_email =
        employees::find_by_emails(db, ctx.company.id, &emails).await?.into_iter().map(|s| (s.employee.email.clone(), s.employee)).collect();
    let by_external = hris::employees_by_hris_ids(db, ctx.company.id, &hris_ids)
        .await?
        .into_iter()
        .filter_map(|s| Some((s.employee.hr.hris_id.clone()?, s.employee)))
        .collect();
    Ok(Existing { by_email, by_external })
}

/// The employees `existing_employees` found.
#[derive(Default)]
pub struct Existing {
    pub by_email: HashMap<EmailAddress, Employee>,
    pub by_external: HashMap<String, Employee>,
}

impl Existing {
    /// R-HRIS-2: by the source's id first; then by e-mail, unless that employee is
    /// linked to another record of the source.
    pub(crate) fn matching(&self, record: &SourceRecord) -> Option<&Employee> {
        let linked = record.external_id.as_ref().and_then(|id| self.by_external.get(id));
        linked.or_else(|| {
            let by_email = record.email.as_ref().and_then(|e| self.by_email.get(e))?;
            (record.external_id.is_none() || by_email.hr.hris_id.is_none()).then_some(by_email)
        })
    }
}

/// Plans a batch against the employees found for it (CPU only: no database).
pub fn plan_batch(ctx: &PlanningContext, planner: &mut Planner<'_>, rows: Vec<StagedRow>, existing: &Existing) -> Vec<RowPlan> {
    let reading = ctx.reading();
    rows.iter()
        .map(|r| {
            let record = ctx.record(reading.as_ref(), r);
            let current = existing.matching(&record);
            planner.plan(record, current, Uuid::now_v7())
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
