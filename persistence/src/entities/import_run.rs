use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "import_runs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub job_id: Uuid,
    pub company_id: Uuid,
    pub mode: String,
    pub status: String,
    pub started_by: String,
    pub queued_at: DateTimeUtc,
    pub started_at: Option<DateTimeUtc>,
    pub finished_at: Option<DateTimeUtc>,
    pub processed: i64,
    pub total: i64,
    #[sea_orm(column_type = "JsonBinary")]
    pub summary: Json,
    pub failure_reason: Option<String>,
    pub plan_run_id: Option<Uuid>,
    pub lease_owner: Option<String>,
    pub lease_until: Option<DateTimeUtc>,
    pub cancel_requested: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
