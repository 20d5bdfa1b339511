//! Notifications for a company's admins (R-LOG-4): stored, paged newest first,
//! marked read.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::Value;
use uuid::Uuid;

use super::employees::Page;
use crate::entities::notification::{ActiveModel, Column, Entity, Model};
use crate::error::Result;

#[derive(Debug, Clone, PartialEq)]
pub struct StoredNotification {
    pub id: Uuid,
    pub company_id: Uuid,
    pub kind: String,
    pub message: String,
    pub data: Value,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

fn to_domain(m: Model) -> StoredNotification {
    StoredNotification {
        id: m.id,
        company_id: m.company_id,
        kind: m.kind,
        message: m.message,
        data: m.data,
        created_at: m.created_at,
        read_at: m.read_at,
    }
}

pub async fn insert_many(db: &impl ConnectionTrait, notifications: &[StoredNotification]) -> Result<()> {
    if notifications.is_empty() {
        return Ok(());
    }
    let rows = notifications.iter().map(|n| ActiveModel {
        id: Set(n.id),
        company_id: Set(n.company_id),
        kind: Set(n.kind.clone()),
        message: Set(n.message.clone()),
        data: Set(n.data.clone()),
        created_at: Set(n.created_at),
        read_at: Set(n.read_at),
    });
    for chunk in rows.collect::<Vec<_>>().chunks(500) {
        Entity::insert_many(chunk.to_vec()).exec_without_returning(db).await?;
    }
    Ok(())
}

fn filtered(company_id: Uuid, unread_only: bool) -> sea_orm::Select<Entity> {
    let mut query = Entity::find().filter(Column::CompanyId.eq(company_id));
    if unread_only {
        query = query.filter(Column::ReadAt.is_null());
    }
    query
}

/// Newest first (ids are UUIDv7), `first` after the cursor `after`.
pub async fn page(
    db: &impl ConnectionTrait,
    company_id: Uuid,
    unread_only: bool,
    (first, after): (u64, Option<Uuid>),
    with_total: bool,
) -> Result<Page<StoredNotification>> {
    let total_count = match with_total {
        true => Some(filtered(company_id, unread_only).count(db).await?),
        false => None,
    };
    let mut query = filtered(company_id, unread_only).order_by_desc(Column::Id).limit(first + 1);
    if let Some(after) = after {
        query = query.filter(Column::Id.lt(after));
    }
    let mut rows = query.all(db).await?;
    let has_next_page = rows.len() as u64 > first;
    rows.truncate(first as usize);
    Ok(Page { items: rows.into_iter().map(to_domain).collect(), has_next_page, total_count })
}

/// Marks those of `ids` that are the company's as read; returns them.
pub async fn mark_read(db: &impl ConnectionTrait, company_id: Uuid, ids: &[Uuid], now: DateTime<Utc>) -> Result<Vec<StoredNotification>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mine = Condition::all().add(Column::CompanyId.eq(company_id)).add(Column::Id.is_in(ids.iter().copied()));
    Entity::update_many().col_expr(Column::ReadAt, Expr::val(now)).filter(mine.clone()).filter(Column::ReadAt.is_null()).exec(db).await?;
    Ok(Entity::find().filter(mine).order_by_desc(Column::Id).all(db).await?.into_iter().map(to_domain).collect())
}
