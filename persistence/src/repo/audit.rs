//! The audit trail: who changed which employee, from which job and row, before → after.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, DbBackend};
use uuid::Uuid;

use crate::entities::audit_log::{Column, Entity};
use crate::error::Result;
use crate::repo::writes::WriteBatch;

#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    pub company_id: Uuid,
    /// The token's subject.
    pub actor: String,
    /// e.g. `employee.create`, `employee.update`, `employee.offboard`.
    pub action: String,
    pub employee_id: Option<Uuid>,
    pub job_id: Option<Uuid>,
    pub row_number: Option<i32>,
    /// The employee before and after, as JSON text (`codec::employee_to_json`).
    pub before: Option<String>,
    pub after: Option<String>,
    pub at: DateTime<Utc>,
}

pub async fn record(db: &impl ConnectionTrait, entry: &AuditEntry) -> Result<()> {
    record_many(db, std::slice::from_ref(entry)).await
}

/// Many entries in multi-row statements (a sync batch).
pub async fn record_many(db: &impl ConnectionTrait, entries: &[AuditEntry]) -> Result<()> {
    let mut batch = WriteBatch::new(db.get_database_backend());
    record_many_into(&mut batch, entries);
    batch.execute(db).await
}

/// `record_many`, added to a batch to run later. The JSON goes in as text,
/// serialised once (cast to jsonb on PostgreSQL), not as a value tree.
pub fn record_many_into(batch: &mut WriteBatch, entries: &[AuditEntry]) {
    let backend = batch.backend();
    let json = |text: &Option<String>| {
        let value = Expr::val(text.clone());
        if backend == DbBackend::Postgres { value.cast_as("jsonb") } else { value }
    };
    for chunk in entries.chunks(200) {
        let mut insert = Query::insert();
        insert.into_table(Entity).columns([
            Column::Id,
            Column::CompanyId,
            Column::Actor,
            Column::Action,
            Column::EmployeeId,
            Column::JobId,
            Column::RowNumber,
            Column::Before,
            Column::After,
            Column::At,
        ]);
        for entry in chunk {
            insert.values_panic([
                Expr::val(Uuid::now_v7()),
                Expr::val(entry.company_id),
                Expr::val(entry.actor.clone()),
                Expr::val(entry.action.clone()),
                Expr::val(entry.employee_id),
                Expr::val(entry.job_id),
                Expr::val(entry.row_number),
                json(&entry.before),
                json(&entry.after),
                Expr::val(entry.at),
            ]);
        }
        batch.push(&insert);
    }
}
