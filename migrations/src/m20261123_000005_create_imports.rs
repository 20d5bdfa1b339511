use sea_orm_migration::{prelude::*, schema::*};

use super::m20261123_000001_create_companies::Companies;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum ImportJobs {
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
/// An uploaded file in parts of a few megabytes, so storing a large one never
/// holds more than one part in memory twice.
enum ImportFiles {
    Table,
    JobId,
    Part,
    CompanyId,
    Content,
}

/// Staged rows, a batch of sheet rows per chunk (one compact blob each, so a
/// million-row sheet is a thousand inserts, not a million). Written before the
/// job row, so they carry no foreign key.
#[derive(DeriveIden)]
enum ImportRowChunks {
    Table,
    JobId,
    FirstRow,
    LastRow,
    RowCount,
    Content,
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

/// A dry run's row plans, one chunk per batch it planned; a sync applies one chunk per transaction.
#[derive(DeriveIden)]
enum ImportPlanChunks {
    Table,
    RunId,
    FirstRow,
    LastRow,
    RowCount,
    IssueRows,
    Content,
}

/// R-IMP-12: a sync's applied plan chunk with every row's outcome, written in the
/// chunk's own transaction; its key (run, first row) makes a second apply impossible.
#[derive(DeriveIden)]
enum ImportAppliedChunks {
    Table,
    RunId,
    FirstRow,
    LastRow,
    Outcomes,
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
                    .col(uuid(ImportFiles::JobId))
                    .col(integer(ImportFiles::Part))
                    .col(uuid(ImportFiles::CompanyId))
                    .col(blob(ImportFiles::Content))
                    .primary_key(Index::create().col(ImportFiles::JobId).col(ImportFiles::Part))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ImportRowChunks::Table)
                    .col(uuid(ImportRowChunks::JobId))
                    .col(integer(ImportRowChunks::FirstRow))
                    .col(integer(ImportRowChunks::LastRow))
                    .col(integer(ImportRowChunks::RowCount))
                    .col(blob(ImportRowChunks::Content))
                    .primary_key(Index::create().col(ImportRowChunks::JobId).col(ImportRowChunks::FirstRow))
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
                    .table(ImportPlanChunks::Table)
                    .col(uuid(ImportPlanChunks::RunId))
                    .col(integer(ImportPlanChunks::FirstRow))
                    .col(integer(ImportPlanChunks::LastRow))
                    .col(integer(ImportPlanChunks::RowCount))
                    .col(integer(ImportPlanChunks::IssueRows))
                    .col(blob(ImportPlanChunks::Content))
                    .primary_key(Index::create().col(ImportPlanChunks::RunId).col(ImportPlanChunks::FirstRow))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ImportPlanChunks::Table, ImportPlanChunks::RunId)
                            .to(ImportRuns::Table, ImportRuns::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ImportAppliedChunks::Table)
                    .col(uuid(ImportAppliedChunks::RunId))
                    .col(integer(ImportAppliedChunks::FirstRow))
                    .col(integer(ImportAppliedChunks::LastRow))
                    .col(blob(ImportAppliedChunks::Outcomes))
                    .primary_key(Index::create().col(ImportAppliedChunks::RunId).col(ImportAppliedChunks::FirstRow))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ImportAppliedChunks::Table, ImportAppliedChunks::RunId)
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
            ImportAppliedChunks::Table.into_iden(),
            ImportPlanChunks::Table.into_iden(),
            ImportRuns::Table.into_iden(),
            ImportRowChunks::Table.into_iden(),
            ImportFiles::Table.into_iden(),
            ImportJobs::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
