use async_graphql::{Context, Object};
use uuid::Uuid;

use crate::auth::Permission;
use crate::error::Result;
use crate::graphql::context;
use crate::graphql::types::enums::{ImportJobStatus, ImportSource};
use crate::graphql::types::import::{FileLink, ImportField, ImportJob, ImportJobConnection, ImportJobEdge, file_link};
use crate::graphql::types::page::{PageInfo, encode_cursor, page_args};
use crate::links::Download;
use crate::services::imports;
use crate::sheets::report::ReportFormat;

#[derive(Default)]
pub struct ImportQuery;

#[Object]
impl ImportQuery {
    /// Every field an import column can be mapped to, with the header variants recognised automatically.
    async fn import_fields(&self) -> Vec<ImportField> {
        ImportField::catalogue()
    }

    /// Download link for the empty import template (.xlsx).
    async fn import_template(&self, ctx: &Context<'_>) -> Result<FileLink> {
        let company_id = context::caller(ctx)?.company_for(Permission::ReadTasks)?;
        file_link(ctx, company_id, Download::Template, "roster-import-template.xlsx".into(), ReportFormat::Xlsx)
    }

    async fn import_job(&self, ctx: &Context<'_>, id: Uuid) -> Result<Option<ImportJob>> {
        Ok(imports::find_job(context::app(ctx)?, context::caller(ctx)?, id).await?.map(ImportJob))
    }

    /// The task overview: newest first.
    #[graphql(complexity = "crate::graphql::limits::page_cost(first, 20, child_complexity)")]
    async fn import_jobs(
        &self,
        ctx: &Context<'_>,
        #[graphql(default_with = "Some(20)")] first: Option<i32>,
        after: Option<String>,
        status: Option<ImportJobStatus>,
        source: Option<ImportSource>,
    ) -> Result<ImportJobConnection> {
        let page = page_args(first.unwrap_or(20), after)?;
        let with_total = ctx.look_ahead().field("totalCount").exists();
        let (app, caller) = (context::app(ctx)?, context::caller(ctx)?);
        let page = imports::jobs_page(app, caller, status.map(Into::into), source.map(Into::into), page, with_total).await?;
        let edges: Vec<ImportJobEdge> =
            page.items.into_iter().map(|job| ImportJobEdge { cursor: encode_cursor(job.id), node: ImportJob(job) }).collect();
        let end_cursor = edges.last().map(|e| e.cursor.clone());
        Ok(ImportJobConnection {
            edges,
            page_info: PageInfo { has_next_page: page.has_next_page, end_cursor },
            total_count: page.total_count.unwrap_or(0) as i32,
        })
    }
}
