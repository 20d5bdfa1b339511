//! Uploaded files, kept in the database beside their job, in parts.

use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};
use uuid::Uuid;

use crate::entities::import_file::{ActiveModel, Entity};
use crate::error::Result;

/// Bytes per stored part.
const PART: usize = 4 << 20;

pub async fn store(db: &impl ConnectionTrait, job_id: Uuid, company_id: Uuid, content: &[u8]) -> Result<()> {
    for (part, bytes) in content.chunks(PART).enumerate() {
        let row = ActiveModel { job_id: Set(job_id), part: Set(part as i32), company_id: Set(company_id), content: Set(bytes.to_vec()) };
        Entity::insert(row).exec_without_returning(db).await?;
    }
    Ok(())
}
