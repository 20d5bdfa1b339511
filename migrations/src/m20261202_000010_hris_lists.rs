//! What the HR sync's lists and the daily sync need: the employee filters by
//! cost centre and legal entity on per-company page indexes, the snapshot the
//! "invite via HR" list reads (R-HRIS-3), and import jobs applied as soon as
//! their dry run completes (the daily automatic sync, R-HRIS-10).

use sea_orm_migration::{prelude::*, schema::*};

use super::m20261123_000003_create_employees::Employees;
use super::m20261123_000005_create_imports::ImportJobs;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum HrisColumns {
    CostCenterId,
    LegalEntityId,
}

#[derive(DeriveIden)]
enum HrisConnections {
    Table,
    SnapshotJobId,
}

#[derive(DeriveIden)]
enum AutoApply {
    ApplyAfterDryRun,
}

const PAGE_INDEXES: [(&str, HrisColumns); 2] = [
    ("employees_company_cost_center_page", HrisColumns::CostCenterId),
    ("employees_company_legal_entity_page", HrisColumns::LegalEntityId),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, column) in PAGE_INDEXES {
            manager
                .create_index(
                    Index::create().name(name).table(Employees::Table).col(Employees::CompanyId).col(column).col(Employees::Id).to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(Table::alter().table(HrisConnections::Table).add_column(uuid_null(HrisConnections::SnapshotJobId)).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(ImportJobs::Table)
                    .add_column(boolean(AutoApply::ApplyAfterDryRun).default(false).to_owned())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table(ImportJobs::Table).drop_column(AutoApply::ApplyAfterDryRun).to_owned()).await?;
        manager.alter_table(Table::alter().table(HrisConnections::Table).drop_column(HrisConnections::SnapshotJobId).to_owned()).await?;
        for (name, _) in PAGE_INDEXES {
            manager.drop_index(Index::drop().name(name).table(Employees::Table).to_owned()).await?;
        }
        Ok(())
    }
}
