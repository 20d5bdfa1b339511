use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "hris_connections")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub company_id: Uuid,
    pub provider: String,
    pub client_id: String,
    pub secret: String,
    pub enabled_by: String,
    pub enabled_at: DateTimeUtc,
    pub status: String,
    pub last_error_code: Option<String>,
    pub last_error_message: Option<String>,
    pub last_sync_at: Option<DateTimeUtc>,
    pub last_auto_sync_on: Option<Date>,
    #[sea_orm(column_type = "JsonBinary")]
    pub settings: Json,
    #[sea_orm(column_type = "JsonBinary")]
    pub team_mappings: Json,
    #[sea_orm(column_type = "JsonBinary")]
    pub teams: Json,
    #[sea_orm(column_type = "JsonBinary")]
    pub available_attributes: Json,
    pub updated_at: DateTimeUtc,
    pub snapshot_job_id: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
