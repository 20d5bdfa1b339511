//! What the lifecycle (R-LOG-5) reads and writes: which companies have work due,
//! the employees to onboard, to grant monthly budgets and to deactivate, and the
//! conditional updates that make each of those happen once.
//!
//! Due work is found through the partial indexes `employees_to_onboard` and
//! `employees_to_deactivate`, which hold only employees still to process: a tick
//! with nothing due reads the companies and the first entry of each company's
//! part of both indexes.

use chrono::{DateTime, NaiveDate, Utc};
use roster_domain::TimeZoneName;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, QueryFilter, QueryOrder, QuerySelect, Statement};
use uuid::Uuid;

use super::employees::{StoredEmployee, stored_from_model};
use super::stored;
use crate::entities::{company, employee};
use crate::error::Result;

/// A company's lifecycle position: its time zone, the last date processed, and
/// the earliest onboarding and offboarding dates not processed yet.
#[derive(Debug, Clone, PartialEq)]
pub struct CompanyLifecycle {
    pub company_id: Uuid,
    pub time_zone: TimeZoneName,
    pub through: Option<NaiveDate>,
    pub next_onboarding: Option<NaiveDate>,
    pub next_offboarding: Option<NaiveDate>,
}

#[derive(FromQueryResult)]
struct Position {
    id: Uuid,
    time_zone: String,
    lifecycle_through: Option<NaiveDate>,
    next_onboarding: Option<NaiveDate>,
    next_offboarding: Option<NaiveDate>,
}

/// Each company with the first entry of its part of each partial index: one
/// seek per company and index, not a pass over every scheduled date.
const OVERVIEW: &str = "SELECT c.id, c.time_zone, c.lifecycle_through, \
     (SELECT e.onboarding_date FROM employees e WHERE e.company_id = c.id AND e.onboarded_at IS NULL \
      ORDER BY e.onboarding_date LIMIT 1) AS next_onboarding, \
     (SELECT e.offboarding_date FROM employees e \
      WHERE e.company_id = c.id AND e.deactivated_at IS NULL AND e.offboarding_date IS NOT NULL \
      ORDER BY e.offboarding_date LIMIT 1) AS next_offboarding \
     FROM companies c";

/// Every company's position, in one statement whatever the number of employees.
pub async fn overview(db: &impl ConnectionTrait) -> Result<Vec<CompanyLifecycle>> {
    let positions = Position::find_by_statement(overview_statement(db.get_database_backend())).all(db).await?;
    positions
        .into_iter()
        .map(|p| {
            Ok(CompanyLifecycle {
                company_id: p.id,
                time_zone: stored("company time zone", TimeZoneName::parse(&p.time_zone))?,
                through: p.lifecycle_through,
                next_onboarding: p.next_onboarding,
                next_offboarding: p.next_offboarding,
            })
        })
        .collect()
}

/// The statement of `overview`, for plan tests.
pub fn overview_statement(backend: DbBackend) -> Statement {
    Statement::from_string(backend, OVERVIEW)
}

/// Employees whose onboarding date is on or before `date` and not processed,
/// by onboarding date: at most `limit`.
pub async fn to_onboard(db: &impl ConnectionTrait, company_id: Uuid, date: NaiveDate, limit: u64) -> Result<Vec<StoredEmployee>> {
    due(db, company_id, (employee::Column::OnboardingDate, employee::Column::OnboardedAt), date, limit).await
}

/// Employees whose offboarding date is on or before `date` and not deactivated yet.
pub async fn to_deactivate(db: &impl ConnectionTrait, company_id: Uuid, date: NaiveDate, limit: u64) -> Result<Vec<StoredEmployee>> {
    due(db, company_id, (employee::Column::OffboardingDate, employee::Column::DeactivatedAt), date, limit).await
}

/// Employees whose `date_column` is on or before `date` and whose `done` is not
/// set: the rows of one partial index, in date order.
async fn due(
    db: &impl ConnectionTrait,
    company_id: Uuid,
    (date_column, done): (employee::Column, employee::Column),
    date: NaiveDate,
    limit: u64,
) -> Result<Vec<StoredEmployee>> {
    employee::Entity::find()
        .filter(employee::Column::CompanyId.eq(company_id))
        .filter(done.is_null())
        .filter(date_column.is_not_null())
        .filter(date_column.lte(date))
        .order_by_asc(date_column)
        .order_by_asc(employee::Column::Id)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(stored_from_model)
        .collect()
}

/// Sets `column` to `now` for those of `ids` where it is not set yet, and returns
/// them as they are now: a second runner or a repeated tick gets none back.
async fn mark(
    db: &impl ConnectionTrait,
    company_id: Uuid,
    ids: &[Uuid],
    column: employee::Column,
    now: DateTime<Utc>,
) -> Result<Vec<StoredEmployee>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    employee::Entity::update_many()
        .col_expr(column, Expr::val(now))
        .filter(employee::Column::CompanyId.eq(company_id))
        .filter(employee::Column::Id.is_in(ids.iter().copied()))
        .filter(column.is_null())
        .exec_with_returning(db)
        .await?
        .into_iter()
        .map(stored_from_model)
        .collect()
}

pub async fn mark_onboarded(db: &impl ConnectionTrait, company_id: Uuid, ids: &[Uuid], now: DateTime<Utc>) -> Result<Vec<StoredEmployee>> {
    mark(db, company_id, ids, employee::Column::OnboardedAt, now).await
}

pub async fn mark_deactivated(
    db: &impl ConnectionTrait,
    company_id: Uuid,
    ids: &[Uuid],
    now: DateTime<Utc>,
) -> Result<Vec<StoredEmployee>> {
    mark(db, company_id, ids, employee::Column::DeactivatedAt, now).await
}

/// One page (by id, after `after`) of the employees the first of a month grants
/// monthly budgets (R-BUD-3): onboarded before `first`, not offboarded on or
/// before it, not deactivated. Id and group only: that is all a grant needs.
pub async fn monthly_page(
    db: &impl ConnectionTrait,
    company_id: Uuid,
    first: NaiveDate,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<(Uuid, Option<Uuid>)>> {
    let mut query = employee::Entity::find()
        .select_only()
        .column(employee::Column::Id)
        .column(employee::Column::CompanyGroupId)
        .filter(employee::Column::CompanyId.eq(company_id))
        .filter(employee::Column::OnboardingDate.lt(first))
        .filter(employee::Column::OffboardingDate.is_null().or(employee::Column::OffboardingDate.gt(first)))
        .filter(employee::Column::DeactivatedAt.is_null())
        .order_by_asc(employee::Column::Id)
        .limit(limit);
    if let Some(after) = after {
        query = query.filter(employee::Column::Id.gt(after));
    }
    Ok(query.into_tuple().all(db).await?)
}

/// Records that the company's dates up to `date` are processed (never moves back).
pub async fn processed_through(db: &impl ConnectionTrait, company_id: Uuid, date: NaiveDate) -> Result<()> {
    company::Entity::update_many()
        .col_expr(company::Column::LifecycleThrough, Expr::val(date))
        .filter(company::Column::Id.eq(company_id))
        .filter(company::Column::LifecycleThrough.is_null().or(company::Column::LifecycleThrough.lt(date)))
        .exec(db)
        .await?;
    Ok(())
}

/// The last date of the company the lifecycle processed.
pub async fn through(db: &impl ConnectionTrait, company_id: Uuid) -> Result<Option<NaiveDate>> {
    Ok(company::Entity::find_by_id(company_id)
        .select_only()
        .column(company::Column::LifecycleThrough)
        .into_tuple::<Option<NaiveDate>>()
        .one(db)
        .await?
        .flatten())
}
