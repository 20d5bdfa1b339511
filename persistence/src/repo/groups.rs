//! Company groups (R-GRP-1).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use roster_domain::{CompanyGroup, GroupName};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::stored;
use super::writes::WriteBatch;
use crate::entities::company_group::{ActiveModel, Column, Entity, Model};
use crate::entities::employee;
use crate::error::Result;

fn to_domain(m: Model) -> Result<CompanyGroup> {
    Ok(CompanyGroup { id: m.id, company_id: m.company_id, name: stored("group name", GroupName::parse(&m.name))? })
}

/// Fails with `Conflict { constraint: "company_groups_company_name_key" }` when the
/// company has a group of that name in any case.
pub async fn insert(db: &impl ConnectionTrait, group: &CompanyGroup, now: DateTime<Utc>) -> Result<()> {
    let row = ActiveModel {
        id: Set(group.id),
        company_id: Set(group.company_id),
        name: Set(group.name.as_str().to_string()),
        name_key: Set(group.name.match_key()),
        created_at: Set(now),
    };
    Entity::insert(row).exec_without_returning(db).await?;
    Ok(())
}

/// R-HRIS-6: creates the groups a sync names that do not exist yet (one of the
/// same id or name is left as it is).
pub fn create_missing_into(batch: &mut WriteBatch, groups: &[CompanyGroup], now: DateTime<Utc>) {
    if groups.is_empty() {
        return;
    }
    let mut insert = Query::insert();
    insert
        .into_table(Entity)
        .columns([Column::Id, Column::CompanyId, Column::Name, Column::NameKey, Column::CreatedAt])
        .on_conflict(OnConflict::new().do_nothing().to_owned());
    for g in groups {
        insert.values_panic([g.id.into(), g.company_id.into(), g.name.as_str().into(), g.name.match_key().into(), now.into()]);
    }
    batch.push(&insert);
}

/// The company's groups, by name.
pub async fn list(db: &impl ConnectionTrait, company_id: Uuid) -> Result<Vec<CompanyGroup>> {
    Entity::find()
        .filter(Column::CompanyId.eq(company_id))
        .order_by_asc(Column::NameKey)
        .all(db)
        .await?
        .into_iter()
        .map(to_domain)
        .collect()
}

pub async fn find(db: &impl ConnectionTrait, company_id: Uuid, id: Uuid) -> Result<Option<CompanyGroup>> {
    Entity::find().filter(Column::CompanyId.eq(company_id)).filter(Column::Id.eq(id)).one(db).await?.map(to_domain).transpose()
}

/// The ones of `ids` that are groups of this company (R-TEN-1: never another's).
pub async fn existing_ids(db: &impl ConnectionTrait, company_id: Uuid, ids: &[Uuid]) -> Result<Vec<Uuid>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(Entity::find()
        .select_only()
        .column(Column::Id)
        .filter(Column::CompanyId.eq(company_id))
        .filter(Column::Id.is_in(ids.iter().copied()))
        .into_tuple::<Uuid>()
        .all(db)
        .await?)
}

/// Employees per group of the company, in one query.
pub async fn employee_counts(db: &impl ConnectionTrait, company_id: Uuid) -> Result<HashMap<Uuid, i64>> {
    let rows: Vec<(Option<Uuid>, i64)> = employee::Entity::find()
        .select_only()
        .column(employee::Column::CompanyGroupId)
        .column_as(Expr::col(employee::Column::Id).count(), "n")
        .filter(employee::Column::CompanyId.eq(company_id))
        .filter(employee::Column::CompanyGroupId.is_not_null())
        .group_by(employee::Column::CompanyGroupId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().filter_map(|(g, n)| g.map(|g| (g, n))).collect())
}
