//! The webhook outbox (R-WH-2): the events some endpoint subscribed to are
//! written in the transaction of the change they report, in batches of the
//! transaction's events (`event_batches`). A change that commits has its
//! events; one that rolls back has none. Each endpoint reads its company's
//! batches in order from its own position (`webhooks::next_batches`), and a
//! delivery row is written when the runner has attempted it. Bulk writers add
//! a chunk's batches to a `WriteBatch` as one multi-row statement.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use super::event_batches::{self, EVENTS_PER_BATCH};
use super::writes::WriteBatch;
use crate::entities::{webhook_endpoint, webhook_event_batch};
use crate::error::Result;

/// An enabled endpoint of the company and the event types it takes (empty: all).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub endpoint_id: Uuid,
    pub event_types: Vec<String>,
}

impl Subscription {
    pub fn wants(&self, event_type: &str) -> bool {
        takes(&self.event_types, event_type)
    }
}

/// Whether an endpoint subscribed to `event_types` (empty: all) takes the type.
pub fn takes(event_types: &[String], event_type: &str) -> bool {
    event_types.is_empty() || event_types.iter().any(|t| t == event_type)
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

/// Adds the events some endpoint takes to the batch, as event batches written
/// `now`: the change's outbox, fanned out into deliveries when the runner sends
/// them. On PostgreSQL each batch carries its transaction's id, which keeps a
/// runner off it until no older transaction is still running.
pub fn enqueue_into(
    batch: &mut WriteBatch,
    company_id: Uuid,
    subscriptions: &[Subscription],
    events: &[OutgoingEvent],
    now: DateTime<Utc>,
) {
    let wanted: Vec<&OutgoingEvent> = events.iter().filter(|e| subscriptions.iter().any(|s| s.wants(&e.event_type))).collect();
    if wanted.is_empty() {
        return;
    }
    let txid = current_txid(batch.backend());
    use webhook_event_batch::Column as C;
    let mut insert = Query::insert();
    insert.into_table(webhook_event_batch::Entity).columns([C::Id, C::CompanyId, C::Txid, C::Encoding, C::Bodies, C::CreatedAt]);
    for events in wanted.chunks(EVENTS_PER_BATCH) {
        let row = event_batches::pack(company_id, events.iter().map(|e| (e.id, e.event_type.as_str(), e.body.as_str())), now);
        insert.values_panic([
            Expr::val(row.id),
            Expr::val(row.company_id),
            txid.clone(),
            Expr::val(row.encoding),
            Expr::val(row.bodies),
            Expr::val(row.created_at),
        ]);
    }
    batch.push(&insert);
}

/// The id of the transaction running the statement, where batches need one.
pub(crate) fn current_txid(backend: DbBackend) -> Expr {
    match backend {
        DbBackend::Postgres => Expr::cust("pg_current_xact_id()::text::bigint"),
        _ => Expr::val(0i64),
    }
}

/// `enqueue_into`, run now on `db` (the change's transaction).
pub async fn enqueue(
    db: &impl ConnectionTrait,
    company_id: Uuid,
    subscriptions: &[Subscription],
    events: &[OutgoingEvent],
    now: DateTime<Utc>,
) -> Result<()> {
    let mut batch = WriteBatch::new(db.get_database_backend());
    enqueue_into(&mut batch, company_id, subscriptions, events, now);
    batch.execute(db).await
}
