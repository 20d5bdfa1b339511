//! Uploaded files, kept in the database so any replica can read them again.

use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::entities::import_file::{ActiveModel, Column, Entity};
use crate::error::Result;

pub async fn store(db: &impl ConnectionTrait, job_id: Uuid, company_id: Uuid, content: Vec<u8>) -> Result<()> {
    let size = content.len() as i64;
    Entity::insert(ActiveModel { job_id: Set(job_id), company_id: Set(company_id), content: Set(content), size: Set(size) })
        .exec_without_returning(db)
        .await?;
    Ok(())
}

pub async fn load(db: &impl ConnectionTrait, company_id: Uuid, job_id: Uuid) -> Result<Option<Vec<u8>>> {
    Ok(Entity::find().filter(Column::JobId.eq(job_id)).filter(Column::CompanyId.eq(company_id)).one(db).await?.map(|m| m.content))
}
