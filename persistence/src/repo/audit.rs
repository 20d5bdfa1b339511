//! The audit trail: who changed which employee, from which job and row, before → after.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};
use uuid::Uuid;

use crate::entities::audit_log::{ActiveModel, Entity};
use crate::error::Result;

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
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub at: DateTime<Utc>,
}

pub async fn record(db: &impl ConnectionTrait, entry: &AuditEntry) -> Result<()> {
    record_many(db, std::slice::from_ref(entry)).await
}

/// Many entries in multi-row statements (a sync batch).
pub async fn record_many(db: &impl ConnectionTrait, entries: &[AuditEntry]) -> Result<()> {
    for chunk in entries.chunks(200) {
        Entity::insert_many(chunk.iter().map(to_active)).exec_without_returning(db).await?;
    }
    Ok(())
}

fn to_active(entry: &AuditEntry) -> ActiveModel {
    ActiveModel {
        id: Set(Uuid::now_v7()),
        company_id: Set(entry.company_id),
        actor: Set(entry.actor.clone()),
        action: Set(entry.action.clone()),
        employee_id: Set(entry.employee_id),
        job_id: Set(entry.job_id),
        row_number: Set(entry.row_number),
        before: Set(entry.before.clone()),
        after: Set(entry.after.clone()),
        at: Set(entry.at),
    }
}
