use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_event_batches")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Written order; assigned by the database.
    pub seq: i64,
    /// The writing transaction on PostgreSQL; 0 on SQLite.
    pub txid: i64,
    pub company_id: Uuid,
    /// 0: one body as it is; 1: deflated bodies, one per line; 2: deflated events, one per line.
    pub encoding: i16,
    pub bodies: Vec<u8>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
