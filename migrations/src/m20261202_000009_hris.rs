//! The HR-system sync (R-HRIS-*): each employee's link to its HR record and what
//! the HR system brings (manager, cost centre, legal entity, whether the phone
//! is verified), the company's cost centres and legal entities, and the HR
//! connection with its encrypted credentials and settings.

use sea_orm_migration::{prelude::*, schema::*};

use super::m20261123_000001_create_companies::Companies;
use super::m20261123_000003_create_employees::Employees;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum HrisColumns {
    HrisId,
    ManagerHrisId,
    CostCenterId,
    LegalEntityId,
    PhoneVerified,
}

/// Cost centres and legal entities have the same shape: a name per company.
#[derive(DeriveIden)]
enum Named {
    Id,
    CompanyId,
    Name,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum CostCenters {
    Table,
}

#[derive(DeriveIden, Clone, Copy)]
enum LegalEntities {
    Table,
}

#[derive(DeriveIden)]
enum HrisConnections {
    Table,
    Id,
    CompanyId,
    Provider,
    ClientId,
    Secret,
    EnabledBy,
    EnabledAt,
    Status,
    LastErrorCode,
    LastErrorMessage,
    LastSyncAt,
    LastAutoSyncOn,
    Settings,
    TeamMappings,
    Teams,
    AvailableAttributes,
    UpdatedAt,
}

async fn named_table(manager: &SchemaManager<'_>, table: impl IntoIden + Copy + 'static, unique: &str) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(table)
                .col(pk_uuid(Named::Id))
                .col(uuid(Named::CompanyId))
                .col(string_len(Named::Name, 200))
                .col(timestamp_with_time_zone(Named::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(table, Named::CompanyId)
                        .to(Companies::Table, Companies::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
    manager.create_index(Index::create().name(unique).table(table).col(Named::CompanyId).col(Named::Name).unique().to_owned()).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        named_table(manager, CostCenters::Table, "cost_centers_company_name").await?;
        named_table(manager, LegalEntities::Table, "legal_entities_company_name").await?;
        // SQLite alters one column per statement.
        for column in [
            string_len_null(HrisColumns::HrisId, 64),
            string_len_null(HrisColumns::ManagerHrisId, 64),
            uuid_null(HrisColumns::CostCenterId),
            uuid_null(HrisColumns::LegalEntityId),
            boolean(HrisColumns::PhoneVerified).default(true).to_owned(),
        ] {
            manager.alter_table(Table::alter().table(Employees::Table).add_column(column).to_owned()).await?;
        }
        // R-HRIS-2: an HR record links to at most one employee of the company.
        manager
            .create_index(
                Index::create()
                    .name("employees_company_hris_id")
                    .table(Employees::Table)
                    .col(Employees::CompanyId)
                    .col(HrisColumns::HrisId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(HrisConnections::Table)
                    .col(pk_uuid(HrisConnections::Id))
                    .col(uuid_uniq(HrisConnections::CompanyId))
                    .col(string_len(HrisConnections::Provider, 20))
                    .col(text(HrisConnections::ClientId))
                    .col(text(HrisConnections::Secret))
                    .col(text(HrisConnections::EnabledBy))
                    .col(timestamp_with_time_zone(HrisConnections::EnabledAt))
                    .col(string_len(HrisConnections::Status, 20))
                    .col(string_len_null(HrisConnections::LastErrorCode, 40))
                    .col(text_null(HrisConnections::LastErrorMessage))
                    .col(timestamp_with_time_zone_null(HrisConnections::LastSyncAt))
                    .col(date_null(HrisConnections::LastAutoSyncOn))
                    .col(json_binary(HrisConnections::Settings))
                    .col(json_binary(HrisConnections::TeamMappings))
                    .col(json_binary(HrisConnections::Teams))
                    .col(json_binary(HrisConnections::AvailableAttributes))
                    .col(timestamp_with_time_zone(HrisConnections::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(HrisConnections::Table, HrisConnections::CompanyId)
                            .to(Companies::Table, Companies::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(HrisConnections::Table).to_owned()).await?;
        manager.drop_index(Index::drop().name("employees_company_hris_id").table(Employees::Table).to_owned()).await?;
        for column in [
            HrisColumns::HrisId,
            HrisColumns::ManagerHrisId,
            HrisColumns::CostCenterId,
            HrisColumns::LegalEntityId,
            HrisColumns::PhoneVerified,
        ] {
            manager.alter_table(Table::alter().table(Employees::Table).drop_column(column).to_owned()).await?;
        }
        manager.drop_table(Table::drop().table(LegalEntities::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(CostCenters::Table).to_owned()).await
    }
}
