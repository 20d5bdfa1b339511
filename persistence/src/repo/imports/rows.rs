//! Staged rows of an uploaded sheet, one chunk per batch as it is read.

use roster_domain::import::Cell;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use crate::entities::import_row_chunk::{ActiveModel, Column, Entity};
use crate::error::Result;
use crate::repo::codec::{decode_staged, encode_staged};

/// One staged row: its number in the sheet (1 is the header) and cells.
#[derive(Debug, Clone, PartialEq)]
pub struct StagedRow {
    pub row_number: u32,
    pub cells: Vec<Cell>,
    /// The first row with the same e-mail, when this is a repeat (R-IMP-13).
    pub duplicate_of: Option<u32>,
}

/// Stores consecutive rows as one chunk.
pub async fn insert_chunk(db: &impl ConnectionTrait, job_id: Uuid, rows: &[StagedRow]) -> Result<()> {
    let (Some(first), Some(last)) = (rows.first(), rows.last()) else { return Ok(()) };
    let chunk = ActiveModel {
        job_id: Set(job_id),
        first_row: Set(first.row_number as i32),
        last_row: Set(last.row_number as i32),
        row_count: Set(rows.len() as i32),
        content: Set(encode_staged(rows)),
    };
    Entity::insert(chunk).exec_without_returning(db).await?;
    Ok(())
}

/// Rewrites a chunk's rows (same rows, new duplicate markers).
pub async fn replace_chunk(db: &impl ConnectionTrait, job_id: Uuid, rows: &[StagedRow]) -> Result<()> {
    let Some(first) = rows.first() else { return Ok(()) };
    Entity::update_many()
        .col_expr(Column::Content, encode_staged(rows).into())
        .filter(Column::JobId.eq(job_id))
        .filter(Column::FirstRow.eq(first.row_number as i32))
        .exec(db)
        .await?;
    Ok(())
}

/// The chunk that holds the rows right after `after_row`, whole.
pub async fn next_chunk(db: &impl ConnectionTrait, job_id: Uuid, after_row: u32) -> Result<Vec<StagedRow>> {
    let chunk = Entity::find()
        .filter(Column::JobId.eq(job_id))
        .filter(Column::LastRow.gt(after_row as i32))
        .order_by_asc(Column::FirstRow)
        .limit(1)
        .one(db)
        .await?;
    match chunk {
        Some(chunk) => decode_staged(&chunk.content),
        None => Ok(Vec::new()),
    }
}

pub async fn delete(db: &impl ConnectionTrait, job_id: Uuid) -> Result<()> {
    Entity::delete_many().filter(Column::JobId.eq(job_id)).exec(db).await?;
    Ok(())
}

/// Reads a job's staged rows in order, in batches of any size, decoding each chunk once.
pub struct StagedReader {
    job_id: Uuid,
    /// Rows up to here are not read (the first chunk may hold some).
    start_after: u32,
    after: u32,
    buffer: std::collections::VecDeque<StagedRow>,
}

impl StagedReader {
    /// A reader of the rows after `after_row` (0 for the whole sheet).
    pub fn new(job_id: Uuid, after_row: u32) -> Self {
        Self { job_id, start_after: after_row, after: after_row, buffer: Default::default() }
    }

    /// The next `size` rows (fewer at the end of the sheet; none after it).
    pub async fn next_batch(&mut self, db: &impl ConnectionTrait, size: usize) -> Result<Vec<StagedRow>> {
        while self.buffer.len() < size {
            let chunk = next_chunk(db, self.job_id, self.after).await?;
            let Some(last) = chunk.last() else { break };
            self.after = last.row_number;
            let start_after = self.start_after;
            self.buffer.extend(chunk.into_iter().filter(|r| r.row_number > start_after));
        }
        let take = size.min(self.buffer.len());
        Ok(self.buffer.drain(..take).collect())
    }
}
