//! "Invite via HR" (R-HRIS-3) and linking by hand (R-HRIS-2), both read from
//! the latest fetched snapshot: the HR records that are not invited yet — with
//! the group each would join and whether its team is mapped — and the invitation
//! of those records, creating the employee when no sync has created it yet.

use std::collections::HashSet;
use std::ops::ControlFlow;

use chrono::NaiveDate;
use roster_domain::hris::HrEmployee;
use roster_domain::import::{Event, ImportSource, Planner, Severity, SourceRecord, Standing};
use roster_domain::{CompanyGroup, EmployeeStatus, GroupName, LoginState};
use roster_persistence::ConnectionTrait;
use roster_persistence::repo::employees::StoredEmployee;
use roster_persistence::repo::imports::jobs;
use roster_persistence::repo::imports::rows::StagedReader;
use roster_persistence::repo::writes::WriteBatch;
use roster_persistence::repo::{employees as employee_repo, groups, hris};
use uuid::Uuid;

use crate::auth::{Caller, Permission};
use crate::error::{ApiError, Result, UserError};
use crate::jobs::sync::{note_cost_center, note_group};
use crate::services::employees::{self, LoginChange, MAX_LOGIN_IDS};
use crate::services::imports::planning::{PlanningContext, existing_employees};
use crate::services::{begin, commit};
use crate::state::AppState;
use crate::webhooks::EventType;

/// An HR record of the latest snapshot that nobody has invited yet.
pub struct ToInvite {
    pub row_number: u32,
    pub hr: HrEmployee,
    /// The group it would join through the team mapping.
    pub group: Option<CompanyGroup>,
    pub team_unmapped: bool,
    /// The employee a sync created for it, if one did.
    pub employee_id: Option<Uuid>,
    record: SourceRecord,
}

/// What narrows the list.
#[derive(Debug, Default)]
pub struct ToInviteFilter {
    pub team: Option<String>,
    pub cost_center: Option<String>,
}

impl ToInviteFilter {
    fn admits(&self, hr: &HrEmployee) -> bool {
        let same = |want: &Option<String>, have: Option<&str>| {
            want.as_deref().is_none_or(|w| have.is_some_and(|h| h.trim().eq_ignore_ascii_case(w.trim())))
        };
        same(&self.team, hr.team_name()) && same(&self.cost_center, hr.cost_center.as_deref())
    }
}

/// Records per database read while scanning a snapshot.
const SCAN_BATCH: usize = 1000;

/// The latest snapshot's planning context, when a sync has fetched one.
async fn latest_snapshot(app: &AppState, company_id: Uuid) -> Result<Option<(PlanningContext, Uuid)>> {
    let Some(job_id) = hris::find(&app.db.read, company_id).await?.and_then(|c| c.snapshot_job_id) else { return Ok(None) };
    let Some(job) = jobs::find(&app.db.read, company_id, job_id).await? else { return Ok(None) };
    Ok(Some((PlanningContext::load(&app.db.read, &job, app.clock.now()).await?, job_id)))
}

/// Every record of the snapshot after row `after_row` that is to invite, in
/// snapshot order, until `each` breaks: active, synced (not filtered out),
/// readable, and with no employee or one that is neither invited nor deactivated.
async fn scan_to_invite(
    app: &AppState,
    ctx: &PlanningContext,
    (job_id, after_row): (Uuid, u32),
    mut each: impl FnMut(ToInvite) -> ControlFlow<()>,
) -> Result<()> {
    let reading = ctx.reading().ok_or_else(|| ApiError::Internal("an HR snapshot without its settings".into()))?;
    let mut staged = StagedReader::new(job_id, after_row);
    // A first page needs few records: read small batches until the page is full.
    let mut batch = SCAN_BATCH / 10;
    loop {
        let rows = staged.next_batch(&app.db.read, batch).await?;
        batch = SCAN_BATCH;
        if rows.is_empty() {
            return Ok(());
        }
        let existing = existing_employees(&app.db.read, ctx, &rows).await?;
        for row in &rows {
            let hr = HrEmployee::from_cells(&row.cells);
            let record = reading.read(row.row_number, &hr);
            let readable = !record.issues.iter().any(|i| i.severity == Severity::Error);
            // A record whose last day has passed is leaving, not to invite.
            let leaving = record.offboarding_date.is_some_and(|d| d <= ctx.today);
            if record.standing != Standing::Active || !readable || leaving {
                continue;
            }
            let employee = existing.matching(&record);
            if employee.is_some_and(|e| e.login_state != LoginState::NotInvited || e.status(ctx.today) == EmployeeStatus::Deactivated) {
                continue;
            }
            let group = record.fields.company_group_id.flatten().and_then(|id| {
                let name = GroupName::parse(ctx.groups.name_of(id)?).ok()?;
                Some(CompanyGroup { id, company_id: ctx.company.id, name })
            });
            let team_unmapped = record.issues.iter().any(|i| i.code == "UNMAPPED_TEAM");
            let candidate = ToInvite { row_number: row.row_number, hr, group, team_unmapped, employee_id: employee.map(|e| e.id), record };
            if each(candidate).is_break() {
                return Ok(());
            }
        }
    }
}

/// A page of the list after snapshot row `after`, whether more follow, and how
/// many match in all when that was asked for.
pub struct ToInvitePage {
    pub items: Vec<ToInvite>,
    pub employees: Vec<StoredEmployee>,
    pub has_next_page: bool,
    pub total_count: Option<u64>,
    pub today: NaiveDate,
}

pub async fn to_invite(
    app: &AppState,
    caller: &Caller,
    filter: &ToInviteFilter,
    (first, after): (u64, Option<u32>),
    with_total: bool,
) -> Result<ToInvitePage> {
    let company_id = caller.company_for(Permission::ReadDirectory)?;
    let Some((ctx, job_id)) = latest_snapshot(app, company_id).await? else {
        let today = roster_persistence::repo::companies::get(&app.db.read, company_id).await?.today(app.clock.now());
        let total_count = with_total.then_some(0);
        return Ok(ToInvitePage { items: Vec::new(), employees: Vec::new(), has_next_page: false, total_count, today });
    };
    // The total counts the whole snapshot; without it the scan starts at the
    // cursor and stops at the first record past the page.
    let start = if with_total { 0 } else { after.unwrap_or(0) };
    let (mut items, mut total_count, mut has_next_page) = (Vec::new(), 0u64, false);
    scan_to_invite(app, &ctx, (job_id, start), |candidate| {
        if !filter.admits(&candidate.hr) {
            return ControlFlow::Continue(());
        }
        total_count += 1;
        if after.is_some_and(|a| candidate.row_number <= a) {
            return ControlFlow::Continue(());
        }
        if items.len() < first as usize {
            items.push(candidate);
            return ControlFlow::Continue(());
        }
        has_next_page = true;
        if with_total { ControlFlow::Continue(()) } else { ControlFlow::Break(()) }
    })
    .await?;
    let ids: Vec<Uuid> = items.iter().filter_map(|i| i.employee_id).collect();
    let employees = employee_repo::find_many(&app.db.read, company_id, &ids).await?;
    Ok(ToInvitePage { items, employees, has_next_page, total_count: with_total.then_some(total_count), today: ctx.today })
}

/// R-HRIS-3: invites these HR records: the employee a sync created is invited;
/// a record no sync has created yet is created, invited, as the sync would
/// create it. Each id that is not to invite gets a user error; the rest go on.
pub async fn invite(app: &AppState, caller: &Caller, hris_ids: &[String]) -> Result<(Vec<StoredEmployee>, Vec<UserError>, NaiveDate)> {
    let company_id = caller.company_for(Permission::WriteDirectory)?;
    if hris_ids.len() > MAX_LOGIN_IDS {
        return Err(ApiError::Invalid(vec![UserError::new(
            &["hrisIds"],
            "TOO_MANY_IDS",
            format!("{} ids given; at most {MAX_LOGIN_IDS} at once", hris_ids.len()),
        )]));
    }
    let Some((ctx, job_id)) = latest_snapshot(app, company_id).await? else {
        return Err(ApiError::Invalid(vec![UserError::new(
            &["hrisIds"],
            "HRIS_NOT_SYNCED",
            "no HR sync has fetched the HR system yet; startHrisSync first",
        )]));
    };
    let wanted: HashSet<&str> = hris_ids.iter().map(|id| id.trim()).collect();
    let mut found = Vec::new();
    scan_to_invite(app, &ctx, (job_id, 0), |candidate| {
        if wanted.contains(candidate.hr.id.as_str()) {
            found.push(candidate);
        }
        ControlFlow::Continue(())
    })
    .await?;
    let mut errors = Vec::new();
    for (i, id) in hris_ids.iter().enumerate() {
        if !found.iter().any(|c| c.hr.id == id.trim()) {
            errors.push(UserError::new(
                &["hrisIds", &i.to_string()],
                "NOT_FOUND",
                format!(
                    "HR record {} is not in the latest sync, or is not to invite (already invited, inactive or filtered out)",
                    id.trim()
                ),
            ));
        }
    }
    let (created, existing): (Vec<ToInvite>, Vec<ToInvite>) = found.into_iter().partition(|c| c.employee_id.is_none());
    let mut invited = Vec::new();
    let ids: Vec<Uuid> = existing.iter().filter_map(|c| c.employee_id).collect();
    if !ids.is_empty() {
        let (enabled, login_errors, _) = employees::change_login(app, caller, &ids, LoginChange::Enable).await?;
        invited.extend(enabled);
        errors.extend(login_errors.into_iter().map(|e| on_hris_id(e, &existing, hris_ids)));
    }
    let (created, refused) = create_invited(app, caller, &ctx, created).await?;
    invited.extend(created);
    errors.extend(refused);
    Ok((invited, errors, ctx.today))
}

/// `change_login` names the employee by its place in the ids it was given; the
/// caller of `inviteFromHris` gave HR ids, so the error points at that one.
fn on_hris_id(mut error: UserError, existing: &[ToInvite], hris_ids: &[String]) -> UserError {
    let employee_index = error.field.as_ref().and_then(|f| f.get(1)).and_then(|i| i.parse::<usize>().ok());
    let input_index = employee_index.and_then(|i| existing.get(i)).and_then(|c| hris_ids.iter().position(|id| id.trim() == c.hr.id));
    error.field = Some(match input_index {
        Some(i) => vec!["hrisIds".to_string(), i.to_string()],
        None => vec!["hrisIds".to_string()],
    });
    error
}

/// Creates the employees of records no sync has created yet, invited, with the
/// cost centres and groups they name.
/// A record the planner does not onboard gets a user error with the plan's reason.
async fn create_invited(
    app: &AppState,
    caller: &Caller,
    ctx: &PlanningContext,
    records: Vec<ToInvite>,
) -> Result<(Vec<StoredEmployee>, Vec<UserError>)> {
    if records.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    let company = &ctx.company;
    let mut planner = Planner::new(ctx.today, company.id, company.default_language, true, &ctx.policies, &ctx.groups)
        .with_policy(ImportSource::Hris.policy());
    let (mut targets, mut refused) = (Vec::new(), Vec::new());
    for candidate in records {
        let hris_id = candidate.hr.id.clone();
        let plan = planner.plan(candidate.record, None, Uuid::now_v7());
        match (plan.event, plan.target.clone()) {
            (Event::Onboarding, Some(target)) => targets.push((target, plan)),
            _ => {
                let why = plan.issues.iter().map(|i| i.message.as_str()).collect::<Vec<_>>().join("; ");
                refused.push(UserError::new(&["hrisIds"], "NOT_INVITABLE", format!("HR record {hris_id} cannot be created: {why}")));
            }
        }
    }
    let (mut centres, mut new_groups) = (Vec::new(), Vec::new());
    for (target, plan) in &targets {
        note_cost_center(&mut centres, company.id, plan, target);
        note_group(&mut new_groups, company.id, plan, target);
    }
    let now = app.clock.now();
    let txn = begin(app).await?;
    let mut writes = WriteBatch::new(txn.get_database_backend());
    hris::create_cost_centers_into(&mut writes, company.id, &centres, now);
    groups::create_missing_into(&mut writes, &new_groups, now);
    writes.execute(&txn).await?;
    let mut created = Vec::with_capacity(targets.len());
    for (target, _) in &targets {
        created.push(employees::insert_new(app, &txn, caller, target, ctx.today).await?);
    }
    commit(txn).await?;
    app.wake.notify_one();
    Ok((created, refused))
}

/// R-HRIS-2: links an employee to an HR record of the latest snapshot by hand;
/// a record linked to another employee is refused.
pub async fn link(app: &AppState, caller: &Caller, employee_id: Uuid, hris_id: &str) -> Result<(StoredEmployee, NaiveDate)> {
    let company_id = caller.company_for(Permission::WriteDirectory)?;
    let hris_id = hris_id.trim();
    let before = employees::load(app, company_id, employee_id).await?;
    let after = before.employee.link_to_hr(hris_id).map_err(|e| ApiError::from_domain(e, "input"))?;
    let Some((ctx, job_id)) = latest_snapshot(app, company_id).await? else {
        return Err(ApiError::Invalid(vec![UserError::new(
            &["hrisId"],
            "HRIS_NOT_SYNCED",
            "no HR sync has fetched the HR system yet, so the HR id cannot be checked; startHrisSync first",
        )]));
    };
    if !snapshot_has(app, job_id, hris_id).await? {
        return Err(ApiError::Invalid(vec![UserError::new(
            &["hrisId"],
            "NOT_FOUND",
            format!("the latest HR sync has no record with id {hris_id}"),
        )]));
    }
    let linked = hris::employees_by_hris_ids(&app.db.conn, company_id, &[hris_id.to_string()]).await?;
    if let Some(other) = linked.iter().find(|s| s.employee.id != employee_id) {
        return Err(ApiError::Invalid(vec![UserError::new(
            &["hrisId"],
            "HRIS_ID_TAKEN",
            format!("HR record {hris_id} is linked to {}", other.employee.email),
        )]));
    }
    let saved = employees::save(app, caller, "employee.link_hris", before, after, (EventType::EmployeeUpdated, ctx.today)).await?;
    Ok((saved, ctx.today))
}

async fn snapshot_has(app: &AppState, job_id: Uuid, hris_id: &str) -> Result<bool> {
    let mut staged = StagedReader::new(job_id, 0);
    loop {
        let rows = staged.next_batch(&app.db.read, SCAN_BATCH).await?;
        if rows.is_empty() {
            return Ok(false);
        }
        if rows.iter().any(|r| HrEmployee::from_cells(&r.cells).id == hris_id) {
            return Ok(true);
        }
    }
}
