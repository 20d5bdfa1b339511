//! Uploaded files, kept in the database so any replica can read them again.

use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};
use uuid::Uuid;

use crate::entities::import_file::{ActiveModel, Entity};
use crate::error::Result;

pub async fn store(db: &impl ConnectionTrait, job_id: Uuid, company_id: Uuid, content: Vec<u8>) -> Result<()> {
    let size = content.len() as i64;
    Entity::insert(ActiveModel { job_id: Set(job_id), company_id: Set(company_id), content: Set(content), size: Set(size) })
        .exec_without_returning(db)
        .await?;
    Ok(())
}
