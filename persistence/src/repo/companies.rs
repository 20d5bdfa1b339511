//! Companies (tenants).

use chrono::{DateTime, Utc};
use roster_domain::{Company, CompanyName, CompanySettings, Language, ReportingPrefix, TimeZoneName};
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait, QuerySelect};
use uuid::Uuid;

use super::stored;
use crate::entities::company::{ActiveModel, Entity, Model};
use crate::error::{RepoError, Result};

fn to_domain(m: Model) -> Result<Company> {
    Ok(Company {
        id: m.id,
        name: stored("company name", CompanyName::parse(&m.name))?,
        default_language: stored("company language", Language::parse(&m.default_language))?,
        time_zone: stored("company time zone", TimeZoneName::parse(&m.time_zone))?,
        settings: CompanySettings {
            send_invitations_on_create: m.send_invitations_on_create,
            reporting_prefix: stored("reporting prefix", ReportingPrefix::parse(&m.reporting_prefix))?,
        },
    })
}

fn to_active(c: &Company) -> ActiveModel {
    ActiveModel {
        id: Set(c.id),
        name: Set(c.name.as_str().to_string()),
        default_language: Set(c.default_language.code().to_string()),
        time_zone: Set(c.time_zone.as_str().to_string()),
        send_invitations_on_create: Set(c.settings.send_invitations_on_create),
        reporting_prefix: Set(c.settings.reporting_prefix.as_str().to_string()),
        ..Default::default()
    }
}

pub async fn insert(db: &impl ConnectionTrait, company: &Company, now: DateTime<Utc>) -> Result<()> {
    let mut row = to_active(company);
    row.created_at = Set(now);
    // The lifecycle processes every date from the company's first day on (R-LOG-5).
    row.lifecycle_through = Set(company.today(now).pred_opt());
    Entity::insert(row).exec_without_returning(db).await?;
    Ok(())
}

pub async fn find(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<Company>> {
    Entity::find_by_id(id).one(db).await?.map(to_domain).transpose()
}

/// The company's time zone, `None` when no company has this id.
pub async fn time_zone(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<TimeZoneName>> {
    let zone: Option<String> =
        Entity::find_by_id(id).select_only().column(crate::entities::company::Column::TimeZone).into_tuple().one(db).await?;
    zone.map(|z| stored("company time zone", TimeZoneName::parse(&z))).transpose()
}

pub async fn get(db: &impl ConnectionTrait, id: Uuid) -> Result<Company> {
    find(db, id).await?.ok_or(RepoError::NotFound)
}

pub async fn update(db: &impl ConnectionTrait, company: &Company) -> Result<()> {
    match Entity::update(to_active(company)).exec(db).await {
        Ok(_) => Ok(()),
        Err(sea_orm::DbErr::RecordNotUpdated) => Err(RepoError::NotFound),
        Err(e) => Err(e.into()),
    }
}
