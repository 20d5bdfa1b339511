//! Import jobs: the file's columns and mapping, and the job's status (R-IMP-15).

use chrono::{DateTime, Utc};
use roster_domain::import::{ColumnMapping, FieldKey, ImportSource, JobStatus};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::entities::import_job::{ActiveModel, Column, Entity, Model};
use crate::error::{RepoError, Result};
use crate::repo::employees::Page;

/// A source column: its mapping and a few sample values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredColumn {
    pub mapping: ColumnMapping,
    pub samples: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StoredJob {
    pub id: Uuid,
    pub company_id: Uuid,
    pub source: ImportSource,
    pub status: JobStatus,
    pub file_name: Option<String>,
    pub sheet_name: Option<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub row_count: u64,
    pub columns: Vec<StoredColumn>,
    pub failure_reason: Option<String>,
    /// Its sync is queued as soon as its dry run completes (the daily HR sync, R-HRIS-10).
    pub apply_after_dry_run: bool,
}

impl StoredJob {
    /// The file name without its extension, for naming reports.
    pub fn file_stem(&self) -> String {
        self.file_name.as_deref().and_then(|n| n.rsplit_once('.').map(|(s, _)| s.to_string())).unwrap_or_else(|| "import".into())
    }

    pub fn mapping(&self) -> Vec<ColumnMapping> {
        self.columns.iter().map(|c| c.mapping.clone()).collect()
    }
}

fn columns_json(columns: &[StoredColumn]) -> Value {
    Value::Array(
        columns
            .iter()
            .map(|c| json!({ "i": c.mapping.index, "h": c.mapping.header, "f": c.mapping.field.as_ref().map(FieldKey::key), "a": c.mapping.auto, "s": c.samples }))
            .collect(),
    )
}

fn columns_from(v: &Value) -> Result<Vec<StoredColumn>> {
    let bad = || RepoError::Corrupt("stored import columns cannot be read".into());
    v.as_array()
        .ok_or_else(bad)?
        .iter()
        .map(|c| {
            let field = c.get("f").and_then(Value::as_str).map(FieldKey::parse).transpose().map_err(|_| bad())?;
            Ok(StoredColumn {
                mapping: ColumnMapping {
                    index: c.get("i").and_then(Value::as_u64).ok_or_else(bad)? as usize,
                    header: c.get("h").and_then(Value::as_str).unwrap_or_default().to_string(),
                    field,
                    auto: c.get("a").and_then(Value::as_bool).unwrap_or(false),
                },
                samples: c
                    .get("s")
                    .and_then(Value::as_array)
                    .map(|s| s.iter().filter_map(|x| x.as_str().map(String::from)).collect())
                    .unwrap_or_default(),
            })
        })
        .collect()
}

fn to_domain(m: Model) -> Result<StoredJob> {
    Ok(StoredJob {
        id: m.id,
        company_id: m.company_id,
        source: ImportSource::parse(&m.source).ok_or_else(|| RepoError::Corrupt(format!("job source {}", m.source)))?,
        status: JobStatus::parse(&m.status).ok_or_else(|| RepoError::Corrupt(format!("job status {}", m.status)))?,
        file_name: m.file_name,
        sheet_name: m.sheet_name,
        created_by: m.created_by,
        created_at: m.created_at,
        updated_at: m.updated_at,
        row_count: m.row_count as u64,
        columns: columns_from(&m.columns)?,
        failure_reason: m.failure_reason,
        apply_after_dry_run: m.apply_after_dry_run,
    })
}

pub async fn insert(db: &impl ConnectionTrait, job: &StoredJob) -> Result<()> {
    let row = ActiveModel {
        id: Set(job.id),
        company_id: Set(job.company_id),
        source: Set(job.source.code().to_string()),
        status: Set(job.status.code().to_string()),
        file_name: Set(job.file_name.clone()),
        sheet_name: Set(job.sheet_name.clone()),
        created_by: Set(job.created_by.clone()),
        created_at: Set(job.created_at),
        updated_at: Set(job.updated_at),
        row_count: Set(job.row_count as i64),
        columns: Set(columns_json(&job.columns)),
        failure_reason: Set(job.failure_reason.clone()),
        apply_after_dry_run: Set(job.apply_after_dry_run),
    };
    Entity::insert(row).exec_without_returning(db).await?;
    Ok(())
}

/// A job of this company (R-TEN-1); another company's id finds nothing.
pub async fn find(db: &impl ConnectionTrait, company_id: Uuid, id: Uuid) -> Result<Option<StoredJob>> {
    Entity::find().filter(Column::CompanyId.eq(company_id)).filter(Column::Id.eq(id)).one(db).await?.map(to_domain).transpose()
}

/// For the runner, which works on runs of any company.
pub async fn get(db: &impl ConnectionTrait, id: Uuid) -> Result<StoredJob> {
    Entity::find_by_id(id).one(db).await?.map(to_domain).transpose()?.ok_or(RepoError::NotFound)
}

/// The task overview: newest first (ids are UUIDv7).
/// The statement of a page of the company's jobs, newest first, after the
/// `after` id (one more than `first`); public so that a test can read its plan.
pub fn page_statement(
    backend: sea_orm::DbBackend,
    company_id: Uuid,
    status: Option<JobStatus>,
    source: Option<ImportSource>,
    (first, after): (u64, Option<Uuid>),
) -> sea_orm::Statement {
    let mut query = filtered(company_id, status, source);
    if let Some(after) = after {
        query = query.filter(Column::Id.lt(after));
    }
    query.order_by_desc(Column::Id).limit(first + 1).build(backend)
}

fn filtered(company_id: Uuid, status: Option<JobStatus>, source: Option<ImportSource>) -> sea_orm::Select<Entity> {
    let mut query = Entity::find().filter(Column::CompanyId.eq(company_id));
    if let Some(s) = status {
        query = query.filter(Column::Status.eq(s.code()));
    }
    if let Some(s) = source {
        query = query.filter(Column::Source.eq(s.code()));
    }
    query
}

pub async fn list(
    db: &impl ConnectionTrait,
    company_id: Uuid,
    status: Option<JobStatus>,
    source: Option<ImportSource>,
    page: (u64, Option<Uuid>),
    with_total: bool,
) -> Result<Page<StoredJob>> {
    let total_count = match with_total {
        true => Some(filtered(company_id, status, source).count(db).await?),
        false => None,
    };
    let statement = page_statement(db.get_database_backend(), company_id, status, source, page);
    let mut rows = Entity::find().from_raw_sql(statement).all(db).await?;
    let first = page.0;
    let has_next_page = rows.len() as u64 > first;
    rows.truncate(first as usize);
    Ok(Page { items: rows.into_iter().map(to_domain).collect::<Result<_>>()?, has_next_page, total_count })
}

/// Moves the job to `status` if it is still in `from` (so two requests cannot both move it).
pub async fn transition(db: &impl ConnectionTrait, id: Uuid, from: JobStatus, status: JobStatus, now: DateTime<Utc>) -> Result<bool> {
    let result = Entity::update_many()
        .col_expr(Column::Status, status.code().into())
        .col_expr(Column::UpdatedAt, now.into())
        .filter(Column::Id.eq(id))
        .filter(Column::Status.eq(from.code()))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// An HR job's row count, once its snapshot is staged.
pub async fn set_row_count(db: &impl ConnectionTrait, id: Uuid, rows: u64, now: DateTime<Utc>) -> Result<()> {
    let row = ActiveModel { id: Set(id), row_count: Set(rows as i64), updated_at: Set(now), ..Default::default() };
    Entity::update(row).exec(db).await?;
    Ok(())
}

pub async fn set_status(db: &impl ConnectionTrait, id: Uuid, status: JobStatus, failure: Option<&str>, now: DateTime<Utc>) -> Result<()> {
    Entity::update_many()
        .col_expr(Column::Status, status.code().into())
        .col_expr(Column::FailureReason, failure.map(String::from).into())
        .col_expr(Column::UpdatedAt, now.into())
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn set_columns(
    db: &impl ConnectionTrait,
    id: Uuid,
    columns: &[StoredColumn],
    status: JobStatus,
    now: DateTime<Utc>,
) -> Result<()> {
    Entity::update_many()
        .col_expr(Column::Columns, columns_json(columns).into())
        .col_expr(Column::Status, status.code().into())
        .col_expr(Column::UpdatedAt, now.into())
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}
