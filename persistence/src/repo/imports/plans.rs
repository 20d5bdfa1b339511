//! Row plans of a dry run: what the sync will apply, row by row (R-IMP-10/11).

use roster_domain::import::RowPlan;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::INSERT_CHUNK;
use crate::entities::import_row_plan::{ActiveModel, Column, Entity, Model};
use crate::error::Result;
use crate::repo::codec::{decode_plan, encode_plan};

pub async fn insert_batch(db: &impl ConnectionTrait, run_id: Uuid, plans: &[RowPlan]) -> Result<()> {
    for chunk in plans.chunks(INSERT_CHUNK) {
        let models = chunk.iter().map(|p| ActiveModel {
            run_id: Set(run_id),
            row_number: Set(p.row_number as i32),
            event: Set(p.event.code().to_string()),
            has_issues: Set(!p.issues.is_empty()),
            employee_id: Set(p.employee_id),
            seen_version: Set(p.seen_version),
            data: Set(encode_plan(p)),
        });
        Entity::insert_many(models).exec_without_returning(db).await?;
    }
    Ok(())
}

fn decode(m: Model) -> Result<RowPlan> {
    decode_plan(m.row_number, &m.event, m.employee_id, m.seen_version, &m.data)
}

/// Up to `limit` plans after `after_row`; with `only_issues`, rows with an issue only.
pub async fn page(db: &impl ConnectionTrait, run_id: Uuid, after_row: u32, limit: u64, only_issues: bool) -> Result<Vec<RowPlan>> {
    let mut query = Entity::find().filter(Column::RunId.eq(run_id)).filter(Column::RowNumber.gt(after_row as i32));
    if only_issues {
        query = query.filter(Column::HasIssues.eq(true));
    }
    query.order_by_asc(Column::RowNumber).limit(limit).all(db).await?.into_iter().map(decode).collect()
}

pub async fn count(db: &impl ConnectionTrait, run_id: Uuid, only_issues: bool) -> Result<u64> {
    let mut query = Entity::find().filter(Column::RunId.eq(run_id));
    if only_issues {
        query = query.filter(Column::HasIssues.eq(true));
    }
    Ok(query.count(db).await?)
}

/// Removes a run's plans (a resumed dry run starts its batch again).
pub async fn delete_from(db: &impl ConnectionTrait, run_id: Uuid, from_row: u32) -> Result<()> {
    Entity::delete_many().filter(Column::RunId.eq(run_id)).filter(Column::RowNumber.gte(from_row as i32)).exec(db).await?;
    Ok(())
}
