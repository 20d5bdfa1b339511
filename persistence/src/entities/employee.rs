use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "employees")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub company_id: Uuid,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub prefix: Option<String>,
    pub onboarding_date: Date,
    pub offboarding_date: Option<Date>,
    pub birthday: Option<Date>,
    pub work_anniversary: Option<Date>,
    pub language: String,
    pub company_group_id: Option<Uuid>,
    pub phone: Option<String>,
    #[sea_orm(column_type = "JsonBinary")]
    pub custom_fields: Json,
    pub login_state: String,
    pub version: i64,
    pub onboarded_at: Option<DateTimeUtc>,
    pub deactivated_at: Option<DateTimeUtc>,
    pub hris_id: Option<String>,
    pub manager_hris_id: Option<String>,
    pub cost_center_id: Option<Uuid>,
    pub legal_entity_id: Option<Uuid>,
    pub phone_verified: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
