//! Employees one by one: create, change, offboard, enable or disable login. Every
//! change is audited with who, before and after, and announced (R-WH-2), in the
//! same transaction.

use chrono::NaiveDate;
use roster_domain::{ChangeSource, Company, Employee, EmployeeChanges, EmployeeDraft, LoginState, RuleContext, budget};
use roster_persistence::repo::audit::{self, AuditEntry};
use roster_persistence::repo::codec::employee_to_json;
use roster_persistence::repo::employees::{self, EmployeeFilter, Page, StoredEmployee};
use roster_persistence::repo::{companies, grants, groups, policies};
use roster_persistence::{ConnectionTrait, RepoError};
use uuid::Uuid;

use super::{begin, commit};
use crate::auth::{Caller, Permission};
use crate::error::{ApiError, Result, UserError};
use crate::state::AppState;
use crate::webhooks::events::{employee_data, grant_data};
use crate::webhooks::{EventType, Outbox};

/// The company and its today, loaded for a use case (R-TEN-2).
async fn company_today(app: &AppState, company_id: Uuid) -> Result<(Company, NaiveDate)> {
    let company = companies::get(&app.db.read, company_id).await?;
    let today = company.today(app.clock.now());
    Ok((company, today))
}

/// The company's today for a read: its time zone as this replica remembers it.
async fn today_for_reads(app: &AppState, company_id: Uuid) -> Result<NaiveDate> {
    let zone = app.companies.time_zone(&app.db.read, company_id).await?.ok_or(RepoError::NotFound)?;
    Ok(zone.today(app.clock.now()))
}

async fn known_groups(app: &AppState, company_id: Uuid, group: Option<Uuid>) -> Result<Vec<Uuid>> {
    Ok(groups::existing_ids(&app.db.conn, company_id, &group.into_iter().collect::<Vec<_>>()).await?)
}

async fn audit_change(
    db: &impl ConnectionTrait,
    app: &AppState,
    caller: &Caller,
    action: &str,
    before: Option<&Employee>,
    after: &Employee,
) -> Result<()> {
    let entry = AuditEntry {
        company_id: after.company_id,
        actor: caller.subject.clone(),
        action: action.to_string(),
        employee_id: Some(after.id),
        job_id: None,
        row_number: None,
        before: before.map(employee_to_json),
        after: Some(employee_to_json(after)),
        at: app.clock.now(),
    };
    Ok(audit::record(db, &entry).await?)
}

/// R-IMP-4 and R-LOG-1 on creation; an onboarding today grants its budgets and
/// is announced now (R-BUD-2), so the lifecycle has nothing left to do for it.
pub async fn create(app: &AppState, caller: &Caller, draft: EmployeeDraft) -> Result<(StoredEmployee, NaiveDate)> {
    let company_id = caller.company_for(Permission::WriteDirectory)?;
    let (company, today) = company_today(app, company_id).await?;
    let known = known_groups(app, company_id, draft.company_group_id).await?;
    let ctx = RuleContext { today, default_language: company.default_language, group_exists: &|id| known.contains(&id) };
    let employee = draft
        .validate(&ctx)
        .map_err(|e| ApiError::from_domain(e, "input"))?
        .identify(Uuid::now_v7(), company_id, company.settings.send_invitations_on_create)
        .into_employee();
    let txn = begin(app).await?;
    let stored = insert_new(app, &txn, caller, &employee, today).await?;
    commit(txn).await?;
    app.wake.notify_one();
    Ok((stored, today))
}

/// Writes a new, valid employee in `txn`: the onboarding's budgets when it is
/// reached, the events and the audit entry.
pub(crate) async fn insert_new(
    app: &AppState,
    txn: &roster_persistence::DatabaseTransaction,
    caller: &Caller,
    employee: &Employee,
    today: NaiveDate,
) -> Result<StoredEmployee> {
    let (company_id, now) = (employee.company_id, app.clock.now());
    let mut outbox = Outbox::load(txn, company_id).await?;
    let stored = employees::insert(txn, employee, now, today).await?;
    outbox.emit(EventType::EmployeeCreated, now, || employee_data(&stored, today));
    if employee.login_state == LoginState::Invited {
        outbox.emit(EventType::EmployeeInvited, now, || employee_data(&stored, today));
    }
    if employee.onboarding_date <= today {
        let due = budget::onboarding_grants(&policies::list(txn, company_id).await?, employee.company_group_id, employee.onboarding_date);
        let due: Vec<_> = due.into_iter().map(|g| (employee.id, g)).collect();
        for (employee_id, grant) in grants::grant_many_returning(txn, company_id, &due, now).await? {
            outbox.emit(EventType::BudgetGranted, now, || grant_data(company_id, employee_id, &grant));
        }
        outbox.emit(EventType::EmployeeOnboarded, now, || employee_data(&stored, today));
    }
    audit_change(txn, app, caller, "employee.create", None, employee).await?;
    outbox.write(txn, now).await?;
    Ok(stored)
}

pub(crate) async fn load(app: &AppState, company_id: Uuid, id: Uuid) -> Result<StoredEmployee> {
    employees::find(&app.db.conn, company_id, id).await?.ok_or_else(|| ApiError::not_found("employee"))
}

/// Writes a changed employee with optimistic locking, an audit entry and its event.
pub(crate) async fn save(
    app: &AppState,
    caller: &Caller,
    action: &str,
    before: StoredEmployee,
    after: Employee,
    (event, today): (EventType, NaiveDate),
) -> Result<StoredEmployee> {
    if after == before.employee {
        return Ok(before);
    }
    let now = app.clock.now();
    let txn = begin(app).await?;
    let mut outbox = Outbox::load(&txn, after.company_id).await?;
    employees::update(&txn, &after, before.employee.version, now).await?;
    audit_change(&txn, app, caller, action, Some(&before.employee), &after).await?;
    let saved = StoredEmployee { employee: after, updated_at: now, ..before };
    outbox.emit(event, now, || employee_data(&saved, today));
    outbox.write(&txn, now).await?;
    commit(txn).await?;
    // A date moved to today is the lifecycle's to process now.
    app.wake.notify_one();
    Ok(saved)
}

/// R-EMP-4/5: a manual edit; only support may move a reached onboarding date.
pub async fn update(app: &AppState, caller: &Caller, id: Uuid, changes: EmployeeChanges) -> Result<(StoredEmployee, NaiveDate)> {
    let company_id = caller.company_for(Permission::WriteDirectory)?;
    let (company, today) = company_today(app, company_id).await?;
    let before = load(app, company_id, id).await?;
    let known = known_groups(app, company_id, changes.company_group_id.flatten()).await?;
    let ctx = RuleContext { today, default_language: company.default_language, group_exists: &|id| known.contains(&id) };
    let after = before
        .employee
        .apply(changes, ChangeSource::Manual { support: caller.is_support() }, &ctx)
        .map_err(|e| ApiError::from_domain(e, "input"))?;
    Ok((save(app, caller, "employee.update", before, after, (EventType::EmployeeUpdated, today)).await?, today))
}

pub async fn schedule_offboarding(
    app: &AppState,
    caller: &Caller,
    id: Uuid,
    date: Option<NaiveDate>,
) -> Result<(StoredEmployee, NaiveDate)> {
    let company_id = caller.company_for(Permission::WriteDirectory)?;
    let (_, today) = company_today(app, company_id).await?;
    let before = load(app, company_id, id).await?;
    let after = before.employee.schedule_offboarding(date, today).map_err(|e| ApiError::from_domain(e, "input"))?;
    let event = if after.offboarding_date.is_some() { EventType::EmployeeOffboardingScheduled } else { EventType::EmployeeUpdated };
    Ok((save(app, caller, "employee.offboarding", before, after, (event, today)).await?, today))
}

/// Most employees one `enableLogin` or `disableLogin` takes.
pub const MAX_LOGIN_IDS: usize = 1000;

/// Which way a bulk login change goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginChange {
    Enable,
    Disable,
}

/// R-LOG-1/7: enables or disables login for up to 1,000 employees. Each id that
/// cannot change (unknown, another company's — answered alike — or deactivated)
/// gets a user error; the others change, with an audit entry each. Enabling an
/// employee not invited before is an invitation (`employee.invited`).
pub async fn change_login(
    app: &AppState,
    caller: &Caller,
    ids: &[Uuid],
    change: LoginChange,
) -> Result<(Vec<StoredEmployee>, Vec<UserError>, NaiveDate)> {
    let company_id = caller.company_for(Permission::WriteDirectory)?;
    if ids.len() > MAX_LOGIN_IDS {
        return Err(ApiError::Invalid(vec![UserError {
            field: Some(vec!["employeeIds".into()]),
            message: format!("{} ids given; at most {MAX_LOGIN_IDS} at once", ids.len()),
            code: "TOO_MANY_IDS".into(),
        }]));
    }
    let (_, today) = company_today(app, company_id).await?;
    let found = employees::find_many(&app.db.conn, company_id, ids).await?;
    let mut errors = Vec::new();
    let mut changes = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (i, id) in ids.iter().enumerate() {
        if !seen.insert(*id) {
            continue;
        }
        let field = Some(vec!["employeeIds".to_string(), i.to_string()]);
        let Some(stored) = found.iter().find(|s| s.employee.id == *id) else {
            errors.push(UserError { field, message: format!("employee {id} not found"), code: "NOT_FOUND".into() });
            continue;
        };
        let changed = match change {
            LoginChange::Enable => stored.employee.enable_login(today),
            LoginChange::Disable => stored.employee.disable_login(today),
        };
        match changed {
            Ok(after) if after != stored.employee => changes.push((stored.clone(), after)),
            Ok(_) => {}
            Err(e) => errors.extend(e.violations().iter().map(|v| UserError {
                field: field.clone(),
                message: v.message.clone(),
                code: v.code.as_str().into(),
            })),
        }
    }
    if changes.is_empty() {
        return Ok((Vec::new(), errors, today));
    }
    let now = app.clock.now();
    let action = if change == LoginChange::Enable { "employee.enable_login" } else { "employee.disable_login" };
    let txn = begin(app).await?;
    let mut outbox = Outbox::load(&txn, company_id).await?;
    let mut saved = Vec::with_capacity(changes.len());
    for (before, after) in changes {
        employees::update(&txn, &after, before.employee.version, now).await?;
        audit_change(&txn, app, caller, action, Some(&before.employee), &after).await?;
        let invited = before.employee.login_state == LoginState::NotInvited && after.login_state == LoginState::Enabled;
        let stored = StoredEmployee { employee: after, updated_at: now, ..before };
        outbox.emit(EventType::EmployeeUpdated, now, || employee_data(&stored, today));
        if invited {
            outbox.emit(EventType::EmployeeInvited, now, || employee_data(&stored, today));
        }
        saved.push(stored);
    }
    outbox.write(&txn, now).await?;
    commit(txn).await?;
    Ok((saved, errors, today))
}

pub enum Lookup {
    Id(Uuid),
    Email(String),
}

/// One employee by id or e-mail (R-EMP-1); another company's answers like none.
pub async fn find(app: &AppState, caller: &Caller, lookup: Lookup) -> Result<Option<(StoredEmployee, NaiveDate)>> {
    let company_id = caller.company_for(Permission::ReadDirectory)?;
    let today = today_for_reads(app, company_id).await?;
    let found = match lookup {
        Lookup::Id(id) => employees::find(&app.db.read, company_id, id).await?,
        Lookup::Email(raw) => match roster_domain::EmailAddress::parse(&raw) {
            Ok(email) => employees::find_by_email(&app.db.read, company_id, &email).await?,
            Err(_) => None,
        },
    };
    Ok(found.map(|s| (s, today)))
}

pub async fn page(
    app: &AppState,
    caller: &Caller,
    filter: &EmployeeFilter,
    page: (u64, Option<Uuid>),
    with_total: bool,
) -> Result<(Page<StoredEmployee>, NaiveDate)> {
    let company_id = caller.company_for(Permission::ReadDirectory)?;
    let today = today_for_reads(app, company_id).await?;
    Ok((employees::page(&app.db.read, company_id, filter, today, page, with_total).await?, today))
}
