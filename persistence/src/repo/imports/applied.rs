//! R-IMP-12: what a sync has applied, one row each. The primary key (run, row)
//! makes a second apply of the same row fail inside its transaction.

use std::collections::HashMap;

use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::entities::import_applied::{ActiveModel, Column, Entity};
use crate::error::Result;

/// A row's outcome in a sync: the event applied, or `CONFLICT`, with a reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub outcome: String,
    pub detail: Option<String>,
}

/// Records outcomes (row number, outcome, detail) in multi-row statements.
pub async fn record_many(db: &impl ConnectionTrait, run_id: Uuid, outcomes: &[(u32, String, Option<String>)]) -> Result<()> {
    for chunk in outcomes.chunks(500) {
        let rows = chunk.iter().map(|(row, outcome, detail)| ActiveModel {
            run_id: Set(run_id),
            row_number: Set(*row as i32),
            outcome: Set(outcome.clone()),
            detail: Set(detail.clone()),
        });
        Entity::insert_many(rows).exec_without_returning(db).await?;
    }
    Ok(())
}

/// Outcomes of rows in `from..=to`.
pub async fn in_range(db: &impl ConnectionTrait, run_id: Uuid, from: u32, to: u32) -> Result<HashMap<u32, Outcome>> {
    Ok(Entity::find()
        .filter(Column::RunId.eq(run_id))
        .filter(Column::RowNumber.between(from as i32, to as i32))
        .order_by_asc(Column::RowNumber)
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.row_number as u32, Outcome { outcome: m.outcome, detail: m.detail }))
        .collect())
}
