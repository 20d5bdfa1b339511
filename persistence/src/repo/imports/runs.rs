//! Runs: the queue is this table (ARCHITECTURE, "Jobs and progress"). A runner
//! claims a queued run, or one whose lease expired, with a conditional update, so
//! two runners can never both hold it; the lease is renewed while it works.

use chrono::{DateTime, Utc};
use roster_domain::import::{RunMode, RunStatus, Summary};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::sea_query::{LockBehavior, LockType};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, TransactionTrait,
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::entities::import_run::{ActiveModel, Column, Entity, Model};
use crate::error::{RepoError, Result};

#[derive(Debug, Clone, PartialEq)]
pub struct StoredRun {
    pub id: Uuid,
    pub job_id: Uuid,
    pub company_id: Uuid,
    pub mode: RunMode,
    pub status: RunStatus,
    pub started_by: String,
    pub queued_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub processed: u64,
    pub total: u64,
    pub summary: Summary,
    pub failure_reason: Option<String>,
    /// For a sync: the dry run whose plan it applies.
    pub plan_run_id: Option<Uuid>,
    pub cancel_requested: bool,
}

pub fn summary_json(s: &Summary) -> Value {
    json!({
        "total": s.total, "onboarding": s.onboarding, "update": s.update, "offboarding": s.offboarding, "noChange": s.no_change,
        "error": s.error, "conflict": s.conflict, "deactivation": s.deactivation, "unmatched": s.unmatched,
        "reactivation": s.reactivation,
    })
}

/// The inverse of `summary_json`.
pub fn summary_from(v: &Value) -> Summary {
    let n = |k: &str| v.get(k).and_then(Value::as_u64).unwrap_or(0);
    Summary {
        total: n("total"),
        onboarding: n("onboarding"),
        update: n("update"),
        offboarding: n("offboarding"),
        no_change: n("noChange"),
        error: n("error"),
        conflict: n("conflict"),
        deactivation: n("deactivation"),
        unmatched: n("unmatched"),
        reactivation: n("reactivation"),
    }
}

fn to_domain(m: Model) -> Result<StoredRun> {
    Ok(StoredRun {
        id: m.id,
        job_id: m.job_id,
        company_id: m.company_id,
        mode: RunMode::parse(&m.mode).ok_or_else(|| RepoError::Corrupt(format!("run mode {}", m.mode)))?,
        status: RunStatus::parse(&m.status).ok_or_else(|| RepoError::Corrupt(format!("run status {}", m.status)))?,
        started_by: m.started_by,
        queued_at: m.queued_at,
        started_at: m.started_at,
        finished_at: m.finished_at,
        processed: m.processed as u64,
        total: m.total as u64,
        summary: summary_from(&m.summary),
        failure_reason: m.failure_reason,
        plan_run_id: m.plan_run_id,
        cancel_requested: m.cancel_requested,
    })
}

pub async fn insert(db: &impl ConnectionTrait, run: &StoredRun) -> Result<()> {
    let row = ActiveModel {
        id: Set(run.id),
        job_id: Set(run.job_id),
        company_id: Set(run.company_id),
        mode: Set(run.mode.code().to_string()),
        status: Set(run.status.code().to_string()),
        started_by: Set(run.started_by.clone()),
        queued_at: Set(run.queued_at),
        started_at: Set(run.started_at),
        finished_at: Set(run.finished_at),
        processed: Set(run.processed as i64),
        total: Set(run.total as i64),
        summary: Set(summary_json(&run.summary)),
        failure_reason: Set(run.failure_reason.clone()),
        plan_run_id: Set(run.plan_run_id),
        lease_owner: Set(None),
        lease_until: Set(None),
        cancel_requested: Set(false),
    };
    Entity::insert(row).exec_without_returning(db).await?;
    Ok(())
}

pub async fn get(db: &impl ConnectionTrait, id: Uuid) -> Result<StoredRun> {
    Entity::find_by_id(id).one(db).await?.map(to_domain).transpose()?.ok_or(RepoError::NotFound)
}

pub async fn find(db: &impl ConnectionTrait, company_id: Uuid, id: Uuid) -> Result<Option<StoredRun>> {
    Entity::find().filter(Column::CompanyId.eq(company_id)).filter(Column::Id.eq(id)).one(db).await?.map(to_domain).transpose()
}

/// A job's runs, oldest first.
pub async fn for_job(db: &impl ConnectionTrait, job_id: Uuid) -> Result<Vec<StoredRun>> {
    Entity::find()
        .filter(Column::JobId.eq(job_id))
        .order_by_asc(Column::QueuedAt)
        .order_by_asc(Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(to_domain)
        .collect()
}

/// Runs that are queued or running, oldest first.
pub async fn unfinished_for_job(db: &impl ConnectionTrait, job_id: Uuid) -> Result<Vec<StoredRun>> {
    Entity::find()
        .filter(Column::JobId.eq(job_id))
        .filter(Column::Status.is_in([RunStatus::Queued.code(), RunStatus::Running.code()]))
        .order_by_asc(Column::QueuedAt)
        .all(db)
        .await?
        .into_iter()
        .map(to_domain)
        .collect()
}

/// Queued runs in all companies (queue depth).
pub async fn queued_count(db: &impl ConnectionTrait) -> Result<u64> {
    Ok(Entity::find().filter(Column::Status.eq(RunStatus::Queued.code())).count(db).await?)
}

fn claimable(now: DateTime<Utc>) -> Condition {
    Condition::any()
        .add(Column::Status.eq(RunStatus::Queued.code()))
        .add(Condition::all().add(Column::Status.eq(RunStatus::Running.code())).add(Column::LeaseUntil.lt(now)))
}

/// Claims the oldest claimable run: queued, or running with an expired lease (its
/// runner died). A sync waits while another sync of its company holds a lease.
/// On PostgreSQL the candidates are locked `FOR UPDATE SKIP LOCKED`, so replicas
/// claiming at the same moment take different runs instead of waiting on each other.
/// Leases are in wall-clock time (`now`, `lease_until`); `started_at` is the
/// deployment's clock, as every instant the API shows.
pub async fn claim(
    db: &DatabaseConnection,
    owner: &str,
    (now, lease_until): (DateTime<Utc>, DateTime<Utc>),
    started_at: DateTime<Utc>,
) -> Result<Option<StoredRun>> {
    let txn = db.begin().await?;
    let mut candidates = Entity::find().filter(claimable(now)).order_by_asc(Column::QueuedAt).order_by_asc(Column::Id).limit(16);
    if db.get_database_backend() == DbBackend::Postgres {
        candidates = candidates.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    let candidates = candidates.all(&txn).await?;
    let claimed = claim_first(&txn, candidates, owner, (now, lease_until), started_at).await?;
    txn.commit().await?;
    match claimed {
        Some(id) => Ok(Some(get(db, id).await?)),
        None => Ok(None),
    }
}

async fn claim_first(
    db: &impl ConnectionTrait,
    candidates: Vec<Model>,
    owner: &str,
    (now, lease_until): (DateTime<Utc>, DateTime<Utc>),
    started_at: DateTime<Utc>,
) -> Result<Option<Uuid>> {
    for candidate in candidates {
        if candidate.mode == RunMode::Sync.code() {
            let busy = Entity::find()
                .filter(Column::CompanyId.eq(candidate.company_id))
                .filter(Column::Mode.eq(RunMode::Sync.code()))
                .filter(Column::Status.eq(RunStatus::Running.code()))
                .filter(Column::LeaseUntil.gte(now))
                .filter(Column::Id.ne(candidate.id))
                .count(db)
                .await?;
            if busy > 0 {
                continue;
            }
        }
        let claimed = Entity::update_many()
            .col_expr(Column::Status, RunStatus::Running.code().into())
            .col_expr(Column::LeaseOwner, owner.into())
            .col_expr(Column::LeaseUntil, lease_until.into())
            .col_expr(Column::StartedAt, Expr::col(Column::StartedAt).if_null(started_at))
            .filter(Column::Id.eq(candidate.id))
            .filter(claimable(now))
            .exec(db)
            .await?;
        if claimed.rows_affected == 1 {
            return Ok(Some(candidate.id));
        }
    }
    Ok(None)
}

/// Extends the lease; false when another runner has taken the run over.
pub async fn renew_lease(db: &impl ConnectionTrait, id: Uuid, owner: &str, until: DateTime<Utc>) -> Result<bool> {
    let result = Entity::update_many()
        .col_expr(Column::LeaseUntil, until.into())
        .filter(Column::Id.eq(id))
        .filter(Column::LeaseOwner.eq(owner))
        .filter(Column::Status.eq(RunStatus::Running.code()))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Gives a lease back so another runner may resume at once (graceful shutdown).
pub async fn release(db: &impl ConnectionTrait, id: Uuid, owner: &str) -> Result<()> {
    Entity::update_many()
        .col_expr(Column::LeaseUntil, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(Column::Status, RunStatus::Queued.code().into())
        .filter(Column::Id.eq(id))
        .filter(Column::LeaseOwner.eq(owner))
        .filter(Column::Status.eq(RunStatus::Running.code()))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn progress(db: &impl ConnectionTrait, id: Uuid, processed: u64, total: u64, summary: &Summary) -> Result<()> {
    Entity::update_many()
        .col_expr(Column::Processed, (processed as i64).into())
        .col_expr(Column::Total, (total as i64).into())
        .col_expr(Column::Summary, summary_json(summary).into())
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Records the end of a run, only if `owner` still holds it: a runner whose lease
/// expired and was taken over must not end a run another runner is executing.
pub async fn finish(
    db: &impl ConnectionTrait,
    id: Uuid,
    owner: &str,
    status: RunStatus,
    failure: Option<&str>,
    now: DateTime<Utc>,
) -> Result<bool> {
    let result = Entity::update_many()
        .col_expr(Column::Status, status.code().into())
        .col_expr(Column::FailureReason, failure.map(String::from).into())
        .col_expr(Column::FinishedAt, now.into())
        .col_expr(Column::LeaseOwner, Expr::value(Option::<String>::None))
        .col_expr(Column::LeaseUntil, Expr::value(Option::<DateTime<Utc>>::None))
        .filter(Column::Id.eq(id))
        .filter(Column::LeaseOwner.eq(owner))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Marks a queued or running run for cancellation; a queued one ends at once.
pub async fn request_cancel(db: &impl ConnectionTrait, id: Uuid, now: DateTime<Utc>) -> Result<()> {
    Entity::update_many()
        .col_expr(Column::Status, RunStatus::Cancelled.code().into())
        .col_expr(Column::FinishedAt, now.into())
        .col_expr(Column::CancelRequested, true.into())
        .filter(Column::Id.eq(id))
        .filter(Column::Status.eq(RunStatus::Queued.code()))
        .exec(db)
        .await?;
    Entity::update_many()
        .col_expr(Column::CancelRequested, true.into())
        .filter(Column::Id.eq(id))
        .filter(Column::Status.eq(RunStatus::Running.code()))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn cancel_requested(db: &impl ConnectionTrait, id: Uuid) -> Result<bool> {
    let flag: Option<bool> =
        Entity::find().select_only().column(Column::CancelRequested).filter(Column::Id.eq(id)).into_tuple().one(db).await?;
    Ok(flag.unwrap_or(false))
}
