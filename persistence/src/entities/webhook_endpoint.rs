use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_endpoints")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub company_id: Uuid,
    pub url: String,
    #[sea_orm(column_type = "JsonBinary")]
    pub event_types: Json,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    /// Encrypted (R-WH-6).
    pub secret: String,
    pub previous_secret: Option<String>,
    pub previous_secret_until: Option<DateTimeUtc>,
    pub failing_since: Option<DateTimeUtc>,
    pub consecutive_failures: i32,
    /// The last event batch this endpoint was sent, or started after.
    pub outbox_txid: i64,
    pub outbox_seq: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
