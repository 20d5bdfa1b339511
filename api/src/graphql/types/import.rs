//! Import types: jobs, columns, rows, runs, summaries and download links.

use std::collections::HashMap;

use async_graphql::{ComplexObject, Context, InputObject, Json, Object, SimpleObject};
use chrono::{DateTime, Utc};
use roster_domain::import::{RowIssue as DomainIssue, StandardField, Summary};
use roster_persistence::repo::imports::jobs::StoredJob;
use roster_persistence::repo::imports::runs::StoredRun;
use uuid::Uuid;

use super::enums::{BudgetKind, EventType, FileFormat, ImportJobStatus, ImportSource, RunMode, RunStatus, Severity};
use super::page::PageInfo;
use super::scalars::Date;
use crate::error::Result;
use crate::graphql::context::{self, PublicBase};
use crate::links::Download;
use crate::services::downloads::content_type;
use crate::services::imports::{self, RowView};
use crate::sheets::report::ReportFormat;

#[derive(SimpleObject)]
pub struct ImportField {
    /// Stable key: email, firstName, …, or custom:<name>.
    pub key: String,
    pub label: String,
    pub required: bool,
    /// Header spellings that map automatically (empty for custom fields).
    pub aliases: Vec<String>,
}

impl ImportField {
    pub fn catalogue() -> Vec<Self> {
        let mut fields: Vec<Self> = StandardField::ALL
            .iter()
            .map(|f| Self {
                key: f.key().into(),
                label: f.label().into(),
                required: f.required(),
                aliases: f.aliases().iter().map(|a| a.to_string()).collect(),
            })
            .collect();
        fields.push(Self {
            key: "custom:<name>".into(),
            label: "Custom field (a custom_<name> column, mapped by hand)".into(),
            required: false,
            aliases: vec![],
        });
        fields
    }
}

#[derive(SimpleObject)]
pub struct FileLink {
    pub url: String,
    pub file_name: String,
    pub content_type: String,
    pub expires_at: DateTime<Utc>,
}

/// Signs a link for the caller's company.
pub fn file_link(ctx: &Context<'_>, company_id: Uuid, download: Download, file_name: String, format: ReportFormat) -> Result<FileLink> {
    let app = context::app(ctx)?;
    let link = app.links.sign(company_id, download, app.clock.now())?;
    let base = ctx.data::<PublicBase>().cloned().unwrap_or_default();
    Ok(FileLink { url: base.url(&link.path), file_name, content_type: content_type(format).to_string(), expires_at: link.expires_at })
}

#[derive(SimpleObject, Clone, Copy)]
pub struct ImportSummary {
    pub total: i32,
    pub onboarding: i32,
    pub update: i32,
    pub offboarding: i32,
    pub no_change: i32,
    pub error: i32,
    pub conflict: i32,
    pub deactivation: i32,
    pub unmatched: i32,
    pub reactivation: i32,
}

impl From<Summary> for ImportSummary {
    fn from(s: Summary) -> Self {
        let n = |v: u64| v.min(i32::MAX as u64) as i32;
        Self {
            total: n(s.total),
            onboarding: n(s.onboarding),
            update: n(s.update),
            offboarding: n(s.offboarding),
            no_change: n(s.no_change),
            error: n(s.error),
            conflict: n(s.conflict),
            deactivation: n(s.deactivation),
            unmatched: n(s.unmatched),
            reactivation: n(s.reactivation),
        }
    }
}

#[derive(SimpleObject)]
pub struct SourceColumn {
    pub index: i32,
    pub header: String,
    pub sample_values: Vec<String>,
    /// Mapped field key, or null when ignored.
    pub field_key: Option<String>,
    /// True when Roster chose the mapping from the header.
    pub auto_mapped: bool,
}

#[derive(InputObject)]
pub struct ColumnMappingInput {
    pub column_index: i32,
    /// null to ignore the column
    pub field_key: Option<String>,
}

#[derive(SimpleObject)]
pub struct RowIssue {
    pub field_key: Option<String>,
    pub header: Option<String>,
    pub code: String,
    pub message: String,
    pub severity: Severity,
}

impl From<DomainIssue> for RowIssue {
    fn from(i: DomainIssue) -> Self {
        Self { field_key: i.field, header: i.header, code: i.code, message: i.message, severity: i.severity.into() }
    }
}

#[derive(SimpleObject)]
pub struct BudgetGrantPreview {
    pub policy_name: String,
    pub kind: BudgetKind,
    pub amount: i32,
    pub currency: String,
    pub granted_on: Date,
}

pub struct ImportRow {
    pub view: RowView,
    pub company_id: Uuid,
}

#[Object]
impl ImportRow {
    async fn row_number(&self) -> i32 {
        self.view.row_number as i32
    }

    /// Field key → normalised value (strings; dates as YYYY-MM-DD).
    async fn values(&self) -> Json<&std::collections::BTreeMap<String, String>> {
        Json(&self.view.values)
    }

    async fn event(&self) -> Option<EventType> {
        self.view.event.map(Into::into)
    }

    async fn issues(&self) -> Vec<RowIssue> {
        self.view.issues.iter().cloned().map(RowIssue::from).collect()
    }

    /// Budgets this row's onboarding grants (dry run and sync).
    async fn budgets(&self, ctx: &Context<'_>) -> Result<Vec<BudgetGrantPreview>> {
        if self.view.budgets.is_empty() {
            return Ok(Vec::new());
        }
        let policies = context::policies(ctx, self.company_id).await?;
        let by_id: HashMap<Uuid, &roster_domain::BudgetPolicy> = policies.iter().map(|p| (p.id, p)).collect();
        Ok(self
            .view
            .budgets
            .iter()
            .map(|g| {
                let policy = by_id.get(&g.policy_id);
                BudgetGrantPreview {
                    policy_name: policy.map(|p| p.name.clone()).unwrap_or_default(),
                    kind: policy.map(|p| p.kind.into()).unwrap_or(BudgetKind::OneOff),
                    amount: g.amount.minor(),
                    currency: g.currency.as_str().to_string(),
                    granted_on: g.granted_on.into(),
                }
            })
            .collect())
    }

    async fn employee_id(&self) -> Option<Uuid> {
        self.view.employee_id
    }
}

#[derive(SimpleObject)]
pub struct ImportRowEdge {
    pub cursor: String,
    pub node: ImportRow,
}

#[derive(SimpleObject)]
pub struct ImportRowConnection {
    pub edges: Vec<ImportRowEdge>,
    pub page_info: PageInfo,
    pub total_count: i32,
}

#[derive(SimpleObject)]
#[graphql(complex)]
pub struct ImportRun {
    pub id: Uuid,
    pub mode: RunMode,
    pub status: RunStatus,
    pub started_by: String,
    pub queued_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub processed: i32,
    pub total: i32,
    pub summary: ImportSummary,
    pub failure_reason: Option<String>,
    #[graphql(skip)]
    pub company_id: Uuid,
    #[graphql(skip)]
    pub file_stem: String,
}

impl ImportRun {
    pub fn new(run: StoredRun, job: &StoredJob) -> Self {
        let file_stem = job.file_stem();
        Self {
            id: run.id,
            mode: run.mode.into(),
            status: run.status.into(),
            started_by: run.started_by,
            queued_at: run.queued_at,
            started_at: run.started_at,
            finished_at: run.finished_at,
            processed: run.processed.min(i32::MAX as u64) as i32,
            total: run.total.min(i32::MAX as u64) as i32,
            summary: run.summary.into(),
            failure_reason: run.failure_reason,
            company_id: run.company_id,
            file_stem,
        }
    }
}

#[ComplexObject]
impl ImportRun {
    /// Test report (dry run) or sync report; null until the run has ended.
    async fn report(
        &self,
        ctx: &Context<'_>,
        #[graphql(default_with = "Some(FileFormat::Xlsx)")] format: Option<FileFormat>,
    ) -> Result<Option<FileLink>> {
        if matches!(self.status, RunStatus::Queued | RunStatus::Running) {
            return Ok(None);
        }
        let csv = format == Some(FileFormat::Csv);
        let kind = if self.mode == RunMode::DryRun { "test-report" } else { "sync-report" };
        let (ext, format) = if csv { ("csv", ReportFormat::Csv) } else { ("xlsx", ReportFormat::Xlsx) };
        file_link(ctx, self.company_id, Download::Report { run_id: self.id, csv }, format!("{}-{kind}.{ext}", self.file_stem), format)
            .map(Some)
    }
}

pub struct ImportJob(pub StoredJob);

#[Object]
impl ImportJob {
    async fn id(&self) -> Uuid {
        self.0.id
    }

    async fn source(&self) -> ImportSource {
        self.0.source.into()
    }

    async fn status(&self) -> ImportJobStatus {
        self.0.status.into()
    }

    async fn file_name(&self) -> Option<&str> {
        self.0.file_name.as_deref()
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    async fn created_by(&self) -> &str {
        &self.0.created_by
    }

    /// Row count of the sheet, header excluded.
    async fn row_count(&self) -> i32 {
        self.0.row_count.min(i32::MAX as u64) as i32
    }

    async fn columns(&self) -> Vec<SourceColumn> {
        self.0
            .columns
            .iter()
            .map(|c| SourceColumn {
                index: c.mapping.index as i32,
                header: c.mapping.header.clone(),
                sample_values: c.samples.clone(),
                field_key: c.mapping.field.as_ref().map(|f| f.key()),
                auto_mapped: c.mapping.auto,
            })
            .collect()
    }

    /// Rows with their normalised values and issues; after a dry run, with their event.
    #[graphql(complexity = "crate::graphql::limits::page_cost(first, 50, child_complexity)")]
    async fn rows(
        &self,
        ctx: &Context<'_>,
        #[graphql(default_with = "Some(50)")] first: Option<i32>,
        after: Option<String>,
        #[graphql(default_with = "Some(false)")] only_issues: Option<bool>,
    ) -> Result<ImportRowConnection> {
        let (first, after) = super::page::row_page_args(first.unwrap_or(50), after)?;
        // Counting a preview's rows with issues plans the whole sheet: only when asked for.
        let with_total = ctx.look_ahead().field("totalCount").exists();
        let page = imports::Page { first, after, only_issues: only_issues.unwrap_or(false), with_total };
        let (views, has_next_page, total) = imports::rows_page(context::app(ctx)?, &self.0, page).await?;
        let edges: Vec<ImportRowEdge> = views
            .into_iter()
            .map(|view| ImportRowEdge {
                cursor: super::page::encode_row_cursor(view.row_number),
                node: ImportRow { view, company_id: self.0.company_id },
            })
            .collect();
        let end_cursor = edges.last().map(|e| e.cursor.clone());
        Ok(ImportRowConnection { edges, page_info: PageInfo { has_next_page, end_cursor }, total_count: total.min(i32::MAX as u64) as i32 })
    }

    async fn runs(&self, ctx: &Context<'_>) -> Result<Vec<ImportRun>> {
        Ok(imports::runs_of(context::app(ctx)?, &self.0).await?.into_iter().map(|r| ImportRun::new(r, &self.0)).collect())
    }

    /// The latest run's summary, if any.
    async fn summary(&self, ctx: &Context<'_>) -> Result<Option<ImportSummary>> {
        Ok(imports::runs_of(context::app(ctx)?, &self.0).await?.pop().map(|r| r.summary.into()))
    }

    async fn failure_reason(&self) -> Option<&str> {
        self.0.failure_reason.as_deref()
    }
}

#[derive(SimpleObject)]
pub struct ImportJobEdge {
    pub cursor: String,
    pub node: ImportJob,
}

#[derive(SimpleObject)]
pub struct ImportJobConnection {
    pub edges: Vec<ImportJobEdge>,
    pub page_info: PageInfo,
    pub total_count: i32,
}

#[derive(SimpleObject)]
pub struct ImportJobPayload {
    pub job: Option<ImportJob>,
    pub user_errors: Vec<crate::error::UserError>,
}

#[derive(SimpleObject)]
pub struct ImportProgress {
    pub job_id: Uuid,
    pub run_id: Uuid,
    pub mode: RunMode,
    pub status: RunStatus,
    /// e.g. reading, validating, planning, applying, reporting
    pub phase: String,
    pub processed: i32,
    pub total: i32,
    pub summary: ImportSummary,
    pub at: DateTime<Utc>,
}

impl From<crate::events::ProgressEvent> for ImportProgress {
    fn from(p: crate::events::ProgressEvent) -> Self {
        Self {
            job_id: p.job_id,
            run_id: p.run_id,
            mode: p.mode.into(),
            status: p.status.into(),
            phase: p.phase,
            processed: p.processed.min(i32::MAX as u64) as i32,
            total: p.total.min(i32::MAX as u64) as i32,
            summary: p.summary.into(),
            at: p.at,
        }
    }
}
