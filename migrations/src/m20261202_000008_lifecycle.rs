//! The lifecycle (R-LOG-5), notifications (R-LOG-4) and webhooks (R-WH-*):
//! when each employee was onboarded and deactivated, how far each company's
//! dates are processed, keyed leases for background work, notifications, webhook
//! endpoints and their deliveries (the outbox, written with the change).
//!
//! Due work is found through partial indexes that hold only employees still to
//! onboard or to deactivate, so a tick with nothing due reads almost nothing.

use sea_orm_migration::{prelude::*, schema::*};

use super::m20261123_000001_create_companies::Companies;
use super::m20261123_000003_create_employees::Employees;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum LifecycleColumns {
    OnboardedAt,
    DeactivatedAt,
    LifecycleThrough,
}

#[derive(DeriveIden)]
enum WorkLeases {
    Table,
    Key,
    Owner,
    LeaseUntil,
}

#[derive(DeriveIden)]
enum Notifications {
    Table,
    Id,
    CompanyId,
    Kind,
    Message,
    Data,
    CreatedAt,
    ReadAt,
}

#[derive(DeriveIden)]
enum WebhookEndpoints {
    Table,
    Id,
    CompanyId,
    Url,
    EventTypes,
    Enabled,
    DisabledReason,
    Secret,
    PreviousSecret,
    PreviousSecretUntil,
    FailingSince,
    ConsecutiveFailures,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum WebhookDeliveries {
    Table,
    Id,
    CompanyId,
    EndpointId,
    EventId,
    EventType,
    Payload,
    Status,
    Attempts,
    LastStatusCode,
    LastError,
    NextAttemptAt,
    CreatedAt,
    DeliveredAt,
}

const PARTIAL_INDEXES: &[&str] = &[
    "CREATE INDEX employees_to_onboard ON employees (company_id, onboarding_date) WHERE onboarded_at IS NULL",
    "CREATE INDEX employees_to_deactivate ON employees (company_id, offboarding_date) \
       WHERE deactivated_at IS NULL AND offboarding_date IS NOT NULL",
    "CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at, endpoint_id) WHERE status = 'PENDING'",
    "CREATE INDEX notifications_unread ON notifications (company_id, id) WHERE read_at IS NULL",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column per statement.
        for column in
            [timestamp_with_time_zone_null(LifecycleColumns::OnboardedAt), timestamp_with_time_zone_null(LifecycleColumns::DeactivatedAt)]
        {
            manager.alter_table(Table::alter().table(Employees::Table).add_column(column).to_owned()).await?;
        }
        manager
            .alter_table(Table::alter().table(Companies::Table).add_column(date_null(LifecycleColumns::LifecycleThrough)).to_owned())
            .await?;
        let db = manager.get_connection();
        // Employees already onboarded or deactivated before the lifecycle existed
        // are taken as processed: no `employee.onboarded` for the whole directory.
        db.execute_unprepared("UPDATE employees SET onboarded_at = created_at WHERE onboarding_date <= CURRENT_DATE").await?;
        db.execute_unprepared("UPDATE employees SET deactivated_at = updated_at WHERE offboarding_date <= CURRENT_DATE").await?;
        // Existing companies start the lifecycle today; new ones on their first day.
        let yesterday = match manager.get_database_backend() {
            sea_orm_migration::sea_orm::DbBackend::Postgres => "CURRENT_DATE - 1",
            _ => "date('now', '-1 day')",
        };
        db.execute_unprepared(&format!("UPDATE companies SET lifecycle_through = {yesterday}")).await?;
        manager
            .create_table(
                Table::create()
                    .table(WorkLeases::Table)
                    .col(string_len(WorkLeases::Key, 80).primary_key())
                    .col(text(WorkLeases::Owner))
                    .col(timestamp_with_time_zone(WorkLeases::LeaseUntil))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Notifications::Table)
                    .col(pk_uuid(Notifications::Id))
                    .col(uuid(Notifications::CompanyId))
                    .col(string_len(Notifications::Kind, 40))
                    .col(text(Notifications::Message))
                    .col(json_binary(Notifications::Data))
                    .col(timestamp_with_time_zone(Notifications::CreatedAt))
                    .col(timestamp_with_time_zone_null(Notifications::ReadAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Notifications::Table, Notifications::CompanyId)
                            .to(Companies::Table, Companies::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("notifications_company_page")
                    .table(Notifications::Table)
                    .col(Notifications::CompanyId)
                    .col(Notifications::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WebhookEndpoints::Table)
                    .col(pk_uuid(WebhookEndpoints::Id))
                    .col(uuid(WebhookEndpoints::CompanyId))
                    .col(text(WebhookEndpoints::Url))
                    .col(json_binary(WebhookEndpoints::EventTypes))
                    .col(boolean(WebhookEndpoints::Enabled))
                    .col(text_null(WebhookEndpoints::DisabledReason))
                    .col(text(WebhookEndpoints::Secret))
                    .col(text_null(WebhookEndpoints::PreviousSecret))
                    .col(timestamp_with_time_zone_null(WebhookEndpoints::PreviousSecretUntil))
                    .col(timestamp_with_time_zone_null(WebhookEndpoints::FailingSince))
                    .col(integer(WebhookEndpoints::ConsecutiveFailures).default(0))
                    .col(timestamp_with_time_zone(WebhookEndpoints::CreatedAt))
                    .col(timestamp_with_time_zone(WebhookEndpoints::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(WebhookEndpoints::Table, WebhookEndpoints::CompanyId)
                            .to(Companies::Table, Companies::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("webhook_endpoints_company")
                    .table(WebhookEndpoints::Table)
                    .col(WebhookEndpoints::CompanyId)
                    .col(WebhookEndpoints::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WebhookDeliveries::Table)
                    .col(pk_uuid(WebhookDeliveries::Id))
                    .col(uuid(WebhookDeliveries::CompanyId))
                    .col(uuid(WebhookDeliveries::EndpointId))
                    .col(uuid(WebhookDeliveries::EventId))
                    .col(string_len(WebhookDeliveries::EventType, 60))
                    .col(text(WebhookDeliveries::Payload))
                    .col(string_len(WebhookDeliveries::Status, 16))
                    .col(integer(WebhookDeliveries::Attempts).default(0))
                    .col(integer_null(WebhookDeliveries::LastStatusCode))
                    .col(text_null(WebhookDeliveries::LastError))
                    .col(timestamp_with_time_zone_null(WebhookDeliveries::NextAttemptAt))
                    .col(timestamp_with_time_zone(WebhookDeliveries::CreatedAt))
                    .col(timestamp_with_time_zone_null(WebhookDeliveries::DeliveredAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(WebhookDeliveries::Table, WebhookDeliveries::EndpointId)
                            .to(WebhookEndpoints::Table, WebhookEndpoints::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // One delivery per event and endpoint, whatever retries a writer makes.
        manager
            .create_index(
                Index::create()
                    .name("webhook_deliveries_once")
                    .table(WebhookDeliveries::Table)
                    .col(WebhookDeliveries::EndpointId)
                    .col(WebhookDeliveries::EventId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        for sql in PARTIAL_INDEXES {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(WebhookDeliveries::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(WebhookEndpoints::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(Notifications::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(WorkLeases::Table).to_owned()).await?;
        let db = manager.get_connection();
        db.execute_unprepared("DROP INDEX IF EXISTS employees_to_onboard").await?;
        db.execute_unprepared("DROP INDEX IF EXISTS employees_to_deactivate").await?;
        for column in [LifecycleColumns::OnboardedAt, LifecycleColumns::DeactivatedAt] {
            manager.alter_table(Table::alter().table(Employees::Table).drop_column(column).to_owned()).await?;
        }
        manager.alter_table(Table::alter().table(Companies::Table).drop_column(LifecycleColumns::LifecycleThrough).to_owned()).await
    }
}
