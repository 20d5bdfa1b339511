//! Budget grants (R-BUD-2..4): granted once per employee, policy and period.

use chrono::{DateTime, NaiveDate, Utc};
use roster_domain::GrantDue;
use sea_orm::sea_query::{Expr, InsertStatement, OnConflict, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::entities::budget_grant::{Column, Entity};
use crate::error::Result;
use crate::repo::writes::WriteBatch;

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
/// has one, in multi-row statements; returns how many were new. Safe to call
/// again after a crash or retry.
pub async fn grant_many(db: &impl ConnectionTrait, company_id: Uuid, due: &[(Uuid, GrantDue)], now: DateTime<Utc>) -> Result<u64> {
    let mut inserted = 0;
    for chunk in due.chunks(500) {
        inserted += db.execute(&insert_statement(company_id, chunk, now)).await?.rows_affected();
    }
    Ok(inserted)
}

/// `grant_many` that returns the grants it made: those that employee, policy and
/// period did not have yet. What it returns is what to announce (`budget.granted`).
pub async fn grant_many_returning(
    db: &impl ConnectionTrait,
    company_id: Uuid,
    due: &[(Uuid, GrantDue)],
    now: DateTime<Utc>,
) -> Result<Vec<(Uuid, GrantDue)>> {
    let mut made = Vec::new();
    for chunk in due.chunks(500) {
        let mut insert = insert_statement(company_id, chunk, now);
        insert.returning(Query::returning().columns([Column::EmployeeId, Column::PolicyId, Column::Period]));
        let rows = db.query_all(&insert).await?;
        let mut inserted = std::collections::HashSet::with_capacity(rows.len());
        for row in rows {
            let employee: Uuid = row.try_get("", "employee_id")?;
            let policy: Uuid = row.try_get("", "policy_id")?;
            let period: String = row.try_get("", "period")?;
            inserted.insert((employee, policy, period));
        }
        made.extend(chunk.iter().filter(|(e, g)| inserted.contains(&(*e, g.policy_id, g.period.clone()))).cloned());
    }
    Ok(made)
}

/// `grant_many`, added to a batch to run later (after the employees' inserts).
pub fn grant_many_into(batch: &mut WriteBatch, company_id: Uuid, due: &[(Uuid, GrantDue)], now: DateTime<Utc>) {
    for chunk in due.chunks(500) {
        batch.push(&insert_statement(company_id, chunk, now));
    }
}

/// R-BUD-4: a grant that employee, policy and period already has is left alone.
fn insert_statement(company_id: Uuid, due: &[(Uuid, GrantDue)], now: DateTime<Utc>) -> InsertStatement {
    let mut insert = Query::insert();
    insert
        .into_table(Entity)
        .columns([
            Column::Id,
            Column::CompanyId,
            Column::EmployeeId,
            Column::PolicyId,
            Column::Period,
            Column::Amount,
            Column::Currency,
            Column::GrantedOn,
            Column::CreatedAt,
        ])
        .on_conflict(OnConflict::columns([Column::EmployeeId, Column::PolicyId, Column::Period]).do_nothing().to_owned());
    for (employee_id, g) in due {
        insert.values_panic([
            Expr::val(Uuid::now_v7()),
            Expr::val(company_id),
            Expr::val(*employee_id),
            Expr::val(g.policy_id),
            Expr::val(g.period.clone()),
            Expr::val(g.amount.minor()),
            Expr::val(g.currency.as_str()),
            Expr::val(g.granted_on),
            Expr::val(now),
        ]);
    }
    insert
}

/// The grants of each of these employees of the company, in one statement,
/// each employee's in the order they were granted (date, then period).
pub async fn list_for_employees(
    db: &impl ConnectionTrait,
    company_id: Uuid,
    employee_ids: &[Uuid],
) -> Result<std::collections::HashMap<Uuid, Vec<StoredGrant>>> {
    let mut by_employee: std::collections::HashMap<Uuid, Vec<StoredGrant>> = employee_ids.iter().map(|id| (*id, Vec::new())).collect();
    if employee_ids.is_empty() {
        return Ok(by_employee);
    }
    let rows = Entity::find()
        .filter(Column::CompanyId.eq(company_id))
        .filter(Column::EmployeeId.is_in(employee_ids.iter().copied()))
        .order_by_asc(Column::GrantedOn)
        .order_by_asc(Column::Period)
        .all(db)
        .await?;
    for m in rows {
        by_employee.entry(m.employee_id).or_default().push(StoredGrant {
            policy_id: m.policy_id,
            period: m.period,
            amount: m.amount,
            currency: m.currency,
            granted_on: m.granted_on,
        });
    }
    Ok(by_employee)
}
