//! Budget grants (R-BUD-2..4): granted once per employee, policy and period.

use chrono::{DateTime, NaiveDate, Utc};
use roster_domain::GrantDue;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, TryInsertResult};
use uuid::Uuid;

use crate::entities::budget_grant::{ActiveModel, Column, Entity};
use crate::error::Result;

/// A grant as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredGrant {
    pub policy_id: Uuid,
    pub period: String,
    pub amount: i32,
    pub currency: String,
    pub granted_on: NaiveDate,
}

/// R-BUD-4: inserts each grant unless that employee, policy and period already
/// has one; returns how many were new. Safe to call again after a crash or retry.
pub async fn grant(db: &impl ConnectionTrait, company_id: Uuid, employee_id: Uuid, due: &[GrantDue], now: DateTime<Utc>) -> Result<u64> {
    let due: Vec<(Uuid, GrantDue)> = due.iter().map(|g| (employee_id, g.clone())).collect();
    grant_many(db, company_id, &due, now).await
}

/// `grant` for many employees at once, in multi-row statements.
pub async fn grant_many(db: &impl ConnectionTrait, company_id: Uuid, due: &[(Uuid, GrantDue)], now: DateTime<Utc>) -> Result<u64> {
    let mut inserted = 0;
    for chunk in due.chunks(500) {
        inserted += insert_chunk(db, company_id, chunk, now).await?;
    }
    Ok(inserted)
}

async fn insert_chunk(db: &impl ConnectionTrait, company_id: Uuid, due: &[(Uuid, GrantDue)], now: DateTime<Utc>) -> Result<u64> {
    if due.is_empty() {
        return Ok(0);
    }
    let rows = due.iter().map(|(employee_id, g)| ActiveModel {
        id: Set(Uuid::now_v7()),
        company_id: Set(company_id),
        employee_id: Set(*employee_id),
        policy_id: Set(g.policy_id),
        period: Set(g.period.clone()),
        amount: Set(g.amount.minor()),
        currency: Set(g.currency.as_str().to_string()),
        granted_on: Set(g.granted_on),
        created_at: Set(now),
    });
    let result = Entity::insert_many(rows)
        .on_conflict_do_nothing_on([Column::EmployeeId, Column::PolicyId, Column::Period])
        .exec_without_returning(db)
        .await?;
    Ok(match result {
        TryInsertResult::Inserted(n) => n,
        _ => 0,
    })
}

pub async fn list_for_employee(db: &impl ConnectionTrait, company_id: Uuid, employee_id: Uuid) -> Result<Vec<StoredGrant>> {
    Ok(Entity::find()
        .filter(Column::CompanyId.eq(company_id))
        .filter(Column::EmployeeId.eq(employee_id))
        .order_by_asc(Column::GrantedOn)
        .order_by_asc(Column::Period)
        .all(db)
        .await?
        .into_iter()
        .map(|m| StoredGrant { policy_id: m.policy_id, period: m.period, amount: m.amount, currency: m.currency, granted_on: m.granted_on })
        .collect())
}
