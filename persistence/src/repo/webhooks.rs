//! Webhook endpoints and their deliveries (R-WH-1..6). Secrets arrive here
//! already encrypted; this layer never sees one in the clear.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
};
use uuid::Uuid;

use super::employees::Page;
use super::event_batches::{self, EventBodies, OutboxBatch, Position};
use super::outbox::current_txid;
use crate::entities::webhook_delivery as delivery;
use crate::entities::webhook_endpoint as endpoint;
use crate::entities::webhook_event_batch as event_batch;
use crate::error::{RepoError, Result};

#[derive(Debug, Clone, PartialEq)]
pub struct StoredEndpoint {
    pub id: Uuid,
    pub company_id: Uuid,
    pub url: String,
    /// Empty: every type.
    pub event_types: Vec<String>,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    /// Encrypted.
    pub secret: String,
    /// Encrypted; signs too until `previous_secret_until` (R-WH-6).
    pub previous_secret: Option<String>,
    pub previous_secret_until: Option<DateTime<Utc>>,
    /// Since when every attempt failed; none while the last one succeeded.
    pub failing_since: Option<DateTime<Utc>>,
    pub consecutive_failures: i32,
    /// The last batch of the company's outbox it was sent, or started after.
    /// Only the runner moves it (`move_position`), and enabling (`start_at_head`).
    pub position: Position,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl StoredEndpoint {
    pub fn wants(&self, event_type: &str) -> bool {
        super::outbox::takes(&self.event_types, event_type)
    }

    /// A new, enabled endpoint with its sealed secret and no failures yet.
    pub fn new(company_id: Uuid, url: String, event_types: Vec<String>, sealed_secret: String, now: DateTime<Utc>) -> Self {
        Self {
            id: Uuid::now_v7(),
            company_id,
            url,
            event_types,
            enabled: true,
            disabled_reason: None,
            secret: sealed_secret,
            previous_secret: None,
            previous_secret_until: None,
            failing_since: None,
            consecutive_failures: 0,
            position: Position::default(),
            created_at: now,
            updated_at: now,
        }
    }
}

fn endpoint_from(m: endpoint::Model) -> StoredEndpoint {
    StoredEndpoint {
        id: m.id,
        company_id: m.company_id,
        url: m.url,
        event_types: serde_json::from_value(m.event_types).unwrap_or_default(),
        enabled: m.enabled,
        disabled_reason: m.disabled_reason,
        secret: m.secret,
        previous_secret: m.previous_secret,
        previous_secret_until: m.previous_secret_until,
        failing_since: m.failing_since,
        consecutive_failures: m.consecutive_failures,
        position: Position { txid: m.outbox_txid, seq: m.outbox_seq },
        created_at: m.created_at,
        updated_at: m.updated_at,
    }
}

fn endpoint_row(e: &StoredEndpoint) -> endpoint::ActiveModel {
    endpoint::ActiveModel {
        id: Set(e.id),
        company_id: Set(e.company_id),
        url: Set(e.url.clone()),
        event_types: Set(serde_json::json!(e.event_types)),
        enabled: Set(e.enabled),
        disabled_reason: Set(e.disabled_reason.clone()),
        secret: Set(e.secret.clone()),
        previous_secret: Set(e.previous_secret.clone()),
        previous_secret_until: Set(e.previous_secret_until),
        failing_since: Set(e.failing_since),
        consecutive_failures: Set(e.consecutive_failures),
        outbox_txid: NotSet,
        outbox_seq: NotSet,
        created_at: Set(e.created_at),
        updated_at: Set(e.updated_at),
    }
}

/// Inserts the endpoint, to be sent the events written from now on.
pub async fn insert_endpoint(db: &impl ConnectionTrait, e: &StoredEndpoint) -> Result<()> {
    endpoint::Entity::insert(endpoint_row(e)).exec_without_returning(db).await?;
    start_at_head(db, e.company_id, e.id).await
}

/// Puts the endpoint after every batch of the outbox written so far: it is
/// sent the events written from now on (a new endpoint, or one enabled again,
/// which is not sent what happened while it was off). On PostgreSQL the head
/// is this transaction: batches of older ones, even if they commit later,
/// were written before it.
pub async fn start_at_head(db: &impl ConnectionTrait, company_id: Uuid, id: Uuid) -> Result<()> {
    let last_seq = sea_orm::sea_query::Query::select()
        .expr(Expr::col(event_batch::Column::Seq).max().if_null(0i64))
        .from(event_batch::Entity)
        .to_owned();
    endpoint::Entity::update_many()
        .col_expr(endpoint::Column::OutboxTxid, current_txid(db.get_database_backend()))
        .col_expr(endpoint::Column::OutboxSeq, Expr::SubQuery(None, Box::new(last_seq.into())))
        .filter(endpoint::Column::Id.eq(id))
        .filter(endpoint::Column::CompanyId.eq(company_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Moves the endpoint's position from `from` to `to`: false, and nothing
/// changed, when it is no longer at `from` (it was enabled again meanwhile, or
/// another runner took the endpoint over and recorded first).
pub async fn move_position(db: &impl ConnectionTrait, id: Uuid, from: Position, to: Position) -> Result<bool> {
    let moved = endpoint::Entity::update_many()
        .col_expr(endpoint::Column::OutboxTxid, Expr::val(to.txid))
        .col_expr(endpoint::Column::OutboxSeq, Expr::val(to.seq))
        .filter(endpoint::Column::Id.eq(id))
        .filter(endpoint::Column::OutboxTxid.eq(from.txid))
        .filter(endpoint::Column::OutboxSeq.eq(from.seq))
        .exec(db)
        .await?;
    Ok(moved.rows_affected == 1)
}

/// The company's next `limit` outbox batches after `after`, in order. On
/// PostgreSQL only batches of transactions older than every one still running:
/// a transaction that is still running may yet commit a batch before them.
pub async fn next_batches(db: &impl ConnectionTrait, company_id: Uuid, after: Position, limit: u64) -> Result<Vec<OutboxBatch>> {
    let rows = next_batches_query(db.get_database_backend(), company_id, after).limit(limit).all(db).await?;
    rows.iter().map(event_batches::outbox_batch).collect()
}

fn next_batches_query(backend: DbBackend, company_id: Uuid, after: Position) -> sea_orm::Select<event_batch::Entity> {
    event_batch::Entity::find()
        .filter(event_batch::Column::CompanyId.eq(company_id))
        .filter(readable_beyond((Expr::val(after.txid), Expr::val(after.seq)), backend))
        .order_by_asc(event_batch::Column::Txid)
        .order_by_asc(event_batch::Column::Seq)
}

/// The statement of `next_batches`, for plan tests.
pub fn next_batches_statement(backend: DbBackend, company_id: Uuid, after: Position, limit: u64) -> sea_orm::Statement {
    next_batches_query(backend, company_id, after).limit(limit).build(backend)
}

/// The batch (of the outer query) is beyond the position `(txid, seq)`.
fn beyond(position: (Expr, Expr)) -> sea_orm::sea_query::SimpleExpr {
    let batch = [Expr::col((event_batch::Entity, event_batch::Column::Txid)), Expr::col((event_batch::Entity, event_batch::Column::Seq))];
    Expr::tuple(batch).gt(Expr::tuple([position.0, position.1]))
}

/// The batch is beyond the position and a runner may read it: on PostgreSQL,
/// its transaction is older than every one still running.
fn readable_beyond(position: (Expr, Expr), backend: DbBackend) -> sea_orm::sea_query::SimpleExpr {
    let txid = Expr::col((event_batch::Entity, event_batch::Column::Txid));
    match backend {
        DbBackend::Postgres => beyond(position).and(txid.lt(Expr::cust("pg_snapshot_xmin(pg_current_snapshot())::text::bigint"))),
        _ => beyond(position),
    }
}

/// The position of the endpoint of the outer query.
fn endpoint_position() -> (Expr, Expr) {
    (Expr::col((endpoint::Entity, endpoint::Column::OutboxTxid)), Expr::col((endpoint::Entity, endpoint::Column::OutboxSeq)))
}

/// Writes every field of the endpoint (it was read in the same transaction).
pub async fn save_endpoint(db: &impl ConnectionTrait, e: &StoredEndpoint) -> Result<()> {
    let mut row = endpoint_row(e);
    row.id = sea_orm::ActiveValue::Unchanged(e.id);
    endpoint::Entity::update_many()
        .set(row)
        .filter(endpoint::Column::Id.eq(e.id))
        .filter(endpoint::Column::CompanyId.eq(e.company_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Writes what delivering learnt of the endpoint (R-WH-4): its failure record,
/// and its disabling when `disabled` says why. Only those columns: an admin
/// editing the endpoint meanwhile (its URL, events, secret) keeps the edit, and
/// an admin's disabling is never undone by a delivery that succeeded.
pub async fn save_endpoint_health(db: &impl ConnectionTrait, e: &StoredEndpoint, disabled: Option<&str>, now: DateTime<Utc>) -> Result<()> {
    let mut update = endpoint::Entity::update_many()
        .col_expr(endpoint::Column::FailingSince, Expr::val(e.failing_since))
        .col_expr(endpoint::Column::ConsecutiveFailures, Expr::val(e.consecutive_failures))
        .col_expr(endpoint::Column::UpdatedAt, Expr::val(now));
    if let Some(reason) = disabled {
        update = update.col_expr(endpoint::Column::Enabled, Expr::val(false)).col_expr(endpoint::Column::DisabledReason, Expr::val(reason));
    }
    update.filter(endpoint::Column::Id.eq(e.id)).filter(endpoint::Column::CompanyId.eq(e.company_id)).exec(db).await?;
    Ok(())
}

pub async fn find_endpoint(db: &impl ConnectionTrait, company_id: Uuid, id: Uuid) -> Result<Option<StoredEndpoint>> {
    Ok(endpoint::Entity::find()
        .filter(endpoint::Column::CompanyId.eq(company_id))
        .filter(endpoint::Column::Id.eq(id))
        .one(db)
        .await?
        .map(endpoint_from))
}

/// An endpoint by id alone, for the runner (which works for every company);
/// none once deleted.
pub async fn find_endpoint_by_id(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<StoredEndpoint>> {
    Ok(endpoint::Entity::find_by_id(id).one(db).await?.map(endpoint_from))
}

pub async fn list_endpoints(db: &impl ConnectionTrait, company_id: Uuid) -> Result<Vec<StoredEndpoint>> {
    Ok(endpoint::Entity::find()
        .filter(endpoint::Column::CompanyId.eq(company_id))
        .order_by_asc(endpoint::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(endpoint_from)
        .collect())
}

/// Deletes the endpoint, its deliveries, and the event batches nothing needs
/// any more: no delivery's body, and behind every enabled endpoint of the
/// company (a disabled one starts at the head when it is enabled again);
/// false when the company has no such endpoint.
pub async fn delete_endpoint(db: &impl ConnectionTrait, company_id: Uuid, id: Uuid) -> Result<bool> {
    delivery::Entity::delete_many()
        .filter(delivery::Column::EndpointId.eq(id))
        .filter(delivery::Column::CompanyId.eq(company_id))
        .exec(db)
        .await?;
    let result = endpoint::Entity::delete_many()
        .filter(endpoint::Column::CompanyId.eq(company_id))
        .filter(endpoint::Column::Id.eq(id))
        .exec(db)
        .await?;
    // A runner writes its deliveries and moves its endpoint past their batches
    // in one transaction: a statement sees both or neither, so a batch whose
    // deliveries are about to appear is still ahead of that endpoint.
    let still_needed = sea_orm::sea_query::Query::select()
        .column(delivery::Column::BatchId)
        .from(delivery::Entity)
        .and_where(delivery::Column::CompanyId.eq(company_id))
        .and_where(delivery::Column::BatchId.is_not_null())
        .to_owned();
    let ahead_of_an_endpoint = sea_orm::sea_query::Query::select()
        .expr(Expr::val(1))
        .from(endpoint::Entity)
        .and_where(Expr::col((endpoint::Entity, endpoint::Column::CompanyId)).equals((event_batch::Entity, event_batch::Column::CompanyId)))
        .and_where(Expr::col((endpoint::Entity, endpoint::Column::Enabled)).eq(true))
        .and_where(beyond(endpoint_position()))
        .to_owned();
    event_batch::Entity::delete_many()
        .filter(event_batch::Column::CompanyId.eq(company_id))
        .filter(event_batch::Column::Id.not_in_subquery(still_needed))
        .filter(Expr::exists(ahead_of_an_endpoint).not())
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    Pending,
    Delivered,
    Failed,
}

impl DeliveryStatus {
    pub fn code(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Delivered => "DELIVERED",
            Self::Failed => "FAILED",
        }
    }

    /// Delivered or failed: no attempt follows, so no next attempt is set (`settle`).
    pub fn is_settled(self) -> bool {
        matches!(self, Self::Delivered | Self::Failed)
    }

    pub fn parse(code: &str) -> Option<Self> {
        [Self::Pending, Self::Delivered, Self::Failed].into_iter().find(|s| s.code() == code)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct StoredDelivery {
    pub id: Uuid,
    pub company_id: Uuid,
    pub endpoint_id: Uuid,
    pub event_id: Uuid,
    pub event_type: String,
    /// The exact body sent.
    pub payload: String,
    /// Where the body is stored: a batch and its line.
    pub batch_id: Uuid,
    pub batch_index: i32,
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
}

impl StoredDelivery {
    /// The delivery of line `index` of an outbox batch to the endpoint, before
    /// its first attempt (`settle` gives it its outcome).
    pub fn first_attempt(endpoint: &StoredEndpoint, batch: &OutboxBatch, index: usize) -> Self {
        let event = &batch.events[index];
        Self {
            id: Uuid::now_v7(),
            company_id: endpoint.company_id,
            endpoint_id: endpoint.id,
            event_id: event.id,
            event_type: event.event_type.clone(),
            payload: event.body.clone(),
            batch_id: batch.id,
            batch_index: index as i32,
            status: DeliveryStatus::Pending,
            attempts: 0,
            last_status_code: None,
            last_error: None,
            next_attempt_at: None,
            created_at: batch.created_at,
            delivered_at: None,
        }
    }
}

fn delivery_from(m: delivery::Model, bodies: &EventBodies) -> Result<StoredDelivery> {
    let missing = || RepoError::Corrupt(format!("delivery {}: its event body is missing", m.id));
    let (batch_id, batch_index) = m.batch_id.zip(m.batch_index).ok_or_else(missing)?;
    let payload = bodies.body(batch_id, batch_index).map(str::to_owned).ok_or_else(missing)?;
    Ok(StoredDelivery {
        id: m.id,
        company_id: m.company_id,
        endpoint_id: m.endpoint_id,
        event_id: m.event_id,
        event_type: m.event_type,
        payload,
        batch_id,
        batch_index,
        status: DeliveryStatus::parse(&m.status).ok_or_else(|| RepoError::Corrupt(format!("delivery status {}", m.status)))?,
        attempts: m.attempts,
        last_status_code: m.last_status_code,
        last_error: m.last_error,
        next_attempt_at: m.next_attempt_at,
        created_at: m.created_at,
        delivered_at: m.delivered_at,
    })
}

/// Deliveries with their bodies: one read of the batches they point at that
/// `bodies` does not hold yet.
async fn with_bodies(db: &impl ConnectionTrait, rows: Vec<delivery::Model>, bodies: &mut EventBodies) -> Result<Vec<StoredDelivery>> {
    bodies.load(db, rows.iter().filter_map(|r| r.batch_id)).await?;
    rows.into_iter().map(|m| delivery_from(m, bodies)).collect()
}

/// An endpoint's deliveries, newest first (ids are UUIDv7), a keyset page on
/// the endpoint's log index, or for a settled status on its queue index.
pub async fn deliveries_page(
    db: &impl ConnectionTrait,
    endpoint_id: Uuid,
    status: Option<DeliveryStatus>,
    (first, after): (u64, Option<Uuid>),
    with_total: bool,
) -> Result<Page<StoredDelivery>> {
    let total_count = match with_total {
        true => Some(deliveries_filtered(endpoint_id, status).count(db).await?),
        false => None,
    };
    let mut rows = deliveries_page_query(endpoint_id, status, (first, after)).all(db).await?;
    let has_next_page = rows.len() as u64 > first;
    rows.truncate(first as usize);
    Ok(Page { items: with_bodies(db, rows, &mut EventBodies::default()).await?, has_next_page, total_count })
}

fn deliveries_filtered(endpoint_id: Uuid, status: Option<DeliveryStatus>) -> sea_orm::Select<delivery::Entity> {
    let query = delivery::Entity::find().filter(delivery::Column::EndpointId.eq(endpoint_id));
    match status {
        // A settled delivery has no next attempt: saying so lets the queue
        // index, where those come in id order, answer the page.
        Some(s) if s.is_settled() => query.filter(delivery::Column::Status.eq(s.code())).filter(delivery::Column::NextAttemptAt.is_null()),
        Some(s) => query.filter(delivery::Column::Status.eq(s.code())),
        None => query,
    }
}

fn deliveries_page_query(
    endpoint_id: Uuid,
    status: Option<DeliveryStatus>,
    (first, after): (u64, Option<Uuid>),
) -> sea_orm::Select<delivery::Entity> {
    let mut query = deliveries_filtered(endpoint_id, status);
    if status.is_some_and(DeliveryStatus::is_settled) {
        // No next attempt anywhere in the filter: the same order as by id alone,
        // but spelt as the queue index's, which PostgreSQL does not infer from IS NULL.
        query = query.order_by_desc(delivery::Column::NextAttemptAt);
    }
    let query = query.order_by_desc(delivery::Column::Id).limit(first + 1);
    match after {
        Some(after) => query.filter(delivery::Column::Id.lt(after)),
        None => query,
    }
}

/// The statement of a `deliveries_page`, for plan tests.
pub fn deliveries_page_statement(
    backend: DbBackend,
    endpoint_id: Uuid,
    status: Option<DeliveryStatus>,
    page: (u64, Option<Uuid>),
) -> sea_orm::Statement {
    deliveries_page_query(endpoint_id, status, page).build(backend)
}

pub async fn find_delivery(db: &impl ConnectionTrait, company_id: Uuid, id: Uuid) -> Result<Option<StoredDelivery>> {
    let row =
        delivery::Entity::find().filter(delivery::Column::CompanyId.eq(company_id)).filter(delivery::Column::Id.eq(id)).one(db).await?;
    Ok(with_bodies(db, row.into_iter().collect(), &mut EventBodies::default()).await?.pop())
}

/// Enabled endpoints with something to send at `now`, at most `limit`, leaving
/// out `busy` (endpoints this runner is sending to already): a retry due, one
/// probe of the endpoint's queue (`webhook_deliveries_endpoint_queue`) however
/// long its delivery log, or a batch of the outbox beyond its position, one
/// probe of the outbox's order. On PostgreSQL an endpoint being delivered
/// leaves dead queue entries until vacuum, which a probe steps over; skipping
/// it saves that walk.
pub async fn due_endpoints(db: &impl ConnectionTrait, now: DateTime<Utc>, busy: &[Uuid], limit: u64) -> Result<Vec<Uuid>> {
    Ok(due_endpoints_query(db.get_database_backend(), now, busy, limit).into_tuple::<Uuid>().all(db).await?)
}

fn due_endpoints_query(backend: DbBackend, now: DateTime<Utc>, busy: &[Uuid], limit: u64) -> sea_orm::Select<endpoint::Entity> {
    let retry_due = Expr::SubQuery(None, Box::new(next_due_of_endpoint().into())).lte(now);
    // The first batch beyond the position, in the outbox's order, rather than
    // EXISTS: for EXISTS the planner costs a scan as stopping at the first of
    // the company's batches, when all but the newest are behind the position.
    let next_batch = sea_orm::sea_query::Query::select()
        .column((event_batch::Entity, event_batch::Column::Seq))
        .from(event_batch::Entity)
        .and_where(Expr::col((event_batch::Entity, event_batch::Column::CompanyId)).equals((endpoint::Entity, endpoint::Column::CompanyId)))
        .and_where(readable_beyond(endpoint_position(), backend))
        .order_by((event_batch::Entity, event_batch::Column::Txid), sea_orm::Order::Asc)
        .order_by((event_batch::Entity, event_batch::Column::Seq), sea_orm::Order::Asc)
        .limit(1)
        .to_owned();
    let unsent = Expr::SubQuery(None, Box::new(next_batch.into())).is_not_null();
    let mut query = endpoint::Entity::find()
        .select_only()
        .column(endpoint::Column::Id)
        .filter(endpoint::Column::Enabled.eq(true))
        .filter(retry_due.or(unsent))
        .limit(limit);
    if !busy.is_empty() {
        query = query.filter(endpoint::Column::Id.is_not_in(busy.iter().copied()));
    }
    query
}

/// When the endpoint of the outer query has its next delivery due: a seek to
/// the first pending entry of its queue index. (An EXISTS probe let the planner
/// pick a scan of the table when its statistics said most deliveries were
/// pending, as they are during a bulk sync: it walked every delivered row.)
fn next_due_of_endpoint() -> sea_orm::sea_query::SelectStatement {
    sea_orm::sea_query::Query::select()
        .column((delivery::Entity, delivery::Column::NextAttemptAt))
        .from(delivery::Entity)
        .and_where(Expr::col((delivery::Entity, delivery::Column::EndpointId)).equals((endpoint::Entity, endpoint::Column::Id)))
        .and_where(Expr::col((delivery::Entity, delivery::Column::Status)).eq(DeliveryStatus::Pending.code()))
        .order_by((delivery::Entity, delivery::Column::NextAttemptAt), sea_orm::Order::Asc)
        .limit(1)
        .to_owned()
}

/// The statement of `due_endpoints`, for plan tests.
pub fn due_endpoints_statement(backend: DbBackend, now: DateTime<Utc>, limit: u64) -> sea_orm::Statement {
    due_endpoints_query(backend, now, &[], limit).build(backend)
}

/// Where a runner is in an endpoint's queue: the due time and id of the last
/// delivery it took. The next batch starts after it, so it never steps over
/// the entries the runner itself has just left behind.
pub type QueuePosition = (DateTime<Utc>, Uuid);

/// The endpoint's next pending deliveries in sending order. Whether they are
/// due is left to the caller: PostgreSQL multiplies the selectivities of
/// "pending" and "due by now" as if they were independent, but a settled
/// delivery has no due time at all, so in a log of mostly settled deliveries it
/// expected a handful of rows and sorted the whole backlog instead of reading
/// the queue index in order.
fn due_deliveries_query(endpoint_id: Uuid, after: Option<QueuePosition>, limit: u64) -> sea_orm::Select<delivery::Entity> {
    let query = delivery::Entity::find()
        .filter(delivery::Column::EndpointId.eq(endpoint_id))
        .filter(delivery::Column::Status.eq(DeliveryStatus::Pending.code()))
        .order_by_asc(delivery::Column::NextAttemptAt)
        .order_by_asc(delivery::Column::Id)
        .limit(limit);
    match after {
        Some((due, id)) => query.filter(
            Expr::tuple([Expr::col(delivery::Column::NextAttemptAt), Expr::col(delivery::Column::Id)])
                .gt(Expr::tuple([Expr::val(due), Expr::val(id)])),
        ),
        None => query,
    }
}

/// The statement of `due_deliveries`, for plan tests.
pub fn due_deliveries_statement(backend: DbBackend, endpoint_id: Uuid, after: Option<QueuePosition>, limit: u64) -> sea_orm::Statement {
    due_deliveries_query(endpoint_id, after, limit).build(backend)
}

/// The endpoint's deliveries due at `now` (after `after`, when given), in the
/// order they became due (then as created), read in that order from the
/// endpoint's queue index. A plain read: the endpoint's lease keeps other
/// runners off them (a row lock would cost a write per row and end at once).
/// `bodies` carries the event bodies read over from the caller's last batch.
pub async fn due_deliveries(
    db: &impl ConnectionTrait,
    endpoint_id: Uuid,
    now: DateTime<Utc>,
    after: Option<QueuePosition>,
    limit: u64,
    bodies: &mut EventBodies,
) -> Result<Vec<StoredDelivery>> {
    let mut rows = due_deliveries_query(endpoint_id, after, limit).all(db).await?;
    rows.retain(|row| row.next_attempt_at.is_some_and(|due| due <= now));
    with_bodies(db, rows, bodies).await
}

/// Records the outcomes of many attempts in the caller's transaction: `first`
/// attempts become delivery rows (a delivery has a row from its first attempt
/// on), and the rows of deliveries attempted `again` get a multi-row update of
/// the attempt's columns alone; a delivery deleted meanwhile (with its
/// endpoint) stays deleted. On PostgreSQL that transaction commits without
/// waiting for its WAL to reach the disk: a record lost in a crash only means
/// its deliveries are sent again with the same `webhook-id`, and a flush per
/// batch of attempts competed with a bulk sync's own commits for the disk.
pub async fn record_attempts(db: &impl ConnectionTrait, first: &[StoredDelivery], again: &[StoredDelivery]) -> Result<()> {
    let backend = db.get_database_backend();
    if backend == DbBackend::Postgres {
        db.execute_unprepared("SET LOCAL synchronous_commit TO OFF").await?;
    }
    insert_first_attempts(db, first).await?;
    // One JSON parameter carries any number of attempts; SQLite binds seven values an attempt.
    let per_statement = if backend == DbBackend::Postgres { again.len().max(1) } else { 200 };
    for chunk in again.chunks(per_statement) {
        db.execute_raw(attempts_update(backend, chunk)).await?;
    }
    Ok(())
}

async fn insert_first_attempts(db: &impl ConnectionTrait, done: &[StoredDelivery]) -> Result<()> {
    use delivery::Column as C;
    // Fourteen values a row: well inside the bound parameters of both databases.
    for chunk in done.chunks(500) {
        let mut insert = sea_orm::sea_query::Query::insert();
        insert.into_table(delivery::Entity).columns([
            C::Id,
            C::CompanyId,
            C::EndpointId,
            C::EventId,
            C::EventType,
            C::BatchId,
            C::BatchIndex,
            C::Status,
            C::Attempts,
            C::LastStatusCode,
            C::LastError,
            C::NextAttemptAt,
            C::CreatedAt,
            C::DeliveredAt,
        ]);
        for d in chunk {
            insert.values_panic([
                Expr::val(d.id),
                Expr::val(d.company_id),
                Expr::val(d.endpoint_id),
                Expr::val(d.event_id),
                Expr::val(d.event_type.as_str()),
                Expr::val(d.batch_id),
                Expr::val(d.batch_index),
                Expr::val(d.status.code()),
                Expr::val(d.attempts),
                Expr::val(d.last_status_code),
                Expr::val(d.last_error.as_deref()),
                Expr::val(d.next_attempt_at),
                Expr::val(d.created_at),
                Expr::val(d.delivered_at),
            ]);
        }
        db.execute(&insert).await?;
    }
    Ok(())
}

/// The statement `record_attempts` runs for these attempts, for plan tests.
pub fn record_attempts_statement(backend: DbBackend, done: &[StoredDelivery]) -> sea_orm::Statement {
    attempts_update(backend, done)
}

/// What an attempt changes in its delivery's row, with the PostgreSQL types.
const ATTEMPT_COLUMNS: [(&str, &str); 7] = [
    ("id", "uuid"),
    ("status", "text"),
    ("attempts", "integer"),
    ("last_status_code", "integer"),
    ("last_error", "text"),
    ("next_attempt_at", "timestamptz"),
    ("delivered_at", "timestamptz"),
];

/// An update of the attempt's columns joined on the primary key to the
/// attempts (an upsert carried every column of the row and checked for a
/// conflict first). PostgreSQL gets them as one JSON parameter, so the
/// statement is the same for any number of attempts and is planned once per
/// connection; SQLite, which plans in microseconds, as a `VALUES` list.
fn attempts_update(backend: DbBackend, done: &[StoredDelivery]) -> sea_orm::Statement {
    use sea_orm::Value;
    let (source, values): (String, Vec<Value>) = if backend == DbBackend::Postgres {
        let typed: Vec<String> = ATTEMPT_COLUMNS.iter().map(|(c, t)| format!("{c} {t}")).collect();
        let attempts = done
            .iter()
            .map(|d| {
                serde_json::json!({
                    "id": d.id, "status": d.status.code(), "attempts": d.attempts, "last_status_code": d.last_status_code,
                    "last_error": d.last_error, "next_attempt_at": d.next_attempt_at, "delivered_at": d.delivered_at,
                })
            })
            .collect();
        (format!("jsonb_to_recordset($1) AS attempt({})", typed.join(", ")), vec![serde_json::Value::Array(attempts).into()])
    } else {
        let named: Vec<String> = ATTEMPT_COLUMNS.iter().enumerate().map(|(i, (c, _))| format!("column{} AS {c}", i + 1)).collect();
        let row = format!("({})", ["?"; ATTEMPT_COLUMNS.len()].join(", "));
        let values = done.iter().flat_map(|d| {
            [
                d.id.into(),
                d.status.code().into(),
                d.attempts.into(),
                d.last_status_code.into(),
                d.last_error.clone().into(),
                d.next_attempt_at.into(),
                d.delivered_at.into(),
            ]
        });
        (format!("(SELECT {} FROM (VALUES {})) AS attempt", named.join(", "), vec![row; done.len()].join(", ")), values.collect())
    };
    let set: Vec<String> = ATTEMPT_COLUMNS[1..].iter().map(|(c, _)| format!("{c} = attempt.{c}")).collect();
    let sql = format!("UPDATE webhook_deliveries SET {} FROM {source} WHERE webhook_deliveries.id = attempt.id", set.join(", "));
    sea_orm::Statement::from_sql_and_values(backend, sql, values)
}

/// Queues one more attempt of a delivery, whatever its status.
pub async fn redeliver(db: &impl ConnectionTrait, company_id: Uuid, id: Uuid, due: DateTime<Utc>) -> Result<Option<StoredDelivery>> {
    delivery::Entity::update_many()
        .col_expr(delivery::Column::Status, Expr::val(DeliveryStatus::Pending.code()))
        .col_expr(delivery::Column::NextAttemptAt, Expr::val(due))
        .filter(delivery::Column::CompanyId.eq(company_id))
        .filter(delivery::Column::Id.eq(id))
        .exec(db)
        .await?;
    find_delivery(db, company_id, id).await
}

/// Endpoints in all, and deliveries by status (for `/metrics`).
pub async fn counts(db: &impl ConnectionTrait) -> Result<(u64, Vec<(String, u64)>)> {
    let endpoints = endpoint::Entity::find().count(db).await?;
    let by_status = delivery::Entity::find()
        .select_only()
        .column(delivery::Column::Status)
        .column_as(delivery::Column::Id.count(), "n")
        .group_by(delivery::Column::Status)
        .into_tuple::<(String, i64)>()
        .all(db)
        .await?;
    Ok((endpoints, by_status.into_iter().map(|(s, n)| (s, n as u64)).collect()))
}

/// The outbox batches enabled endpoints have not been sent yet, counted once
/// per endpoint, and when the oldest of them was written (for `/metrics`).
pub async fn outbox_backlog(db: &impl ConnectionTrait) -> Result<(u64, Option<DateTime<Utc>>)> {
    let query = sea_orm::sea_query::Query::select()
        .expr_as(Expr::col((event_batch::Entity, event_batch::Column::Seq)).count(), "unsent")
        .expr_as(Expr::col((event_batch::Entity, event_batch::Column::CreatedAt)).min(), "oldest")
        .from(endpoint::Entity)
        .inner_join(
            event_batch::Entity,
            Expr::col((event_batch::Entity, event_batch::Column::CompanyId))
                .equals((endpoint::Entity, endpoint::Column::CompanyId))
                .and(beyond(endpoint_position())),
        )
        .and_where(Expr::col((endpoint::Entity, endpoint::Column::Enabled)).eq(true))
        .to_owned();
    let Some(row) = db.query_one(&query).await? else { return Ok((0, None)) };
    Ok((row.try_get::<i64>("", "unsent")? as u64, row.try_get::<Option<DateTime<Utc>>>("", "oldest")?))
}
