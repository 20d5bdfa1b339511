//! Keyed leases: background work that is not a queued row (a company's lifecycle,
//! an endpoint's deliveries) is done by whichever runner holds its key. Taking a
//! lease is one conditional upsert, so two runners can never both hold one; a
//! lease not renewed in time expires and another runner takes it over.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::entities::work_lease::{Column, Entity};
use crate::error::Result;

/// Takes `key` for `owner` until `until` if it is free, expired at `now`, or
/// already `owner`'s; says whether `owner` holds it now.
pub async fn try_take(db: &impl ConnectionTrait, key: &str, owner: &str, now: DateTime<Utc>, until: DateTime<Utc>) -> Result<bool> {
    let mut insert = Query::insert();
    insert.into_table(Entity).columns([Column::Key, Column::Owner, Column::LeaseUntil]).values_panic([
        Expr::val(key),
        Expr::val(owner),
        Expr::val(until),
    ]);
    insert.on_conflict(
        OnConflict::column(Column::Key)
            .update_columns([Column::Owner, Column::LeaseUntil])
            .action_and_where(Expr::col((Entity, Column::LeaseUntil)).lt(now).or(Expr::col((Entity, Column::Owner)).eq(owner)))
            .to_owned(),
    );
    Ok(db.execute(&insert).await?.rows_affected() == 1)
}

/// Extends `owner`'s lease; false when it was lost (expired and taken over).
pub async fn renew(db: &impl ConnectionTrait, key: &str, owner: &str, until: DateTime<Utc>) -> Result<bool> {
    let result = Entity::update_many()
        .col_expr(Column::LeaseUntil, Expr::val(until))
        .filter(Column::Key.eq(key))
        .filter(Column::Owner.eq(owner))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

pub async fn release(db: &impl ConnectionTrait, key: &str, owner: &str) -> Result<()> {
    Entity::delete_many().filter(Column::Key.eq(key)).filter(Column::Owner.eq(owner)).exec(db).await?;
    Ok(())
}
