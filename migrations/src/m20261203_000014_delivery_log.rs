//! An endpoint's delivery log, newest first, pages on `(endpoint_id, id)`:
//! without it a page read every delivery the endpoint was ever sent and sorted
//! them. It takes the place of the unique index on `(endpoint_id, event_id)`,
//! which only guarded against a writer queueing one event twice (every event
//! gets a fresh id when it is emitted), so a delivery still costs three index
//! entries. A log filtered by a settled status reads the queue index, where
//! settled deliveries (no next attempt) are in id order.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum WebhookDeliveries {
    Table,
    Id,
    EndpointId,
    EventId,
}

const LOG: &str = "webhook_deliveries_log";
const REPLACED: &str = "webhook_deliveries_once";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(LOG)
                    .table(WebhookDeliveries::Table)
                    .col(WebhookDeliveries::EndpointId)
                    .col(WebhookDeliveries::Id)
                    .to_owned(),
            )
            .await?;
        manager.drop_index(Index::drop().name(REPLACED).table(WebhookDeliveries::Table).to_owned()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(REPLACED)
                    .table(WebhookDeliveries::Table)
                    .col(WebhookDeliveries::EndpointId)
                    .col(WebhookDeliveries::EventId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager.drop_index(Index::drop().name(LOG).table(WebhookDeliveries::Table).to_owned()).await
    }
}
