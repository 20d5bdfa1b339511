use sea_orm_migration::{prelude::*, schema::*};

use super::m20261123_000001_create_companies::Companies;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ImportJobs {
    Table,
    Id,
    CompanyId,
    Source,
    Status,
    FileName,
    SheetName,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
    RowCount,
    Columns,
    FailureReason,
}

#[derive(DeriveIden)]
enum ImportFiles {
    Table,
    JobId,
    CompanyId,
    Content,
    Size,
}

/// Staged rows: written before the job row, so they carry no foreign key.
#[derive(DeriveIden)]
enum ImportRows {
    Table,
    JobId,
    RowNumber,
    Cells,
    EmailKey,
}

#[derive(DeriveIden)]
enum ImportRuns {
    Table,
    Id,
    JobId,
    CompanyId,
    Mode,
    Status,
    StartedBy,
    QueuedAt,
    StartedAt,
    FinishedAt,
    Processed,
    Total,
    Summary,
    FailureReason,
    PlanRunId,
    LeaseOwner,
    LeaseUntil,
    CancelRequested,
}

#[derive(DeriveIden)]
enum ImportRowPlans {
    Table,
    RunId,
    RowNumber,
    Event,
    HasIssues,
    EmployeeId,
    SeenVersion,
    Data,
}

/// R-IMP-12: one row per applied row of a sync; its key makes a second apply impossible.
#[derive(DeriveIden)]
enum ImportApplied {
    Table,
    RunId,
    RowNumber,
    Outcome,
    Detail,
}

#[derive(DeriveIden)]
enum AppSecrets {
    Table,
    Name,
    Value,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ImportJobs::Table)
                    .col(pk_uuid(ImportJobs::Id))
                    .col(uuid(ImportJobs::CompanyId))
                    .col(string_len(ImportJobs::Source, 8))
                    .col(string_len(ImportJobs::Status, 24))
                    .col(text_null(ImportJobs::FileName))
                    .col(text_null(ImportJobs::SheetName))
                    .col(text(ImportJobs::CreatedBy))
                    .col(timestamp_with_time_zone(ImportJobs::CreatedAt))
                    .col(timestamp_with_time_zone(ImportJobs::UpdatedAt))
                    .col(big_integer(ImportJobs::RowCount))
                    .col(json_binary(ImportJobs::Columns))
                    .col(text_null(ImportJobs::FailureReason))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ImportJobs::Table, ImportJobs::CompanyId)
                            .to(Companies::Table, Companies::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("import_jobs_company")
                    .table(ImportJobs::Table)
                    .col(ImportJobs::CompanyId)
                    .col(ImportJobs::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ImportFiles::Table)
                    .col(pk_uuid(ImportFiles::JobId))
                    .col(uuid(ImportFiles::CompanyId))
                    .col(blob(ImportFiles::Content))
                    .col(big_integer(ImportFiles::Size))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ImportRows::Table)
                    .col(uuid(ImportRows::JobId))
                    .col(integer(ImportRows::RowNumber))
                    .col(text(ImportRows::Cells))
                    .col(text_null(ImportRows::EmailKey))
                    .primary_key(Index::create().col(ImportRows::JobId).col(ImportRows::RowNumber))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("import_rows_email")
                    .table(ImportRows::Table)
                    .col(ImportRows::JobId)
                    .col(ImportRows::EmailKey)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ImportRuns::Table)
                    .col(pk_uuid(ImportRuns::Id))
                    .col(uuid(ImportRuns::JobId))
                    .col(uuid(ImportRuns::CompanyId))
                    .col(string_len(ImportRuns::Mode, 8))
                    .col(string_len(ImportRuns::Status, 16))
                    .col(text(ImportRuns::StartedBy))
                    .col(timestamp_with_time_zone(ImportRuns::QueuedAt))
                    .col(timestamp_with_time_zone_null(ImportRuns::StartedAt))
                    .col(timestamp_with_time_zone_null(ImportRuns::FinishedAt))
                    .col(big_integer(ImportRuns::Processed))
                    .col(big_integer(ImportRuns::Total))
                    .col(json_binary(ImportRuns::Summary))
                    .col(text_null(ImportRuns::FailureReason))
                    .col(uuid_null(ImportRuns::PlanRunId))
                    .col(text_null(ImportRuns::LeaseOwner))
                    .col(timestamp_with_time_zone_null(ImportRuns::LeaseUntil))
                    .col(boolean(ImportRuns::CancelRequested))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ImportRuns::Table, ImportRuns::JobId)
                            .to(ImportJobs::Table, ImportJobs::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager.create_index(Index::create().name("import_runs_job").table(ImportRuns::Table).col(ImportRuns::JobId).to_owned()).await?;
        manager
            .create_index(Index::create().name("import_runs_status").table(ImportRuns::Table).col(ImportRuns::Status).to_owned())
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ImportRowPlans::Table)
                    .col(uuid(ImportRowPlans::RunId))
                    .col(integer(ImportRowPlans::RowNumber))
                    .col(string_len(ImportRowPlans::Event, 16))
                    .col(boolean(ImportRowPlans::HasIssues))
                    .col(uuid_null(ImportRowPlans::EmployeeId))
                    .col(big_integer_null(ImportRowPlans::SeenVersion))
                    .col(text(ImportRowPlans::Data))
                    .primary_key(Index::create().col(ImportRowPlans::RunId).col(ImportRowPlans::RowNumber))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ImportRowPlans::Table, ImportRowPlans::RunId)
                            .to(ImportRuns::Table, ImportRuns::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ImportApplied::Table)
                    .col(uuid(ImportApplied::RunId))
                    .col(integer(ImportApplied::RowNumber))
                    .col(string_len(ImportApplied::Outcome, 16))
                    .col(text_null(ImportApplied::Detail))
                    .primary_key(Index::create().col(ImportApplied::RunId).col(ImportApplied::RowNumber))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ImportApplied::Table, ImportApplied::RunId)
                            .to(ImportRuns::Table, ImportRuns::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AppSecrets::Table)
                    .col(string_len(AppSecrets::Name, 64).primary_key())
                    .col(text(AppSecrets::Value))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            AppSecrets::Table.into_iden(),
            ImportApplied::Table.into_iden(),
            ImportRowPlans::Table.into_iden(),
            ImportRuns::Table.into_iden(),
            ImportRows::Table.into_iden(),
            ImportFiles::Table.into_iden(),
            ImportJobs::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
