//! Each endpoint's queue of deliveries in the order they are sent: the runner
//! reads an endpoint's due deliveries, and which endpoints have any, through
//! this index, so neither walks the endpoint's delivery log (every delivery it
//! was ever sent) or sorts it (issue 11: a 100k-row sync queued 100k deliveries
//! and every batch of 100 read them all). It replaces the partial index on
//! (next_attempt_at, endpoint_id), which every query here now leads past.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum WebhookDeliveries {
    Table,
    Id,
    EndpointId,
    Status,
    NextAttemptAt,
}

const INDEX: &str = "webhook_deliveries_endpoint_queue";
const REPLACED: &str = "webhook_deliveries_due";
const REPLACED_UP: &str =
    "CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at, endpoint_id) WHERE status = 'PENDING'";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(INDEX)
                    .table(WebhookDeliveries::Table)
                    .col(WebhookDeliveries::EndpointId)
                    .col(WebhookDeliveries::Status)
                    .col(WebhookDeliveries::NextAttemptAt)
                    .col(WebhookDeliveries::Id)
                    .to_owned(),
            )
            .await?;
        manager.drop_index(Index::drop().name(REPLACED).table(WebhookDeliveries::Table).to_owned()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.get_connection().execute_unprepared(REPLACED_UP).await?;
        manager.drop_index(Index::drop().name(INDEX).table(WebhookDeliveries::Table).to_owned()).await
    }
}
