//! Secrets every replica must share (e.g. the key that signs download links),
//! created once by whichever process starts first.

use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};

use crate::entities::app_secret::{ActiveModel, Column, Entity};
use crate::error::{RepoError, Result};

pub async fn get_or_create(db: &impl ConnectionTrait, name: &str, generate: impl FnOnce() -> String) -> Result<String> {
    if let Some(found) = Entity::find_by_id(name.to_string()).one(db).await? {
        return Ok(found.value);
    }
    let row = ActiveModel { name: Set(name.to_string()), value: Set(generate()) };
    Entity::insert(row).on_conflict_do_nothing_on([Column::Name]).exec_without_returning(db).await?;
    Entity::find_by_id(name.to_string()).one(db).await?.map(|m| m.value).ok_or(RepoError::NotFound)
}
