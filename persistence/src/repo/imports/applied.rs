//! R-IMP-12: what a sync has applied: per plan chunk, every row's outcome,
//! written in the chunk's own transaction. The key (run, first row) makes a
//! second apply of the same chunk fail inside its transaction.

use std::collections::HashMap;

use sea_orm::sea_query::{Expr, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::entities::import_applied_chunk::{Column, Entity};
use crate::error::Result;
use crate::repo::codec::{decode_outcomes, encode_outcomes};
use crate::repo::writes::WriteBatch;

/// A row's outcome in a sync: the event applied, or `CONFLICT`, with a reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub outcome: String,
    pub detail: Option<String>,
}

/// Adds to the batch that applies the chunk `first_row..=last_row` the record of
/// its rows' outcomes (row number, outcome, detail).
pub fn record_chunk_into(
    batch: &mut WriteBatch,
    run_id: Uuid,
    (first_row, last_row): (u32, u32),
    outcomes: &[(u32, String, Option<String>)],
) {
    let mut insert = Query::insert();
    insert.into_table(Entity).columns([Column::RunId, Column::FirstRow, Column::LastRow, Column::Outcomes]).values_panic([
        Expr::val(run_id),
        Expr::val(first_row as i32),
        Expr::val(last_row as i32),
        Expr::val(encode_outcomes(outcomes)),
    ]);
    batch.push(&insert);
}

/// Outcomes of rows in `from..=to`.
pub async fn in_range(db: &impl ConnectionTrait, run_id: Uuid, from: u32, to: u32) -> Result<HashMap<u32, Outcome>> {
    let chunks = Entity::find()
        .filter(Column::RunId.eq(run_id))
        .filter(Column::FirstRow.lte(to as i32))
        .filter(Column::LastRow.gte(from as i32))
        .order_by_asc(Column::FirstRow)
        .all(db)
        .await?;
    let mut outcomes = HashMap::new();
    for chunk in chunks {
        for (row, outcome, detail) in decode_outcomes(&chunk.outcomes)? {
            if (from..=to).contains(&row) {
                outcomes.insert(row, Outcome { outcome, detail });
            }
        }
    }
    Ok(outcomes)
}

/// How many rows a run has recorded as applied (or conflicting).
pub async fn recorded_rows(db: &impl ConnectionTrait, run_id: Uuid) -> Result<u64> {
    Ok(in_range(db, run_id, 0, i32::MAX as u32).await?.len() as u64)
}
