//! Event bodies leave the delivery rows: the events of one write are stored
//! together, compressed, in `webhook_event_batches`, and each delivery points at
//! its body (`batch_id`, `batch_index`). A 100k-row sync queued 144k deliveries
//! of ~700-byte bodies, written in the sync's own transactions, then rewritten
//! whole (body included) by every attempt's record; now it writes ~600 batch
//! rows a few times smaller than those bodies, and delivery rows stay small.
//!
//! Bodies already queued move into batches of one uncompressed body each
//! (`encoding` 0); new batches are deflated lines (`encoding` 1).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum WebhookEventBatches {
    Table,
    Id,
    CompanyId,
    Encoding,
    Bodies,
    CreatedAt,
}

#[derive(DeriveIden)]
enum WebhookDeliveries {
    Table,
    BatchId,
    BatchIndex,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(WebhookEventBatches::Table)
                    .col(pk_uuid(WebhookEventBatches::Id))
                    .col(uuid(WebhookEventBatches::CompanyId))
                    .col(small_integer(WebhookEventBatches::Encoding))
                    .col(blob(WebhookEventBatches::Bodies))
                    .col(timestamp_with_time_zone(WebhookEventBatches::CreatedAt))
                    .to_owned(),
            )
            .await?;
        // SQLite alters one column per statement.
        for column in [uuid_null(WebhookDeliveries::BatchId), integer_null(WebhookDeliveries::BatchIndex)] {
            manager.alter_table(Table::alter().table(WebhookDeliveries::Table).add_column(column).to_owned()).await?;
        }
        let db = manager.get_connection();
        let as_bytes = match manager.get_database_backend() {
            DbBackend::Postgres => {
                // Already compressed: TOAST would only try again.
                db.execute_unprepared("ALTER TABLE webhook_event_batches ALTER COLUMN bodies SET STORAGE EXTERNAL").await?;
                "convert_to(payload, 'UTF8')"
            }
            _ => "CAST(payload AS BLOB)",
        };
        db.execute_unprepared(&format!(
            "INSERT INTO webhook_event_batches (id, company_id, encoding, bodies, created_at) \
             SELECT id, company_id, 0, {as_bytes}, created_at FROM webhook_deliveries"
        ))
        .await?;
        db.execute_unprepared("UPDATE webhook_deliveries SET batch_id = id, batch_index = 0").await?;
        db.execute_unprepared("ALTER TABLE webhook_deliveries DROP COLUMN payload").await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Only bodies stored uncompressed come back; a delivery of a deflated batch keeps an empty body.
        let db = manager.get_connection();
        db.execute_unprepared("ALTER TABLE webhook_deliveries ADD COLUMN payload TEXT NOT NULL DEFAULT ''").await?;
        let as_text = match manager.get_database_backend() {
            DbBackend::Postgres => "convert_from(b.bodies, 'UTF8')",
            _ => "CAST(b.bodies AS TEXT)",
        };
        db.execute_unprepared(&format!(
            "UPDATE webhook_deliveries SET payload = COALESCE((SELECT {as_text} FROM webhook_event_batches b \
             WHERE b.id = webhook_deliveries.batch_id AND b.encoding = 0), payload)"
        ))
        .await?;
        for column in [WebhookDeliveries::BatchId, WebhookDeliveries::BatchIndex] {
            manager.alter_table(Table::alter().table(WebhookDeliveries::Table).drop_column(column).to_owned()).await?;
        }
        manager.drop_table(Table::drop().table(WebhookEventBatches::Table).to_owned()).await
    }
}
