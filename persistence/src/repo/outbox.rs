//! The webhook outbox (R-WH-2): an event becomes one delivery row per endpoint
//! that subscribed to it, written in the transaction of the change it reports,
//! with its body in a batch of the transaction's events (`event_batches`).
//! A change that commits has its deliveries; one that rolls back has none.
//! Bulk writers add many deliveries to a `WriteBatch` as multi-row statements.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use super::event_batches::{self, EVENTS_PER_BATCH};
use super::writes::WriteBatch;
use crate::entities::{webhook_delivery, webhook_endpoint, webhook_event_batch};
use crate::error::Result;

/// An enabled endpoint of the company and the event types it takes (empty: all).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub endpoint_id: Uuid,
    pub event_types: Vec<String>,
}

impl Subscription {
    pub fn wants(&self, event_type: &str) -> bool {
        self.event_types.is_empty() || self.event_types.iter().any(|t| t == event_type)
    }
}

/// An event to deliver: its id (the `webhook-id`), type and the exact body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingEvent {
    pub id: Uuid,
    pub event_type: String,
    pub body: String,
}

/// The company's enabled endpoints with what they subscribe to.
pub async fn subscriptions(db: &impl ConnectionTrait, company_id: Uuid) -> Result<Vec<Subscription>> {
    let rows = webhook_endpoint::Entity::find()
        .select_only()
        .column(webhook_endpoint::Column::Id)
        .column(webhook_endpoint::Column::EventTypes)
        .filter(webhook_endpoint::Column::CompanyId.eq(company_id))
        .filter(webhook_endpoint::Column::Enabled.eq(true))
        .into_tuple::<(Uuid, serde_json::Value)>()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(endpoint_id, types)| Subscription { endpoint_id, event_types: serde_json::from_value(types).unwrap_or_default() })
        .collect())
}

/// Adds the deliveries of `events` to every subscribed endpoint to the batch:
/// created `now`, due at `due` (the delivery clock). The bodies of the events
/// some endpoint takes are stored once each, in batches.
pub fn enqueue_into(
    batch: &mut WriteBatch,
    company_id: Uuid,
    subscriptions: &[Subscription],
    events: &[OutgoingEvent],
    (now, due): (DateTime<Utc>, DateTime<Utc>),
) {
    let wanted: Vec<&OutgoingEvent> = events.iter().filter(|e| subscriptions.iter().any(|s| s.wants(&e.event_type))).collect();
    let mut rows: Vec<(Uuid, &OutgoingEvent, Uuid, i32)> = Vec::new();
    let mut stored = Vec::new();
    for events in wanted.chunks(EVENTS_PER_BATCH) {
        let packed = event_batches::pack(company_id, events.iter().map(|e| e.body.as_str()), now);
        let batch_id = packed.id;
        stored.push(packed);
        for (index, event) in events.iter().enumerate() {
            for s in subscriptions.iter().filter(|s| s.wants(&event.event_type)) {
                rows.push((s.endpoint_id, event, batch_id, index as i32));
            }
        }
    }
    push_event_batches(batch, stored);
    use webhook_delivery::Column as C;
    for chunk in rows.chunks(300) {
        let mut insert = Query::insert();
        insert.into_table(webhook_delivery::Entity).columns([
            C::Id,
            C::CompanyId,
            C::EndpointId,
            C::EventId,
            C::EventType,
            C::BatchId,
            C::BatchIndex,
            C::Status,
            C::Attempts,
            C::NextAttemptAt,
            C::CreatedAt,
        ]);
        for (endpoint_id, event, batch_id, index) in chunk {
            insert.values_panic([
                Expr::val(Uuid::now_v7()),
                Expr::val(company_id),
                Expr::val(*endpoint_id),
                Expr::val(event.id),
                Expr::val(event.event_type.as_str()),
                Expr::val(*batch_id),
                Expr::val(*index),
                Expr::val("PENDING"),
                Expr::val(0),
                Expr::val(due),
                Expr::val(now),
            ]);
        }
        batch.push(&insert);
    }
}

/// One multi-row insert of the batches (a handful per call: a sync chunk's events).
fn push_event_batches(batch: &mut WriteBatch, stored: Vec<webhook_event_batch::Model>) {
    if stored.is_empty() {
        return;
    }
    use webhook_event_batch::Column as C;
    let mut insert = Query::insert();
    insert.into_table(webhook_event_batch::Entity).columns([C::Id, C::CompanyId, C::Encoding, C::Bodies, C::CreatedAt]);
    for row in stored {
        insert.values_panic([
            Expr::val(row.id),
            Expr::val(row.company_id),
            Expr::val(row.encoding),
            Expr::val(row.bodies),
            Expr::val(row.created_at),
        ]);
    }
    batch.push(&insert);
}

/// `enqueue_into`, run now on `db` (the change's transaction).
pub async fn enqueue(
    db: &impl ConnectionTrait,
    company_id: Uuid,
    subscriptions: &[Subscription],
    events: &[OutgoingEvent],
    times: (DateTime<Utc>, DateTime<Utc>),
) -> Result<()> {
    let mut batch = WriteBatch::new(db.get_database_backend());
    enqueue_into(&mut batch, company_id, subscriptions, events, times);
    batch.execute(db).await
}
