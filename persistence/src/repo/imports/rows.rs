//! Staged rows of an uploaded sheet, inserted in batches while it is read.

use std::collections::HashMap;

use roster_domain::import::Cell;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::INSERT_CHUNK;
use crate::entities::import_row::{ActiveModel, Column, Entity};
use crate::error::Result;
use crate::repo::codec::{decode_cells, encode_cells};

/// One staged row: its number in the sheet (1 is the header) and cells.
#[derive(Debug, Clone, PartialEq)]
pub struct StagedRow {
    pub row_number: u32,
    pub cells: Vec<Cell>,
    /// The e-mail column's text, trimmed and lower-cased, to find duplicates.
    pub email_key: Option<String>,
}

pub async fn insert_batch(db: &impl ConnectionTrait, job_id: Uuid, rows: &[StagedRow]) -> Result<()> {
    for chunk in rows.chunks(INSERT_CHUNK) {
        let models = chunk.iter().map(|r| ActiveModel {
            job_id: Set(job_id),
            row_number: Set(r.row_number as i32),
            cells: Set(encode_cells(&r.cells)),
            email_key: Set(r.email_key.clone()),
        });
        Entity::insert_many(models).exec_without_returning(db).await?;
    }
    Ok(())
}

/// Up to `limit` rows after `after_row`, in sheet order.
pub async fn page(db: &impl ConnectionTrait, job_id: Uuid, after_row: u32, limit: u64) -> Result<Vec<StagedRow>> {
    Entity::find()
        .filter(Column::JobId.eq(job_id))
        .filter(Column::RowNumber.gt(after_row as i32))
        .order_by_asc(Column::RowNumber)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(|m| Ok(StagedRow { row_number: m.row_number as u32, cells: decode_cells(&m.cells)?, email_key: m.email_key }))
        .collect()
}

pub async fn delete(db: &impl ConnectionTrait, job_id: Uuid) -> Result<()> {
    Entity::delete_many().filter(Column::JobId.eq(job_id)).exec(db).await?;
    Ok(())
}

/// For each e-mail key, the first row it appears on (R-IMP-13 in a preview).
pub async fn first_rows(db: &impl ConnectionTrait, job_id: Uuid, keys: &[String]) -> Result<HashMap<String, u32>> {
    if keys.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(Option<String>, Option<i32>)> = Entity::find()
        .select_only()
        .column(Column::EmailKey)
        .column_as(Expr::col(Column::RowNumber).min(), "first")
        .filter(Column::JobId.eq(job_id))
        .filter(Column::EmailKey.is_in(keys.iter().cloned()))
        .group_by(Column::EmailKey)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().filter_map(|(k, n)| Some((k?, n? as u32))).collect())
}

/// Re-keys every row's e-mail from another column after a mapping change.
pub async fn rekey_emails(db: &impl ConnectionTrait, job_id: Uuid, column: Option<usize>) -> Result<()> {
    let mut after = 0;
    loop {
        let batch = page(db, job_id, after, 2000).await?;
        let Some(last) = batch.last() else { return Ok(()) };
        after = last.row_number;
        for row in batch {
            let key = column.and_then(|c| row.cells.get(c)).and_then(Cell::text).map(|t| t.to_lowercase());
            if key != row.email_key {
                Entity::update_many()
                    .col_expr(Column::EmailKey, key.into())
                    .filter(Column::JobId.eq(job_id))
                    .filter(Column::RowNumber.eq(row.row_number as i32))
                    .exec(db)
                    .await?;
            }
        }
    }
}
