//! Row plans of a dry run: what the sync will apply, row by row (R-IMP-10/11),
//! one chunk per planned batch. A sync transaction applies whole chunks.

use roster_domain::import::RowPlan;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use crate::entities::import_plan_chunk::{ActiveModel, Column, Entity};
use crate::error::Result;
use crate::repo::codec::{decode_plans, encode_plans};

/// A batch of consecutive plans, encoded (CPU work a caller may do off the async runtime).
pub struct EncodedPlans {
    first_row: u32,
    last_row: u32,
    rows: usize,
    issue_rows: usize,
    content: Vec<u8>,
}

impl EncodedPlans {
    pub fn of(plans: &[RowPlan]) -> Option<Self> {
        let (first, last) = (plans.first()?, plans.last()?);
        Some(Self {
            first_row: first.row_number,
            last_row: last.row_number,
            rows: plans.len(),
            issue_rows: plans.iter().filter(|p| !p.issues.is_empty()).count(),
            content: encode_plans(plans),
        })
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    /// The rows the chunk covers, first and last.
    pub fn range(&self) -> (u32, u32) {
        (self.first_row, self.last_row)
    }

    /// The plans (CPU work a caller may do off the async runtime).
    pub fn decode(&self) -> Result<Vec<RowPlan>> {
        decode_plans(&self.content)
    }
}

/// Stores an encoded batch as one chunk.
pub async fn insert_encoded(db: &impl ConnectionTrait, run_id: Uuid, chunk: EncodedPlans) -> Result<()> {
    let model = ActiveModel {
        run_id: Set(run_id),
        first_row: Set(chunk.first_row as i32),
        last_row: Set(chunk.last_row as i32),
        row_count: Set(chunk.rows as i32),
        issue_rows: Set(chunk.issue_rows as i32),
        content: Set(chunk.content),
    };
    Entity::insert(model).exec_without_returning(db).await?;
    Ok(())
}

/// The chunk right after `after_row` as stored, to decode elsewhere; with
/// `only_issues`, the next chunk that has a row with an issue.
pub async fn next_encoded(db: &impl ConnectionTrait, run_id: Uuid, after_row: u32, only_issues: bool) -> Result<Option<EncodedPlans>> {
    let mut query = Entity::find().filter(Column::RunId.eq(run_id)).filter(Column::LastRow.gt(after_row as i32));
    if only_issues {
        query = query.filter(Column::IssueRows.gt(0));
    }
    let chunk = query.order_by_asc(Column::FirstRow).limit(1).one(db).await?;
    Ok(chunk.map(|c| EncodedPlans {
        first_row: c.first_row as u32,
        last_row: c.last_row as u32,
        rows: c.row_count as usize,
        issue_rows: c.issue_rows as usize,
        content: c.content,
    }))
}

/// Up to `limit` plans after `after_row`; with `only_issues`, rows with an issue only.
pub async fn page(db: &impl ConnectionTrait, run_id: Uuid, after_row: u32, limit: u64, only_issues: bool) -> Result<Vec<RowPlan>> {
    let mut page = Vec::new();
    let mut cursor = after_row;
    while (page.len() as u64) < limit {
        let Some(encoded) = next_encoded(db, run_id, cursor, only_issues).await? else { break };
        let chunk = encoded.decode()?;
        let Some(last) = chunk.last() else { break };
        cursor = last.row_number;
        page.extend(chunk.into_iter().filter(|p| p.row_number > after_row && (!only_issues || !p.issues.is_empty())));
    }
    page.truncate(limit as usize);
    Ok(page)
}

pub async fn count(db: &impl ConnectionTrait, run_id: Uuid, only_issues: bool) -> Result<u64> {
    let column = if only_issues { Column::IssueRows } else { Column::RowCount };
    let total: Option<Option<i64>> = Entity::find()
        .select_only()
        .column_as(Expr::col(column).sum(), "total")
        .filter(Column::RunId.eq(run_id))
        .into_tuple()
        .one(db)
        .await?;
    Ok(u64::try_from(total.flatten().unwrap_or(0)).unwrap_or(0))
}

/// Removes a run's plans (a taken-over dry run starts again).
pub async fn delete(db: &impl ConnectionTrait, run_id: Uuid) -> Result<()> {
    Entity::delete_many().filter(Column::RunId.eq(run_id)).exec(db).await?;
    Ok(())
}
