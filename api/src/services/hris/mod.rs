//! The HR connection (R-HRIS-1, R-HRIS-3, R-HRIS-6..8, R-HRIS-15) and the start
//! of a sync: an import job with source HRIS whose dry run first fetches the
//! snapshot (`fetch_snapshot`), then plans it like any import (R-HRIS-10).

pub mod invites;

use std::collections::HashMap;

use roster_domain::hris::{HR_COLUMNS, HrisSettings, daily};
use roster_domain::import::{ColumnMapping, ImportSource, JobStatus, RunMode};
use roster_domain::{DomainError, EmployeeStatus, GroupName, Violation};
use roster_persistence::repo::hris::{self, AssignedTo, FetchOutcome, StoredConnection};
use roster_persistence::repo::imports::jobs::{self, StoredColumn, StoredJob};
use roster_persistence::repo::imports::rows::{self, StagedRow};
use roster_persistence::repo::imports::runs::{self, StoredRun};
use roster_persistence::repo::{companies, employees, groups};
use serde_json::json;
use uuid::Uuid;

use super::imports::new_run;
use super::notifications::{self, Notice, kind};
use super::{begin, commit};
use crate::auth::{Caller, Permission};
use crate::error::{ApiError, Result, UserError};
use crate::hris::personio::{Credentials, NEEDED_ATTRIBUTES, PersonioClient};
use crate::hris::{HrAttributeInfo, HrisError};
use crate::state::AppState;
use crate::webhooks::{EventType, Outbox};

pub const PROVIDER_PERSONIO: &str = "PERSONIO";

/// The code of a sync refused because the enabling admin left (R-HRIS-15).
pub const OWNER_INACTIVE: &str = "HRIS_OWNER_INACTIVE";

fn hris_error(err: &HrisError, field: &str) -> ApiError {
    ApiError::Invalid(vec![UserError::new(&["input", field], err.code(), err.to_string())])
}

fn client(app: &AppState, credentials: Credentials) -> PersonioClient {
    PersonioClient::new(app.hris_client.clone(), &app.hris.personio_url, credentials, app.hris.retry)
}

fn client_of(app: &AppState, connection: &StoredConnection) -> Result<PersonioClient> {
    let client_secret =
        app.secrets.open(&connection.secret).map_err(|e| ApiError::Internal(format!("the HR secret cannot be opened: {e}")))?;
    Ok(client(app, Credentials { client_id: connection.client_id.clone(), client_secret }))
}

pub async fn connection(app: &AppState, caller: &Caller) -> Result<Option<StoredConnection>> {
    let company_id = caller.company_for(Permission::ReadTasks)?;
    Ok(hris::find(&app.db.read, company_id).await?)
}

async fn existing(app: &AppState, caller: &Caller) -> Result<StoredConnection> {
    let company_id = caller.company_for(Permission::ManageCompany)?;
    hris::find(&app.db.conn, company_id)
        .await?
        .ok_or_else(|| ApiError::Invalid(vec![UserError::new(&[], "HRIS_NOT_CONNECTED", "no HR system is connected; connectHris first")]))
}

/// R-HRIS-1: checks the credentials against the HR system, then stores them
/// sealed, with the caller as the enabling admin. Settings and team mappings of
/// an earlier connection are kept. The needed attributes the credential cannot
/// read are returned beside it.
pub async fn connect(app: &AppState, caller: &Caller, client_id: &str, client_secret: &str) -> Result<(StoredConnection, Vec<String>)> {
    let company_id = caller.company_for(Permission::ManageCompany)?;
    let (client_id, client_secret) = (client_id.trim(), client_secret.trim());
    let mut missing_input = Vec::new();
    for (field, value) in [("clientId", client_id), ("clientSecret", client_secret)] {
        if value.is_empty() {
            missing_input.push(UserError::new(&["input", field], "REQUIRED", format!("{field} is required")));
        }
    }
    if !missing_input.is_empty() {
        return Err(ApiError::Invalid(missing_input));
    }
    let personio = client(app, Credentials { client_id: client_id.to_string(), client_secret: client_secret.to_string() });
    personio.check().await.map_err(|e| hris_error(&e, "clientSecret"))?;
    let attributes = personio.attributes().await.map_err(|e| hris_error(&e, "clientSecret"))?;
    let readable: Vec<HrAttributeInfo> = attributes.unwrap_or_default();
    let missing: Vec<String> = NEEDED_ATTRIBUTES.iter().filter(|n| !readable.iter().any(|a| a.key == **n)).map(|n| n.to_string()).collect();
    let now = app.clock.now();
    let earlier = hris::find(&app.db.conn, company_id).await?;
    let sealed = app.secrets.seal(client_secret).map_err(|e| ApiError::Internal(format!("the HR secret cannot be sealed: {e}")))?;
    let connection = StoredConnection {
        id: Uuid::now_v7(),
        company_id,
        provider: PROVIDER_PERSONIO.into(),
        client_id: client_id.to_string(),
        secret: sealed,
        enabled_by: caller.subject.clone(),
        enabled_at: now,
        status: "ACTIVE".into(),
        last_error: None,
        last_sync_at: earlier.as_ref().and_then(|c| c.last_sync_at),
        last_auto_sync_on: earlier.as_ref().and_then(|c| c.last_auto_sync_on),
        settings: earlier.as_ref().map(|c| c.settings.clone()).unwrap_or_default(),
        team_mappings: earlier.as_ref().map(|c| c.team_mappings.clone()).unwrap_or_default(),
        teams: earlier.as_ref().map(|c| c.teams.clone()).unwrap_or_default(),
        available_attributes: readable.into_iter().map(|a| (a.key, a.label)).collect(),
        snapshot_job_id: earlier.as_ref().and_then(|c| c.snapshot_job_id),
    };
    hris::save(&app.db.conn, &connection, now).await?;
    tracing::info!(%company_id, missing = missing.len(), "HR system connected");
    Ok((connection, missing))
}

/// Changes the settings through `edit`, which refuses an invalid change with every violation.
pub async fn update_settings(
    app: &AppState,
    caller: &Caller,
    edit: impl FnOnce(&mut HrisSettings) -> std::result::Result<(), Vec<Violation>>,
) -> Result<StoredConnection> {
    let mut connection = existing(app, caller).await?;
    let was_automatic = connection.settings.auto_sync;
    edit(&mut connection.settings).map_err(|v| ApiError::from_domain(DomainError::Invalid(v), "input"))?;
    let now = app.clock.now();
    let txn = begin(app).await?;
    hris::save(&txn, &connection, now).await?;
    if connection.settings.auto_sync && !was_automatic {
        // Switched on: the first automatic sync is the next one to come, not one
        // for a time of day already past.
        let zone = companies::get(&txn, connection.company_id).await?.time_zone;
        let day = daily::latest_due_day(&connection.settings, &zone, now);
        hris::claim_auto_sync(&txn, connection.company_id, day).await?;
        connection.last_auto_sync_on = connection.last_auto_sync_on.max(Some(day));
    }
    commit(txn).await?;
    Ok(connection)
}

/// A team's mapping: to a group, to none, or to a new group named after it.
pub struct TeamMapping {
    pub team: String,
    pub group_id: Option<Uuid>,
    pub create_group: bool,
}

/// R-HRIS-6: one-to-one or many-to-one; a group may be created from a team.
pub async fn map_teams(app: &AppState, caller: &Caller, mappings: Vec<TeamMapping>) -> Result<StoredConnection> {
    let mut connection = existing(app, caller).await?;
    let company_id = connection.company_id;
    let known = groups::list(&app.db.conn, company_id).await?;
    let mut errors = Vec::new();
    let txn = begin(app).await?;
    for (i, m) in mappings.into_iter().enumerate() {
        let index = i.to_string();
        let team = m.team.trim().to_string();
        if team.is_empty() {
            errors.push(UserError::new(&["mappings", &index, "team"], "REQUIRED", "team is required"));
            continue;
        }
        let group = match (m.create_group, m.group_id) {
            (true, _) => {
                let name = GroupName::parse(&team).map_err(|e| ApiError::from_domain(e, "mappings"))?;
                match known.iter().find(|g| g.name.as_str().eq_ignore_ascii_case(name.as_str())) {
                    Some(g) => Some(g.id),
                    None => {
                        let group = roster_domain::CompanyGroup { id: Uuid::now_v7(), company_id, name };
                        groups::insert(&txn, &group, app.clock.now()).await?;
                        Some(group.id)
                    }
                }
            }
            (false, Some(id)) if known.iter().any(|g| g.id == id) => Some(id),
            (false, Some(_)) => {
                errors.push(UserError::new(&["mappings", &index, "companyGroupId"], "NOT_FOUND", "company group not found"));
                continue;
            }
            (false, None) => None,
        };
        connection.team_mappings.insert(team, group);
    }
    if !errors.is_empty() {
        return Err(ApiError::Invalid(errors));
    }
    hris::save(&txn, &connection, app.clock.now()).await?;
    commit(txn).await?;
    Ok(connection)
}

/// Ends the connection; employees and their HR links stay (R-HRIS-4).
pub async fn disconnect(app: &AppState, caller: &Caller) -> Result<()> {
    let company_id = caller.company_for(Permission::ManageCompany)?;
    hris::delete(&app.db.conn, company_id).await?;
    Ok(())
}

/// R-HRIS-10: a new import job with source HRIS and its dry run queued; the run
/// fetches the snapshot first.
pub async fn start_sync(app: &AppState, caller: &Caller) -> Result<StoredJob> {
    let connection = existing(app, caller).await?;
    let txn = begin(app).await?;
    let (job, run) = queue_sync_in(&txn, &connection, &caller.subject, false, app.clock.now()).await?;
    commit(txn).await?;
    announce_queued(app, &job, &run);
    Ok(job)
}

/// R-HRIS-10: the daily sync of `day`, claimed and queued in one transaction, so
/// that however many replicas try, exactly one job is queued for the day and a
/// crash leaves either both or neither. Its sync follows its dry run by itself,
/// started in the enabling admin's name (R-HRIS-1). `None`: the day was claimed.
pub async fn queue_daily_sync(app: &AppState, connection: &StoredConnection, day: chrono::NaiveDate) -> Result<Option<StoredJob>> {
    let txn = begin(app).await?;
    if !hris::claim_auto_sync(&txn, connection.company_id, day).await? {
        return Ok(None);
    }
    let (job, run) = queue_sync_in(&txn, connection, &connection.enabled_by, true, app.clock.now()).await?;
    commit(txn).await?;
    tracing::info!(company_id = %connection.company_id, %day, job_id = %job.id, "daily HR sync queued");
    announce_queued(app, &job, &run);
    Ok(Some(job))
}

async fn queue_sync_in(
    txn: &roster_persistence::DatabaseTransaction,
    connection: &StoredConnection,
    started_by: &str,
    apply_after_dry_run: bool,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(StoredJob, StoredRun)> {
    let columns = HR_COLUMNS
        .iter()
        .enumerate()
        .map(|(index, header)| StoredColumn {
            mapping: ColumnMapping { index, header: (*header).to_string(), field: None, auto: true },
            samples: Vec::new(),
        })
        .collect();
    let status = JobStatus::Mapped.start_dry_run().map_err(|e| ApiError::Conflict(e.to_string()))?;
    let job = StoredJob {
        id: Uuid::now_v7(),
        company_id: connection.company_id,
        source: ImportSource::Hris,
        status,
        file_name: Some(format!("{}-sync-{}.json", connection.provider.to_lowercase(), now.format("%Y%m%d-%H%M%S"))),
        sheet_name: None,
        created_by: started_by.to_string(),
        created_at: now,
        updated_at: now,
        row_count: 0,
        columns,
        failure_reason: None,
        apply_after_dry_run,
    };
    jobs::insert(txn, &job).await?;
    let run = new_run(&job, RunMode::DryRun, started_by, None, now);
    runs::insert(txn, &run).await?;
    Ok((job, run))
}

fn announce_queued(app: &AppState, job: &StoredJob, run: &StoredRun) {
    app.wake.notify_one();
    app.events.job_changed(job);
    app.events.run_changed(job, run, "queued", app.clock.now());
}

/// R-HRIS-10: when the next automatic sync runs, in the company's time zone.
pub async fn next_sync_at(app: &AppState, connection: &StoredConnection) -> Result<Option<chrono::DateTime<chrono::Utc>>> {
    if !connection.settings.auto_sync {
        return Ok(None);
    }
    let zone = companies::get(&app.db.read, connection.company_id).await?.time_zone;
    Ok(daily::next_at(&connection.settings, &zone, connection.last_auto_sync_on, app.clock.now()))
}

/// R-HRIS-15: the enabling admin is no longer active when the company's employee
/// with that e-mail (the token's subject) is deactivated.
async fn owner_active(app: &AppState, connection: &StoredConnection) -> Result<bool> {
    let company = companies::get(&app.db.conn, connection.company_id).await?;
    let Ok(email) = roster_domain::EmailAddress::parse(&connection.enabled_by) else { return Ok(true) };
    let owner = employees::find_by_email(&app.db.conn, connection.company_id, &email).await?;
    let today = company.today(app.clock.now());
    Ok(owner.is_none_or(|o| o.employee.status(today) != EmployeeStatus::Deactivated))
}

/// The dry run's first step: the snapshot fetched and staged as the job's rows,
/// replacing any a taken-over run left. A fetch that cannot complete fails the
/// run, marks the connection failing and tells the admins (`HRIS_SYNC_FAILED`,
/// `hris.sync_failed`); nothing in the directory changes (R-HRIS-14).
pub async fn fetch_snapshot(app: &AppState, job: &StoredJob, run_id: Uuid) -> Result<u64> {
    let connection = hris::find(&app.db.conn, job.company_id)
        .await?
        .ok_or_else(|| fetch_failed("HRIS_NOT_CONNECTED", "the HR system was disconnected"))?;
    let fetched = if owner_active(app, &connection).await? {
        client_of(app, &connection)?.employees(connection.settings.phone_attribute.as_deref()).await.map_err(|e| (e.code(), e.to_string()))
    } else {
        Err((
            OWNER_INACTIVE,
            format!("{} who enabled the HR connection is no longer active; another admin must connect it again", connection.enabled_by),
        ))
    };
    let now = app.clock.now();
    let employees = match fetched {
        Ok(employees) => employees,
        Err((code, message)) => {
            let txn = begin(app).await?;
            hris::record_fetch(&txn, job.company_id, FetchOutcome::Failed { code, message: &message }, now).await?;
            let mut outbox = Outbox::load(&txn, job.company_id).await?;
            let notice = Notice {
                kind: kind::HRIS_SYNC_FAILED,
                message: format!("The HR sync failed: {message}"),
                data: json!({ "jobId": job.id, "runId": run_id, "code": code, "message": message }),
            };
            notifications::record(&txn, &mut outbox, job.company_id, vec![notice], now).await?;
            outbox.emit(
                EventType::HrisSyncFailed,
                now,
                || json!({ "companyId": job.company_id, "jobId": job.id, "runId": run_id, "code": code, "message": message }),
            );
            outbox.write(&txn, now).await?;
            commit(txn).await?;
            return Err(fetch_failed(code, &message));
        }
    };
    rows::delete(&app.db.conn, job.id).await?;
    let mut teams: HashMap<String, u64> = HashMap::new();
    for e in &employees {
        if let Some(team) = e.team_name() {
            *teams.entry(team.to_string()).or_default() += 1;
        }
    }
    for (chunk_index, chunk) in employees.chunks(1000).enumerate() {
        let staged: Vec<StagedRow> = chunk
            .iter()
            .enumerate()
            .map(|(i, e)| StagedRow { row_number: (chunk_index * 1000 + i + 1) as u32, duplicate_of: None, cells: e.to_cells() })
            .collect();
        rows::insert_chunk(&app.db.conn, job.id, &staged).await?;
    }
    let count = employees.len() as u64;
    jobs::set_row_count(&app.db.conn, job.id, count, now).await?;
    let mut teams: Vec<(String, u64)> = teams.into_iter().collect();
    teams.sort();
    hris::record_fetch(&app.db.conn, job.company_id, FetchOutcome::Fetched { job_id: job.id, teams: &teams }, now).await?;
    tracing::info!(job_id = %job.id, employees = count, "HR snapshot fetched");
    Ok(count)
}

fn fetch_failed(code: &str, message: &str) -> ApiError {
    ApiError::Invalid(vec![UserError::new(&[], code, format!("{code}: {message}"))])
}

/// The company's cost centres (created by syncs, R-HRIS-7) with their employee counts.
pub async fn cost_centers(app: &AppState, caller: &Caller) -> Result<Vec<(Uuid, String, i32)>> {
    let company_id = caller.company_for(Permission::ReadDirectory)?;
    let counts = hris::counts_by(&app.db.read, company_id, AssignedTo::CostCenter).await?;
    Ok(named(hris::cost_centers(&app.db.read, company_id).await?, &counts))
}

/// The company's legal entities, which HR subcompanies match by exact name (R-HRIS-16).
pub async fn legal_entities(app: &AppState, caller: &Caller) -> Result<Vec<(Uuid, String, i32)>> {
    let company_id = caller.company_for(Permission::ReadDirectory)?;
    let counts = hris::counts_by(&app.db.read, company_id, AssignedTo::LegalEntity).await?;
    Ok(named(hris::legal_entities(&app.db.read, company_id).await?, &counts))
}

fn named(by_name: HashMap<String, Uuid>, counts: &HashMap<Uuid, u64>) -> Vec<(Uuid, String, i32)> {
    let mut list: Vec<_> =
        by_name.into_iter().map(|(name, id)| (id, name, counts.get(&id).copied().unwrap_or(0).min(i32::MAX as u64) as i32)).collect();
    list.sort_by(|a, b| a.1.cmp(&b.1));
    list
}

pub async fn create_legal_entity(app: &AppState, caller: &Caller, name: &str) -> Result<(Uuid, String)> {
    let company_id = caller.company_for(Permission::WriteDirectory)?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(ApiError::Invalid(vec![UserError::new(
            &["input", "name"],
            "INVALID_VALUE",
            "a legal entity's name has 1 to 200 characters",
        )]));
    }
    if hris::legal_entities(&app.db.conn, company_id).await?.contains_key(name) {
        return Err(ApiError::Invalid(vec![UserError::new(
            &["input", "name"],
            "DUPLICATE_NAME",
            format!("a legal entity named '{name}' exists"),
        )]));
    }
    let id = hris::create_legal_entity(&app.db.conn, company_id, name, app.clock.now()).await?;
    Ok((id, name.to_string()))
}
