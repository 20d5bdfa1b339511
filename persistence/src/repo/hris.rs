//! The HR connection (R-HRIS-1): credentials (sealed by the caller), settings,
//! team mappings and what the latest sync saw; the company's cost centres and
//! legal entities; employees by their HR id.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use roster_domain::company::TimeZoneName;
use roster_domain::hris::{HrAttribute, HrisSettings, InvitePolicy};
use sea_orm::sea_query::{OnConflict, Query};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::{Value, json};
use uuid::Uuid;

use super::employees::{StoredEmployee, stored_from_model};
use super::stored;
use super::writes::WriteBatch;
use crate::entities::{company, cost_center, employee, hris_connection, legal_entity};
use crate::error::Result;

/// A company's HR connection as stored. `secret` is sealed; only the API opens it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredConnection {
    pub id: Uuid,
    pub company_id: Uuid,
    pub provider: String,
    pub client_id: String,
    pub secret: String,
    pub enabled_by: String,
    pub enabled_at: DateTime<Utc>,
    pub status: String,
    pub last_error: Option<(String, String)>,
    pub last_sync_at: Option<DateTime<Utc>>,
    pub last_auto_sync_on: Option<NaiveDate>,
    pub settings: HrisSettings,
    /// Team → group (`None`: explicitly mapped to none), as the admin set them.
    pub team_mappings: HashMap<String, Option<Uuid>>,
    /// Teams the latest sync saw, with their employee counts.
    pub teams: Vec<(String, u64)>,
    /// Key and label of each attribute the credential may read.
    pub available_attributes: Vec<(String, String)>,
    /// The import job whose staged rows are the latest fetched snapshot.
    pub snapshot_job_id: Option<Uuid>,
}

fn strings(v: &Value, key: &str) -> Vec<String> {
    v.get(key).and_then(Value::as_array).map(|a| a.iter().filter_map(|s| s.as_str().map(String::from)).collect()).unwrap_or_default()
}

pub fn settings_json(s: &HrisSettings) -> Value {
    json!({
        "invitePolicy": match s.invite_policy { InvitePolicy::AutoInvite => "AUTO_INVITE", InvitePolicy::NotifyOnly => "NOTIFY_ONLY" },
        "autoSync": s.auto_sync,
        "autoSyncTime": s.auto_sync_time.format("%H:%M").to_string(),
        "syncCostCenters": s.sync_cost_centers,
        "matchSubcompanies": s.match_subcompanies,
        "createGroupsFromTeams": s.create_groups_from_teams,
        "employmentTypes": s.employment_types,
        "costCenters": s.cost_centers,
        "subcompanies": s.subcompanies,
        "excludedHrisIds": s.excluded_hris_ids,
        "attributes": s.attributes.as_ref().map(|a| a.iter().map(|x| x.code()).collect::<Vec<_>>()),
        "phoneAttribute": s.phone_attribute,
    })
}

pub fn settings_from(v: &Value) -> HrisSettings {
    let defaults = HrisSettings::default();
    let flag = |key: &str, default: bool| v.get(key).and_then(Value::as_bool).unwrap_or(default);
    HrisSettings {
        invite_policy: match v.get("invitePolicy").and_then(Value::as_str) {
            Some("NOTIFY_ONLY") => InvitePolicy::NotifyOnly,
            _ => InvitePolicy::AutoInvite,
        },
        auto_sync: flag("autoSync", defaults.auto_sync),
        auto_sync_time: v
            .get("autoSyncTime")
            .and_then(Value::as_str)
            .and_then(|t| NaiveTime::parse_from_str(t, "%H:%M").ok())
            .unwrap_or(defaults.auto_sync_time),
        sync_cost_centers: flag("syncCostCenters", defaults.sync_cost_centers),
        match_subcompanies: flag("matchSubcompanies", defaults.match_subcompanies),
        create_groups_from_teams: flag("createGroupsFromTeams", defaults.create_groups_from_teams),
        employment_types: strings(v, "employmentTypes"),
        cost_centers: strings(v, "costCenters"),
        subcompanies: strings(v, "subcompanies"),
        excluded_hris_ids: strings(v, "excludedHrisIds"),
        attributes: v
            .get("attributes")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(|x| x.as_str().and_then(HrAttribute::parse)).collect()),
        phone_attribute: v.get("phoneAttribute").and_then(Value::as_str).map(String::from),
    }
}

fn to_stored(m: hris_connection::Model) -> StoredConnection {
    let pairs = |v: &Value, a: &str, b: &str| -> Vec<(Value, Value)> {
        v.as_array()
            .map(|l| l.iter().map(|x| (x.get(a).cloned().unwrap_or(Value::Null), x.get(b).cloned().unwrap_or(Value::Null))).collect())
            .unwrap_or_default()
    };
    StoredConnection {
        id: m.id,
        company_id: m.company_id,
        provider: m.provider,
        client_id: m.client_id,
        secret: m.secret,
        enabled_by: m.enabled_by,
        enabled_at: m.enabled_at,
        status: m.status,
        last_error: m.last_error_code.zip(m.last_error_message),
        last_sync_at: m.last_sync_at,
        last_auto_sync_on: m.last_auto_sync_on,
        settings: settings_from(&m.settings),
        team_mappings: pairs(&m.team_mappings, "team", "group")
            .into_iter()
            .filter_map(|(t, g)| Some((t.as_str()?.to_string(), g.as_str().and_then(|g| g.parse().ok()))))
            .collect(),
        teams: pairs(&m.teams, "name", "count").into_iter().filter_map(|(n, c)| Some((n.as_str()?.to_string(), c.as_u64()?))).collect(),
        available_attributes: pairs(&m.available_attributes, "key", "label")
            .into_iter()
            .filter_map(|(k, l)| Some((k.as_str()?.to_string(), l.as_str()?.to_string())))
            .collect(),
        snapshot_job_id: m.snapshot_job_id,
    }
}

fn mappings_json(m: &HashMap<String, Option<Uuid>>) -> Value {
    let mut teams: Vec<_> = m.iter().collect();
    teams.sort();
    Value::Array(teams.into_iter().map(|(t, g)| json!({"team": t, "group": g})).collect())
}

pub async fn find(db: &impl ConnectionTrait, company_id: Uuid) -> Result<Option<StoredConnection>> {
    Ok(hris_connection::Entity::find().filter(hris_connection::Column::CompanyId.eq(company_id)).one(db).await?.map(to_stored))
}

/// Every connection with its company's time zone, for the daily automatic
/// sync: two statements however many companies are connected.
pub async fn all_with_time_zones(db: &impl ConnectionTrait) -> Result<Vec<(StoredConnection, TimeZoneName)>> {
    let connections = hris_connection::Entity::find().order_by_asc(hris_connection::Column::CompanyId).all(db).await?;
    let connected = Query::select().column(hris_connection::Column::CompanyId).from(hris_connection::Entity).to_owned();
    let zones: HashMap<Uuid, String> = company::Entity::find()
        .select_only()
        .column(company::Column::Id)
        .column(company::Column::TimeZone)
        .filter(company::Column::Id.in_subquery(connected))
        .into_tuple::<(Uuid, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    connections
        .into_iter()
        .filter_map(|m| {
            let zone = zones.get(&m.company_id)?;
            Some(stored("company time zone", TimeZoneName::parse(zone)).map(|zone| (to_stored(m), zone)))
        })
        .collect()
}

/// Stores the connection, replacing the company's earlier one. What syncs
/// record (`record_fetch`, `claim_auto_sync`) is kept as it is in the database,
/// so a settings change read before a sync never undoes what the sync wrote.
pub async fn save(db: &impl ConnectionTrait, c: &StoredConnection, now: DateTime<Utc>) -> Result<()> {
    use hris_connection::Column as C;
    let row = hris_connection::ActiveModel {
        id: Set(c.id),
        company_id: Set(c.company_id),
        provider: Set(c.provider.clone()),
        client_id: Set(c.client_id.clone()),
        secret: Set(c.secret.clone()),
        enabled_by: Set(c.enabled_by.clone()),
        enabled_at: Set(c.enabled_at),
        status: Set(c.status.clone()),
        last_error_code: Set(c.last_error.as_ref().map(|e| e.0.clone())),
        last_error_message: Set(c.last_error.as_ref().map(|e| e.1.clone())),
        last_sync_at: Set(c.last_sync_at),
        last_auto_sync_on: Set(c.last_auto_sync_on),
        settings: Set(settings_json(&c.settings)),
        team_mappings: Set(mappings_json(&c.team_mappings)),
        teams: Set(teams_json(&c.teams)),
        available_attributes: Set(Value::Array(c.available_attributes.iter().map(|(k, l)| json!({"key": k, "label": l})).collect())),
        updated_at: Set(now),
        snapshot_job_id: Set(c.snapshot_job_id),
    };
    let replaced = [
        C::Id,
        C::Provider,
        C::ClientId,
        C::Secret,
        C::EnabledBy,
        C::EnabledAt,
        C::Status,
        C::LastErrorCode,
        C::LastErrorMessage,
        C::Settings,
        C::TeamMappings,
        C::AvailableAttributes,
        C::UpdatedAt,
    ];
    hris_connection::Entity::insert(row)
        .on_conflict(OnConflict::column(C::CompanyId).update_columns(replaced).to_owned())
        .exec_without_returning(db)
        .await?;
    Ok(())
}

fn teams_json(teams: &[(String, u64)]) -> Value {
    Value::Array(teams.iter().map(|(n, count)| json!({"name": n, "count": count})).collect())
}

/// What a fetch leaves on the connection: a snapshot (with the teams it saw), or why it failed.
pub enum FetchOutcome<'a> {
    Fetched { job_id: Uuid, teams: &'a [(String, u64)] },
    Failed { code: &'a str, message: &'a str },
}

pub async fn record_fetch(db: &impl ConnectionTrait, company_id: Uuid, outcome: FetchOutcome<'_>, now: DateTime<Utc>) -> Result<()> {
    use hris_connection::Column as C;
    use sea_orm::sea_query::Expr;
    let mut update = hris_connection::Entity::update_many().filter(C::CompanyId.eq(company_id)).col_expr(C::UpdatedAt, Expr::value(now));
    update = match outcome {
        FetchOutcome::Fetched { job_id, teams } => update
            .col_expr(C::Status, Expr::value("ACTIVE"))
            .col_expr(C::LastErrorCode, Expr::value(Option::<String>::None))
            .col_expr(C::LastErrorMessage, Expr::value(Option::<String>::None))
            .col_expr(C::LastSyncAt, Expr::value(now))
            .col_expr(C::Teams, Expr::value(teams_json(teams)))
            .col_expr(C::SnapshotJobId, Expr::value(job_id)),
        FetchOutcome::Failed { code, message } => update
            .col_expr(C::Status, Expr::value("FAILING"))
            .col_expr(C::LastErrorCode, Expr::value(code))
            .col_expr(C::LastErrorMessage, Expr::value(message)),
    };
    update.exec(db).await?;
    Ok(())
}

/// R-HRIS-10: claims the company's daily sync of `day` — true for exactly one
/// caller however many replicas ask, false when that day's sync was claimed.
pub async fn claim_auto_sync(db: &impl ConnectionTrait, company_id: Uuid, day: NaiveDate) -> Result<bool> {
    use hris_connection::Column as C;
    use sea_orm::sea_query::{Condition, Expr};
    let result = hris_connection::Entity::update_many()
        .col_expr(C::LastAutoSyncOn, Expr::value(day))
        .filter(C::CompanyId.eq(company_id))
        .filter(Condition::any().add(C::LastAutoSyncOn.is_null()).add(C::LastAutoSyncOn.lt(day)))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

pub async fn delete(db: &impl ConnectionTrait, company_id: Uuid) -> Result<bool> {
    Ok(hris_connection::Entity::delete_many().filter(hris_connection::Column::CompanyId.eq(company_id)).exec(db).await?.rows_affected > 0)
}

/// Cost centres or legal entities of the company by exact name.
pub async fn cost_centers(db: &impl ConnectionTrait, company_id: Uuid) -> Result<HashMap<String, Uuid>> {
    let rows = cost_center::Entity::find().filter(cost_center::Column::CompanyId.eq(company_id)).all(db).await?;
    Ok(rows.into_iter().map(|r| (r.name, r.id)).collect())
}

pub async fn legal_entities(db: &impl ConnectionTrait, company_id: Uuid) -> Result<HashMap<String, Uuid>> {
    let rows = legal_entity::Entity::find().filter(legal_entity::Column::CompanyId.eq(company_id)).all(db).await?;
    Ok(rows.into_iter().map(|r| (r.name, r.id)).collect())
}

/// Fails with a conflict when the company has an entity of that name.
pub async fn create_legal_entity(db: &impl ConnectionTrait, company_id: Uuid, name: &str, now: DateTime<Utc>) -> Result<Uuid> {
    let id = Uuid::now_v7();
    let row = legal_entity::ActiveModel { id: Set(id), company_id: Set(company_id), name: Set(name.to_string()), created_at: Set(now) };
    legal_entity::Entity::insert(row).exec_without_returning(db).await?;
    Ok(id)
}

/// R-HRIS-7: creates the cost centres a sync names that do not exist yet.
pub fn create_cost_centers_into(batch: &mut WriteBatch, company_id: Uuid, centres: &[(Uuid, String)], now: DateTime<Utc>) {
    if centres.is_empty() {
        return;
    }
    let mut insert = Query::insert();
    insert
        .into_table(cost_center::Entity)
        .columns([cost_center::Column::Id, cost_center::Column::CompanyId, cost_center::Column::Name, cost_center::Column::CreatedAt])
        .on_conflict(OnConflict::new().do_nothing().to_owned());
    for (id, name) in centres {
        insert.values_panic([(*id).into(), company_id.into(), name.clone().into(), now.into()]);
    }
    batch.push(&insert);
}

/// Employees of the company linked to any of these HR ids, in one query.
pub async fn employees_by_hris_ids(db: &impl ConnectionTrait, company_id: Uuid, ids: &[String]) -> Result<Vec<StoredEmployee>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    employee::Entity::find()
        .filter(employee::Column::CompanyId.eq(company_id))
        .filter(employee::Column::HrisId.is_in(ids.iter().cloned()))
        .all(db)
        .await?
        .into_iter()
        .map(stored_from_model)
        .collect()
}

/// Every employee of the company, for the pass after an HR snapshot's last record.
pub async fn all_employees(db: &impl ConnectionTrait, company_id: Uuid) -> Result<Vec<StoredEmployee>> {
    employee::Entity::find()
        .filter(employee::Column::CompanyId.eq(company_id))
        .order_by_asc(employee::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(stored_from_model)
        .collect()
}

/// What employees are counted by.
#[derive(Debug, Clone, Copy)]
pub enum AssignedTo {
    CostCenter,
    LegalEntity,
}

/// Employee counts per cost centre or legal entity.
pub async fn counts_by(db: &impl ConnectionTrait, company_id: Uuid, by: AssignedTo) -> Result<HashMap<Uuid, u64>> {
    use sea_orm::QuerySelect;
    let column = match by {
        AssignedTo::CostCenter => employee::Column::CostCenterId,
        AssignedTo::LegalEntity => employee::Column::LegalEntityId,
    };
    let rows: Vec<(Option<Uuid>, i64)> = employee::Entity::find()
        .select_only()
        .column(column)
        .column_as(employee::Column::Id.count(), "n")
        .filter(employee::Column::CompanyId.eq(company_id))
        .group_by(column)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().filter_map(|(id, n)| Some((id?, n.max(0) as u64))).collect())
}
