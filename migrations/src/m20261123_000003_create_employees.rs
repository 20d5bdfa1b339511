use sea_orm_migration::{prelude::*, schema::*};

use super::m20261123_000001_create_companies::Companies;
use super::m20261123_000002_create_groups_and_policies::CompanyGroups;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum Employees {
    Table,
    Id,
    CompanyId,
    Email,
    FirstName,
    LastName,
    Prefix,
    OnboardingDate,
    OffboardingDate,
    Birthday,
    WorkAnniversary,
    Language,
    CompanyGroupId,
    Phone,
    CustomFields,
    LoginState,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Employees::Table)
                    .col(pk_uuid(Employees::Id))
                    .col(uuid(Employees::CompanyId))
                    .col(text(Employees::Email))
                    .col(text(Employees::FirstName))
                    .col(text(Employees::LastName))
                    .col(text_null(Employees::Prefix))
                    .col(date(Employees::OnboardingDate))
                    .col(date_null(Employees::OffboardingDate))
                    .col(date_null(Employees::Birthday))
                    .col(date_null(Employees::WorkAnniversary))
                    .col(string_len(Employees::Language, 2))
                    .col(uuid_null(Employees::CompanyGroupId))
                    .col(text_null(Employees::Phone))
                    .col(json_binary(Employees::CustomFields))
                    .col(string_len(Employees::LoginState, 16))
                    .col(big_integer(Employees::Version))
                    .col(timestamp_with_time_zone(Employees::CreatedAt))
                    .col(timestamp_with_time_zone(Employees::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Employees::Table, Employees::CompanyId)
                            .to(Companies::Table, Companies::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Employees::Table, Employees::CompanyGroupId)
                            .to(CompanyGroups::Table, CompanyGroups::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        // R-EMP-1: one employee per e-mail in a company; e-mails are stored lower-case.
        manager
            .create_index(
                Index::create()
                    .name("employees_company_email_key")
                    .table(Employees::Table)
                    .col(Employees::CompanyId)
                    .col(Employees::Email)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(Index::create().name("employees_company_group").table(Employees::Table).col(Employees::CompanyGroupId).to_owned())
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Employees::Table).to_owned()).await
    }
}
