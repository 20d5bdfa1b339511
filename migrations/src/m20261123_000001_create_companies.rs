use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum Companies {
    Table,
    Id,
    Name,
    DefaultLanguage,
    TimeZone,
    SendInvitationsOnCreate,
    ReportingPrefix,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Companies::Table)
                    .col(pk_uuid(Companies::Id))
                    .col(text(Companies::Name))
                    .col(string_len(Companies::DefaultLanguage, 2))
                    .col(text(Companies::TimeZone))
                    .col(boolean(Companies::SendInvitationsOnCreate))
                    .col(string_len(Companies::ReportingPrefix, 32))
                    .col(timestamp_with_time_zone(Companies::CreatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Companies::Table).to_owned()).await
    }
}
